"""The generator's duty activities: lists consistent with capacity, required lists
complete, and seed_demo's demo-member on every kind of list."""

import io

import pytest
from django.core.management import call_command
from django.db.models import Count, Q
from django.utils import timezone

from bench.generator import DutyBuilder, activities_top_up, generate
from duties.models import Activity, Participation, SelfReportedDuty
from members.models import Member
from sectors.models import Body


@pytest.fixture
def small():
    summary = generate("S", members=60, seed=11, body_name="丙市政协")
    return summary, Body.objects.get(name="丙市政协")


@pytest.mark.django_db
def test_a_small_body_gets_activities_and_lists(small):
    summary, body = small
    activities = Activity.objects.filter(body=body)
    assert summary["activities"] == activities.count() > 50
    assert summary["participations"] == Participation.objects.filter(activity__body=body).count()
    assert summary["self_reported"] > 0
    codes = set(activities.values_list("kind__code", flat=True))
    assert {"plenary", "standing_meeting", "committee_meeting", "group_meeting"} <= codes
    assert codes & {"inspection", "research", "community_consultation", "thematic_consultation"}
    now = DutyBuilder().now  # the default split between history and coming weeks
    past = activities.filter(starts_at__lt=now)
    assert set(past.values_list("status", flat=True)) == {"confirmed", "cancelled"}
    assert set(activities.filter(starts_at__gt=now).values_list("status", flat=True)) == {
        "published"
    }
    assert activities.filter(capacity__isnull=True).exists()
    assert activities.filter(capacity__isnull=False).exists()


@pytest.mark.django_db
def test_signed_up_count_is_the_confirmed_count_and_within_capacity(small):
    _, body = small
    activities = Activity.objects.filter(body=body).annotate(
        confirmed=Count("participations", filter=Q(participations__signup="confirmed"))
    )
    for activity in activities:
        assert activity.signed_up_count == activity.confirmed, activity.theme
        assert activity.capacity is None or activity.capacity >= activity.confirmed
    waitlisted = Participation.objects.filter(activity__body=body, signup="waitlisted")
    assert waitlisted.exists()
    for p in waitlisted.select_related("activity"):
        assert p.activity.capacity == p.activity.signed_up_count  # only full ones have a queue


@pytest.mark.django_db
def test_required_lists_hold_every_member_sitting_that_day(small):
    _, body = small
    required = Activity.objects.filter(body=body, required_attendance=True)
    assert required.filter(kind__code="plenary").count() == 5
    for activity in required.select_related("kind"):
        day = timezone.localtime(activity.starts_at).date()
        sitting = Member.objects.filter(term=activity.term, joined_on__lte=day).filter(
            Q(left_on__isnull=True) | Q(left_on__gte=day)
        )
        if activity.kind.code == "standing_meeting":
            sitting = sitting.filter(is_standing=True)
        listed = set(activity.participations.values_list("member_id", flat=True))
        assert listed == set(sitting.values_list("pk", flat=True)), activity.theme
        assert set(activity.participations.values_list("source", flat=True)) == {"required"}


@pytest.mark.django_db
def test_past_attendance_and_leave_are_consistent(small):
    _, body = small
    rows = Participation.objects.filter(activity__body=body)
    past = rows.filter(activity__status="confirmed", signup="confirmed")
    assert not past.filter(attendance="").exists()
    counts = dict(past.values_list("attendance").annotate(n=Count("pk")))
    assert counts["attended"] > 5 * counts["excused"] > 0 and counts["absent"] > 0
    excused = past.filter(attendance="excused")
    assert not excused.exclude(leave="approved").exists()
    assert not excused.filter(leave_reason="").exists()
    assert (
        not rows.filter(activity__status__in=["published", "cancelled"])
        .exclude(attendance="")
        .exists()
    )
    assert rows.filter(signup="withdrawn").exists()
    statuses = set(
        SelfReportedDuty.objects.filter(member__term__body=body).values_list("status", flat=True)
    )
    assert statuses == {"verified", "submitted", "returned"}


@pytest.mark.django_db
def test_generation_is_deterministic_and_not_repeated():
    def shape(name):
        rows = (
            Activity.objects.filter(body__name=name)
            .order_by("starts_at", "kind__code", "signed_up_count")
            .values_list("kind__code", "theme", "starts_at", "capacity", "signed_up_count")
        )
        return sorted(repr((code, theme.replace(name, ""), *rest)) for code, theme, *rest in rows)

    generate("S", members=30, seed=5, body_name="丁市政协")
    generate("S", members=30, seed=5, body_name="戊市政协")
    assert shape("丁市政协") == shape("戊市政协")
    before = Participation.objects.count()
    assert generate("S", members=30, seed=5, body_name="丁市政协")["created"] is False
    assert Participation.objects.count() == before


@pytest.mark.django_db
def test_top_up_publishes_coming_activities_only_when_none_is_open():
    generate("S", members=30, seed=5, body_name="己市政协")
    body = Body.objects.get(name="己市政协")
    later = timezone.now().replace(year=2027, month=6, day=1)
    assert activities_top_up(body, now=later) > 0
    assert Activity.objects.filter(body=body).open_for_signup(later).exists()
    assert activities_top_up(body, now=later) == 0


@pytest.mark.django_db
def test_seed_demo_puts_demo_member_on_every_kind_of_list():
    call_command("seed_demo", stdout=io.StringIO())
    now = timezone.now()
    mine = Participation.objects.filter(member__person__user__username="demo-member")
    past = mine.filter(activity__status="confirmed", activity__starts_at__lt=now)
    assert {"attended", "excused", "absent"} <= set(past.values_list("attendance", flat=True))
    excused = past.filter(attendance="excused").first()
    assert excused.leave == "approved" and excused.leave_reason
    coming = mine.filter(activity__status="published", activity__starts_at__gt=now)
    assert coming.filter(signup="confirmed", activity__required_attendance=False).exists()
    waiting = coming.get(signup="waitlisted")
    assert waiting.activity.signed_up_count == waiting.activity.capacity
    city = Body.objects.get(name="江城市政协")
    assert Activity.objects.filter(body=city, required_attendance=False).open_for_signup().exists()
    duties = SelfReportedDuty.objects.filter(member__person__user__username="demo-member")
    assert {"verified", "submitted"} <= set(duties.values_list("status", flat=True))
