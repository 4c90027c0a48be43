"""Handling (办理): routing an accepted proposal to handling units, the units'
objections, progress and replies, the first proposer's rating, one round of
re-handling after a 不满意, closing (办结) and the daily overdue reminder (催办).

Every service is keyword-only and atomic; it locks the proposal (then the
routing) and returns early when a double click or a retried request finds
nothing to do. Each change of the proposal's state goes through proposal_move;
each change of a routing writes a ProposalEvent of its own."""

import calendar
import datetime
import uuid

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from duties.self_reported import attachment_sniff
from members.models import BodyRole, Person
from members.services import notice_send
from proposals.models import (
    HandlingUnit,
    Proposal,
    Proposer,
    Rating,
    Reply,
    Routing,
    RoutingProgress,
)
from proposals.permissions import can_review
from proposals.services import proposal_event_create, proposal_locked, proposal_move

S = Proposal.Status
RS = Routing.Status
ROUNDS_MAX = 2
# Routings that still belong to the proposal (a withdrawn one was reassigned).
LIVE = (RS.ROUTED, RS.OBJECTED, RS.REPLIED, RS.REHANDLING, RS.DONE)
# Routings waiting for the unit's reply.
AWAITING = (RS.ROUTED, RS.REHANDLING)
RESPONSIBLE = (Routing.Role.SOLE, Routing.Role.LEAD)
REPLY_EXTENSIONS = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}
REPLY_TYPES = {ext: kind for kind, ext in REPLY_EXTENSIONS.items()}

# --- settings ---------------------------------------------------------------


def objection_days() -> int:
    return settings.PROPOSAL_OBJECTION_DAYS


def reply_months() -> int:
    return settings.PROPOSAL_REPLY_MONTHS


def rehandling_months() -> int:
    return settings.PROPOSAL_REHANDLING_MONTHS


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day `months` later, or the month's last day (31 Jan + 1 = 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def default_deadline(today: datetime.date | None = None) -> datetime.date:
    return add_months(today or timezone.localdate(), reply_months())


def objection_until(routing: Routing) -> datetime.date:
    """The last day on which the unit may object to this routing."""
    return timezone.localdate(routing.routed_at) + datetime.timedelta(days=objection_days())


# --- reads shared by services, views and the template tag -----------------


def current_round(proposal: Proposal) -> int:
    """2 once the first proposer rated round 1 不满意, else 1."""
    unsatisfied = proposal.ratings.filter(
        round=1, satisfaction=Rating.Satisfaction.UNSATISFIED
    ).exists()
    return 2 if unsatisfied else 1


def routings_overdue(*, today: datetime.date | None = None) -> QuerySet:
    """Routings whose deadline has passed with no reply, on proposals still in handling."""
    today = today or timezone.localdate()
    return Routing.objects.filter(
        status__in=AWAITING,
        deadline__lt=today,
        proposal__status__in=(S.ROUTED, S.REHANDLING),
    )


def rater_of(proposal: Proposal):
    """Who rates the replies: the first proposer; for a group's or a party's
    proposal, whoever entered it (its convenor or staff)."""
    if proposal.proposer_kind != Proposal.ProposerKind.MEMBER:
        return proposal.created_by
    row = (
        proposal.proposers.filter(role=Proposer.Role.FIRST)
        .select_related("member__person__user")
        .first()
    )
    return row.member.person.user if row and row.member.person.user_id else None


def may_rate(user, proposal: Proposal) -> bool:
    """The rater, or staff recording the rater's answer on paper (代录): many
    proposers have no login, and their proposals must still be closed."""
    return is_rater(user, proposal) or can_review(user, proposal)


def is_rater(user, proposal: Proposal) -> bool:
    if not user.is_authenticated:
        return False
    if proposal.proposer_kind != Proposal.ProposerKind.MEMBER:
        return proposal.created_by_id == user.pk
    return proposal.proposers.filter(role=Proposer.Role.FIRST, member__person__user=user).exists()


# --- notices ----------------------------------------------------------------


def _proposal_url(proposal: Proposal) -> str:
    return reverse("proposals:detail", args=[proposal.pk])


def _notify_unit(*, routing: Routing, key: str, title: str, text: str = "") -> int:
    """Contacts who have a Person get a notice; a contact without one (most unit
    accounts) sees the routing in the unit inbox only."""
    return notice_send(
        persons=Person.objects.filter(user__handling_units=routing.unit_id).distinct(),
        key=key,
        title=title,
        text=text,
        url=reverse("proposals:routing", args=[routing.pk]),
    )


def _notify_staff(*, proposal: Proposal, key: str, title: str, text: str = "") -> int:
    return notice_send(
        persons=Person.objects.filter(
            user__body_roles__body=proposal.body_id, user__body_roles__role=BodyRole.Role.STAFF
        ).distinct(),
        key=key,
        title=title,
        text=text,
        url=_proposal_url(proposal),
    )


def _notify_rater(*, proposal: Proposal, key: str, title: str, text: str = "") -> int:
    user = rater_of(proposal)
    return notice_send(
        persons=Person.objects.filter(user=user) if user else Person.objects.none(),
        key=key,
        title=title,
        text=text,
        url=_proposal_url(proposal),
    )


# --- handling units and their contacts --------------------------------------


def _unit_name_free(*, body_id, name: str, exclude_pk=None) -> None:
    taken = HandlingUnit.objects.filter(body_id=body_id, name=name).exclude(pk=exclude_pk)
    if taken.exists():
        raise ValidationError({"name": _("本政协已有同名承办单位")})


@transaction.atomic
def unit_create(*, by, body, name: str, is_active: bool = True) -> HandlingUnit:
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("请填写单位名称")})
    existing = HandlingUnit.objects.filter(body=body, name=name).first()
    if existing is not None and existing.is_active == is_active:
        return existing  # a double click
    _unit_name_free(body_id=body.pk, name=name)
    return HandlingUnit.objects.create(body=body, name=name, is_active=is_active)


@transaction.atomic
def unit_update(*, by, unit: HandlingUnit, name: str, is_active: bool) -> HandlingUnit:
    unit = HandlingUnit.objects.select_for_update().get(pk=unit.pk)
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("请填写单位名称")})
    if (unit.name, unit.is_active) == (name, is_active):
        return unit
    _unit_name_free(body_id=unit.body_id, name=name, exclude_pk=unit.pk)
    unit.name, unit.is_active = name, is_active
    unit.save(update_fields=["name", "is_active"])
    return unit


@transaction.atomic
def unit_contact_create(*, by, unit: HandlingUnit, username: str, name: str):
    """A login for a unit's contact person (no usable password yet: staff hand
    over a one-time set-password link), attached to the unit."""
    user_model = get_user_model()
    username = username.strip()
    name = name.strip()
    if not username:
        raise ValidationError({"username": _("请填写用户名")})
    if not name:
        raise ValidationError({"name": _("请填写姓名")})
    existing = user_model.objects.filter(username=username).first()
    if existing is not None:
        if unit.contacts.filter(pk=existing.pk).exists() and existing.first_name == name:
            return existing  # a double click
        raise ValidationError({"username": _("该用户名已被使用")})
    user = user_model(username=username, first_name=name[:150])
    user.set_unusable_password()
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise ValidationError({"username": _("该用户名已被使用")}) from None
    unit.contacts.add(user)
    return user


@transaction.atomic
def unit_contact_remove(*, by, unit: HandlingUnit, user) -> None:
    """The contact no longer works for the unit: they lose its proposals at once."""
    unit.contacts.remove(user)


# --- routing ----------------------------------------------------------------


def _check_units(proposal: Proposal, units: list[tuple[HandlingUnit, str]]) -> None:
    if not units:
        raise ValidationError({"lead_unit": _("请选择承办单位")})
    roles = [role for _unit, role in units]
    if len(units) == 1:
        if roles != [Routing.Role.SOLE]:
            raise ValidationError({"lead_unit": _("只有一个承办单位时为单独办理")})
    else:
        if roles.count(Routing.Role.LEAD) != 1 or Routing.Role.SOLE in roles:
            raise ValidationError(
                {"lead_unit": _("多个单位办理时应有且只有一个主办单位,其余为协办单位")}
            )
    ids = [unit.pk for unit, _role in units]
    if len(set(ids)) != len(ids):
        raise ValidationError({"assisting_units": _("主办单位不能同时为协办单位")})
    for unit, _role in units:
        if unit.body_id != proposal.body_id or not unit.is_active:
            raise ValidationError({"lead_unit": _("“%(u)s”不是本政协启用的承办单位") % {"u": unit}})


def _check_deadline(deadline: datetime.date, field: str = "deadline") -> None:
    if deadline <= timezone.localdate():
        raise ValidationError({field: _("答复期限应晚于今天")})


@transaction.atomic
def routing_create(
    *,
    by,
    proposal: Proposal,
    units: list[tuple[HandlingUnit, str]],
    deadline: datetime.date | None = None,
    note: str = "",
) -> list[Routing]:
    """交办: one sole unit, or one lead unit with assisting units. The proposal
    moves ACCEPTED → ROUTED; every unit gets the same reply deadline."""
    proposal = proposal_locked(proposal)
    wanted = {(unit.pk, role) for unit, role in units}
    if proposal.status == S.ROUTED:
        live = list(proposal.routings.filter(status__in=LIVE))
        if {(r.unit_id, r.role) for r in live} == wanted:
            return live  # the same routing sent twice
    _check_units(proposal, units)
    deadline = deadline or default_deadline()
    _check_deadline(deadline)
    now = timezone.now()
    names = {
        role: "、".join(unit.name for unit, r in units if r == role) for role in Routing.Role.values
    }
    summary = ";".join(
        f"{Routing.Role(role).label}:{names[role]}" for role in Routing.Role.values if names[role]
    )
    proposal_move(
        proposal=proposal,
        target=S.ROUTED,
        by=by,
        verb="routed",
        note=f"{summary};{_('答复期限')} {deadline:%Y年%m月%d日}" + (f";{note}" if note else ""),
    )
    routings = [
        Routing.objects.create(
            proposal=proposal, unit=unit, role=role, deadline=deadline, routed_at=now
        )
        for unit, role in units
    ]
    for routing in routings:
        _notify_unit(
            routing=routing,
            key=f"routing:{routing.pk}:routed",
            title=_("新交办提案:%(t)s") % {"t": proposal.title},
            text=_("办理方式:%(role)s;答复期限 %(d)s。")
            % {"role": routing.get_role_display(), "d": f"{deadline:%Y年%m月%d日}"},
        )
    return routings


def _routing_locked(routing: Routing) -> tuple[Proposal, Routing]:
    """Lock the proposal, then the routing (always in this order)."""
    proposal = proposal_locked(routing.proposal)
    routing = Routing.objects.select_for_update().select_related("unit").get(pk=routing.pk)
    return proposal, routing


@transaction.atomic
def routing_object(*, by, routing: Routing, reason: str, now=None) -> Routing:
    """The unit says the proposal is not theirs to handle, within the objection
    window; staff are told and reassign."""
    proposal, routing = _routing_locked(routing)
    if routing.status == RS.OBJECTED:
        return routing
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("请填写异议理由")})
    if routing.status != RS.ROUTED or proposal.status != S.ROUTED:
        raise ValidationError(_("当前状态不能提出异议"))
    now = now or timezone.now()
    until = objection_until(routing)
    if timezone.localdate(now) > until:
        raise ValidationError({"reason": _("异议期已于%(d)s结束") % {"d": f"{until:%Y年%m月%d日}"}})
    routing.status = RS.OBJECTED
    routing.objection = reason
    routing.objected_at = now
    routing.save(update_fields=["status", "objection", "objected_at"])
    proposal_event_create(
        proposal=proposal, by=by, verb="objected", note=f"{routing.unit.name}:{reason}"
    )
    _notify_staff(
        proposal=proposal,
        key=f"routing:{routing.pk}:objected",
        title=_("承办单位对交办有异议:%(t)s") % {"t": proposal.title},
        text=f"{routing.unit.name}:{reason}",
    )
    return routing


@transaction.atomic
def routing_reassign(
    *,
    by,
    routing: Routing,
    unit: HandlingUnit,
    deadline: datetime.date | None = None,
    note: str = "",
) -> Routing:
    """改派: the routing is withdrawn and the same role goes to another unit;
    the proposal stays ROUTED."""
    proposal, routing = _routing_locked(routing)
    if routing.status == RS.WITHDRAWN:
        again = proposal.routings.filter(unit=unit, role=routing.role, status__in=LIVE).first()
        if again is not None:
            return again  # the same reassignment sent twice
    if routing.status not in (RS.ROUTED, RS.OBJECTED) or proposal.status != S.ROUTED:
        raise ValidationError(_("只能改派尚未答复的交办"))
    if unit.body_id != proposal.body_id or not unit.is_active:
        raise ValidationError({"unit": _("请选择本政协启用的承办单位")})
    if proposal.routings.filter(unit=unit, status__in=LIVE).exists():
        raise ValidationError({"unit": _("该单位已在办理本提案")})
    deadline = deadline or default_deadline()
    _check_deadline(deadline)
    routing.status = RS.WITHDRAWN
    routing.save(update_fields=["status"])
    new = Routing.objects.create(proposal=proposal, unit=unit, role=routing.role, deadline=deadline)
    proposal_event_create(
        proposal=proposal,
        by=by,
        verb="reassigned",
        note=f"{routing.unit.name} → {unit.name}({new.get_role_display()})"
        + (f";{note}" if note else ""),
    )
    _notify_unit(
        routing=new,
        key=f"routing:{new.pk}:routed",
        title=_("新交办提案:%(t)s") % {"t": proposal.title},
        text=_("办理方式:%(role)s;答复期限 %(d)s。")
        % {"role": new.get_role_display(), "d": f"{deadline:%Y年%m月%d日}"},
    )
    return new


# --- handling ---------------------------------------------------------------


@transaction.atomic
def progress_add(*, by, routing: Routing, text: str) -> RoutingProgress:
    proposal, routing = _routing_locked(routing)
    text = text.strip()
    if not text:
        raise ValidationError({"text": _("请填写办理进展")})
    if routing.status not in AWAITING or proposal.status == S.CLOSED:
        raise ValidationError(_("该交办当前不在办理中"))
    last = routing.progress.order_by("-at", "-id").first()
    if last is not None and last.by_id == by.pk and last.text == text:
        return last  # a double click
    return RoutingProgress.objects.create(routing=routing, text=text, by=by)


@transaction.atomic
def reply_submit(*, by, routing: Routing, result: str, text: str, file=None, now=None) -> Reply:
    """The unit's reply for the current round. When every sole/lead routing has
    replied, the proposal moves to REPLIED and the first proposer is told;
    assisting units may reply as well, and their replies are shown."""
    proposal, routing = _routing_locked(routing)
    if routing.status == RS.REPLIED:
        return routing.replies.order_by("-round").first()  # a double click
    if routing.status not in AWAITING or proposal.status not in (S.ROUTED, S.REHANDLING, S.REPLIED):
        raise ValidationError(_("该交办当前不能答复"))
    text = text.strip()
    errors = {}
    if result not in Reply.Result.values:
        errors["result"] = [_("请选择答复类别")]
    if not text:
        errors["text"] = [_("请填写答复内容")]
    if errors:
        raise ValidationError(errors)
    extension = None
    if file:
        try:
            extension = REPLY_EXTENSIONS[attachment_sniff(file)]
        except ValidationError as error:
            raise ValidationError({"file": error.messages}) from None
    round_ = 2 if routing.status == RS.REHANDLING else 1
    reply = Reply(
        routing=routing, round=round_, result=result, text=text, by=by, at=now or timezone.now()
    )
    if file:
        # A random name on disk: the unit's file name never reaches a path.
        reply.file.save(f"{uuid.uuid4().hex}.{extension}", file, save=False)
    reply.save()
    routing.status = RS.REPLIED
    routing.save(update_fields=["status"])
    proposal_event_create(
        proposal=proposal,
        by=by,
        verb="unit_replied",
        note=f"{routing.unit.name}({routing.get_role_display()}):{reply.get_result_display()}",
    )
    waiting = proposal.routings.filter(role__in=RESPONSIBLE).exclude(
        status__in=(RS.WITHDRAWN, RS.REPLIED)
    )
    if proposal.status in (S.ROUTED, S.REHANDLING) and not waiting.exists():
        proposal_move(proposal=proposal, target=S.REPLIED, by=by, verb="replied")
        _notify_rater(
            proposal=proposal,
            key=f"proposal:{proposal.pk}:replied:{round_}",
            title=_("您的提案已答复,请测评:%(t)s") % {"t": proposal.title},
        )
    return reply


@transaction.atomic
def rating_submit(*, by, proposal: Proposal, satisfaction: str, comment: str = "") -> Rating:
    """The first proposer rates the replies of the current round. 不满意 in
    round 1 sends the proposal back to its units once, with a new deadline;
    a second 不满意 is recorded and staff close the proposal."""
    proposal = proposal_locked(proposal)
    if not may_rate(by, proposal):
        raise PermissionDenied
    on_behalf = not is_rater(by, proposal)
    round_ = current_round(proposal)
    comment = comment.strip()
    existing = proposal.ratings.filter(round=round_).first()
    if existing is not None:
        if (existing.satisfaction, existing.comment) == (satisfaction, comment):
            return existing  # a double click
        raise ValidationError(_("本轮答复已测评,不能再次测评"))
    if proposal.status != S.REPLIED:
        raise ValidationError(_("提案尚未答复,不能测评"))
    if satisfaction not in Rating.Satisfaction.values:
        raise ValidationError({"satisfaction": _("请选择满意度")})
    if satisfaction == Rating.Satisfaction.UNSATISFIED and not comment:
        raise ValidationError({"comment": _("不满意时请写明意见")})
    rating = Rating.objects.create(
        proposal=proposal, round=round_, satisfaction=satisfaction, comment=comment, by=by
    )
    label = Rating.Satisfaction(satisfaction).label
    proposal_event_create(
        proposal=proposal,
        by=by,
        verb="rated",
        note=f"{_('第%(n)d轮') % {'n': round_}}:{label}"
        + (f";{comment}" if comment else "")
        + (_("(机关代录)") if on_behalf else ""),
    )
    if satisfaction == Rating.Satisfaction.UNSATISFIED and round_ < ROUNDS_MAX:
        _rehandling_start(proposal=proposal, by=by, comment=comment)
    else:
        _notify_staff(
            proposal=proposal,
            key=f"proposal:{proposal.pk}:rated:{round_}",
            title=_("提案已测评,可以办结:%(t)s") % {"t": proposal.title},
            text=label,
        )
    return rating


def _rehandling_start(*, proposal: Proposal, by, comment: str) -> None:
    deadline = add_months(timezone.localdate(), rehandling_months())
    proposal_move(
        proposal=proposal,
        target=S.REHANDLING,
        by=by,
        verb="rehandling",
        note=f"{_('重新办理答复期限')} {deadline:%Y年%m月%d日}",
    )
    routings = list(
        proposal.routings.select_for_update().filter(status__in=(RS.ROUTED, RS.REPLIED))
    )
    for routing in routings:
        routing.status = RS.REHANDLING
        routing.deadline = deadline
        routing.last_reminded_on = None
        routing.save(update_fields=["status", "deadline", "last_reminded_on"])
        _notify_unit(
            routing=routing,
            key=f"routing:{routing.pk}:rehandling",
            title=_("提案人不满意,请重新办理:%(t)s") % {"t": proposal.title},
            text=comment,
        )


@transaction.atomic
def proposal_close(*, by, proposal: Proposal, note: str = "") -> Proposal:
    """办结: once the proposer rated round 1 (not 不满意), or after the second round."""
    proposal = proposal_locked(proposal)
    if proposal.status == S.CLOSED:
        return proposal
    # Round 1 waits for the proposer's rating (it may send the proposal back);
    # after the second round there is nothing left to wait for.
    if (
        proposal.status == S.REPLIED
        and current_round(proposal) == 1
        and not proposal.ratings.filter(round=1).exists()
    ):
        raise ValidationError(_("提案人尚未对答复测评,暂不能办结"))
    proposal.closed_at = timezone.now()
    proposal_move(
        proposal=proposal, target=S.CLOSED, by=by, verb="closed", note=note, fields=["closed_at"]
    )
    proposal.routings.exclude(status=RS.WITHDRAWN).update(status=RS.DONE)
    _notify_rater(
        proposal=proposal,
        key=f"proposal:{proposal.pk}:closed",
        title=_("您的提案已办结:%(t)s") % {"t": proposal.title},
    )
    return proposal


# --- 催办 ---------------------------------------------------------------------


def routings_overdue_remind(*, now: datetime.datetime | None = None) -> int:
    """Remind the units of overdue routings, each at most once a day (a re-run,
    a redelivered task or a second beat process reminds nobody twice).
    Returns the number of routings reminded."""
    today = timezone.localdate(now or timezone.now())
    reminded = 0
    pending = routings_overdue(today=today).exclude(last_reminded_on__gte=today)
    for routing in pending.select_related("proposal", "unit").order_by("pk"):
        with transaction.atomic():
            # Claiming the day is one conditional UPDATE: whoever wins it reminds.
            claimed = (
                Routing.objects.filter(pk=routing.pk, status__in=AWAITING, deadline__lt=today)
                .exclude(last_reminded_on__gte=today)
                .update(last_reminded_on=today)
            )
            if not claimed:
                continue
            days = (today - routing.deadline).days
            proposal_event_create(
                proposal=routing.proposal,
                by=None,
                verb="reminded",
                note=_("%(u)s 已超过答复期限 %(n)d 天") % {"u": routing.unit.name, "n": days},
            )
            _notify_unit(
                routing=routing,
                key=f"routing:{routing.pk}:overdue:{today.isoformat()}",
                title=_("催办:%(t)s") % {"t": routing.proposal.title},
                text=_("答复期限 %(d)s 已过 %(n)d 天,请尽快答复。")
                % {"d": f"{routing.deadline:%Y年%m月%d日}", "n": days},
            )
            reminded += 1
    return reminded


def reply_content_type(reply: Reply) -> str:
    return REPLY_TYPES.get(reply.file.name.rsplit(".", 1)[-1].lower(), "application/octet-stream")
