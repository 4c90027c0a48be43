from celery import shared_task
from django.conf import settings

from summaries import jobs


# Like the score jobs: a killed worker's message comes back (late ack, reject on
# worker lost); a stuck one is stopped by the soft limit, the hard one kills it.
@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=settings.EXPORT_JOB_TIME_LIMIT_SECONDS,
    time_limit=settings.EXPORT_JOB_TIME_LIMIT_SECONDS + 60,
)
def export_job_run_task(job_id: int) -> str:
    job = jobs.export_job_run(job_id)
    return job.status if job is not None else "gone"


@shared_task(acks_late=True, reject_on_worker_lost=True)
def export_jobs_sweep_task() -> dict:
    return jobs.export_jobs_sweep()


@shared_task(acks_late=True)
def export_files_expire_task() -> int:
    return jobs.export_files_expire()


# Merged into the beat schedule by config/celery.py.
BEAT_SCHEDULE = {
    "summaries-export-jobs-sweep": {
        "task": "summaries.tasks.export_jobs_sweep_task",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    "summaries-export-files-expire": {
        "task": "summaries.tasks.export_files_expire_task",
        "schedule": 3600.0,
        "options": {"expires": 3500},
    },
}
