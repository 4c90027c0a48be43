"""Celery entry points of the proposals app: thin wrappers around the services,
which are idempotent (a routing is reminded at most once a day), so a
redelivered message is harmless."""

from celery import shared_task
from celery.schedules import crontab

from proposals.services import handling


@shared_task(acks_late=True)
def routings_overdue_remind_task() -> int:
    return handling.routings_overdue_remind()


# Merged into the beat schedule by config/celery.py (times in CELERY_TIMEZONE):
# in the morning, so the unit has the working day to answer.
BEAT_SCHEDULE = {
    "proposals-overdue-routing-reminders": {
        "task": "proposals.tasks.routings_overdue_remind_task",
        "schedule": crontab(hour=8, minute=30),
    },
}
