"""The quarterly review in a real browser: staff compute the quarter from the
periods page (a job, run eagerly here), adjust a member's score with a reason
and publish; the member, on a 375 px phone,
opens the notice, reads the receipt, expands a line to see its records and
disputes the absence that was recorded by mistake; staff open the record
from the dispute, correct the attendance (the score follows in the
background) and resolve the dispute; a week later staff finalise, and the
member sees the final score."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from scoring import facts as ledger
from scoring.models import Score, ScorePeriod
from scoring.tests.review_makers import YEAR, app_with_rules, at, eager_tasks, inspection
from tests.browser.conftest import DESKTOP, PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def eager():
    """The live server runs the ledger's refresh and the recompute on commit."""
    with eager_tasks():
        yield


def _login(browser, live_server, username, viewport):
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=login]", username)
    page.fill("input[name=password]", "pass-word-123")
    page.click("form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    return page


def test_adjust_publish_dispute_correct_and_finalise(
    world, live_server, browser, login_as, settings, tmp_path, console_errors, outside_requests
):
    # given the member's second quarter: an inspection attended on 10 April,
    # and one on 20 May recorded as absent by mistake; the quarter computed
    settings.MEDIA_ROOT = tmp_path
    app = app_with_rules(world)
    member = world.member
    inspection(app, [member], at(4, 10))
    missed = inspection(app, [member], at(5, 20), attendance="absent")
    ledger.facts_rebuild(body=app.body)
    name = member.person.name

    # when staff compute the second quarter from the periods page, on a desktop
    staff = login_as("staff", viewport=DESKTOP)
    staff.goto(f"{live_server.url}/scoring/periods/")
    staff.get_by_label("年度").fill(str(YEAR))
    staff.get_by_label("评分期").select_option(label="第二季度通报")
    staff.get_by_role("button", name="开始计算").click()
    expect(staff.get_by_test_id("job-result")).to_contain_text("共计算")
    period = ScorePeriod.objects.get(body=app.body, year=YEAR, quarter=2)
    assert Score.objects.get(period=period, member=member).total == 10  # 10 − 2 + 2

    # and adjust the member's score with a reason, from the draft
    staff.get_by_test_id("open-review").click()
    expect(staff.get_by_test_id("period-status")).to_have_text("草稿")
    row = staff.get_by_test_id("review-table").locator(f"tr[data-member='{member.pk}']")
    expect(row).to_contain_text("10.00")
    row.get_by_role("link", name="调整").click()
    staff.get_by_label("调整分值").fill("1")
    staff.get_by_label("调整理由").fill("参加市政协课题组调研,补录")
    staff.get_by_role("button", name="保存调整").click()
    expect(staff.get_by_test_id("adjustments")).to_contain_text("参加市政协课题组调研,补录")
    expect(staff.get_by_test_id("total")).to_have_text("11.00")

    # and publish the quarter
    staff.get_by_role("link", name=f"{YEAR} 年第 2 季度通报").click()
    expect(row.locator(".badge", has_text="已调整")).to_be_visible()
    staff.get_by_role("button", name="发布").click()
    expect(staff.get_by_role("alert").first).to_contain_text("已发布并通知委员")
    expect(staff.get_by_test_id("period-status")).to_have_text("已发布")

    # then the member, on a phone, opens the notice and reads the receipt
    phone = _login(browser, live_server, "member", PHONE)
    phone_errors, phone_outside = [], []
    phone.on("console", lambda m: m.type == "error" and phone_errors.append(m.text))
    host = live_server.url.split("//", 1)[1]
    phone.on("request", lambda r: host not in r.url and phone_outside.append(r.url))
    phone.get_by_role("link", name="通知").first.click()
    notice = phone.locator(".list-group-item", has_text="已发布,请查看您的得分").first
    notice.get_by_role("button", name="查看").click()
    expect(phone.get_by_test_id("total")).to_have_text("11.00")
    expect(phone.get_by_test_id("adjustments")).to_contain_text("参加市政协课题组调研,补录")

    # and expands the inspections line to see the record behind it
    visits = phone.locator("[data-testid=line][data-item=inspections]")
    records = visits.get_by_test_id("records")
    expect(records).to_be_hidden()
    visits.locator("summary").click()
    expect(records).to_contain_text(f"{YEAR}年4月10日")
    expect(records).not_to_contain_text("5月20日")

    # and disputes the absence
    absent = phone.locator("[data-testid=line][data-item=absent]")
    absent.locator("summary").click()
    expect(absent.get_by_test_id("records")).to_contain_text("5月20日")
    absent.get_by_label("异议理由").fill("5月20日的视察我出席了,签到表上有我的签名")
    absent.get_by_role("button", name="对此提出异议").click()
    expect(phone.get_by_role("alert").first).to_contain_text("异议已提交")
    absent.locator("summary").click()
    expect(absent.get_by_test_id("line-disputes")).to_contain_text("待处理")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375

    # when staff open the dispute, go to the record behind it and correct the attendance
    staff.goto(f"{live_server.url}/duties/disputes/")
    staff.get_by_test_id("dispute-list").get_by_role("link", name="处理").first.click()
    expect(staff.get_by_test_id("summary")).to_contain_text(
        f"{YEAR} 年第 2 季度通报 · 无故缺席 · -2.00 分"
    )
    resolve_url = staff.url
    staff.get_by_test_id("record-link").click()
    line = staff.locator("[data-testid=line][data-item=absent]")
    line.locator("summary").click()
    line.get_by_test_id("records").get_by_role("link").click()
    attendee = staff.get_by_test_id("attendance-table").locator(f"li[data-member='{member.pk}']")
    attendee.get_by_label("出席情况").select_option("attended")
    attendee.get_by_role("button", name="登记").click()
    expect(staff.get_by_role("alert").first).to_contain_text(f"已登记 {name}")
    assert missed.participations.get(member=member).attendance == "attended"

    # and resolve the dispute as corrected
    staff.goto(resolve_url)
    staff.get_by_label("更正", exact=True).check()
    staff.get_by_label("处理意见").fill("经核对签到表,已更正为出席")
    staff.get_by_role("button", name="提交处理结果").click()
    expect(staff.get_by_role("alert").first).to_contain_text("已处理,并通知委员")

    # then the member's score has followed the corrected record: 10 + 2 × 2 + 1
    assert Score.objects.get(period=period, member=member).total == 15

    # when, a week later, staff finalise the quarter
    ScorePeriod.objects.filter(pk=period.pk).update(
        disputes_close_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    staff.goto(f"{live_server.url}/scoring/periods/{period.pk}/")
    staff.get_by_role("button", name="定稿").click()
    expect(staff.get_by_role("alert").first).to_contain_text("已定稿")
    expect(staff.get_by_test_id("period-status")).to_have_text("已定稿")

    # then the member is told the outcome and sees the final score
    phone.get_by_role("link", name="通知").first.click()
    outcome = phone.locator(".list-group-item", has_text="您的异议已更正").first
    expect(outcome).to_contain_text("经核对签到表,已更正为出席")
    outcome.get_by_role("button", name="查看").click()
    expect(phone.get_by_test_id("period-status")).to_have_text("已定稿")
    expect(phone.get_by_test_id("total")).to_have_text("15.00")
    expect(phone.get_by_test_id("grade")).to_have_text("优秀")
    expect(phone.get_by_test_id("dispute-form")).to_have_count(0)
    phone.get_by_role("button", name="菜单").click()
    phone.locator("#mainnav").get_by_role("button", name="我的履职").click()
    phone.locator("#mainnav").get_by_role("link", name="我的评分").click()
    expect(phone.get_by_test_id("my-scores")).to_contain_text("15.00")
    expect(phone.get_by_test_id("my-scores")).to_contain_text("已定稿")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    assert console_errors == phone_errors == []
    assert outside_requests == phone_outside == []
    phone.context.close()
