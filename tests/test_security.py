"""Security settings on real responses: `check --deploy` on the production
settings, the headers and cookies they give, the Content Security Policy in
every environment (and no template that would need it loosened), and the
session's idle timeout."""

import datetime
import importlib
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

pytestmark = pytest.mark.django_db

ROOT = Path(django_settings.BASE_DIR)
HOST = "lvzhi.example.cn"
HTTPS = {"HTTP_X_FORWARDED_PROTO": "https"}


def _production_env() -> dict:
    return {
        "SECRET_KEY": secrets.token_urlsafe(60),
        "ALLOWED_HOSTS": HOST,
        "DATABASE_URL": os.environ.get("DATABASE_URL") or "postgres://lvzhi@db.internal/lvzhi",
        "REDIS_URL": os.environ.get("REDIS_URL") or "redis://cache.internal:6379/0",
    }


def _server_env(**extra) -> dict:
    """A server's environment: the production variables and nothing of the
    test run's (which sets DJANGO_ALLOW_ASYNC_UNSAFE for Playwright)."""
    keep = {k: os.environ[k] for k in ("PATH", "HOME", "LANG") if k in os.environ}
    return {
        **keep,
        **_production_env(),
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        **extra,
    }


def test_production_settings_pass_check_deploy_with_no_issue():
    env = _server_env()
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "DEBUG"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_production_settings_refuse_a_short_secret_key():
    env = _server_env(SECRET_KEY="too-short")
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def _rate_limits_under(**env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.ACCOUNT_RATE_LIMITS['login'], "
            "settings.ACCOUNT_RATE_LIMITS['login_failed'])",
        ],
        cwd=ROOT,
        env=_server_env(**env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_per_address_login_limits_come_from_the_environment():
    default = _rate_limits_under()
    assert default.returncode == 0, default.stderr
    assert default.stdout.split() == ["30/m/ip", "10/m/ip,5/5m/key"]

    venue = _rate_limits_under(
        LOGIN_POSTS_PER_ADDRESS_PER_MINUTE="500", FAILED_LOGINS_PER_ADDRESS_PER_MINUTE="60"
    )
    assert venue.returncode == 0, venue.stderr
    # the per-account limit stays as it was
    assert venue.stdout.split() == ["500/m/ip", "60/m/ip,5/5m/key"]


@pytest.mark.parametrize("value", ["0", "-5", "many"])
def test_a_per_address_login_limit_that_is_not_a_positive_number_is_refused(value):
    result = _rate_limits_under(LOGIN_POSTS_PER_ADDRESS_PER_MINUTE=value)
    assert result.returncode != 0
    assert "LOGIN_POSTS_PER_ADDRESS_PER_MINUTE" in result.stderr


@pytest.fixture
def production(settings, monkeypatch):
    """The test settings with every security setting of config/settings/production.py
    (read from that module, under a realistic environment). The database,
    cache and storages stay the test run's."""
    for name, value in _production_env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("SECURE_HSTS_SECONDS", raising=False)
    sys.modules.pop("config.settings.production", None)
    module = importlib.import_module("config.settings.production")
    sys.modules.pop("config.settings.production", None)
    prefixes = ("SECURE_", "SESSION_", "CSRF_", "X_FRAME_", "CONTENT_SECURITY_", "MIDDLEWARE")
    for name in dir(module):
        if name.startswith(prefixes):
            setattr(settings, name, getattr(module, name))
    settings.ALLOWED_HOSTS = module.ALLOWED_HOSTS
    settings.DEBUG = False
    return settings


def _directives(header: str) -> dict[str, list[str]]:
    parts = [p.strip().split() for p in header.split(";") if p.strip()]
    return {p[0]: p[1:] for p in parts}


def test_a_plain_http_request_is_sent_to_https(client, production):
    response = client.get(reverse("account_login"), HTTP_HOST=HOST)
    assert response.status_code == 301
    assert response["Location"] == f"https://{HOST}{reverse('account_login')}"


def test_production_pages_carry_the_security_headers(client, production):
    response = client.get(reverse("account_login"), HTTP_HOST=HOST, **HTTPS)
    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    policy = _directives(response["Content-Security-Policy"])
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]


def test_session_and_csrf_cookies_are_secure_httponly_and_samesite_after_a_real_login(
    client, production, world
):
    # given the login page, which sets the CSRF cookie
    client = type(client)(enforce_csrf_checks=True)
    page = client.get(reverse("account_login"), HTTP_HOST=HOST, **HTTPS)
    csrf = page.cookies[django_settings.CSRF_COOKIE_NAME]
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.content).group(1)

    # when the member logs in with the form
    response = client.post(
        reverse("account_login"),
        {"login": "member", "password": "pass-word-123", "csrfmiddlewaretoken": token.decode()},
        HTTP_HOST=HOST,
        HTTP_REFERER=f"https://{HOST}{reverse('account_login')}",
        **HTTPS,
    )

    # then both cookies are Secure, HttpOnly and SameSite=Lax
    assert response.status_code == 302, response.content[:500]
    session = response.cookies[django_settings.SESSION_COOKIE_NAME]
    assert session.value
    for cookie in (session, csrf):
        assert cookie["secure"] is True
        assert cookie["httponly"] is True
        assert cookie["samesite"] == "Lax"
    # the cookie ends with the browser; the idle limit is kept on the server
    assert session["max-age"] == ""
    assert _session_row(session.value).expire_date > timezone.now()


def test_every_environment_has_the_content_security_policy(client, world):
    # the test settings are base settings: no production module involved
    client.force_login(world.member.person.user)
    response = client.get(reverse("duties:menu"))
    policy = _directives(response["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "data:"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]


def test_only_the_admin_may_use_inline_styles_and_never_inline_scripts(client, world):
    client.force_login(world.admin)
    response = client.get(reverse("admin:members_person_changelist"))
    assert response.status_code == 200
    policy = _directives(response["Content-Security-Policy"])
    assert policy["style-src"] == ["'self'", "'unsafe-inline'"]
    assert policy["script-src"] == ["'self'"]


# What the policy forbids, looked for in every template of ours.
INLINE = {
    "an inline script": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>(?!</script>)", re.I),
    "an event handler attribute": re.compile(r"<[^>]*\son[a-z]+\s*=", re.I),
    "a javascript: URL": re.compile(r"javascript:", re.I),
    "a style attribute": re.compile(r"<[^>]*\sstyle\s*=", re.I),
    "a <style> block": re.compile(r"<style[\s>]", re.I),
    "an htmx inline handler": re.compile(r"\shx-on[:-]", re.I),
    "htmx eval (js: values, event filters)": re.compile(r"hx-(vals|vars)=['\"]\s*(js|javascript):"),
}


def _templates():
    return sorted(
        p
        for p in ROOT.glob("**/templates/**/*.html")
        if ".venv" not in p.parts and "staticfiles" not in p.parts
    )


def test_no_template_needs_inline_script_or_style():
    templates = _templates()
    assert len(templates) > 50  # the scan sees the templates
    found = [
        f"{path.relative_to(ROOT)}: {what}"
        for path in templates
        for what, pattern in INLINE.items()
        if pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert found == []


def test_the_template_scan_would_catch_each_kind():
    samples = {
        "an inline script": "<script>alert(1)</script>",
        "an event handler attribute": '<button onclick="go()">',
        "a javascript: URL": '<a href="javascript:go()">',
        "a style attribute": '<div class="x" style="color:red">',
        "a <style> block": "<style>p{}</style>",
        "an htmx inline handler": '<form hx-on:submit="x()">',
        "htmx eval (js: values, event filters)": "<div hx-vals='js:{a: b()}'>",
    }
    for what, sample in samples.items():
        assert INLINE[what].search(sample), what
    assert not INLINE["an inline script"].search('<script src="/static/js/app.js" defer></script>')


# Idle timeout ---------------------------------------------------------------------


def _session(client) -> Session:
    return _session_row(client.session.session_key)


def _session_row(key) -> Session:
    return Session.objects.get(session_key=key)


def test_a_session_idle_past_the_limit_is_logged_out(client, world, settings):
    settings.SESSION_COOKIE_AGE = 60
    client.force_login(world.member.person.user)
    assert client.get(reverse("duties:menu")).status_code == 200

    # when the session has not been used for longer than the limit
    Session.objects.filter(pk=_session(client).pk).update(
        expire_date=timezone.now() - datetime.timedelta(seconds=1)
    )

    # then the next request is sent to the login page
    response = client.get(reverse("duties:menu"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_an_active_session_is_kept_and_its_limit_restarts(client, world, settings):
    settings.SESSION_COOKIE_AGE = 60
    client.force_login(world.member.person.user)
    # given a session 55 seconds idle, 5 seconds before the limit
    key = _session(client).pk
    Session.objects.filter(pk=key).update(
        expire_date=timezone.now() + datetime.timedelta(seconds=5)
    )

    # when the member opens a page
    response = client.get(reverse("duties:menu"))

    # then they are still logged in, and the limit counts from now again
    assert response.status_code == 200
    assert response.context["user"] == world.member.person.user
    renewed = Session.objects.get(pk=key).expire_date
    assert renewed > timezone.now() + datetime.timedelta(seconds=50)
