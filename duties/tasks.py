"""Celery entry points of the duties app: thin wrappers around the services;
the services are idempotent (notices keyed per activity and day), so a
redelivered message is harmless."""

from celery import shared_task
from celery.schedules import crontab

from duties import reminders


@shared_task(acks_late=True)
def reminders_signup_deadline_send_task() -> int:
    return reminders.reminders_signup_deadline_send()


@shared_task(acks_late=True)
def reminders_activity_eve_send_task() -> int:
    return reminders.reminders_activity_eve_send()


# Wired into settings as CELERY_BEAT_SCHEDULE (times in CELERY_TIMEZONE, Asia/Shanghai):
# the morning for deadlines, so there is a day to decide; the afternoon for the
# eve, when the final list has usually been confirmed.
BEAT_SCHEDULE = {
    "duties-signup-deadline-reminders": {
        "task": "duties.tasks.reminders_signup_deadline_send_task",
        "schedule": crontab(hour=9, minute=0),
    },
    "duties-activity-eve-reminders": {
        "task": "duties.tasks.reminders_activity_eve_send_task",
        "schedule": crontab(hour=16, minute=0),
    },
}
