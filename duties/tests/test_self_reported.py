"""Self-reported duties: the rules of a submission, attachments checked by
content, staff review, and who may open an attachment."""

import datetime
from urllib.parse import quote

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from duties import self_reported
from duties.models import DutyAttachment, SelfReportedDuty
from duties.selectors import duty_record
from members.models import Notice
from tests.matrix.records import JPEG, PDF, PNG, duty_make, kind, upload

pytestmark = pytest.mark.django_db

HTML = b"<!doctype html><html><script>alert(1)</script></html>"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _submit(world, **overrides):
    values = {
        "member": world.member,
        "kind": kind(world.body, "good_deed"),
        "done_on": datetime.date(2025, 6, 1),
        "description": "为社区老人义诊",
        "attachments": [],
        "by": world.member.person.user,
    }
    values.update(overrides)
    return self_reported.duty_submit(**values)


def _post_new(client, world, files=(), **fields):
    data = {
        "kind": kind(world.body, "good_deed").pk,
        "done_on": "2025-06-01",
        "description": "到联系的社区宣讲政策",
        **fields,
    }
    if files:
        data["attachments"] = list(files)
    return client.post(reverse("duties:duty_new"), data)


# The content decides the type -------------------------------------------------


def test_it_reads_the_type_from_the_content_not_the_name():
    assert self_reported.attachment_sniff(upload("a.png", PNG)) == "image/png"
    assert self_reported.attachment_sniff(upload("a.pdf", JPEG)) == "image/jpeg"
    assert self_reported.attachment_sniff(upload("扫描件.jpg", PDF)) == "application/pdf"


def test_it_refuses_html_named_png():
    with pytest.raises(ValidationError) as error:
        self_reported.attachment_sniff(upload("照片.png", HTML, "image/png"))
    assert error.value.code == "wrong_type"


def test_it_refuses_a_file_over_10_mb():
    big = PDF + b"0" * (10 * 1024 * 1024)
    with pytest.raises(ValidationError) as error:
        self_reported.attachment_sniff(upload("大文件.pdf", big))
    assert error.value.code == "too_large"


def test_it_refuses_a_gif_though_pillow_reads_it():
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("P", (2, 2)).save(out, "GIF")
    with pytest.raises(ValidationError):
        self_reported.attachment_sniff(upload("a.png", out.getvalue()))


# Submission rules -------------------------------------------------------------


def test_a_member_submits_a_duty_with_attachments(world, media):
    duty = _submit(
        world,
        attachments=[upload("义诊照片.png", PNG), upload("报道.jpg", PDF)],
    )
    assert duty.status == SelfReportedDuty.Status.SUBMITTED
    stored = {a.name: a for a in duty.attachments.all()}
    assert stored["义诊照片.png"].content_type == "image/png"
    assert stored["报道.jpg"].content_type == "application/pdf"
    # Stored under MEDIA_ROOT with a random name, never the member's.
    path = stored["报道.jpg"].file.path
    assert path.startswith(str(media))
    assert path.endswith(".pdf")
    assert "报道" not in path


def test_it_refuses_a_date_in_the_future(world):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    with pytest.raises(ValidationError) as error:
        _submit(world, done_on=tomorrow)
    assert "done_on" in error.value.error_dict


def test_it_refuses_a_date_before_the_seat_began(world):
    with pytest.raises(ValidationError) as error:
        _submit(world, done_on=world.member.joined_on - datetime.timedelta(days=1))
    assert "done_on" in error.value.error_dict


def test_it_refuses_a_kind_not_self_reportable(world):
    with pytest.raises(ValidationError) as error:
        _submit(world, kind=kind(world.body, "inspection"))
    assert "kind" in error.value.error_dict


def test_it_refuses_a_kind_of_another_body(world):
    with pytest.raises(ValidationError):
        _submit(world, kind=kind(world.other_body, "good_deed"))


def test_it_refuses_more_than_five_attachments(world):
    files = [upload(f"{i}.png", PNG) for i in range(6)]
    with pytest.raises(ValidationError):
        _submit(world, attachments=files)
    assert not SelfReportedDuty.objects.exists()


def test_the_form_submits_and_shows_the_status(client, world):
    client.force_login(world.member.person.user)
    response = _post_new(client, world, files=[upload("照片.jpg", JPEG)])
    duty = SelfReportedDuty.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("duties:duty_detail", args=[duty.pk])
    assert duty.member == world.member
    assert duty.attachments.get().name == "照片.jpg"
    html = client.get(reverse("duties:duty_list")).content.decode()
    assert "待审核" in html and "到联系的社区宣讲政策" in html


def test_the_form_refuses_html_named_png(client, world):
    client.force_login(world.member.person.user)
    response = _post_new(client, world, files=[upload("照片.png", HTML, "image/png")])
    assert response.status_code == 200
    assert "不是 JPEG、PNG 图片或 PDF 文件" in response.content.decode()
    assert not SelfReportedDuty.objects.exists()


def test_the_form_refuses_six_attachments(client, world):
    client.force_login(world.member.person.user)
    files = [upload(f"{i}.png", PNG) for i in range(6)]
    response = _post_new(client, world, files=files)
    assert response.status_code == 200
    assert "附件最多 5 个" in response.content.decode()
    assert not SelfReportedDuty.objects.exists()


def test_the_form_refuses_a_future_date(client, world):
    client.force_login(world.member.person.user)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    response = _post_new(client, world, done_on=tomorrow.isoformat())
    assert response.status_code == 200
    assert "日期不能晚于今天" in response.content.decode()


def test_the_form_offers_only_self_reportable_kinds_of_the_body(client, world):
    kind(world.other_body, "good_deed")
    client.force_login(world.member.person.user)
    form = client.get(reverse("duties:duty_new")).context["form"]
    kinds = list(form.fields["kind"].queryset)
    assert kinds and all(k.self_reportable and k.body_id == world.body.pk for k in kinds)


# Review -----------------------------------------------------------------------


def test_staff_verify_and_the_member_is_told(client, world, django_capture_on_commit_callbacks):
    duty = duty_make(world)
    client.force_login(world.staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("duties:duty_verify", args=[duty.pk]))
    assert response.status_code == 302
    duty.refresh_from_db()
    assert duty.status == SelfReportedDuty.Status.VERIFIED
    assert duty.reviewed_by == world.staff
    notice = Notice.objects.get(person=world.member.person)
    assert "已核实" in notice.title
    # A double click changes nothing and tells no one twice.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("duties:duty_verify", args=[duty.pk]))
    assert Notice.objects.filter(person=world.member.person).count() == 1


def test_return_needs_a_reason(client, world):
    duty = duty_make(world)
    with pytest.raises(ValidationError):
        self_reported.duty_return(duty=duty, by=world.staff, reason="  ")
    client.force_login(world.staff)
    response = client.post(reverse("duties:duty_return", args=[duty.pk]), {"reason": ""})
    assert response.status_code == 200
    duty.refresh_from_db()
    assert duty.status == SelfReportedDuty.Status.SUBMITTED


def test_a_returned_duty_is_edited_and_resubmitted(
    client, world, django_capture_on_commit_callbacks
):
    duty = duty_make(world, files=[upload("旧.png", PNG)])
    old = duty.attachments.get()
    client.force_login(world.staff)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("duties:duty_return", args=[duty.pk]), {"reason": "请补充照片"})
    duty.refresh_from_db()
    assert duty.status == SelfReportedDuty.Status.RETURNED
    assert duty.return_reason == "请补充照片"
    assert "被退回" in Notice.objects.get(person=world.member.person).title

    client.force_login(world.member.person.user)
    assert "请补充照片" in client.get(reverse("duties:duty_list")).content.decode()
    response = client.post(
        reverse("duties:duty_edit", args=[duty.pk]),
        {
            "kind": duty.kind_id,
            "done_on": "2025-06-02",
            "description": "为社区老人义诊,附现场照片",
            "remove": [old.pk],
            "attachments": [upload("现场.jpg", JPEG)],
        },
    )
    assert response.status_code == 302
    duty.refresh_from_db()
    assert duty.status == SelfReportedDuty.Status.SUBMITTED
    assert duty.done_on == datetime.date(2025, 6, 2)
    assert [a.name for a in duty.attachments.all()] == ["现场.jpg"]
    assert not DutyAttachment.objects.filter(pk=old.pk).exists()


def test_a_verified_duty_cannot_be_edited(client, world):
    duty = duty_make(world, verify=True)
    with pytest.raises(ValidationError):
        self_reported.duty_update(
            duty=duty,
            kind=duty.kind,
            done_on=duty.done_on,
            description="改",
            by=world.member.person.user,
        )
    client.force_login(world.member.person.user)
    response = client.post(
        reverse("duties:duty_edit", args=[duty.pk]),
        {"kind": duty.kind_id, "done_on": "2025-06-02", "description": "改"},
    )
    assert response.status_code == 302
    duty.refresh_from_db()
    assert duty.description == "为社区老人义诊"


def test_editing_cannot_go_past_five_attachments(client, world):
    duty = duty_make(world, files=[upload(f"{i}.png", PNG) for i in range(4)])
    client.force_login(world.member.person.user)
    response = client.post(
        reverse("duties:duty_edit", args=[duty.pk]),
        {
            "kind": duty.kind_id,
            "done_on": "2025-06-01",
            "description": "x",
            "attachments": [upload("5.png", PNG), upload("6.png", PNG)],
        },
    )
    assert response.status_code == 200
    assert duty.attachments.count() == 4


def test_only_verified_duties_count(world):
    duty_make(world)  # submitted
    returned = duty_make(world)
    self_reported.duty_return(duty=returned, by=world.staff, reason="不属于履职")
    verified = duty_make(world, verify=True)
    record = duty_record(member=world.member, year=2025)
    assert [e.record for e in record.entries] == [verified]
    assert record.verified == 1


def test_the_review_queue_lists_the_body_oldest_first_with_counts(client, world):
    first = duty_make(world)
    second = duty_make(world, world.colleague)
    SelfReportedDuty.objects.filter(pk=first.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=2)
    )
    done = duty_make(world, world.other_member, verify=True)
    elsewhere = duty_make(world, world.outsider_member)
    client.force_login(world.staff)
    response = client.get(reverse("duties:duty_review_queue"))
    assert list(response.context["duties"]) == [first, second]
    assert response.context["counts"] == {"submitted": 2, "verified": 1, "returned": 0}
    assert done not in response.context["duties"]
    assert elsewhere not in response.context["duties"]


# Attachments: served through a checked view only ------------------------------


@pytest.fixture
def attached(world):
    duty = duty_make(world, files=[upload("义诊现场.png", PNG), upload("情况说明.pdf", PDF)])
    return {a.content_type: a for a in duty.attachments.all()}


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("member", 200),
        ("convenor", 200),
        ("staff", 200),
        ("leader", 200),
        ("colleague", 404),
        ("other_member", 404),
        ("other_staff", 404),
        ("outsider_member", 404),
    ],
)
def test_attachment_access_by_role(client, world, attached, who, status):
    persona = getattr(world, who)
    client.force_login((getattr(persona, "person", None) and persona.person.user) or persona)
    response = client.get(reverse("duties:attachment", args=[attached["image/png"].pk]))
    assert response.status_code == status


def test_an_attachment_keeps_its_chinese_name_and_is_not_sniffed(client, world, attached):
    client.force_login(world.member.person.user)
    response = client.get(reverse("duties:attachment", args=[attached["application/pdf"].pk]))
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert f"filename*=utf-8''{quote('情况说明.pdf')}" in response["Content-Disposition"]
    assert response["Content-Disposition"].startswith("attachment")
    assert b"".join(response.streaming_content) == PDF
    image = client.get(reverse("duties:attachment", args=[attached["image/png"].pk]))
    assert image["Content-Type"] == "image/png"
    assert image["Content-Disposition"].startswith("inline")


def test_attachments_have_no_public_url(client, world, attached):
    client.force_login(world.member.person.user)
    assert client.get("/media/" + attached["image/png"].file.name).status_code == 404
