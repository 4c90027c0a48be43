"""Writes on consultations. A session's members go through the duties services
(list_add, list_remove, attendance_record) so attendance and scoring see them
like any activity's; each service here locks the consultation it changes."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from consultations.models import (
    Consultation,
    FollowUp,
    OnlineComment,
    OnlineConsultation,
    OutsideParticipant,
    Suggestion,
)
from duties import services as duties
from duties.models import Activity, ActivityKind, Category, Participation
from members.models import Member
from scoring.facts import facts_changed
from sectors.models import MemberHome, Term

SESSION_KIND = "community_consultation"
ONLINE_KIND = ("云协商", "online_consultation")
COMMENT_MAX = 2000


def _locked(consultation: Consultation) -> Consultation:
    return (
        Consultation.objects.select_for_update(of=("self",))
        .select_related("activity")
        .get(pk=consultation.pk)
    )


def _required(value: str, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: message})
    return value


def _check_times(starts_at, ends_at, *, end_field="ends_at"):
    if ends_at < starts_at:
        raise ValidationError({end_field: _("结束时间不能早于开始时间")})


def _check_seat(member: Member, term: Term, field: str):
    if member.term_id != term.pk or member.left_on is not None:
        raise ValidationError(
            {field: _("%(name)s 不是本届在任委员") % {"name": member.person.name}}
        )


def _session_kind(body) -> ActivityKind:
    duties.activity_kinds_ensure_defaults(body=body)
    return ActivityKind.objects.get(body=body, code=SESSION_KIND)


def _online_kind(body) -> ActivityKind:
    # Not (yet) among duties.DEFAULT_KINDS; made here on first use.
    name, code = ONLINE_KIND
    kind, _created = ActivityKind.objects.get_or_create(
        body=body, code=code, defaults={"name": name, "category": Category.CONSULTATION}
    )
    return kind


def _set_role(activity: Activity, member: Member, role: str) -> None:
    # list_add knows nothing of roles; the row exists once it has run.
    Participation.objects.filter(activity=activity, member=member).update(role=role)
    facts_changed([member.pk])


def _list(activity: Activity, members: list[Member], *, by) -> None:
    """Put members on the activity's list and in its named audience, so the
    attendance page offers them like any activity's members."""
    if not members:
        return
    activity.audience_members.add(*members)
    duties.list_add(activity=activity, members=members, by=by)


@transaction.atomic
def consultation_create(
    *,
    term: Term,
    topic: str,
    room: MemberHome,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    member_convenor: Member,
    official_convenor_name: str,
    official_convenor_unit: str,
    members=(),
    by,
) -> Consultation:
    """A session and its activity (published, its list closed to sign-up since
    staff name the participants); the member convenor is listed as convenor."""
    topic = _required(topic, "topic", _("请填写议题"))
    official_convenor_name = _required(
        official_convenor_name, "official_convenor_name", _("请填写部门召集人")
    )
    official_convenor_unit = _required(
        official_convenor_unit, "official_convenor_unit", _("请填写部门召集人单位")
    )
    if room.body_id != term.body_id:
        raise ValidationError({"room": _("议事室不属于本政协")})
    _check_times(starts_at, ends_at)
    _check_seat(member_convenor, term, "member_convenor")
    members = [m for m in dict.fromkeys(members) if m.pk != member_convenor.pk]
    for member in members:
        _check_seat(member, term, "members")
    now = timezone.now()
    activity = Activity.objects.create(
        body_id=term.body_id,
        term=term,
        kind=_session_kind(term.body),
        theme=topic,
        form=str(_("有事好商量")),
        venue_home=room,
        starts_at=starts_at,
        ends_at=ends_at,
        audience=Activity.Audience.NAMED,
        signup_deadline=now,
        created_by=by,
    )
    activity = duties.activity_publish(activity=activity, by=by)
    _list(activity, [member_convenor, *members], by=by)
    _set_role(activity, member_convenor, Participation.Role.CONVENOR)
    consultation = Consultation(
        activity=activity,
        topic=topic,
        member_convenor=member_convenor,
        official_convenor_name=official_convenor_name,
        official_convenor_unit=official_convenor_unit,
        created_by=by,
        created_at=now,
    )
    consultation._history_user = by
    consultation.save()
    return consultation


@transaction.atomic
def consultation_update(
    *,
    consultation: Consultation,
    topic: str,
    room: MemberHome,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    member_convenor: Member,
    official_convenor_name: str,
    official_convenor_unit: str,
    by,
) -> Consultation:
    """Correct a session; a new member convenor takes the convenor role on the
    activity and the previous one stays as a participant."""
    consultation = _locked(consultation)
    activity = consultation.activity
    topic = _required(topic, "topic", _("请填写议题"))
    official_convenor_name = _required(
        official_convenor_name, "official_convenor_name", _("请填写部门召集人")
    )
    official_convenor_unit = _required(
        official_convenor_unit, "official_convenor_unit", _("请填写部门召集人单位")
    )
    if room.body_id != activity.body_id:
        raise ValidationError({"room": _("议事室不属于本政协")})
    _check_times(starts_at, ends_at)
    if member_convenor.pk != consultation.member_convenor_id:
        _check_seat(member_convenor, activity.term, "member_convenor")
        _set_role(activity, consultation.member_convenor, Participation.Role.PARTICIPANT)
        _list(activity, [member_convenor], by=by)
        _set_role(activity, member_convenor, Participation.Role.CONVENOR)
    activity.theme = topic
    activity.venue_home = room
    activity.starts_at = starts_at
    activity.ends_at = ends_at
    activity.save(update_fields=["theme", "venue_home", "starts_at", "ends_at"])
    facts_changed(activity.participations.values_list("member_id", flat=True))
    consultation.topic = topic
    consultation.member_convenor = member_convenor
    consultation.official_convenor_name = official_convenor_name
    consultation.official_convenor_unit = official_convenor_unit
    consultation._history_user = by
    consultation.save(
        update_fields=[
            "topic",
            "member_convenor",
            "official_convenor_name",
            "official_convenor_unit",
        ]
    )
    return consultation


@transaction.atomic
def participant_add(
    *, consultation: Consultation, member: Member, role: str = Participation.Role.PARTICIPANT, by
) -> Participation:
    """List a member at the session with a role; listing them again changes the role."""
    if role not in (Participation.Role.PARTICIPANT, Participation.Role.SPEAKER):
        raise ValidationError({"role": _("召集人请在协商信息中设置")})
    consultation = _locked(consultation)
    activity = consultation.activity
    _check_seat(member, activity.term, "member")
    if member.pk == consultation.member_convenor_id:
        raise ValidationError({"member": _("该委员是本次协商的召集人")})
    _list(activity, [member], by=by)
    _set_role(activity, member, role)
    return Participation.objects.get(activity=activity, member=member)


@transaction.atomic
def participant_remove(*, consultation: Consultation, member: Member, by) -> bool:
    """Take a member off the session; the convenor cannot be (change the convenor first)."""
    consultation = _locked(consultation)
    if member.pk == consultation.member_convenor_id:
        raise ValidationError(_("不能移除委员召集人,请先更换召集人"))
    activity = consultation.activity
    activity.audience_members.remove(member)
    return duties.list_remove(activity=activity, member=member, by=by)


def outside_participant_add(
    *, consultation: Consultation, name: str, unit: str, kind: str, by
) -> OutsideParticipant:
    name = _required(name, "name", _("请填写姓名"))
    if kind not in OutsideParticipant.Kind.values:
        raise ValidationError({"kind": _("请选择身份")})
    return OutsideParticipant.objects.create(
        consultation=consultation, name=name, unit=(unit or "").strip(), kind=kind
    )


def outside_participant_remove(*, participant: OutsideParticipant, by) -> None:
    participant.delete()


def suggestion_add(
    *,
    consultation: Consultation,
    text: str,
    raised_by_member: Member | None = None,
    raised_by_name: str = "",
    by,
) -> Suggestion:
    """A suggestion from a member of the session, or from someone named (a resident)."""
    text = _required(text, "text", _("请填写意见建议"))
    raised_by_name = (raised_by_name or "").strip()
    if raised_by_member is None and not raised_by_name:
        raise ValidationError({"raised_by_name": _("请选择提出的委员或填写提出人")})
    if raised_by_member is not None:
        if raised_by_member.term_id != consultation.activity.term_id:
            raise ValidationError({"raised_by_member": _("该委员不是本届委员")})
        raised_by_name = ""
    return Suggestion.objects.create(
        consultation=consultation,
        text=text,
        raised_by_member=raised_by_member,
        raised_by_name=raised_by_name,
        created_by=by,
    )


@transaction.atomic
def outcome_set(*, consultation: Consultation, outcome: str, by) -> Consultation:
    """The agreed outcome; a correction replaces it and the history keeps the old text."""
    outcome = _required(outcome, "outcome", _("请填写协商成果"))
    consultation = _locked(consultation)
    if consultation.outcome == outcome:
        return consultation
    consultation.outcome = outcome
    consultation._history_user = by
    consultation.save(update_fields=["outcome"])
    return consultation


@transaction.atomic
def followup_add(
    *, consultation: Consultation, date: datetime.date, text: str, by, today=None
) -> FollowUp:
    """What was done since; none once the problem is marked solved."""
    text = _required(text, "text", _("请填写跟进情况"))
    consultation = _locked(consultation)
    if consultation.is_solved:
        raise ValidationError(_("问题已标记为解决,不能再添加跟进记录"))
    today = today or timezone.localdate()
    if date > today:
        raise ValidationError({"date": _("日期不能晚于今天")})
    if date < timezone.localtime(consultation.activity.starts_at).date():
        raise ValidationError({"date": _("日期不能早于协商日期")})
    return FollowUp.objects.create(consultation=consultation, date=date, text=text, by=by)


@transaction.atomic
def consultation_mark_solved(*, consultation: Consultation, by, note: str = "") -> Consultation:
    """Staff close the problem. The follow-up so far stays, and the closing is
    one more entry in it (with the note, if any)."""
    consultation = _locked(consultation)
    if consultation.is_solved:
        raise ValidationError(_("问题已标记为解决"))
    if not consultation.outcome.strip():
        raise ValidationError(_("请先填写协商成果,再标记为解决"))
    now = timezone.now()
    consultation.status = Consultation.Status.SOLVED
    consultation.solved_at = now
    consultation.solved_by = by
    consultation._history_user = by
    consultation.save(update_fields=["status", "solved_at", "solved_by"])
    FollowUp.objects.create(
        consultation=consultation,
        date=timezone.localdate(now),
        text=note.strip() or _("问题已解决"),
        by=by,
        created_at=now,
    )
    return consultation


def _check_period(opens_at, closes_at):
    if closes_at <= opens_at:
        raise ValidationError({"closes_at": _("截止时间应晚于开始时间")})


@transaction.atomic
def online_consultation_create(
    *,
    term: Term,
    topic: str,
    description: str = "",
    opens_at: datetime.datetime,
    closes_at: datetime.datetime,
    by,
) -> OnlineConsultation:
    """An online consultation and its activity. Its audience starts empty and
    grows with the members who comment, so no one signs up on the menu."""
    topic = _required(topic, "topic", _("请填写议题"))
    _check_period(opens_at, closes_at)
    activity = Activity.objects.create(
        body_id=term.body_id,
        term=term,
        kind=_online_kind(term.body),
        theme=topic,
        goal=description.strip(),
        form=str(_("云协商")),
        venue_text=str(_("线上")),
        starts_at=opens_at,
        ends_at=closes_at,
        audience=Activity.Audience.NAMED,
        signup_deadline=timezone.now(),
        created_by=by,
    )
    activity = duties.activity_publish(activity=activity, by=by)
    return OnlineConsultation.objects.create(
        body_id=term.body_id,
        term=term,
        activity=activity,
        topic=topic,
        description=description.strip(),
        opens_at=opens_at,
        closes_at=closes_at,
        created_by=by,
    )


@transaction.atomic
def online_consultation_update(
    *,
    online: OnlineConsultation,
    topic: str,
    description: str = "",
    opens_at: datetime.datetime,
    closes_at: datetime.datetime,
    by,
) -> OnlineConsultation:
    topic = _required(topic, "topic", _("请填写议题"))
    _check_period(opens_at, closes_at)
    online = OnlineConsultation.objects.select_for_update().get(pk=online.pk)
    online.topic = topic
    online.description = description.strip()
    online.opens_at = opens_at
    online.closes_at = closes_at
    online.save(update_fields=["topic", "description", "opens_at", "closes_at"])
    Activity.objects.filter(pk=online.activity_id).update(
        theme=topic, goal=online.description, starts_at=opens_at, ends_at=closes_at
    )
    return online


def _online_participation_sync(*, online: OnlineConsultation, member: Member, by) -> None:
    """A member with a visible comment attended the online consultation; one
    whose last visible comment was hidden did not."""
    activity = online.activity
    if OnlineComment.objects.visible().filter(online_consultation=online, member=member).exists():
        already = Participation.objects.filter(
            activity=activity,
            member=member,
            signup=Participation.Signup.CONFIRMED,
            attendance=Participation.Attendance.ATTENDED,
        ).exists()
        if already:
            return
        activity.audience_members.add(member)
        duties.attendance_record(
            activity=activity,
            member=member,
            attendance=Participation.Attendance.ATTENDED,
            by=by,
        )
        return
    duties.participation_withdraw(activity=activity, member=member, by=by)


@transaction.atomic
def comment_post(
    *, online: OnlineConsultation, member: Member, text: str, now=None
) -> OnlineComment:
    """A member's comment while the consultation is open; the member is then
    recorded as attending its activity."""
    now = now or timezone.now()
    text = _required(text, "text", _("请填写意见内容"))
    if len(text) > COMMENT_MAX:
        raise ValidationError({"text": _("意见不能超过 %(n)s 字") % {"n": COMMENT_MAX}})
    online = OnlineConsultation.objects.select_for_update().get(pk=online.pk)
    if member.term_id != online.term_id or member.left_on is not None:
        raise ValidationError(_("您不是本届在任委员,不能参与本次云协商"))
    if now < online.opens_at:
        raise ValidationError(_("云协商尚未开始"))
    if now >= online.closes_at:
        raise ValidationError(_("云协商已截止"))
    comment = OnlineComment.objects.create(
        online_consultation=online, member=member, text=text, created_at=now
    )
    _online_participation_sync(online=online, member=member, by=member.person.user)
    return comment


@transaction.atomic
def comment_hide(*, comment: OnlineComment, by, reason: str) -> OnlineComment:
    """Staff moderation: the comment stays stored (and its author still sees it,
    with the reason), others no longer see it."""
    reason = _required(reason, "reason", _("请填写隐藏原因"))
    comment = (
        OnlineComment.objects.select_for_update(of=("self",))
        .select_related("online_consultation__activity", "member")
        .get(pk=comment.pk)
    )
    if comment.hidden:
        return comment
    comment.hidden = True
    comment.hidden_by = by
    comment.hidden_reason = reason[:200]
    comment.hidden_at = timezone.now()
    comment.save(update_fields=["hidden", "hidden_by", "hidden_reason", "hidden_at"])
    _online_participation_sync(online=comment.online_consultation, member=comment.member, by=by)
    return comment
