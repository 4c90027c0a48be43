"""Members taking the last seats at the same moment, as concurrent requests on
PostgreSQL (real threads, each with its own connection)."""

import threading

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from duties.models import Activity, Participation
from tests import factories as f

pytestmark = pytest.mark.postgres


@pytest.fixture
def racers(transactional_db, world):
    if connection.vendor != "postgresql":
        pytest.skip("row locks are tested on PostgreSQL")
    members = [f.member_with_login(term=world.term, sector=world.sector) for _ in range(12)]
    activity = f.ActivityFactory(term=world.term, capacity=3)
    return activity, members


def test_concurrent_signups_never_overfill_the_activity(racers):
    activity, members = racers
    start = threading.Barrier(len(members))
    statuses = []

    def sign_up(member):
        client = Client()
        client.force_login(member.person.user)
        try:
            start.wait()
            statuses.append(client.post(reverse("duties:signup", args=[activity.pk])).status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sign_up, args=(m,)) for m in members]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert statuses == [302] * len(members)
    confirmed = Participation.objects.filter(activity=activity, signup="confirmed").count()
    waiting = Participation.objects.filter(activity=activity, signup="waitlisted").count()
    activity.refresh_from_db()
    assert confirmed == 3
    assert waiting == len(members) - 3
    assert activity.signed_up_count == 3


def test_concurrent_withdrawals_promote_each_waiting_member_once(racers):
    from duties import services

    activity, members = racers
    for m in members[:6]:
        services.signup(activity=activity, member=m)  # 3 confirmed, 3 waiting
    leaving = members[:3]
    start = threading.Barrier(len(leaving))

    def leave(member):
        try:
            start.wait()
            services.withdraw(activity=Activity.objects.get(pk=activity.pk), member=member)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=leave, args=(m,)) for m in leaving]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    activity.refresh_from_db()
    confirmed = set(
        Participation.objects.filter(activity=activity, signup="confirmed").values_list(
            "member_id", flat=True
        )
    )
    assert confirmed == {m.pk for m in members[3:6]}
    assert activity.signed_up_count == 3
