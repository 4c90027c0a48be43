import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from consultations import services
from consultations.models import Consultation, FollowUp, OnlineComment
from duties import services as duties
from duties.models import Activity, Category, Participation
from tests import factories as f


def _create(world, room, when, **overrides):
    fields = {
        "term": world.term,
        "topic": "背街小巷停车难",
        "room": room,
        "starts_at": when[0],
        "ends_at": when[1],
        "member_convenor": world.convenor,
        "official_convenor_name": "张主任",
        "official_convenor_unit": "街道办事处",
        "members": [world.member, world.colleague],
        "by": world.staff,
    }
    fields.update(overrides)
    return services.consultation_create(**fields)


def _errors(excinfo) -> dict:
    return excinfo.value.message_dict


def _participation(session, member):
    return Participation.objects.get(activity=session.activity, member=member)


# consultation_create


def test_a_session_is_a_published_consultation_activity(world, room, when):
    session = _create(world, room, when)

    activity = Activity.objects.get(consultation=session)
    assert activity.kind.code == "community_consultation"
    assert activity.kind.category == Category.CONSULTATION
    assert activity.theme == "背街小巷停车难"
    assert activity.venue_home == room
    assert (activity.starts_at, activity.ends_at) == when
    assert activity.status == Activity.Status.PUBLISHED
    assert activity.audience == Activity.Audience.NAMED
    assert set(activity.audience_members.all()) == {world.convenor, world.member, world.colleague}
    assert activity.signed_up_count == 3
    assert session.status == Consultation.Status.OPEN


def test_the_member_convenor_is_listed_as_convenor_and_the_others_as_participants(
    world, room, when
):
    session = _create(world, room, when, members=[world.member, world.convenor])

    roles = {
        p.member_id: (p.role, p.signup, p.source)
        for p in Participation.objects.filter(activity=session.activity)
    }
    assert roles == {
        world.convenor.pk: ("convenor", "confirmed", "staff"),
        world.member.pk: ("participant", "confirmed", "staff"),
    }


def test_members_cannot_sign_themselves_up_for_a_session(world, session):
    with pytest.raises(duties.SignupRefused):
        duties.signup(activity=session.activity, member=world.other_member)


def test_attendance_of_a_session_is_recorded_like_any_activity(world, session):
    duties.attendance_mark_all_present(activity=session.activity, by=world.staff)

    attended = Participation.objects.filter(activity=session.activity).attended()
    assert set(attended.values_list("member_id", flat=True)) == {world.convenor.pk, world.member.pk}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"topic": "  "}, "topic"),
        ({"official_convenor_name": ""}, "official_convenor_name"),
        ({"official_convenor_unit": " "}, "official_convenor_unit"),
    ],
)
def test_create_refuses_missing_text(world, room, when, overrides, field):
    with pytest.raises(ValidationError) as excinfo:
        _create(world, room, when, **overrides)
    assert field in _errors(excinfo)
    assert not Activity.objects.exists()


def test_create_refuses_a_room_of_another_body(world, when):
    other_room = f.MemberHomeFactory(body=world.other_body)
    with pytest.raises(ValidationError) as excinfo:
        _create(world, other_room, when)
    assert _errors(excinfo) == {"room": ["议事室不属于本政协"]}


def test_create_refuses_an_end_before_the_start(world, room, when):
    with pytest.raises(ValidationError) as excinfo:
        _create(world, room, (when[1], when[0]))
    assert "ends_at" in _errors(excinfo)


def test_create_refuses_a_convenor_of_another_body(world, room, when):
    with pytest.raises(ValidationError) as excinfo:
        _create(world, room, when, member_convenor=world.outsider_member)
    assert "member_convenor" in _errors(excinfo)


def test_create_refuses_a_member_who_has_left(world, room, when):
    world.colleague.left_on = datetime.date(2025, 1, 1)
    world.colleague.left_reason = "resigned"
    world.colleague.save()
    with pytest.raises(ValidationError) as excinfo:
        _create(world, room, when)
    assert "members" in _errors(excinfo)
    assert not Consultation.objects.exists()


# consultation_update


def test_update_changes_the_activity_with_the_session(world, session, room, when):
    later = (when[0] + datetime.timedelta(days=1), when[1] + datetime.timedelta(days=1))
    services.consultation_update(
        consultation=session,
        topic="加装电梯资金分摊",
        room=room,
        starts_at=later[0],
        ends_at=later[1],
        member_convenor=world.convenor,
        official_convenor_name="王科长",
        official_convenor_unit="区住建局",
        by=world.staff,
    )

    session.refresh_from_db()
    session.activity.refresh_from_db()
    assert session.topic == session.activity.theme == "加装电梯资金分摊"
    assert session.activity.starts_at == later[0]


def test_a_new_member_convenor_takes_the_role_and_the_old_one_stays(world, session, room, when):
    services.consultation_update(
        consultation=session,
        topic=session.topic,
        room=room,
        starts_at=when[0],
        ends_at=when[1],
        member_convenor=world.colleague,
        official_convenor_name="王科长",
        official_convenor_unit="区住建局",
        by=world.staff,
    )

    assert _participation(session, world.colleague).role == "convenor"
    old = _participation(session, world.convenor)
    assert (old.role, old.signup) == ("participant", "confirmed")
    assert session.history.count() == 2


# participant_add / participant_remove


def test_participant_add_lists_the_member_with_a_role(world, session):
    participation = services.participant_add(
        consultation=session, member=world.other_member, role="speaker", by=world.staff
    )

    assert (participation.role, participation.signup) == ("speaker", "confirmed")
    assert session.activity.audience_members.filter(pk=world.other_member.pk).exists()


def test_adding_a_participant_again_changes_only_the_role(world, session):
    services.participant_add(
        consultation=session, member=world.member, role="speaker", by=world.staff
    )

    assert _participation(session, world.member).role == "speaker"
    assert Participation.objects.filter(activity=session.activity).count() == 2


def test_participant_add_refuses_the_convenor_role(world, session):
    with pytest.raises(ValidationError) as excinfo:
        services.participant_add(
            consultation=session, member=world.colleague, role="convenor", by=world.staff
        )
    assert "role" in _errors(excinfo)


def test_participant_add_refuses_the_member_convenor(world, session):
    with pytest.raises(ValidationError) as excinfo:
        services.participant_add(consultation=session, member=world.convenor, by=world.staff)
    assert "member" in _errors(excinfo)


def test_participant_add_refuses_a_member_of_another_body(world, session):
    with pytest.raises(ValidationError) as excinfo:
        services.participant_add(consultation=session, member=world.outsider_member, by=world.staff)
    assert "member" in _errors(excinfo)


def test_participant_remove_takes_the_member_off_the_list(world, session):
    assert services.participant_remove(consultation=session, member=world.member, by=world.staff)

    assert _participation(session, world.member).signup == "removed"
    assert not session.activity.audience_members.filter(pk=world.member.pk).exists()


def test_participant_remove_refuses_the_member_convenor(world, session):
    with pytest.raises(ValidationError):
        services.participant_remove(consultation=session, member=world.convenor, by=world.staff)
    assert _participation(session, world.convenor).signup == "confirmed"


# outside participants, suggestions, outcome


def test_outside_participants_have_a_name_unit_and_kind(world, session):
    person = services.outside_participant_add(
        consultation=session, name=" 王师傅 ", unit="3号楼", kind="resident", by=world.staff
    )
    assert (person.name, person.unit, person.get_kind_display()) == ("王师傅", "3号楼", "群众")


@pytest.mark.parametrize(
    ("name", "kind", "field"), [("", "resident", "name"), ("王师傅", "mayor", "kind")]
)
def test_outside_participant_add_refuses_bad_input(world, session, name, kind, field):
    with pytest.raises(ValidationError) as excinfo:
        services.outside_participant_add(
            consultation=session, name=name, unit="", kind=kind, by=world.staff
        )
    assert field in _errors(excinfo)


def test_suggestions_come_from_a_member_or_from_someone_named(world, session):
    by_member = services.suggestion_add(
        consultation=session, text="分楼栋征求意见", raised_by_member=world.member, by=world.staff
    )
    by_resident = services.suggestion_add(
        consultation=session,
        text="低层住户给予补偿",
        raised_by_name="李阿姨",
        by=world.convenor.person.user,
    )

    assert by_member.author == world.member.person.name
    assert by_resident.author == "李阿姨"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"text": " ", "raised_by_name": "李阿姨"}, "text"),
        ({"text": "建议"}, "raised_by_name"),
    ],
)
def test_suggestion_add_refuses_missing_text_or_author(world, session, kwargs, field):
    with pytest.raises(ValidationError) as excinfo:
        services.suggestion_add(consultation=session, by=world.staff, **kwargs)
    assert field in _errors(excinfo)


def test_suggestion_add_refuses_a_member_of_another_term(world, session):
    with pytest.raises(ValidationError) as excinfo:
        services.suggestion_add(
            consultation=session,
            text="建议",
            raised_by_member=world.outsider_member,
            by=world.staff,
        )
    assert "raised_by_member" in _errors(excinfo)


def test_a_corrected_outcome_keeps_the_old_text_in_the_history(world, session):
    services.outcome_set(consultation=session, outcome="分两期加装", by=world.staff)
    services.outcome_set(consultation=session, outcome="分三期加装", by=world.staff)

    session.refresh_from_db()
    assert session.outcome == "分三期加装"
    assert list(session.history.values_list("outcome", flat=True)) == [
        "分三期加装",
        "分两期加装",
        "",
    ]


def test_outcome_set_refuses_an_empty_outcome(world, session):
    with pytest.raises(ValidationError) as excinfo:
        services.outcome_set(consultation=session, outcome="  ", by=world.staff)
    assert "outcome" in _errors(excinfo)


# follow-up and solving


def test_followup_add_dates_an_entry(world, session):
    today = timezone.localdate()
    entry = services.followup_add(
        consultation=session, date=today, text="住建局已勘察", by=world.convenor.person.user
    )
    assert (entry.date, entry.text, entry.by) == (today, "住建局已勘察", world.convenor.person.user)


def test_followup_add_refuses_a_date_in_the_future(world, session):
    with pytest.raises(ValidationError) as excinfo:
        services.followup_add(
            consultation=session,
            date=timezone.localdate() + datetime.timedelta(days=1),
            text="x",
            by=world.staff,
        )
    assert "date" in _errors(excinfo)


def test_followup_add_refuses_a_date_before_the_session(world, session):
    with pytest.raises(ValidationError) as excinfo:
        services.followup_add(
            consultation=session,
            date=timezone.localdate() - datetime.timedelta(days=30),
            text="x",
            by=world.staff,
        )
    assert "date" in _errors(excinfo)


def test_followup_add_refuses_empty_text(world, session):
    with pytest.raises(ValidationError) as excinfo:
        services.followup_add(
            consultation=session, date=timezone.localdate(), text="", by=world.staff
        )
    assert "text" in _errors(excinfo)


def test_mark_solved_closes_the_problem_and_keeps_the_followup(world, session):
    services.followup_add(
        consultation=session, date=timezone.localdate(), text="已勘察", by=world.staff
    )
    services.outcome_set(consultation=session, outcome="分两期加装", by=world.staff)

    services.consultation_mark_solved(consultation=session, by=world.staff, note="电梯已投用")

    session.refresh_from_db()
    assert session.status == Consultation.Status.SOLVED
    assert session.solved_by == world.staff
    assert session.solved_at is not None
    assert list(session.followups.values_list("text", flat=True)) == ["已勘察", "电梯已投用"]
    assert session.history.first().status == "solved"


def test_mark_solved_refuses_without_an_outcome(world, session):
    with pytest.raises(ValidationError, match="协商成果"):
        services.consultation_mark_solved(consultation=session, by=world.staff)
    session.refresh_from_db()
    assert session.status == Consultation.Status.OPEN


def test_mark_solved_refuses_when_already_solved(world, session):
    services.outcome_set(consultation=session, outcome="分两期加装", by=world.staff)
    services.consultation_mark_solved(consultation=session, by=world.staff)
    first = Consultation.objects.get(pk=session.pk).solved_at

    with pytest.raises(ValidationError, match="已标记为解决"):
        services.consultation_mark_solved(consultation=session, by=world.admin)

    session.refresh_from_db()
    assert (session.solved_at, session.solved_by) == (first, world.staff)
    assert session.followups.count() == 1


def test_no_followup_once_solved(world, session):
    services.outcome_set(consultation=session, outcome="分两期加装", by=world.staff)
    services.consultation_mark_solved(consultation=session, by=world.staff)

    with pytest.raises(ValidationError, match="已标记为解决"):
        services.followup_add(
            consultation=session, date=timezone.localdate(), text="x", by=world.staff
        )


# online consultations


def test_an_online_consultation_has_an_activity_of_its_own_kind(world, online):
    activity = online.activity
    assert (activity.kind.name, activity.kind.code) == ("云协商", "online_consultation")
    assert activity.kind.category == Category.CONSULTATION
    assert activity.status == Activity.Status.PUBLISHED
    assert (activity.starts_at, activity.ends_at) == (online.opens_at, online.closes_at)
    assert not activity.audience_members.exists()


def test_online_consultation_create_refuses_a_close_before_the_opening(world):
    now = timezone.now()
    with pytest.raises(ValidationError) as excinfo:
        services.online_consultation_create(
            term=world.term, topic="x", opens_at=now, closes_at=now, by=world.staff
        )
    assert "closes_at" in _errors(excinfo)


def test_online_consultation_create_refuses_an_empty_topic(world):
    now = timezone.now()
    with pytest.raises(ValidationError) as excinfo:
        services.online_consultation_create(
            term=world.term,
            topic="",
            opens_at=now,
            closes_at=now + datetime.timedelta(days=1),
            by=world.staff,
        )
    assert "topic" in _errors(excinfo)


def test_online_consultation_update_moves_the_activity_too(world, online):
    closes = online.closes_at + datetime.timedelta(days=3)
    services.online_consultation_update(
        online=online,
        topic="公园夜间开放时段",
        opens_at=online.opens_at,
        closes_at=closes,
        by=world.staff,
    )
    online.activity.refresh_from_db()
    assert (online.activity.theme, online.activity.ends_at) == ("公园夜间开放时段", closes)


def test_a_comment_counts_as_attending_the_online_consultation(world, online):
    services.comment_post(online=online, member=world.member, text="赞成延长开放")
    services.comment_post(online=online, member=world.member, text="另外建议增加照明")

    participation = Participation.objects.get(activity=online.activity)
    assert participation.member == world.member
    assert (participation.signup, participation.attendance) == ("confirmed", "attended")
    assert online.activity.audience_members.filter(pk=world.member.pk).exists()


@pytest.mark.parametrize(
    ("offset", "message"),
    [(datetime.timedelta(days=-2), "尚未开始"), (datetime.timedelta(days=8), "已截止")],
)
def test_comment_post_refuses_outside_the_open_period(world, online, offset, message):
    with pytest.raises(ValidationError, match=message):
        services.comment_post(
            online=online, member=world.member, text="意见", now=timezone.now() + offset
        )
    assert not OnlineComment.objects.exists()
    assert not Participation.objects.filter(activity=online.activity).exists()


def test_comment_post_refuses_a_member_of_another_body(world, online):
    with pytest.raises(ValidationError, match="不是本届在任委员"):
        services.comment_post(online=online, member=world.outsider_member, text="意见")


def test_comment_post_refuses_a_member_who_has_left(world, online):
    world.member.left_on = datetime.date(2025, 1, 1)
    world.member.left_reason = "resigned"
    world.member.save()
    with pytest.raises(ValidationError, match="不是本届在任委员"):
        services.comment_post(online=online, member=world.member, text="意见")


def test_comment_post_refuses_empty_text(world, online):
    with pytest.raises(ValidationError) as excinfo:
        services.comment_post(online=online, member=world.member, text="   ")
    assert "text" in _errors(excinfo)


def test_comment_hide_needs_a_reason(world, online):
    comment = services.comment_post(online=online, member=world.member, text="广告")
    with pytest.raises(ValidationError) as excinfo:
        services.comment_hide(comment=comment, by=world.staff, reason=" ")
    assert "reason" in _errors(excinfo)


def test_hiding_the_only_comment_takes_the_member_off_the_attendance(world, online):
    comment = services.comment_post(online=online, member=world.member, text="广告")

    services.comment_hide(comment=comment, by=world.staff, reason="与议题无关")

    comment.refresh_from_db()
    assert (comment.hidden, comment.hidden_by, comment.hidden_reason) == (
        True,
        world.staff,
        "与议题无关",
    )
    participation = Participation.objects.get(activity=online.activity, member=world.member)
    assert (participation.signup, participation.attendance) == ("removed", "")
    online.activity.refresh_from_db()
    assert online.activity.signed_up_count == 0


def test_hiding_one_of_several_comments_keeps_the_attendance(world, online):
    comment = services.comment_post(online=online, member=world.member, text="广告")
    services.comment_post(online=online, member=world.member, text="赞成")

    services.comment_hide(comment=comment, by=world.staff, reason="与议题无关")

    participation = Participation.objects.get(activity=online.activity, member=world.member)
    assert (participation.signup, participation.attendance) == ("confirmed", "attended")


def test_commenting_again_after_a_hidden_comment_counts_again(world, online):
    comment = services.comment_post(online=online, member=world.member, text="广告")
    services.comment_hide(comment=comment, by=world.staff, reason="与议题无关")

    services.comment_post(online=online, member=world.member, text="赞成")

    participation = Participation.objects.get(activity=online.activity, member=world.member)
    assert (participation.signup, participation.attendance) == ("confirmed", "attended")


def test_hiding_twice_keeps_the_first_reason(world, online):
    comment = services.comment_post(online=online, member=world.member, text="广告")
    services.comment_hide(comment=comment, by=world.staff, reason="与议题无关")

    services.comment_hide(comment=comment, by=world.admin, reason="另一个原因")

    comment.refresh_from_db()
    assert (comment.hidden_by, comment.hidden_reason) == (world.staff, "与议题无关")
    assert FollowUp.objects.count() == 0
