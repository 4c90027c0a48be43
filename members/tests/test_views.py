import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from duties.models import Activity, Participation
from members.models import Member, Notice
from members.services import notice_send
from tests import factories as f


@pytest.fixture
def login(client):
    def _login(user):
        client.force_login(user)
        return client

    return _login


def test_home_renders_for_every_role(world, login):
    for user in (
        world.member.person.user,
        world.convenor.person.user,
        world.staff,
        world.leader,
        world.admin,
    ):
        response = login(user).get(reverse("home"))
        assert response.status_code == 200


def test_anonymous_is_sent_to_login(client, world):
    response = client.get(reverse("members:list"))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_member_sees_directory_with_phones_only_in_own_group(world, login):
    client = login(world.member.person.user)
    response = client.get(reverse("members:list"))
    html = response.content.decode()
    assert world.colleague.person.name in html
    assert world.colleague.person.mobile in html
    assert world.other_member.person.name in html
    assert world.other_member.person.mobile not in html
    assert world.outsider_member.person.name not in html


def test_staff_sees_every_phone_of_their_body(world, login):
    html = login(world.staff).get(reverse("members:list")).content.decode()
    assert world.other_member.person.mobile in html
    assert world.outsider_member.person.name not in html


def test_staff_of_another_body_cannot_open_a_member(world, login):
    response = login(world.other_staff).get(reverse("members:detail", args=[world.member.pk]))
    assert response.status_code == 404


def test_member_detail_hides_private_fields_from_colleagues_outside_group(world, login):
    world.other_member.person.birth_date = datetime.date(1970, 5, 6)
    world.other_member.person.save()
    html = (
        login(world.member.person.user)
        .get(reverse("members:detail", args=[world.other_member.pk]))
        .content.decode()
    )
    assert world.other_member.person.name in html
    assert "1970年5月6日" not in html
    assert world.other_member.person.mobile not in html


def test_convenor_sees_full_record_of_group_member(world, login):
    world.colleague.person.birth_date = datetime.date(1971, 2, 3)
    world.colleague.person.save()
    html = (
        login(world.convenor.person.user)
        .get(reverse("members:detail", args=[world.colleague.pk]))
        .content.decode()
    )
    assert "1971年2月3日" in html


def test_leadership_cannot_edit(world, login):
    response = login(world.leader).get(reverse("members:edit", args=[world.member.pk]))
    assert response.status_code == 403


def test_list_filters(world, login):
    # Names that no member number or other name contains (factory names are "委员<n>").
    for member, name in ((world.member, "甲委员"), (world.colleague, "乙委员")):
        member.person.name = name
        member.person.save()
    client = login(world.staff)
    html = client.get(reverse("members:list"), {"group": world.other_group.pk}).content.decode()
    assert world.other_member.person.name in html
    assert world.member.person.name not in html
    html = client.get(reverse("members:list"), {"q": world.colleague.number}).content.decode()
    assert world.colleague.person.name in html
    assert world.member.person.name not in html


def test_member_who_left_disappears_from_current_list_but_keeps_record(world, login):
    client = login(world.staff)
    response = client.post(
        reverse("members:leave", args=[world.colleague.pk]),
        {"left_on": "2025-06-30", "reason": "resigned"},
    )
    assert response.status_code == 302
    world.colleague.refresh_from_db()
    assert world.colleague.left_reason == Member.LeftReason.RESIGNED
    client.get(response["Location"])  # shows (and so consumes) the confirmation message
    html = client.get(reverse("members:list")).content.decode()
    assert world.colleague.person.name not in html
    html = client.get(reverse("members:list"), {"status": "left"}).content.decode()
    assert world.colleague.person.name in html
    assert client.get(reverse("members:detail", args=[world.colleague.pk])).status_code == 200


def test_leave_form_refuses_a_date_before_joining(world, login):
    response = login(world.staff).post(
        reverse("members:leave", args=[world.colleague.pk]),
        {"left_on": "2000-01-01", "reason": "resigned"},
    )
    assert response.status_code == 200
    assert "离任日期不能早于任职日期" in response.content.decode()
    world.colleague.refresh_from_db()
    assert world.colleague.left_on is None


def test_staff_creates_a_member_and_history_records_who(world, login):
    client = login(world.staff)
    response = client.post(
        reverse("members:create", args=[world.term.pk]),
        {
            "p-name": "新委员",
            "p-gender": "f",
            "p-ethnicity": "汉族",
            "p-party": "cdl",
            "p-mobile": "13700001111",
            "s-number": "9001",
            "s-sector": world.sector.pk,
            "s-joined_on": "2024-01-10",
            "s-join_kind": "by_election",
        },
    )
    assert response.status_code == 302, response.content.decode()
    member = Member.objects.get(term=world.term, number="9001")
    assert member.person.name == "新委员"
    assert member.history.first().history_user == world.staff
    html = client.get(reverse("members:detail", args=[member.pk])).content.decode()
    assert "变更记录" in html


def test_create_refuses_bad_phone_and_duplicate_number(world, login):
    response = login(world.staff).post(
        reverse("members:create", args=[world.term.pk]),
        {
            "p-name": "新委员",
            "p-gender": "f",
            "p-ethnicity": "汉族",
            "p-party": "cdl",
            "p-mobile": "12345",
            "s-number": world.member.number,
            "s-sector": world.sector.pk,
            "s-joined_on": "2024-01-10",
            "s-join_kind": "by_election",
        },
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "手机号码应为以1开头的11位数字" in html
    assert "本届已有编号为" in html


def test_notice_centre_counts_and_marks_read(world, login):
    person = world.member.person
    assert notice_send(persons=[person], key="k1", title="活动提醒") == 1
    assert (
        notice_send(persons=[person], key="k1", title="活动提醒") == 0
    )  # a retried task sends nothing twice
    client = login(person.user)
    html = client.get(reverse("members:notices")).content.decode()
    assert "活动提醒" in html
    assert 'data-testid="unread-count"' in html
    notice = Notice.objects.get(person=person)
    client.post(reverse("members:notice_read", args=[notice.pk]))
    notice.refresh_from_db()
    assert notice.read_at is not None


def test_member_cannot_read_someone_elses_notice(world, login):
    notice_send(persons=[world.colleague.person], key="k2", title="私信")
    notice = Notice.objects.get(person=world.colleague.person)
    response = login(world.member.person.user).post(
        reverse("members:notice_read", args=[notice.pk])
    )
    assert response.status_code == 404


def _queries_for(client, url, params=None):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, params or {}).status_code == 200
    return len(ctx)


@pytest.mark.parametrize("role", ["staff", "member"])
def test_member_list_query_count_does_not_grow(world, login, role, django_assert_max_num_queries):
    user = world.staff if role == "staff" else world.member.person.user
    client = login(user)
    url = reverse("members:list")
    before = _queries_for(client, url)
    for _ in range(30):
        f.MemberFactory(term=world.term, sector=world.sector, group=world.group)
    # session, user, roles, seats, bodies, term, count, page of members (+ committees
    # for staff), unread notices, person, sectors, groups, committees, session save
    with django_assert_max_num_queries(17):
        assert client.get(url).status_code == 200
    assert _queries_for(client, url) == before


def _png_bytes(size=(8, 8), fmt="PNG"):
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format=fmt)
    return buffer.getvalue()


def test_photo_is_uploaded_checked_by_content_and_served_only_to_those_who_may_see(
    world, login, settings, tmp_path
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    client = login(world.staff)
    photo = SimpleUploadedFile("photo.png", _png_bytes(), content_type="image/png")
    response = client.post(
        reverse("members:edit", args=[world.member.pk]),
        f.member_form_data(world.member, **{"p-photo": photo}),
    )
    assert response.status_code == 302
    world.member.person.refresh_from_db()
    assert world.member.person.photo

    # a colleague sees it through the checked view, an outsider gets 404
    client = login(world.colleague.person.user)
    response = client.get(reverse("members:photo", args=[world.member.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    client = login(world.outsider_member.person.user)
    assert client.get(reverse("members:photo", args=[world.member.pk])).status_code == 404


def test_a_file_named_like_a_photo_but_not_an_image_is_refused(world, login, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    client = login(world.staff)
    fake = SimpleUploadedFile("photo.png", b"<script>alert(1)</script>", content_type="image/png")
    response = client.post(
        reverse("members:edit", args=[world.member.pk]),
        f.member_form_data(world.member, **{"p-photo": fake}),
    )
    assert response.status_code == 200
    assert (
        "上传一个有效的图片" in response.content.decode()
        or "有效的图片" in response.content.decode()
    )
    gif = SimpleUploadedFile("photo.gif", _png_bytes(fmt="GIF"), content_type="image/gif")
    response = client.post(
        reverse("members:edit", args=[world.member.pk]),
        f.member_form_data(world.member, **{"p-photo": gif}),
    )
    assert "照片须为 JPEG 或 PNG 图片" in response.content.decode()
    world.member.person.refresh_from_db()
    assert not world.member.person.photo


def test_convenor_updates_a_group_members_contact_but_not_others(world, login):
    client = login(world.convenor.person.user)
    response = client.post(
        reverse("members:contact_edit", args=[world.colleague.pk]),
        {"workplace": "江城大学", "title": "教授", "mobile": "13911112222", "email": ""},
    )
    assert response.status_code == 302
    world.colleague.person.refresh_from_db()
    assert world.colleague.person.mobile == "13911112222"
    assert world.colleague.person.history.first().history_user == world.convenor.person.user
    response = client.post(
        reverse("members:contact_edit", args=[world.other_member.pk]),
        {"workplace": "x", "title": "", "mobile": "13911113333", "email": ""},
    )
    assert response.status_code == 403


def test_contact_edit_refuses_a_mobile_that_belongs_to_someone_else(world, login):
    client = login(world.convenor.person.user)
    response = client.post(
        reverse("members:contact_edit", args=[world.colleague.pk]),
        {"workplace": "", "title": "", "mobile": world.member.person.mobile, "email": ""},
    )
    assert "该手机号码已属于另一位人员" in response.content.decode()


def test_convenor_home_links_to_their_group(world, login):
    html = login(world.convenor.person.user).get(reverse("home")).content.decode()
    assert "我召集的界别小组" in html
    assert f"group={world.group.pk}" in html


def test_notice_list_query_count_does_not_grow(world, login):
    client = login(world.member.person.user)
    url = reverse("members:notices")
    notice_send(persons=[world.member.person], key="n0", title="一")
    before = _queries_for(client, url)
    for i in range(25):
        notice_send(persons=[world.member.person], key=f"n{i + 1}", title="通知")
    assert _queries_for(client, url) == before


def test_accounts_page_query_count_does_not_grow(world, login):
    client = login(world.staff)
    url = reverse("members:accounts")
    before = _queries_for(client, url)
    for _ in range(20):
        f.member_with_login(term=world.term, sector=world.sector)
    assert _queries_for(client, url) == before


def test_a_members_home_lists_the_activities_they_are_going_to(world, login):
    now = timezone.now()
    week = datetime.timedelta(days=7)
    going = f.ActivityFactory(term=world.term, theme="视察养老服务")
    waiting = f.ActivityFactory(term=world.term, theme="调研职业教育", starts_at=now + 2 * week)
    ongoing = f.ActivityFactory(
        term=world.term, theme="云协商营商环境", starts_at=now - week, ends_at=now + week
    )
    past = f.ActivityFactory(term=world.term, theme="上月座谈", starts_at=now - 4 * week)
    cancelled = f.ActivityFactory(
        term=world.term, theme="取消的视察", status=Activity.Status.CANCELLED
    )
    withdrawn = f.ActivityFactory(term=world.term, theme="已退出的调研")
    not_mine = f.ActivityFactory(term=world.term, theme="没有报名的活动")
    S = Participation.Signup
    for activity, signup in (
        (going, S.CONFIRMED),
        (waiting, S.WAITLISTED),
        (ongoing, S.CONFIRMED),
        (past, S.CONFIRMED),
        (cancelled, S.CONFIRMED),
        (withdrawn, S.WITHDRAWN),
    ):
        Participation.objects.create(activity=activity, member=world.member, signup=signup)
    Participation.objects.create(activity=not_mine, member=world.colleague, signup=S.CONFIRMED)

    html = login(world.member.person.user).get(reverse("home")).content.decode()

    card = html[html.index('data-testid="my-duties"') :]
    card = card[: card.index("</ul>")]
    shown = [a.theme for a in (ongoing, going, waiting) if a.theme in card]
    assert shown == ["云协商营商环境", "视察养老服务", "调研职业教育"]
    assert [card.index(t) for t in shown] == sorted(card.index(t) for t in shown)  # soonest first
    for hidden in (past, cancelled, withdrawn, not_mine):
        assert hidden.theme not in html
    assert "候补" in card and "进行中" in card
    assert reverse("duties:activity", args=[going.pk]) in card
    for quick in ("duties:menu", "duties:my_record", "duties:duty_new", "proposals:new"):
        assert reverse(quick) in html


def test_a_member_with_nothing_ahead_is_told_so_and_staff_see_no_such_card(world, login):
    html = login(world.member.person.user).get(reverse("home")).content.decode()
    assert "近期没有已报名的活动" in html

    html = login(world.staff).get(reverse("home")).content.decode()
    assert 'data-testid="my-duties"' not in html


def test_a_members_home_costs_the_same_queries_however_many_activities(world, login):
    client = login(world.member.person.user)
    before = _queries_for(client, reverse("home"))
    for _ in range(12):
        activity = f.ActivityFactory(term=world.term)
        Participation.objects.create(
            activity=activity, member=world.member, signup=Participation.Signup.CONFIRMED
        )
    html = client.get(reverse("home")).content.decode()
    assert html.count("/duties/") >= 5
    assert _queries_for(client, reverse("home")) == before


def test_home_query_count_does_not_grow(world, login):
    client = login(world.staff)
    before = _queries_for(client, reverse("home"))
    for _ in range(20):
        f.MemberFactory(term=world.term, sector=world.sector)
    assert _queries_for(client, reverse("home")) == before


def test_permission_codes_follow_roles(world):
    from members.permissions import viewer_for

    def codes(user):
        v = viewer_for(user)
        return {
            c
            for c in ("members.export_roster", "members.export_directory", "members.import_roster")
            if v.has_permission(c)
        }

    assert codes(world.member.person.user) == {"members.export_directory"}
    assert codes(world.leader) == {"members.export_roster", "members.export_directory"}
    assert codes(world.staff) == {
        "members.export_roster",
        "members.export_directory",
        "members.import_roster",
    }
    assert codes(world.admin) == {
        "members.export_roster",
        "members.export_directory",
        "members.import_roster",
    }
