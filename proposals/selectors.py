"""Reads on proposals: who counts as a proposer (merged proposals included),
the lists of each role, search and filters, the statistics of a session, and
per-member facts for scoring. Lists are built from querysets with
annotations, so a page runs the same number of queries however many rows."""

import datetime
import re
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from members.models import Member, Person
from members.permissions import viewer_for
from proposals.models import (
    Proposal,
    ProposalEvent,
    Proposer,
    Rating,
    Reply,
    Routing,
)
from proposals.permissions import proposals_visible_to

S = Proposal.Status
COUNTING = (Proposer.Status.CONFIRMED,)  # the first proposer is confirmed on creation


# Proposers ----------------------------------------------------------------------


def merged_family_ids(proposal: Proposal) -> set[int]:
    """The proposal and every proposal merged into it, at any depth (one query
    per level; merges are rarely more than one level deep)."""
    ids, frontier = {proposal.pk}, [proposal.pk]
    while frontier:
        frontier = [
            pk
            for pk in Proposal.objects.filter(merged_into__in=frontier).values_list("pk", flat=True)
            if pk not in ids
        ]
        ids.update(frontier)
    return ids


def proposer_rows_of(proposal: Proposal) -> QuerySet:
    """Proposer rows that count for this proposal: its own confirmed proposers
    and those of the proposals merged into it."""
    return (
        Proposer.objects.filter(proposal_id__in=merged_family_ids(proposal), status__in=COUNTING)
        .select_related("member__person", "member__group")
        .order_by("proposal_id", "order", "id")
    )


def proposers_of(proposal: Proposal) -> QuerySet:
    """The members who count as proposers of this proposal (merged ones too)."""
    return Member.objects.filter(
        proposer_roles__proposal_id__in=merged_family_ids(proposal),
        proposer_roles__status__in=COUNTING,
    ).distinct()


def proposer_person_ids(proposal: Proposal) -> set[int]:
    """Whom to tell about a decision: the proposers, the convenor of a
    proposing group, and the person who entered the proposal."""
    ids = set(proposers_of(proposal).values_list("person_id", flat=True))
    if proposal.proposer_group_id and proposal.proposer_group.convenor_id:
        ids.add(proposal.proposer_group.convenor.person_id)
    ids.update(Person.objects.filter(user_id=proposal.created_by_id).values_list("pk", flat=True))
    return ids


def timeline(proposal: Proposal) -> QuerySet:
    return ProposalEvent.objects.filter(proposal=proposal).select_related("by__person")


# Lists ----------------------------------------------------------------------------


def _first_proposer_name():
    return Subquery(
        Proposer.objects.filter(proposal=OuterRef("pk"), role=Proposer.Role.FIRST).values(
            "member__person__name"
        )[:1]
    )


def _latest_satisfaction(ref: str = "pk"):
    return Subquery(
        Rating.objects.filter(proposal=OuterRef(ref)).order_by("-round").values("satisfaction")[:1]
    )


def with_list_columns(queryset: QuerySet) -> QuerySet:
    """What a list row shows, in the one query: session, group, first
    proposer's name, co-proposer count, latest satisfaction."""
    cosigners = (
        Proposer.objects.filter(
            proposal=OuterRef("pk"), role=Proposer.Role.CO, status=Proposer.Status.CONFIRMED
        )
        .order_by()
        .values("proposal")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return queryset.select_related("session__term__body", "proposer_group").annotate(
        first_proposer_name=_first_proposer_name(),
        cosigner_count=Coalesce(Subquery(cosigners, output_field=IntegerField()), Value(0)),
        satisfaction=_latest_satisfaction(),
    )


def proposals_mine(user) -> QuerySet:
    """Proposals the user proposes (first or confirmed co-proposer) or entered
    (for a group or a party)."""
    # The ids of both kinds in one UNION: an OR of the two conditions makes
    # PostgreSQL read every proposal of every body.
    proposed = (
        Proposer.objects.filter(member__person__user=user, status__in=(Proposer.Status.CONFIRMED,))
        .order_by()
        .values("proposal_id")
    )
    entered = Proposal.objects.filter(created_by=user).order_by().values("pk")
    return with_list_columns(
        Proposal.objects.filter(pk__in=proposed.union(entered)).order_by("-created_at", "-id")
    )


def invitations_awaiting(user, now=None) -> QuerySet:
    """Invitations to sign jointly that this user may still answer."""
    now = now or timezone.now()
    return (
        Proposer.objects.filter(
            member__person__user=user,
            status=Proposer.Status.INVITED,
            proposal__status=S.INVITING,
            proposal__cosign_deadline__gt=now,
        )
        .select_related("proposal")
        .annotate(first_proposer_name=_first_proposer_name_for_row())
        .order_by("proposal__cosign_deadline", "id")
    )


def _first_proposer_name_for_row():
    return Subquery(
        Proposer.objects.filter(proposal=OuterRef("proposal_id"), role=Proposer.Role.FIRST).values(
            "member__person__name"
        )[:1]
    )


def review_queue(user) -> QuerySet:
    """Submitted proposals of the bodies this user reviews, oldest first."""
    viewer = viewer_for(user)
    queryset = Proposal.objects.filter(status=S.SUBMITTED)
    if not viewer.is_admin:
        queryset = queryset.filter(body_id__in=viewer.staff_body_ids)
    return with_list_columns(queryset).order_by("submitted_at", "id")


_NUMBER = re.compile(r"^(?:第)?0*(\d{1,6})(?:号)?$")


def proposal_search(
    queryset: QuerySet,
    *,
    session=None,
    kind: str = "",
    status: str = "",
    category: str = "",
    is_key: bool | None = None,
    unit=None,
    satisfaction: str = "",
    q: str = "",
) -> QuerySet:
    """Filters of the "all proposals" list; q searches the title, the number
    ("12", "0012", "第0012号") and the proposers' names."""
    if session is not None:
        queryset = queryset.filter(session=session)
    if kind:
        queryset = queryset.filter(kind=kind)
    if status:
        queryset = queryset.filter(status=status)
    if category:
        queryset = queryset.filter(category=category)
    if is_key is not None:
        queryset = queryset.filter(is_key=is_key)
    if unit is not None:
        queryset = queryset.filter(
            Exists(
                Routing.objects.filter(proposal=OuterRef("pk"), unit=unit).exclude(
                    status=Routing.Status.WITHDRAWN
                )
            )
        )
    if satisfaction:
        queryset = queryset.alias(latest_satisfaction=_latest_satisfaction()).filter(
            latest_satisfaction=satisfaction
        )
    q = (q or "").strip()
    if q:
        # Matching names first (once), not a lookup per proposal of the body.
        by_name = Proposer.objects.filter(member__person__name__icontains=q).values("proposal_id")
        condition = Q(title__icontains=q) | Q(pk__in=by_name)
        number = _NUMBER.match(q)
        if number:
            condition |= Q(number=int(number.group(1)))
        queryset = queryset.filter(condition)
    return queryset


def proposals_listed(user, **filters) -> QuerySet:
    """The "all proposals" list: what the user may see, filtered, with columns."""
    queryset = proposal_search(proposals_visible_to(user), **filters)
    return with_list_columns(queryset).order_by("-submitted_at", "-created_at", "-id")


# Statistics --------------------------------------------------------------------------


def _rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def session_stats(session) -> dict:
    """Counts of a session, each block one grouped query: totals by outcome,
    replies by class, satisfaction (latest round of each proposal), per
    handling unit (on-time replies and satisfaction) and per sector group (by
    the group of the first proposer)."""
    proposals = Proposal.objects.filter(session=session)
    totals = proposals.aggregate(
        submitted=Count("pk", filter=~Q(status__in=(S.DRAFT, S.INVITING, S.WITHDRAWN))),
        pending=Count("pk", filter=Q(status=S.SUBMITTED)),
        accepted=Count("pk", filter=Q(number__isnull=False)),
        rejected=Count("pk", filter=Q(status=S.REJECTED)),
        merged=Count("pk", filter=Q(status=S.MERGED)),
        converted=Count("pk", filter=Q(status=S.CONVERTED)),
        converted_report=Count(
            "pk", filter=Q(status=S.CONVERTED, converted_to=Proposal.ConvertedTo.REPORT)
        ),
        converted_opinion=Count(
            "pk", filter=Q(status=S.CONVERTED, converted_to=Proposal.ConvertedTo.OPINION)
        ),
        converted_letter=Count(
            "pk", filter=Q(status=S.CONVERTED, converted_to=Proposal.ConvertedTo.LETTER)
        ),
        withdrawn=Count("pk", filter=Q(status=S.WITHDRAWN)),
        key=Count("pk", filter=Q(is_key=True)),
        excellent=Count("pk", filter=Q(is_excellent=True)),
        replied=Count("pk", filter=Q(status__in=(S.REPLIED, S.REHANDLING, S.CLOSED))),
        closed=Count("pk", filter=Q(status=S.CLOSED)),
    )

    by_class = dict(
        Reply.objects.filter(routing__proposal__session=session)
        .order_by()
        .values_list("result")
        .annotate(n=Count("pk"))
    )
    replies = [
        {"result": value, "label": label, "n": by_class.get(value, 0)}
        for value, label in Reply.Result.choices
    ]

    latest_round = Subquery(
        Rating.objects.filter(proposal=OuterRef("proposal_id"))
        .order_by("-round")
        .values("round")[:1]
    )
    by_satisfaction = dict(
        Rating.objects.filter(proposal__session=session)
        .alias(latest=latest_round)
        .filter(round=F("latest"))
        .order_by()
        .values_list("satisfaction")
        .annotate(n=Count("pk"))
    )
    rated = sum(by_satisfaction.values())
    satisfaction = [
        {
            "value": value,
            "label": label,
            "n": by_satisfaction.get(value, 0),
            "rate": _rate(by_satisfaction.get(value, 0), rated),
        }
        for value, label in Rating.Satisfaction.choices
    ]

    sat = _latest_satisfaction("proposal_id")
    units = list(
        Routing.objects.filter(proposal__session=session)
        .exclude(status=Routing.Status.WITHDRAWN)
        .alias(sat=sat)
        .order_by()
        .values("unit_id", "unit__name")
        .annotate(
            routed=Count("pk", distinct=True),
            replied=Count("pk", filter=Q(replies__round=1), distinct=True),
            on_time=Count(
                "pk",
                filter=Q(replies__round=1, replies__at__date__lte=F("deadline")),
                distinct=True,
            ),
            rated=Count("pk", filter=Q(sat__isnull=False), distinct=True),
            satisfied=Count("pk", filter=Q(sat=Rating.Satisfaction.SATISFIED), distinct=True),
            fairly=Count("pk", filter=Q(sat=Rating.Satisfaction.FAIRLY), distinct=True),
            unsatisfied=Count("pk", filter=Q(sat=Rating.Satisfaction.UNSATISFIED), distinct=True),
        )
        .order_by("unit__name")
    )
    for row in units:
        row["on_time_rate"] = _rate(row["on_time"], row["replied"])
        row["satisfied_rate"] = _rate(row["satisfied"] + row["fairly"], row["rated"])

    groups = list(
        Proposer.objects.filter(
            proposal__session=session, role=Proposer.Role.FIRST, member__group__isnull=False
        )
        .order_by()
        .values("member__group_id", "member__group__name")
        .annotate(
            drafted=Count("proposal", distinct=True),
            submitted=Count(
                "proposal",
                filter=~Q(proposal__status__in=(S.DRAFT, S.INVITING, S.WITHDRAWN)),
                distinct=True,
            ),
            accepted=Count("proposal", filter=Q(proposal__number__isnull=False), distinct=True),
            key=Count("proposal", filter=Q(proposal__is_key=True), distinct=True),
        )
        .order_by("member__group__name")
    )
    return {
        "totals": totals,
        "accepted_rate": _rate(totals["accepted"], totals["submitted"]),
        "replies": replies,
        "satisfaction": satisfaction,
        "rated": rated,
        "satisfied_rate": _rate(
            by_satisfaction.get(Rating.Satisfaction.SATISFIED, 0)
            + by_satisfaction.get(Rating.Satisfaction.FAIRLY, 0),
            rated,
        ),
        "units": units,
        "groups": groups,
    }


# Facts for scoring -------------------------------------------------------------------


def proposal_facts_for(members, year: int) -> dict[int, list[dict]]:
    """Per member id: the proposals of `year` (by submission date) they count
    as proposers of, each as {proposal_id, role, status, accepted, is_key,
    is_excellent, merged}. A proposer of a proposal merged into an accepted one
    counts as a co-proposer of the accepted one (merged=True)."""
    member_ids = [m.pk if hasattr(m, "pk") else m for m in members]
    rows = (
        Proposer.objects.filter(
            member_id__in=member_ids,
            status__in=COUNTING,
            proposal__submitted_at__year=year,
        )
        .exclude(proposal__status=S.WITHDRAWN)
        .values(
            "member_id",
            "role",
            "proposal_id",
            "proposal__status",
            "proposal__number",
            "proposal__is_key",
            "proposal__is_excellent",
            "proposal__merged_into_id",
            "proposal__merged_into__number",
            "proposal__merged_into__is_key",
            "proposal__merged_into__is_excellent",
        )
        .order_by("member_id", "proposal_id")
    )
    facts: dict[int, list[dict]] = {pk: [] for pk in member_ids}
    for row in rows:
        merged = row["proposal__status"] == S.MERGED and row["proposal__merged_into_id"]
        prefix = "proposal__merged_into__" if merged else "proposal__"
        facts[row["member_id"]].append(
            {
                "proposal_id": row["proposal__merged_into_id"] if merged else row["proposal_id"],
                "role": Proposer.Role.CO if merged else row["role"],
                "status": row["proposal__status"],
                "accepted": row[f"{prefix}number"] is not None,
                "is_key": bool(row[f"{prefix}is_key"]),
                "is_excellent": bool(row[f"{prefix}is_excellent"]),
                "merged": bool(merged),
            }
        )
    return facts


@dataclass(frozen=True)
class ProposerFact:
    """One member as a proposer of one submitted proposal, as the duty-fact
    ledger reads it. A member who counts only through a proposal merged into
    this one (at any depth) is a co-proposer of this one (merged=True)."""

    member_id: int
    proposal_id: int
    role: str  # Proposer.Role: first / co
    proposers: int  # the members who count as its proposers, merged ones included
    kind: str  # Proposal.Kind
    status: str
    submitted_on: datetime.date  # when this member's own proposal was submitted
    accepted: bool  # given a number (立案), whatever happened since
    accepted_on: datetime.date | None
    is_key: bool
    is_excellent: bool
    converted_to: str  # "" or Proposal.ConvertedTo
    converted_on: datetime.date | None
    merged: bool


def proposer_facts_for(*, members) -> list[ProposerFact]:
    """Every submitted proposal (withdrawn ones left out) the members count as
    proposers of, one row per member and proposal, in any year. Four queries
    whatever the number of members, proposals or merges: the members' proposer
    rows, the merges in their sessions, the proposals those rows come down to,
    and every proposer of those proposals and of the ones merged into them."""
    member_ids = [getattr(m, "pk", m) for m in members]
    not_submitted = (S.DRAFT, S.INVITING, S.WITHDRAWN)
    own = list(
        Proposer.objects.filter(
            member_id__in=member_ids, status__in=COUNTING, proposal__submitted_at__isnull=False
        )
        .exclude(proposal__status__in=not_submitted)
        .values_list(
            "member_id", "role", "proposal_id", "proposal__session_id", "proposal__submitted_at"
        )
    )
    if not own:
        return []
    # Merges stay inside a session: the session's merged proposals are the whole forest.
    parent = dict(
        Proposal.objects.filter(
            session_id__in={row[3] for row in own}, status=S.MERGED
        ).values_list("pk", "merged_into_id")
    )

    def root(pk: int) -> int:
        seen = set()
        while pk in parent and pk not in seen:
            seen.add(pk)
            pk = parent[pk]
        return pk

    converted_at = Subquery(
        ProposalEvent.objects.filter(proposal=OuterRef("pk"), verb="converted")
        .order_by("-at", "-id")
        .values("at")[:1]
    )
    roots = {
        p["pk"]: p
        for p in Proposal.objects.filter(pk__in={root(row[2]) for row in own})
        .exclude(status__in=(*not_submitted, S.MERGED))
        .annotate(converted_at=converted_at)
        .values(
            "pk",
            "kind",
            "status",
            "number",
            "accepted_at",
            "is_key",
            "is_excellent",
            "converted_to",
            "converted_at",
            "submitted_at",
        )
    }
    family = set(roots) | {pk for pk in parent if root(pk) in roots}
    counted = defaultdict(set)
    for proposal_id, member_id in Proposer.objects.filter(
        proposal_id__in=family, status__in=COUNTING
    ).values_list("proposal_id", "member_id"):
        counted[root(proposal_id)].add(member_id)

    mine: dict[tuple[int, int], dict] = {}
    for member_id, role, proposal_id, _session, submitted_at in own:
        top = root(proposal_id)
        if top not in roots:
            continue
        entry = mine.setdefault((member_id, top), {"first": False, "own": False, "at": None})
        if proposal_id == top:
            entry["own"] = True
            entry["first"] |= role == Proposer.Role.FIRST
        if entry["at"] is None or submitted_at < entry["at"]:
            entry["at"] = submitted_at

    def day(moment):
        return timezone.localdate(moment) if moment is not None else None

    facts = []
    for (member_id, top), entry in sorted(mine.items()):
        p = roots[top]
        accepted = p["number"] is not None
        converted = p["status"] == S.CONVERTED
        facts.append(
            ProposerFact(
                member_id=member_id,
                proposal_id=top,
                role=(Proposer.Role.FIRST if entry["first"] else Proposer.Role.CO).value,
                proposers=len(counted[top]),
                kind=p["kind"],
                status=p["status"],
                submitted_on=day(entry["at"]),
                accepted=accepted,
                accepted_on=day(p["accepted_at"] or p["submitted_at"]) if accepted else None,
                is_key=p["is_key"],
                is_excellent=p["is_excellent"],
                converted_to=p["converted_to"] if converted else "",
                converted_on=day(p["converted_at"] or p["submitted_at"]) if converted else None,
                merged=not entry["own"],
            )
        )
    return facts
