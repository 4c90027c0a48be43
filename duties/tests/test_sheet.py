import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from duties.models import Activity, Participation
from duties.services import activity_publish, signup
from duties.sheet import SheetRow, sheet_import_apply, sheet_import_preview
from tests import factories as f

STARTS = datetime.datetime(2026, 5, 12, 1, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _activity(world, **kwargs):
    activity = f.ActivityFactory(
        term=world.term,
        status=Activity.Status.DRAFT,
        starts_at=STARTS,
        ends_at=STARTS + datetime.timedelta(hours=3),
        signup_deadline=None,
        created_by=world.staff,
        **kwargs,
    )
    return activity_publish(activity=activity, by=world.staff)


def xlsx(rows, *, title=("江城市政协视察活动签到表",)) -> bytes:
    wb = Workbook()
    ws = wb.active
    if title:
        ws.append(list(title))
    for row in rows:
        ws.append(list(row))
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def upload(data, name="签到表.xlsx"):
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


@pytest.fixture
def twins(world):
    """Two members of the term with the same name, and their names on file."""
    a = f.MemberFactory(term=world.term, person=f.PersonFactory(name="王芳"), sector=world.sector)
    b = f.MemberFactory(term=world.term, person=f.PersonFactory(name="王芳"), sector=world.sector)
    return a, b


def _sheet(world, twins):
    return xlsx(
        [
            ("序号", "姓名", "手机号码", "签名"),
            (1, world.member.person.name, "", ""),
            (2, "", world.colleague.person.mobile, ""),
            (3, "王  芳", None, ""),
            (4, "查无此人", "", ""),
            (5, world.other_member.person.name, "13000000000", ""),
        ]
    )


def test_preview_sorts_rows_into_matched_ambiguous_and_unknown(world, twins):
    activity = _activity(world)
    preview = sheet_import_preview(activity=activity, file=upload(_sheet(world, twins)))
    assert not preview.errors
    assert [(r.line.row, r.kind) for r in preview.rows] == [
        (3, SheetRow.MATCHED),
        (4, SheetRow.MATCHED),
        (5, SheetRow.AMBIGUOUS),
        (6, SheetRow.UNKNOWN),
        (7, SheetRow.UNKNOWN),  # a mobile is matched exactly: a wrong one is not a name match
    ]
    assert [r.member for r in preview.matched] == [world.member, world.colleague]
    assert set(preview.ambiguous[0].candidates) == set(twins)
    assert preview.unknown_rows_text == "6、7"
    assert not preview.can_confirm
    assert not Participation.objects.filter(activity=activity).exists()


def test_a_sheet_with_unknown_rows_is_refused_and_nothing_changes(world, twins):
    activity = _activity(world)
    with pytest.raises(ValidationError, match="第6、7行"):
        sheet_import_apply(
            activity=activity,
            file=upload(_sheet(world, twins)),
            picks={5: twins[0].pk},
            by=world.staff,
        )
    assert not Participation.objects.filter(activity=activity).exists()


def test_confirm_marks_matched_and_picked_members_attended(world, twins):
    # given: one signed up, the others came without signing up
    activity = f.ActivityFactory(term=world.term, created_by=world.staff)
    signup(activity=activity, member=world.member)
    data = xlsx(
        [
            ("姓名", "电话"),
            (world.member.person.name, ""),
            ("", f"+86 {world.colleague.person.mobile}"),
            ("王芳", ""),
        ],
        title=None,
    )
    # when
    result = sheet_import_apply(
        activity=activity, file=upload(data), picks={4: twins[1].pk}, by=world.staff
    )
    # then
    assert (result.marked, result.already) == (3, 0)
    rows = {p.member_id: p for p in Participation.objects.filter(activity=activity)}
    assert set(rows) == {world.member.pk, world.colleague.pk, twins[1].pk}
    assert all(p.attendance == Participation.Attendance.ATTENDED for p in rows.values())
    assert rows[world.member.pk].source == Participation.Source.SIGNUP
    assert rows[twins[1].pk].source == Participation.Source.SHEET
    assert rows[twins[1].pk].recorded_by == world.staff
    activity.refresh_from_db()
    assert activity.signed_up_count == 3


def test_an_ambiguous_row_needs_a_pick_among_its_candidates(world, twins):
    activity = _activity(world)
    data = xlsx([("姓名",), ("王芳",)])
    for picks in ({}, {3: world.member.pk}):
        with pytest.raises(ValidationError, match="同名"):
            sheet_import_apply(activity=activity, file=upload(data), picks=picks, by=world.staff)
    assert not Participation.objects.filter(activity=activity).exists()


def test_importing_the_same_sheet_again_changes_nothing(world, twins):
    activity = _activity(world)
    data = xlsx([("姓名",), (world.member.person.name,), ("王芳",)])
    sheet_import_apply(activity=activity, file=upload(data), picks={4: twins[0].pk}, by=world.staff)
    before = list(Participation.objects.filter(activity=activity).values())
    again = sheet_import_apply(
        activity=activity, file=upload(data), picks={4: twins[0].pk}, by=world.staff
    )
    assert (again.marked, again.already) == (0, 2)
    assert list(Participation.objects.filter(activity=activity).values()) == before
    preview = sheet_import_preview(activity=activity, file=upload(data))
    assert preview.matched[0].already


def _formula_sheet():
    wb = Workbook()
    ws = wb.active
    ws.append(["姓名"])
    ws.append(["=A1"])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"name\nZhang\n", "无法读取该文件"),
        (b"PK\x03\x04 not really a zip", "无法读取该文件"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "旧版 .xls"),
        ("no-header", "未找到表头"),
        ("formula", "公式"),
        ("empty", "没有签到记录"),
    ],
)
def test_bad_files_are_refused_with_a_reason(world, data, message):
    activity = _activity(world)
    if data == "no-header":
        data = xlsx([("编号", "单位"), ("1", "某单位")])
    elif data == "formula":
        data = _formula_sheet()
    elif data == "empty":
        data = xlsx([("姓名", "手机")])
    preview = sheet_import_preview(activity=activity, file=upload(data))
    assert preview.errors
    assert message in " ".join(str(e) for e in preview.errors)


def test_limits_on_size_and_rows(world, settings):
    activity = _activity(world)
    settings.IMPORT_MAX_ROWS = 2
    rows = [("姓名",)] + [(world.member.person.name,)] * 3
    preview = sheet_import_preview(activity=activity, file=upload(xlsx(rows)))
    assert "超过上限" in str(preview.errors[0])
    settings.IMPORT_MAX_BYTES = 100
    preview = sheet_import_preview(activity=activity, file=upload(xlsx(rows[:2])))
    assert "文件过大" in str(preview.errors[0])


def test_a_cancelled_activity_takes_no_sheet(world):
    from duties.services import activity_cancel

    activity = activity_cancel(activity=_activity(world), by=world.staff, reason="改期")
    preview = sheet_import_preview(
        activity=activity, file=upload(xlsx([("姓名",), (world.member.person.name,)]))
    )
    assert "已取消" in str(preview.errors[0])


# ------------------------------------------------------------------ views


def test_upload_preview_pick_and_confirm(client, world, twins):
    activity = _activity(world)
    client.force_login(world.staff)
    data = xlsx([("姓名", "手机号码"), (world.member.person.name, ""), ("王芳", "")])
    # when: uploaded
    response = client.post(
        reverse("duties:sheet_import", args=[activity.pk]), {"file": upload(data)}
    )
    # then: a preview with a select for the twins, nothing saved
    body = response.content.decode()
    assert response.status_code == 200
    assert 'name="pick-4"' in body
    assert not Participation.objects.filter(activity=activity).exists()
    token = response.context["token"]
    assert token
    # when: confirmed without a pick, the page comes back with the question
    confirm = reverse("duties:sheet_import_confirm", args=[activity.pk])
    response = client.post(confirm, {"token": token})
    assert response.status_code == 200
    assert "同名委员" in response.content.decode()
    assert not Participation.objects.filter(activity=activity).exists()
    # when: confirmed with a pick
    response = client.post(confirm, {"token": token, "pick-4": twins[0].pk})
    assert response.status_code == 302
    assert response["Location"] == reverse("duties:attendance", args=[activity.pk])
    assert set(
        Participation.objects.filter(activity=activity).attended().values_list("member", flat=True)
    ) == {world.member.pk, twins[0].pk}
    # the stored file is gone: the same token cannot import twice
    response = client.post(confirm, {"token": token, "pick-4": twins[0].pk})
    assert response.status_code == 302
    assert response["Location"] == reverse("duties:sheet_import", args=[activity.pk])


def test_a_sheet_with_unknown_rows_offers_no_confirm(client, world):
    activity = _activity(world)
    client.force_login(world.staff)
    data = xlsx([("姓名",), (world.member.person.name,), ("查无此人",)])
    response = client.post(
        reverse("duties:sheet_import", args=[activity.pk]), {"file": upload(data)}
    )
    body = response.content.decode()
    assert "第4行无法对应到本届委员" in body
    assert response.context["token"] is None
    assert 'data-testid="sheet-confirm"' not in body


def test_a_token_for_another_activity_is_refused(client, world):
    activity, other = _activity(world), _activity(world)
    client.force_login(world.staff)
    data = xlsx([("姓名",), (world.member.person.name,)])
    response = client.post(
        reverse("duties:sheet_import", args=[activity.pk]), {"file": upload(data)}
    )
    token = response.context["token"]
    response = client.post(
        reverse("duties:sheet_import_confirm", args=[other.pk]), {"token": token}
    )
    assert response.status_code == 403
    assert not Participation.objects.filter(activity__in=[activity, other]).exists()
