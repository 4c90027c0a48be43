import datetime

from django.utils import timezone

from duties import tasks
from duties.models import Activity, Participation
from duties.reminders import reminders_activity_eve_send, reminders_signup_deadline_send
from duties.services import activity_cancel, activity_publish, signup, withdraw
from members.models import Notice
from tests import factories as f

# 10:00 in Shanghai on 12 May 2026.
NOW = datetime.datetime(2026, 5, 12, 2, 0, tzinfo=datetime.UTC)
TOMORROW_EVENING = datetime.datetime(2026, 5, 13, 12, 0, tzinfo=datetime.UTC)  # 20:00 local


def _activity(world, *, starts_at, deadline=None, **kwargs):
    activity = f.ActivityFactory(
        term=world.term,
        status=Activity.Status.DRAFT,
        starts_at=starts_at,
        ends_at=starts_at + datetime.timedelta(hours=2),
        signup_deadline=deadline,
        created_by=world.staff,
        **kwargs,
    )
    return activity_publish(activity=activity, by=world.staff)


def _told(key_part):
    return set(Notice.objects.filter(key__contains=key_part).values_list("person_id", flat=True))


def test_deadline_tomorrow_reminds_who_has_not_answered(world):
    # given
    activity = _activity(
        world,
        starts_at=NOW + datetime.timedelta(days=5),
        deadline=TOMORROW_EVENING,
        audience=Activity.Audience.GROUP,
        audience_group=world.group,
    )
    later = _activity(
        world,
        starts_at=NOW + datetime.timedelta(days=5),
        deadline=TOMORROW_EVENING + datetime.timedelta(days=1),
    )
    signup(activity=activity, member=world.member, now=NOW)
    signup(activity=activity, member=world.colleague, now=NOW)
    withdraw(activity=activity, member=world.colleague, now=NOW)
    # when
    sent = reminders_signup_deadline_send(now=NOW)
    # then: the convenor only (member signed up, colleague withdrew, other group not asked)
    assert sent == 1
    assert _told(f"activity:{activity.pk}:deadline-tomorrow") == {world.convenor.person_id}
    assert not _told(f"activity:{later.pk}:")
    notice = Notice.objects.get(person=world.convenor.person)
    assert activity.theme in notice.title
    assert notice.url == f"/duties/{activity.pk}/"


def test_deadline_reminders_skip_required_and_cancelled_activities(world):
    _activity(
        world,
        starts_at=NOW + datetime.timedelta(days=5),
        deadline=TOMORROW_EVENING,
        required_attendance=True,
    )
    cancelled = _activity(
        world, starts_at=NOW + datetime.timedelta(days=5), deadline=TOMORROW_EVENING
    )
    activity_cancel(activity=cancelled, by=world.staff, reason="改期")
    Notice.objects.all().delete()
    assert reminders_signup_deadline_send(now=NOW) == 0


def test_deadline_reminders_are_sent_once(world):
    _activity(world, starts_at=NOW + datetime.timedelta(days=5), deadline=TOMORROW_EVENING)
    first = reminders_signup_deadline_send(now=NOW)
    again = reminders_signup_deadline_send(now=NOW + datetime.timedelta(hours=3))
    assert first == 4  # member, colleague, other member, convenor
    assert again == 0
    assert Notice.objects.filter(key__contains="deadline-tomorrow").count() == 4


def test_activity_tomorrow_reminds_the_list(world):
    # given
    activity = _activity(
        world, starts_at=TOMORROW_EVENING, deadline=NOW + datetime.timedelta(hours=1)
    )
    today = _activity(world, starts_at=NOW + datetime.timedelta(hours=4))
    for member in (world.member, world.colleague, world.convenor):
        signup(activity=activity, member=member, now=NOW)
    signup(activity=today, member=world.member, now=NOW)
    Participation.objects.filter(activity=activity, member=world.convenor).update(
        leave=Participation.Leave.APPROVED, attendance=Participation.Attendance.EXCUSED
    )
    # when
    sent = reminders_activity_eve_send(now=NOW)
    # then: on the list, not on approved leave; nothing for today's activity
    assert sent == 2
    assert _told(f"activity:{activity.pk}:tomorrow") == {
        world.member.person_id,
        world.colleague.person_id,
    }
    assert not _told(f"activity:{today.pk}:tomorrow")
    # a re-run sends nothing twice
    assert reminders_activity_eve_send(now=NOW + datetime.timedelta(hours=1)) == 0


def test_the_tasks_call_the_services(world):
    activity = _activity(
        world, starts_at=timezone.now() + datetime.timedelta(days=1), deadline=None
    )
    signup(activity=activity, member=world.member)
    assert tasks.reminders_activity_eve_send_task.apply().get() == 1
    assert tasks.reminders_activity_eve_send_task.apply().get() == 0
    assert tasks.reminders_signup_deadline_send_task.apply().get() == 0
    assert set(tasks.BEAT_SCHEDULE) == {
        "duties-signup-deadline-reminders",
        "duties-activity-eve-reminders",
    }
    for entry in tasks.BEAT_SCHEDULE.values():
        assert entry["task"].startswith("duties.tasks.")
