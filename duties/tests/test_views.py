import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from duties import services
from duties.models import Activity, ActivityKind, Participation
from tests import factories as f


def _queries(client, url, params=None):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, params or {}).status_code == 200
    return len(ctx)


def test_member_browses_the_menu_and_signs_up(world, client):
    activity = f.ActivityFactory(term=world.term, theme="城东老旧小区改造视察", capacity=5)
    client.force_login(world.member.person.user)
    html = client.get(reverse("duties:menu")).content.decode()
    assert "城东老旧小区改造视察" in html
    response = client.post(reverse("duties:signup", args=[activity.pk]), follow=True)
    assert "报名成功" in response.content.decode()
    assert Participation.objects.get(activity=activity, member=world.member).signup == "confirmed"
    html = client.get(reverse("duties:menu"), {"mine": "1"}).content.decode()
    assert "城东老旧小区改造视察" in html


def test_drafts_and_other_bodies_activities_are_hidden_from_members(world, client):
    draft = f.ActivityFactory(term=world.term, theme="草稿活动", status=Activity.Status.DRAFT)
    other = f.ActivityFactory(term=world.other_term, theme="区里的活动")
    client.force_login(world.member.person.user)
    html = client.get(reverse("duties:menu")).content.decode()
    assert "草稿活动" not in html and "区里的活动" not in html
    assert client.get(reverse("duties:activity", args=[draft.pk])).status_code == 404
    assert client.get(reverse("duties:activity", args=[other.pk])).status_code == 404


def test_signup_after_deadline_shows_a_clear_message(world, client):
    activity = f.ActivityFactory(
        term=world.term, signup_deadline=timezone.now() - datetime.timedelta(hours=1)
    )
    client.force_login(world.member.person.user)
    response = client.post(reverse("duties:signup", args=[activity.pk]), follow=True)
    assert "报名已截止" in response.content.decode()
    assert not Participation.objects.exists()


def test_full_activity_offers_the_waiting_list(world, client):
    activity = f.ActivityFactory(term=world.term, capacity=1)
    services.signup(activity=activity, member=world.colleague)
    client.force_login(world.member.person.user)
    html = client.get(reverse("duties:activity", args=[activity.pk])).content.decode()
    assert "名额已满,报名候补" in html
    response = client.post(reverse("duties:signup", args=[activity.pk]), follow=True)
    assert "候补名单" in response.content.decode()


def test_staff_publish_an_activity_with_field_errors_first(world, client):
    client.force_login(world.staff)
    kind_page = client.get(reverse("duties:activity_new"))
    assert kind_page.status_code == 200
    kind = ActivityKind.objects.get(body=world.body, code="inspection")
    start = timezone.localtime() + datetime.timedelta(days=10)
    data = {
        "term": world.term.pk,
        "kind": kind.pk,
        "theme": "乡村振兴专题视察",
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start - datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "signup_deadline": (start + datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
        "organiser": "office",
        "audience": "group",
        "capacity": "0",
        "publish": "1",
    }
    html = client.post(reverse("duties:activity_new"), data).content.decode()
    for message in (
        "结束时间不能早于开始时间",
        "报名截止不能晚于活动开始",
        "请选择委员之家或填写地点",
        "请选择对象界别小组",
        "名额至少为1",
    ):
        assert message in html
    assert not Activity.objects.exists()
    data.update(
        ends_at=(start + datetime.timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
        signup_deadline=(start - datetime.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"),
        venue_text="某镇",
        audience_group=world.group.pk,
        capacity="20",
    )
    response = client.post(reverse("duties:activity_new"), data)
    assert response.status_code == 302
    activity = Activity.objects.get()
    assert activity.status == Activity.Status.PUBLISHED
    assert activity.created_by == world.staff


def test_convenor_publishes_for_their_group_only(world, client):
    client.force_login(world.convenor.person.user)
    response = client.get(reverse("duties:activity_new"))
    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.fields["organiser_group"].queryset) == [world.group]
    assert [c[0] for c in form.fields["organiser"].choices] == ["group"]


def test_members_cannot_publish(world, client):
    client.force_login(world.member.person.user)
    assert client.get(reverse("duties:activity_new")).status_code == 403


def test_attendance_page_bulk_then_exception(world, client):
    activity = f.ActivityFactory(term=world.term)
    for m in (world.member, world.colleague):
        services.signup(activity=activity, member=m)
    client.force_login(world.staff)
    client.post(reverse("duties:mark_all_present", args=[activity.pk]))
    client.post(
        reverse("duties:attendance", args=[activity.pk]),
        {"member": world.colleague.pk, "attendance": "absent"},
    )
    states = dict(
        Participation.objects.filter(activity=activity).values_list("member_id", "attendance")
    )
    assert states == {world.member.pk: "attended", world.colleague.pk: "absent"}
    html = client.get(reverse("duties:attendance", args=[activity.pk])).content.decode()
    assert "出席 1,请假 0,缺席 1" in html


def test_staff_record_who_spoke_and_the_role_stays_when_only_attendance_changes(world, client):
    activity = f.ActivityFactory(term=world.term)
    services.signup(activity=activity, member=world.member)
    client.force_login(world.staff)
    url = reverse("duties:attendance", args=[activity.pk])
    client.post(url, {"member": world.member.pk, "attendance": "attended", "role": "speaker"})
    row = Participation.objects.get(activity=activity, member=world.member)
    assert (row.attendance, row.role) == ("attended", "speaker")
    html = client.get(url).content.decode()
    assert '<option value="speaker" selected>' in html
    client.post(url, {"member": world.member.pk, "attendance": "absent"})
    row.refresh_from_db()
    assert (row.attendance, row.role) == ("absent", "speaker")
    response = client.post(
        url, {"member": world.member.pk, "attendance": "attended", "role": "chair"}
    )
    row.refresh_from_db()
    assert row.role == "speaker"  # an unknown role is refused, nothing changes
    assert response.status_code == 302


def test_excused_without_reason_is_refused_on_the_page(world, client):
    activity = f.ActivityFactory(term=world.term)
    services.signup(activity=activity, member=world.member)
    client.force_login(world.staff)
    response = client.post(
        reverse("duties:attendance", args=[activity.pk]),
        {"member": world.member.pk, "attendance": "excused"},
        follow=True,
    )
    assert "请假须填写事由" in response.content.decode()
    assert Participation.objects.get(member=world.member).attendance == ""


def test_member_requests_leave_and_staff_approve(world, client):
    activity = f.ActivityFactory(term=world.term)
    services.signup(activity=activity, member=world.member)
    client.force_login(world.member.person.user)
    client.post(reverse("duties:leave", args=[activity.pk]), {"reason": "出差"})
    p = Participation.objects.get(member=world.member)
    assert p.leave == "requested"
    client.force_login(world.staff)
    client.post(reverse("duties:leave_decide", args=[p.pk]), {"decision": "approve"})
    p.refresh_from_db()
    assert (p.leave, p.attendance) == ("approved", "excused")


def test_the_menu_opens_on_the_coming_activities(world, client):
    # given: one activity last year and one next week
    now = timezone.now()
    f.ActivityFactory(
        term=world.term,
        theme="去年的视察",
        starts_at=now - datetime.timedelta(days=300),
        ends_at=now - datetime.timedelta(days=300, hours=-3),
    )
    f.ActivityFactory(term=world.term, theme="下周的调研")
    client.force_login(world.member.person.user)

    # when: the menu is opened from the navigation bar, with no filter
    html = client.get(reverse("duties:menu")).content.decode()

    # then: the default filter (coming activities) applies, as when chosen
    assert "下周的调研" in html and "去年的视察" not in html
    chosen = client.get(reverse("duties:menu"), {"when": "upcoming"}).content.decode()
    assert "下周的调研" in chosen and "去年的视察" not in chosen
    past = client.get(reverse("duties:menu"), {"when": "past"}).content.decode()
    assert "去年的视察" in past and "下周的调研" not in past


def test_menu_query_count_does_not_grow(world, client):
    client.force_login(world.member.person.user)
    f.ActivityFactory(term=world.term)
    before = _queries(client, reverse("duties:menu"))
    for _ in range(15):
        a = f.ActivityFactory(term=world.term)
        services.signup(activity=a, member=world.member)
    assert _queries(client, reverse("duties:menu")) == before


def test_attendance_page_query_count_does_not_grow(world, client):
    activity = f.ActivityFactory(term=world.term)
    client.force_login(world.staff)
    services.signup(activity=activity, member=world.member)
    url = reverse("duties:attendance", args=[activity.pk])
    before = _queries(client, url)
    for _ in range(20):
        services.list_add(
            activity=activity,
            members=[f.MemberFactory(term=world.term, sector=world.sector)],
            by=world.staff,
        )
    assert _queries(client, url) == before


def test_kinds_are_data_staff_add_one(world, client):
    client.force_login(world.staff)
    client.post(reverse("duties:kinds"), {"body": world.body.pk})
    assert ActivityKind.objects.filter(body=world.body).count() > 10
    response = client.post(
        reverse("duties:kind_new") + f"?body={world.body.pk}",
        {
            "body": world.body.pk,
            "name": "委员读书会",
            "code": "reading",
            "category": "training",
            "order": 30,
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    assert ActivityKind.objects.get(body=world.body, code="reading").category == "training"
    response = client.post(
        reverse("duties:kind_new") + f"?body={world.body.pk}",
        {
            "body": world.body.pk,
            "name": "委员读书会",
            "code": "reading",
            "category": "training",
            "order": 30,
        },
    )
    assert "已有同名或同代码的活动类型" in response.content.decode()


@pytest.mark.parametrize("user", ["leader", "other_staff"])
def test_kinds_are_not_editable_by_others(world, client, user):
    client.force_login(getattr(world, user))
    kind = f.ActivityKindFactory(body=world.body)
    assert client.get(reverse("duties:kind_edit", args=[kind.pk])).status_code in (403, 404)


def test_attendance_page_lists_everyone_after_bulk_marking_and_filters(world, client):
    activity = f.ActivityFactory(term=world.term)
    for m in (world.member, world.colleague):
        services.signup(activity=activity, member=m)
    client.force_login(world.staff)
    client.post(reverse("duties:mark_all_present", args=[activity.pk]))
    services.attendance_record(
        activity=activity, member=world.colleague, attendance="absent", by=world.staff
    )
    url = reverse("duties:attendance", args=[activity.pk])
    assert [p.member_id for p in client.get(url).context["page"]] == [
        world.member.pk,
        world.colleague.pk,
    ]
    assert [p.member_id for p in client.get(url, {"state": "absent"}).context["page"]] == [
        world.colleague.pk
    ]
    assert [
        p.member_id for p in client.get(url, {"q": world.member.person.name}).context["page"]
    ] == [world.member.pk]
