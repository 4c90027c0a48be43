"""The member's annual duty record (年度履职档案) in a browser. On a 375 px
phone a member goes from their duty record to the year's archive, which fits
the width; on a desktop staff open it from the member's page, print it
(the menu and the buttons are left off the paper) and download the PDF made
on the server, named in Chinese, whose text is the record's."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from scoring import facts as ledger
from scoring import services
from scoring.models import ScorePeriod
from scoring.tests.annual_helpers import load_haian
from scoring.tests.test_worked_members_through_the_app import App, at
from summaries.tests.pdf_checks import pdf_text, require_pdf_tools
from tests.browser.conftest import DESKTOP

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

YEAR = timezone.localdate().year


@pytest.fixture
def year(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    app = App(world)
    app.attend(world.member, "research", at(3, 2))
    app.attend(world.member, "inspection", at(4, 2), attendance="excused")
    app.proposal(world.member, title="关于加强老旧小区改造的建议")
    load_haian(world, YEAR)
    ledger.facts_rebuild(body=world.body)
    period = services.period_open(body=world.body, year=YEAR, quarter=ScorePeriod.ANNUAL)
    services.period_compute(period=period)
    return world


def test_a_member_opens_the_years_archive_on_a_phone(
    year, login_as, outside_requests, console_errors
):
    page = login_as("member")

    page.get_by_role("button", name="菜单").click()
    page.get_by_role("navigation").get_by_role("link", name="履职档案").first.click()
    page.get_by_test_id("annual-record").click()

    record = page.get_by_test_id("member-record")
    expect(record.get_by_role("heading", level=1)).to_contain_text(f"{YEAR} 年度履职档案")
    expect(page.get_by_test_id("figures")).to_contain_text("出席活动(次)")
    expect(page.get_by_test_id("proposals")).to_contain_text("关于加强老旧小区改造的建议")
    # the year's assessment is a draft: the member sees it is not published
    expect(page.get_by_test_id("annual-none")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert outside_requests == [] and console_errors == []


def test_staff_print_the_record_and_download_its_pdf(year, login_as, outside_requests, tmp_path):
    require_pdf_tools()
    page = login_as("staff", viewport=DESKTOP)
    page.goto(page.url + f"members/{year.member.pk}/")
    page.get_by_test_id("annual-record").click()
    expect(page.get_by_test_id("annual")).to_contain_text("草稿")  # staff see the draft

    page.emulate_media(media="print")
    expect(page.get_by_test_id("record-tools")).to_be_hidden()
    expect(page.locator("nav.navbar")).to_be_hidden()
    page.screenshot(path=str(tmp_path / "record-print.png"), full_page=True)
    page.emulate_media(media="screen")

    with page.expect_download() as download_info:
        page.get_by_test_id("pdf-link").click()
    download = download_info.value
    assert download.suggested_filename == f"{year.member.person.name}{YEAR}年度履职档案.pdf"
    text = pdf_text(download.path().read_bytes())
    assert year.member.person.name in text and "六、提案" in text
    assert "关于加强老旧小区改造的建议" in text
    assert outside_requests == []
