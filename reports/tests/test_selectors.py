"""The facts scoring and summaries read: per member and year, highest level
only, in a constant number of queries."""

import datetime

import pytest
from django.utils import timezone

from members.models import Member
from reports import selectors, services
from reports.models import Level, SocialInfoReport
from reports.tests import factories as rf

pytestmark = pytest.mark.django_db


def _adopt(report, staff, *levels, on=None):
    for level in levels:
        services.report_adoption_record(
            report=report,
            by=staff,
            level=level,
            mode="single",
            adopted_on=on or timezone.localdate(),
        )


def _instruct(report, staff, level, leader="领导", on=None):
    services.report_instruction_record(
        report=report,
        by=staff,
        level=level,
        leader=leader,
        instructed_on=on or timezone.localdate(),
    )


def test_the_highest_adoption_and_instruction_count_once(world, today):
    # given: S1 adopted by the city and the province, instructed by a province and a city leader
    s1 = rf.used(world.member, world.staff, title="S1")
    _adopt(s1, world.staff, Level.CITY, Level.PROVINCE)
    _instruct(s1, world.staff, Level.CITY, "市长")
    _instruct(s1, world.staff, Level.PROVINCE, "副省长")
    s2 = rf.submitted(world.member, title="S2")
    services.report_not_use(report=s2, by=world.staff, reason="重复")
    # when
    facts = selectors.report_facts_for(members=[world.member], year=today.year)
    # then
    by_title = {fact.title: fact for fact in facts[world.member.pk]}
    assert by_title["S1"].used is True
    assert by_title["S1"].adoption_level == Level.PROVINCE
    assert by_title["S1"].adoption_levels == (Level.CITY, Level.PROVINCE)
    assert by_title["S1"].adopted_on == today
    assert by_title["S1"].instruction_level == Level.PROVINCE
    assert by_title["S1"].instruction_count == 2
    assert by_title["S2"].used is False
    assert by_title["S2"].adoption_level == "" and by_title["S2"].adopted_on is None
    counts = selectors.report_counts_for(members=[world.member], year=today.year)[world.member.pk]
    assert (counts.submitted, counts.used) == (2, 1)
    assert counts.adopted_by_level == {"county": 0, "city": 0, "province": 1, "national": 0}
    assert counts.instructed_by_level["province"] == 1 and counts.instructed_by_level["city"] == 0


def test_facts_keep_the_proposal_link_and_leave_out_other_years_and_withdrawals(world, today):
    proposal = rf.proposal_for(world, member=world.member)
    converted = services.report_create_from_proposal(proposal=proposal, by=world.staff)
    withdrawn = rf.submitted(world.member, title="撤回的")
    services.report_withdraw(report=withdrawn, by=world.member.person.user)
    old = rf.submitted(world.member, title="去年的")
    SocialInfoReport.objects.filter(pk=old.pk).update(
        submitted_at=timezone.now() - datetime.timedelta(days=400)
    )
    rf.draft(world.member, title="草稿")
    facts = selectors.report_facts_for(
        members=Member.objects.filter(pk=world.member.pk), year=today.year
    )
    assert [(x.report_id, x.proposal_id) for x in facts[world.member.pk]] == [
        (converted.pk, proposal.pk)
    ]


def test_facts_take_a_constant_number_of_queries(world, today, django_assert_num_queries):
    members = [world.member, world.colleague, world.convenor]
    for member in members:
        for n in range(3):
            report = rf.used(member, world.staff, title=f"{member.pk}-{n}")
            _adopt(report, world.staff, Level.CITY)
            _instruct(report, world.staff, Level.CITY)
    # reports, adoptions, instructions
    with django_assert_num_queries(3):
        facts = selectors.report_facts_for(members=members, year=today.year)
    assert sum(len(v) for v in facts.values()) == 9
    # and with a queryset of members (a subquery, not a query)
    with django_assert_num_queries(3):
        selectors.report_counts_for(members=Member.objects.filter(term=world.term), year=today.year)


def test_a_year_summary_for_a_body(world, today, django_assert_num_queries):
    a = rf.used(world.member, world.staff, title="A")
    _adopt(a, world.staff, Level.CITY, Level.NATIONAL)
    _instruct(a, world.staff, Level.NATIONAL)
    rf.accepted(world.colleague, world.staff, title="B")
    c = rf.submitted(world.colleague, title="C")
    services.report_not_use(report=c, by=world.staff, reason="重复")
    rf.draft(world.member, title="草稿不计")
    rf.submitted(world.outsider_member, title="别的政协")
    with django_assert_num_queries(4):
        summary = selectors.report_year_summary(body=world.body, year=today.year)
    assert summary["submitted"] == 3
    assert summary["by_status"] == {
        "submitted": 0,
        "accepted": 1,
        "used": 1,
        "not_used": 1,
        "withdrawn": 0,
    }
    assert summary["authors"]["members"] == 2
    assert summary["adopted_by_level"] == {"county": 0, "city": 1, "province": 0, "national": 1}
    assert summary["adopted_by_mode"]["single"] == 2
    assert summary["instructed_by_level"]["national"] == 1


def test_the_list_shows_the_highest_levels_and_filters_by_them(world, today):
    a = rf.used(world.member, world.staff, title="A")
    _adopt(a, world.staff, Level.COUNTY, Level.PROVINCE)
    _instruct(a, world.staff, Level.CITY)
    rf.accepted(world.colleague, world.staff, title="B")
    rows = list(selectors.report_list(user=world.staff))
    assert [(r.title, r.top_adoption_label, r.top_instruction_label) for r in rows] == [
        ("B", "", ""),
        ("A", "省级", "市级"),
    ]
    assert [r.title for r in selectors.report_list(user=world.staff, level="province")] == ["A"]
    assert [r.title for r in selectors.report_list(user=world.staff, level="city")] == []
    assert [r.title for r in selectors.report_list(user=world.staff, instructed="any")] == ["A"]
    assert [r.title for r in selectors.report_list(user=world.staff, status="accepted")] == ["B"]
    assert list(selectors.report_list(user=world.staff, year=today.year - 1)) == []


def test_a_bulletin_lists_the_reports_of_its_issue(world, today):
    rf.used(world.member, world.staff, title="第3期甲", issue=3)
    rf.used(world.colleague, world.staff, title="第3期乙", issue=3)
    rf.used(world.colleague, world.staff, title="第4期", issue=4)
    titles = [
        r.title for r in selectors.bulletin_reports(body_id=world.body.pk, year=today.year, issue=3)
    ]
    assert titles == ["第3期甲", "第3期乙"]
    assert selectors.bulletin_issues(body_id=world.body.pk, year=today.year) == [(3, 2), (4, 1)]
