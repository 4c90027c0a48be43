"""Personas shared by every test: one city body with two sector groups, and a
second body whose staff must see nothing of the first."""

import os

import pytest
from django.core.cache import cache

from members.models import BodyRole
from tests import factories as f

# Playwright's sync API runs an event loop in the test thread; Django refuses ORM
# calls there unless told the thread is ours.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _cache_cleared():
    """Every test starts with an empty cache: no login rate-limit counts left by
    the tests before it (on a fast machine the browser tests' logins from
    127.0.0.1 passed allauth's 30 a minute), no cached summary."""
    cache.clear()
    yield


class World:
    """The personas by role, as attributes (world.member, world.staff, ...)."""


@pytest.fixture
def world(db):
    return world_build()


def world_build() -> World:
    """The personas, for fixtures that build the world once for many tests."""
    w = World()
    w.body = f.BodyFactory(name="江城市政协", short_name="江城")
    w.term = f.TermFactory(body=w.body)
    w.sector = f.SectorFactory(term=w.term, name="经济界")
    w.other_sector = f.SectorFactory(term=w.term, name="教育界")
    w.group = f.SectorGroupFactory(term=w.term, name="经济界小组")
    w.other_group = f.SectorGroupFactory(term=w.term, name="教育界小组")
    w.member = f.member_with_login(term=w.term, sector=w.sector, group=w.group, username="member")
    w.colleague = f.member_with_login(
        term=w.term, sector=w.sector, group=w.group, username="colleague"
    )
    w.other_member = f.member_with_login(
        term=w.term, sector=w.other_sector, group=w.other_group, username="othergroup"
    )
    w.convenor = f.member_with_login(
        term=w.term, sector=w.sector, group=w.group, username="convenor"
    )
    w.group.convenor = w.convenor
    w.group.save()
    w.staff = f.office_user(body=w.body, role=BodyRole.Role.STAFF, username="staff")
    w.leader = f.office_user(body=w.body, role=BodyRole.Role.LEADERSHIP, username="leader")
    w.admin = f.UserFactory(username="admin", is_superuser=True, is_staff=True)

    w.other_body = f.BodyFactory(
        name="江城市临江区政协", short_name="临江", level="county", parent=w.body
    )
    w.other_term = f.TermFactory(body=w.other_body, number=9)
    w.outsider_member = f.member_with_login(term=w.other_term, username="outsider")
    w.other_staff = f.office_user(
        body=w.other_body, role=BodyRole.Role.STAFF, username="otherstaff"
    )
    return w
