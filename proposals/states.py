"""The one state machine of a proposal: which status may follow which.
Services ask it before every change; templates never decide."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from proposals.models import Proposal

S = Proposal.Status

TRANSITIONS: dict[str, set[str]] = {
    S.DRAFT: {S.INVITING, S.SUBMITTED, S.WITHDRAWN},
    S.INVITING: {S.DRAFT, S.SUBMITTED, S.WITHDRAWN},
    S.SUBMITTED: {S.ACCEPTED, S.REJECTED, S.MERGED, S.CONVERTED, S.WITHDRAWN},
    S.ACCEPTED: {S.ROUTED},
    S.ROUTED: {S.REPLIED},
    S.REPLIED: {S.REHANDLING, S.CLOSED},
    S.REHANDLING: {S.REPLIED},
    S.REJECTED: set(),
    S.MERGED: set(),
    S.CONVERTED: set(),
    S.CLOSED: set(),
    S.WITHDRAWN: set(),
}


def can_move(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, set())


def require_move(proposal: Proposal, target: str) -> None:
    """Refuse a change the lifecycle does not allow, in words a person reads."""
    if not can_move(proposal.status, target):
        raise ValidationError(
            _("提案当前为“%(current)s”,不能变为“%(target)s”")
            % {"current": S(proposal.status).label, "target": S(target).label}
        )
