"""A member's year made through the services, for the tests of the annual
record and its PDF: activities and attendance, a verified self-reported duty,
proposals, reports adopted and instructed, honours; periods computed under the
Hai'an rulebook (with its 六个一)."""

import datetime

import pytest

from scoring import facts as ledger
from scoring import review, services
from scoring.models import ScorePeriod
from scoring.tests.annual_helpers import finalise, load_haian
from scoring.tests.test_worked_members_through_the_app import YEAR, App, at
from tests import factories as f

__all__ = ["YEAR", "app", "computed", "scored_year", "year_of"]


@pytest.fixture
def app(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    app = App(world)
    load_haian(world, YEAR)
    return app


def computed(app, quarter: int) -> ScorePeriod:
    """The body's period under the Hai'an rulebook, from a fresh ledger."""
    ledger.facts_rebuild(body=app.body)
    period = services.period_open(body=app.body, year=YEAR, quarter=quarter)
    services.period_compute(period=period)
    period.refresh_from_db()
    return period


def year_of(app, member, *, activities: int, proposals: int = 1, reports: int = 1, honours=1):
    """A member's year: `activities` attended, one excused, one absent, a
    verified good deed, proposals, reports adopted by the city and instructed
    on by a provincial leader, honours."""
    for i in range(activities):
        app.attend(member, ("inspection", "research")[i % 2], at(1 + i % 10, 2 + i // 10))
    app.attend(member, "inspection", at(5, 20), attendance="excused")
    app.attend(member, "inspection", at(5, 21), attendance="absent")
    app.verified(member, "good_deed", done_on=datetime.date(YEAR, 6, 1))
    for i in range(proposals):
        app.proposal(member, accept=True, title=f"关于加快城市更新的建议之{i + 1}")
    for i in range(reports):
        app.report(
            member,
            adopted=("city",),
            instructed=("province",),
            title=f"关于停车难的情况反映{i + 1}",
        )
    for i in range(honours):
        f.HonourFactory(
            person=member.person,
            title=f"优秀政协委员{i + 1}",
            level="city",
            awarded_on=datetime.date(YEAR, 3, 1 + i),
        )


@pytest.fixture
def scored_year(app, world):
    """The member's year, and the body's periods: Q1 published, Q2 a draft,
    the year final."""
    year_of(app, world.member, activities=4)
    q1 = computed(app, 1)
    review.period_publish(period=q1, by=world.staff)
    q2 = computed(app, 2)
    annual = finalise(computed(app, ScorePeriod.ANNUAL))
    return {"q1": q1, "q2": q2, "annual": annual}
