"""Browser tests: Playwright drives Debian's Chromium against pytest-django's live
server. Skipped when Chromium is missing, unless LVZHI_REQUIRE_BROWSER is set (CI)."""

import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}


def pytest_collection_modifyitems(config, items):
    if CHROMIUM.exists():
        return
    if os.environ.get("LVZHI_REQUIRE_BROWSER"):
        raise pytest.UsageError("LVZHI_REQUIRE_BROWSER is set but /usr/bin/chromium is missing")
    skip = pytest.mark.skip(reason="Chromium is not installed (make browser-deps)")
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture
def login_as(live_server, page):
    """Log in through allauth's form, as a person would."""

    def _login(username, password="pass-word-123", viewport=PHONE):
        page.set_viewport_size(viewport)
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("input[name=login]", username)
        page.fill("input[name=password]", password)
        page.click("form button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        return page

    return _login


@pytest.fixture
def outside_requests(page, live_server):
    """Every request the page makes to another host (the app must work offline)."""
    seen = []
    host = live_server.url.split("//", 1)[1]
    page.on(
        "request",
        lambda r: host not in r.url and not r.url.startswith("data:") and seen.append(r.url),
    )
    return seen


@pytest.fixture
def console_errors(page):
    errors = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    return errors
