"""What the tests of the year share: real .xlsx files built with openpyxl, the
Hai'an rulebook loaded for a body and year, and a period made final."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from duties.services import activity_kinds_ensure_defaults
from scoring import facts as ledger
from scoring import services
from scoring.models import ScorePeriod
from tests.matrix.annual import haian_text

HEADERS = ("年度", "委员编号", "姓名", "总分", "等次")

__all__ = ["HEADERS", "compute", "finalise", "haian_text", "load_haian", "xlsx"]


def xlsx(rows, headers=HEADERS, *, before=(), name="往年考核结果.xlsx") -> SimpleUploadedFile:
    """An .xlsx whose first sheet has `before` rows (a title), the header row, then `rows`.
    A value starting with "=" is written as a formula."""
    book = Workbook()
    sheet = book.active
    sheet.title = "考核结果"
    for line in before:
        sheet.append(list(line))
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return SimpleUploadedFile(
        name,
        out.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def load_haian(world, year: int, *, body=None, publish: bool = True, text=None):
    body = body or world.body
    activity_kinds_ensure_defaults(body=body)
    return services.rulebook_load(
        body=body,
        year=year,
        text=text if text is not None else haian_text(body, year),
        by=world.staff,
        publish=publish,
    )


def compute(body, year: int) -> ScorePeriod:
    """The body's annual period of the year, computed from a fresh ledger."""
    ledger.facts_rebuild(body=body)
    period = services.period_open(body=body, year=year, quarter=ScorePeriod.ANNUAL)
    services.period_compute(period=period)
    period.refresh_from_db()
    return period


def finalise(period: ScorePeriod) -> ScorePeriod:
    """Make the period final as the review's publishing would (its own
    service is another part of the scoring work)."""
    ScorePeriod.objects.filter(pk=period.pk).update(status=ScorePeriod.Status.FINAL)
    period.refresh_from_db()
    return period
