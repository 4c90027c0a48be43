"""Self-reported duties (自报履职): a member logs a duty done outside the menu,
with attachments; staff verify it or return it with a reason; a returned one is
edited and resubmitted. Only verified ones count.

Attachments are checked by their content (magic bytes, Pillow), never by their
name, and stored under MEDIA_ROOT with a random name; they are served only
through the permission-checked view."""

import datetime
import uuid

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from config import uploads as upload_types
from config.uploads import EXTENSIONS
from duties.models import ActivityKind, DutyAttachment, SelfReportedDuty
from members.models import Member
from members.services import notice_send
from scoring.facts import facts_changed

ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
ATTACHMENTS_MAX = 5


def attachment_sniff(upload) -> str:
    """The content type of an upload read from its bytes: application/pdf,
    image/jpeg or image/png. Anything else, or too large, is refused."""
    return upload_types.upload_check(
        upload,
        accept=(upload_types.PDF, upload_types.JPEG, upload_types.PNG),
        max_bytes=ATTACHMENT_MAX_BYTES,
        too_large=_("附件“%(name)s”超过 10 MB"),
        wrong_type=_("附件“%(name)s”不是 JPEG、PNG 图片或 PDF 文件"),
    )


def _check_kind(member: Member, kind: ActivityKind) -> None:
    if not (kind.self_reportable and kind.is_active and kind.body_id == member.term.body_id):
        raise ValidationError({"kind": _("该类型不能自行填报")})


def _check_date(member: Member, done_on: datetime.date) -> None:
    if done_on > timezone.localdate():
        raise ValidationError({"done_on": _("日期不能晚于今天")})
    if done_on < member.joined_on:
        raise ValidationError({"done_on": _("日期不能早于任职日期")})


def _attach(duty: SelfReportedDuty, uploads) -> list[DutyAttachment]:
    """Store checked uploads (the duty row is locked by the caller)."""
    have = duty.attachments.count()
    if have + len(uploads) > ATTACHMENTS_MAX:
        raise ValidationError(
            {"attachments": _("附件最多 %(n)d 个") % {"n": ATTACHMENTS_MAX}}, code="too_many"
        )
    stored = []
    for upload in uploads:
        content_type = attachment_sniff(upload)
        attachment = DutyAttachment(
            duty=duty,
            name=(upload.name or "附件")[-200:],
            content_type=content_type,
            size=upload.size,
        )
        # A random name on disk: the member's file name never reaches a path.
        attachment.file.save(f"{uuid.uuid4().hex}.{EXTENSIONS[content_type]}", upload, save=False)
        attachment.save()
        stored.append(attachment)
    return stored


@transaction.atomic
def duty_submit(
    *,
    member: Member,
    kind: ActivityKind,
    done_on: datetime.date,
    description: str,
    attachments: list[UploadedFile] = (),
    by,
) -> SelfReportedDuty:
    """A member logs a duty; it waits for staff to verify it."""
    _check_kind(member, kind)
    _check_date(member, done_on)
    if not description.strip():
        raise ValidationError({"description": _("请填写内容")})
    if len(attachments) > ATTACHMENTS_MAX:
        raise ValidationError(
            {"attachments": _("附件最多 %(n)d 个") % {"n": ATTACHMENTS_MAX}}, code="too_many"
        )
    for upload in attachments:
        attachment_sniff(upload)
    duty = SelfReportedDuty.objects.create(
        member=member, kind=kind, done_on=done_on, description=description.strip()
    )
    _attach(duty, list(attachments))
    return duty


@transaction.atomic
def duty_update(
    *,
    duty: SelfReportedDuty,
    kind: ActivityKind,
    done_on: datetime.date,
    description: str,
    attachments: list[UploadedFile] = (),
    remove_attachment_ids=(),
    by,
) -> SelfReportedDuty:
    """The member edits a duty not yet verified; a returned one goes back to
    the review queue (the last return reason stays visible until then)."""
    duty = (
        SelfReportedDuty.objects.select_for_update().select_related("member__term").get(pk=duty.pk)
    )
    if duty.status == SelfReportedDuty.Status.VERIFIED:
        raise ValidationError(_("已核实的记录不能修改;如有错误请提出异议"))
    _check_kind(duty.member, kind)
    _check_date(duty.member, done_on)
    if not description.strip():
        raise ValidationError({"description": _("请填写内容")})
    for upload in attachments:
        attachment_sniff(upload)
    removed = list(duty.attachments.filter(pk__in=list(remove_attachment_ids)))
    for attachment in removed:
        attachment.delete()
    _attach(duty, list(attachments))
    duty.kind = kind
    duty.done_on = done_on
    duty.description = description.strip()
    duty.status = SelfReportedDuty.Status.SUBMITTED
    duty.save(update_fields=["kind", "done_on", "description", "status"])
    # Files go from disk only once the rows are surely gone.
    transaction.on_commit(lambda: [a.file.delete(save=False) for a in removed])
    return duty


def _notify(duty: SelfReportedDuty, *, key: str, title: str, text: str = "") -> None:
    member = Member.objects.select_related("person").get(pk=duty.member_id)
    notice_send(
        persons=[member.person],
        key=f"duty:{duty.pk}:{key}",
        title=title,
        text=text,
        url=reverse("duties:duty_detail", args=[duty.pk]),
    )


@transaction.atomic
def duty_verify(*, duty: SelfReportedDuty, by) -> SelfReportedDuty:
    """Staff verify a submitted duty: from now on it counts."""
    duty = SelfReportedDuty.objects.select_for_update().get(pk=duty.pk)
    if duty.status != SelfReportedDuty.Status.SUBMITTED:
        return duty  # verified already, or returned meanwhile: a double click changes nothing
    duty.status = SelfReportedDuty.Status.VERIFIED
    duty.return_reason = ""
    duty.reviewed_by = by
    duty.reviewed_at = timezone.now()
    duty.save(update_fields=["status", "return_reason", "reviewed_by", "reviewed_at"])
    facts_changed([duty.member_id])
    stamp = int(duty.reviewed_at.timestamp())
    transaction.on_commit(
        lambda: _notify(
            duty,
            key=f"verified:{stamp}",
            title=_("自报履职已核实:%(kind)s %(date)s")
            % {"kind": duty.kind.name, "date": f"{duty.done_on:%Y年%m月%d日}"},
        )
    )
    return duty


@transaction.atomic
def duty_return(*, duty: SelfReportedDuty, by, reason: str) -> SelfReportedDuty:
    """Staff send a submitted duty back to the member, with a reason."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("请填写退回原因")})
    duty = SelfReportedDuty.objects.select_for_update().get(pk=duty.pk)
    if duty.status != SelfReportedDuty.Status.SUBMITTED:
        return duty
    duty.status = SelfReportedDuty.Status.RETURNED
    duty.return_reason = reason[:300]
    duty.reviewed_by = by
    duty.reviewed_at = timezone.now()
    duty.save(update_fields=["status", "return_reason", "reviewed_by", "reviewed_at"])
    facts_changed([duty.member_id])
    stamp = int(duty.reviewed_at.timestamp())
    transaction.on_commit(
        lambda: _notify(
            duty,
            key=f"returned:{stamp}",
            title=_("自报履职被退回:%(kind)s %(date)s")
            % {"kind": duty.kind.name, "date": f"{duty.done_on:%Y年%m月%d日}"},
            text=duty.return_reason,
        )
    )
    return duty


def duty_correct(
    *,
    duty: SelfReportedDuty,
    by,
    done_on: datetime.date | None = None,
    kind: ActivityKind | None = None,
    verify: bool = False,
) -> SelfReportedDuty:
    """Staff correct a duty after a dispute: its date, its kind, or mark it
    verified. Called by the dispute machinery (which holds the row lock)."""
    duty = SelfReportedDuty.objects.select_related("member__term").get(pk=duty.pk)
    fields = []
    if done_on is not None and done_on != duty.done_on:
        _check_date(duty.member, done_on)
        duty.done_on = done_on
        fields.append("done_on")
    if kind is not None and kind.pk != duty.kind_id:
        _check_kind(duty.member, kind)
        duty.kind = kind
        fields.append("kind")
    if verify and duty.status != SelfReportedDuty.Status.VERIFIED:
        duty.status = SelfReportedDuty.Status.VERIFIED
        duty.return_reason = ""
        duty.reviewed_by = by
        duty.reviewed_at = timezone.now()
        fields += ["status", "return_reason", "reviewed_by", "reviewed_at"]
    if not fields:
        raise ValidationError(_("没有需要更正的内容"))
    duty.save(update_fields=fields)
    facts_changed([duty.member_id])
    return duty
