"""A member's annual duty record with scores (年度履职档案): who may open it,
and everything it shows, read in one call with a fixed number of queries
whatever the number of records.

It reads what the other apps keep and computes nothing of its own: the duty
record of duties.selectors, the proposals the member counts as a proposer of,
the reports of reports.selectors, the honours, and the scores the quarterly
review and the annual assessment stored (with the checklist stored on the
annual score, as the member's own 六个一 page shows it). Scores of a version
not yet published are shown to the body's staff only: a member or the
leadership sees the latest published or final version (as scoring.selectors
my_scores decides), or nothing yet."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, OuterRef, Q, Subquery
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from duties.selectors import DutyRecord, duty_record
from members.models import Honour, Member
from members.permissions import Viewer, can_see_full_record, viewer_for
from proposals.models import Proposal, Proposer, Rating
from reports.models import Level, SocialInfoReport
from reports.selectors import ReportFact, report_facts_for
from scoring.models import Score, ScorePeriod
from scoring.selectors import SHOWN_TO_MEMBERS
from sectors.models import Body

FIRST_YEAR, LAST_YEAR = 1949, 2100

# Access ---------------------------------------------------------------------------


def _upper_body_ids(body: Body) -> set[int]:
    """The bodies above this one (a county's city, province, national), read
    in one query: bodies are few, and the chain is walked in memory."""
    if body.parent_id is None:
        return set()
    parents = dict(Body.objects.values_list("pk", "parent_id"))
    found, at = set(), body.parent_id
    while at is not None and at not in found:
        found.add(at)
        at = parents.get(at)
    return found


def can_read_member_record(viewer: Viewer, member: Member, *, user=None) -> bool:
    """The member (any seat of theirs, past ones too), their group's convenor,
    the staff and leadership of their body or of a body above it, admins."""
    if can_see_full_record(viewer, member):
        return True
    if user is not None and user.is_authenticated and member.person.user_id == user.pk:
        return True
    offices = viewer.staff_body_ids | viewer.leadership_body_ids
    return bool(offices) and bool(offices & _upper_body_ids(member.term.body))


def get_member_record_for_user(user, member_pk, year: int) -> Member:
    """The member whose annual record this user may read, else 404 (an outsider
    learns nothing of whether the member exists)."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise Http404
    member = (
        Member.objects.select_related("person", "term__body", "sector", "group")
        .filter(pk=member_pk)
        .first()
    )
    if member is None or not can_read_member_record(viewer_for(user), member, user=user):
        raise Http404
    return member


def sees_drafts(user, member: Member) -> bool:
    """Scores not yet published: the body's staff (and admins) only."""
    return viewer_for(user).can_manage_body(member.term.body_id)


# What the record shows ----------------------------------------------------------------


@dataclass
class ProposalRow:
    proposal: Proposal
    role_label: str
    satisfaction_label: str


@dataclass
class ReportRow:
    fact: ReportFact

    @property
    def status_label(self) -> str:
        status = self.fact.status
        return str(SocialInfoReport.Status(status).label) if status else ""

    @property
    def adopted_by(self) -> str:
        """Every level that adopted it, lowest first: 市级、省级."""
        return "、".join(level_label(level) for level in self.fact.adoption_levels)

    @property
    def instructed_by(self) -> str:
        """The highest leader level that instructed on it, and how many instructions."""
        if not self.fact.instruction_level:
            return ""
        return _("%(level)s批示 %(n)s 次") % {
            "level": level_label(self.fact.instruction_level),
            "n": self.fact.instruction_count,
        }


@dataclass
class ScoreRow:
    """One period's score of the member: a quarter's year to date, or the year."""

    score: Score
    rank: int | None  # among the period's assessed members; ties share one
    ranked: int  # how many were assessed
    categories: list[tuple[str, Decimal | None]]  # top-level category name, total

    @property
    def period(self) -> ScorePeriod:
        return self.score.period

    @property
    def is_draft(self) -> bool:
        return self.score.period.status == ScorePeriod.Status.DRAFT

    @property
    def status_label(self) -> str:
        return self.score.period.get_status_display()


@dataclass
class ChecklistItem:
    name: str
    required: bool
    met: bool
    count: int


@dataclass
class Checklist:
    name: str
    items: list[ChecklistItem]
    computed_at: datetime.datetime

    @property
    def required_met(self) -> int:
        return sum(1 for i in self.items if i.required and i.met)

    @property
    def required_count(self) -> int:
        return sum(1 for i in self.items if i.required)

    @property
    def complete(self) -> bool:
        return self.required_met == self.required_count


@dataclass
class MemberRecord:
    member: Member
    year: int
    committees: list[str]
    duty: DutyRecord
    proposals: list[ProposalRow]
    reports: list["ReportRow"]
    honours: list[Honour]
    quarters: list[ScoreRow]  # in quarter order, only those the reader may see
    annual: ScoreRow | None
    checklists: list[Checklist]
    drafts_shown: bool
    generated_on: datetime.date = field(default_factory=timezone.localdate)

    @property
    def activities(self):
        return [e for e in self.duty.entries if e.is_activity]

    @property
    def self_reported(self):
        return [e for e in self.duty.entries if not e.is_activity]

    @property
    def proposals_accepted(self) -> int:
        return sum(1 for p in self.proposals if p.proposal.number is not None)

    @property
    def reports_adopted(self) -> int:
        return sum(1 for r in self.reports if r.fact.adoption_level)

    @property
    def reports_instructed(self) -> int:
        return sum(1 for r in self.reports if r.fact.instruction_level)


def _proposals(member: Member, year: int) -> list[ProposalRow]:
    """The proposals of the year (by submission) the member is first or a
    confirmed co-proposer of, with the latest satisfaction: one query."""
    latest = Rating.objects.filter(proposal=OuterRef("proposal_id")).order_by("-round")
    rows = (
        Proposer.objects.filter(
            member=member,
            status=Proposer.Status.CONFIRMED,
            proposal__submitted_at__year=year,
        )
        .exclude(proposal__status=Proposal.Status.WITHDRAWN)
        .select_related("proposal")
        .annotate(satisfaction=Subquery(latest.values("satisfaction")[:1]))
        .order_by("proposal__submitted_at", "proposal_id")
    )
    labels = dict(Rating.Satisfaction.choices)
    return [
        ProposalRow(
            proposal=row.proposal,
            role_label=row.get_role_display(),
            satisfaction_label=str(labels.get(row.satisfaction, "")),
        )
        for row in rows
    ]


def _score_rows(member: Member, year: int, *, drafts: bool) -> dict[int, ScoreRow]:
    """By quarter (0: the year), the score of the version the reader may see:
    the latest version, or for those who see no drafts the latest published or
    final one. Two queries: the member's scores, then every rank at once."""
    scores = Score.objects.filter(
        member=member, period__body_id=member.term.body_id, period__year=year
    )
    if not drafts:
        scores = scores.filter(period__status__in=SHOWN_TO_MEMBERS)
    latest: dict[int, Score] = {}
    for score in scores.select_related("period").order_by("period__quarter", "period__version"):
        latest[score.period.quarter] = score
    if not latest:
        return {}
    mine = Score.objects.filter(period_id=OuterRef("period_id"), member_id=member.pk)
    ranks = {
        row["period_id"]: row
        for row in Score.objects.filter(
            period_id__in=[s.period_id for s in latest.values()], assessed=True
        )
        .values("period_id")
        .annotate(
            n=Count("pk"),
            above=Count("pk", filter=Q(total__gt=Subquery(mine.values("total")[:1]))),
        )
        .order_by()
    }
    rows = {}
    for quarter, score in latest.items():
        counted = ranks.get(score.period_id, {"n": 0, "above": 0})
        rows[quarter] = ScoreRow(
            score=score,
            rank=counted["above"] + 1 if score.assessed and score.total is not None else None,
            ranked=counted["n"],
            categories=[
                (c["name"], None if c["total"] is None else Decimal(c["total"]))
                for c in score.categories
                if not c.get("parent")
            ],
        )
    return rows


def _checklists(score: Score | None) -> list[Checklist]:
    """The checklists stored on the year's score (refreshed nightly)."""
    if score is None or not score.assessed:
        return []
    return [
        Checklist(
            name=c["name"],
            items=[
                ChecklistItem(i["name"], bool(i["required"]), bool(i["met"]), int(i["count"]))
                for i in c["items"]
            ],
            computed_at=score.computed_at,
        )
        for c in score.checklists
    ]


def _latest_annual(member: Member, year: int) -> Score | None:
    """The member's score in the latest version of the year's assessment,
    whatever its state: the checklist on it is what the member's own 六个一
    page shows (one query)."""
    return (
        Score.objects.filter(
            member=member,
            period__body_id=member.term.body_id,
            period__year=year,
            period__quarter=ScorePeriod.ANNUAL,
        )
        .order_by("-period__version")
        .first()
    )


def member_record(*, member: Member, year: int, drafts: bool = False) -> MemberRecord:
    """Everything the annual record shows. Queries, whatever the number of
    records: committees; the duty record (duties.selectors.duty_records:
    participations, verified duties, disputes); proposals; reports (with their
    adoptions and instructions when there are any); honours; the scores and
    their ranks; the year's latest annual score for its checklist."""
    committees = [c.name for c in member.committees.order_by("pk")]
    rows = _score_rows(member, year, drafts=drafts)
    annual = rows.pop(ScorePeriod.ANNUAL, None)
    return MemberRecord(
        member=member,
        year=year,
        committees=committees,
        duty=duty_record(member=member, year=year),
        proposals=_proposals(member, year),
        reports=[
            ReportRow(fact)
            for fact in report_facts_for(members=[member], year=year).get(member.pk, [])
        ],
        honours=list(
            Honour.objects.filter(person_id=member.person_id, awarded_on__year=year).order_by(
                "awarded_on", "pk"
            )
        ),
        quarters=[rows[q] for q in sorted(rows)],
        annual=annual,
        checklists=_checklists(_latest_annual(member, year)),
        drafts_shown=drafts,
    )


def level_label(level: str) -> str:
    return str(Level(level).label) if level in Level.values else ""


def record_title(member: Member, year: int) -> str:
    return _("%(name)s %(year)s 年度履职档案") % {"name": member.person.name, "year": year}
