"""Every URL of ours × every role × every HTTP method, with the status each must get.

Roles: anonymous, a member, a member of another group, the group's convenor,
staff, staff of another body, leadership (read-only), an administrator and a
handling unit's contact person (an account with no seat). The rows live in
tests/matrix/, one module per area. A URL pattern without a row, named or not,
fails `test_every_url_has_a_row`.

A row states GET and POST for each role; the other methods follow from them
unless the row overrides one (`Row.other`): HEAD answers as GET does; PUT,
PATCH, DELETE and OPTIONS are refused (405) to everyone, except that an
anonymous visitor is first sent to log in when the URL sends them there for
both GET and POST. Every method is sent to every URL for every role; a 500
anywhere fails.

One test per URL. The world is built once for the module inside a transaction
that is rolled back at the end; each test runs in a savepoint, and so does each
request, so every role meets the same untouched world."""

import copy
from urllib.parse import urlencode

import pytest
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.matrix import METHODS, ROLES, all_rows, expected, world_once

R = all_rows()

# Django's admin is for superusers only and has its own tests upstream; its
# unnamed object URLs are exempt with it.
EXEMPT_NAMESPACES = {"admin"}


def _user(world, role):
    return {
        "anonymous": None,
        "member": world.member.person.user,
        "other_group": world.other_member.person.user,
        "convenor": world.convenor.person.user,
        "staff": world.staff,
        "other_staff": world.other_staff,
        "leader": world.leader,
        "admin": world.admin,
        "unit": world.unit_contact,
    }[role]


@pytest.fixture(scope="module")
def matrix_world(django_db_setup, django_db_blocker, tmp_path_factory):
    # The matrix asks who may reach a page, not how often: allauth's rate limits
    # (tested in members/tests) would turn the login rows into 429s.
    media = tmp_path_factory.mktemp("matrix-media")
    with django_db_blocker.unblock(), world_once(media, ACCOUNT_RATE_LIMITS=False) as world:
        yield world


def _send(client, method, url, data):
    if method in ("get", "head", "post"):
        return getattr(client, method)(url, data)
    # A view that ignored the method would read this body as its form.
    return client.generic(
        method.upper(),
        url,
        urlencode(data, doseq=True),
        content_type="application/x-www-form-urlencoded",
    )


def _answers(client, world, name, row, role) -> dict[str, tuple[int, str]]:
    """What each method gets from this URL as this role: status and a note."""
    client.logout()
    user = _user(world, role)
    if user is not None:
        client.force_login(user)
    cookies = copy.deepcopy(client.cookies)
    got = {}
    for method in METHODS:
        with transaction.atomic():
            # A login or logout page may change the session: each request starts
            # from the same cookies (the session row is rolled back with the rest).
            client.cookies = copy.deepcopy(cookies)
            url = reverse(name, kwargs=row.kwargs(world) if row.kwargs else None)
            data = row.data(world) if callable(row.data) else row.data
            response = _send(client, method, url, data)
            note = ""
            if response.status_code >= 500:
                error = getattr(response, "exc_info", None)
                note = f" ({error[1]!r})" if error else ""
            elif role == "anonymous" and response.status_code == 302:
                login = reverse("account_login")
                if not response["Location"].startswith(login):
                    note = f" (to {response['Location']}, not the login page)"
            got[method] = (response.status_code, note)
            transaction.set_rollback(True)
    return got


@pytest.mark.parametrize("name", sorted(R))
def test_permission_matrix(db, client, matrix_world, name):
    row = R[name]
    client.raise_request_exception = False
    for method in METHODS:
        assert len(expected(row, method)) == len(ROLES), (
            f"{name} {method}: one status per role in {ROLES}"
        )
    wrong = []
    for index, role in enumerate(ROLES):
        for method, (status, note) in _answers(client, matrix_world, name, row, role).items():
            want = expected(row, method)[index]
            if status != int(want) or note:
                wrong.append(f"{method.upper()} as {role}: {status}{note}, expected {want}")
    assert wrong == [], f"{name}"


def _patterns(resolver=None, prefix="", namespace=None):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace or namespace
            yield from _patterns(entry, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
            yield prefix + str(entry.pattern), name, namespace


def test_every_url_has_a_row():
    missing = []
    for route, name, namespace in _patterns():
        if namespace in EXEMPT_NAMESPACES or route.startswith("^static"):
            continue
        if name is None:
            missing.append(f"{route} (unnamed: name it, then add its row)")
        elif name not in R:
            missing.append(f"{route} ({name})")
    assert missing == [], "URL patterns without a row in the permission matrix"


def test_unnamed_patterns_are_caught():
    # given a URL tree with one unnamed pattern outside the admin
    from django.urls import path
    from django.urls.resolvers import RegexPattern

    tree = URLResolver(RegexPattern(r"^"), [path("x/", lambda request: None)])

    # then the walk reports it without a name, so the test above fails on it
    assert list(_patterns(tree)) == [("x/", None, None)]
