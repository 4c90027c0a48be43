"""Who may see and change proposals.

- members: proposals where they are a proposer (any status), and every proposal
  of their body once it has left the draft stage (submitted ones are public to
  the body's members, as committees publish them);
- staff and leadership: every proposal of their body (leadership reads only);
- handling-unit contacts: only proposals routed to their unit (no drafts);
- admins: all."""

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404

from members.models import Member
from members.permissions import viewer_for
from proposals.models import HandlingUnit, Proposal, Proposer, Routing

PRIVATE = (Proposal.Status.DRAFT, Proposal.Status.INVITING, Proposal.Status.WITHDRAWN)


def units_of(user) -> set[int]:
    """The handling units whose contact this user is (read once per request)."""
    if not user.is_authenticated:
        return set()
    cached = getattr(user, "_lvzhi_units", None)
    if cached is None:
        cached = set(
            HandlingUnit.objects.filter(contacts=user, is_active=True).values_list("pk", flat=True)
        )
        user._lvzhi_units = cached
    return cached


def proposals_visible_to(user):
    viewer = viewer_for(user)
    if viewer.is_admin:
        return Proposal.objects.all()
    condition = Q(body_id__in=viewer.staff_body_ids | viewer.leadership_body_ids)
    if viewer.own_member_ids:
        # A subquery, not a join: joining every proposer row of the body and
        # DISTINCT-ing them made a member's list grow with the whole database.
        mine = Q(pk__in=Proposer.objects.filter(member__person__user=user).values("proposal_id"))
        public = Q(body_id__in=viewer.seat_body_ids) & ~Q(status__in=PRIVATE)
        condition |= mine | public
    units = units_of(user)
    if units:
        condition |= Q(
            pk__in=Routing.objects.filter(unit_id__in=units)
            .exclude(status=Routing.Status.WITHDRAWN)
            .values("proposal_id")
        )
    return Proposal.objects.filter(condition)


def is_proposer(user, proposal: Proposal) -> bool:
    return proposal.proposers.filter(member__person__user=user).exists()


def first_proposer_member(user, proposal: Proposal) -> Member | None:
    row = (
        proposal.proposers.filter(role="first", member__person__user=user)
        .select_related("member")
        .first()
    )
    return row.member if row else None


def can_review(user, proposal: Proposal) -> bool:
    """Staff of the body review, route and close."""
    return viewer_for(user).can_manage_body(proposal.body_id)


def get_proposal_for_user(user, pk) -> Proposal:
    proposal = (
        proposals_visible_to(user)
        .select_related("session__term", "body", "proposer_group", "merged_into")
        .filter(pk=pk)
        .first()
    )
    if proposal is None:
        raise Http404
    return proposal


def require_review(user, proposal: Proposal) -> None:
    if not can_review(user, proposal):
        raise PermissionDenied
