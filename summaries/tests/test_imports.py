"""The history imports' shared reader (every refusal of a file), the honours
import, and the staff pages: upload, preview, confirm, result."""

import datetime
import io
import zipfile

import openpyxl.xml
import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from duties.history_import import activities_history_preview
from duties.models import Activity, Participation
from duties.tests.test_history_import import line, workbook
from members.honour_import import honours_history_apply, honours_history_preview
from members.models import Honour
from scoring.models import DutyFact
from summaries.imports import registry
from tests import factories as f


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def kinds(world):
    f.ActivityKindFactory(body=world.body, code="inspection")
    return world


def file_errors(report) -> list[str]:
    return [str(issue) for issue in report.errors]


def saved(wb) -> io.BytesIO:
    buffer = io.BytesIO()
    wb.save(buffer)
    buffer.seek(0)
    return buffer


# Refusals of the file as a whole -------------------------------------------------------


def test_a_file_over_the_size_limit_is_refused(kinds, settings):
    settings.IMPORT_MAX_BYTES = 1000
    file = workbook({"2024": [line(kinds.member)] * 40})
    report = activities_history_preview(body=kinds.body, file=file)
    assert file_errors(report) == ["文件:文件过大,最大允许 0.0 MB"]


def test_the_row_limit_counts_every_sheet_together(kinds, settings):
    settings.IMPORT_HISTORY_MAX_ROWS = 3
    w = kinds
    file = workbook(
        {
            "2023": [line(w.member, day="2023-05-01"), line(w.colleague, day="2023-05-01")],
            "2024": [line(w.member), line(w.colleague)],
        }
    )
    report = activities_history_preview(body=w.body, file=file)
    assert file_errors(report) == ["[2024]文件:数据行数超过上限:一次最多导入 3 行(所有工作表合计)"]


def test_five_thousand_attendance_rows_fit_the_default_limit(settings):
    assert settings.IMPORT_HISTORY_MAX_ROWS >= 5000


@pytest.mark.parametrize(
    "content",
    [
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600,  # .xls, or an encrypted .xlsx
    ],
)
def test_a_password_protected_or_xls_file_is_refused(kinds, content):
    report = activities_history_preview(body=kinds.body, file=io.BytesIO(content))
    assert file_errors(report) == [
        "文件:该文件已设置打开密码,或是旧版 .xls 格式:请取消密码并另存为 .xlsx 后再上传"
    ]


def test_a_corrupt_file_is_refused(kinds):
    good = workbook({"2024": [line(kinds.member)]}).getvalue()
    for content in (b"not a workbook", good[: len(good) // 2]):
        report = activities_history_preview(body=kinds.body, file=io.BytesIO(content))
        assert [i.message for i in report.errors] == [
            "无法读取该文件:请上传 Excel 2007 及以上版本保存的 .xlsx 文件(不支持 .xls、.csv 或改名的文件)"
        ]


def test_formulas_are_refused_with_their_cells(kinds):
    wb = load_workbook(workbook({"2024": [line(kinds.member)]}))
    wb["2024"]["C2"] = "=DATE(2024,5,16)"
    report = activities_history_preview(body=kinds.body, file=saved(wb))
    assert file_errors(report) == ["[2024]第2行「日期」:单元格含有公式,请改为直接填写数值后再导入"]


def test_openpyxl_parses_with_defusedxml():
    assert openpyxl.xml.DEFUSEDXML is True


BOMB = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<!DOCTYPE lolz [
<!ENTITY lol "lollollollollollollollollollol">
<!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
<!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
<!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
<!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
<!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>
<row r="1"><c r="A1" t="inlineStr"><is><t>活动名称</t></is></c><c r="B1" t="inlineStr"><is><t>姓名</t></is></c></row>
<row r="2"><c r="A2" t="inlineStr"><is><t>&lol9;</t></is></c></row>
</sheetData></worksheet>"""


def test_an_entity_expansion_bomb_in_a_sheet_is_refused_cleanly(kinds, client):
    # given: a real workbook whose sheet XML declares a billion laughs
    source = zipfile.ZipFile(workbook({"2024": [line(kinds.member)]}))
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = BOMB.encode()
            target.writestr(info, data)
    # when / then: the service says why, in Chinese
    report = activities_history_preview(body=kinds.body, file=io.BytesIO(bomb.getvalue()))
    assert [i.message for i in report.errors] == [
        "文件中含有不安全的 XML 内容(实体声明),已拒绝读取"
    ]
    # and the page shows it (not a 500)
    client.force_login(kinds.staff)
    bomb.seek(0)
    bomb.name = "bomb.xlsx"
    response = client.post(
        reverse("summaries:import", args=["activities"]), {"body": kinds.body.pk, "file": bomb}
    )
    assert response.status_code == 200
    assert "文件中含有不安全的 XML 内容" in response.content.decode()


# Honours -------------------------------------------------------------------------------

HONOUR_HEADERS = ("姓名", "手机号码", "表彰名称", "级别", "表彰日期")


@pytest.fixture
def eager_tasks():
    from config.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before


def test_honours_are_imported_once_and_become_facts(
    world, eager_tasks, django_capture_on_commit_callbacks
):
    rows = [
        (world.member.person.name, "", "优秀政协委员", "市级", "2024-01-10"),
        (world.colleague.person.name, "", "先进个人", "省级", "2023年12月1日"),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        report = honours_history_apply(
            body=world.body, file=workbook({"表彰": rows}, HONOUR_HEADERS), by=world.staff
        )
    assert (report.new, report.updated, report.unchanged) == (2, 0, 0)
    assert DutyFact.objects.filter(member=world.member, kind="honour.awarded").count() == 1
    # the same file again: nothing written
    again = honours_history_apply(
        body=world.body, file=workbook({"表彰": rows}, HONOUR_HEADERS), by=world.staff
    )
    assert (again.new, again.updated, again.unchanged) == (0, 0, 2)
    assert Honour.objects.count() == 2
    # a corrected level updates the same honour
    rows[0] = (world.member.person.name, "", "优秀政协委员", "省级", "2024-01-10")
    fixed = honours_history_apply(
        body=world.body, file=workbook({"表彰": rows}, HONOUR_HEADERS), by=world.staff
    )
    assert (fixed.new, fixed.updated, fixed.unchanged) == (0, 1, 1)
    assert Honour.objects.get(person=world.member.person, title="优秀政协委员").level == "province"


def test_the_database_refuses_a_second_honour_of_a_title_in_a_year(world):
    f.HonourFactory(person=world.member.person, awarded_on=datetime.date(2024, 1, 10))
    f.HonourFactory(person=world.member.person, awarded_on=datetime.date(2025, 1, 10))
    with pytest.raises(IntegrityError), transaction.atomic():
        f.HonourFactory(person=world.member.person, awarded_on=datetime.date(2024, 12, 1))


def test_honour_rows_with_problems_are_listed(world):
    f.MemberFactory(term=world.term, person=f.PersonFactory(name=world.member.person.name))
    rows = [
        (world.member.person.name, "", "优秀政协委员", "市级", "2024-01-10"),
        ("查无此人", "", "优秀政协委员", "区级", "昨天"),
        (world.colleague.person.name, "", "", "市级", "2024-01-10"),
        (world.other_member.person.name, "", "先进个人", "市级", "2024-01-10"),
        (world.other_member.person.name, "", "先进个人", "市级", "2024-03-10"),
    ]
    report = honours_history_preview(body=world.body, file=workbook({"表彰": rows}, HONOUR_HEADERS))
    assert [(i.row, i.column) for i in report.errors] == [
        (2, "姓名"),
        (3, "姓名"),
        (3, "级别"),
        (3, "表彰日期"),
        (4, "表彰名称"),
        (5, "表彰名称"),
        (6, "表彰名称"),
    ]
    assert Honour.objects.count() == 0


# Pages ---------------------------------------------------------------------------------


def test_the_index_lists_each_import_with_its_template(client, world):
    client.force_login(world.staff)
    page = client.get(reverse("summaries:imports")).content.decode()
    for slug in registry():
        assert reverse("summaries:import_template", args=[slug]) in page


@pytest.mark.parametrize("slug", ["activities", "proposals", "reports", "honours"])
def test_each_template_is_a_workbook_the_import_reads(client, world, slug):
    client.force_login(world.staff)
    response = client.get(reverse("summaries:import_template", args=[slug]))
    wb = load_workbook(io.BytesIO(response.content))
    spec = registry()[slug]
    first = wb.worksheets[0]
    assert [c.value for c in first[1]] == list(spec.headers)
    assert first.freeze_panes == "A2"
    assert wb.sheetnames[-1] == "填写说明"
    # the example names members who are not there: the rows fail on names, not on the layout
    report = spec.preview(body=world.body, file=io.BytesIO(response.content))
    assert report.errors and all(i.row for i in report.errors)


def test_staff_upload_see_the_preview_confirm_and_find_the_result(client, kinds):
    w = kinds
    client.force_login(w.staff)
    url = reverse("summaries:import", args=["activities"])
    file = workbook({"2024": [line(w.member), line(w.colleague, status="请假")]})
    file.name = "台账.xlsx"
    preview = client.post(url, {"body": w.body.pk, "file": file})
    page = preview.content.decode()
    assert "新增 2" in page and "确认导入(2 行有变化)" in page
    assert Activity.objects.count() == 0
    token = preview.context["token"]
    result = client.post(reverse("summaries:import_confirm", args=["activities"]), {"token": token})
    assert result.status_code == 200
    text = result.content.decode()
    assert "新建活动 1 项" in text and "新增出席记录 2 条" in text
    activity = Activity.objects.get()
    assert reverse("duties:activity", args=[activity.pk]) in text
    assert Participation.objects.filter(activity=activity).count() == 2
    # the token is spent: confirming again imports nothing more
    again = client.post(reverse("summaries:import_confirm", args=["activities"]), {"token": token})
    assert again.status_code == 302
    assert Participation.objects.count() == 2
    # the same file checked again: nothing to import
    file.seek(0)
    same = client.post(url, {"body": w.body.pk, "file": file})
    assert "2 行无变化" in same.content.decode()
    assert same.context["token"] is None


def test_a_token_is_good_only_for_its_user_and_import(client, kinds):
    w = kinds
    client.force_login(w.staff)
    file = workbook({"2024": [line(w.member)]})
    file.name = "a.xlsx"
    token = client.post(
        reverse("summaries:import", args=["activities"]), {"body": w.body.pk, "file": file}
    ).context["token"]
    response = client.post(reverse("summaries:import_confirm", args=["honours"]), {"token": token})
    assert response.status_code == 403
    other = f.office_user(body=w.body, role="staff", username="staff2")
    client.force_login(other)
    response = client.post(
        reverse("summaries:import_confirm", args=["activities"]), {"token": token}
    )
    assert response.status_code == 403
    assert Activity.objects.count() == 0


def test_the_preview_page_shows_each_row_error(client, kinds):
    w = kinds
    client.force_login(w.staff)
    file = workbook({"2024": [line(w.member), line(w.colleague, status="迟到")]})
    file.name = "a.xlsx"
    response = client.post(
        reverse("summaries:import", args=["activities"]), {"body": w.body.pk, "file": file}
    )
    page = response.content.decode()
    assert "第3行" in page and "无法识别“迟到”,可填:出席、请假、缺席" in page
    assert response.context["token"] is None


def test_the_nav_offers_the_imports_to_staff(client, world):
    client.force_login(world.staff)
    assert "导入历史数据" in client.get(reverse("summaries:imports")).content.decode()
    assert reverse("summaries:imports") in client.get("/").content.decode()


def test_an_unknown_import_is_404(client, world):
    client.force_login(world.staff)
    assert client.get(reverse("summaries:import", args=["nothing"])).status_code == 404


def test_a_workbook_without_the_header_row_is_refused(kinds):
    report = activities_history_preview(body=kinds.body, file=saved(Workbook()))
    assert file_errors(report) == ["文件:未找到表头:前10行中应有“活动名称”、“姓名”等列标题"]


def test_a_workbook_with_headers_and_no_rows_is_refused(kinds):
    report = activities_history_preview(body=kinds.body, file=workbook({"2024": []}))
    assert file_errors(report) == ["文件:表格中没有数据行"]
