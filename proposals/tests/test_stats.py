"""The statistics of a session: counts by outcome, replies by class,
satisfaction (latest round), per handling unit and per sector group."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from proposals.models import Proposal, Rating, Reply, Routing
from proposals.selectors import session_stats
from proposals.services import review
from proposals.tests import factories as pf

S = Proposal.Status


@pytest.fixture
def session(world):
    return pf.open_session(world.term)


def _route(proposal, unit, *, deadline, replied_at=None, result="A", user):
    routing = Routing.objects.create(
        proposal=proposal, unit=unit, role=Routing.Role.SOLE, deadline=deadline
    )
    if replied_at:
        Reply.objects.create(routing=routing, result=result, text="答复", by=user, at=replied_at)
    return routing


def _rate(proposal, satisfaction, *, round=1, user):
    Rating.objects.create(proposal=proposal, round=round, satisfaction=satisfaction, by=user)


@pytest.fixture
def season(world, session):
    """Six proposals: three accepted (routed, replied, rated), one rejected,
    one merged, one converted; and a draft that does not count."""
    staff = world.staff
    units = [pf.HandlingUnitFactory(body=world.body, name=n) for n in ("交通局", "教育局")]
    a = pf.accepted(member=world.member, session=session, staff=staff)
    b = pf.accepted(member=world.colleague, session=session, staff=staff)
    c = pf.accepted(member=world.other_member, session=session, staff=staff)
    review.proposal_reject(
        proposal=pf.submitted(member=world.member, session=session), by=staff, reason="x"
    )
    review.proposal_merge(
        proposal=pf.submitted(member=world.colleague, session=session), into=a, by=staff
    )
    review.proposal_convert(
        proposal=pf.submitted(member=world.convenor, session=session), to="letter", by=staff
    )
    pf.draft(member=world.member, session=session)
    now = timezone.now()
    today = timezone.localdate()
    _route(a, units[0], deadline=today, replied_at=now - datetime.timedelta(days=1), user=staff)
    _route(
        b,
        units[0],
        deadline=today - datetime.timedelta(days=5),
        replied_at=now,
        result="B",
        user=staff,
    )
    _route(c, units[1], deadline=today, user=staff)
    Proposal.objects.filter(pk__in=[a.pk, b.pk]).update(status=S.REPLIED)
    Proposal.objects.filter(pk=c.pk).update(status=S.ROUTED)
    # a: unsatisfied first, satisfied after re-handling (only the latest round counts)
    _rate(a, "unsatisfied", round=1, user=staff)
    _rate(a, "satisfied", round=2, user=staff)
    _rate(b, "fairly", user=staff)
    return units


def test_totals_by_outcome(world, session, season):
    totals = session_stats(session)["totals"]
    assert totals["submitted"] == 6
    assert totals["accepted"] == 3
    assert (totals["rejected"], totals["merged"], totals["converted"]) == (1, 1, 1)
    assert totals["converted_letter"] == 1
    assert totals["replied"] == 2


def test_replies_by_class_and_satisfaction_of_the_latest_round(world, session, season):
    stats = session_stats(session)
    assert {r["result"]: r["n"] for r in stats["replies"]} == {"A": 1, "B": 1, "C": 0, "D": 0}
    assert {s["value"]: s["n"] for s in stats["satisfaction"]} == {
        "satisfied": 1,
        "fairly": 1,
        "unsatisfied": 0,
    }
    assert stats["satisfied_rate"] == 100.0


def test_per_unit_on_time_rate_and_satisfaction(world, session, season):
    units = {row["unit__name"]: row for row in session_stats(session)["units"]}
    traffic = units["交通局"]
    assert (traffic["routed"], traffic["replied"], traffic["on_time"]) == (2, 2, 1)
    assert traffic["on_time_rate"] == 50.0
    assert (traffic["satisfied"], traffic["fairly"], traffic["rated"]) == (1, 1, 2)
    education = units["教育局"]
    assert (education["routed"], education["replied"], education["on_time_rate"]) == (1, 0, None)


def test_per_sector_group_by_the_first_proposer(world, session, season):
    groups = {row["member__group__name"]: row for row in session_stats(session)["groups"]}
    # member + colleague + convenor sit in 经济界小组: a, b accepted; rejected, merged, converted
    assert groups["经济界小组"]["accepted"] == 2
    assert groups["经济界小组"]["submitted"] == 5
    assert groups["教育界小组"]["accepted"] == 1


def test_the_statistics_page_for_staff_and_leadership(client, world, session, season):
    for user in (world.staff, world.leader):
        client.force_login(user)
        response = client.get(reverse("proposals:stats"), {"session": session.pk})
        assert response.status_code == 200
        page = response.content.decode()
        assert "交通局" in page and "经济界小组" in page


def test_the_statistics_page_is_closed_to_members(client, world, session):
    client.force_login(world.member.person.user)
    assert client.get(reverse("proposals:stats")).status_code == 403


def test_another_bodys_session_is_not_found(client, world, session):
    client.force_login(world.other_staff)
    assert client.get(reverse("proposals:stats"), {"session": session.pk}).status_code == 404
