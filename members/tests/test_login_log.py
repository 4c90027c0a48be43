"""Failed logins in the security log: time, address and the login name tried,
never the password."""

import logging

from django.urls import reverse

LOGIN = reverse("account_login")
SECRET = "Qz-7!secret-never-logged-4412"


def _security_records(caplog):
    return [r for r in caplog.records if r.name == "lvzhi.security"]


def _everything_captured(caplog) -> str:
    """Every record in full (message, arguments, extras) and the formatted text."""
    return caplog.text + "".join(repr(vars(r)) for r in caplog.records)


def test_a_failed_login_is_logged_with_address_and_name_never_the_password(client, world, caplog):
    with caplog.at_level(logging.DEBUG):
        response = client.post(
            LOGIN, {"login": "member", "password": SECRET}, REMOTE_ADDR="203.0.113.7"
        )
    assert response.status_code == 200
    [record] = _security_records(caplog)
    assert record.levelno == logging.WARNING
    assert record.client_address == "203.0.113.7"
    assert record.login_name == "member"
    assert "203.0.113.7" in record.getMessage()
    assert "'member'" in record.getMessage()
    assert record.created > 0  # the time, which the log format prints
    assert SECRET not in _everything_captured(caplog)


def test_an_unknown_login_name_is_logged_too(client, db, caplog):
    with caplog.at_level(logging.INFO):
        client.post(LOGIN, {"login": "no-such-person", "password": SECRET})
    [record] = _security_records(caplog)
    assert record.login_name == "no-such-person"
    assert record.client_address == "127.0.0.1"
    assert SECRET not in _everything_captured(caplog)


def test_a_login_name_with_a_newline_cannot_forge_a_log_line(client, db, caplog):
    with caplog.at_level(logging.INFO):
        client.post(LOGIN, {"login": "x\nlogin ok: admin", "password": SECRET})
    [record] = _security_records(caplog)
    assert "\n" not in record.getMessage()


def test_a_successful_login_is_not_logged_as_a_failure(client, world, caplog):
    with caplog.at_level(logging.INFO):
        response = client.post(LOGIN, {"login": "member", "password": "pass-word-123"})
    assert response.status_code == 302
    assert _security_records(caplog) == []


def test_the_forwarded_address_is_ignored_unless_a_proxy_is_trusted(
    client, world, caplog, settings
):
    with caplog.at_level(logging.INFO):
        client.post(
            LOGIN,
            {"login": "member", "password": SECRET},
            REMOTE_ADDR="10.0.0.2",
            HTTP_X_FORWARDED_FOR="198.51.100.1",
        )
    [record] = _security_records(caplog)
    assert record.client_address == "10.0.0.2"

    # behind one proxy of ours, the entry it added: the last; the first is the client's own claim
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    caplog.clear()
    with caplog.at_level(logging.INFO):
        client.post(
            LOGIN,
            {"login": "member", "password": SECRET},
            REMOTE_ADDR="10.0.0.2",
            HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.9",
        )
    [record] = _security_records(caplog)
    assert record.client_address == "203.0.113.9"
    assert SECRET not in _everything_captured(caplog)


def test_a_login_refused_by_the_rate_limit_is_logged(client, world, caplog):
    for n in range(5):
        client.post(LOGIN, {"login": "member", "password": f"{SECRET}-{n}"})
    caplog.clear()
    with caplog.at_level(logging.INFO):
        response = client.post(LOGIN, {"login": "member", "password": SECRET})
    assert "登录失败次数过多" in response.content.decode()
    [record] = _security_records(caplog)
    assert record.getMessage().startswith("login refused, too many failures")
    assert record.login_name == "member"
    assert record.client_address == "127.0.0.1"
    assert SECRET not in _everything_captured(caplog)
