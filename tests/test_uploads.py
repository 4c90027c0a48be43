"""Uploaded files: the type read from the bytes (config/uploads.py) on every
upload form, whatever the name and the browser's content type say; the files
served only through views that check rights, never from a media path."""

import io
import zipfile
from urllib.parse import quote

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from config import uploads
from duties.models import SelfReportedDuty
from members.models import Person
from members.roster import RosterFileError, upload_workbook
from proposals.models import Proposal, Reply
from proposals.tests import factories as pf
from proposals.tests import handling_factories as hf
from reports.models import SocialInfoReport
from scoring.models import AnnualDutyReport, Rulebook
from tests import factories as f
from tests.matrix import prepare
from tests.matrix.records import PDF, kind

# A Windows program: what a renamed .exe starts with.
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + bytes(range(256)) * 4
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


def image(fmt: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 30, 30)).save(out, fmt)
    return out.getvalue()


def office(*parts: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for part in parts:
            archive.writestr(part, "<x/>")
    return out.getvalue()


def xlsx() -> bytes:
    out = io.BytesIO()
    workbook = openpyxl.Workbook()
    workbook.active.append(["委员编号", "姓名"])
    workbook.save(out)
    return out.getvalue()


DOCX = office("[Content_Types].xml", "word/document.xml")


def upload(name, content, content_type="application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


# The sniffing ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        (PDF, uploads.PDF),
        (image("PNG"), uploads.PNG),
        (image("JPEG"), uploads.JPEG),
        (image("GIF"), uploads.GIF),
        (image("WEBP"), uploads.WEBP),
        (DOCX, uploads.DOCX),
        (xlsx(), uploads.XLSX),
    ],
)
def test_each_kind_is_known_by_its_bytes_under_any_name(content, kind):
    assert uploads.sniff(upload("名字.txt", content, "text/plain")) == kind


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("setup.pdf", EXE),
        ("照片.jpg", HTML),
        ("图.png", SVG),
        ("a.docx", office("word/document.xml")),  # no [Content_Types].xml: not Office
        ("a.docx", office("[Content_Types].xml", "payload.bin")),  # a zip, not a document
        ("a.jpg", b"\xff\xd8\xff\xe0" + HTML),  # a JPEG signature on an HTML page
        ("a.png", image("PNG")[:20]),  # a truncated image
        ("empty.pdf", b""),
    ],
)
def test_what_is_not_what_it_says_is_unknown(name, content):
    assert uploads.sniff(upload(name, content, "image/jpeg")) is None


def test_the_sniffed_type_is_returned_not_the_browsers():
    got = uploads.upload_check(
        upload("scan.pdf", image("PNG"), "application/pdf"),
        accept=(uploads.PDF, uploads.PNG),
        max_bytes=1024 * 1024,
        too_large="大",
        wrong_type="错",
    )
    assert got == uploads.PNG


def test_a_word_file_renamed_xlsx_is_a_word_file():
    assert uploads.sniff(upload("名册.xlsx", DOCX)) == uploads.DOCX


def test_refusals_name_the_file():
    check = {
        "accept": (uploads.PDF,),
        "max_bytes": 5000,
        "too_large": "“%(name)s”太大",
        "wrong_type": "“%(name)s”不是 PDF",
    }
    with pytest.raises(ValidationError) as wrong:
        uploads.upload_check(upload("说明.pdf", EXE), **check)
    assert wrong.value.messages == ["“说明.pdf”不是 PDF"]
    with pytest.raises(ValidationError) as big:
        uploads.upload_check(upload("大.pdf", PDF + b" " * 5000), **check)
    assert big.value.messages == ["“大.pdf”太大"]


# Every upload form refuses a disguised file, at its field, and keeps nothing ------------


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _field_errors(response, field: str, form="form") -> list[str]:
    assert response.status_code == 200
    form = response.context[form]
    assert 'aria-invalid="true"' in response.content.decode()
    return form.errors[field]


DISGUISES = [
    pytest.param("说明.pdf", EXE, "application/pdf", id="exe-as-pdf"),
    pytest.param("现场.jpg", HTML, "image/jpeg", id="html-as-jpg"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "content", "claimed"), DISGUISES)
def test_the_self_reported_duty_form(client, world, media, name, content, claimed):
    client.force_login(world.member.person.user)
    response = client.post(
        reverse("duties:duty_new"),
        {
            "kind": kind(world.body, "good_deed").pk,
            "done_on": "2025-06-01",
            "description": "到联系的社区宣讲政策",
            "attachments": [upload(name, content, claimed)],
        },
    )
    assert _field_errors(response, "attachments") == [f"附件“{name}”不是 JPEG、PNG 图片或 PDF 文件"]
    assert not SelfReportedDuty.objects.exists()
    assert not any(media.rglob("*.*"))


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "content", "claimed"), DISGUISES)
def test_the_proposal_form(client, world, media, name, content, claimed):
    session = pf.open_session(world.term)
    client.force_login(world.member.person.user)
    response = client.post(
        reverse("proposals:new"),
        {
            "session": session.pk,
            "kind": "regular",
            "proposer": f"member:{world.member.pk}",
            "title": "案由",
            "category": "society",
            "content": "内容",
            "attachments": [upload(name, content, claimed)],
        },
    )
    assert _field_errors(response, "attachments") == [f"附件“{name}”不是 JPEG、PNG 图片或 PDF 文件"]
    assert not Proposal.objects.exists()
    assert not any(media.rglob("*.*"))


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "content", "claimed"), DISGUISES)
def test_the_reply_letter_form(client, world, media, name, content, claimed):
    unit = hf.unit(world.body, "市住建局", contact="zjj")
    _, [routing] = hf.routed(member=world.member, by=world.staff, units=[unit])
    client.force_login(hf.contact_of(unit))
    response = client.post(
        reverse("proposals:reply", args=[routing.pk]),
        {"result": "A", "text": "答复", "file": upload(name, content, claimed)},
    )
    assert _field_errors(response, "file", form="reply_form") == [
        f"附件“{name}”不是 JPEG、PNG 图片或 PDF 文件"
    ]
    assert not Reply.objects.exists()
    assert not any(media.rglob("*.*"))


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "content", "claimed"), DISGUISES)
def test_the_social_information_report_form(client, world, media, name, content, claimed):
    client.force_login(world.member.person.user)
    response = client.post(
        reverse("reports:create"),
        {
            "author": f"m{world.member.pk}",
            "title": "菜市场周边停车难",
            "content": "情况与建议",
            "attachments": [upload(name, content, claimed)],
        },
    )
    assert _field_errors(response, "attachments") == [f"附件“{name}”不是 JPEG、PNG 图片或 PDF 文件"]
    assert not SocialInfoReport.objects.exists()
    assert not any(media.rglob("*.*"))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "content", "claimed"),
    [*DISGUISES, pytest.param("述职.docx", office("[Content_Types].xml"), "", id="zip-as-docx")],
)
def test_the_annual_duty_report_form(client, world, media, name, content, claimed):
    client.force_login(world.member.person.user)
    response = client.post(
        reverse("scoring:my_duty_report"), {"text": "", "file": upload(name, content, claimed)}
    )
    assert _field_errors(response, "file") == [
        f"“{name}”不是 PDF 或 Word(.docx)文件;.doc 请另存为 .docx 或 PDF"
    ]
    assert not AnnualDutyReport.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "content", "claimed"),
    [*DISGUISES, pytest.param("照片.png", image("GIF"), "image/png", id="gif-as-png")],
)
def test_the_photo_on_the_member_form(client, world, media, name, content, claimed):
    member, person = world.member, world.member.person
    client.force_login(world.staff)
    response = client.post(
        reverse("members:edit", args=[member.pk]),
        f.member_form_data(member, **{"p-photo": upload(name, content, claimed)}),
    )
    assert response.status_code == 200
    errors = response.context["person_form"].errors["photo"]
    # Pillow refuses what is no image at all (Django's message), we refuse other images
    assert errors in (
        ["照片须为 JPEG 或 PNG 图片"],
        ["请上传一张有效的图片。您所上传的文件不是图片或者是已损坏的图片。"],
    )
    assert not Person.objects.get(pk=person.pk).photo
    assert not any(media.rglob("*.*"))


@pytest.mark.django_db
def test_a_photo_is_stored_under_a_random_name_with_its_real_type(client, world, media):
    member, person = world.member, world.member.person
    client.force_login(world.staff)
    # a real JPEG that the uploader named .png
    response = client.post(
        reverse("members:edit", args=[member.pk]),
        f.member_form_data(
            member, **{"p-photo": upload("我的照片.png", image("JPEG"), "image/png")}
        ),
    )
    assert response.status_code == 302
    stored = Person.objects.get(pk=person.pk).photo.name
    assert stored.startswith("photos/") and stored.endswith(".jpg") and "我的照片" not in stored
    served = client.get(reverse("members:photo", args=[member.pk]))
    assert served["Content-Type"] == "image/jpeg"
    assert served["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in served["Content-Security-Policy"]
    # the edit form links the current photo to the checked view, not to /media/
    page = client.get(reverse("members:edit", args=[member.pk])).content.decode()
    assert f'href="{reverse("members:photo", args=[member.pk])}"' in page
    assert "/media/" not in page


@pytest.mark.django_db
def test_the_rulebook_file_form_refuses_a_program(client, world):
    client.force_login(world.staff)
    response = client.post(
        reverse("scoring:rulebook_new"),
        {"body": world.body.pk, "year": 2026, "text": "", "file": upload("规则.yaml", EXE)},
    )
    assert _field_errors(response, "file") == ["文件不是 UTF-8 编码的文本,请另存为 UTF-8 后再上传"]
    assert not Rulebook.objects.exists()


NOT_XLSX = (
    "无法读取该文件:请上传 Excel 2007 及以上版本保存的 .xlsx 文件(不支持 .xls、.csv 或改名的文件)"
)


@pytest.mark.parametrize(
    "content", [EXE, HTML, DOCX, office("[Content_Types].xml", "payload.bin")], ids=repr
)
def test_every_import_reader_refuses_what_is_not_a_workbook(content):
    # the roster, sign-in sheet, history and past-assessment imports all read
    # through upload_workbook
    with pytest.raises(RosterFileError) as refused:
        upload_workbook(upload("名册.xlsx", content, uploads.XLSX), lambda workbook: None)
    assert [issue.message for issue in refused.value.issues] == [NOT_XLSX]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "data"),
    [
        (lambda w: reverse("members:roster_import"), lambda w: {"term": w.term.pk}),
        (lambda w: reverse("summaries:import", args=["activities"]), lambda w: {"body": w.body.pk}),
        (lambda w: reverse("scoring:history_import"), lambda w: {"term": w.term.pk}),
        (
            lambda w: reverse("duties:sheet_import", args=[w.activity.pk]),
            lambda w: {},
        ),
    ],
    ids=["roster", "history", "past-assessments", "sign-in-sheet"],
)
def test_every_import_page_refuses_a_renamed_program(client, world, url, data):
    world.activity = f.ActivityFactory(term=world.term)
    client.force_login(world.staff)
    response = client.post(url(world), {**data(world), "file": upload("名册.xlsx", EXE)})
    assert response.status_code == 200
    assert NOT_XLSX in response.content.decode()


# Serving: through the checked views only -------------------------------------------

# url name -> (the world's file, the persona who may read it, personas who may not)
OTHER_BODY = ("other_staff", "outsider_member")
FILES = {
    "members:photo": (lambda w: w.member.pk, "staff", OTHER_BODY),
    "duties:attachment": (
        lambda w: w.rec_attachment.pk,
        "member",
        (*OTHER_BODY, "colleague", "other_member"),
    ),
    "proposals:attachment": (lambda w: w.p_attachment.pk, "member", (*OTHER_BODY, "other_member")),
    "proposals:reply_file": (lambda w: w.reply.pk, "member", OTHER_BODY),
    "reports:attachment": (
        lambda w: w.report_attachment.pk,
        "member",
        (*OTHER_BODY, "other_member"),
    ),
    "scoring:duty_report_file": (
        lambda w: w.duty_report.pk,
        "member",
        (*OTHER_BODY, "other_member"),
    ),
}


@pytest.fixture
def files_world(world, media):
    prepare(world)
    names = {n for n in dir(world) if not n.startswith("_")}
    missing = {"rec_attachment", "p_attachment", "reply", "report_attachment", "duty_report"}
    assert missing <= names, missing - names
    return world


def _user(world, persona):
    persona = getattr(world, persona)
    return getattr(getattr(persona, "person", None), "user", None) or persona


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(FILES))
def test_files_are_served_to_who_may_read_them_with_safe_headers(client, files_world, name):
    pk, reader, outsiders = FILES[name]
    url = reverse(name, args=[pk(files_world)])

    # anonymous: to the login page
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))

    # another body's staff and members, and members who may not read it, guessing the id
    for outsider in outsiders:
        client.force_login(_user(files_world, outsider))
        assert client.get(url).status_code in (403, 404), outsider

    # the reader: the file, as its sniffed type, never sniffed again by the browser,
    # sandboxed if opened on its own
    client.force_login(_user(files_world, reader))
    response = client.get(url)
    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    assert uploads.sniff(io.BytesIO(content), open_images=False) == response["Content-Type"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; img-src 'self'; sandbox"
    assert response["Cache-Control"].startswith("private")
    disposition = "inline" if response["Content-Type"].startswith("image/") else "attachment"
    assert response["Content-Disposition"].startswith(disposition)


@pytest.mark.django_db
def test_no_file_is_reachable_under_the_media_url(client, files_world, media, settings):
    stored = [p.relative_to(media).as_posix() for p in media.rglob("*") if p.is_file()]
    assert len(stored) >= 6
    client.force_login(files_world.admin)
    for name in stored:
        assert client.get(settings.MEDIA_URL + name).status_code == 404, name
        assert client.get("/" + quote(name)).status_code == 404, name
