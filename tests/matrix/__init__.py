"""The permission matrix's rows, one module per area, merged here.

Each module defines ROWS (url name -> Row) and may define prepare(world) to
create the objects its URLs need. Add a module to AREAS when an area adds URLs."""

import importlib
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import transaction
from django.test import override_settings

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
    "accounts",
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


METHODS = ("get", "head", "post", "put", "patch", "delete", "options")


@dataclass
class Row:
    kwargs: object = None  # world -> dict
    get: str = ""  # one status per role, in ROLES order
    post: str = ""
    data: object = field(default_factory=dict)  # a dict, or world -> dict
    # Statuses for the other methods where the rule in expected() does not hold.
    other: dict = field(default_factory=dict)  # method -> one status per role


def expected(row: Row, method: str) -> list[str]:
    """The status each role must get: HEAD as GET; PUT, PATCH, DELETE and
    OPTIONS refused (405), except that anonymous visitors are sent to log in
    first where GET and POST both send them there."""
    if method in row.other:
        return row.other[method].split()
    if method in ("get", "head"):
        return row.get.split()
    if method == "post":
        return row.post.split()
    login_first = row.get.split()[:1] == row.post.split()[:1] == ["302"]
    return ["302" if login_first else "405"] + ["405"] * (len(ROLES) - 1)


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


@contextmanager
def world_once(media_root, **settings):
    """The personas and every area's objects, built once for a module inside a
    transaction rolled back at its end; each test runs in a savepoint within it,
    as pytest-django's `db` does. Use inside django_db_blocker.unblock()."""
    from conftest import world_build

    with override_settings(MEDIA_ROOT=media_root, **settings), transaction.atomic():
        world = world_build()
        prepare(world)
        yield world
        transaction.set_rollback(True)
