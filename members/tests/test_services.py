import datetime

import pytest
from django.urls import reverse

from members import services
from members.models import Member, Notice
from members.permissions import viewer_for
from sectors.models import SectorGroup, Term
from tests import factories as f


def test_carry_over_seats_the_chosen_members_in_the_new_term_and_ends_the_others(world):
    # given a new term with the same sector and group names
    new_term = Term.objects.create(body=world.body, number=16, starts_on=datetime.date(2027, 1, 1))
    new_term.sectors.create(name=world.sector.name)
    SectorGroup.objects.create(term=new_term, name=world.group.name)
    committee = f.CommitteeFactory(term=world.term, name="经济委员会")
    f.CommitteeFactory(term=new_term, name="经济委员会")
    world.member.committees.add(committee)

    # when staff carry over the member and the colleague
    created = services.term_carry_over(
        by=world.staff,
        from_term=world.term,
        to_term=new_term,
        continuing=[world.member, world.colleague],
        starts_on=datetime.date(2027, 1, 1),
    )

    # then both sit in the new term with their numbers, sector, group and committees
    assert created == 2
    seat = Member.objects.get(term=new_term, person=world.member.person)
    assert seat.number == world.member.number
    assert seat.sector.name == world.sector.name
    assert seat.group.name == world.group.name
    assert [c.name for c in seat.committees.all()] == ["经济委员会"]
    # and everyone of the old term has left with 届满, records kept
    old = Member.objects.get(pk=world.other_member.pk)
    assert old.left_reason == Member.LeftReason.TERM_ENDED
    assert old.left_on == datetime.date(2026, 12, 31)
    assert not Member.objects.filter(term=new_term, person=world.other_member.person).exists()

    # a second run changes nothing
    assert (
        services.term_carry_over(
            by=world.staff,
            from_term=world.term,
            to_term=new_term,
            continuing=[world.member],
            starts_on=datetime.date(2027, 1, 1),
        )
        == 0
    )


def test_carry_over_refuses_terms_of_different_bodies(world):
    with pytest.raises(ValueError):
        services.term_carry_over(
            by=world.staff,
            from_term=world.term,
            to_term=world.other_term,
            continuing=[],
            starts_on=datetime.date(2027, 1, 1),
        )


def test_carry_over_page(world, client):
    new_term = Term.objects.create(body=world.body, number=16, starts_on=datetime.date(2027, 1, 1))
    client.force_login(world.staff)
    response = client.get(reverse("members:carry_over", args=[world.term.pk]))
    assert world.member.person.name in response.content.decode()
    response = client.post(
        reverse("members:carry_over", args=[world.term.pk]),
        {"to_term": new_term.pk, "starts_on": "2027-01-01", "continuing": [world.member.pk]},
    )
    assert response.status_code == 302
    assert Member.objects.filter(term=new_term, person=world.member.person).exists()


def test_carry_over_without_anyone_chosen_is_refused(world, client):
    new_term = Term.objects.create(body=world.body, number=16, starts_on=datetime.date(2027, 1, 1))
    client.force_login(world.staff)
    response = client.post(
        reverse("members:carry_over", args=[world.term.pk]),
        {"to_term": new_term.pk, "starts_on": "2027-01-01"},
    )
    assert "请至少选择一位连任的委员" in response.content.decode()
    assert not new_term.members.exists()


def test_a_convenor_who_leaves_no_longer_runs_the_group(world):
    services.member_leave(
        by=world.staff, member=world.convenor, left_on=datetime.date(2026, 3, 1), reason="resigned"
    )
    world.group.refresh_from_db()
    assert world.group.convenor is None
    user = world.convenor.person.user
    assert not viewer_for(user).is_convenor


def test_person_with_seats_in_two_bodies_sees_both_directories(world, client):
    f.MemberFactory(person=world.member.person, term=world.other_term)
    viewer = viewer_for(world.member.person.user)
    assert viewer.seat_body_ids == {world.body.pk, world.other_body.pk}
    client.force_login(world.member.person.user)
    html = client.get(reverse("members:list"), {"body": world.other_body.pk}).content.decode()
    assert world.outsider_member.person.name in html


def test_honour_is_kept_on_the_person(world, client):
    client.force_login(world.staff)
    response = client.post(
        reverse("members:honour_add", args=[world.member.pk]),
        {"title": "优秀政协委员", "level": "province", "awarded_on": "2025-12-01"},
    )
    assert response.status_code == 302
    html = client.get(reverse("members:detail", args=[world.member.pk])).content.decode()
    assert "优秀政协委员(省级)" in html


def test_the_same_honour_twice_in_a_year_is_refused_next_to_the_title(world, client):
    client.force_login(world.staff)
    url = reverse("members:honour_add", args=[world.member.pk])
    data = {"title": "优秀政协委员", "level": "province", "awarded_on": "2025-12-01"}
    assert client.post(url, data).status_code == 302
    response = client.post(url, {**data, "awarded_on": "2025-03-01"})
    assert response.status_code == 200
    assert response.context["form"].errors["title"] == ["2025 年已登记过“优秀政协委员”"]
    assert world.member.person.honours.count() == 1


def test_notice_send_to_a_queryset_is_idempotent(world):
    persons = world.member.person.__class__.objects.filter(seats__term=world.term)
    first = services.notice_send(persons=persons, key="batch-1", title="通知")
    assert first == persons.count()
    assert services.notice_send(persons=persons, key="batch-1", title="通知") == 0
    assert Notice.objects.filter(key="batch-1").count() == first


def test_history_shows_who_changed_the_phone(world, client):
    client.force_login(world.staff)
    member = world.colleague
    services.member_update(
        by=world.staff, member=member, person_fields={"mobile": "13900009999"}, seat_fields={}
    )
    html = client.get(reverse("members:detail", args=[member.pk])).content.decode()
    assert "13900009999" in html
    assert "staff" in html  # who
    # a member does not see the history
    client.force_login(world.member.person.user)
    assert (
        'data-testid="history"'
        not in client.get(reverse("members:detail", args=[member.pk])).content.decode()
    )
