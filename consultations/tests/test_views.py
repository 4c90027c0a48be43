import datetime
import zoneinfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from consultations import services
from consultations.models import Consultation, OnlineComment
from duties.models import Participation
from tests import factories as f

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def _login(client, user):
    client.force_login(user)
    return client


def _sessions(world, room, n, *, year=None):
    start = timezone.now() - datetime.timedelta(days=3)
    if year:
        start = start.replace(year=year)
    for i in range(n):
        member = f.MemberFactory(term=world.term)
        session = services.consultation_create(
            term=world.term,
            topic=f"议题{i}",
            room=room,
            starts_at=start,
            ends_at=start + datetime.timedelta(hours=2),
            member_convenor=member,
            official_convenor_name="王科长",
            official_convenor_unit="区住建局",
            members=[world.member],
            by=world.staff,
        )
        services.suggestion_add(
            consultation=session, text="建议", raised_by_name="李阿姨", by=world.staff
        )


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


def _form_data(world, room, **overrides):
    data = {
        "term": world.term.pk,
        "topic": "背街小巷停车难",
        "room": room.pk,
        "starts_at": "2026-03-02T14:30",
        "ends_at": "2026-03-02T16:30",
        "member_convenor": world.convenor.pk,
        "official_convenor_name": "张主任",
        "official_convenor_unit": "街道办事处",
        "members": [world.member.pk, world.colleague.pk],
    }
    data.update(overrides)
    return data


# the list of sessions


def test_the_list_does_not_grow_with_rows(client, world, room):
    _login(client, world.member.person.user)
    _sessions(world, room, 2)
    few = _queries(client, reverse("consultations:list"))
    _sessions(world, room, 12)
    # session, user, viewer (roles, seats), count, page of sessions with counts,
    # years, may-create: the same however many sessions there are.
    assert _queries(client, reverse("consultations:list")) == few


def test_the_list_filters_by_status_and_year(client, world, room, session):
    _sessions(world, room, 1, year=2024)
    services.outcome_set(consultation=session, outcome="分两期加装", by=world.staff)
    services.consultation_mark_solved(consultation=session, by=world.staff)
    _login(client, world.member.person.user)

    solved = client.get(reverse("consultations:list"), {"status": "solved"})
    of_2024 = client.get(reverse("consultations:list"), {"year": "2024"})

    assert [c.topic for c in solved.context["page"].object_list] == ["老旧小区加装电梯"]
    assert [c.topic for c in of_2024.context["page"].object_list] == ["议题0"]
    assert 2024 in of_2024.context["years"]


def test_the_list_shows_nothing_of_another_body(client, world, session):
    _login(client, world.other_staff)
    response = client.get(reverse("consultations:list"))
    assert list(response.context["page"].object_list) == []


# creating and editing a session


def test_staff_create_a_session_with_its_participants(client, world, room):
    _login(client, world.staff)
    response = client.post(reverse("consultations:create"), _form_data(world, room))

    session = Consultation.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("consultations:detail", args=[session.pk])
    assert session.activity.starts_at == datetime.datetime(2026, 3, 2, 14, 30, tzinfo=SHANGHAI)
    listed = Participation.objects.filter(activity=session.activity).on_list()
    assert set(listed.values_list("member_id", flat=True)) == {
        world.convenor.pk,
        world.member.pk,
        world.colleague.pk,
    }


def test_the_create_form_offers_the_current_members_of_the_term(client, world, room):
    _login(client, world.staff)
    form = client.get(reverse("consultations:create")).context["form"]
    offered = set(form.fields["members"].queryset)
    assert world.member in offered
    assert world.outsider_member not in offered


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"topic": " "}, "topic", "这个字段是必填项。"),
        ({"ends_at": "2026-03-02T12:00"}, "ends_at", "结束时间不能早于开始时间"),
        ({"starts_at": "明天下午"}, "starts_at", "输入一个有效的日期/时间。"),
    ],
)
def test_bad_input_is_shown_on_its_field_in_chinese(client, world, room, overrides, field, message):
    _login(client, world.staff)
    response = client.post(reverse("consultations:create"), _form_data(world, room, **overrides))

    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    assert 'aria-invalid="true"' in response.content.decode()
    assert not Consultation.objects.exists()


def test_a_convenor_of_another_body_is_refused_on_the_field(client, world, room):
    _login(client, world.staff)
    response = client.post(
        reverse("consultations:create"),
        _form_data(world, room, member_convenor=world.outsider_member.pk),
    )
    assert "member_convenor" in response.context["form"].errors


def test_staff_edit_a_session(client, world, room, session):
    _login(client, world.staff)
    data = _form_data(world, room, topic="加装电梯资金分摊")
    del data["members"]
    response = client.post(reverse("consultations:edit", args=[session.pk]), data)

    assert response.status_code == 302
    session.refresh_from_db()
    assert session.topic == "加装电梯资金分摊"


# the session's page


def test_the_session_page_shows_everything_recorded(client, world, session):
    services.outside_participant_add(
        consultation=session, name="李阿姨", unit="东坡小区", kind="resident", by=world.staff
    )
    services.suggestion_add(
        consultation=session, text="分楼栋征求意见", raised_by_member=world.member, by=world.staff
    )
    services.outcome_set(consultation=session, outcome="分两期加装", by=world.staff)
    services.followup_add(
        consultation=session, date=timezone.localdate(), text="住建局已勘察", by=world.staff
    )
    _login(client, world.other_member.person.user)

    page = client.get(reverse("consultations:detail", args=[session.pk])).content.decode()

    for text in (
        "老旧小区加装电梯",
        "东坡社区议事室",
        "王科长",
        "区住建局",
        world.convenor.person.name,
        world.member.person.name,
        "召集",
        "李阿姨",
        "分楼栋征求意见",
        "分两期加装",
        "住建局已勘察",
    ):
        assert text in page
    assert reverse("consultations:suggestion_add", args=[session.pk]) not in page
    assert reverse("consultations:solve", args=[session.pk]) not in page


def test_the_member_convenor_sees_the_recording_links_but_not_the_staff_ones(
    client, world, session
):
    _login(client, world.convenor.person.user)
    page = client.get(reverse("consultations:detail", args=[session.pk])).content.decode()
    assert reverse("consultations:followup_add", args=[session.pk]) in page
    assert reverse("consultations:edit", args=[session.pk]) not in page
    assert reverse("consultations:solve", args=[session.pk]) not in page


def test_the_session_page_does_not_grow_with_rows(client, world, session):
    _login(client, world.staff)
    url = reverse("consultations:detail", args=[session.pk])
    few = _queries(client, url)
    for i in range(8):
        services.participant_add(
            consultation=session, member=f.MemberFactory(term=world.term), by=world.staff
        )
        services.suggestion_add(
            consultation=session, text=f"建议{i}", raised_by_member=world.member, by=world.staff
        )
        services.followup_add(
            consultation=session, date=timezone.localdate(), text=f"跟进{i}", by=world.staff
        )
    assert _queries(client, url) == few


# recording: suggestions, outcome, follow-up, solving


def test_the_member_convenor_records_a_suggestion(client, world, session):
    _login(client, world.convenor.person.user)
    response = client.post(
        reverse("consultations:suggestion_add", args=[session.pk]),
        {"text": "低层住户给予补偿", "raised_by_name": "李阿姨"},
    )
    assert response.status_code == 302
    assert session.suggestions.get().author == "李阿姨"


def test_a_suggestion_without_an_author_is_refused_on_the_field(client, world, session):
    _login(client, world.staff)
    response = client.post(
        reverse("consultations:suggestion_add", args=[session.pk]), {"text": "建议"}
    )
    assert response.context["form"].errors == {"raised_by_name": ["请选择提出的委员或填写提出人"]}


def test_a_followup_in_the_future_is_refused_on_the_date(client, world, session):
    _login(client, world.convenor.person.user)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    response = client.post(
        reverse("consultations:followup_add", args=[session.pk]),
        {"date": tomorrow.isoformat(), "text": "x"},
    )
    assert response.context["form"].errors == {"date": ["日期不能晚于今天"]}


def test_the_outcome_is_saved(client, world, session):
    _login(client, world.convenor.person.user)
    client.post(reverse("consultations:outcome", args=[session.pk]), {"outcome": "分两期加装"})
    session.refresh_from_db()
    assert session.outcome == "分两期加装"


def test_solving_without_an_outcome_is_refused_with_a_message(client, world, session):
    _login(client, world.staff)
    response = client.post(reverse("consultations:solve", args=[session.pk]), follow=True)
    assert "请先填写协商成果" in response.content.decode()
    session.refresh_from_db()
    assert not session.is_solved


def test_staff_mark_a_session_solved_and_followup_stops(client, world, session):
    services.outcome_set(consultation=session, outcome="分两期加装", by=world.staff)
    _login(client, world.staff)

    client.post(reverse("consultations:solve", args=[session.pk]), {"note": "电梯已投用"})
    response = client.post(
        reverse("consultations:followup_add", args=[session.pk]),
        {"date": timezone.localdate().isoformat(), "text": "又一次跟进"},
    )

    session.refresh_from_db()
    assert session.is_solved
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == ["问题已标记为解决,不能再添加跟进记录"]


def test_participants_are_added_and_removed_by_staff(client, world, session):
    _login(client, world.staff)
    client.post(
        reverse("consultations:participant_add", args=[session.pk]),
        {"member": world.other_member.pk, "role": "speaker"},
    )
    client.post(reverse("consultations:participant_remove", args=[session.pk, world.member.pk]))

    on_list = dict(
        Participation.objects.filter(activity=session.activity)
        .on_list()
        .values_list("member_id", "role")
    )
    assert on_list == {world.convenor.pk: "convenor", world.other_member.pk: "speaker"}


def test_removing_the_member_convenor_is_refused_with_a_message(client, world, session):
    _login(client, world.staff)
    response = client.post(
        reverse("consultations:participant_remove", args=[session.pk, world.convenor.pk]),
        follow=True,
    )
    assert "不能移除委员召集人" in response.content.decode()


def test_outside_participants_are_added_and_removed(client, world, session):
    _login(client, world.staff)
    client.post(
        reverse("consultations:outsider_add", args=[session.pk]),
        {"name": "赵工", "unit": "区住建局", "kind": "official"},
    )
    outsider = session.outside_participants.get()
    assert outsider.get_kind_display() == "部门人员"

    client.post(reverse("consultations:outsider_remove", args=[outsider.pk]))
    assert not session.outside_participants.exists()


# online consultations


def test_a_member_comments_and_is_counted_as_attending(client, world, online):
    _login(client, world.member.person.user)
    response = client.post(
        reverse("consultations:comment_post", args=[online.pk]), {"text": "赞成延长开放"}
    )

    assert response.status_code == 302
    assert OnlineComment.objects.get().member == world.member
    participation = Participation.objects.get(activity=online.activity)
    assert participation.attendance == "attended"


def test_an_empty_comment_is_refused_on_the_field(client, world, online):
    _login(client, world.member.person.user)
    response = client.post(reverse("consultations:comment_post", args=[online.pk]), {"text": " "})
    assert response.status_code == 200
    assert response.context["comment_form"].errors == {"text": ["这个字段是必填项。"]}


def test_a_comment_after_the_close_is_refused(client, world, online):
    online.closes_at = timezone.now() - datetime.timedelta(minutes=1)
    online.save()
    _login(client, world.member.person.user)

    response = client.post(reverse("consultations:comment_post", args=[online.pk]), {"text": "x"})

    assert response.context["comment_form"].non_field_errors() == ["云协商已截止"]
    assert not OnlineComment.objects.exists()


def test_the_comment_form_shows_only_while_open_and_only_to_members(client, world, online):
    url = reverse("consultations:online_detail", args=[online.pk])
    action = reverse("consultations:comment_post", args=[online.pk])
    assert action in _login(client, world.member.person.user).get(url).content.decode()
    assert action not in _login(client, world.staff).get(url).content.decode()


def test_a_hidden_comment_shows_to_staff_and_its_author_only(client, world, online):
    comment = services.comment_post(online=online, member=world.member, text="推销广告")
    _login(client, world.staff)
    response = client.post(
        reverse("consultations:comment_hide", args=[comment.pk]), {"reason": "与议题无关"}
    )
    assert response.status_code == 302

    url = reverse("consultations:online_detail", args=[online.pk])
    assert "推销广告" in _login(client, world.staff).get(url).content.decode()
    author_page = _login(client, world.member.person.user).get(url).content.decode()
    assert "推销广告" in author_page
    assert "与议题无关" in author_page
    assert "推销广告" not in _login(client, world.colleague.person.user).get(url).content.decode()


def test_hiding_needs_a_reason(client, world, online):
    comment = services.comment_post(online=online, member=world.member, text="推销广告")
    _login(client, world.staff)
    response = client.post(reverse("consultations:comment_hide", args=[comment.pk]), {})
    assert response.context["form"].errors == {"reason": ["这个字段是必填项。"]}


def test_staff_start_an_online_consultation(client, world):
    _login(client, world.staff)
    response = client.post(
        reverse("consultations:online_create"),
        {
            "term": world.term.pk,
            "topic": "城市公园夜间开放",
            "description": "",
            "opens_at": "2026-03-01T08:00",
            "closes_at": "2026-03-01T08:00",
        },
    )
    assert response.context["form"].errors == {"closes_at": ["截止时间应晚于开始时间"]}


def test_the_online_list_does_not_grow_with_rows(client, world):
    _login(client, world.member.person.user)
    now = timezone.now()

    def start(n):
        for i in range(n):
            online = services.online_consultation_create(
                term=world.term,
                topic=f"议题{i}",
                opens_at=now - datetime.timedelta(days=1),
                closes_at=now + datetime.timedelta(days=1),
                by=world.staff,
            )
            services.comment_post(online=online, member=world.member, text="赞成")

    start(2)
    few = _queries(client, reverse("consultations:online_list"))
    start(10)
    assert _queries(client, reverse("consultations:online_list")) == few


def test_the_online_detail_does_not_grow_with_comments(client, world, online):
    _login(client, world.staff)
    url = reverse("consultations:online_detail", args=[online.pk])
    services.comment_post(online=online, member=world.member, text="赞成")
    few = _queries(client, url)
    for member in f.MemberFactory.create_batch(6, term=world.term):
        services.comment_post(online=online, member=member, text="赞成")
    assert _queries(client, url) == few
