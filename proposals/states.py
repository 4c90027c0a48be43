"""The one state machine of a proposal: which status may follow which.
Services ask it before every change; templates never decide."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

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


# How the timeline names each event's verb (the services write the verbs).
VERB_LABELS = {
    "created": gettext_lazy("创建草稿"),
    "invited": gettext_lazy("邀请联名"),
    "cosign_confirmed": gettext_lazy("确认联名"),
    "cosign_declined": gettext_lazy("谢绝联名"),
    "cosign_expired": gettext_lazy("联名邀请逾期"),
    "cosign_deadline": gettext_lazy("调整联名截止时间"),
    "cosign_closed": gettext_lazy("联名征集结束"),
    "submitted": gettext_lazy("提交"),
    "withdrawn": gettext_lazy("撤回"),
    "accepted": gettext_lazy("立案"),
    "rejected": gettext_lazy("不立案"),
    "merged": gettext_lazy("并案"),
    "merged_from": gettext_lazy("他案并入"),
    "converted": gettext_lazy("转为其他形式"),
    "flag_key": gettext_lazy("列为重点提案"),
    "unflag_key": gettext_lazy("取消重点提案"),
    "flag_excellent": gettext_lazy("评为优秀提案"),
    "unflag_excellent": gettext_lazy("取消优秀提案"),
    "routed": gettext_lazy("交办"),
    "objected": gettext_lazy("承办单位提出异议"),
    "reassigned": gettext_lazy("改派承办单位"),
    "unit_replied": gettext_lazy("承办单位答复"),
    "replied": gettext_lazy("答复完毕"),
    "rated": gettext_lazy("满意度测评"),
    "rehandling": gettext_lazy("退回重新办理"),
    "closed": gettext_lazy("办结"),
    "reminded": gettext_lazy("催办"),
}
