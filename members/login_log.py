"""Failed and refused logins in the security log (logger `lvzhi.security`):
when (the record's time), from which address, which login name was tried.
Never the password: only these named values are logged, never the credentials
as a whole, and Django's signal has already masked the password in them."""

import logging

from django.core.exceptions import PermissionDenied

logger = logging.getLogger("lvzhi.security")


def client_address(request) -> str:
    """The address allauth's rate limits count: REMOTE_ADDR, or the
    X-Forwarded-For entry our own proxies added when ALLAUTH_TRUSTED_PROXY_COUNT
    says how many there are (entries further left are the client's to invent)."""
    from allauth.account.adapter import get_adapter

    if request is None:
        return "-"
    try:
        return get_adapter().get_client_ip(request)
    except PermissionDenied:
        return "-"


def _login_name(credentials: dict) -> str:
    return str(credentials.get("username") or credentials.get("email") or "")[:150]


def login_failed(sender, credentials, request=None, **kwargs) -> None:
    """Receiver of django.contrib.auth's user_login_failed (allauth logs in through it)."""
    name, address = _login_name(credentials), client_address(request)
    # %r: a login name is typed by anyone; repr keeps a newline in it from forging a line.
    logger.warning(
        "login failed: login=%r address=%s",
        name,
        address,
        extra={"login_name": name, "client_address": address},
    )


def login_refused(request, credentials: dict) -> None:
    """A login attempt refused unchecked by allauth's rate limit."""
    name, address = _login_name(credentials), client_address(request)
    logger.warning(
        "login refused, too many failures: login=%r address=%s",
        name,
        address,
        extra={"login_name": name, "client_address": address},
    )
