"""Celery entry points of scoring: thin wrappers that take ids."""

from celery import shared_task
from celery.schedules import crontab
from django.core.exceptions import ValidationError

from scoring import facts
from scoring.models import ScorePeriod
from scoring.services import period_compute


@shared_task(acks_late=True)
def facts_refresh_task(*, member_ids: list[int]) -> dict:
    # A refresh is a diff against the records: a redelivered message changes nothing.
    result = facts.facts_refresh(member_ids)
    return {"created": result.created, "deleted": result.deleted, "unchanged": result.unchanged}


@shared_task(acks_late=True, reject_on_worker_lost=True)
def period_compute_task(period_id: int) -> dict:
    # The service locks the period and replaces its rows in one transaction: a
    # redelivered message recomputes the same rows, and one that arrives while
    # the first still runs is refused (the first one finishes the job).
    period = ScorePeriod.objects.filter(pk=period_id).first()
    if period is None:
        return {"refused": ["gone"]}
    try:
        done = period_compute(period=period)
    except ValidationError as e:
        return {"refused": e.messages}
    return {"members": done.members, "assessed": done.assessed, "lines": done.lines}


# The year (scoring/annual.py): the nightly refresh of this year's annual
# draft, so every checklist (六个一) is current, and the checklist reminders
# staff scheduled. Both are idempotent: the refresh recomputes the same rows,
# and a reminder is marked sent in the transaction that sends it.


@shared_task(acks_late=True)
def annual_drafts_refresh_task() -> list[dict]:
    import dataclasses

    from scoring.annual import annual_drafts_refresh

    return [dataclasses.asdict(done) for done in annual_drafts_refresh()]


@shared_task(acks_late=True)
def checklist_reminders_send_task() -> int:
    from scoring.annual import checklist_reminders_send

    return checklist_reminders_send()


# Merged into the beat schedule by config/celery.py (times in CELERY_TIMEZONE):
# the refresh in the small hours, the reminders in the morning after it.
ANNUAL_BEAT_SCHEDULE = {
    "scoring-annual-drafts-refresh": {
        "task": "scoring.tasks.annual_drafts_refresh_task",
        "schedule": crontab(hour=1, minute=30),
    },
    "scoring-checklist-reminders": {
        "task": "scoring.tasks.checklist_reminders_send_task",
        "schedule": crontab(hour=9, minute=30),
    },
}
