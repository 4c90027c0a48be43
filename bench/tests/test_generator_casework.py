"""The generator's proposals and social-information reports: proportions, gap-free
numbers, timelines that follow the state machines, handling consistent with each
proposal's status, and nothing dated after the generator's `now`."""

import datetime
from collections import Counter, defaultdict

import pytest
from django.db.models import Count, Q

from bench.generator import DutyBuilder, generate
from bench.generator_casework import PROPOSAL_RATE, REPORT_RATE
from members.models import Member
from proposals import states as proposal_states
from proposals.models import (
    HandlingUnit,
    Proposal,
    ProposalEvent,
    ProposalNumber,
    Proposer,
    Rating,
    Reply,
    Routing,
)
from reports import states as report_states
from reports.models import ReportAdoption, ReportEvent, ReportInstruction, SocialInfoReport
from sectors.models import Body

P = Proposal.Status
RS = Routing.Status
BODY = "庚市政协"
NOW = DutyBuilder().now  # the generator's default `now`: noon of AS_OF


@pytest.fixture
def body(db):
    generate("S", members=80, seed=13, body_name=BODY)
    return Body.objects.get(name=BODY)


def _member_years(body) -> float:
    """Sitting member-years of the body up to NOW."""
    days = 0
    for joined, left, term_start in Member.objects.filter(term__body=body).values_list(
        "joined_on", "left_on", "term__starts_on"
    ):
        end = min(left or NOW.date(), NOW.date())
        days += max(0, (end - max(joined, term_start)).days)
    return days / 365


def test_proposals_and_reports_come_in_realistic_proportions(body):
    proposals = Proposal.objects.filter(body=body)
    years = _member_years(body)
    assert 0.7 * PROPOSAL_RATE < proposals.count() / years < 1.3 * PROPOSAL_RATE
    kinds = Counter(proposals.values_list("kind", flat=True))
    assert 0.6 < kinds["plenary"] / proposals.count() < 0.8
    by_proposer = Counter(proposals.values_list("proposer_kind", flat=True))
    assert by_proposer["member"] > 0.8 * proposals.count()
    assert by_proposer["group"] and by_proposer["party"]
    decided = proposals.exclude(status__in=(P.DRAFT, P.INVITING, P.SUBMITTED))
    accepted = decided.filter(number__isnull=False).count()
    assert 0.65 < accepted / decided.count() < 0.85
    outcomes = set(decided.values_list("status", flat=True))
    assert {P.REJECTED, P.MERGED, P.CONVERTED, P.CLOSED} <= outcomes
    with_co = proposals.filter(proposers__role=Proposer.Role.CO).distinct().count()
    assert 0.25 < with_co / by_proposer["member"] < 0.5
    # about one routing per accepted proposal, and a reply to nearly every one
    routings = Routing.objects.filter(proposal__body=body).exclude(status=RS.WITHDRAWN)
    assert accepted <= routings.count() < 1.6 * accepted
    assert Reply.objects.filter(routing__in=routings, round=1).count() > 0.8 * routings.count()
    assert HandlingUnit.objects.filter(body=body, contacts__isnull=False).count() > 20

    reports = SocialInfoReport.objects.filter(body=body)
    by_member = reports.filter(author_member__isnull=False, from_proposal__isnull=True)
    assert 0.7 * REPORT_RATE < by_member.count() / years < 1.3 * REPORT_RATE
    assert set(reports.values_list("status", flat=True)) == set(SocialInfoReport.Status.values)
    assert reports.filter(author_group__isnull=False).exists()
    assert ReportAdoption.objects.filter(report__body=body).exists()
    assert ReportInstruction.objects.filter(report__body=body).exists()
    # the staff queue holds recent reports only: accepted ones are soon used or not
    waiting = reports.filter(status=SocialInfoReport.Status.ACCEPTED)
    assert not waiting.filter(reviewed_at__lt=NOW - datetime.timedelta(days=30)).exists()


def test_numbers_are_gap_free_per_session_and_kind_and_the_counter_agrees(body):
    numbers = defaultdict(list)
    accepted = Proposal.objects.filter(body=body, number__isnull=False)
    for session, kind, number in accepted.values_list("session", "kind", "number"):
        numbers[session, kind].append(number)
    assert len(numbers) >= 8  # five sessions, both kinds in most
    for key, taken in numbers.items():
        assert sorted(taken) == list(range(1, len(taken) + 1)), key
        assert ProposalNumber.objects.get(session_id=key[0], kind=key[1]).last == len(taken)
    # numbered in order of acceptance
    for (session, kind), _ in numbers.items():
        ordered = accepted.filter(session=session, kind=kind).order_by("accepted_at", "pk")
        assert list(ordered.values_list("number", flat=True)) == sorted(numbers[session, kind])
    assert set(accepted.values_list("status", flat=True)) <= {
        P.ACCEPTED,
        P.ROUTED,
        P.REPLIED,
        P.REHANDLING,
        P.CLOSED,
    }
    assert not Proposal.objects.filter(body=body, number__isnull=True, accepted_at__isnull=False)


def test_every_timeline_follows_the_state_machine_and_ends_in_the_status(body):
    events = defaultdict(list)
    rows = ProposalEvent.objects.filter(proposal__body=body).order_by("at", "pk")
    for row in rows.values_list("proposal_id", "verb", "from_status", "to_status", "at"):
        events[row[0]].append(row[1:])
    for pk, status in Proposal.objects.filter(body=body).values_list("pk", "status"):
        timeline = events[pk]
        assert timeline[0][0] == "created" and timeline[0][2] == P.DRAFT, pk
        current = P.DRAFT
        for verb, before, after, at in timeline[1:]:
            assert at <= NOW, (pk, verb)
            if after:
                assert before == current, (pk, verb, before, current)
                assert proposal_states.can_move(current, after), (pk, current, after)
                current = after
        assert current == status, (pk, current, status)

    events = defaultdict(list)
    rows = ReportEvent.objects.filter(report__body=body).order_by("at", "pk")
    for row in rows.values_list("report_id", "verb", "from_status", "to_status", "at"):
        events[row[0]].append(row[1:])
    for pk, status in SocialInfoReport.objects.filter(body=body).values_list("pk", "status"):
        first, *rest = events[pk]
        assert first[0] in ("created", "converted"), pk
        current = first[2]
        for verb, before, after, at in rest:
            assert at <= NOW, (pk, verb)
            if after:
                assert before == current and report_states.can_move(current, after), (pk, verb)
                current = after
        assert current == status, (pk, current, status)


def test_handling_matches_each_proposals_status(body):
    proposals = Proposal.objects.filter(body=body).annotate(
        live=Count("routings", filter=~Q(routings__status=RS.WITHDRAWN), distinct=True)
    )
    for p in proposals.filter(status__in=(P.DRAFT, P.INVITING, P.SUBMITTED, P.ACCEPTED)):
        assert p.live == 0, p.pk
    for p in proposals.filter(status__in=(P.ROUTED, P.REPLIED, P.REHANDLING, P.CLOSED)):
        assert p.live >= 1, p.pk
        routings = list(p.routings.exclude(status=RS.WITHDRAWN))
        roles = Counter(r.role for r in routings)
        assert (roles["sole"] == 1 and len(routings) == 1) or roles["lead"] == 1, p.pk
        responsible = [r for r in routings if r.role != "assist"]
        if p.status == P.CLOSED:
            assert p.closed_at and {r.status for r in routings} == {RS.DONE}
            assert p.ratings.exists()
        if p.status == P.REPLIED:
            assert all(r.replies.exists() for r in responsible), p.pk
        if p.status == P.REHANDLING:
            assert p.ratings.get(round=1).satisfaction == Rating.Satisfaction.UNSATISFIED
            assert RS.REHANDLING in {r.status for r in routings}
        for r in routings:
            assert r.deadline > r.routed_at.date()
            assert all(reply.at <= NOW for reply in r.replies.all())
    # merged into an accepted proposal of the same session; converted ones say to what
    for p in Proposal.objects.filter(body=body, status=P.MERGED).select_related("merged_into"):
        assert p.merged_into.session_id == p.session_id and p.merged_into.number
    converted = Proposal.objects.filter(body=body, status=P.CONVERTED)
    assert not converted.filter(converted_to="").exists()
    to_report = converted.filter(converted_to=Proposal.ConvertedTo.REPORT)
    assert to_report.count() == SocialInfoReport.objects.filter(from_proposal__in=to_report).count()
    # some routings are overdue, some were reassigned after an objection
    today = NOW.date()
    overdue = Routing.objects.filter(
        proposal__body=body,
        status__in=(RS.ROUTED, RS.REHANDLING),
        deadline__lt=today,
        proposal__status__in=(P.ROUTED, P.REHANDLING),
    )
    assert overdue.exists()
    assert Routing.objects.filter(proposal__body=body, status=RS.WITHDRAWN).exclude(objection="")


def test_proposers_sit_in_the_sessions_term_and_answered_their_invitations(body):
    rows = Proposer.objects.filter(proposal__body=body).select_related(
        "member", "proposal__session"
    )
    for row in rows:
        assert row.member.term_id == row.proposal.session.term_id
    assert not rows.filter(role=Proposer.Role.FIRST).exclude(status="confirmed").exists()
    answered = rows.filter(status__in=("confirmed", "declined"), role=Proposer.Role.CO)
    assert not answered.filter(answered_at__isnull=True).exists()
    statuses = set(rows.filter(role=Proposer.Role.CO).values_list("status", flat=True))
    assert {"confirmed", "declined", "expired"} <= statuses
    # still asking: only while the proposal is inviting, before its deadline
    for row in rows.filter(status=Proposer.Status.INVITED):
        assert row.proposal.status == P.INVITING and row.proposal.cosign_deadline > NOW
    submitted = Proposal.objects.filter(body=body, submitted_at__isnull=False)
    assert not submitted.filter(proposers__status=Proposer.Status.INVITED).exists()
    for proposal in Proposal.objects.filter(body=body).exclude(proposer_kind="member"):
        assert not proposal.proposers.exists()


def test_reports_feedback_comes_after_acceptance_and_by_the_bulletin(body):
    reports = SocialInfoReport.objects.filter(body=body)
    for report in reports.filter(status="used"):
        assert report.bulletin_year and report.bulletin_issue and report.bulletin_text
    assert not reports.filter(status="not_used", not_used_reason="").exists()
    for model, field in ((ReportAdoption, "adopted_on"), (ReportInstruction, "instructed_on")):
        for row in model.objects.filter(report__body=body).select_related("report"):
            assert row.report.status in report_states.FORWARDABLE
            assert row.report.submitted_at.date() <= getattr(row, field) <= NOW.date()
    # a city body's reports are adopted by upper levels only
    levels = set(ReportAdoption.objects.filter(report__body=body).values_list("level", flat=True))
    assert levels <= {"province", "national"}


@pytest.mark.django_db
def test_the_same_seed_gives_the_same_proposals_and_reports():
    def shape(name):
        proposals = Proposal.objects.filter(body__name=name).order_by("created_at", "title")
        reports = SocialInfoReport.objects.filter(body__name=name).order_by("created_at", "title")
        return (
            list(proposals.values_list("title", "status", "kind", "number", "created_at")),
            list(reports.values_list("title", "status", "bulletin_issue", "created_at")),
        )

    generate("S", members=30, seed=5, body_name="辛市政协")
    generate("S", members=30, seed=5, body_name="壬市政协")
    first, second = shape("辛市政协"), shape("壬市政协")
    assert first[0] and first[1]
    strip = [
        [tuple(str(v).replace("辛市", "").replace("壬市", "") for v in row) for row in rows]
        for rows in (*first, *second)
    ]
    assert strip[0] == strip[2] and strip[1] == strip[3]
