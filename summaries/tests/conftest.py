"""Fixtures of the summaries tests. `body` (module-scoped): a generated body
whose last two years are assessed, for the pages. The rest: the body's year
as the exports read it: the Hai'an rulebook of YEAR, the
first two quarters and the annual assessment computed, past activities with
attendance of every kind, proposals and reports. Export files go to a
directory of the test's own."""

import datetime

import pytest
from django.db import transaction
from django.utils import timezone

from duties.models import Activity, Participation
from duties.services import activity_kinds_ensure_defaults
from scoring import services
from summaries.tests.helpers import assessed_body
from tests import factories as f
from tests.matrix.annual import haian_text

YEAR = 2024


@pytest.fixture(autouse=True)
def export_files(settings, tmp_path):
    settings.EXPORT_FILES_ROOT = tmp_path / "private-exports"
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.EXPORT_FILES_ROOT


def at(month, day, hour=9):
    return timezone.make_aware(datetime.datetime(YEAR, month, day, hour))  # noqa: DTZ001


def past_activity(world, *, theme, when, kind="inspection", body=None, term=None):
    term = term or world.term
    return f.ActivityFactory(
        term=term,
        body=body or term.body,
        kind=f.ActivityKindFactory(body=term.body, code=kind),
        theme=theme,
        starts_at=when,
        ends_at=when + datetime.timedelta(hours=3),
        signup_deadline=when - datetime.timedelta(days=2),
        status=Activity.Status.CONFIRMED,
    )


def attend(activity, member, attendance, **kwargs):
    return Participation.objects.create(
        activity=activity,
        member=member,
        attendance=attendance,
        leave=Participation.Leave.APPROVED if attendance == "excused" else "",
        **kwargs,
    )


@pytest.fixture
def year(world):
    """YEAR's rulebook published for the body, Q1, Q2 and the year computed."""
    activity_kinds_ensure_defaults(body=world.body)
    services.rulebook_load(
        body=world.body, year=YEAR, text=haian_text(world.body, YEAR), by=world.staff, publish=True
    )
    periods = {}
    for quarter in (1, 2, 0):
        periods[quarter] = services.period_open(body=world.body, year=YEAR, quarter=quarter)
        services.period_compute(period=periods[quarter])
        periods[quarter].refresh_from_db()
    return periods


@pytest.fixture
def attendance(world):
    """Two past activities of the body: one attended, excused, absent; one
    with a check-in time. And one of the other body."""
    first = past_activity(world, theme="视察老旧小区改造", when=at(3, 5))
    attend(first, world.member, "attended", checked_in_at=at(3, 5, 8))
    attend(first, world.colleague, "excused", leave_reason="因公出差")
    attend(first, world.other_member, "absent")
    second = past_activity(world, theme="专题调研养老服务", when=at(5, 20), kind="research")
    attend(second, world.member, "attended")
    cancelled = past_activity(world, theme="取消的活动", when=at(4, 1))
    cancelled.status = Activity.Status.CANCELLED
    cancelled.save()
    attend(cancelled, world.member, "attended")
    other = past_activity(world, theme="临江区视察", when=at(4, 2), term=world.other_term)
    attend(other, world.outsider_member, "attended")
    return first, second


@pytest.fixture(scope="module")
def body(django_db_setup, django_db_blocker):
    """A generated body of 40 seats with its last two years assessed, built once
    per module inside a transaction that is rolled back after the module (each
    test runs in a savepoint within it, as pytest-django's `db` does)."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield assessed_body("云山市政协", members=40)
        transaction.set_rollback(True)
