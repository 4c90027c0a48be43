"""The duty journeys in a real browser: a member on a phone signs up, checks in
by opening the QR code's link and finds it in their duty record; staff bulk-mark
attendance and import the venue's sign-in sheet."""

import datetime
import re

import openpyxl
import pytest
from django.utils import timezone
from playwright.sync_api import expect

from duties import services
from duties.models import Participation
from tests import factories as f
from tests.browser.conftest import DESKTOP, PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_member_signs_up_checks_in_by_the_qr_link_and_sees_it_in_the_record(
    world, live_server, browser, login_as, console_errors, outside_requests
):
    # given an inspection starting in 20 minutes (check-in opens 30 minutes before)
    now = timezone.now()
    activity = f.ActivityFactory(
        term=world.term,
        theme="城东老旧小区改造视察",
        capacity=10,
        starts_at=now + datetime.timedelta(minutes=20),
        ends_at=now + datetime.timedelta(hours=3),
        signup_deadline=now + datetime.timedelta(minutes=10),
    )

    # when the member signs up on a 375 px phone
    page = login_as("member", viewport=PHONE)
    page.goto(f"{live_server.url}/duties/")
    page.get_by_role("link", name="城东老旧小区改造视察").click()
    page.get_by_role("button", name="报名参加").click()
    expect(page.get_by_role("alert").first).to_contain_text("报名成功")
    expect(page.get_by_test_id("my-participation")).to_contain_text("已报名")

    # and staff show the QR code at the venue (on another device)
    staff_context = browser.new_context(viewport=DESKTOP)
    staff = staff_context.new_page()
    staff.goto(f"{live_server.url}/accounts/login/")
    staff.fill("input[name=login]", "staff")
    staff.fill("input[name=password]", "pass-word-123")
    staff.click("form button[type=submit]")
    staff.goto(f"{live_server.url}/duties/{activity.pk}/checkin/screen/")
    expect(staff.get_by_test_id("checkin-qr").locator("svg")).to_be_visible()
    link = staff.get_by_test_id("checkin-qr").get_by_role("link").get_attribute("href")
    assert re.search(rf"/duties/{activity.pk}/checkin/\d+/\w+/$", link)

    # when the member's phone, logged out, opens the scanned link
    page.context.clear_cookies()
    page.goto(link)
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.fill("input[name=login]", "member")
    page.fill("input[name=password]", "pass-word-123")
    page.click("form button[type=submit]")

    # then they are back at the check-in and marked attended
    expect(page.get_by_text("签到成功")).to_be_visible()
    assert (
        Participation.objects.get(activity=activity, member=world.member).attendance == "attended"
    )
    staff.reload()
    expect(staff.get_by_test_id("checkin-count")).to_contain_text("已签到 1 人")

    # and the duty record shows the activity as attended
    page.goto(f"{live_server.url}/duties/records/mine/")
    entries = page.get_by_test_id("entries")
    expect(entries).to_contain_text("城东老旧小区改造视察")
    expect(entries).to_contain_text("出席")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    staff_context.close()
    assert console_errors == []
    assert outside_requests == []


def test_staff_bulk_mark_attendance_then_import_the_sign_in_sheet(
    world, live_server, login_as, tmp_path
):
    # given an activity that took place, with two members on the list
    now = timezone.now()
    activity = f.ActivityFactory(
        term=world.term,
        theme="乡村振兴专题调研",
        starts_at=now + datetime.timedelta(days=2),
        ends_at=now + datetime.timedelta(days=2, hours=3),
        signup_deadline=now + datetime.timedelta(days=1),
    )
    services.signup(activity=activity, member=world.member)
    services.signup(activity=activity, member=world.colleague)
    page = login_as("staff", viewport=DESKTOP)
    page.goto(f"{live_server.url}/duties/{activity.pk}/attendance/")

    # when staff mark everyone present, then record the colleague absent
    page.get_by_role("button", name="未登记者全部登记为出席").click()
    expect(page.get_by_test_id("tally")).to_contain_text("出席 2")
    row = page.get_by_test_id("attendance-table").locator(f"li[data-member='{world.colleague.pk}']")
    row.get_by_label("出席情况").select_option("absent")
    row.get_by_role("button", name="登记").click()
    expect(page.get_by_test_id("tally")).to_contain_text("出席 1,请假 0,缺席 1")

    # and import the venue's sheet, where a member who came without signing up signed in
    sheet = tmp_path / "签到表.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["序号", "姓名", "手机号码"])
    wb.active.append([1, world.other_member.person.name, world.other_member.person.mobile])
    wb.save(sheet)
    page.get_by_role("link", name="导入签到表").first.click()
    page.locator("input[type=file]").set_input_files(str(sheet))
    page.get_by_role("button", name="检查签到表").click()
    expect(page.get_by_test_id("sheet-rows")).to_contain_text(world.other_member.person.name)
    page.get_by_test_id("sheet-confirm").click()

    # then the member from the sheet is on the list as attended
    expect(page.get_by_test_id("tally")).to_contain_text("出席 2,请假 0,缺席 1")
    assert (
        Participation.objects.get(activity=activity, member=world.other_member).attendance
        == "attended"
    )
