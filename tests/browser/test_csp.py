"""The Content Security Policy in a real browser: the main pages of each role
load with no violation reported by Chromium, and their scripts still work
under it (the menu's dropdown and the phone's collapsed menu open, a
confirmation asks before it posts, htmx refreshes the check-in code, a form
uploads a file and the page shows it). The listener is shown to catch a
violation, so a silent page means a clean page."""

import datetime

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from playwright.sync_api import expect

from duties import services as duty_services
from scoring.models import ScorePeriod
from scoring.tests.review_makers import (
    YEAR,
    app_with_rules,
    at,
    computed,
    eager_tasks,
    inspection,
)
from tests import factories as f
from tests.browser.conftest import DESKTOP, PHONE
from tests.matrix.records import PNG

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Chromium fires this event for every blocked script, style, image or frame;
# Playwright's init script runs before the page's own (and is not itself
# subject to the policy).
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline") +
    " at " + e.sourceFile + ":" + e.lineNumber);
});
"""


@pytest.fixture(autouse=True)
def eager(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    with eager_tasks():
        yield


class Watch:
    """Violations seen on one browser page: by the DOM event and in the console."""

    def __init__(self, page):
        self.page = page
        self.console = []
        page.add_init_script(RECORD_VIOLATIONS)
        page.on(
            "console",
            lambda m: "Content Security Policy" in m.text and self.console.append(m.text),
        )

    def violations(self) -> list[str]:
        return self.page.evaluate("window.__cspViolations || []") + self.console


def _open(browser, live_server, username, viewport):
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    watch = Watch(page)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=login]", username)
    page.fill("input[name=password]", "pass-word-123")
    page.click("form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    return page, watch


def _visit(page, watch, url) -> None:
    response = page.goto(url)
    assert response.status == 200, url
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_load_state("load")
    assert watch.violations() == [], url


@pytest.fixture
def scene(world):
    app = app_with_rules(world)
    inspection(app, [world.member, world.colleague], at(4, 10))
    inspection(app, [world.member], at(5, 20), attendance="absent")
    quarter = computed(app, quarter=2)
    annual = computed(app, quarter=ScorePeriod.ANNUAL)
    now = timezone.now()
    soon = f.ActivityFactory(
        term=world.term,
        theme="城东老旧小区改造视察",
        capacity=10,
        starts_at=now + datetime.timedelta(minutes=20),
        ends_at=now + datetime.timedelta(hours=3),
        signup_deadline=now + datetime.timedelta(minutes=10),
    )
    duty_services.list_add(activity=soon, members=[world.member], by=world.staff)
    world.member.person.photo.save("p.png", ContentFile(PNG), save=True)
    return {"quarter": quarter, "annual": annual, "soon": soon}


def test_the_listener_reports_a_violation(browser, live_server, world):
    page, watch = _open(browser, live_server, "member", DESKTOP)
    _visit(page, watch, f"{live_server.url}/duties/")
    page.evaluate("document.body.setAttribute('style', 'color: red')")
    page.wait_for_function("window.__cspViolations.length > 0")
    assert any("style-src" in v for v in watch.violations())


def test_a_member_on_a_phone_uses_the_menu_record_and_a_form(browser, live_server, world, scene):
    page, watch = _open(browser, live_server, "member", PHONE)
    base = live_server.url

    # the activity menu and the duty record
    _visit(page, watch, f"{base}/duties/")
    expect(page.get_by_role("link", name="城东老旧小区改造视察")).to_be_visible()
    _visit(page, watch, f"{base}/duties/records/mine/")
    _visit(page, watch, f"{base}/scoring/mine/")

    # the collapsed menu opens (Bootstrap's collapse script runs)
    menu = page.locator("#mainnav")
    expect(menu).to_be_hidden()
    page.get_by_role("button", name="菜单").click()
    expect(menu).to_be_visible()
    expect(menu.get_by_role("link", name="履职活动")).to_be_visible()

    # a form with an upload: a self-reported duty with a photo
    _visit(page, watch, f"{base}/duties/self-reported/new/")
    page.get_by_label("类型").select_option(index=1)
    page.get_by_label("日期").fill(f"{YEAR}-06-01")
    page.get_by_label("内容").fill("为社区老人义诊")
    page.get_by_label("附件", exact=True).set_input_files(
        files=[{"name": "义诊现场.png", "mimeType": "image/png", "buffer": PNG}]
    )
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_test_id("attachments")).to_contain_text("义诊现场.png")
    assert watch.violations() == []
    # the attachment, opened on its own, is an image under a sandbox policy
    with page.expect_response(lambda r: "/attachments/" in r.url) as opened:
        page.get_by_role("link", name="义诊现场.png").click()
    response = opened.value
    assert response.headers["content-type"] == "image/png"
    assert "sandbox" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"


def test_staff_use_the_dropdown_attendance_review_table_and_the_htmx_code(
    browser, live_server, world, scene
):
    page, watch = _open(browser, live_server, "staff", DESKTOP)
    base = live_server.url
    soon = scene["soon"]

    # the dropdown of the menu bar opens (Bootstrap's dropdown script runs)
    _visit(page, watch, f"{base}/duties/")
    toggles = page.locator("[data-bs-toggle=dropdown]")
    assert toggles.count() >= 1
    toggles.first.click()
    expect(page.locator(".dropdown-menu.show")).to_be_visible()

    # attendance: the confirmation (static/js/app.js) asks, and a "no" posts nothing
    _visit(page, watch, f"{base}/duties/{soon.pk}/attendance/")
    asked = []
    page.once("dialog", lambda d: (asked.append(d.message), d.dismiss()))
    page.get_by_role("button", name="确定最终名单").click()
    assert asked and "确定名单后" in asked[0]
    expect(page).to_have_url(f"{base}/duties/{soon.pk}/attendance/")
    soon.refresh_from_db()
    assert soon.status == soon.Status.PUBLISHED

    # the review table of the quarter, a member's page with the photo
    _visit(page, watch, f"{base}/scoring/periods/{scene['quarter'].pk}/")
    expect(page.get_by_test_id("review-table")).to_contain_text(world.member.person.name)
    _visit(page, watch, f"{base}/members/{world.member.pk}/")
    photo = page.get_by_role("img", name=f"{world.member.person.name}的照片")
    expect(photo).to_be_visible()
    assert page.evaluate("(img) => img.naturalWidth", photo.element_handle()) > 0

    # the check-in screen: htmx replaces the code every 15 s (the clock is run on)
    page.clock.install()
    _visit(page, watch, f"{base}/duties/{soon.pk}/checkin/screen/")
    expect(page.get_by_test_id("checkin-qr").locator("svg")).to_be_visible()
    page.evaluate("document.getElementById('checkin-qr').setAttribute('data-old', '1')")
    with page.expect_response(lambda r: r.url.endswith(f"/duties/{soon.pk}/checkin/qr/")):
        page.clock.run_for(16_000)
    # the swapped-in code is a new element (the marker on the old one is gone)
    expect(page.locator("#checkin-qr[data-old]")).to_have_count(0)
    expect(page.get_by_test_id("checkin-qr").locator("svg")).to_be_visible()
    assert watch.violations() == []


def test_leadership_read_the_annual_summary(browser, live_server, world, scene):
    page, watch = _open(browser, live_server, "leader", DESKTOP)
    _visit(page, watch, f"{live_server.url}/summaries/{world.body.pk}/{YEAR}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"{YEAR} 年度履职总结")
    _visit(page, watch, f"{live_server.url}/summaries/{world.body.pk}/{YEAR}/pack/")


def test_the_admin_has_no_script_violation(browser, live_server, world):
    page, watch = _open(browser, live_server, "admin", DESKTOP)
    page.goto(f"{live_server.url}/admin/members/person/")
    page.goto(f"{live_server.url}/admin/members/member/add/")
    page.wait_for_load_state("load")
    assert watch.violations() == []
