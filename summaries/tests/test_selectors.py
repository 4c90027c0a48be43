"""The summaries read what scoring, duties, proposals and reports recorded:
each figure is checked against the other apps' own reads of the same data
(the annual assessment, the committee's compliance table, the sector groups,
the year's reports) or against a plain count of the rows."""

from collections import Counter, defaultdict
from decimal import ROUND_HALF_UP, Decimal

import pytest

from duties.models import Participation
from proposals.models import Proposal
from reports.selectors import report_year_summary
from scoring import annual, checklists, services
from scoring.annual_selectors import annual_period, period_scores
from scoring.models import Score
from sectors.models import Sector, SectorGroup
from summaries import selectors
from summaries.tests.helpers import YEAR, assessed_body
from tests.matrix.annual import haian_text

pytestmark = pytest.mark.django_db


def _average(totals) -> Decimal | None:
    totals = list(totals)
    if not totals:
        return None
    return (sum(totals) / len(totals)).quantize(Decimal("0.01"), ROUND_HALF_UP)


def test_grades_members_and_average_are_the_assessments(body):
    # given the year's assessment as the annual page reads it
    period = annual_period(body_id=body.pk, year=YEAR)
    assessment = annual.assessment_read(period=period)

    # when
    summary = selectors.summary_read(body=body, year=YEAR)

    # then
    assert summary.has_scores
    assert summary.members == len(assessment.scores)
    assert summary.assessed == len(assessment.assessed)
    assert summary.average == _average(s.total for s in assessment.assessed)
    assert [(g.name, g.count) for g in summary.grades] == assessment.grade_counts
    last = annual.assessment_read(period=annual_period(body_id=body.pk, year=YEAR - 1))
    assert [g.previous for g in summary.grades] == [n for _name, n in last.grade_counts]
    assert summary.previous_average == _average(s.total for s in last.assessed)


def test_top_and_bottom_ten_are_the_ranking_ends(body):
    assessment = annual.assessment_read(period=annual_period(body_id=body.pk, year=YEAR))
    ranked = [(s.rank, s.member_id, s.total) for s in assessment.assessed]

    summary = selectors.summary_read(body=body, year=YEAR)

    assert [(r.rank, r.total) for r in summary.top] == [(rank, t) for rank, _m, t in ranked[:10]]
    assert [(r.rank, r.total) for r in summary.bottom] == [(k, t) for k, _m, t in ranked[-10:]]
    assert len(summary.top) == len(summary.bottom) == 10
    assert summary.top[0].name and summary.top[0].sector


def test_compliance_by_sector_and_group_is_the_committees_table(body):
    period = annual_period(body_id=body.pk, year=YEAR)
    scores = list(period_scores(period=period))
    checklist = period.rulebook.parsed().checklists[0]
    table = checklists.compliance(scores, checklist)

    summary = selectors.summary_read(body=body, year=YEAR)

    assert summary.checklist_name == "六个一"
    assert (summary.total.with_checklist, summary.total.complete) == (
        table.total.members,
        table.total.complete,
    )
    assert {u.name: (u.with_checklist, u.complete) for u in summary.sectors} == {
        r.label: (r.members, r.complete) for r in table.sectors
    }
    assert {u.name: (u.with_checklist, u.complete) for u in summary.groups} == {
        r.label: (r.members, r.complete) for r in table.groups
    }


def _complete_one(period) -> Score:
    """One assessed member's stored checklist made complete (every required item met)."""
    score = Score.objects.filter(period=period, assessed=True).order_by("pk").first()
    for checklist in score.checklists:
        for item in checklist["items"]:
            item["met"] = item["met"] or item["required"]
    score.save(update_fields=["checklists"])
    return score


def test_a_member_who_meets_every_required_item_counts_as_complete(body):
    # given one member whose stored checklist has every required item met
    period = annual_period(body_id=body.pk, year=YEAR)
    score = _complete_one(period)

    summary = selectors.summary_read(body=body, year=YEAR)

    sector = next(u for u in summary.sectors if u.key == score.member.sector_id)
    assert sector.complete >= 1
    table = checklists.compliance(
        list(period_scores(period=period)), period.rulebook.parsed().checklists[0]
    )
    assert summary.total.complete == table.total.complete >= 1


def test_sector_averages_and_activities_per_member_count_the_rows(body):
    period = annual_period(body_id=body.pk, year=YEAR)
    scores = list(Score.objects.filter(period=period).select_related("member__sector"))
    members = {s.member_id: s.member for s in scores}
    attended = Counter(
        members[member_id].sector.name
        for member_id in Participation.objects.attended()
        .filter(member_id__in=members, activity__starts_at__year=YEAR)
        .values_list("member_id", flat=True)
    )
    totals = defaultdict(list)
    seats = Counter()
    for s in scores:
        seats[s.member.sector.name] += 1
        if s.assessed:
            totals[s.member.sector.name].append(s.total)

    summary = selectors.summary_read(body=body, year=YEAR)

    assert {u.name: u.average for u in summary.sectors} == {
        name: _average(t) for name, t in totals.items()
    }
    assert {u.name: u.members for u in summary.sectors} == dict(seats)
    assert {u.name: u.attended for u in summary.sectors} == {n: attended[n] for n in seats}
    assert summary.total.attended == sum(attended.values())
    assert sum(u.members for u in summary.sectors) == summary.members


def test_groups_carry_the_score_rank_and_candidacy_scoring_gives_them(body):
    period = annual_period(body_id=body.pk, year=YEAR)
    rows, how, _rule = annual.sector_groups_read(period=period)

    summary = selectors.summary_read(body=body, year=YEAR)

    expected = {r.group.pk: (r.score, r.rank, r.candidate) for r in rows if r.members}
    assert {u.key: (u.score, u.rank, u.candidate) for u in summary.groups} == expected
    assert summary.group_how == how


def test_lists_are_the_assessments_lists(body):
    assessment = annual.assessment_read(period=annual_period(body_id=body.pk, year=YEAR))

    summary = selectors.summary_read(body=body, year=YEAR)

    assert [(e.code, e.name, e.conditions) for e in summary.follow_ups] == [
        (e.code, e.name, e.conditions) for e in assessment.follow_ups
    ]
    for mine, theirs in zip(summary.follow_ups, assessment.follow_ups, strict=True):
        assert {m.member_id: m.reasons for m in mine.members} == {
            m.score.member_id: m.reasons for m in theirs.members
        }
        assert mine.count == len(theirs.members)
    for mine, theirs in zip(summary.candidates, assessment.candidates, strict=True):
        assert {m.member_id for m in mine.members} == {m.score.member_id for m in theirs.members}


def test_a_list_limit_keeps_the_count(body):
    summary = selectors.summary_read(body=body, year=YEAR, list_limit=3)

    talk = next(e for e in summary.follow_ups if e.code == "reminder_talk")
    assert talk.count > 3
    assert len(talk.members) == 3 and talk.more == talk.count - 3
    # the lowest totals first
    assert [m.total for m in talk.members] == sorted(m.total for m in talk.members)


def test_proposals_and_reports_of_the_year(body):
    proposals = Proposal.objects.submitted().filter(body=body, submitted_at__year=YEAR)
    reports = report_year_summary(body=body, year=YEAR)

    summary = selectors.summary_read(body=body, year=YEAR)

    assert summary.proposals.submitted == proposals.count() > 0
    assert summary.proposals.accepted == proposals.filter(number__isnull=False).count()
    assert summary.previous_proposals.submitted == (
        Proposal.objects.submitted().filter(body=body, submitted_at__year=YEAR - 1).count()
    )
    assert summary.reports.submitted == reports["submitted"]
    assert [n for _label, n in summary.reports.adopted] == list(
        reports["adopted_by_level"].values()
    )
    assert [n for _label, n in summary.reports.instructed] == list(
        reports["instructed_by_level"].values()
    )
    assert summary.proposals.rated > 0


def test_year_over_year_changes(body):
    summary = selectors.summary_read(body=body, year=YEAR)

    changes = {c.label: c for c in summary.changes}
    assert changes["平均分"].delta == summary.average - summary.previous_average
    assert changes["提交提案"].last == summary.previous_proposals.submitted
    assert changes["参加考核人数"].this == summary.assessed


def test_a_sector_is_its_members_with_their_rank_in_the_body(body):
    summary_all = selectors.summary_read(body=body, year=YEAR)
    biggest = max(summary_all.sectors, key=lambda u: u.members)
    sector = Sector.objects.get(pk=biggest.key)

    summary = selectors.summary_read(body=body, year=YEAR, sector=sector)

    assert summary.members == biggest.members
    assert {r.sector for r in summary.ranking} == {sector.name}
    assert [r.rank for r in summary.ranking] == sorted(r.rank for r in summary.ranking)
    everyone = {s.member_id: s.rank for s in annual.assessment_read(period=summary.period).assessed}
    assert {r.member_id: r.body_rank for r in summary.ranking} == {
        r.member_id: everyone[r.member_id] for r in summary.ranking
    }
    assert summary.proposals.submitted <= summary_all.proposals.submitted


def test_a_group_is_its_members(body):
    group = (
        SectorGroup.objects.filter(term__body=body, members__isnull=False).order_by("pk").first()
    )

    summary = selectors.summary_read(body=body, year=YEAR, group=group)

    assert (
        summary.members == Score.objects.filter(period=summary.period, member__group=group).count()
    )
    assert {r.group for r in summary.ranking} == {group.name}


def test_a_year_without_scores_still_has_its_quarters_proposals_and_reports(db):
    body = assessed_body("云水市政协", members=20, years=(YEAR,), quarters=())
    # the annual period of YEAR is there; the next year has only a quarter
    services.rulebook_load(
        body=body,
        year=YEAR + 1,
        text=haian_text(body, YEAR + 1),
        by=None,
        publish=True,
    )
    quarter = services.period_open(body=body, year=YEAR + 1, quarter=1)
    services.period_compute(period=quarter)

    summary = selectors.summary_read(body=body, year=YEAR + 1)

    assert not summary.has_scores
    assert [p.quarter for p in summary.quarters] == [1]
    assert summary.proposals.submitted > 0
    assert summary.previous_average is not None  # last year's assessment
    assert summary.grades == [] and summary.top == []


def test_lower_bodies_side_by_side(body):
    lower = assessed_body("云山市北湖区政协", members=20, years=(YEAR,), quarters=())
    lower.parent = body
    lower.save(update_fields=["parent"])
    empty = assessed_body("云山市南湖区政协", members=10, years=(), quarters=())
    empty.parent = body
    empty.save(update_fields=["parent"])

    rows = selectors.lower_read(body=body, year=YEAR)

    by_name = {r.body.name: r for r in rows}
    assert set(by_name) == {"云山市北湖区政协", "云山市南湖区政协"}
    period = annual_period(body_id=lower.pk, year=YEAR)
    assessment = annual.assessment_read(period=period)
    table = checklists.compliance(
        list(period_scores(period=period)), period.rulebook.parsed().checklists[0]
    )
    north = by_name["云山市北湖区政协"]
    assert north.members == len(assessment.scores)
    assert north.grades == assessment.grade_counts
    assert (north.with_checklist, north.complete) == (table.total.members, table.total.complete)
    south = by_name["云山市南湖区政协"]
    assert south.period is None and south.members > 0 and south.compliance_rate is None


def test_without_jsonb_the_compliance_is_counted_the_same(body, monkeypatch):
    """The SQLite demo counts checklists in Python; PostgreSQL in the grouped query."""
    lower = assessed_body("云山市北湖区政协", members=15, years=(YEAR,), quarters=())
    lower.parent = body
    lower.save(update_fields=["parent"])
    for period in (
        annual_period(body_id=body.pk, year=YEAR),
        annual_period(body_id=lower.pk, year=YEAR),
    ):
        _complete_one(period)
    in_sql = selectors.summary_read(body=body, year=YEAR)
    rows_in_sql = selectors.lower_read(body=body, year=YEAR)

    class NoJsonb:
        vendor = "sqlite"

    monkeypatch.setattr(selectors, "connection", NoJsonb())
    in_python = selectors.summary_read(body=body, year=YEAR)

    def counts(summary):
        return [(u.name, u.with_checklist, u.complete) for u in [*summary.sectors, *summary.groups]]

    assert counts(in_python) == counts(in_sql)
    assert (in_python.total.with_checklist, in_python.total.complete) == (
        in_sql.total.with_checklist,
        in_sql.total.complete,
    )
    assert in_python.previous_compliance == in_sql.previous_compliance
    assert in_sql.total.with_checklist > 0
    assert rows_in_sql[0].with_checklist > 0 and rows_in_sql[0].complete >= 1
    assert in_sql.total.complete >= 1
    assert selectors.lower_read(body=body, year=YEAR) == rows_in_sql
