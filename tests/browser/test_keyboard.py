"""Every main form works by keyboard alone: Tab and Shift+Tab to move,
typing, arrow keys in selects and radio groups, Enter and Space to press; no
clicks. Each control reached shows a focus style, and the 我的履职 menu opens
from the keyboard. Login, signing up for an activity, a self-reported duty, a
dispute, a proposal draft and a staff attendance record."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from duties import services as duties
from duties.models import Dispute, Participation, SelfReportedDuty
from proposals.models import Proposal
from scoring.tests.test_worked_members_through_the_app import App, at
from tests import factories as f
from tests.browser.conftest import DESKTOP, PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pass-word-123"


def focused(page, locator) -> bool:
    return page.evaluate("el => el === document.activeElement", locator.element_handle())


def tab_to(page, locator, *, back=False, limit=80):
    """Press Tab (Shift+Tab) until the control has the focus, and check that
    the focus shows: an outline or a ring (box-shadow)."""
    key = "Shift+Tab" if back else "Tab"
    for _ in range(limit):
        page.keyboard.press(key)
        if focused(page, locator):
            break
    else:
        raise AssertionError(f"{key} never reached {locator}")
    outline, width, ring = page.evaluate(
        "() => { const s = getComputedStyle(document.activeElement);"
        " return [s.outlineStyle, s.outlineWidth, s.boxShadow]; }"
    )
    assert (outline != "none" and width != "0px") or ring != "none", (
        f"no visible focus on {locator}"
    )


def type_date(page, locator, day: datetime.date):
    """Chromium's date field takes month, day and year typed in turn (its locale
    here is en-US); the value tells if it did."""
    page.keyboard.type(day.strftime("%m%d%Y"))
    assert locator.input_value() == day.isoformat()


def log_in(page, url, username, viewport=DESKTOP):
    page.set_viewport_size(viewport)
    page.goto(f"{url}/accounts/login/")
    tab_to(page, page.get_by_label("用户名或手机号"))
    page.keyboard.type(username)
    tab_to(page, page.get_by_label("密码"))
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{url}/")


@pytest.fixture
def year(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    app = App(world)
    app.session  # noqa: B018  (this year's plenary session, for the proposal)
    world.attended = app.attend(world.member, "research", at(3, 2))
    now = timezone.now()
    world.upcoming = f.ActivityFactory(
        term=world.term,
        theme="城东老旧小区改造视察",
        capacity=10,
        starts_at=now + datetime.timedelta(days=5),
        ends_at=now + datetime.timedelta(days=5, hours=3),
        signup_deadline=now + datetime.timedelta(days=3),
    )
    world.past = app.activity("inspection", at(4, 2))
    duties.list_add(activity=world.past, members=[world.colleague], by=world.staff)
    return world


def test_a_member_logs_in_and_signs_up_by_keyboard(year, live_server, page):
    # the login form: Tab to each field, Shift+Tab back to fix the user name
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/accounts/login/")
    tab_to(page, page.get_by_label("用户名或手机号"))
    page.keyboard.type("nobody")
    tab_to(page, page.get_by_label("密码"))
    page.keyboard.type(PASSWORD)
    tab_to(page, page.get_by_label("用户名或手机号"), back=True)
    page.keyboard.press("Control+A")
    page.keyboard.type("member")
    tab_to(page, page.get_by_role("button", name="登录"))
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/")

    # the activity, from the menu's link, and its sign-up button
    page.goto(f"{live_server.url}/duties/")
    tab_to(page, page.get_by_role("link", name="城东老旧小区改造视察"))
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/duties/{year.upcoming.pk}/")
    tab_to(page, page.get_by_role("button", name="报名参加"))
    page.keyboard.press("Space")
    expect(page.get_by_test_id("my-participation")).to_contain_text("已报名")
    assert Participation.objects.filter(activity=year.upcoming, member=year.member).exists()


def test_the_my_duties_menu_opens_by_keyboard(year, live_server, page):
    log_in(page, live_server.url, "member")
    menu = page.get_by_role("button", name="我的履职")
    tab_to(page, menu)
    page.keyboard.press("Enter")
    expect(menu).to_have_attribute("aria-expanded", "true")
    items = page.locator(".dropdown-menu.show .dropdown-item")
    expect(items.first).to_be_visible()
    page.keyboard.press("ArrowDown")
    expect(items.first).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(items.nth(1)).to_have_text("我的评分")
    expect(items.nth(1)).to_be_focused()
    page.keyboard.press("Escape")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(menu).to_be_focused()
    # and opened again, Enter on an item follows it
    page.keyboard.press("Enter")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_url("**/duties/self-reported/")


def test_a_self_reported_duty_by_keyboard(year, live_server, page):
    log_in(page, live_server.url, "member", viewport=PHONE)
    page.goto(f"{live_server.url}/duties/self-reported/new/")
    kind = page.get_by_label("类型")
    tab_to(page, kind)
    page.keyboard.press("ArrowDown")  # the first kind after the empty choice
    assert kind.input_value() != ""
    done_on = page.get_by_label("日期")
    tab_to(page, done_on)
    day = timezone.localdate() - datetime.timedelta(days=3)
    type_date(page, done_on, day)
    tab_to(page, page.get_by_label("内容"))
    page.keyboard.type("走访社区养老服务中心,收集意见三条")
    tab_to(page, page.get_by_role("button", name="提交"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert").first).to_contain_text("已提交")
    duty = SelfReportedDuty.objects.get(member=year.member)
    assert (duty.done_on, duty.description) == (day, "走访社区养老服务中心,收集意见三条")


def test_a_dispute_by_keyboard(year, live_server, page):
    log_in(page, live_server.url, "member", viewport=PHONE)
    page.goto(f"{live_server.url}/duties/records/mine/?year={at(3, 2).year}")
    tab_to(page, page.get_by_role("link", name="有误?提出异议").first)
    page.keyboard.press("Enter")
    page.wait_for_url("**/disputes/new/**")
    tab_to(page, page.get_by_label("异议理由"))
    page.keyboard.type("当天因公出差,未参加调研")
    tab_to(page, page.locator("main form button[type=submit]"))
    page.keyboard.press("Space")
    expect(page.get_by_role("alert").first).to_contain_text("异议已提交")
    dispute = Dispute.objects.get(member=year.member)
    assert dispute.reason == "当天因公出差,未参加调研"
    assert dispute.object_id == year.attended.pk


def test_a_proposal_draft_by_keyboard(year, live_server, page):
    log_in(page, live_server.url, "member")
    page.goto(f"{live_server.url}/proposals/new/")
    # the kind's radio group: Tab reaches its checked radio, an arrow moves the choice
    start = page.locator("input[name=kind]:checked").get_attribute("value")
    tab_to(page, page.locator(f"input[name=kind][value='{start}']"))
    page.keyboard.press("ArrowDown")
    chosen = page.locator("input[name=kind]:checked").get_attribute("value")
    assert chosen != start
    tab_to(page, page.get_by_label("案由"))
    page.keyboard.type("关于完善社区养老服务的建议")
    category = page.get_by_label("类别")
    tab_to(page, category)
    first_category = category.input_value()
    page.keyboard.press("ArrowDown")
    picked = category.input_value()
    assert picked != first_category
    tab_to(page, page.get_by_label("内容"))
    page.keyboard.type("现状、问题与建议")
    tab_to(page, page.get_by_role("button", name="保存草稿"))
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/proposals/\d+/$"))
    proposal = Proposal.objects.get(title="关于完善社区养老服务的建议")
    assert (proposal.status, proposal.kind, proposal.category) == (
        Proposal.Status.DRAFT,
        chosen,
        picked,
    )


def test_staff_record_attendance_by_keyboard(year, live_server, page):
    log_in(page, live_server.url, "staff")
    page.goto(f"{live_server.url}/duties/{year.past.pk}/attendance/")
    row = page.locator(f"li[data-member='{year.colleague.pk}']")
    attendance = row.get_by_label("出席情况")
    tab_to(page, attendance)
    # arrow down to 请假 (excused), whatever the options' order
    for _ in range(6):
        if attendance.input_value() == "excused":
            break
        page.keyboard.press("ArrowDown")
    assert attendance.input_value() == "excused"
    tab_to(page, row.get_by_label("请假事由"))
    page.keyboard.type("因公出差")
    tab_to(page, row.get_by_role("button", name="登记"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert").first).to_be_visible()
    p = Participation.objects.get(activity=year.past, member=year.colleague)
    assert (p.attendance, p.leave_reason) == ("excused", "因公出差")
