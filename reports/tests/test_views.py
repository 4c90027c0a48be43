"""The report pages: the author's journey, the staff's forms with field-level
errors, lists in a constant number of queries, the bulletin and the export."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from members.models import ExportLog
from reports import services
from reports.models import Level, SocialInfoReport
from reports.tests import factories as rf

S = SocialInfoReport.Status
pytestmark = pytest.mark.django_db


def _login(client, user):
    client.force_login(user)
    return client


def test_a_member_writes_submits_and_sees_the_feedback(client, world, today, media):
    # given
    _login(client, world.member.person.user)
    # when: written and sent at once, with a photo
    response = client.post(
        reverse("reports:create"),
        {
            "author": f"m{world.member.pk}",
            "title": "关于学校周边交通拥堵的情况反映",
            "content": "上下学高峰拥堵严重。",
            "attachments": [rf.png_upload("现场.png")],
            "action": "submit",
        },
    )
    report = SocialInfoReport.objects.get()
    assert response.status_code == 302 and report.status == S.SUBMITTED
    # staff handle it
    services.report_accept(report=report, by=world.staff)
    services.report_use(report=report, by=world.staff, bulletin_year=today.year, bulletin_issue=7)
    services.report_adoption_record(
        report=report, by=world.staff, level=Level.PROVINCE, mode="combined", adopted_on=today
    )
    # then: the member's list and page show it
    page = client.get(reverse("reports:mine")).content.decode()
    assert "已编报" in page and f"编入{today.year}年第7期" in page and "省级采用" in page
    detail = client.get(reverse("reports:detail", args=[report.pk])).content.decode()
    for step in ("报送", "受理", f"编入简报:编入{today.year}年第7期", "上级采用:省级综合采用"):
        assert step in detail
    assert "现场.png" in detail
    assert 'data-testid="staff-actions"' not in detail
    attachment = report.attachments.get()
    got = client.get(reverse("reports:attachment", args=[attachment.pk]))
    assert got.status_code == 200 and got["Content-Type"] == "image/png"


def test_a_draft_is_saved_then_edited_then_submitted(client, world):
    _login(client, world.member.person.user)
    client.post(
        reverse("reports:create"),
        {"author": f"m{world.member.pk}", "title": "草稿", "content": "c", "action": "draft"},
    )
    report = SocialInfoReport.objects.get()
    assert report.status == S.DRAFT
    client.post(
        reverse("reports:edit", args=[report.pk]),
        {"title": "定稿", "content": "c2", "action": "submit"},
    )
    report.refresh_from_db()
    assert (report.title, report.status) == ("定稿", S.SUBMITTED)
    # once sent it is not edited any more
    response = client.get(reverse("reports:edit", args=[report.pk]))
    assert response.status_code == 302


def test_the_form_says_what_is_missing_on_each_field(client, world):
    _login(client, world.member.person.user)
    bad = SimpleUploadedFile("a.pdf", b"not a pdf", content_type="application/pdf")
    response = client.post(
        reverse("reports:create"),
        {"author": f"m{world.member.pk}", "title": "", "content": "", "attachments": [bad]},
    )
    form = response.context["form"]
    assert form.errors["title"] == ["这个字段是必填项。"]
    assert form.errors["content"] == ["这个字段是必填项。"]
    assert form.errors["attachments"] == ["附件“a.pdf”不是 JPEG、PNG 图片或 PDF 文件"]
    assert 'aria-invalid="true"' in response.content.decode()
    assert not SocialInfoReport.objects.exists()


def test_a_convenor_writes_for_the_group(client, world):
    _login(client, world.convenor.person.user)
    choices = dict(client.get(reverse("reports:create")).context["form"].fields["author"].choices)
    assert f"m{world.convenor.pk}" in choices and f"g{world.group.pk}" in choices
    client.post(
        reverse("reports:create"),
        {"author": f"g{world.group.pk}", "title": "小组信息", "content": "c", "action": "submit"},
    )
    assert SocialInfoReport.objects.get().author_group == world.group


def test_a_member_cannot_write_for_another_member(client, world):
    _login(client, world.member.person.user)
    response = client.post(
        reverse("reports:create"),
        {"author": f"m{world.colleague.pk}", "title": "t", "content": "c"},
    )
    assert "author" in response.context["form"].errors
    assert not SocialInfoReport.objects.exists()


def test_the_member_withdraws_before_review(client, world):
    report = rf.submitted(world.member)
    _login(client, world.member.person.user)
    client.post(reverse("reports:withdraw", args=[report.pk]))
    client.post(reverse("reports:withdraw", args=[report.pk]))  # a double click
    report.refresh_from_db()
    assert report.status == S.WITHDRAWN
    assert report.events.filter(verb="withdrawn").count() == 1


def test_a_refused_transition_is_shown_in_chinese(client, world):
    report = rf.accepted(world.member, world.staff)
    _login(client, world.member.person.user)
    response = client.post(reverse("reports:withdraw", args=[report.pk]), follow=True)
    assert "只有尚未受理的信息可以撤回" in response.content.decode()


def test_staff_use_with_field_errors_then_success(client, world, today):
    report = rf.accepted(world.member, world.staff, content="原文")
    _login(client, world.staff)
    response = client.post(
        reverse("reports:use", args=[report.pk]),
        {"bulletin_year": today.year, "bulletin_issue": ""},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["bulletin_issue"] == ["这个字段是必填项。"]
    response = client.post(
        reverse("reports:use", args=[report.pk]),
        {"bulletin_year": today.year, "bulletin_issue": 2, "bulletin_text": "编辑稿"},
    )
    assert response.status_code == 302
    report.refresh_from_db()
    assert (report.status, report.content, report.bulletin_text) == (S.USED, "原文", "编辑稿")


def test_staff_not_used_needs_a_reason(client, world):
    report = rf.submitted(world.member)
    _login(client, world.staff)
    response = client.post(reverse("reports:not_used", args=[report.pk]), {"reason": ""})
    assert response.context["form"].errors["reason"] == ["这个字段是必填项。"]
    client.post(reverse("reports:not_used", args=[report.pk]), {"reason": "与已报信息重复"})
    report.refresh_from_db()
    assert report.status == S.NOT_USED


def test_a_second_adoption_at_a_level_is_refused_on_the_level_field(client, world, today):
    report = rf.used(world.member, world.staff)
    _login(client, world.staff)
    url = reverse("reports:adoption_add", args=[report.pk])
    client.post(url, {"level": "city", "mode": "single", "adopted_on": today.isoformat()})
    response = client.post(
        url, {"level": "city", "mode": "combined", "adopted_on": today.isoformat()}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["level"][0].startswith("已登记过市级采用")


def test_an_adoption_before_acceptance_is_refused_above_the_form(client, world, today):
    report = rf.submitted(world.member)
    _login(client, world.staff)
    response = client.post(
        reverse("reports:adoption_add", args=[report.pk]),
        {"level": "city", "mode": "single", "adopted_on": today.isoformat()},
    )
    assert (
        "只有已受理或已编报的信息可以登记采用或批示"
        in response.context["form"].non_field_errors()[0]
    )


def test_instruction_recorded_from_the_page(client, world, today):
    report = rf.used(world.member, world.staff)
    _login(client, world.staff)
    client.post(
        reverse("reports:instruction_add", args=[report.pk]),
        {
            "level": "national",
            "leader": "国务院领导",
            "instructed_on": today.isoformat(),
            "text": "阅",
        },
    )
    assert report.instructions.get().level == "national"
    page = client.get(reverse("reports:list")).content.decode()
    assert "国家级领导批示" in page


# Lists do not grow with rows ---------------------------------------------------------


def _many(world, n=12):
    for i in range(n):
        report = rf.used(world.member if i % 2 else world.colleague, world.staff, title=f"信息{i}")
        services.report_adoption_record(
            report=report,
            by=world.staff,
            level="city",
            mode="single",
            adopted_on=timezone.localdate(report.submitted_at),
        )
        services.report_instruction_record(
            report=report,
            by=world.staff,
            level="city",
            leader="市长",
            instructed_on=timezone.localdate(report.submitted_at),
        )


@pytest.mark.parametrize("n", [2, 12])
def test_the_staff_list_runs_a_fixed_number_of_queries(client, world, django_assert_num_queries, n):
    _many(world, n)
    _login(client, world.staff)
    client.get(reverse("reports:list"))  # the login's session is saved on the first request
    # session, user, body roles, seats, count, years, unread notices, the
    # user's person (menu), rows (authors and highest levels as subqueries),
    # and the session saved again (savepoint, update, release)
    with django_assert_num_queries(12):
        response = client.get(reverse("reports:list"))
    assert len(response.context["page"].object_list) == n


@pytest.mark.parametrize("n", [2, 12])
def test_my_list_runs_a_fixed_number_of_queries(client, world, django_assert_num_queries, n):
    _many(world, n)
    _login(client, world.member.person.user)
    client.get(reverse("reports:mine"))
    # session, user, body roles, seats, count, author choices (seats; no groups
    # to offer a plain member), unread notices, person, rows, session saved (3)
    with django_assert_num_queries(12):
        client.get(reverse("reports:mine"))


@pytest.mark.parametrize("n", [2, 12])
def test_the_queue_runs_a_fixed_number_of_queries(client, world, django_assert_num_queries, n):
    for i in range(n):
        rf.submitted(world.member, title=f"待受理{i}")
    _login(client, world.staff)
    client.get(reverse("reports:queue"))
    # session, user, body roles, seats, count, unread notices, person, rows,
    # session saved (3)
    with django_assert_num_queries(11):
        response = client.get(reverse("reports:queue"))
    assert len(response.context["page"].object_list) == n


# Bulletin, stats, export ---------------------------------------------------------------


def test_the_bulletin_prints_the_edited_text(client, world, today):
    report = rf.accepted(world.member, world.staff, content="原文")
    services.report_use(
        report=report,
        by=world.staff,
        bulletin_year=today.year,
        bulletin_issue=4,
        bulletin_text="编报稿",
    )
    _login(client, world.leader)
    page = client.get(reverse("reports:bulletin", args=[today.year, 4])).content.decode()
    assert "编报稿" in page and "原文" not in page and "data-print" in page
    assert (
        client.get(
            reverse("reports:bulletin", args=[today.year, 4]) + f"?body={world.other_body.pk}"
        ).status_code
        == 404
    )


def test_the_stats_page_shows_the_year(client, world, today):
    report = rf.used(world.member, world.staff)
    services.report_adoption_record(
        report=report, by=world.staff, level="province", mode="single", adopted_on=today
    )
    _login(client, world.leader)
    response = client.get(reverse("reports:stats"), {"year": today.year})
    assert response.context["summary"]["adopted_by_level"]["province"] == 1


def test_the_export_is_an_excel_file_and_is_logged(client, world):
    rf.used(world.member, world.staff, title="=1+1 危险标题")
    rf.accepted(world.colleague, world.staff, title="第二篇")
    rf.draft(world.member, title="草稿不导出")
    _login(client, world.staff)
    response = client.get(reverse("reports:export"), {"status": "used"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[2][:3] == ("报送时间", "标题", "报送人")
    assert [r[1] for r in rows[3:]] == ["=1+1 危险标题"]
    log = ExportLog.objects.get()
    assert (log.user, log.what, log.rows, log.filters) == (
        world.staff,
        "社情民意信息",
        1,
        "status=used",
    )


def test_staff_see_the_forms_the_status_allows(client, world):
    report = rf.accepted(world.member, world.staff)
    _login(client, world.staff)
    page = client.get(reverse("reports:detail", args=[report.pk])).content.decode()
    for url in ("use", "not_used", "adoption_add", "instruction_add"):
        assert reverse(f"reports:{url}", args=[report.pk]) in page
    assert reverse("reports:accept", args=[report.pk]) not in page
    _login(client, world.leader)
    page = client.get(reverse("reports:detail", args=[report.pk])).content.decode()
    assert 'data-testid="staff-actions"' not in page
