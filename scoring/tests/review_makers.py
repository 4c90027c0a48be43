"""Records and periods for the review tests, made through the services: the
records of the member, the period computed, published, past its window,
final."""

import contextlib
import datetime

from django.test import TestCase
from django.utils import timezone

from duties import disputes
from duties import services as duties
from scoring import facts as ledger
from scoring import review, services
from scoring.models import Score, ScoreLine, ScorePeriod

from .test_worked_members_through_the_app import YEAR, App, at

__all__ = ["YEAR", "App", "at"]

S = ScorePeriod.Status

RULES = """\
format: 1
name: 季度通报测试规则
year: {year}
categories:
- {{code: basic, name: 基本分, mode: deduct, base: 10, floor: 0}}
- {{code: bonus, name: 加分, cap: 20}}
items:
- code: absent
  name: 无故缺席
  category: basic
  kind: activity.absent
  points: -2
- code: inspections
  name: 参加视察
  category: bonus
  kind: activity.attended
  where: {{activity_kind: inspection}}
  points: 2
grades:
- {{name: 优秀, min: 14}}
- {{name: 合格, min: 10}}
- {{name: 不合格}}
"""


@contextlib.contextmanager
def eager_tasks():
    """Background work runs in the test, whatever the broker (CI has Redis)."""
    from config.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        yield
    finally:
        app.conf.task_always_eager = before


def app_with_rules(world) -> App:
    """The world's body with RULES published for this year."""
    app = App(world)
    services.rulebook_load(
        body=app.body, year=YEAR, text=RULES.format(year=YEAR), by=app.staff, publish=True
    )
    return app


def inspection(app, members, when, attendance="attended"):
    """Members at a new inspection, committed: the ledger follows at once, and
    what a later block changes is a change of its own."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        activity = app.activity("inspection", when)
        duties.list_add(activity=activity, members=list(members), by=app.staff)
        for member in members:
            duties.attendance_record(
                activity=activity, member=member, attendance=attendance, by=app.staff
            )
    return activity


def computed(app, quarter=2) -> ScorePeriod:
    ledger.facts_rebuild(body=app.body)
    period = services.period_open(body=app.body, year=YEAR, quarter=quarter)
    services.period_compute(period=period)
    period.refresh_from_db()
    return period


def score_of(period, member) -> Score:
    return Score.objects.get(period=period, member=member)


def published(app, period) -> ScorePeriod:
    return review.period_publish(period=period, by=app.staff)


def window_passed(period) -> ScorePeriod:
    """A week later: the dispute window has closed."""
    ScorePeriod.objects.filter(pk=period.pk).update(
        disputes_close_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    period.refresh_from_db()
    return period


def final(app, period) -> ScorePeriod:
    if period.status == S.DRAFT:
        period = published(app, period)
    return review.period_finalise(period=window_passed(period), by=app.staff)


def line_of(period, member, code="inspections") -> ScoreLine:
    return ScoreLine.objects.get(score__period=period, score__member=member, item_code=code)


def line_dispute(member, line, reason="5月20日的视察我出席了"):
    return disputes.dispute_open(member=member, record=line, reason=reason, by=member.person.user)
