"""Rows for the duty record, self-reported duties with their attachments, and
disputes. The helpers here also build the records the tests of duties use."""

import datetime
import io
import zoneinfo

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from duties import disputes, self_reported
from duties.models import Activity, ActivityKind, Participation
from duties.services import activity_kinds_ensure_defaults
from tests.matrix import Row

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def _image(fmt: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(out, fmt)
    return out.getvalue()


PNG = _image("PNG")
JPEG = _image("JPEG")


def upload(name: str, content: bytes, content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def kind(body, code: str) -> ActivityKind:
    activity_kinds_ensure_defaults(body=body)
    return ActivityKind.objects.get(body=body, code=code)


def activity_make(
    world,
    *,
    code: str = "inspection",
    when: datetime.datetime | None = None,
    status: str = Activity.Status.CONFIRMED,
    theme: str = "视察城市防汛工作",
    body=None,
    term=None,
) -> Activity:
    body = body or world.body
    when = when or datetime.datetime(2025, 5, 20, 9, 0, tzinfo=SHANGHAI)
    return Activity.objects.create(
        body=body,
        term=term or world.term,
        kind=kind(body, code),
        theme=theme,
        starts_at=when,
        ends_at=when + datetime.timedelta(hours=2),
        status=status,
        created_by=world.staff,
    )


def participation_make(activity, member, *, attendance: str = "", **kwargs) -> Participation:
    return Participation.objects.create(
        activity=activity, member=member, attendance=attendance, **kwargs
    )


def duty_make(world, member=None, *, code="good_deed", done_on=None, files=(), verify=False):
    member = member or world.member
    duty = self_reported.duty_submit(
        member=member,
        kind=kind(member.term.body, code),
        done_on=done_on or datetime.date(2025, 6, 1),
        description="为社区老人义诊",
        attachments=list(files),
        by=member.person.user,
    )
    if verify:
        duty = self_reported.duty_verify(duty=duty, by=world.staff)
    return duty


def prepare(world):
    activity = activity_make(world, theme="矩阵活动")
    world.rec_participation = participation_make(
        activity, world.member, attendance=Participation.Attendance.ATTENDED
    )
    other = activity_make(world, theme="矩阵活动二")
    world.rec_free_participation = participation_make(other, world.member)
    world.rec_duty = duty_make(world, files=[upload("照片.png", PNG, "image/png")])
    world.rec_attachment = world.rec_duty.attachments.get()
    world.rec_dispute = disputes.dispute_open(
        member=world.member,
        record=world.rec_participation,
        reason="我请过假",
        by=world.member.person.user,
    )


NO_POST = "302 405 405 405 405 405 405 405 405"
NO_GET = NO_POST

ROWS = {
    # The record: whoever reads the member's full record; outsiders 404.
    "duties:my_record": Row(None, get="302 302 302 302 404 404 404 404 404", post=NO_POST),
    "duties:record": Row(
        lambda w: {"member_pk": w.member.pk},
        get="302 200 404 200 200 404 200 200 404",
        post=NO_POST,
    ),
    # Self-reported duties: members write, staff review.
    "duties:duty_list": Row(None, get="302 200 200 200 403 403 403 403 403", post=NO_POST),
    "duties:duty_new": Row(
        None,
        get="302 200 200 200 403 403 403 403 403",
        post="302 200 200 200 403 403 403 403 403",  # an empty form: shown again with errors
    ),
    "duties:duty_detail": Row(
        lambda w: {"pk": w.rec_duty.pk}, get="302 200 404 200 200 404 200 200 404", post=NO_POST
    ),
    "duties:duty_edit": Row(
        lambda w: {"pk": w.rec_duty.pk},
        get="302 200 404 403 403 404 403 403 404",
        post="302 200 404 403 403 404 403 403 404",
    ),
    "duties:duty_review_queue": Row(None, get="302 403 403 403 200 200 403 200 403", post=NO_POST),
    "duties:duty_verify": Row(
        lambda w: {"pk": w.rec_duty.pk}, get=NO_GET, post="302 403 404 403 302 404 403 302 404"
    ),
    "duties:duty_return": Row(
        lambda w: {"pk": w.rec_duty.pk},
        get="302 403 404 403 200 404 403 200 404",
        post="302 403 404 403 200 404 403 200 404",  # no reason: the form again
    ),
    "duties:attachment": Row(
        lambda w: {"pk": w.rec_attachment.pk},
        get="302 200 404 200 200 404 200 200 404",
        post=NO_POST,
    ),
    # Disputes: the member opens, the body's staff resolve.
    "duties:dispute_list": Row(None, get="302 200 200 200 200 200 200 200 200", post=NO_POST),
    "duties:dispute_new": Row(
        lambda w: {"model": "duties.participation", "object_id": w.rec_free_participation.pk},
        get="302 200 404 403 403 404 403 403 404",
        post="302 302 404 403 403 404 403 403 404",
        data={"reason": "我没有报名"},
    ),
    "duties:dispute_resolve": Row(
        lambda w: {"pk": w.rec_dispute.pk},
        get="302 403 404 403 200 404 403 200 404",
        post="302 403 404 403 302 404 403 302 404",
        data={"decision": "reject", "resolution": "签到表显示出席"},
    ),
}
