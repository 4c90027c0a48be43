"""Writes on proposals, one module per stage: drafting (proposers, topics,
submission), review (accept, reject, merge, convert, numbering, flags) and
handling (routing, replies, ratings, re-handling, close). Every change of state
goes through proposal_move, which asks the state machine and writes the event."""

from django.db import transaction

from proposals.models import Proposal, ProposalEvent
from proposals.states import require_move


def proposal_event_create(
    *, proposal: Proposal, by, verb: str, from_status: str = "", to_status: str = "", note: str = ""
) -> ProposalEvent:
    return ProposalEvent.objects.create(
        proposal=proposal, by=by, verb=verb, from_status=from_status, to_status=to_status, note=note
    )


def proposal_locked(proposal: Proposal) -> Proposal:
    return Proposal.objects.select_for_update().get(pk=proposal.pk)


def proposal_move(
    *, proposal: Proposal, target: str, by, verb: str, note: str = "", fields=()
) -> Proposal:
    """Move a locked proposal to `target` (refused if the lifecycle forbids it),
    save `status` and the given fields, and write the event."""
    assert transaction.get_connection().in_atomic_block, "lock the proposal in a transaction first"
    require_move(proposal, target)
    before = proposal.status
    proposal.status = target
    proposal.save(update_fields=["status", *fields])
    proposal_event_create(
        proposal=proposal, by=by, verb=verb, from_status=before, to_status=target, note=note
    )
    return proposal
