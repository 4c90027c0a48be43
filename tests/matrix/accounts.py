"""Rows for allauth's account pages (accounts/): logging in and out, the
password reset by mail and the change of one's own password, and the pages
allauth adds that we do not offer (sign-up is closed, login codes are off,
every account has a password).

allauth's pages are class-based: OPTIONS answers 200 with the allowed
methods, and its form views treat PUT as POST (Django's FormView); a PUT body
is never read as a form, so a PUT is an empty form shown again, never a
change. Those answers are stated here rather than derived."""

from tests.matrix import Row

EVERYONE = "200 200 200 200 200 200 200 200 200"
REFUSED = "405 405 405 405 405 405 405 405 405"
# Logged in: allauth sends the user on (to the home page) for every method.
ANON_FORM = "200 302 302 302 302 302 302 302 302"
# Logged in only: anonymous visitors are sent to log in first.
OWN_FORM = "302 200 200 200 200 200 200 200 200"
OWN_REFUSED = "302 405 405 405 405 405 405 405 405"
REDIRECTED = "302 302 302 302 302 302 302 302 302"


def _everywhere(status):
    return dict.fromkeys(("put", "patch", "delete", "options"), status)


ROWS = {
    # An empty form: shown again with its errors.
    "account_login": Row(
        None,
        get=ANON_FORM,
        post=ANON_FORM,
        other={
            "put": ANON_FORM,
            "patch": "405 302 302 302 302 302 302 302 302",
            "delete": "405 302 302 302 302 302 302 302 302",
            "options": ANON_FORM,
        },
    ),
    # GET asks to confirm, POST logs out.
    "account_logout": Row(
        None,
        get=OWN_FORM,
        post=REDIRECTED,
        other={"put": REFUSED, "patch": REFUSED, "delete": REFUSED, "options": EVERYONE},
    ),
    "account_inactive": Row(None, get=EVERYONE, post=REFUSED, other={"options": EVERYONE}),
    # Sign-up is closed (members/adapters.py): the closed notice for every method.
    "account_signup": Row(None, get=ANON_FORM, post=ANON_FORM, other=_everywhere(ANON_FORM)),
    "account_reauthenticate": Row(
        None,
        get=OWN_FORM,
        post=OWN_FORM,
        other={"put": OWN_FORM, "patch": OWN_REFUSED, "delete": OWN_REFUSED, "options": OWN_FORM},
    ),
    # allauth's e-mail page: no address is added without a valid form.
    "account_email": Row(
        None,
        get=OWN_FORM,
        post=REDIRECTED,
        other={
            "put": REDIRECTED,
            "patch": OWN_REFUSED,
            "delete": OWN_REFUSED,
            "options": OWN_FORM,
        },
    ),
    "account_email_verification_sent": Row(
        None, get=EVERYONE, post=REFUSED, other={"options": EVERYONE}
    ),
    # An empty form: shown again with its errors.
    "account_change_password": Row(
        None,
        get=OWN_FORM,
        post=OWN_FORM,
        other={"put": OWN_FORM, "patch": OWN_REFUSED, "delete": OWN_REFUSED, "options": OWN_FORM},
    ),
    # Every account has a password: sent on to change it.
    "account_set_password": Row(
        None, get=REDIRECTED, post=REDIRECTED, other=_everywhere(REDIRECTED)
    ),
    # An empty form: shown again with its errors (no mail is sent).
    "account_reset_password": Row(
        None,
        get=EVERYONE,
        post=EVERYONE,
        other={"put": EVERYONE, "patch": REFUSED, "delete": REFUSED, "options": EVERYONE},
    ),
    # Login codes are off: sent back for every method.
    "account_confirm_login_code": Row(
        None, get=REDIRECTED, post=REDIRECTED, other=_everywhere(REDIRECTED)
    ),
    # E-mail is never verified here: an unknown key confirms nothing.
    "account_confirm_email": Row(
        lambda w: {"key": "x"},
        get=EVERYONE,
        post="404 404 404 404 404 404 404 404 404",
        other={"options": EVERYONE},
    ),
    "account_reset_password_from_key_done": Row(
        None, get=EVERYONE, post=REFUSED, other={"options": EVERYONE}
    ),
    # A forged key: the "bad link" page for every method, the password untouched.
    "account_reset_password_from_key": Row(
        lambda w: {"uidb36": "1", "key": "x"},
        get=EVERYONE,
        post=EVERYONE,
        other=_everywhere(EVERYONE),
    ),
    "account_reset_password_done": Row(
        None, get=EVERYONE, post=REFUSED, other={"options": EVERYONE}
    ),
}
