"""Staff bring a roster in from Excel and take it out again, in the browser."""

import datetime

import openpyxl
import pytest
from playwright.sync_api import expect

from members.models import ExportLog, Member
from tests.browser.conftest import DESKTOP

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HEADERS = ["委员编号", "姓名", "性别", "党派", "界别", "界别小组", "手机号码", "任职日期"]


def _roster_file(path, rows):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "花名册"
    ws.append(HEADERS)
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def test_staff_import_a_roster_with_a_bad_row_fix_it_and_find_the_new_member(
    world, login_as, tmp_path, console_errors
):
    # given a file whose second row has an unknown sector
    good = [
        "8001",
        "周新华",
        "男",
        "民盟",
        "经济界",
        "经济界小组",
        "13600008001",
        datetime.date(2024, 3, 1),
    ]
    bad = [
        "8002",
        "吴思远",
        "女",
        "九三学社",
        "不存在的界别",
        "经济界小组",
        "13600008002",
        datetime.date(2024, 3, 1),
    ]
    broken = _roster_file(tmp_path / "花名册.xlsx", [good, bad])
    page = login_as("staff", viewport=DESKTOP)

    # when staff upload it
    page.get_by_role("button", name="机关工作").click()
    page.get_by_role("link", name="导入名册", exact=True).click()
    page.get_by_label("花名册文件").set_input_files(str(broken))
    page.get_by_role("button", name="检查文件").click()

    # then the bad row's error is shown by row and column, and nothing is imported
    errors = page.get_by_test_id("import-errors")
    expect(errors).to_contain_text("第3行")
    expect(errors).to_contain_text("界别")
    expect(errors).to_contain_text("不存在的界别")
    assert not Member.objects.filter(number__in=["8001", "8002"]).exists()

    # when they fix the file, check it again and confirm
    bad[4] = "教育界"
    fixed = _roster_file(tmp_path / "花名册-改.xlsx", [good, bad])
    page.get_by_label("花名册文件").set_input_files(str(fixed))
    page.get_by_role("button", name="检查文件").click()
    expect(page.get_by_test_id("import-summary")).to_contain_text("新增 2")
    page.get_by_role("button", name="确认导入").click()
    expect(page.get_by_role("alert").first).to_be_visible()

    # then they find the new member in the roster
    page.get_by_role("link", name="委员名册", exact=True).click()
    page.get_by_placeholder("姓名、编号或单位").fill("吴思远")
    page.get_by_role("button", name="筛选").click()
    row = page.get_by_test_id("member-table").locator("tbody tr").filter(has_text="吴思远")
    expect(row).to_contain_text("教育界")
    expect(row).to_contain_text("13600008002")
    assert Member.objects.get(term=world.term, number="8002").person.name == "吴思远"
    assert console_errors == []


def test_an_exported_roster_opens_with_headers_text_cells_and_a_frozen_header(
    world, login_as, tmp_path
):
    # given a member whose workplace starts like a formula
    person = world.member.person
    person.workplace = '=HYPERLINK("http://x")'
    person.save()
    page = login_as("staff", viewport=DESKTOP)
    page.get_by_role("link", name="委员名册", exact=True).click()

    # when staff download the roster
    with page.expect_download() as download_info:
        page.get_by_role("link", name="导出花名册").click()
    path = tmp_path / "roster.xlsx"
    download_info.value.save_as(path)

    # then it opens with openpyxl: title, Chinese headers, frozen header, text not formula
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    assert ws.title == "花名册"
    assert "花名册" in ws["A1"].value
    header_row = next(r for r in ws.iter_rows(min_row=1, max_row=5) if r[0].value == "委员编号")
    headers = [c.value for c in header_row]
    assert headers[:4] == ["委员编号", "姓名", "性别", "民族"]
    assert ws.freeze_panes == f"A{header_row[0].row + 1}"
    workplace_col = headers.index("工作单位及职务")
    cells = {r[1].value: r[workplace_col] for r in ws.iter_rows(min_row=header_row[0].row + 1)}
    cell = cells[person.name]
    assert cell.data_type == "s"
    assert cell.value.startswith("=HYPERLINK")
    assert ws.page_setup.orientation == "landscape"
    # and the export was logged
    log = ExportLog.objects.get(user=world.staff)
    assert log.what == "花名册"
    assert log.rows == Member.objects.filter(term=world.term, left_on__isnull=True).count()
