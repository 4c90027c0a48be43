"""Staff-issued one-time set-password links (members have no email on file).

The link is allauth's own password-reset-from-key link: its token hashes the
password and last login, so it stops working once used, and it expires after
PASSWORD_RESET_TIMEOUT."""

from allauth.account.forms import default_token_generator
from allauth.account.utils import user_pk_to_url_str
from django.urls import reverse


def set_password_path(user) -> str:
    return reverse(
        "account_reset_password_from_key",
        kwargs={
            "uidb36": user_pk_to_url_str(user),
            "key": default_token_generator.make_token(user),
        },
    )


def set_password_link(request, user) -> str:
    return request.build_absolute_uri(set_password_path(user))
