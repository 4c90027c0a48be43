import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from duties import services
from duties.models import Activity, Participation
from members.models import Notice
from tests import factories as f


@pytest.fixture
def activity(world):
    return f.ActivityFactory(term=world.term, capacity=2)


def test_signup_fills_seats_then_the_waiting_list(world, activity):
    a = services.signup(activity=activity, member=world.member)
    b = services.signup(activity=activity, member=world.colleague)
    c = services.signup(activity=activity, member=world.other_member)
    assert (a.signup, b.signup, c.signup) == ("confirmed", "confirmed", "waitlisted")
    activity.refresh_from_db()
    assert activity.signed_up_count == 2
    assert activity.seats_left == 0


def test_a_double_signup_changes_nothing(world, activity):
    first = services.signup(activity=activity, member=world.member)
    again = services.signup(activity=activity, member=world.member)
    assert first.pk == again.pk
    activity.refresh_from_db()
    assert activity.signed_up_count == 1


def test_withdrawing_moves_the_first_on_the_waiting_list_up_and_tells_them(
    world, activity, django_capture_on_commit_callbacks
):
    services.signup(activity=activity, member=world.member)
    services.signup(activity=activity, member=world.colleague)
    services.signup(activity=activity, member=world.other_member)
    services.signup(activity=activity, member=world.convenor)
    with django_capture_on_commit_callbacks(execute=True):
        services.withdraw(activity=activity, member=world.member)
    states = dict(
        Participation.objects.filter(activity=activity).values_list("member_id", "signup")
    )
    assert states[world.member.pk] == "withdrawn"
    assert states[world.other_member.pk] == "confirmed"  # first in line
    assert states[world.convenor.pk] == "waitlisted"
    activity.refresh_from_db()
    assert activity.signed_up_count == 2
    assert Notice.objects.filter(
        person=world.other_member.person, title__contains="候补转正"
    ).exists()


def test_signup_after_the_deadline_is_refused(world, activity):
    later = activity.signup_deadline + datetime.timedelta(minutes=1)
    with pytest.raises(ValidationError, match="报名已截止"):
        services.signup(activity=activity, member=world.member, now=later)
    assert not Participation.objects.exists()


def test_signup_outside_the_audience_is_refused(world):
    activity = f.ActivityFactory(
        term=world.term, audience=Activity.Audience.GROUP, audience_group=world.group
    )
    services.signup(activity=activity, member=world.member)
    with pytest.raises(ValidationError, match="参加对象之内"):
        services.signup(activity=activity, member=world.other_member)


def test_signup_for_a_standing_only_activity(world):
    activity = f.ActivityFactory(term=world.term, audience=Activity.Audience.STANDING)
    world.colleague.is_standing = True
    world.colleague.save()
    services.signup(activity=activity, member=world.colleague)
    with pytest.raises(ValidationError):
        services.signup(activity=activity, member=world.member)


def test_signup_for_a_cancelled_activity_is_refused(world, activity):
    services.activity_cancel(activity=activity, by=world.staff, reason="天气原因")
    with pytest.raises(ValidationError, match="活动已取消"):
        services.signup(activity=activity, member=world.member)


def test_cancelling_keeps_the_list_and_notifies_everyone_on_it(
    world, activity, django_capture_on_commit_callbacks
):
    services.signup(activity=activity, member=world.member)
    services.signup(activity=activity, member=world.colleague)
    services.signup(activity=activity, member=world.other_member)  # waiting
    with django_capture_on_commit_callbacks(execute=True):
        services.activity_cancel(activity=activity, by=world.staff, reason="天气原因")
    assert Participation.objects.filter(activity=activity).count() == 3
    told = set(
        Notice.objects.filter(title__contains="活动取消").values_list("person_id", flat=True)
    )
    assert told == {world.member.person_id, world.colleague.person_id, world.other_member.person_id}


def test_cancel_needs_a_reason(world, activity):
    with pytest.raises(ValidationError):
        services.activity_cancel(activity=activity, by=world.staff, reason=" ")
    activity.refresh_from_db()
    assert activity.status == Activity.Status.PUBLISHED


def test_required_attendance_lists_every_audience_member_without_signup(world):
    activity = f.ActivityFactory(
        term=world.term,
        status=Activity.Status.DRAFT,
        required_attendance=True,
        kind=f.ActivityKindFactory(body=world.body, code="plenary"),
    )
    services.activity_publish(activity=activity, by=world.staff)
    listed = set(
        Participation.objects.filter(activity=activity).values_list("member_id", flat=True)
    )
    assert listed == {world.member.pk, world.colleague.pk, world.other_member.pk, world.convenor.pk}
    with pytest.raises(ValidationError, match="无需报名"):
        services.signup(activity=activity, member=world.member)


def test_staff_add_and_remove_with_notices(world, activity, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.list_add(
            activity=activity,
            members=[world.member, world.colleague, world.other_member],
            by=world.staff,
        )
    activity.refresh_from_db()
    assert activity.signed_up_count == 3
    assert activity.capacity == 3  # staff went past the capacity on purpose
    assert Notice.objects.filter(
        person=world.member.person, title__contains="已安排您参加"
    ).exists()
    with django_capture_on_commit_callbacks(execute=True):
        services.list_remove(activity=activity, member=world.colleague, by=world.staff)
    assert Notice.objects.filter(person=world.colleague.person, title__contains="名单调整").exists()
    activity.refresh_from_db()
    assert activity.signed_up_count == 2


def test_confirming_the_list_closes_signup_and_tells_the_list(
    world, activity, django_capture_on_commit_callbacks
):
    services.signup(activity=activity, member=world.member)
    with django_capture_on_commit_callbacks(execute=True):
        services.list_confirm(activity=activity, by=world.staff)
    activity.refresh_from_db()
    assert activity.status == Activity.Status.CONFIRMED
    assert not activity.signup_open()
    assert Notice.objects.filter(person=world.member.person, title__contains="名单已确定").exists()


def test_bulk_present_then_fix_exceptions(world, activity):
    for m in (world.member, world.colleague):
        services.signup(activity=activity, member=m)
    services.leave_request(activity=activity, member=world.colleague, reason="出差")
    services.leave_decide(
        participation=Participation.objects.get(member=world.colleague),
        approve=True,
        by=world.staff,
    )
    assert services.attendance_mark_all_present(activity=activity, by=world.staff) == 1
    states = dict(
        Participation.objects.filter(activity=activity).values_list("member_id", "attendance")
    )
    assert states == {world.member.pk: "attended", world.colleague.pk: "excused"}
    services.attendance_record(
        activity=activity, member=world.member, attendance="absent", by=world.staff
    )
    assert Participation.objects.get(member=world.member).attendance == "absent"


def test_excused_by_staff_needs_a_reason(world, activity):
    services.signup(activity=activity, member=world.member)
    with pytest.raises(ValidationError):
        services.attendance_record(
            activity=activity, member=world.member, attendance="excused", by=world.staff
        )
    p = services.attendance_record(
        activity=activity, member=world.member, attendance="excused", reason="生病", by=world.staff
    )
    assert p.leave_reason == "生病"


def test_attendance_on_a_cancelled_activity_is_refused(world, activity):
    services.signup(activity=activity, member=world.member)
    services.activity_cancel(activity=activity, by=world.staff, reason="改期")
    with pytest.raises(ValidationError, match="已取消"):
        services.attendance_record(
            activity=activity, member=world.member, attendance="attended", by=world.staff
        )
    assert Participation.objects.get(member=world.member).attendance == ""


def test_a_member_who_came_without_signing_up_is_added_when_marked(world, activity):
    services.signup(activity=activity, member=world.member)
    services.signup(activity=activity, member=world.colleague)
    services.attendance_record(
        activity=activity, member=world.other_member, attendance="attended", by=world.staff
    )
    activity.refresh_from_db()
    assert activity.signed_up_count == 3
    assert activity.capacity == 3


def test_leave_request_flow(world, activity, django_capture_on_commit_callbacks):
    services.signup(activity=activity, member=world.member)
    with pytest.raises(ValidationError):
        services.leave_request(activity=activity, member=world.member, reason="")
    p = services.leave_request(activity=activity, member=world.member, reason="出国")
    assert p.leave == "requested"
    with django_capture_on_commit_callbacks(execute=True):
        p = services.leave_decide(participation=p, approve=False, by=world.staff)
    assert p.leave == "refused"
    assert p.attendance == ""
    assert Notice.objects.filter(person=world.member.person, title__contains="请假未批准").exists()


def test_leave_after_the_start_is_refused(world, activity):
    services.signup(activity=activity, member=world.member)
    with pytest.raises(ValidationError, match="已开始"):
        services.leave_request(
            activity=activity,
            member=world.member,
            reason="迟到",
            now=activity.starts_at + datetime.timedelta(minutes=5),
        )


def test_withdraw_after_deadline_is_refused(world, activity):
    services.signup(activity=activity, member=world.member)
    with pytest.raises(ValidationError):
        services.withdraw(
            activity=activity,
            member=world.member,
            now=activity.signup_deadline + datetime.timedelta(hours=1),
        )


def test_default_kinds_are_added_once(world):
    n = services.activity_kinds_ensure_defaults(body=world.body)
    assert n == len(services.DEFAULT_KINDS)
    assert services.activity_kinds_ensure_defaults(body=world.body) == 0


def test_database_refuses_an_overfilled_activity(world, activity):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Activity.objects.filter(pk=activity.pk).update(signed_up_count=3)


def test_timezone_is_aware(world, activity):
    assert timezone.is_aware(activity.starts_at)
