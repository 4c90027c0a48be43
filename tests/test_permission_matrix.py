"""Every URL of ours × every role × GET/POST, with the status each must get.

Roles: anonymous, a member, a member of another group, the group's convenor,
staff, staff of another body, leadership (read-only), an administrator and a
handling unit's contact person (an account with no seat). The rows live in
tests/matrix/, one module per area. A URL pattern without a row fails
`test_every_url_has_a_row`.

One test per URL: the world is built once and every request runs in a
savepoint that is rolled back, so each role meets the same untouched world."""

import pytest
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.matrix import ROLES, all_rows, prepare

R = all_rows()

# Third-party URL trees with their own tests: Django's admin (superusers only) and
# allauth's account pages (our use of them is tested in members/tests/test_accounts.py).
EXEMPT_NAMESPACES = {"admin"}
EXEMPT_PREFIXES = ("accounts/",)


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


@pytest.fixture
def matrix_world(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    prepare(world)
    return world


def _status(client, world, name, row, method, role) -> int:
    with transaction.atomic():
        url = reverse(name, kwargs=row.kwargs(world) if row.kwargs else None)
        client.logout()
        user = _user(world, role)
        if user is not None:
            client.force_login(user)
        data = row.data(world) if callable(row.data) else row.data
        status = getattr(client, method)(url, data).status_code
        transaction.set_rollback(True)
    return status


@pytest.mark.parametrize("name", sorted(R))
def test_permission_matrix(client, matrix_world, name):
    row = R[name]
    wrong = []
    for method in ("get", "post"):
        expected = getattr(row, method).split()
        if not expected:
            continue
        assert len(expected) == len(ROLES), f"{name} {method}: one status per role in {ROLES}"
        for role, status in zip(ROLES, expected, strict=True):
            got = _status(client, matrix_world, name, row, method, role)
            if got != int(status):
                wrong.append(f"{method.upper()} as {role}: {got}, expected {status}")
    assert wrong == [], f"{name}"


def _named_patterns(resolver=None, prefix="", namespace=None):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace or namespace
            yield from _named_patterns(entry, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
            yield prefix + str(entry.pattern), name, namespace


def test_every_url_has_a_row():
    missing = []
    for route, name, namespace in _named_patterns():
        if (
            namespace in EXEMPT_NAMESPACES
            or route.startswith(EXEMPT_PREFIXES)
            or route.startswith("^static")
        ):
            continue
        if name not in R:
            missing.append(f"{route} ({name})")
    assert missing == [], "URL patterns without a row in the permission matrix"
