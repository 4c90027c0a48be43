import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from members.models import ExportLog, Member, Person
from members.roster import (
    directory_export,
    roster_export,
    roster_import_apply,
    roster_import_preview,
)
from tests import factories as f

HEADERS = [
    "委员编号",
    "姓名",
    "性别",
    "民族",
    "出生日期",
    "党派",
    "界别",
    "界别小组",
    "专门委员会",
    "常委",
    "工作单位及职务",
    "手机号码",
    "任职日期",
    "产生方式",
    "状态",
    "离任日期",
]
FIRST_DATA_ROW = 3  # title row, header row, then data


def row(**changes):
    values = {
        "委员编号": "1001",
        "姓名": "王芳",
        "性别": "女",
        "民族": "汉族",
        "出生日期": "1975-03-08",
        "党派": "民盟",
        "界别": "经济界",
        "界别小组": "经济界小组",
        "专门委员会": "",
        "常委": "否",
        "工作单位及职务": "江城银行 行长",
        "手机号码": "13800001001",
        "任职日期": "2022年1月10日",
        "产生方式": "换届产生",
        "状态": "在任",
        "离任日期": "",
    }
    values.update(changes)
    return values


def second_row(**changes):
    return row(
        **{"委员编号": "1002", "姓名": "赵强", "性别": "男", "手机号码": "13800001002", **changes}
    )


def xlsx(tmp_path, rows, headers=HEADERS, name="roster.xlsx"):
    workbook = Workbook()
    ws = workbook.active
    ws.title = "花名册"
    ws.append(["江城市政协第十五届委员花名册"])
    ws.append(headers)
    for values in rows:
        ws.append([values.get(h) for h in headers])
    path = tmp_path / name
    workbook.save(path)
    return path


@pytest.fixture
def committees(world):
    return [
        f.CommitteeFactory(term=world.term, name="提案委", order=1),
        f.CommitteeFactory(term=world.term, name="经济委", order=2),
    ]


def member_count():
    return Member.objects.count(), Person.objects.count()


def history_count():
    return Member.history.count(), Person.history.count()


# --------------------------------------------------------------------------- import


def test_a_valid_file_creates_people_and_seats_with_history_by_the_importer(
    world, tmp_path, committees
):
    path = xlsx(tmp_path, [row(专门委员会="提案委、经济委", 常委="是"), second_row()])

    result = roster_import_apply(term=world.term, file=path, by=world.staff)

    assert result.errors == []
    assert (result.applied, result.new, result.updated, result.unchanged) == (True, 2, 0, 0)
    member = Member.objects.select_related("person").get(term=world.term, number="1001")
    person = member.person
    assert (person.name, person.gender, person.party) == ("王芳", "f", "cdl")
    assert (person.workplace, person.title, person.mobile) == ("江城银行", "行长", "13800001001")
    assert person.birth_date == datetime.date(1975, 3, 8)
    assert member.sector == world.sector and member.group == world.group
    assert member.is_standing is True
    assert member.joined_on == datetime.date(2022, 1, 10)
    assert sorted(c.name for c in member.committees.all()) == ["提案委", "经济委"]
    assert member.history.first().history_user == world.staff
    assert person.history.first().history_user == world.staff


def test_the_preview_writes_nothing(world, tmp_path):
    before = member_count()
    path = xlsx(tmp_path, [row(), second_row()])

    preview = roster_import_preview(term=world.term, file=path, by=world.staff)

    assert preview.is_valid
    assert (preview.new, preview.updated, preview.unchanged) == (2, 0, 0)
    assert [r.row for r in preview.rows] == [3, 4]
    assert member_count() == before


def test_importing_the_same_file_again_changes_nothing(world, tmp_path, committees):
    path = xlsx(tmp_path, [row(专门委员会="经济委"), second_row()])
    roster_import_apply(term=world.term, file=path, by=world.staff)
    counts, histories = member_count(), history_count()

    again = roster_import_apply(term=world.term, file=path, by=world.staff)

    assert again.errors == []
    assert (again.new, again.updated, again.unchanged) == (0, 0, 2)
    assert member_count() == counts
    assert history_count() == histories


def test_a_changed_row_is_an_update_and_only_that_person_gets_history(world, tmp_path):
    roster_import_apply(term=world.term, file=xlsx(tmp_path, [row(), second_row()]), by=world.staff)
    histories = history_count()

    path = xlsx(tmp_path, [row(工作单位及职务="江城大学 校长"), second_row()], name="v2.xlsx")
    result = roster_import_apply(term=world.term, file=path, by=world.admin)

    assert (result.new, result.updated, result.unchanged) == (0, 1, 1)
    person = Person.objects.get(mobile="13800001001")
    assert (person.workplace, person.title) == ("江城大学", "校长")
    assert Person.history.count() == histories[1] + 1
    assert person.history.first().history_user == world.admin


def test_a_person_sitting_in_another_body_is_reused_by_mobile(world, tmp_path):
    other = world.outsider_member.person
    path = xlsx(tmp_path, [row(姓名=other.name, 手机号码=other.mobile, 性别="男", 党派="无党派")])
    people = Person.objects.count()

    result = roster_import_apply(term=world.term, file=path, by=world.staff)

    assert result.applied, result.errors
    assert Person.objects.count() == people
    seat = Member.objects.get(term=world.term, number="1001")
    assert seat.person_id == other.pk
    assert other.seats.count() == 2


def test_a_mobile_registered_to_someone_else_by_another_name_is_refused(world, tmp_path):
    other = world.outsider_member.person
    path = xlsx(tmp_path, [row(姓名="李四", 手机号码=other.mobile)])

    preview = roster_import_preview(term=world.term, file=path, by=world.staff)

    assert [(i.row, i.column) for i in preview.errors] == [(3, "手机号码")]
    assert other.name in preview.errors[0].message


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        ("手机号码", "12345", "不是有效的手机号码"),
        ("界别", "体育界", "本届没有名为“体育界”的界别"),
        ("界别小组", "第九组", "本届没有名为“第九组”的界别小组"),
        ("专门委员会", "文史委", "本届没有名为“文史委”的专门委员会"),
        ("出生日期", "1975-13-40", "日期“1975-13-40”无法识别"),
        ("任职日期", "", "不能为空"),
        ("姓名", "", "不能为空"),
        ("性别", "男性", "无法识别“男性”"),
        ("党派", "某党", "无法识别“某党”"),
        ("常委", "也许", "请填“是”或“否”"),
        ("状态", "调走", "无法识别“调走”"),
        ("状态", "辞去", "离任委员须填写离任日期"),
    ],
)
def test_each_bad_cell_is_named_by_row_and_column_and_nothing_is_written(
    world, tmp_path, column, value, expected
):
    path = xlsx(tmp_path, [second_row(), row(**{column: value})])
    before = member_count()

    preview = roster_import_preview(term=world.term, file=path, by=world.staff)
    result = roster_import_apply(term=world.term, file=path, by=world.staff)

    issues = [(i.row, i.column) for i in preview.errors]
    target = "离任日期" if expected == "离任委员须填写离任日期" else column
    assert (4, target) in issues, preview.errors
    assert any(expected in i.message for i in preview.errors), preview.errors
    assert not result.applied
    assert result.errors == preview.errors
    assert member_count() == before


def test_every_bad_row_is_listed_not_just_the_first(world, tmp_path):
    path = xlsx(
        tmp_path,
        [
            row(手机号码="1"),
            second_row(界别="无"),
            row(委员编号="1003", 手机号码="13800001003", 性别="?"),
        ],
    )

    preview = roster_import_preview(term=world.term, file=path, by=world.staff)

    assert [(i.row, i.column) for i in preview.errors] == [
        (3, "手机号码"),
        (4, "界别"),
        (5, "性别"),
    ]
    assert str(preview.errors[0]).startswith("第3行「手机号码」:")


def test_a_number_given_twice_in_the_file_is_refused_on_both_rows(world, tmp_path):
    path = xlsx(tmp_path, [row(), second_row(委员编号="1001")])

    preview = roster_import_preview(term=world.term, file=path, by=world.staff)

    messages = {(i.row, i.column): i.message for i in preview.errors}
    assert "另见第4行" in messages[(3, "委员编号")]
    assert "另见第3行" in messages[(4, "委员编号")]


def test_a_person_cannot_get_a_second_seat_in_the_same_term(world, tmp_path):
    person = world.member.person
    path = xlsx(tmp_path, [row(姓名=person.name, 手机号码=person.mobile, 性别="男")])

    preview = roster_import_preview(term=world.term, file=path, by=world.staff)

    assert [(i.row, i.column) for i in preview.errors] == [(3, "委员编号")]
    assert world.member.number in preview.errors[0].message


def test_a_formula_cell_is_refused_by_row_and_column(world, tmp_path):
    workbook = Workbook()
    ws = workbook.active
    ws.append(HEADERS)
    ws.append([row().get(h) for h in HEADERS])
    ws["L2"] = '=CONCAT("138","00001001")'
    path = tmp_path / "formula.xlsx"
    workbook.save(path)

    preview = roster_import_preview(term=world.term, file=path, by=world.staff)

    assert [(i.row, i.column) for i in preview.errors] == [(2, "手机号码")]
    assert "公式" in preview.errors[0].message


def test_a_file_over_the_size_limit_is_refused(world, tmp_path, settings):
    settings.IMPORT_MAX_BYTES = 1000
    path = xlsx(tmp_path, [row()])

    preview = roster_import_preview(term=world.term, file=path, by=world.staff)

    assert [i.row for i in preview.errors] == [None]
    assert "文件过大" in preview.errors[0].message


def test_too_many_rows_are_refused(world, tmp_path, settings):
    settings.IMPORT_MAX_ROWS = 1
    path = xlsx(tmp_path, [row(), second_row()])

    preview = roster_import_preview(term=world.term, file=path, by=world.staff)

    assert "一次最多导入 1 行" in preview.errors[0].message


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"\x00\x01garbage" * 50, "无法读取该文件"),
        ("委员编号,姓名\n1001,王芳\n".encode(), "无法读取该文件"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "已设置打开密码,或是旧版 .xls"),
        (b"PK\x03\x04 broken zip", "无法读取该文件"),
    ],
)
def test_a_file_that_is_not_an_xlsx_gets_a_clear_message(world, tmp_path, content, expected):
    path = tmp_path / "renamed.xlsx"
    path.write_bytes(content)

    preview = roster_import_preview(term=world.term, file=path, by=world.staff)

    assert len(preview.errors) == 1
    assert expected in preview.errors[0].message


def test_a_missing_required_column_is_named(world, tmp_path):
    headers = [h for h in HEADERS if h != "界别"]
    path = xlsx(tmp_path, [row()], headers=headers)

    preview = roster_import_preview(term=world.term, file=path, by=world.staff)

    assert "缺少必需的列:界别" in preview.errors[0].message


def test_an_uploaded_file_object_is_read_too(world, tmp_path):
    data = xlsx(tmp_path, [row()]).read_bytes()

    preview = roster_import_preview(term=world.term, file=io.BytesIO(data), by=world.staff)

    assert preview.is_valid and preview.new == 1


# --------------------------------------------------------------------------- export


def test_the_roster_export_has_title_headers_and_every_member(world, tmp_path, committees):
    world.member.committees.set(committees)
    world.member.is_standing = True
    world.member.save()
    path = tmp_path / "out.xlsx"

    rows = roster_export(
        user=world.staff, queryset=Member.objects.visible_to(world.staff), target=path
    )

    ws = load_workbook(path)["花名册"]
    assert rows == 4
    assert ws["A1"].value == "江城市政协第十五届委员花名册"
    assert ws["A2"].value.startswith("导出日期:")
    assert [c.value for c in ws[3]][:3] == ["委员编号", "姓名", "性别"]
    assert ws.freeze_panes == "A4"
    by_number = {r[0]: r for r in ws.iter_rows(min_row=4, values_only=True)}
    mine = by_number[world.member.number]
    assert mine[1] == world.member.person.name
    assert mine[8] == "提案委、经济委"
    assert mine[9] == "是"
    assert mine[11] == world.member.person.mobile
    assert mine[14] == "在任"
    log = ExportLog.objects.get()
    assert (log.user, log.what, log.rows) == (world.staff, "花名册", 4)


def test_an_exported_roster_imports_back_unchanged(world, tmp_path, committees):
    world.member.committees.set(committees)
    path = tmp_path / "out.xlsx"
    roster_export(user=world.staff, queryset=Member.objects.filter(term=world.term), target=path)
    histories = history_count()

    result = roster_import_apply(term=world.term, file=path, by=world.staff)

    assert result.errors == []
    assert (result.new, result.updated, result.unchanged) == (0, 0, 4)
    assert history_count() == histories


def test_the_directory_blanks_phones_outside_the_members_group(world, tmp_path):
    path = tmp_path / "dir.xlsx"
    user = world.member.person.user

    directory_export(user=user, queryset=Member.objects.visible_to(user), target=path)

    ws = load_workbook(path)["通讯录"]
    assert [c.value for c in ws[3]] == ["姓名", "界别", "界别小组", "工作单位及职务", "手机号码"]
    phones = {r[0]: r[4] for r in ws.iter_rows(min_row=4, values_only=True)}
    assert phones[world.colleague.person.name] == world.colleague.person.mobile
    assert phones[world.other_member.person.name] is None
    assert world.outsider_member.person.name not in phones
    assert ExportLog.objects.get().what == "通讯录"


def _export_queries(world, tmp_path, n):
    for _ in range(n):
        f.MemberFactory(term=world.term, sector=world.sector, group=world.group)
    user = type(world.staff).objects.get(pk=world.staff.pk)  # roles not yet read
    with CaptureQueriesContext(connection) as ctx:
        roster_export(
            user=user, queryset=Member.objects.visible_to(user), target=tmp_path / f"q{n}.xlsx"
        )
    return len(ctx)


def test_export_queries_do_not_grow_with_rows(world, tmp_path, committees):
    # roles, seats, the term ids for the title, that term with its body,
    # members with person, sector and group, their committees, the export log
    few = _export_queries(world, tmp_path, 5)
    many = _export_queries(world, tmp_path, 45)

    assert few == many == 7


# --------------------------------------------------------------------------- views


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def upload(path):
    return io.BytesIO(path.read_bytes())


def test_staff_sees_the_import_form(client, world):
    client.force_login(world.staff)

    response = client.get(reverse("members:roster_import"))

    assert response.status_code == 200
    assert "导入花名册" in response.content.decode()


def test_leadership_may_not_import(client, world):
    client.force_login(world.leader)

    assert client.get(reverse("members:roster_import")).status_code == 403


def test_a_member_may_not_import(client, world):
    client.force_login(world.member.person.user)

    assert client.get(reverse("members:roster_import")).status_code == 403


def test_staff_of_another_body_gets_404_for_this_term(client, world, tmp_path, media):
    client.force_login(world.other_staff)
    file = upload(xlsx(tmp_path, [row()]))
    file.name = "roster.xlsx"

    response = client.post(reverse("members:roster_import"), {"term": world.term.pk, "file": file})

    assert response.status_code == 404


def test_the_preview_page_lists_errors_by_row_and_column(client, world, tmp_path, media):
    client.force_login(world.staff)
    file = upload(xlsx(tmp_path, [row(手机号码="123"), second_row(界别="无此界")]))
    file.name = "roster.xlsx"

    response = client.post(reverse("members:roster_import"), {"term": world.term.pk, "file": file})

    html = response.content.decode()
    assert response.status_code == 200
    assert "发现 2 处问题" in html
    assert "第3行" in html and "手机号码" in html
    assert "本届没有名为“无此界”的界别" in html
    assert "确认导入" not in html
    assert not (media / "imports").exists()  # nothing kept for a file that cannot be imported


def test_preview_then_confirm_writes_and_removes_the_kept_file(client, world, tmp_path, media):
    client.force_login(world.staff)
    file = upload(xlsx(tmp_path, [row(), second_row()]))
    file.name = "roster.xlsx"

    response = client.post(reverse("members:roster_import"), {"term": world.term.pk, "file": file})
    html = response.content.decode()
    assert "确认导入" in html
    assert not Member.objects.filter(number="1001").exists()
    token = response.context["token"]

    response = client.post(reverse("members:roster_import_confirm"), {"token": token})

    assert response.status_code == 302
    assert Member.objects.filter(term=world.term, number__in=["1001", "1002"]).count() == 2
    assert list((media / "imports").glob("*")) == []
    again = client.post(reverse("members:roster_import_confirm"), {"token": token})
    assert again.status_code == 302  # the file is gone: asked to upload again, nothing twice


def test_a_token_of_another_user_is_refused(client, world, tmp_path, media):
    client.force_login(world.staff)
    file = upload(xlsx(tmp_path, [row()]))
    file.name = "roster.xlsx"
    token = client.post(
        reverse("members:roster_import"), {"term": world.term.pk, "file": file}
    ).context["token"]

    client.force_login(world.admin)
    response = client.post(reverse("members:roster_import_confirm"), {"token": token})

    assert response.status_code == 403
    assert not Member.objects.filter(number="1001").exists()


def test_a_forged_token_is_refused(client, world):
    client.force_login(world.staff)

    response = client.post(reverse("members:roster_import_confirm"), {"token": "x:y:z"})

    assert response.status_code == 302
    assert response["Location"] == reverse("members:roster_import")


def test_roster_export_download(client, world):
    client.force_login(world.leader)

    response = client.get(
        reverse("members:roster_export"), {"term": world.term.pk, "status": "all"}
    )

    assert response.status_code == 200
    assert "filename*=utf-8''" in response["Content-Disposition"]
    ws = load_workbook(io.BytesIO(b"".join(response.streaming_content)))["花名册"]
    assert ws.max_row == 3 + 4
    assert ExportLog.objects.get().filters == f"term={world.term.pk};status=all"


def test_roster_export_applies_the_list_filters(client, world):
    client.force_login(world.staff)

    response = client.get(reverse("members:roster_export"), {"group": world.other_group.pk})

    ws = load_workbook(io.BytesIO(b"".join(response.streaming_content)))["花名册"]
    names = [r[1] for r in ws.iter_rows(min_row=4, values_only=True)]
    assert names == [world.other_member.person.name]


def test_a_member_may_not_export_the_roster(client, world):
    client.force_login(world.member.person.user)

    assert client.get(reverse("members:roster_export")).status_code == 403


def test_a_member_exports_the_directory_with_phones_of_their_group_only(client, world):
    client.force_login(world.member.person.user)

    response = client.get(reverse("members:directory_export"))

    ws = load_workbook(io.BytesIO(b"".join(response.streaming_content)))["通讯录"]
    phones = {r[0]: r[4] for r in ws.iter_rows(min_row=4, values_only=True)}
    assert phones[world.colleague.person.name] == world.colleague.person.mobile
    assert phones[world.other_member.person.name] is None


def test_a_user_without_a_seat_or_role_may_not_export_the_directory(client, db):
    client.force_login(f.UserFactory())

    assert client.get(reverse("members:directory_export")).status_code == 403


# --------------------------------------------------------------------------- admin


@pytest.mark.parametrize(
    "model",
    [
        "members/person",
        "members/member",
        "members/honour",
        "members/bodyrole",
        "members/notice",
        "members/exportlog",
        "sectors/body",
        "sectors/term",
        "sectors/plenarysession",
        "sectors/sector",
        "sectors/sectorgroup",
        "sectors/committee",
        "sectors/memberhome",
    ],
)
def test_every_admin_list_opens(client, world, model):
    client.force_login(world.admin)

    assert client.get(f"/admin/{model}/").status_code == 200


def test_admin_member_page_and_export_page_open(client, world):
    client.force_login(world.admin)

    assert (
        client.get(reverse("admin:members_member_change", args=[world.member.pk])).status_code
        == 200
    )
    response = client.get(
        reverse("admin:members_member_export"), {"term__id__exact": world.term.pk}
    )
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('members:roster_export')}?term={world.term.pk}"


def test_admin_action_exports_the_selected_members_formatted_and_logged(client, world, tmp_path):
    client.force_login(world.admin)
    response = client.post(
        reverse("admin:members_member_changelist"),
        {"action": "export_roster", "_selected_action": [world.member.pk, world.colleague.pk]},
    )
    assert response.status_code == 200
    path = tmp_path / "admin.xlsx"
    path.write_bytes(b"".join(response.streaming_content))
    ws = load_workbook(path).worksheets[0]
    names = {row[1] for row in ws.iter_rows(values_only=True)}
    assert {world.member.person.name, world.colleague.person.name} <= names
    assert world.other_member.person.name not in names
    assert ExportLog.objects.filter(user=world.admin, rows=2).exists()


def test_admin_import_goes_to_the_checked_roster_import(client, world):
    client.force_login(world.admin)

    response = client.get(reverse("admin:members_member_import"))

    assert response.status_code == 302
    assert response["Location"] == reverse("members:roster_import")


def test_the_resource_exports_the_roster_columns(world):
    from members.roster import MemberResource

    dataset = MemberResource().export(queryset=Member.objects.filter(pk=world.member.pk))

    assert dataset.headers[:3] == ["委员编号", "姓名", "性别"]
    assert dataset.dict[0]["姓名"] == world.member.person.name
    assert dataset.dict[0]["状态"] == "在任"


def test_leadership_posting_a_file_for_its_own_body_gets_403(client, world, tmp_path, media):
    client.force_login(world.leader)
    file = upload(xlsx(tmp_path, [row()]))
    file.name = "roster.xlsx"

    response = client.post(reverse("members:roster_import"), {"term": world.term.pk, "file": file})

    assert response.status_code == 403
    assert not Member.objects.filter(number="1001").exists()


def test_a_file_that_matches_the_roster_needs_no_confirm(client, world, tmp_path, media):
    path = xlsx(tmp_path, [row()])
    roster_import_apply(term=world.term, file=path, by=world.staff)
    client.force_login(world.staff)
    file = upload(path)
    file.name = "roster.xlsx"

    response = client.post(reverse("members:roster_import"), {"term": world.term.pk, "file": file})

    html = response.content.decode()
    assert "无需导入" in html
    assert "确认导入" not in html


def test_blank_rows_are_skipped_and_rows_keep_their_spreadsheet_numbers(world, tmp_path):
    workbook = Workbook()
    ws = workbook.active
    ws.append(["江城市政协委员花名册"])
    ws.append([])
    ws.append(HEADERS)
    ws.append([row().get(h) for h in HEADERS])
    ws.append([])
    ws.append([second_row(手机号码="1").get(h) for h in HEADERS])
    path = tmp_path / "gaps.xlsx"
    workbook.save(path)

    preview = roster_import_preview(term=world.term, file=path, by=world.staff)

    assert [(i.row, i.column) for i in preview.errors] == [(6, "手机号码")]
