"""The one state machine of a report: which status may follow which.
Services ask it before every change; templates never decide."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from reports.models import SocialInfoReport

S = SocialInfoReport.Status

TRANSITIONS: dict[str, set[str]] = {
    S.DRAFT: {S.SUBMITTED},
    # Withdrawal only before review; once staff have acted it stays theirs.
    S.SUBMITTED: {S.ACCEPTED, S.NOT_USED, S.WITHDRAWN},
    S.ACCEPTED: {S.USED, S.NOT_USED},
    S.USED: set(),
    S.NOT_USED: set(),
    S.WITHDRAWN: set(),
}

# Adoptions and instructions follow the committee's own handling: the report
# was accepted (and forwarded) or used in the bulletin.
FORWARDABLE = frozenset({S.ACCEPTED, S.USED})


def can_move(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, set())


def require_move(report: SocialInfoReport, target: str) -> None:
    """Refuse a change the lifecycle does not allow, in words a person reads."""
    if not can_move(report.status, target):
        raise ValidationError(
            _("该信息当前为“%(current)s”,不能变为“%(target)s”")
            % {"current": S(report.status).label, "target": S(target).label}
        )


def require_forwardable(report: SocialInfoReport) -> None:
    if report.status not in FORWARDABLE:
        raise ValidationError(
            _("该信息当前为“%(current)s”,只有已受理或已编报的信息可以登记采用或批示")
            % {"current": S(report.status).label}
        )
