"""The duty record (履职档案): what it holds, its totals, who sees it, and that
its reads cost the same number of queries whatever the data."""

import datetime
import zoneinfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from duties import self_reported
from duties.models import Activity, Participation
from duties.selectors import duty_record, duty_records, participations_for
from tests import factories as f
from tests.matrix.records import activity_make, duty_make, participation_make

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db

A = Participation.Attendance


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def at(month, day, year=2025, hour=9):
    return datetime.datetime(year, month, day, hour, tzinfo=SHANGHAI)


@pytest.fixture
def year_of_duties(world):
    """The member's 2025: three inspections (attended, absent, excused), a
    consultation as speaker, a training signed up for, a verified good deed, and
    what must stay out (a withdrawn sign-up, a cancelled activity, a draft, an
    unverified duty, a 2024 activity, a colleague's attendance)."""
    m = world.member
    rows = {}
    rows["inspection1"] = participation_make(
        activity_make(world, when=at(3, 1), theme="视察一"), m, attendance=A.ATTENDED
    )
    rows["inspection2"] = participation_make(
        activity_make(world, when=at(4, 1), theme="视察二"), m, attendance=A.ABSENT
    )
    rows["inspection3"] = participation_make(
        activity_make(world, when=at(5, 1), theme="视察三"), m, attendance=A.EXCUSED
    )
    rows["consultation"] = participation_make(
        activity_make(
            world, code="thematic_consultation", when=at(6, 1), theme="专题协商:营商环境"
        ),
        m,
        attendance=A.ATTENDED,
        role=Participation.Role.SPEAKER,
    )
    rows["training"] = participation_make(
        activity_make(world, code="training", when=at(7, 1), theme="履职培训"), m
    )
    rows["good_deed"] = duty_make(world, done_on=datetime.date(2025, 6, 1), verify=True)
    participation_make(
        activity_make(world, when=at(8, 1), theme="已退出的活动"),
        m,
        signup=Participation.Signup.WITHDRAWN,
    )
    participation_make(
        activity_make(world, when=at(8, 2), theme="取消的活动", status=Activity.Status.CANCELLED),
        m,
    )
    participation_make(
        activity_make(world, when=at(8, 3), theme="草稿活动", status=Activity.Status.DRAFT), m
    )
    duty_make(world, done_on=datetime.date(2025, 6, 2))  # submitted, not verified
    participation_make(
        activity_make(world, when=at(9, 1, year=2024), theme="去年的活动"), m, attendance=A.ATTENDED
    )
    participation_make(
        activity_make(world, when=at(9, 2), theme="同事的活动"),
        world.colleague,
        attendance=A.ATTENDED,
    )
    return rows


def test_the_record_holds_the_years_duties_in_date_order(world, year_of_duties):
    record = duty_record(member=world.member, year=2025)
    titles = [e.title for e in record.entries]
    # On the same day, the activity before the self-reported duty.
    assert titles == [
        "视察一",
        "视察二",
        "视察三",
        "专题协商:营商环境",
        "为社区老人义诊",
        "履职培训",
    ]
    assert [e.date for e in record.entries] == sorted(e.date for e in record.entries)
    statuses = [e.status for e in record.entries]
    assert statuses == ["attended", "absent", "excused", "attended", "verified", "signed_up"]


def test_a_consultation_shows_the_members_role(world, year_of_duties):
    entry = next(
        e for e in duty_record(member=world.member, year=2025).entries if e.is_consultation
    )
    assert entry.title == "专题协商:营商环境"
    assert entry.role_label == "发言"


def test_the_totals_count_per_kind(world, year_of_duties):
    record = duty_record(member=world.member, year=2025)
    totals = {
        t.kind.code: (t.attended, t.excused, t.absent, t.signed_up, t.verified)
        for t in record.totals
    }
    assert totals == {
        "inspection": (1, 1, 1, 0, 0),
        "thematic_consultation": (1, 0, 0, 0, 0),
        "training": (0, 0, 0, 1, 0),
        "good_deed": (0, 0, 0, 0, 1),
    }
    assert (record.attended, record.excused, record.absent, record.signed_up) == (2, 1, 1, 1)
    assert record.verified == 1


def test_another_year_is_another_record(world, year_of_duties):
    record = duty_record(member=world.member, year=2024)
    assert [e.title for e in record.entries] == ["去年的活动"]


def test_the_page_shows_the_record_and_switches_years(client, world, year_of_duties):
    client.force_login(world.member.person.user)
    url = reverse("duties:record", args=[world.member.pk])
    html = client.get(url + "?year=2025").content.decode()
    assert "视察三" in html and "专题协商:营商环境" in html and "为社区老人义诊" in html
    assert "去年的活动" not in html and "取消的活动" not in html
    assert 'href="?year=2024"' in html
    html = client.get(url + "?year=2024").content.decode()
    assert "去年的活动" in html and "视察一" not in html
    # A year that is not a number falls back to the latest.
    assert client.get(url + "?year=abc").context["year"] == timezone.localdate().year


def test_my_record_leads_to_the_members_own_page(client, world):
    client.force_login(world.member.person.user)
    response = client.get(reverse("duties:my_record"))
    assert response["Location"] == reverse("duties:record", args=[world.member.pk])


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("member", 200),
        ("convenor", 200),
        ("staff", 200),
        ("leader", 200),
        ("admin", 200),
        ("colleague", 404),
        ("other_member", 404),
        ("other_staff", 404),
        ("outsider_member", 404),
    ],
)
def test_who_sees_a_members_record(client, world, who, status):
    persona = getattr(world, who)
    client.force_login(persona.person.user if hasattr(persona, "person") else persona)
    response = client.get(reverse("duties:record", args=[world.member.pk]))
    assert response.status_code == status


def test_only_the_member_is_offered_to_dispute(client, world, year_of_duties):
    url = reverse("duties:record", args=[world.member.pk]) + "?year=2025"
    client.force_login(world.staff)
    assert "提出异议" not in client.get(url).content.decode()
    client.force_login(world.member.person.user)
    assert "提出异议" in client.get(url).content.decode()


# Constant queries -------------------------------------------------------------


def _fill(world, member, n):
    """n activities attended and n verified duties for a member in 2025."""
    kind_at = [activity_make(world, when=at(1 + i % 12, 1 + i % 28)) for i in range(n)]
    Participation.objects.bulk_create(
        Participation(activity=a, member=member, attendance=A.ATTENDED) for a in kind_at
    )
    for i in range(n):
        duty = duty_make(world, member, done_on=datetime.date(2025, 1 + i % 12, 1))
        self_reported.duty_verify(duty=duty, by=world.staff)


def _count(fn) -> int:
    with CaptureQueriesContext(connection) as queries:
        fn()
    return len(queries)


def test_the_record_costs_the_same_queries_for_5_or_50_rows(world, django_assert_max_num_queries):
    _fill(world, world.member, 5)
    _fill(world, world.colleague, 50)
    # participations with activity and kind; verified duties with kind; disputes
    with django_assert_max_num_queries(3):
        small = duty_record(member=world.member, year=2025)
    with django_assert_max_num_queries(3):
        large = duty_record(member=world.colleague, year=2025)
    assert len(small.entries) == 10 and len(large.entries) == 100


def test_many_members_records_cost_the_same_queries(world, django_assert_max_num_queries):
    extra = [f.MemberFactory(term=world.term) for _ in range(5)]
    for m in [world.member, *extra]:
        _fill(world, m, 2)
    with django_assert_max_num_queries(3):
        records = duty_records(members=[world.member, *extra], year=2025)
    assert all(len(r.entries) == 4 for r in records.values())
    with django_assert_max_num_queries(1):
        assert len(list(participations_for([world.member, *extra], 2025))) == 12


def test_the_record_page_costs_the_same_queries_for_5_or_50_rows(client, world):
    client.force_login(world.staff)
    _fill(world, world.member, 5)
    _fill(world, world.colleague, 50)
    small_url = reverse("duties:record", args=[world.member.pk]) + "?year=2025"
    large_url = reverse("duties:record", args=[world.colleague.pk]) + "?year=2025"
    client.get(small_url)  # warm the content-type cache
    small = _count(lambda: client.get(small_url))
    large = _count(lambda: client.get(large_url))
    assert small == large
    # session, user, member, body roles, seats, participations, duties, disputes;
    # then the page frame: unread notices, the user's person, the session's save
    assert small <= 13


def test_the_review_queue_and_my_list_cost_the_same_queries(client, world):
    client.force_login(world.staff)
    for _ in range(5):
        duty_make(world)
    small = _count(lambda: client.get(reverse("duties:duty_review_queue")))
    for _ in range(45):
        duty_make(world, world.colleague)
    large = _count(lambda: client.get(reverse("duties:duty_review_queue")))
    assert small == large
    client.force_login(world.colleague.person.user)
    small = _count(lambda: client.get(reverse("duties:duty_list")))
    for _ in range(5):
        duty_make(world, world.colleague)
    assert _count(lambda: client.get(reverse("duties:duty_list"))) == small
