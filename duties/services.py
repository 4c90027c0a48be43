"""Writes on activities and participation: publish, sign up, withdraw, the
waiting list, the final list, attendance and leave. Each locks the activity row
it changes, so two members taking the last seat at once never overfill it."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from duties.models import Activity, ActivityKind, Category, Participation
from members.models import Member, Person
from members.services import notice_send
from scoring.facts import facts_changed

# The kinds a new body starts with (name, code, category, self-reportable, required).
DEFAULT_KINDS = (
    ("全体会议", "plenary", Category.MEETING, False, True),
    ("常委会议", "standing_meeting", Category.MEETING, False, True),
    ("专委会会议", "committee_meeting", Category.MEETING, False, False),
    ("界别小组会议", "group_meeting", Category.MEETING, False, False),
    ("视察", "inspection", Category.INSPECTION, False, False),
    ("专题调研", "research", Category.RESEARCH, False, False),
    ("专题协商", "thematic_consultation", Category.CONSULTATION, False, False),
    ("对口协商", "counterpart_consultation", Category.CONSULTATION, False, False),
    ("界别协商", "sector_consultation", Category.CONSULTATION, False, False),
    ("有事好商量", "community_consultation", Category.CONSULTATION, False, False),
    ("民主监督", "supervision", Category.SUPERVISION, False, False),
    ("学习培训", "training", Category.TRAINING, False, False),
    ("大会发言", "plenary_speech", Category.SPEECH, False, False),
    # A written speech the plenary accepted (书面发言被采用): self-reported, then verified.
    ("大会书面发言", "plenary_speech_written", Category.SPEECH, True, False),
    ("为群众办实事", "good_deed", Category.GOOD_DEED, True, False),
    ("招商引资", "investment", Category.ATTRACTION, True, False),
    ("招才引智", "talent", Category.ATTRACTION, True, False),
    ("联系界别群众", "sector_liaison", Category.LIAISON, True, False),
    ("结对帮扶", "pairing", Category.PAIRING, True, False),
    ("领导走访委员", "leader_visit", Category.VISIT, False, False),
    ("发表履职文章", "published_speech", Category.SPEECH, True, False),
    ("云协商", "online_consultation", Category.CONSULTATION, False, False),
)


def activity_kinds_ensure_defaults(*, body) -> int:
    """Give a body the default activity kinds it lacks (by code). Returns how many were added."""
    have = set(ActivityKind.objects.filter(body=body).values_list("code", flat=True))
    new = [
        ActivityKind(
            body=body,
            name=name,
            code=code,
            category=category,
            self_reportable=own,
            required_by_default=required,
            order=i,
        )
        for i, (name, code, category, own, required) in enumerate(DEFAULT_KINDS)
        if code not in have
    ]
    ActivityKind.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


def audience_members(activity: Activity) -> QuerySet:
    """The sitting members of the activity's term the activity is for."""
    members = Member.objects.filter(term_id=activity.term_id, left_on__isnull=True)
    match activity.audience:
        case Activity.Audience.STANDING:
            members = members.filter(is_standing=True)
        case Activity.Audience.COMMITTEE:
            members = members.filter(committees=activity.audience_committee_id)
        case Activity.Audience.GROUP:
            members = members.filter(group_id=activity.audience_group_id)
        case Activity.Audience.NAMED:
            members = members.filter(pk__in=activity.audience_members.values("pk"))
    return members


def in_audience(activity: Activity, member: Member) -> bool:
    return audience_members(activity).filter(pk=member.pk).exists()


def _notify(activity: Activity, member_ids, *, key: str, title: str, text: str = "") -> int:
    persons = Person.objects.filter(seats__pk__in=list(member_ids)).distinct()
    url = reverse("duties:activity", args=[activity.pk])
    return notice_send(
        persons=persons, key=f"activity:{activity.pk}:{key}", title=title, text=text, url=url
    )


def _locked(activity: Activity) -> Activity:
    return Activity.objects.select_for_update().get(pk=activity.pk)


def _recount(activity: Activity) -> None:
    """Count the list again after staff changed it; staff may go past the
    capacity on purpose, so the capacity rises with them."""
    count = activity.participations.on_list().count()
    capacity = max(activity.capacity, count) if activity.capacity is not None else None
    Activity.objects.filter(pk=activity.pk).update(signed_up_count=count, capacity=capacity)


@transaction.atomic
def activity_publish(*, activity: Activity, by) -> Activity:
    """Publish a draft. For required attendance, everyone in the audience is put
    on the list at once (they do not sign up)."""
    activity = _locked(activity)
    if activity.status != Activity.Status.DRAFT:
        return activity
    activity.status = Activity.Status.PUBLISHED
    activity.save(update_fields=["status"])
    if activity.required_attendance:
        activity_required_list_refresh(activity=activity)
    return activity


@transaction.atomic
def activity_update(*, form) -> Activity:
    """Save the activity's edit form. Its date or kind may change what every
    participant's attendance counts for, so their duty facts are refreshed."""
    activity = form.save()
    if activity.status != Activity.Status.DRAFT and activity.required_attendance:
        activity_required_list_refresh(activity=activity)
    facts_changed(activity.participations.values_list("member_id", flat=True))
    return activity


def activity_required_list_refresh(*, activity: Activity) -> int:
    """Put every audience member not yet listed on a required activity's list."""
    listed = Participation.objects.filter(activity=activity).values("member_id")
    new = [
        Participation(activity=activity, member_id=pk, source=Participation.Source.REQUIRED)
        for pk in audience_members(activity).exclude(pk__in=listed).values_list("pk", flat=True)
    ]
    Participation.objects.bulk_create(new, batch_size=1000, ignore_conflicts=True)
    return len(new)


@transaction.atomic
def activity_cancel(*, activity: Activity, by, reason: str) -> Activity:
    """Cancel: the history stays, and everyone on the list or the waiting list is told."""
    if not reason.strip():
        raise ValidationError({"reason": _("请填写取消原因")})
    activity = _locked(activity)
    if activity.status == Activity.Status.CANCELLED:
        return activity
    activity.status = Activity.Status.CANCELLED
    activity.cancel_reason = reason.strip()
    activity.save(update_fields=["status", "cancel_reason"])
    facts_changed(activity.participations.values_list("member_id", flat=True))
    told = activity.participations.filter(
        signup__in=[Participation.Signup.CONFIRMED, Participation.Signup.WAITLISTED]
    ).values_list("member_id", flat=True)
    transaction.on_commit(
        lambda: _notify(
            activity,
            told,
            key="cancelled",
            title=_("活动取消:%(theme)s") % {"theme": activity.theme},
            text=reason,
        )
    )
    return activity


class SignupRefused(ValidationError):
    pass


@transaction.atomic
def signup(
    *, activity: Activity, member: Member, now: datetime.datetime | None = None
) -> Participation:
    """Sign a member up; on the waiting list when the activity is full. A double
    submit returns the existing row."""
    now = now or timezone.now()
    activity = _locked(activity)
    if not activity.signup_open(now):
        if activity.status == Activity.Status.CANCELLED:
            raise SignupRefused(_("活动已取消"))
        if activity.required_attendance:
            raise SignupRefused(_("本活动为应出席活动,无需报名"))
        raise SignupRefused(_("报名已截止"))
    if not in_audience(activity, member):
        raise SignupRefused(_("您不在本活动的参加对象之内"))
    participation = Participation.objects.filter(activity=activity, member=member).first()
    if participation and participation.signup in (
        Participation.Signup.CONFIRMED,
        Participation.Signup.WAITLISTED,
    ):
        return participation
    full = activity.capacity is not None and activity.signed_up_count >= activity.capacity
    state = Participation.Signup.WAITLISTED if full else Participation.Signup.CONFIRMED
    if participation is None:
        participation = Participation(activity=activity, member=member)
    participation.signup = state
    participation.source = Participation.Source.SIGNUP
    participation.signed_up_at = now
    participation.save()
    facts_changed([member.pk])
    if state == Participation.Signup.CONFIRMED:
        Activity.objects.filter(pk=activity.pk).update(signed_up_count=F("signed_up_count") + 1)
    return participation


@transaction.atomic
def withdraw(
    *, activity: Activity, member: Member, now: datetime.datetime | None = None
) -> Participation | None:
    """Take a member off the list before the deadline; the first on the waiting
    list moves up and is told."""
    now = now or timezone.now()
    activity = _locked(activity)
    if not activity.signup_open(now):
        raise SignupRefused(_("报名已截止,不能退出;如不能参加请请假"))
    participation = (
        Participation.objects.select_for_update().filter(activity=activity, member=member).first()
    )
    if participation is None or participation.signup not in (
        Participation.Signup.CONFIRMED,
        Participation.Signup.WAITLISTED,
    ):
        return participation
    was_confirmed = participation.signup == Participation.Signup.CONFIRMED
    participation.signup = Participation.Signup.WITHDRAWN
    participation.save(update_fields=["signup"])
    facts_changed([member.pk])
    if was_confirmed:
        Activity.objects.filter(pk=activity.pk).update(signed_up_count=F("signed_up_count") - 1)
        _promote_waitlist(activity)
    return participation


def _promote_waitlist(activity: Activity) -> list[int]:
    """Fill free seats from the waiting list, first come first served (the
    activity row is locked by the caller)."""
    activity.refresh_from_db(fields=["signed_up_count", "capacity"])
    free = None if activity.capacity is None else activity.capacity - activity.signed_up_count
    waiting = Participation.objects.filter(activity=activity).waitlisted()
    promoted = list(waiting.values_list("pk", "member_id")[: free if free is not None else None])
    if not promoted:
        return []
    Participation.objects.filter(pk__in=[pk for pk, _ in promoted]).update(
        signup=Participation.Signup.CONFIRMED
    )
    facts_changed([m for _, m in promoted])
    Activity.objects.filter(pk=activity.pk).update(
        signed_up_count=F("signed_up_count") + len(promoted)
    )
    member_ids = [m for _, m in promoted]
    transaction.on_commit(
        lambda: _notify(
            activity,
            member_ids,
            key=f"promoted:{timezone.now().timestamp()}",
            title=_("候补转正:%(theme)s") % {"theme": activity.theme},
            text=_("有名额空出,您已由候补转为正式报名。"),
        )
    )
    return member_ids


@transaction.atomic
def list_add(*, activity: Activity, members, by) -> int:
    """Staff put members on the final list (over capacity if they so decide)."""
    activity = _locked(activity)
    if activity.status == Activity.Status.CANCELLED:
        raise SignupRefused(_("活动已取消"))
    added = []
    for member in members:
        participation, created = Participation.objects.get_or_create(
            activity=activity, member=member, defaults={"source": Participation.Source.STAFF}
        )
        if not created and participation.signup == Participation.Signup.CONFIRMED:
            continue
        participation.signup = Participation.Signup.CONFIRMED
        participation.source = participation.source if not created else Participation.Source.STAFF
        participation.save(update_fields=["signup", "source"])
        added.append(member.pk)
    if added:
        _recount(activity)
        facts_changed(added)
        transaction.on_commit(
            lambda: _notify(
                activity,
                added,
                key=f"added:{timezone.now().timestamp()}",
                title=_("已安排您参加:%(theme)s") % {"theme": activity.theme},
            )
        )
    return len(added)


@transaction.atomic
def list_remove(*, activity: Activity, member: Member, by) -> bool:
    activity = _locked(activity)
    participation = Participation.objects.filter(
        activity=activity,
        member=member,
        signup__in=[Participation.Signup.CONFIRMED, Participation.Signup.WAITLISTED],
    ).first()
    if participation is None:
        return False
    was_confirmed = participation.signup == Participation.Signup.CONFIRMED
    participation.signup = Participation.Signup.REMOVED
    participation.save(update_fields=["signup"])
    facts_changed([member.pk])
    if was_confirmed:
        Activity.objects.filter(pk=activity.pk).update(signed_up_count=F("signed_up_count") - 1)
    transaction.on_commit(
        lambda: _notify(
            activity,
            [member.pk],
            key=f"removed:{member.pk}:{timezone.now().timestamp()}",
            title=_("名单调整:%(theme)s") % {"theme": activity.theme},
            text=_("工作人员调整了名单,您不在本次活动的名单中。"),
        )
    )
    if was_confirmed and activity.status == Activity.Status.PUBLISHED:
        _promote_waitlist(activity)
    return True


@transaction.atomic
def participation_withdraw(*, activity: Activity, member: Member, by) -> bool:
    """Take a member off an activity's list and clear their attendance, without
    telling them (list_remove notifies and keeps the attendance): for records
    that stop counting, such as a hidden online comment."""
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    participation = (
        Participation.objects.select_for_update().filter(activity=activity, member=member).first()
    )
    if participation is None or participation.signup == Participation.Signup.REMOVED:
        return False
    was_confirmed = participation.signup == Participation.Signup.CONFIRMED
    participation.signup = Participation.Signup.REMOVED
    participation.attendance = Participation.Attendance.UNKNOWN
    participation.recorded_by = by
    participation.recorded_at = timezone.now()
    participation.save(update_fields=["signup", "attendance", "recorded_by", "recorded_at"])
    facts_changed([member.pk])
    if was_confirmed:
        Activity.objects.filter(pk=activity.pk).update(signed_up_count=F("signed_up_count") - 1)
    activity.audience_members.remove(member)
    return True


@transaction.atomic
def list_confirm(*, activity: Activity, by) -> Activity:
    """Staff confirm the final list: sign-up closes and everyone on it is told."""
    activity = _locked(activity)
    if activity.status != Activity.Status.PUBLISHED:
        return activity
    activity.status = Activity.Status.CONFIRMED
    activity.save(update_fields=["status"])
    on_list = list(activity.participations.on_list().values_list("member_id", flat=True))
    transaction.on_commit(
        lambda: _notify(
            activity,
            on_list,
            key="confirmed",
            title=_("名单已确定:%(theme)s") % {"theme": activity.theme},
            text=_("%(when)s 于 %(where)s")
            % {
                "when": timezone.localtime(activity.starts_at).strftime("%Y年%m月%d日 %H:%M"),
                "where": activity.venue,
            },
        )
    )
    return activity


def _require_recordable(activity: Activity):
    if activity.status == Activity.Status.CANCELLED:
        raise ValidationError(_("活动已取消,不能登记出席情况"))
    if activity.status == Activity.Status.DRAFT:
        raise ValidationError(_("活动尚未发布,不能登记出席情况"))


@transaction.atomic
def attendance_record(
    *, activity: Activity, member: Member, attendance: str, by, reason: str = "", role: str = ""
) -> Participation:
    """Staff record one member's attendance, and with `role` what they did
    there (a speech at the plenary scores apart from sitting in it). Excused
    needs a reason; a member not yet listed is added (they came without
    signing up)."""
    activity = _locked(activity)
    _require_recordable(activity)
    if attendance not in Participation.Attendance.values:
        raise ValidationError(_("未知的出席情况"))
    if role and role not in Participation.Role.values:
        raise ValidationError({"role": _("未知的角色")})
    if attendance == Participation.Attendance.EXCUSED and not reason.strip():
        participation = Participation.objects.filter(activity=activity, member=member).first()
        if participation is None or participation.leave != Participation.Leave.APPROVED:
            raise ValidationError({"reason": _("请假须填写事由")})
    participation, created = Participation.objects.get_or_create(
        activity=activity, member=member, defaults={"source": Participation.Source.STAFF}
    )
    came_unlisted = created or participation.signup != Participation.Signup.CONFIRMED
    participation.signup = Participation.Signup.CONFIRMED
    participation.attendance = attendance
    if role:
        participation.role = role
    if (
        attendance == Participation.Attendance.EXCUSED
        and participation.leave != Participation.Leave.APPROVED
    ):
        # Excused by staff directly (no request beforehand): the reason is theirs.
        participation.leave = Participation.Leave.NONE
        participation.leave_reason = reason.strip()
    participation.recorded_by = by
    participation.recorded_at = timezone.now()
    participation.save()
    facts_changed([member.pk])
    if came_unlisted:
        _recount(activity)
    return participation


@transaction.atomic
def attendance_mark_all_present(*, activity: Activity, by) -> int:
    """Everyone on the list with nothing recorded yet is marked present; staff
    then fix the exceptions one by one. Approved leave stays excused."""
    activity = _locked(activity)
    _require_recordable(activity)
    now = timezone.now()
    on_list = activity.participations.on_list().filter(attendance="")
    facts_changed(on_list.values_list("member_id", flat=True))  # read before the updates
    excused = on_list.filter(leave=Participation.Leave.APPROVED).update(
        attendance=Participation.Attendance.EXCUSED, recorded_by=by, recorded_at=now
    )
    present = on_list.exclude(leave=Participation.Leave.APPROVED).update(
        attendance=Participation.Attendance.ATTENDED, leave="", recorded_by=by, recorded_at=now
    )
    return present + excused


@transaction.atomic
def leave_request(*, activity: Activity, member: Member, reason: str, now=None) -> Participation:
    """A member asks for leave beforehand (请假), with a reason."""
    now = now or timezone.now()
    if not reason.strip():
        raise ValidationError({"reason": _("请填写请假事由")})
    activity = _locked(activity)
    if activity.status in (Activity.Status.CANCELLED, Activity.Status.DRAFT):
        raise ValidationError(_("活动未在进行中,无需请假"))
    if now >= activity.starts_at:
        raise ValidationError(_("活动已开始,不能再请假"))
    participation = Participation.objects.filter(
        activity=activity, member=member, signup=Participation.Signup.CONFIRMED
    ).first()
    if participation is None:
        raise ValidationError(_("您不在本活动的名单中,无需请假"))
    if participation.leave == Participation.Leave.APPROVED:
        return participation
    participation.leave = Participation.Leave.REQUESTED
    participation.leave_reason = reason.strip()
    participation.save(update_fields=["leave", "leave_reason"])
    return participation


@transaction.atomic
def leave_decide(*, participation: Participation, approve: bool, by) -> Participation:
    """Staff approve (the member is excused) or refuse a leave request."""
    participation = (
        Participation.objects.select_for_update()
        .select_related("activity")
        .get(pk=participation.pk)
    )
    if participation.leave != Participation.Leave.REQUESTED:
        return participation
    participation.leave = Participation.Leave.APPROVED if approve else Participation.Leave.REFUSED
    if approve:
        participation.attendance = Participation.Attendance.EXCUSED
    participation.recorded_by = by
    participation.recorded_at = timezone.now()
    participation.save(update_fields=["leave", "attendance", "recorded_by", "recorded_at"])
    facts_changed([participation.member_id])
    activity = participation.activity
    decision = _("已批准") if approve else _("未批准")
    transaction.on_commit(
        lambda: _notify(
            activity,
            [participation.member_id],
            key=f"leave:{participation.member_id}:{participation.leave}",
            title=_("请假%(decision)s:%(theme)s") % {"decision": decision, "theme": activity.theme},
        )
    )
    return participation
