"""Exports as background jobs (导出任务): an export of more rows than
EXPORT_INLINE_MAX_ROWS is queued here, a Celery worker writes it, its page
shows the progress and then the download. The task (summaries.tasks) only
calls export_job_run. The same shape as the score jobs (scoring/jobs.py):

- The message is sent once the transaction that made the job commits.
- A run writes the workbook to a temporary name in EXPORT_FILES_ROOT and
  renames it to its final name before the job is marked done, in one guarded
  update: a run killed midway leaves at most a `.part` file, never a job that
  is done without its whole file. The next run of the job deletes such leftovers.
- While it runs, a thread with a database connection of its own writes the
  heartbeat and the rows written to the job row every
  EXPORT_JOB_HEARTBEAT_SECONDS and, on PostgreSQL, holds an advisory lock
  keyed by the job; PostgreSQL drops it with the connection when the process
  dies, so the sweeper knows at once that the worker is gone. Elsewhere a
  heartbeat older than EXPORT_JOB_STALE_SECONDS says the same.
- export_jobs_sweep (beat, every minute) queues again a running job whose
  worker is gone (failed after EXPORT_JOB_MAX_ATTEMPTS runs) and sends again a
  queued job no worker started; export_files_expire (beat, hourly) deletes
  the files of jobs past `expires_at` and marks them expired.
- The run reads with the requester's rights as they are then
  (summaries.exports.export_prepare): a user who lost access gets a failed job.
"""

import datetime
import logging
import os
import time
from pathlib import Path

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from config.job_runs import JobRun, heartbeat_fresh, job_send, worker_gone
from summaries.exports import ExportKind, export_kind, export_prepare
from summaries.models import ExportJob
from summaries.xlsx import write_workbook

log = logging.getLogger(__name__)

S = ExportJob.Status

# The advisory lock of export job N is (LOCK_SPACE, N), apart from the score jobs'.
LOCK_SPACE = 0x5E7B


def files_root() -> Path:
    root = Path(settings.EXPORT_FILES_ROOT)
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    return root


def job_path(job: ExportJob) -> Path | None:
    return files_root() / job.file_name if job.file_name else None


# Starting ----------------------------------------------------------------------------


@transaction.atomic
def export_job_start(*, user, kind: ExportKind, params: dict, total: int) -> ExportJob:
    """Queue the export for a worker, sent once the transaction commits. The
    caller has checked the permission and counted the rows (`total`)."""
    job = ExportJob.objects.create(
        requested_by=user, kind=kind.code, label=str(kind.label), params=params, total=total
    )
    export_job_enqueue(job)
    return job


def export_job_enqueue(job: ExportJob) -> None:
    """With the broker down the job stays queued, says so, and the sweeper sends it again."""
    from summaries.tasks import export_job_run_task

    job_send(job, export_job_run_task)


# Running -----------------------------------------------------------------------------


class _Run(JobRun):
    """An export job's run (config.job_runs): the heartbeat also writes the
    rows written so far."""

    model = ExportJob
    lock_space = LOCK_SPACE
    heartbeat_setting = "EXPORT_JOB_HEARTBEAT_SECONDS"
    label = "export-job"

    def __init__(self, job_id: int):
        super().__init__(job_id)
        self.done = 0

    def progress(self, done: int) -> None:
        self.done = done
        if not self.locks:  # no heartbeat thread: write it here
            self.heartbeat()
        if settings.EXPORT_JOB_PAUSE_SECONDS:
            time.sleep(settings.EXPORT_JOB_PAUSE_SECONDS)  # fault injection: mid-job

    def heartbeat_values(self) -> dict:
        return {"done": self.done}


def _fresh(job: ExportJob, now) -> bool:
    return heartbeat_fresh(job, stale_seconds=settings.EXPORT_JOB_STALE_SECONDS, now=now)


@transaction.atomic
def _claim(job_id: int, run: _Run) -> ExportJob:
    job = ExportJob.objects.select_for_update().get(pk=job_id)
    now = timezone.now()
    if not job.is_active:
        return job
    if job.status == S.RUNNING and not run.locks and _fresh(job, now):
        return job  # a worker elsewhere still beats
    if job.attempts >= settings.EXPORT_JOB_MAX_ATTEMPTS:
        return _fail_out_of_attempts(job, now)
    job.status, job.runner, job.attempts = S.RUNNING, run.name, job.attempts + 1
    job.done = 0
    job.started_at = job.heartbeat_at = now
    if job.attempts > 1:
        job.message = _("前一次导出未完成(工作进程中断),第 %(n)s 次尝试") % {"n": job.attempts}
    job.save(
        update_fields=[
            "status",
            "runner",
            "attempts",
            "done",
            "started_at",
            "heartbeat_at",
            "message",
        ]
    )
    return job


def _fail_out_of_attempts(job: ExportJob, now) -> ExportJob:
    job.status, job.finished_at = S.FAILED, now
    job.message = _("导出尝试 %(n)s 次均未完成(工作进程中断),已停止;请重新导出") % {
        "n": job.attempts
    }
    job.save(update_fields=["status", "finished_at", "message"])
    return job


def _leftovers(job_id: int) -> None:
    """Delete the partial files earlier runs of the job left behind."""
    for part in files_root().glob(f"job-{job_id}-*.part"):
        part.unlink(missing_ok=True)


def export_job_run(job_id: int) -> ExportJob | None:
    """Run the job: write its workbook and record the outcome. Idempotent: a
    finished job, or one a live worker runs, is left as it is."""
    job = ExportJob.objects.filter(pk=job_id).first()
    if job is None or not job.is_active:
        return job
    with _Run(job_id) as run:
        if not run.owned:
            return job
        job = _claim(job_id, run)
        if job.runner != run.name or job.status != S.RUNNING:
            return job
        _leftovers(job_id)
        return _write(job, run)


def _write(job: ExportJob, run: _Run) -> ExportJob:
    token = run.name.rsplit(":", 1)[1]
    part = files_root() / f"job-{job.pk}-{token}.part"
    try:
        prepared = export_prepare(
            user=job.requested_by, kind=export_kind(job.kind), params=job.params
        )
        rows = write_workbook(
            part,
            sheets=prepared.sheets,
            progress=run.progress,
            progress_every=settings.EXPORT_JOB_PROGRESS_ROWS,
        )
    except (PermissionDenied, Http404):
        part.unlink(missing_ok=True)
        return _finish(job, run, S.FAILED, message=_("您已无权导出这些数据,或数据已不存在"))
    except SoftTimeLimitExceeded:
        part.unlink(missing_ok=True)
        return _finish(
            job,
            run,
            S.FAILED,
            message=_("导出超过 %(minutes)s 分钟仍未完成,已停止,请缩小范围后重试")
            % {"minutes": max(1, round(settings.EXPORT_JOB_TIME_LIMIT_SECONDS / 60))},
        )
    except Exception as error:
        part.unlink(missing_ok=True)
        log.exception("export job %s failed", job.pk)
        return _finish(
            job,
            run,
            S.FAILED,
            message=_("导出出错(%(error)s),请联系系统管理员") % {"error": type(error).__name__},
        )
    final = f"job-{job.pk}-{token}.xlsx"
    os.replace(part, files_root() / final)  # atomic: the whole file or none
    now = timezone.now()
    finished = _finish(
        job,
        run,
        S.DONE,
        file_name=final,
        download_name=prepared.filename[:200],
        size=(files_root() / final).stat().st_size,
        done=rows,
        total=rows,
        finished_at=now,
        expires_at=now + datetime.timedelta(hours=settings.EXPORT_FILE_TTL_HOURS),
        message=job.message if job.attempts > 1 else "",
    )
    if finished.file_name != final:  # handed on before it finished here
        (files_root() / final).unlink(missing_ok=True)
    return finished


def _finish(job: ExportJob, run: _Run, status, *, message="", **values) -> ExportJob:
    now = timezone.now()
    values.setdefault("finished_at", now)
    values.update(status=status, message=message[:500], heartbeat_at=now)
    if status != S.DONE:
        values.setdefault("done", min(run.done, job.total))
    # Only while the job is still ours: if the sweeper handed it on, the other run finishes it.
    if not ExportJob.objects.filter(pk=job.pk, runner=run.name, status=S.RUNNING).update(**values):
        log.warning("export job %s was handed on before it finished here", job.pk)
    job.refresh_from_db()
    return job


# Sweeping and expiry -----------------------------------------------------------------


def _worker_gone(job: ExportJob, now) -> bool:
    return worker_gone(
        job, lock_space=LOCK_SPACE, stale_seconds=settings.EXPORT_JOB_STALE_SECONDS, now=now
    )


def export_jobs_sweep() -> dict:
    """Beat, every minute: a running job whose worker is gone is queued and
    sent again (failed once it has had EXPORT_JOB_MAX_ATTEMPTS runs); a queued
    job no worker started within EXPORT_JOB_STALE_SECONDS is sent again."""
    swept = {"requeued": 0, "resent": 0, "failed": 0}
    for pk in ExportJob.objects.active().values_list("pk", flat=True):
        outcome = _sweep(pk)
        if outcome:
            swept[outcome] += 1
    return swept


@transaction.atomic
def _sweep(pk: int) -> str | None:
    job = ExportJob.objects.select_for_update(skip_locked=True).filter(pk=pk).first()
    now = timezone.now()
    if job is None or not job.is_active:
        return None
    if job.status == S.RUNNING:
        if not _worker_gone(job, now):
            return None
        if job.attempts >= settings.EXPORT_JOB_MAX_ATTEMPTS:
            _fail_out_of_attempts(job, now)
            return "failed"
        outcome = "requeued"
        job.message = _("执行导出的工作进程已中断,已重新排队(已尝试 %(n)s 次)") % {
            "n": job.attempts
        }
    elif now - job.queued_at < datetime.timedelta(seconds=settings.EXPORT_JOB_STALE_SECONDS):
        return None
    else:
        outcome = "resent"
        job.message = _("排队较久仍未开始,已重新发送给工作进程")
    job.status, job.runner, job.queued_at = S.QUEUED, "", now
    job.save(update_fields=["status", "runner", "queued_at", "message"])
    export_job_enqueue(job)
    return outcome


def export_files_expire(*, now=None) -> int:
    """Beat, hourly: delete the files of finished jobs past their expiry and
    mark the jobs expired. Returns how many."""
    now = now or timezone.now()
    expired = 0
    for job in ExportJob.objects.filter(status=S.DONE, expires_at__lte=now):
        # One guarded update each: a job expired twice (two beats) deletes once.
        if ExportJob.objects.filter(pk=job.pk, status=S.DONE).update(
            status=S.EXPIRED, file_name="", size=0
        ):
            (files_root() / job.file_name).unlink(missing_ok=True)
            expired += 1
    return expired
