"""The proposal journey in a real browser: a member drafts a joint proposal, the
co-proposer confirms on a phone, staff accept and route it, the unit replies,
the member rates the reply 不满意 and sees it go back to the unit."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from proposals.models import Proposal, Routing
from proposals.tests import handling_factories as hf
from tests import factories as f
from tests.browser.conftest import DESKTOP, PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _login(browser, live_server, username, viewport):
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=login]", username)
    page.fill("input[name=password]", "pass-word-123")
    page.click("form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    return page


def test_joint_proposal_from_draft_to_rehandling(
    world, live_server, browser, login_as, console_errors, outside_requests
):
    # given this year's plenary session and a handling unit with a contact login
    f.PlenarySessionFactory(term=world.term, year=timezone.localdate().year)
    unit = hf.unit(world.body, "市住房和城乡建设局", contact="zjj")
    title = "关于加快老旧小区加装电梯的建议"

    # when the member drafts a proposal on a desktop and invites a colleague
    page = login_as("member", viewport=DESKTOP)
    page.get_by_role("link", name="提案", exact=True).first.click()
    page.get_by_role("link", name="撰写提案").click()
    page.get_by_label("案由").fill(title)
    page.get_by_label("类别").select_option("society")
    page.get_by_label("内容").fill("老旧小区居民出行不便,建议加快加装电梯并给予补贴。")
    page.get_by_label("建议承办单位").select_option(label="市住房和城乡建设局")
    page.get_by_role("button", name="保存草稿").click()
    expect(page.get_by_test_id("owner-actions")).to_be_visible()
    proposal_url = page.url
    page.get_by_role("link", name="邀请联名").click()
    page.get_by_label("联名提案人").select_option(str(world.colleague.pk))
    page.get_by_role("button", name="发送邀请").click()
    expect(page.get_by_test_id("proposers")).to_contain_text(world.colleague.person.name)
    expect(page.get_by_test_id("proposers")).to_contain_text("待确认")

    # and the co-proposer confirms on a 375 px phone, from the notice
    phone = _login(browser, live_server, "colleague", PHONE)
    phone.get_by_role("link", name="通知").first.click()
    notice = phone.locator(".list-group-item", has_text=title).first
    notice.get_by_role("button", name="查看").click()
    expect(phone.get_by_test_id("invitation")).to_be_visible()
    phone.get_by_role("button", name="确认联名").click()
    expect(phone.get_by_test_id("proposers")).not_to_contain_text("待确认")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375

    # and the member submits it
    page.goto(proposal_url)
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_test_id("status").first).to_contain_text("待审查")

    # when staff accept it and route it to the unit
    staff = _login(browser, live_server, "staff", DESKTOP)
    staff.goto(f"{live_server.url}/proposals/review/")
    staff.get_by_role("link", name=title).click()
    staff.get_by_role("button", name="立案").click()
    expect(staff.get_by_test_id("number")).to_contain_text(re.compile(r"第\d{4}号"))
    staff.get_by_test_id("route-link").click()
    staff.get_by_label("主办(或单独办理)单位").select_option(label="市住房和城乡建设局")
    staff.get_by_role("button", name="交办").click()
    expect(staff.get_by_test_id("handling")).to_contain_text("市住房和城乡建设局")

    # and the unit's contact replies from its inbox
    unit_page = _login(browser, live_server, "zjj", PHONE)
    unit_page.get_by_role("link", name="进入待办").click()
    unit_page.get_by_role("link", name=title).click()
    unit_page.get_by_label("C 因条件限制留作参考").check()
    unit_page.get_by_label("答复内容").fill("受资金所限,列入明年计划研究。")
    unit_page.get_by_role("button", name="提交答复").click()
    expect(unit_page.get_by_test_id("reply").first).to_contain_text("列入明年计划研究")

    # when the member rates the reply 不满意 with a comment
    page.goto(proposal_url)
    rate = page.get_by_test_id("rate-form")
    rate.get_by_label("不满意").check()
    rate.get_by_label("意见").fill("没有提出具体时间表。")
    rate.get_by_role("button", name="提交测评").click()

    # then the proposal is back with the unit for re-handling, on both sides
    expect(page.get_by_test_id("ratings")).to_contain_text("不满意")
    expect(page.get_by_test_id("status").first).to_contain_text("重新办理")
    expect(page.get_by_test_id("timeline")).to_contain_text("退回重新办理")
    proposal = Proposal.objects.get(title=title)
    assert proposal.status == Proposal.Status.REHANDLING
    routing = Routing.objects.get(proposal=proposal, unit=unit)
    assert routing.status == Routing.Status.REHANDLING
    unit_page.reload()
    expect(unit_page.get_by_test_id("routing-status")).to_contain_text("重新办理")
    expect(unit_page.get_by_test_id("reply-form")).to_be_visible()
    assert console_errors == []
    assert outside_requests == []
    for other in (phone, staff, unit_page):
        other.context.close()
