"""Rows for the year's pages: the annual assessment and sector groups, the
history import, duty reports (述职), checklists (六个一) and their reminders,
and the what-if.

The body's 2024 assessment is computed under the Hai'an rulebook (loaded for
this body and year), so every page shows real rows; the member has a 2024
duty report with a PDF, and an unsent reminder is set for 2024. Staff of the
body manage, leadership reads (403 on what only staff may do); staff of the
other body and members learn nothing of this body (404)."""

import datetime
from pathlib import Path

from scoring import annual, services
from scoring.models import ChecklistReminder
from tests.matrix import Row
from tests.matrix.records import PDF, upload

HAIAN = Path(services.__file__).parent / "rulebooks" / "haian.yaml"
YEAR = 2024


def haian_text(body, year: int) -> str:
    """The Hai'an rulebook, for another body and year."""
    text = HAIAN.read_text(encoding="utf-8")
    return text.replace("body: 海安市政协", f"body: {body.name}", 1).replace(
        "\nyear: 2025\n", f"\nyear: {year}\n", 1
    )


def prepare(world):
    # activity kinds: made by the scoring area's prepare, which runs first
    world.annual_rulebook = services.rulebook_load(
        body=world.body, year=YEAR, text=haian_text(world.body, YEAR), by=world.staff, publish=True
    )
    world.annual_period = services.period_open(body=world.body, year=YEAR, quarter=0)
    services.period_compute(period=world.annual_period)
    world.duty_report = annual.duty_report_save(
        member=world.member,
        year=YEAR,
        text="一年来认真履职。",
        file=upload("述职报告.pdf", PDF, "application/pdf"),
        by=world.member.person.user,
    )
    world.checklist_reminder = ChecklistReminder.objects.create(
        body=world.body,
        year=YEAR,
        checklist_code="six_ones",
        on=datetime.date(YEAR, 10, 1),
        created_by=world.staff,
    )


def _body_year(w):
    return {"body_pk": w.body.pk, "year": YEAR}


NO_POST = "302 405 405 405 405 405 405 405 405"
NO_GET = NO_POST
# Office pages without a body: staff of any body and leadership; a body is chosen for them.
OFFICE_INDEX = "302 403 403 403 302 302 302 302 403"
# A body's results: its staff and leadership read; everyone else 404.
READ = "302 404 404 404 200 404 200 200 404"
# A member's own pages: seats only.
OWN = "302 200 200 200 404 404 404 404 404"
# Staff-only office pages without a body.
STAFF_ONLY = "302 403 403 403 200 200 403 200 403"

ROWS = {
    "scoring:annual_index": Row(None, get=OFFICE_INDEX, post=NO_POST),
    "scoring:annual": Row(_body_year, get=READ, post=NO_POST),
    "scoring:annual_groups": Row(_body_year, get=READ, post=NO_POST),
    # No file: the form again; a term of a body one does not read is 404.
    "scoring:history_import": Row(
        None,
        get=STAFF_ONLY,
        post="302 403 403 403 200 404 403 200 403",
        data=lambda w: {"term": w.term.pk},
    ),
    # A stale token: back to the form with a message.
    "scoring:history_import_confirm": Row(
        None, get=NO_GET, post="302 403 403 403 302 302 403 302 403", data={"token": "stale"}
    ),
    "scoring:duty_report": Row(
        lambda w: {"pk": w.duty_report.pk},
        get="302 200 404 404 200 404 200 200 404",
        post=NO_POST,
    ),
    "scoring:duty_report_file": Row(
        lambda w: {"pk": w.duty_report.pk},
        get="302 200 404 404 200 404 200 200 404",
        post=NO_POST,
    ),
    # Saving a report for this year: back to the page.
    "scoring:my_duty_report": Row(
        None,
        get=OWN,
        post="302 302 302 302 404 404 404 404 404",
        data={"text": "今年参加了专题调研。"},
    ),
    "scoring:my_checklist": Row(None, get=OWN, post=NO_POST),
    "scoring:checklists_index": Row(None, get=OFFICE_INDEX, post=NO_POST),
    "scoring:checklists": Row(_body_year, get=READ, post=NO_POST),
    # An empty form: shown again with its errors.
    "scoring:checklist_reminders": Row(
        _body_year,
        get="302 404 404 404 200 404 403 200 404",
        post="302 404 404 404 200 404 403 200 404",
    ),
    "scoring:checklist_reminder_delete": Row(
        lambda w: {"pk": w.checklist_reminder.pk},
        get=NO_GET,
        post="302 404 404 404 302 404 403 302 404",
    ),
    # The what-if of this body's rulebook on its 2024 records; another body's
    # staff cannot name it.
    "scoring:whatif": Row(
        None,
        get="302 403 403 403 200 404 403 200 403",
        post=NO_POST,
        data=lambda w: {"rulebook": w.annual_rulebook.pk, "year": YEAR},
    ),
}
