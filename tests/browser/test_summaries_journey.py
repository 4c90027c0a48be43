"""Leadership on a desktop read the year's summary: the SVG charts draw (a
screenshot is kept, the chart has a size), a sector opens from its row, and
the annual pack prints: the 打印 button calls the print dialog, printed the
navigation is gone and the content is there, as a PDF of A4 pages."""

import pytest
from playwright.sync_api import expect

from summaries.tests.helpers import YEAR, assessed_body, leader_of
from tests.browser.conftest import DESKTOP

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def body():
    body = assessed_body("云山市政协", members=30)
    leader_of(body, username="summary-leader")
    return body


def test_leadership_reads_the_summary_opens_a_sector_and_prints_the_pack(
    body, login_as, outside_requests, console_errors, tmp_path
):
    page = login_as("summary-leader", viewport=DESKTOP)

    # the menu, the body's year
    page.get_by_role("button", name="履职考核").click()
    page.get_by_role("link", name="履职总结").click()
    page.get_by_test_id("summary-bodies").get_by_role("link", name=f"{YEAR} 年").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"{body.name} {YEAR} 年度履职总结")

    # the charts draw, with their tables beside them
    grades = page.locator('svg[data-chart="grades"]')
    expect(grades).to_be_visible()
    box = grades.bounding_box()
    assert box["width"] > 300 and box["height"] > 100
    assert page.locator('svg[data-chart="grades"] rect.bar').count() >= 4
    sectors = page.locator('svg[data-chart="sector_average"]')
    sectors.scroll_into_view_if_needed()
    assert sectors.bounding_box()["height"] > 100
    expect(page.locator('table[data-chart-table="grades"]')).to_be_visible()
    page.screenshot(path=str(tmp_path / "summary.png"), full_page=True)
    grades.screenshot(path=str(tmp_path / "grades-chart.png"))
    assert (tmp_path / "grades-chart.png").stat().st_size > 1000

    # a sector from its row
    row = page.get_by_test_id("sectors").locator("tbody tr").first
    name = row.locator("a").inner_text()
    row.locator("a").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(name)
    expect(page.get_by_test_id("ranking")).to_be_visible()
    page.go_back()

    # the pack, printed
    page.get_by_role("link", name="年度汇编(打印)").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"{YEAR} 年度履职总结")
    page.evaluate("() => { window.printed = 0; window.print = () => { window.printed += 1; }; }")
    page.get_by_role("button", name="打印").click()
    assert page.evaluate("window.printed") == 1

    page.emulate_media(media="print")
    expect(page.locator(".pack-toolbar")).to_be_hidden()
    expect(page.get_by_role("button", name="打印")).to_be_hidden()
    expect(page.get_by_role("heading", name="等次分布")).to_be_visible()
    expect(page.locator('svg[data-chart="grades"]')).to_be_visible()
    pdf = page.pdf(path=str(tmp_path / "pack.pdf"), prefer_css_page_size=True)
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page") > 3
    assert outside_requests == []
    assert console_errors == []
