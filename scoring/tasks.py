"""Celery entry points of scoring: thin wrappers that take ids."""

import datetime

from celery import shared_task
from celery.schedules import crontab
from django.conf import settings
from django.core.exceptions import ValidationError

from scoring import facts, jobs, review
from scoring.models import ScorePeriod
from scoring.pending import pending_tasks_send, task_send_on_commit
from scoring.services import period_compute


@shared_task(acks_late=True)
def facts_refresh_task(*, member_ids: list[int]) -> dict:
    # A refresh is a diff against the records: a redelivered message changes nothing.
    result = facts.facts_refresh(member_ids)
    if result.changed:
        changes = [[m, on.isoformat()] for (m, _year), on in sorted(result.changed.items())]
        # after the commit, so that the recompute reads the new facts
        task_send_on_commit(scores_follow_records_task, changes=changes)
    return {"created": result.created, "deleted": result.deleted, "unchanged": result.unchanged}


@shared_task(acks_late=True, bind=True, max_retries=20)
def scores_follow_records_task(self, *, changes: list) -> dict:
    # Computing a member again gives the same rows: a redelivered message is
    # harmless. A period being computed whole refuses at once; its computation
    # may have read the facts before they changed, so this one comes back later.
    done = review.scores_follow_records(
        changes=[(member_id, datetime.date.fromisoformat(on)) for member_id, on in changes]
    )
    if done.busy and not self.request.is_eager:
        raise self.retry(countdown=30)
    return done.as_dict()


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


# Computation jobs (scoring/jobs.py). The services guard on the job's state, so
# a message delivered twice does nothing more; a worker killed mid-job gives
# the message back (late ack, reject on worker lost) or the sweeper sends it again.


# A worker alive but stuck is caught by neither the advisory lock nor the
# heartbeat: the soft limit stops the run (the job fails with a message), the
# hard one kills the child, whose message then comes back like a killed one's.
@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=settings.SCORE_JOB_TIME_LIMIT_SECONDS,
    time_limit=settings.SCORE_JOB_TIME_LIMIT_SECONDS + 60,
)
def score_job_run_task(job_id: int) -> str:
    job = jobs.score_job_run(job_id)
    return job.status if job is not None else "gone"


@shared_task(acks_late=True, reject_on_worker_lost=True)
def score_jobs_sweep_task() -> dict:
    return jobs.score_jobs_sweep()


@shared_task(acks_late=True)
def pending_tasks_send_task() -> dict:
    return pending_tasks_send()


@shared_task(acks_late=True, reject_on_worker_lost=True)
def period_compute_start_due_task() -> list[int]:
    return [job.pk for job in jobs.period_compute_start_due()]


# Merged into the beat schedule by config/celery.py (times in CELERY_TIMEZONE).
# The sweep every minute, dropped if no worker takes it before the next one;
# the quarter's bulletin in the night after the quarter ends (a draft: staff
# compute it again once late attendance is recorded).
BEAT_SCHEDULE = {
    "scoring-jobs-sweep": {
        "task": "scoring.tasks.score_jobs_sweep_task",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # Messages recorded while the broker was down (scoring/pending.py).
    "scoring-pending-tasks-send": {
        "task": "scoring.tasks.pending_tasks_send_task",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    "scoring-quarter-computations": {
        "task": "scoring.tasks.period_compute_start_due_task",
        "schedule": crontab(hour=2, minute=0),
    },
}


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
