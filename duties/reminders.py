"""Reminders sent the day before: the sign-up deadline, and the activity itself.

Run once a day by Celery beat (duties/tasks.py). Each notice has a key per
activity and date, so a re-run, a redelivered task or two beat processes send
nothing twice; an activity moved to another day is reminded again."""

import datetime

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from duties.models import Activity, Participation
from duties.services import audience_members
from members.models import Person
from members.services import notice_send


def _tomorrow(now: datetime.datetime) -> datetime.date:
    return timezone.localdate(now) + datetime.timedelta(days=1)


def _when(moment: datetime.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y年%m月%d日 %H:%M")


def reminders_signup_deadline_send(*, now: datetime.datetime | None = None) -> int:
    """Sign-up closes tomorrow: tell the audience members who have not answered
    (not signed up, not on the waiting list, not withdrawn or removed).
    Returns the number of notices sent."""
    now = now or timezone.now()
    tomorrow = _tomorrow(now)
    activities = Activity.objects.filter(
        status=Activity.Status.PUBLISHED,
        required_attendance=False,
        signup_deadline__date=tomorrow,
        signup_deadline__gt=now,
    )
    sent = 0
    for activity in activities:
        answered = Participation.objects.filter(activity=activity).values("member_id")
        members = audience_members(activity).exclude(pk__in=answered)
        sent += notice_send(
            persons=Person.objects.filter(seats__in=members).distinct(),
            key=f"activity:{activity.pk}:deadline-tomorrow:{tomorrow.isoformat()}",
            title=_("报名明天截止:%(theme)s") % {"theme": activity.theme},
            text=_("报名截止时间 %(deadline)s;活动时间 %(when)s。")
            % {"deadline": _when(activity.signup_deadline), "when": _when(activity.starts_at)},
            url=reverse("duties:activity", args=[activity.pk]),
        )
    return sent


def reminders_activity_eve_send(*, now: datetime.datetime | None = None) -> int:
    """The activity is tomorrow: tell everyone on the list, except those whose
    leave was approved. Returns the number of notices sent."""
    now = now or timezone.now()
    tomorrow = _tomorrow(now)
    activities = Activity.objects.filter(
        status__in=[Activity.Status.PUBLISHED, Activity.Status.CONFIRMED],
        starts_at__date=tomorrow,
    )
    sent = 0
    for activity in activities:
        on_list = (
            Participation.objects.filter(activity=activity)
            .on_list()
            .exclude(leave=Participation.Leave.APPROVED)
            .values("member_id")
        )
        sent += notice_send(
            persons=Person.objects.filter(seats__in=on_list).distinct(),
            key=f"activity:{activity.pk}:tomorrow:{tomorrow.isoformat()}",
            title=_("明天的活动:%(theme)s") % {"theme": activity.theme},
            text=_("%(when)s 于 %(where)s。")
            % {"when": _when(activity.starts_at), "where": activity.venue},
            url=reverse("duties:activity", args=[activity.pk]),
        )
    return sent
