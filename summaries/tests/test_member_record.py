"""The member's annual duty record (年度履职档案): what it shows, whose scores
are shown to whom, who may open it, and that it costs the same number of
queries for a member with a few records and one with many.

The year is made through the services: activities and attendance, a verified
self-reported duty, a proposal, a report adopted and instructed, an honour;
the first quarter published, the second a draft, the year computed under the
Hai'an rulebook (with its 六个一) and made final."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from members.models import Member
from scoring import review
from scoring.models import Score, ScorePeriod
from summaries.member_record import member_record
from summaries.tests.record_makers import YEAR, app, computed, scored_year, year_of

__all__ = ["app", "scored_year"]  # fixtures

pytestmark = pytest.mark.django_db


def url(member, year=YEAR, name="summaries:member_record"):
    return reverse(name, args=[member.pk, year])


def text_of(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


# What it shows ------------------------------------------------------------------------


def test_the_record_shows_the_seat_the_year_and_the_published_scores(client, world, scored_year):
    member = world.member
    annual = Score.objects.get(period=scored_year["annual"], member=member)
    client.force_login(member.person.user)

    response = client.get(url(member))

    assert response.status_code == 200
    text = text_of(response)
    assert f"{YEAR} 年度履职档案" in text
    assert member.person.name in text
    for heading in ("一、基本情况", "二、履职概况", "三、履职考核", "四、参加履职活动"):
        assert heading in text
    for heading in ("五、自报履职(已核实)", "六、提案", "七、社情民意信息", "八、表彰"):
        assert heading in text
    assert "经济界" in text and "经济界小组" in text
    record = response.context["record"]
    assert (record.duty.attended, record.duty.excused, record.duty.absent) == (4, 1, 1)
    assert record.duty.verified == 1
    assert 'data-figure="attended">4<' in response.content.decode()
    assert "关于加快城市更新的建议之1" in text and "第 1 号" in text
    assert "关于停车难的情况反映1" in text and "市级" in text and "省级批示 1 次" in text
    assert "优秀政协委员1" in text
    # the year: total, grade and rank among the assessed members
    assert annual.assessed and annual.total is not None
    assert f"{annual.total:.2f}" in text
    assert annual.grade and annual.grade in text
    assert "第 1 名 / 共" in text
    # the six ones, as stored on the year's score
    assert "六个一" in text and "提交一件提案" in text
    # Q1 is published; Q2 is still a draft: not shown to the member
    assert [row.period.quarter for row in record.quarters] == [1]
    assert "草稿" not in text


def test_drafts_are_shown_to_the_body_staff_only(client, world, scored_year):
    client.force_login(world.staff)
    staff_record = client.get(url(world.member)).context["record"]
    assert [row.period.quarter for row in staff_record.quarters] == [1, 2]
    assert staff_record.quarters[1].is_draft

    for reader in (world.leader, world.member.person.user, world.convenor.person.user):
        client.force_login(reader)
        response = client.get(url(world.member))
        assert [row.period.quarter for row in response.context["record"].quarters] == [1]
        assert "草稿" not in text_of(response)


def test_an_annual_draft_is_not_shown_to_the_member(client, app, world):
    year_of(app, world.member, activities=2)
    computed(app, ScorePeriod.ANNUAL)  # a draft, refreshed nightly

    client.force_login(world.member.person.user)
    response = client.get(url(world.member))
    assert response.context["record"].annual is None
    assert "本年度考核结果尚未发布" in text_of(response)
    # its checklist is the member's progress, as on their own 六个一 page
    assert response.context["record"].checklists

    client.force_login(world.staff)
    assert client.get(url(world.member)).context["record"].annual.is_draft


def test_an_empty_year_reads_as_empty(client, world):
    client.force_login(world.member.person.user)
    response = client.get(url(world.member, year=YEAR - 3))
    assert response.status_code == 200
    text = text_of(response)
    assert "本年度暂无活动记录" in text and "本年度暂无提案" in text
    assert "本年度考核结果尚未发布" in text


def test_the_reads_cost_the_same_for_few_and_many_records(app, world):
    few, many = world.member, world.colleague
    year_of(app, few, activities=1, proposals=1, reports=1, honours=1)
    year_of(app, many, activities=15, proposals=4, reports=4, honours=3)
    for quarter in (1, ScorePeriod.ANNUAL):
        review.period_publish(period=computed(app, quarter), by=world.staff)

    counts = []
    for member in (few, many):
        member = Member.objects.select_related("person", "term__body", "sector", "group").get(
            pk=member.pk
        )
        with CaptureQueriesContext(connection) as queries:
            record = member_record(member=member, year=YEAR)
        counts.append(len(queries))
        assert record.annual is not None and len(record.quarters) == 1
    assert len(member_record(member=few, year=YEAR).proposals) == 1
    # committees, participations, verified duties, disputes, proposals, reports
    # with their adoptions and instructions, honours, scores, ranks, the year's
    # latest score for its checklist (content types come from Django's cache)
    assert counts[0] == counts[1] <= 13, counts


def test_the_page_runs_a_bounded_number_of_queries(
    client, app, world, django_assert_max_num_queries
):
    year_of(app, world.member, activities=12, proposals=3, reports=3, honours=2)
    review.period_publish(period=computed(app, 1), by=world.staff)
    client.force_login(world.member.person.user)
    client.get(url(world.member))  # content types cached, as in a running server
    # session, user, the member, viewer (2), the record (12: see above), the
    # notice badge and its person, the session saved (savepoint, update, release)
    with django_assert_max_num_queries(22):
        assert client.get(url(world.member)).status_code == 200


# Who may open it ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reader", "status"),
    [
        ("member", 200),
        ("convenor", 200),
        ("staff", 200),
        ("leader", 200),
        ("admin", 200),
        ("colleague", 404),  # same group, not its convenor
        ("other_member", 404),
        ("other_staff", 404),  # staff of a lower body
        ("outsider_member", 404),
    ],
)
def test_who_may_open_a_members_record(client, world, reader, status):
    user = getattr(world, reader)
    client.force_login(user if not isinstance(user, Member) else user.person.user)
    assert client.get(url(world.member)).status_code == status


def test_an_upper_body_reads_its_lower_bodies_members(client, world):
    lower = world.outsider_member  # a member of the county body under the city
    for reader in (world.staff, world.leader):
        client.force_login(reader)
        assert client.get(url(lower)).status_code == 200
    client.force_login(world.staff)
    # upper-body staff read, but the lower body's unpublished scores are not theirs
    assert client.get(url(lower)).context["record"].drafts_shown is False


def test_a_member_reads_the_record_of_a_seat_they_have_left(client, world):
    seat = world.member
    Member.objects.filter(pk=seat.pk).update(
        left_on=datetime.date(YEAR, 2, 1), left_reason="resigned"
    )
    client.force_login(seat.person.user)
    assert client.get(url(seat)).status_code == 200


def test_outsiders_learn_nothing(client, world):
    client.force_login(world.other_member.person.user)
    missing = Member.objects.order_by("-pk").first().pk + 100
    assert client.get(reverse("summaries:member_record", args=[missing, YEAR])).status_code == 404
    assert client.get(url(world.member)).status_code == 404
    client.force_login(world.member.person.user)
    assert client.get(url(world.member, year=1900)).status_code == 404
    client.logout()
    assert client.get(url(world.member)).status_code == 302


# Where it is linked from --------------------------------------------------------------


def test_the_record_is_linked_from_the_members_pages(client, world, scored_year):
    client.force_login(world.staff)
    page = client.get(reverse("members:detail", args=[world.member.pk])).content.decode()
    assert url(world.member) in page

    client.force_login(world.member.person.user)
    page = client.get(reverse("duties:record", args=[world.member.pk])).content.decode()
    assert url(world.member) in page
    page = client.get(reverse("scoring:mine")).content.decode()
    assert url(world.member) in page
