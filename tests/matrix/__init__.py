"""The permission matrix's rows, one module per area, merged here.

Each module defines ROWS (url name -> Row) and may define prepare(world) to
create the objects its URLs need. Add a module to AREAS when an area adds URLs."""

import importlib
from dataclasses import dataclass, field

ROLES = (
    "anonymous",
    "member",
    "other_group",
    "convenor",
    "staff",
    "other_staff",
    "leader",
    "admin",
    "unit",
)

AREAS = (
    "foundation",
    "duties",
    "checkin",
    "records",
    "consultations",
    "proposals",
    "handling",
    "reports",
    "scoring",
    "jobs",
    "review",
    "annual",
    "records_archive",
    "summaries",
    "exports",
    "imports",
)


@dataclass
class Row:
    kwargs: object = None  # world -> dict
    get: str = ""  # one status per role, in ROLES order, or "" when the method is not tested
    post: str = ""
    data: object = field(default_factory=dict)  # a dict, or world -> dict


def areas():
    for name in AREAS:
        try:
            yield importlib.import_module(f"tests.matrix.{name}")
        except ModuleNotFoundError as error:
            if error.name != f"tests.matrix.{name}":
                raise


def all_rows() -> dict:
    merged = {}
    for module in areas():
        overlap = merged.keys() & module.ROWS.keys()
        assert not overlap, f"rows defined twice: {overlap}"
        merged.update(module.ROWS)
    return merged


def prepare(world) -> None:
    for module in areas():
        if hasattr(module, "prepare"):
            module.prepare(world)
