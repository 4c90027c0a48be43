"""Every URL of ours × every role × GET/POST, with the status each must get.

Roles: anonymous, a member, a member of another group, the group's convenor,
staff, staff of another body, leadership (read-only) and an administrator.
The rows live in tests/matrix/, one module per area. A URL pattern without a
row fails `test_every_url_has_a_row`."""

import pytest
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
    }[role]


def _cases():
    for name, row in R.items():
        for method in ("get", "post"):
            statuses = getattr(row, method).split()
            for role, status in zip(ROLES, statuses, strict=True):
                yield pytest.param(name, method, role, int(status), id=f"{name}-{method}-{role}")


@pytest.fixture
def matrix_world(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    prepare(world)
    return world


@pytest.mark.parametrize(("name", "method", "role", "expected"), list(_cases()))
def test_permission_matrix(client, matrix_world, name, method, role, expected):
    row = R[name]
    url = reverse(name, kwargs=row.kwargs(matrix_world) if row.kwargs else None)
    user = _user(matrix_world, role)
    if user is not None:
        client.force_login(user)
    data = row.data(matrix_world) if callable(row.data) else row.data
    response = getattr(client, method)(url, data)
    assert response.status_code == expected, f"{method.upper()} {url} as {role}"


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
