"""The main pages of each role pass axe-core (tests/browser/accessibility.py)
with no serious or critical violation, on a desktop and on a 375 px phone:
the login page; a member's home, activity menu, an activity, duty record,
scores and the forms they fill (self-reported duty, proposal, report,
dispute); staff's roster, attendance, review table, imports and exports; the
leadership's summaries."""

import datetime

import pytest
from django.utils import timezone

from duties.models import Participation
from scoring import facts as ledger
from scoring import services
from scoring.models import ScorePeriod
from scoring.tests.annual_helpers import load_haian
from scoring.tests.test_worked_members_through_the_app import App, at
from tests import factories as f
from tests.browser.accessibility import axe_ready, describe, violations
from tests.browser.conftest import DESKTOP, PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

YEAR = timezone.localdate().year
PASSWORD = "pass-word-123"


@pytest.fixture
def site(world, settings, tmp_path):
    """A member's year (attendance, a proposal, a report), a published activity
    open for sign-up, the Hai'an rulebook and the year's assessment computed."""
    settings.MEDIA_ROOT = tmp_path
    app = App(world)
    app.attend(world.member, "research", at(3, 2))
    past = app.attend(world.colleague, "inspection", at(4, 2)).activity
    app.proposal(world.member, title="关于加强老旧小区改造的建议")
    app.report(world.member)
    now = timezone.now()
    upcoming = f.ActivityFactory(
        term=world.term,
        theme="城东老旧小区改造视察",
        capacity=10,
        starts_at=now + datetime.timedelta(days=5),
        ends_at=now + datetime.timedelta(days=5, hours=3),
        signup_deadline=now + datetime.timedelta(days=3),
    )
    # the home page's card of coming activities, with its badges: one under way
    # that the member waits for a place at, one they are signed up for
    ongoing = f.ActivityFactory(
        term=world.term,
        theme="优化营商环境网络议政",
        starts_at=now - datetime.timedelta(days=2),
        ends_at=now + datetime.timedelta(days=20),
    )
    Participation.objects.create(
        activity=ongoing, member=world.member, signup=Participation.Signup.WAITLISTED
    )
    Participation.objects.create(
        activity=upcoming, member=world.colleague, signup=Participation.Signup.CONFIRMED
    )
    load_haian(world, YEAR)
    ledger.facts_rebuild(body=world.body)
    period = services.period_open(body=world.body, year=YEAR, quarter=ScorePeriod.ANNUAL)
    services.period_compute(period=period)
    world.upcoming, world.past, world.period = upcoming, past, period
    return world


def log_in(page, url, username):
    page.context.clear_cookies()
    page.goto(f"{url}/accounts/login/")
    page.fill("input[name=login]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(f"{url}/")


def pages_of(site) -> dict[str, list[str]]:
    """Each role's pages, by path."""
    b, y = site.body.pk, YEAR
    return {
        "member": [
            "/",
            "/duties/",
            f"/duties/{site.upcoming.pk}/",
            "/duties/records/mine/",
            "/scoring/mine/",
            "/duties/self-reported/new/",
            "/proposals/new/",
            "/reports/new/",
            "dispute",  # the form behind the record's first 有误?提出异议 link
        ],
        "staff": [
            "/members/",
            f"/duties/{site.past.pk}/attendance/",
            f"/scoring/periods/{site.period.pk}/",
            "/summaries/imports/",
            "/summaries/exports/",
        ],
        "leader": ["/summaries/", f"/summaries/{b}/{y}/"],
    }


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_main_pages_have_no_serious_accessibility_violations(site, live_server, page, viewport):
    page.set_viewport_size(viewport)
    axe_ready(page)
    url = live_server.url
    report, visited = [], []

    def check(path):
        if path == "dispute":
            page.goto(f"{url}/duties/records/mine/")
            page.get_by_role("link", name="有误?提出异议").first.click()
            page.wait_for_load_state()
            path = page.url.removeprefix(url)
        else:
            response = page.goto(url + path)
            assert response.status == 200, path
        visited.append(path)
        found = violations(page)
        if found:
            report.append(describe(f"{path} at {viewport['width']} px", found))

    page.goto(f"{url}/accounts/login/")
    check("/accounts/login/")
    for role, paths in pages_of(site).items():
        log_in(page, url, role)
        for path in paths:
            check(path)

    assert len(visited) == 17
    assert not report, "serious or critical accessibility violations:\n" + "\n".join(report)
