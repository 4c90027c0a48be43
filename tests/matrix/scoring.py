"""Rows for the rulebook pages (计分规则).

`rulebook` is the body's published R1 for 2025. Staff of the body manage it,
leadership reads it; staff of the other body manage their own body's
rulebooks (so the list and the form open for them) but learn nothing of
this one."""

from pathlib import Path

from duties.services import activity_kinds_ensure_defaults
from scoring import services
from tests.matrix import Row

R1 = Path(services.__file__).parent / "rulebooks" / "r1.yaml"


def prepare(world):
    activity_kinds_ensure_defaults(body=world.body)
    world.rulebook_text = R1.read_text(encoding="utf-8")
    world.rulebook = services.rulebook_load(
        body=world.body, year=2025, text=world.rulebook_text, by=world.staff, publish=True
    )


def _rulebook(w):
    return {"pk": w.rulebook.pk}


GET_ONLY = "302 405 405 405 405 405 405 405 405"
POST_ONLY = GET_ONLY
# The office pages: staff of any body (their own bodies' rulebooks), leadership reads.
OFFICE_READ = "302 403 403 403 200 200 200 200 403"
READ = "302 404 404 404 200 404 200 200 404"
STAFF_FORM = "302 404 404 404 200 404 403 200 404"
STAFF_ACTION = "302 404 404 404 302 404 403 302 404"

ROWS = {
    "scoring:rulebooks": Row(None, get=OFFICE_READ, post=GET_ONLY),
    # The same text as the latest version stores nothing new: staff and admins are
    # sent to it; the other body's staff may not choose this body (the form again).
    "scoring:rulebook_new": Row(
        None,
        get="302 403 403 403 200 200 403 200 403",
        post="302 403 403 403 302 200 403 302 403",
        data=lambda w: {"body": w.body.pk, "year": 2025, "text": w.rulebook_text},
    ),
    "scoring:rulebook_detail": Row(_rulebook, get=READ, post=GET_ONLY),
    "scoring:rulebook_download": Row(_rulebook, get=READ, post=GET_ONLY),
    "scoring:rulebook_edit": Row(
        _rulebook,
        get=STAFF_FORM,
        post=STAFF_ACTION,
        data=lambda w: {"text": w.rulebook_text},
    ),
    "scoring:rulebook_publish": Row(_rulebook, get=POST_ONLY, post=STAFF_ACTION),
}
