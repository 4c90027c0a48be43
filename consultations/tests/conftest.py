import datetime

import pytest
from django.utils import timezone

from consultations import services
from tests import factories as f


@pytest.fixture
def room(world):
    return f.MemberHomeFactory(body=world.body, name="东坡社区议事室")


@pytest.fixture
def when():
    start = timezone.now() - datetime.timedelta(days=3)
    return start, start + datetime.timedelta(hours=2)


@pytest.fixture
def session(world, room, when):
    """A session two days old: the group's convenor convenes it, the member takes part."""
    return services.consultation_create(
        term=world.term,
        topic="老旧小区加装电梯",
        room=room,
        starts_at=when[0],
        ends_at=when[1],
        member_convenor=world.convenor,
        official_convenor_name="王科长",
        official_convenor_unit="区住建局",
        members=[world.member],
        by=world.staff,
    )


@pytest.fixture
def online(world):
    now = timezone.now()
    return services.online_consultation_create(
        term=world.term,
        topic="城市公园夜间开放",
        description="请各位委员发表意见",
        opens_at=now - datetime.timedelta(days=1),
        closes_at=now + datetime.timedelta(days=7),
        by=world.staff,
    )
