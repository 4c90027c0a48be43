"""Staff bring last years' activity ledger in from Excel, in the browser."""

import openpyxl
import pytest
from django.urls import reverse
from playwright.sync_api import expect

from duties.models import Activity, Participation
from tests import factories as f
from tests.browser.conftest import DESKTOP, PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HEADERS = ["活动名称", "活动类型", "日期", "组织方", "地点", "姓名", "手机号码", "出席情况"]


def _ledger(path, sheets):
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        ws.append(HEADERS)
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path


def test_staff_import_a_ledger_with_a_bad_row_fix_it_and_find_the_attendance(
    world, login_as, live_server, tmp_path, console_errors
):
    f.ActivityKindFactory(body=world.body, code="research", name="专题调研", category="research")
    name, colleague = world.member.person.name, world.colleague.person.name
    # given a ledger of two years whose last row has a status nobody uses
    rows_2024 = [
        ["营商环境专题调研", "专题调研", "2024-05-16", "机关", "市发改委", name, "", "出席"],
        ["营商环境专题调研", "专题调研", "2024-05-16", "机关", "市发改委", colleague, "", "迟到"],
    ]
    rows_2023 = [["乡村振兴专题调研", "专题调研", "2023-09-08", "", "", name, "", "请假"]]
    broken = _ledger(tmp_path / "台账.xlsx", {"2024年": rows_2024, "2023年": rows_2023})
    page = login_as("staff", viewport=DESKTOP)

    # when staff open the imports from the office menu and upload it
    page.get_by_role("button", name="机关工作").click()
    page.get_by_role("link", name="导入历史数据", exact=True).click()
    page.get_by_role("link", name="上传导入").first.click()
    page.get_by_label("Excel 文件").set_input_files(str(broken))
    page.get_by_role("button", name="检查文件").click()

    # then the bad row's error is shown with its sheet, row and column, and nothing is written
    errors = page.get_by_test_id("import-errors")
    expect(errors).to_contain_text("2024年")
    expect(errors).to_contain_text("第3行")
    expect(errors).to_contain_text("出席情况")
    expect(errors).to_contain_text("无法识别“迟到”")
    assert not Activity.objects.exists()

    # when they fix the row, check again and confirm
    rows_2024[1][7] = "缺席"
    fixed = _ledger(tmp_path / "台账-改.xlsx", {"2024年": rows_2024, "2023年": rows_2023})
    page.get_by_label("Excel 文件").set_input_files(str(fixed))
    page.get_by_role("button", name="检查文件").click()
    expect(page.get_by_test_id("import-summary")).to_contain_text("新增 3")
    page.get_by_test_id("confirm").click()

    # then the result lists what was made, and the activity shows the attendance
    expect(page.get_by_test_id("import-result")).to_contain_text("新建活动 2 项")
    expect(page.get_by_test_id("import-result")).to_contain_text("新增出席记录 3 条")
    page.screenshot(path=str(tmp_path / "result-desktop.png"), full_page=True)
    page.get_by_test_id("imported-records").get_by_role(
        "link", name="营商环境专题调研(2024-05-16)"
    ).click()
    expect(page.locator("body")).to_contain_text("营商环境专题调研")
    page.get_by_role("link", name="名单与出席").click()
    expect(page.locator("body")).to_contain_text(colleague)
    expect(page.locator("body")).to_contain_text("缺席")
    activity = Activity.objects.get(theme="营商环境专题调研")
    assert dict(activity.participations.values_list("member__person__name", "attendance")) == {
        name: Participation.Attendance.ATTENDED,
        colleague: Participation.Attendance.ABSENT,
    }

    # and the member finds last year's absence on their duty record, on a phone
    page.context.clear_cookies()
    page = login_as("colleague", viewport=PHONE)
    page.goto(f"{live_server.url}{reverse('duties:my_record')}?year=2024")
    expect(page.locator("body")).to_contain_text("营商环境专题调研")
    expect(page.locator("body")).to_contain_text("缺席")
    page.screenshot(path=str(tmp_path / "record-phone.png"), full_page=True)
    assert console_errors == []
