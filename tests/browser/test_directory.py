import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_member_on_a_phone_finds_a_colleague_and_sees_no_phone_outside_their_group(
    world, login_as, live_server, outside_requests, console_errors
):
    # given a member of the economy group, on a 375 px phone
    page = login_as("member")

    # when they open the directory from the menu and search for a colleague of another group
    page.get_by_role("button", name="菜单").click()
    page.get_by_role("link", name="通讯录").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("通讯录")
    page.get_by_placeholder("姓名、编号或单位").fill(world.other_member.person.name)
    page.get_by_role("button", name="筛选").click()

    # then the colleague is listed, without a phone number
    table = page.get_by_test_id("member-table")
    row = table.locator("tbody tr").filter(has_text=world.other_member.person.name)
    expect(row).to_have_count(1)
    expect(row).not_to_contain_text(world.other_member.person.mobile)
    expect(row).to_contain_text("—")

    # and a colleague of their own group shows a phone
    page.get_by_placeholder("姓名、编号或单位").fill(world.colleague.person.name)
    page.get_by_role("button", name="筛选").click()
    row = table.locator("tbody tr").filter(has_text=world.colleague.person.name)
    expect(row).to_contain_text(world.colleague.person.mobile)

    # the colleague's page opens and the layout fits the phone (no sideways scrolling of the page)
    row.get_by_role("link", name=world.colleague.person.name).click()
    expect(page).to_have_url(re.compile(r"/members/\d+/$"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert outside_requests == []
    assert console_errors == []
