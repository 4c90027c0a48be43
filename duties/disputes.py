"""Disputes (异议) of any record, built once.

A model takes part by registering how to summarise one of its records, whose
record it is, and how to apply a correction to it. The dispute row is the
history: the record as it read when flagged, the member's reason, the outcome,
who decided and when. Rows are never deleted.

    disputable_register(Participation, summarise=..., member_of=..., apply=...)

The scoring engine registers its score lines the same way."""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from duties.models import Dispute, Participation, SelfReportedDuty
from members.models import Member
from members.services import notice_send
from scoring.facts import facts_changed


@dataclass(frozen=True)
class Disputable:
    """How the dispute machinery reads and corrects one model's records.

    summarise(record) -> str: one line, as the member and staff read it.
    member_of(record) -> int: the id of the member whose record it is.
    apply(record, correction: dict, by) -> None: change the record (raise
        ValidationError for a correction that cannot be made). None: the model
        takes no structured correction, only the resolution text.
    date_of(record) -> date | None: when the record happened (to link to the
        right year of the duty record).
    guard(record) -> None: raise ValidationError when the record may not be
        disputed now (a score line outside its period's dispute window).
    url_of(record) -> str: the page that shows the record to its member (the
        notice of the outcome links there); None: the member's duty record.
    select_related: what summarise needs, fetched with the record."""

    model: type[models.Model]
    summarise: Callable[[models.Model], str]
    member_of: Callable[[models.Model], int]
    apply: Callable[[models.Model, dict, object], None] | None = None
    date_of: Callable[[models.Model], datetime.date | None] = lambda record: None
    select_related: tuple[str, ...] = ()
    guard: Callable[[models.Model], None] | None = None
    url_of: Callable[[models.Model], str] | None = None

    @property
    def label(self) -> str:
        return self.model._meta.label_lower


_REGISTRY: dict[str, Disputable] = {}


def disputable_register(model, **how) -> Disputable:
    entry = Disputable(model=model, **how)
    _REGISTRY[entry.label] = entry
    return entry


def disputable_for(model_or_label) -> Disputable | None:
    label = model_or_label if isinstance(model_or_label, str) else model_or_label._meta.label_lower
    return _REGISTRY.get(label.lower())


def disputable_record(label: str, object_id: int):
    """The registered record with this label and id, with what its summary needs
    (None when the model is not registered or the record does not exist)."""
    entry = disputable_for(label)
    if entry is None:
        return None
    return entry.model.objects.select_related(*entry.select_related).filter(pk=object_id).first()


def _entry(record) -> Disputable:
    entry = disputable_for(type(record))
    if entry is None:
        raise ValidationError(_("此类记录不能提出异议"))
    return entry


@transaction.atomic
def dispute_open(*, member: Member, record, reason: str, by) -> Dispute:
    """Flag a record of the member's as wrong. A second submit while one is open
    returns the open one unchanged."""
    entry = _entry(record)
    if entry.member_of(record) != member.pk:
        raise ValidationError(_("只能对本人的记录提出异议"))
    if entry.guard is not None:
        entry.guard(record)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("请填写异议理由")})
    content_type = ContentType.objects.get_for_model(record)
    existing = Dispute.objects.filter(
        content_type=content_type, object_id=record.pk, status=Dispute.Status.OPEN
    ).first()
    if existing is not None:
        return existing
    try:
        # The savepoint lets a concurrent double submit lose the race on the
        # unique constraint without spoiling the caller's transaction.
        with transaction.atomic():
            return Dispute.objects.create(
                member=member,
                content_type=content_type,
                object_id=record.pk,
                summary=entry.summarise(record)[:300],
                reason=reason,
            )
    except IntegrityError:
        return Dispute.objects.get(
            content_type=content_type, object_id=record.pk, status=Dispute.Status.OPEN
        )


@transaction.atomic
def dispute_resolve(
    *,
    dispute: Dispute,
    correct: bool,
    resolution: str,
    by,
    apply: Callable[[models.Model], None] | None = None,
    correction: dict | None = None,
) -> Dispute:
    """Staff decide: correct the record (with `apply(record)`, or the model's
    registered correction fed `correction`) or reject. Either way a reason is
    required, the member is told, and the row stays as the history. A dispute
    already decided is returned unchanged."""
    dispute = Dispute.objects.select_for_update().get(pk=dispute.pk)
    if dispute.status != Dispute.Status.OPEN:
        return dispute
    resolution = resolution.strip()
    if not resolution:
        raise ValidationError({"resolution": _("请填写处理意见")})
    text = resolution
    if correct:
        entry = disputable_for(dispute.content_type.model_class())
        record = (
            entry.model.objects.select_for_update().filter(pk=dispute.object_id).first()
            if entry
            else None
        )
        if record is None and (apply or correction):
            raise ValidationError(_("该记录已不存在,无法更正"))
        if apply is not None:
            apply(record)
        elif correction:
            if entry.apply is None:
                raise ValidationError(_("此类记录不支持直接更正"))
            entry.apply(record, correction, by)
        if record is not None and (apply is not None or correction):
            record = entry.model.objects.select_related(*entry.select_related).get(pk=record.pk)
            text = f"{resolution}\n" + _("更正后:%(summary)s") % {
                "summary": entry.summarise(record)
            }
    dispute.status = Dispute.Status.CORRECTED if correct else Dispute.Status.REJECTED
    dispute.resolution = text
    dispute.resolved_by = by
    dispute.resolved_at = timezone.now()
    dispute.save(update_fields=["status", "resolution", "resolved_by", "resolved_at"])
    transaction.on_commit(lambda: _notify_outcome(dispute))
    return dispute


def dispute_record_url(dispute: Dispute) -> str | None:
    """The page showing the disputed record to its member, when its model has one."""
    entry = disputable_for(dispute.content_type.model_class())
    if entry is None or entry.url_of is None:
        return None
    record = disputable_record(entry.label, dispute.object_id)
    return entry.url_of(record) if record is not None else None


def dispute_record_year(dispute: Dispute) -> int:
    entry = disputable_for(dispute.content_type.model_class())
    record = disputable_record(entry.label, dispute.object_id) if entry else None
    when = entry.date_of(record) if record is not None else None
    return (when or timezone.localdate(dispute.created_at)).year


def _notify_outcome(dispute: Dispute) -> None:
    member = Member.objects.select_related("person").get(pk=dispute.member_id)
    title = (
        _("您的异议已更正:%(summary)s")
        if dispute.status == Dispute.Status.CORRECTED
        else _("您的异议未采纳:%(summary)s")
    ) % {"summary": dispute.summary}
    url = dispute_record_url(dispute) or (
        reverse("duties:record", args=[member.pk]) + f"?year={dispute_record_year(dispute)}"
    )
    notice_send(
        persons=[member.person],
        key=f"dispute:{dispute.pk}:{dispute.status}",
        title=title[:200],
        text=dispute.resolution,
        url=url,
    )


# The records of this app ------------------------------------------------------


def _participation_summary(p: Participation) -> str:
    when = timezone.localtime(p.activity.starts_at).strftime("%Y年%m月%d日")
    state = p.get_attendance_display() if p.attendance else p.get_signup_display()
    return f"{when} {p.activity.kind.name}:{p.activity.theme}({state})"


def _participation_apply(p: Participation, correction: dict, by) -> None:
    """The corrected attendance; recorded_by/recorded_at stay as they were (the
    dispute row says who corrected it and when)."""
    attendance = correction.get("attendance")
    if attendance is None or attendance not in Participation.Attendance.values:
        raise ValidationError({"attendance": _("请选择更正后的出席情况")})
    p.attendance = attendance
    if attendance == Participation.Attendance.EXCUSED and p.leave != Participation.Leave.APPROVED:
        p.leave = Participation.Leave.NONE
    if attendance != Participation.Attendance.UNKNOWN:
        p.signup = Participation.Signup.CONFIRMED
    p.save(update_fields=["attendance", "leave", "signup"])
    facts_changed([p.member_id])


def _duty_summary(d: SelfReportedDuty) -> str:
    return f"{d.done_on:%Y年%m月%d日} {d.kind.name}(自报,{d.get_status_display()}):{d.description[:60]}"


def _duty_apply(d: SelfReportedDuty, correction: dict, by) -> None:
    from duties.self_reported import duty_correct

    duty_correct(duty=d, by=by, **correction)


disputable_register(
    Participation,
    summarise=_participation_summary,
    member_of=lambda p: p.member_id,
    apply=_participation_apply,
    date_of=lambda p: timezone.localdate(p.activity.starts_at),
    select_related=("activity__kind",),
)
disputable_register(
    SelfReportedDuty,
    summarise=_duty_summary,
    member_of=lambda d: d.member_id,
    apply=_duty_apply,
    date_of=lambda d: d.done_on,
    select_related=("kind",),
)
