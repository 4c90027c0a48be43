"""Wide tables on a phone scroll sideways inside their frame instead of
squeezing a column to one character a line (static/css/app.css): every cell
keeps a few characters' width, a title or description column a readable one,
and a frame that scrolls takes the keyboard focus (static/js/app.js)."""

import datetime

import pytest
from django.utils import timezone

from duties import self_reported
from tests import factories as f
from tests.browser.conftest import DESKTOP, PHONE
from tests.matrix.records import kind

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NARROWEST_CELL_PX = 55  # 4.5em at the phone's table font: three or four characters
NARROWEST_TEXT_PX = 150  # 12em of a title or description

WIDTHS = """() => {
  const table = document.querySelector(".table-responsive > table");
  const cells = [...table.querySelectorAll("th, td")].filter(
    (c) => c.offsetParent !== null && c.colSpan === 1
  );
  return {
    cells: cells.map((c) => c.getBoundingClientRect().width),
    texts: [...table.querySelectorAll(".cell-text")].map((c) => c.getBoundingClientRect().width),
    frame: table.parentElement.getBoundingClientRect().width,
    frameTabIndex: table.parentElement.tabIndex,
    table: table.getBoundingClientRect().width,
    page: document.documentElement.scrollWidth,
  };
}"""


@pytest.fixture
def queue(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    for n in range(3):
        self_reported.duty_submit(
            member=world.member,
            kind=kind(world.body, "good_deed"),
            done_on=timezone.localdate() - datetime.timedelta(days=n + 1),
            description="在社区卫生服务中心为独居老人开展义诊并建立健康档案,回访三次" * 2,
            attachments=[],
            by=world.member.person.user,
        )
    for _ in range(3):
        f.member_with_login(term=world.term, sector=world.sector)
    return world


@pytest.mark.parametrize("path", ["/duties/self-reported/review/", "/members/accounts/"])
def test_a_wide_table_on_a_phone_scrolls_instead_of_squeezing(queue, login_as, live_server, path):
    page = login_as("staff", viewport=PHONE)

    page.goto(live_server.url + path)

    measured = page.evaluate(WIDTHS)
    assert measured["cells"], "the table has no cells"
    assert min(measured["cells"]) >= NARROWEST_CELL_PX, measured["cells"]
    assert all(width >= NARROWEST_TEXT_PX for width in measured["texts"]), measured["texts"]
    # the table is wider than the phone and scrolls in its frame; the page does not
    assert measured["table"] > measured["frame"]
    assert measured["page"] <= PHONE["width"]
    # a frame that scrolls is a tab stop, so the keyboard can scroll it too
    assert measured["frameTabIndex"] == 0


def test_a_table_that_fits_is_no_tab_stop(queue, login_as, live_server):
    page = login_as("staff", viewport=DESKTOP)

    page.goto(live_server.url + "/duties/self-reported/review/")

    frame = page.locator(".table-responsive").first
    assert frame.evaluate("f => f.scrollWidth <= f.clientWidth")
    assert frame.get_attribute("tabindex") is None
