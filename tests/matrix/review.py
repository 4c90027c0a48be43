"""Rows for the quarterly review (季度通报): a period's table and its actions,
a score's receipt and adjustment, disputing a line, a member's periods.

The body's 2025 Q1 is final (to reopen) and Q2 published with its dispute
window open; `review_score` is the member's Q2 score. Staff of the body
manage, leadership reads; a member reads only their own score once
published and disputes its lines; everyone else learns nothing (404)."""

import datetime
from pathlib import Path

from django.utils import timezone

from duties.services import activity_kinds_ensure_defaults
from scoring import facts, review, services
from scoring.models import Score, ScorePeriod
from tests.matrix import Row

R1 = Path(services.__file__).parent / "rulebooks" / "r1.yaml"


def prepare(world):
    activity_kinds_ensure_defaults(body=world.body)
    # the rulebook area loads the same text: this returns that version
    services.rulebook_load(
        body=world.body,
        year=2025,
        text=R1.read_text(encoding="utf-8"),
        by=world.staff,
        publish=True,
    )
    facts.facts_rebuild(body=world.body)
    q1 = services.period_open(body=world.body, year=2025, quarter=1)
    services.period_compute(period=q1)
    q1 = review.period_publish(period=q1, by=world.staff)
    ScorePeriod.objects.filter(pk=q1.pk).update(
        disputes_close_at=timezone.now() - datetime.timedelta(days=1)
    )
    q1.refresh_from_db()
    world.review_final = review.period_finalise(period=q1, by=world.staff)
    q2 = services.period_open(body=world.body, year=2025, quarter=2)
    services.period_compute(period=q2)
    world.review_period = review.period_publish(period=q2, by=world.staff)
    world.review_score = Score.objects.get(period=q2, member=world.member)
    world.review_line = world.review_score.lines.order_by("position").first()


def _period(w):
    return {"pk": w.review_period.pk}


def _score(w):
    return {"pk": w.review_score.pk}


NO_POST = "302 405 405 405 405 405 405 405 405"
NO_GET = NO_POST
READ = "302 404 404 404 200 404 200 200 404"
STAFF_FORM = "302 404 404 404 200 404 403 200 404"
STAFF_ACTION = "302 404 404 404 302 404 403 302 404"

ROWS = {
    "scoring:period_detail": Row(_period, get=READ, post=NO_POST),
    # publishing a published period changes nothing; finalising inside the
    # window is refused: both send staff back to the table
    "scoring:period_publish": Row(_period, get=NO_GET, post=STAFF_ACTION),
    "scoring:period_finalise": Row(_period, get=NO_GET, post=STAFF_ACTION),
    "scoring:period_reopen": Row(
        lambda w: {"pk": w.review_final.pk},
        get=STAFF_FORM,
        post=STAFF_ACTION,
        data={"reason": "出席情况更正"},
    ),
    # the link in the notice: each member to their own receipt
    "scoring:period_mine": Row(_period, get="302 302 302 302 404 404 404 404 404", post=NO_POST),
    "scoring:score_receipt": Row(_score, get="302 200 404 404 200 404 200 200 404", post=NO_POST),
    # the member reads the score, so may not change it (403)
    "scoring:score_adjust": Row(
        _score,
        get="302 403 404 404 200 404 403 200 404",
        post="302 403 404 404 302 404 403 302 404",
        data={"points": "1", "reason": "补录一次调研"},
    ),
    "scoring:line_dispute": Row(
        lambda w: {"pk": w.review_line.pk},
        get="302 200 404 404 403 404 403 403 404",
        post="302 302 404 404 403 404 403 403 404",
        data={"reason": "少计了一次视察"},
    ),
    "scoring:mine": Row(None, get="302 200 200 200 403 403 403 403 403", post=NO_POST),
}
