"""The audit log of role changes: every path that changes someone's access
writes one row with who, whom, before and after; administrators read the log
in the admin, nobody edits it."""

import re
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from django.utils import timezone

from members import services
from members.models import AuditLog, BodyRole, ExportLog
from sectors.models import SectorGroup
from tests import factories as f

ROOT = Path(__file__).resolve().parents[2]


def _only_row(**filters) -> AuditLog:
    [row] = AuditLog.objects.filter(**filters)
    return row


# Office roles (BodyRole), through the admin's forms and its bulk delete


def test_granting_an_office_role_in_the_admin_writes_one_row(client, world):
    newcomer = f.UserFactory(username="newcomer")
    client.force_login(world.admin)
    response = client.post(
        reverse("admin:members_bodyrole_add"),
        {"user": newcomer.pk, "body": world.body.pk, "role": BodyRole.Role.STAFF},
    )
    assert response.status_code == 302
    row = _only_row()
    assert row.kind == AuditLog.Kind.BODY_ROLE
    assert (row.by, row.by_name) == (world.admin, "admin")
    assert (row.user, row.target) == (newcomer, "newcomer")
    assert row.before == ""
    assert row.after == "江城市政协 · 机关工作人员"


def test_changing_an_office_role_in_the_admin_records_before_and_after(client, world):
    role = BodyRole.objects.get(user=world.leader)
    client.force_login(world.admin)
    response = client.post(
        reverse("admin:members_bodyrole_change", args=[role.pk]),
        {"user": world.leader.pk, "body": world.body.pk, "role": BodyRole.Role.STAFF},
    )
    assert response.status_code == 302
    row = _only_row()
    assert row.user == world.leader
    assert row.before == "江城市政协 · 主席会议成员"
    assert row.after == "江城市政协 · 机关工作人员"

    # saved again unchanged: nothing to record
    client.post(
        reverse("admin:members_bodyrole_change", args=[role.pk]),
        {"user": world.leader.pk, "body": world.body.pk, "role": BodyRole.Role.STAFF},
    )
    assert AuditLog.objects.count() == 1


def test_revoking_office_roles_in_the_admin_writes_a_row_for_each(client, world):
    client.force_login(world.admin)
    role = BodyRole.objects.get(user=world.staff)
    response = client.post(
        reverse("admin:members_bodyrole_delete", args=[role.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert _only_row(user=world.staff).before == "江城市政协 · 机关工作人员"
    assert _only_row(user=world.staff).after == ""

    # the changelist's bulk delete goes through the same service
    rest = list(BodyRole.objects.values_list("pk", flat=True))
    response = client.post(
        reverse("admin:members_bodyrole_changelist"),
        {"action": "delete_selected", "_selected_action": rest, "post": "yes"},
    )
    assert response.status_code == 302
    assert not BodyRole.objects.exists()
    assert AuditLog.objects.count() == 1 + len(rest)
    assert _only_row(user=world.other_staff).before == "江城市临江区政协 · 机关工作人员"


def test_a_role_moved_to_another_account_is_a_revocation_and_a_grant(world):
    role = BodyRole.objects.get(user=world.leader)
    successor = f.UserFactory(username="successor")
    role.user = successor
    services.body_role_save(by=world.admin, body_role=role)
    assert _only_row(user=world.leader).before == "江城市政协 · 主席会议成员"
    assert _only_row(user=world.leader).after == ""
    assert _only_row(user=successor).before == ""
    assert _only_row(user=successor).after == "江城市政协 · 主席会议成员"


def test_a_failed_role_change_leaves_no_row(world):
    # the same role twice breaks the unique constraint: neither role nor row is written
    duplicate = BodyRole(user=world.staff, body=world.body, role=BodyRole.Role.STAFF)
    with pytest.raises(Exception):  # noqa: B017 - the database's IntegrityError
        services.body_role_save(by=world.admin, body_role=duplicate)
    assert not AuditLog.objects.exists()


# Admin flags, groups and single permissions (Django's user admin)


def _user_form(user, **changes) -> dict:
    data = {
        "username": user.username,
        "first_name": "",
        "last_name": "",
        "email": "",
        "is_active": "on",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "08:00:00",
        "last_login_0": "",
        "last_login_1": "",
        "groups": [],
        "user_permissions": [],
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not False}


def test_making_a_user_staff_and_superuser_writes_a_row_for_each_flag(client, world):
    target = world.staff
    client.force_login(world.admin)
    url = reverse("admin:auth_user_change", args=[target.pk])
    response = client.post(url, _user_form(target, is_staff="on", is_superuser="on"))
    assert response.status_code == 302, response.context["adminform"].form.errors
    rows = {r.subject: r for r in AuditLog.objects.all()}
    assert set(rows) == {"可登录管理后台", "系统管理员"}
    for row in rows.values():
        assert (row.kind, row.user, row.by) == (AuditLog.Kind.ADMIN_FLAG, target, world.admin)
        assert (row.before, row.after) == ("否", "是")

    # and losing the superuser flag again
    response = client.post(url, _user_form(target, is_staff="on"))
    assert response.status_code == 302
    assert AuditLog.objects.count() == 3
    row = AuditLog.objects.first()
    assert (row.subject, row.before, row.after) == ("系统管理员", "是", "否")


def test_granting_and_revoking_groups_and_permissions_is_recorded(client, world):
    editors = Group.objects.create(name="花名册编辑")
    permission = Permission.objects.get(codename="view_exportlog")
    client.force_login(world.admin)
    url = reverse("admin:auth_user_change", args=[world.staff.pk])
    response = client.post(
        url, _user_form(world.staff, groups=[editors.pk], user_permissions=[permission.pk])
    )
    assert response.status_code == 302
    rows = {r.subject: r for r in AuditLog.objects.all()}
    assert rows["权限组"].kind == AuditLog.Kind.PERMISSION
    assert (rows["权限组"].before, rows["权限组"].after) == ("", "花名册编辑")
    assert (rows["单项权限"].before, rows["单项权限"].after) == ("", "members.view_exportlog")

    response = client.post(url, _user_form(world.staff, groups=[editors.pk]))
    assert response.status_code == 302
    row = AuditLog.objects.first()
    assert (row.subject, row.before, row.after) == ("单项权限", "members.view_exportlog", "")
    assert AuditLog.objects.count() == 3


def test_saving_a_user_without_changing_access_writes_nothing(client, world):
    client.force_login(world.admin)
    response = client.post(
        reverse("admin:auth_user_change", args=[world.staff.pk]),
        _user_form(world.staff, first_name="改名"),
    )
    assert response.status_code == 302
    assert not AuditLog.objects.exists()


# Sector-group convenors and liaisons (the organisation pages and the admin)


def _group_form(group, **changes) -> dict:
    data = {
        "name": group.name,
        "sectors": list(group.sectors.values_list("pk", flat=True)),
        "convenor": group.convenor_id or "",
        "liaison": group.liaison_id or "",
        "order": group.order,
    }
    data.update(changes)
    return data


def test_a_new_group_convenor_on_the_organisation_page_is_recorded(client, world):
    client.force_login(world.staff)
    response = client.post(
        reverse("sectors:edit", args=["group", world.group.pk]),
        _group_form(world.group, convenor=world.colleague.pk, liaison=world.member.pk),
    )
    assert response.status_code == 302
    world.group.refresh_from_db()
    assert world.group.convenor == world.colleague
    convenor = _only_row(subject="召集人")
    assert convenor.kind == AuditLog.Kind.GROUP_OFFICER
    assert convenor.by == world.staff
    assert convenor.user == world.colleague.person.user
    assert convenor.target.endswith("经济界小组")
    assert convenor.before == f"{world.convenor.person.name}({world.convenor.number})"
    assert convenor.after == f"{world.colleague.person.name}({world.colleague.number})"
    liaison = _only_row(subject="联络员")
    assert (liaison.before, liaison.after) == (
        "",
        f"{world.member.person.name}({world.member.number})",
    )

    # a change of name only changes nobody's access
    response = client.post(
        reverse("sectors:edit", args=["group", world.group.pk]),
        _group_form(world.group, name="经济界第一小组"),
    )
    assert response.status_code == 302
    assert AuditLog.objects.count() == 2


def test_a_new_group_with_a_convenor_is_recorded_and_a_removed_one_too(client, world):
    client.force_login(world.staff)
    response = client.post(
        reverse("sectors:create", args=["group", world.term.pk]),
        {"name": "新小组", "sectors": [world.sector.pk], "convenor": world.member.pk, "order": 5},
    )
    assert response.status_code == 302
    group = SectorGroup.objects.get(name="新小组")
    assert _only_row().before == ""
    assert group.sectors.count() == 1  # the form's many-to-many still saved

    client.force_login(world.admin)
    response = client.post(
        reverse("admin:sectors_sectorgroup_change", args=[world.group.pk]),
        {
            "term": world.term.pk,
            "name": world.group.name,
            "sectors": [],
            "convenor": "",
            "liaison": "",
            "order": 0,
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    row = AuditLog.objects.first()
    assert (row.by, row.subject, row.after) == (world.admin, "召集人", "")
    assert row.before == f"{world.convenor.person.name}({world.convenor.number})"


# The admin pages: administrators read, nobody writes


@pytest.fixture
def one_of_each(world):
    services.audit_record(
        kind=AuditLog.Kind.BODY_ROLE,
        by=world.admin,
        user=world.staff,
        target="staff",
        subject="机关角色",
        before="",
        after="江城市政协 · 机关工作人员",
    )
    services.export_log_record(user=world.staff, what="花名册", rows=3, filters="term=1")


# session, user; two filters' choices (audit log: by and whom; export log: whom
# and the distinct kinds of export); two counts; the rows (users joined); the
# menu's roles, seats and unread notices; the date hierarchy's bounds and days;
# the session's save (3)
CHANGELIST_QUERIES = {"auditlog": 15, "exportlog": 15}


@pytest.mark.parametrize("model", ["auditlog", "exportlog"])
def test_an_administrator_reads_the_logs_with_filters_and_search(
    client, world, one_of_each, model, django_assert_num_queries
):
    for _ in range(20):  # more rows, no more queries
        services.export_log_record(user=world.leader, what="通讯录", rows=1)
        services.audit_record(
            kind=AuditLog.Kind.PERMISSION,
            by=world.admin,
            target="x",
            subject="y",
            before="",
            after="",
        )
    client.force_login(world.admin)
    url = reverse(f"admin:members_{model}_changelist")
    with django_assert_num_queries(CHANGELIST_QUERIES[model]):
        response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "staff" in html
    # no add button, and no bulk delete among the actions
    assert reverse(f"admin:members_{model}_add") not in html
    assert "delete_selected" not in html
    year = timezone.localdate().year
    assert client.get(url, {"created_at__year": year}).context["cl"].result_count == 21
    assert client.get(url, {"created_at__year": year - 1}).context["cl"].result_count == 0
    assert client.get(url, {"q": "staff"}).context["cl"].result_count == 1


def test_the_audit_log_filters_by_kind_and_by_whom(client, world, one_of_each):
    client.force_login(world.admin)
    url = reverse("admin:members_auditlog_changelist")
    shown = client.get(url, {"kind": AuditLog.Kind.BODY_ROLE}).context["cl"].result_count
    hidden = client.get(url, {"kind": AuditLog.Kind.GROUP_OFFICER}).context["cl"].result_count
    assert (shown, hidden) == (1, 0)
    assert client.get(url, {"user__id__exact": world.staff.pk}).context["cl"].result_count == 1
    assert client.get(url, {"by__id__exact": world.staff.pk}).context["cl"].result_count == 0


@pytest.mark.parametrize("model", ["auditlog", "exportlog"])
def test_nobody_adds_changes_or_deletes_a_log_row(client, world, one_of_each, model):
    row = (AuditLog if model == "auditlog" else ExportLog).objects.get()
    client.force_login(world.admin)
    assert client.get(reverse(f"admin:members_{model}_add")).status_code == 403
    assert client.post(reverse(f"admin:members_{model}_add"), {}).status_code == 403
    change = reverse(f"admin:members_{model}_change", args=[row.pk])
    assert client.get(change).status_code == 200  # read-only view of the row
    assert client.post(change, {"target": "forged", "what": "forged", "rows": 0}).status_code == 403
    delete = reverse(f"admin:members_{model}_delete", args=[row.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    response = client.post(
        reverse(f"admin:members_{model}_changelist"),
        {"action": "delete_selected", "_selected_action": [row.pk], "post": "yes"},
    )
    assert response.status_code in (200, 302)  # "no such action", nothing done
    row.refresh_from_db()
    assert "forged" not in (getattr(row, "target", ""), getattr(row, "what", ""))


@pytest.mark.parametrize("model", ["auditlog", "exportlog"])
def test_staff_of_a_body_and_django_staff_cannot_see_the_logs(client, world, one_of_each, model):
    url = reverse(f"admin:members_{model}_changelist")
    # a body's staff are not admin users: sent to the admin's login
    client.force_login(world.staff)
    response = client.get(url)
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]
    # a Django staff account even with every permission, but not a superuser: refused
    clerk = f.UserFactory(username="clerk", is_staff=True)
    clerk.user_permissions.set(Permission.objects.filter(content_type__app_label="members"))
    client.force_login(clerk)
    assert client.get(url).status_code == 403
    assert "审计日志" not in client.get(reverse("admin:index")).content.decode()


# Exports of personal data: each file-making path also logs it


FILE_MAKERS = re.compile(
    r"\b(xlsx_response|pdf_response|roster_export_response|directory_export_response)\("
)
LOGGERS = re.compile(
    r"\b(export_log_record|_log_export|roster_export_response|"
    r"directory_export_response)\("
)


def test_every_module_that_hands_out_an_export_file_logs_it():
    """A new export view without its ExportLog row fails here: each module
    that builds a sheet or PDF response also writes the log (the runtime
    tests of each export check the row count: members/tests/test_roster.py,
    proposals and reports test_views, summaries test_exports, test_export_jobs,
    test_admin_exports, test_pdf, test_pack_pdf)."""
    skip = {"summaries/xlsx.py", "summaries/pdf.py"}  # where the responses are made
    makers = []
    for path in sorted(ROOT.glob("*/*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if relative in skip or relative.startswith(("tests/", "bench/", ".venv/")):
            continue
        code = "\n".join(
            line for line in path.read_text().splitlines() if not line.lstrip().startswith("def ")
        )
        if FILE_MAKERS.search(code):
            makers.append(relative)
            assert LOGGERS.search(code), f"{relative} makes an export file without logging it"
    assert "members/roster_views.py" in makers
    assert "summaries/export_views.py" in makers
