"""The year in a browser. On a 375 px phone: a member finds their six ones and
writes their duty report from the menu; staff open the annual assessment and
the six ones' compliance from the office menu (nothing scrolls sideways but
the tables inside their own frames). On a desktop: staff import last year's
results from Excel (a dry run, then the import), set a six-ones reminder and
try this year's rulebook on last year's records."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from scoring import annual
from scoring.tests.annual_helpers import compute, load_haian
from scoring.tests.test_worked_members_through_the_app import App, at
from tests.browser.conftest import DESKTOP

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

YEAR = timezone.localdate().year


@pytest.fixture
def year(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    app = App(world)
    app.attend(world.member, "research", at(3, 2))
    app.proposal(world.member, title="关于加强老旧小区改造的建议")
    load_haian(world, YEAR)
    compute(world.body, YEAR)
    return world


def _fits(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= 375


def test_a_member_sees_the_six_ones_and_writes_the_duty_report(
    year, login_as, outside_requests, console_errors
):
    page = login_as("member")

    page.get_by_role("button", name="菜单").click()
    page.get_by_role("button", name="我的履职").click()
    page.get_by_role("link", name="我的六个一").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("年度履职清单")
    checklist = page.get_by_test_id("checklist-six_ones")
    expect(checklist).to_contain_text("必做项完成 2/5")
    expect(checklist.get_by_role("link", name="提案:关于加强老旧小区改造的建议")).to_be_visible()
    _fits(page)

    page.get_by_role("button", name="菜单").click()
    page.get_by_role("button", name="我的履职").click()
    page.get_by_role("link", name="述职报告").click()
    page.get_by_label("述职报告", exact=True).fill("一年来参加专题调研,提交提案一件。")
    page.get_by_role("button", name="保存").click()

    expect(page.get_by_role("alert")).to_contain_text(f"{YEAR} 年度述职报告已保存")
    expect(page.get_by_test_id("report-status")).to_contain_text("已提交")
    _fits(page)
    assert outside_requests == []
    assert console_errors == []


def test_staff_read_the_assessment_and_the_compliance_on_a_phone(
    year, world, login_as, outside_requests, console_errors
):
    annual.duty_report_save(
        member=world.member, year=YEAR, text="述职正文", by=world.member.person.user
    )
    page = login_as("staff")

    page.get_by_role("button", name="菜单").click()
    page.get_by_role("button", name="机关工作").click()
    page.get_by_role("link", name="年度考核").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text(f"{YEAR} 年度考核")
    ranking = page.get_by_test_id("ranking")
    expect(ranking.locator("tbody tr")).to_have_count(4)
    expect(page.get_by_test_id("follow-up-reminder_talk")).to_be_visible()
    _fits(page)

    page.get_by_role("link", name="六个一", exact=True).click()
    expect(page.get_by_test_id("compliance")).to_contain_text("全体")
    expect(page.get_by_test_id("missing").locator("tbody tr")).to_have_count(4)
    _fits(page)

    page.get_by_role("link", name="委员", exact=True).click()
    ranking.get_by_role("link", name="查看").click()
    expect(page.get_by_test_id("report-text")).to_have_text("述职正文")
    _fits(page)
    assert outside_requests == []
    assert console_errors == []


def test_staff_import_last_year_set_a_reminder_and_try_a_rulebook(
    year, world, login_as, tmp_path, outside_requests, console_errors
):
    from openpyxl import Workbook

    from scoring.models import ChecklistReminder, PastResult

    # given last year's final results kept in Excel, as committees keep them
    book = Workbook()
    sheet = book.active
    sheet.append(["年度", "委员编号", "姓名", "总分", "等次"])
    for member, total, grade in ((world.member, 55, "不合格"), (world.colleague, 88, "优秀")):
        sheet.append([YEAR - 1, member.number, member.person.name, total, grade])
    path = tmp_path / "往年考核结果.xlsx"
    book.save(path)
    page = login_as("staff", viewport=DESKTOP)

    # when staff check the file, then confirm the import
    page.goto(page.url.rstrip("/") + "/scoring/annual/history/import/")
    page.get_by_label("按哪一届的委员编号识别").select_option(value=str(world.term.pk))
    page.get_by_label("往年考核结果文件").set_input_files(str(path))
    page.get_by_role("button", name="检查文件").click()
    expect(page.get_by_test_id("import-summary")).to_contain_text("新增 2")
    assert not PastResult.objects.exists()  # a dry run writes nothing
    page.get_by_role("button", name="确认导入(2 条有变化)").click()

    # then last year is on record for the consecutive-years rules
    expect(page.get_by_role("alert").first).to_contain_text("导入")
    assert PastResult.objects.filter(year=YEAR - 1).count() == 2

    # when staff set a six-ones reminder for a week from now
    on = timezone.localdate() + datetime.timedelta(days=7)
    page.goto(page.url.split("/scoring/")[0] + f"/scoring/annual/{world.body.pk}/{YEAR}/")
    page.get_by_role("link", name="清单提醒").click()
    page.get_by_label("提醒日期").fill(on.isoformat())
    page.get_by_role("button", name="设置提醒").click()
    expect(page.get_by_test_id("reminders").locator("tbody tr")).to_have_count(1)
    assert ChecklistReminder.objects.get().on == on

    # and try this year's rulebook on last year's records
    page.goto(page.url.split("/scoring/")[0] + "/scoring/whatif/")
    page.get_by_label("用哪一年的履职记录").fill(str(YEAR - 1))
    page.get_by_role("button", name="试算").click()

    # then the what-if compares with the imported results, writing nothing
    expect(page.get_by_text(f"对照:{YEAR - 1} 年导入的往年考核结果")).to_be_visible()
    assert PastResult.objects.count() == 2
    assert outside_requests == []
    assert console_errors == []
