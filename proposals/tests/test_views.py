import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from members.models import ExportLog
from proposals.models import Proposal, Proposer
from proposals.services import drafting, review
from proposals.tests import factories as pf

S = Proposal.Status


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def session(world):
    return pf.open_session(world.term)


def test_a_member_drafts_a_proposal_with_an_attachment(client, world, session):
    client.force_login(world.member.person.user)
    response = client.post(
        reverse("proposals:new"),
        {
            "session": session.pk,
            "kind": "regular",
            "proposer": f"member:{world.member.pk}",
            "title": "关于老旧小区加装电梯的建议",
            "category": "society",
            "content": "建议如下。",
            "attachments": [pf.png_upload()],
        },
    )
    proposal = Proposal.objects.get()
    assert response.status_code == 302 and response.url == reverse(
        "proposals:detail", args=[proposal.pk]
    )
    assert proposal.proposers.get().role == Proposer.Role.FIRST
    assert proposal.attachments.count() == 1


def test_missing_fields_are_reported_beside_each_field(client, world, session):
    client.force_login(world.member.person.user)
    response = client.post(reverse("proposals:new"), {"session": session.pk, "kind": "regular"})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert {"title", "content", "category", "proposer"} <= set(errors)
    assert "这个字段是必填项。" in errors["title"][0]
    assert 'aria-invalid="true"' in response.content.decode()


def test_a_bad_attachment_is_a_field_error(client, world, session):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(world.member.person.user)
    response = client.post(
        reverse("proposals:new"),
        {
            "session": session.pk,
            "kind": "regular",
            "proposer": f"member:{world.member.pk}",
            "title": "案由",
            "category": "society",
            "content": "内容",
            "attachments": [SimpleUploadedFile("a.png", b"not an image")],
        },
    )
    assert response.status_code == 200
    assert "不是 JPEG、PNG 图片或 PDF 文件" in response.context["form"].errors["attachments"][0]
    assert not Proposal.objects.exists()


def test_the_co_proposer_confirms_on_the_phone(client, world, session):
    proposal = pf.draft(member=world.member, session=session)
    drafting.cosigner_invite(
        proposal=proposal,
        members=[world.colleague],
        by=world.member.person.user,
        deadline=timezone.now() + datetime.timedelta(days=2),
    )
    client.force_login(world.colleague.person.user)
    mine = client.get(reverse("proposals:mine"))
    assert proposal.title in mine.content.decode()
    assert len(mine.context["invitations"]) == 1
    page = client.get(reverse("proposals:detail", args=[proposal.pk]))
    assert 'data-testid="invitation"' in page.content.decode()
    response = client.post(reverse("proposals:answer", args=[proposal.pk]), {"decision": "confirm"})
    assert response.status_code == 302
    assert proposal.proposers.get(member=world.colleague).status == "confirmed"
    proposal.refresh_from_db()
    assert proposal.status == S.DRAFT  # nobody left to answer


def test_submitting_outside_the_plenary_says_why(client, world):
    today = timezone.localdate()
    closed = pf.f.PlenarySessionFactory(
        term=world.term,
        year=today.year,
        starts_on=today - datetime.timedelta(days=30),
        ends_on=today - datetime.timedelta(days=27),
    )
    proposal = pf.draft(member=world.member, session=closed, kind="plenary")
    client.force_login(world.member.person.user)
    response = client.post(reverse("proposals:submit", args=[proposal.pk]), follow=True)
    assert "大会提案只能在全体会议期间" in response.content.decode()
    proposal.refresh_from_db()
    assert proposal.status == S.DRAFT


def test_staff_accept_from_the_queue_and_the_timeline_shows_it(client, world, session):
    proposal = pf.submitted(member=world.member, session=session)
    client.force_login(world.staff)
    queue = client.get(reverse("proposals:review_queue"))
    assert proposal.title in queue.content.decode()
    client.post(reverse("proposals:accept", args=[proposal.pk]))
    client.post(reverse("proposals:accept", args=[proposal.pk]))  # a double click
    proposal.refresh_from_db()
    assert proposal.number == 1
    page = client.get(reverse("proposals:detail", args=[proposal.pk])).content.decode()
    assert "第0001号" in page
    timeline = page[page.index('data-testid="timeline"') :]
    assert timeline.count("待审查 → 已立案") == 1


def test_rejecting_without_a_reason_shows_the_field_error(client, world, session):
    proposal = pf.submitted(member=world.member, session=session)
    client.force_login(world.staff)
    response = client.post(reverse("proposals:reject", args=[proposal.pk]), {"reason": ""})
    assert response.context["form"].errors == {"reason": ["请填写不立案理由"]}


def test_a_key_flag_needs_a_leader_on_the_form(client, world, session):
    proposal = pf.accepted(member=world.member, session=session, staff=world.staff)
    client.force_login(world.staff)
    response = client.post(reverse("proposals:flag", args=[proposal.pk]), {"is_key": "on"})
    assert response.context["form"].errors == {"key_leader": ["重点提案须填写督办领导"]}
    client.post(
        reverse("proposals:flag", args=[proposal.pk]), {"is_key": "on", "key_leader": "王主席"}
    )
    proposal.refresh_from_db()
    assert proposal.is_key and proposal.key_leader == "王主席"


def test_merge_page_offers_proposals_of_the_same_session(client, world, session):
    proposal = pf.submitted(member=world.member, session=session)
    target = pf.accepted(member=world.colleague, session=session, staff=world.staff)
    client.force_login(world.staff)
    response = client.post(
        reverse("proposals:merge", args=[proposal.pk]), {"into": target.pk, "note": "相近"}
    )
    assert response.status_code == 302
    page = client.get(reverse("proposals:detail", args=[target.pk])).content.decode()
    assert world.member.person.name in page  # the merged proposer shows on the target


def test_search_by_number_title_and_proposer_name(client, world, session):
    one = pf.accepted(member=world.member, session=session, staff=world.staff, title="河道治理")
    pf.accepted(member=world.colleague, session=session, staff=world.staff, title="停车难")
    client.force_login(world.staff)
    url = reverse("proposals:list")
    for q in ("第0001号", "0001", "河道", world.member.person.name):
        rows = list(client.get(url, {"q": q}).context["page"])
        assert rows == [one], q


def test_filters_by_status_and_key(client, world, session):
    one = pf.accepted(member=world.member, session=session, staff=world.staff)
    pf.submitted(member=world.colleague, session=session)
    review.proposal_flag_key(proposal=one, by=world.staff, leader="王")
    client.force_login(world.staff)
    url = reverse("proposals:list")
    assert list(client.get(url, {"key": "1"}).context["page"]) == [one]
    assert len(client.get(url, {"status": "submitted"}).context["page"]) == 1


def test_members_see_others_proposals_only_once_submitted(client, world, session):
    pf.draft(member=world.colleague, session=session, title="草稿中")
    pf.submitted(member=world.colleague, session=session, title="已提交")
    client.force_login(world.other_member.person.user)
    page = client.get(reverse("proposals:list")).content.decode()
    assert "已提交" in page and "草稿中" not in page


def test_export_writes_what_the_user_may_see_and_logs_it(client, world, session, tmp_path):
    pf.accepted(member=world.member, session=session, staff=world.staff, title="河道治理")
    client.force_login(world.staff)
    response = client.get(reverse("proposals:export"))
    assert response.status_code == 200
    path = tmp_path / "out.xlsx"
    path.write_bytes(b"".join(response.streaming_content))
    sheet = load_workbook(path).active
    values = [c.value for c in sheet[4]]
    assert values[0] == "第0001号" and values[1] == "河道治理"
    assert ExportLog.objects.get().rows == 1
    client.force_login(world.other_staff)
    other = client.get(reverse("proposals:export"))
    path.write_bytes(b"".join(other.streaming_content))
    assert load_workbook(path).active.max_row == 3  # title, subtitle, header


def _many(world, session, n):
    members = [world.member, world.colleague, world.other_member, world.convenor]
    for i in range(n):
        proposal = pf.submitted(member=members[i % 4], session=session, title=f"提案{i}")
        if i % 3 == 0:
            review.proposal_accept(proposal=proposal, by=world.staff)


def _count(client, django_assert_max_num_queries, url, user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(user)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    ("name", "who"),
    [
        ("proposals:list", "staff"),
        ("proposals:list", "member"),
        ("proposals:mine", "member"),
        ("proposals:review_queue", "staff"),
        ("proposals:stats", "staff"),
        ("proposals:topics", "member"),
    ],
)
def test_list_pages_run_a_constant_number_of_queries(
    client, world, session, name, who, django_assert_max_num_queries
):
    user = world.staff if who == "staff" else world.member.person.user
    url = reverse(name)
    _many(world, session, 5)
    few = _count(client, django_assert_max_num_queries, url, user)
    _many(world, session, 25)
    many = _count(client, django_assert_max_num_queries, url, user)
    assert few == many, f"{name}: {few} queries with 5 proposals, {many} with 30"
