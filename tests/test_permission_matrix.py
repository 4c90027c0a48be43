"""Every URL of ours × every role × GET/POST, with the status each must get.

Roles: anonymous, a member, a member of another group, the group's convenor,
staff, staff of another body, leadership (read-only) and an administrator.
A URL pattern without a row here fails `test_every_url_has_a_row`."""

from dataclasses import dataclass, field

import pytest
from django.core.files.base import ContentFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from members.services import notice_send
from tests import factories as f

# The smallest valid PNG: one transparent pixel.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6300010000050001"
    "0d0a2db40000000049454e44ae426082"
)

ROLES = (
    "anonymous",
    "member",
    "other_group",
    "convenor",
    "staff",
    "other_staff",
    "leader",
    "admin",
)

# Third-party URL trees with their own tests: Django's admin (superusers only) and
# allauth's account pages (our use of them is tested in members/tests/test_accounts.py).
EXEMPT_NAMESPACES = {"admin"}
EXEMPT_PREFIXES = ("accounts/",)


@dataclass
class Row:
    kwargs: object = None  # world -> dict
    get: str = ""  # eight statuses in ROLES order, or "" when the method is not tested
    post: str = ""
    data: dict = field(default_factory=dict)


def _member(w):
    return {"pk": w.member.pk}


def _term(w):
    return {"term_id": w.term.pk}


R = {
    "home": Row(
        None, get="302 200 200 200 200 200 200 200", post="302 405 405 405 405 405 405 405"
    ),
    "members:list": Row(
        None, get="302 200 200 200 200 200 200 200", post="302 405 405 405 405 405 405 405"
    ),
    "members:detail": Row(
        _member, get="302 200 200 200 200 404 200 200", post="302 405 405 405 405 405 405 405"
    ),
    "members:edit": Row(
        _member, get="302 403 403 403 200 404 403 200", post="302 403 403 403 200 404 403 200"
    ),
    "members:leave": Row(
        _member, get="302 403 403 403 200 404 403 200", post="302 403 403 403 200 404 403 200"
    ),
    "members:contact_edit": Row(
        lambda w: {"pk": w.colleague.pk},
        get="302 403 403 200 200 404 403 200",
        post="302 403 403 200 200 404 403 200",
    ),
    "members:photo": Row(
        _member, get="302 200 200 200 200 404 200 200", post="302 405 405 405 405 405 405 405"
    ),
    "members:reinstate": Row(
        _member, get="302 405 405 405 405 405 405 405", post="302 403 403 403 302 404 403 302"
    ),
    "members:honour_add": Row(
        _member, get="302 403 403 403 200 404 403 200", post="302 403 403 403 200 404 403 200"
    ),
    "members:create": Row(
        _term, get="302 403 403 403 200 404 403 200", post="302 403 403 403 200 404 403 200"
    ),
    "members:carry_over": Row(
        _term, get="302 403 403 403 200 404 403 200", post="302 403 403 403 200 404 403 200"
    ),
    "members:accounts": Row(
        None, get="302 403 403 403 200 200 403 200", post="302 403 403 403 200 200 403 200"
    ),
    "members:roster_import": Row(
        None, get="302 403 403 403 200 200 403 200", post="302 403 403 403 200 200 403 200"
    ),
    "members:roster_import_confirm": Row(
        None, get="302 405 405 405 405 405 405 405", post="302 403 403 403 302 302 403 302"
    ),
    "members:roster_export": Row(
        None, get="302 403 403 403 200 200 200 200", post="302 405 405 405 405 405 405 405"
    ),
    "members:directory_export": Row(
        None, get="302 200 200 200 200 200 200 200", post="302 405 405 405 405 405 405 405"
    ),
    "members:notices": Row(
        None, get="302 200 200 200 200 200 200 200", post="302 405 405 405 405 405 405 405"
    ),
    "members:notice_read": Row(
        lambda w: {"pk": w.notice.pk},
        get="302 405 405 405 405 405 405 405",
        post="302 302 404 404 404 404 404 404",
    ),
    "members:notice_read_all": Row(
        None, get="302 405 405 405 405 405 405 405", post="302 302 302 302 302 302 302 302"
    ),
    # One body: straight to its page; an admin sees the list of every body.
    "sectors:bodies": Row(
        None, get="302 302 302 302 302 302 302 200", post="302 405 405 405 405 405 405 405"
    ),
    "sectors:body": Row(
        lambda w: {"pk": w.body.pk},
        get="302 200 200 200 200 404 200 200",
        post="302 405 405 405 405 405 405 405",
    ),
    "sectors:create": Row(
        lambda w: {"kind": "committee", "parent_pk": w.term.pk},
        get="302 403 403 403 200 404 403 200",
        post="302 403 403 403 200 404 403 200",
    ),
    "sectors:edit": Row(
        lambda w: {"kind": "committee", "pk": w.committee.pk},
        get="302 403 403 403 200 404 403 200",
        post="302 403 403 403 200 404 403 200",
    ),
    "sectors:delete": Row(
        lambda w: {"kind": "committee", "pk": w.committee.pk},
        get="302 405 405 405 405 405 405 405",
        post="302 403 403 403 302 404 403 302",
    ),
}


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
    world.member.person.photo.save("p.png", ContentFile(PNG), save=True)
    world.committee = f.CommitteeFactory(term=world.term, name="提案委员会")
    notice_send(persons=[world.member.person], key="matrix", title="测试通知")
    world.notice = world.member.person.notices.get()
    return world


@pytest.mark.parametrize(("name", "method", "role", "expected"), list(_cases()))
def test_permission_matrix(client, matrix_world, name, method, role, expected):
    row = R[name]
    url = reverse(name, kwargs=row.kwargs(matrix_world) if row.kwargs else None)
    user = _user(matrix_world, role)
    if user is not None:
        client.force_login(user)
    response = getattr(client, method)(url, row.data)
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
