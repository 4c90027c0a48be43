"""Computing a period as a job (计算任务): staff start it from the periods
page, or beat after a quarter ends; a Celery worker runs it; its page shows
how far it got. The task (scoring.tasks) only calls score_job_run.

The computation is scoring.services.period_compute: one transaction under a
NOWAIT lock on the period row, so two computations of a period never
interleave and a run killed midway leaves nothing half-written. Around it:

- At most one active (queued or running) job per period: refused here, and
  held under a race by a partial unique constraint.
- The message is sent once the transaction that made the job commits.
- A run is idempotent: a finished job is left alone, and a message delivered
  again (a redelivery, a sweep) while a live worker runs the job does nothing.
- While it runs, a thread with a database connection of its own writes the
  heartbeat and progress to the job row every SCORE_JOB_HEARTBEAT_SECONDS
  (the computation's transaction shows nothing until it commits). On
  PostgreSQL that connection also holds an advisory lock keyed by the job for
  as long as the run lasts. PostgreSQL drops it with the connection when the
  process dies, so a running job whose lock is free has lost its worker:
  the next delivery of its message takes over at once. Elsewhere (SQLite, the
  embedded default, where Celery runs eagerly in one process) a heartbeat
  older than SCORE_JOB_STALE_SECONDS says the same.
- score_jobs_sweep (beat, every minute) queues again a running job whose
  worker is gone and sends again a queued job no worker has started, so
  recovery never waits for the broker's visibility timeout (an hour); a job
  fails after SCORE_JOB_MAX_ATTEMPTS runs.
"""

import datetime
import logging
import time

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from config.job_runs import JobRun, heartbeat_fresh, job_send, worker_gone
from scoring.models import Rulebook, ScoreJob, ScorePeriod
from scoring.services import period_compute, period_open, rulebook_in_force
from sectors.models import Body

log = logging.getLogger(__name__)

S = ScoreJob.Status
P = ScoreJob.Phase

# The advisory lock of job N is (LOCK_SPACE, N): an int4 pair, in a space of
# its own so that no other advisory lock can take a job's.
LOCK_SPACE = 0x5C0B
# How long a run waits for another computation of its period to end before it
# leaves the job queued for the sweeper (the other one is usually the
# transaction of a killed run that PostgreSQL has not yet rolled back).
BUSY_WAIT_SECONDS = 10


class JobActive(ValidationError):
    """The refusal of a second job for a period; `job` is the active one."""

    def __init__(self, job: ScoreJob):
        super().__init__(
            _("%(period)s已有一个计算任务(%(status)s),请等它完成")
            % {"period": job.period.label, "status": job.get_status_display()},
            code="active",
        )
        self.job = job


# Starting ----------------------------------------------------------------------------


@transaction.atomic
def period_compute_start(*, period: ScorePeriod, by) -> ScoreJob:
    """Queue a computation of the period, sent to a worker once the
    transaction commits; its result is a draft. Refused for a final period,
    a year without a published rulebook, and while another job of the
    period is queued or running (JobActive names that one)."""
    period = ScorePeriod.objects.get(pk=period.pk)
    if period.status == ScorePeriod.Status.FINAL:
        raise ValidationError(
            {
                "quarter": ValidationError(
                    _("%(period)s已定稿,不能重新计算;如需更改请先重新打开")
                    % {"period": period.label},
                    code="final",
                )
            }
        )
    if rulebook_in_force(body_id=period.body_id, year=period.year) is None:
        raise ValidationError(
            {
                "year": ValidationError(
                    _("%(year)s 年度还没有已发布的计分规则,请先导入并发布") % {"year": period.year},
                    code="no_rulebook",
                )
            }
        )
    active = ScoreJob.objects.active().filter(period=period).first()
    if active is not None:
        raise JobActive(active)
    try:
        with transaction.atomic():
            job = ScoreJob.objects.create(period=period, requested_by=by)
    except IntegrityError:  # started at the same moment by someone else
        active = ScoreJob.objects.active().filter(period=period).first()
        if active is None:
            raise ValidationError(_("计算任务刚刚发生变化,请重试"), code="race") from None
        raise JobActive(active) from None
    score_job_enqueue(job)
    return job


@transaction.atomic
def period_compute_start_for(*, body: Body, year: int, quarter: int, by) -> ScoreJob:
    """Start computing the body's period for the year and quarter (1–4, or 0
    for the annual assessment), opened as a draft if it is not yet."""
    return period_compute_start(period=period_open(body=body, year=year, quarter=quarter), by=by)


def last_ended_quarter(today: datetime.date) -> tuple[int, int]:
    """(year, quarter) of the last quarter that ended before `today`."""
    quarter = (today.month - 1) // 3 + 1
    return (today.year - 1, 4) if quarter == 1 else (today.year, quarter - 1)


def period_compute_start_due(*, today: datetime.date | None = None) -> list[ScoreJob]:
    """Beat, daily: start computing the bulletin of the quarter that ended
    last for every body whose year has a published rulebook, once: a period
    already computed, or that ever had a job, is left to staff."""
    year, quarter = last_ended_quarter(today or timezone.localdate())
    with_rulebook = Rulebook.objects.published().filter(year=year).values("body_id")
    seen = ScorePeriod.objects.filter(year=year, quarter=quarter).filter(
        Q(computed_at__isnull=False) | Q(jobs__isnull=False)
    )
    bodies = Body.objects.filter(pk__in=with_rulebook).exclude(pk__in=seen.values("body_id"))
    started = []
    for body in bodies.order_by("pk"):
        try:
            started.append(period_compute_start_for(body=body, year=year, quarter=quarter, by=None))
        except ValidationError as refusal:  # a final period, say: staff decide
            log.info("not computing %s %s Q%s: %s", body, year, quarter, refusal.messages)
    return started


def score_job_enqueue(job: ScoreJob) -> None:
    """Send the job to a worker once the current transaction commits. With the
    broker down the job stays queued, says so, and the sweeper sends it again."""
    from scoring.tasks import score_job_run_task

    job_send(job, score_job_run_task)


# Running -----------------------------------------------------------------------------


class _Run(JobRun):
    """A score job's run (config.job_runs): the heartbeat also writes the
    latest progress the computation reported."""

    model = ScoreJob
    lock_space = LOCK_SPACE
    heartbeat_setting = "SCORE_JOB_HEARTBEAT_SECONDS"
    label = "score-job"

    def __init__(self, job_id: int):
        super().__init__(job_id)
        self.latest = (P.READING, 0, 0)

    def progress(self, phase: str, done: int, total: int) -> None:
        # Called inside the computation's transaction: only remember it (one
        # assignment, atomic for the other thread); the heartbeat writes it.
        self.latest = (phase, min(done, total), total)
        if phase == P.WRITING and settings.SCORE_JOB_PAUSE_SECONDS:
            time.sleep(settings.SCORE_JOB_PAUSE_SECONDS)  # fault injection: mid-job

    def heartbeat_values(self) -> dict:
        phase, done, total = self.latest
        return {"phase": phase, "done": done, "total": total}


def _fresh(job: ScoreJob, now) -> bool:
    return heartbeat_fresh(job, stale_seconds=settings.SCORE_JOB_STALE_SECONDS, now=now)


@transaction.atomic
def _claim(job_id: int, run: _Run) -> ScoreJob:
    """The job marked as run by `run`, unless it is finished or a live worker
    runs it; a job out of attempts fails here."""
    job = ScoreJob.objects.select_for_update().select_related("period").get(pk=job_id)
    now = timezone.now()
    if not job.is_active:
        return job
    if job.status == S.RUNNING and not run.locks and _fresh(job, now):
        return job  # a worker elsewhere still beats
    if job.attempts >= settings.SCORE_JOB_MAX_ATTEMPTS:
        return _fail_out_of_attempts(job, now)
    job.status, job.runner, job.attempts = S.RUNNING, run.name, job.attempts + 1
    job.phase, job.done = P.READING, 0
    job.started_at = job.heartbeat_at = now
    if job.attempts > 1:
        job.message = _("前一次计算未完成(工作进程中断),第 %(n)s 次尝试") % {"n": job.attempts}
    job.save(
        update_fields=[
            "status",
            "runner",
            "attempts",
            "phase",
            "done",
            "started_at",
            "heartbeat_at",
            "message",
        ]
    )
    return job


def _fail_out_of_attempts(job: ScoreJob, now) -> ScoreJob:
    job.status, job.finished_at = S.FAILED, now
    job.message = (
        _("计算尝试 %(n)s 次均未完成(工作进程中断),已停止;请检查后重新开始计算")
        % {"n": job.attempts}
    )[:500]
    job.save(update_fields=["status", "finished_at", "message"])
    return job


def score_job_run(job_id: int) -> ScoreJob | None:
    """Run the job: compute its period and record the outcome: done with the
    result, refused with the reason (a final period, no published rulebook),
    or failed. Idempotent: a finished job, or one a live worker runs, is left
    as it is, so a message delivered twice computes once."""
    job = ScoreJob.objects.filter(pk=job_id).first()
    if job is None or not job.is_active:
        return job
    with _Run(job_id) as run:
        if not run.owned:
            return job  # a live worker runs it
        job = _claim(job_id, run)
        if job.runner != run.name or job.status != S.RUNNING:
            return job
        return _compute(job, run)


def _compute(job: ScoreJob, run: _Run) -> ScoreJob:
    busy_until = time.monotonic() + BUSY_WAIT_SECONDS
    while True:
        try:
            computed = period_compute(period=job.period, progress=run.progress)
        except ValidationError as refusal:
            if getattr(refusal, "code", None) != "running":
                return _finish(job, run, S.REFUSED, message="".join(refusal.messages))
            if time.monotonic() >= busy_until:
                return _requeue_busy(job, run)
            time.sleep(1)
        except SoftTimeLimitExceeded:
            return _finish(
                job,
                run,
                S.FAILED,
                message=_("计算超过 %(minutes)s 分钟仍未完成,已停止,请联系系统管理员")
                % {"minutes": max(1, round(settings.SCORE_JOB_TIME_LIMIT_SECONDS / 60))},
            )
        except Exception as error:
            log.exception("score job %s failed", job.pk)
            return _finish(
                job,
                run,
                S.FAILED,
                message=_("计算出错(%(error)s),请联系系统管理员") % {"error": type(error).__name__},
            )
        else:
            return _finish(job, run, S.DONE, computed=computed)


def _finish(job: ScoreJob, run: _Run, status, *, message="", computed=None) -> ScoreJob:
    now = timezone.now()
    values = {"status": status, "message": message[:500], "finished_at": now, "heartbeat_at": now}
    if computed is not None:
        values.update(
            phase=P.DONE,
            done=computed.members,
            total=computed.members,
            members=computed.members,
            assessed=computed.assessed,
            lines=computed.lines,
            message=job.message if job.attempts > 1 else "",
        )
    # Only while the job is still ours: if the sweeper handed it on (this
    # run's heartbeat died), the other run records the same result.
    if not ScoreJob.objects.filter(pk=job.pk, runner=run.name, status=S.RUNNING).update(**values):
        log.warning("score job %s was handed on before it finished here", job.pk)
    job.refresh_from_db()
    return job


def _requeue_busy(job: ScoreJob, run: _Run) -> ScoreJob:
    """Another computation holds the period: leave the job queued for the
    sweeper to send again, without counting this run among its attempts."""
    ScoreJob.objects.filter(pk=job.pk, runner=run.name, status=S.RUNNING).update(
        status=S.QUEUED,
        runner="",
        phase=P.WAITING,
        queued_at=timezone.now(),
        attempts=F("attempts") - 1,
        message=_("该评分期正在进行另一次计算,稍后自动重试"),
    )
    job.refresh_from_db()
    return job


# Sweeping ----------------------------------------------------------------------------


def _worker_gone(job: ScoreJob, now) -> bool:
    return worker_gone(
        job, lock_space=LOCK_SPACE, stale_seconds=settings.SCORE_JOB_STALE_SECONDS, now=now
    )


def score_jobs_sweep() -> dict:
    """Beat, every minute: a running job whose worker is gone is queued and
    sent again (failed once it has had SCORE_JOB_MAX_ATTEMPTS runs); a queued
    job that no worker started within SCORE_JOB_STALE_SECONDS is sent again
    (the message may be lost; a busy worker only makes it wait, and a
    duplicate message does nothing). Returns how many of each."""
    swept = {"requeued": 0, "resent": 0, "failed": 0}
    for pk in ScoreJob.objects.active().values_list("pk", flat=True):
        outcome = _sweep(pk)
        if outcome:
            swept[outcome] += 1
    return swept


@transaction.atomic
def _sweep(pk: int) -> str | None:
    # A job a worker is claiming or finishing right now is skipped: next minute.
    job = ScoreJob.objects.select_for_update(skip_locked=True).filter(pk=pk).first()
    now = timezone.now()
    if job is None or not job.is_active:
        return None
    if job.status == S.RUNNING:
        if not _worker_gone(job, now):
            return None
        if job.attempts >= settings.SCORE_JOB_MAX_ATTEMPTS:
            _fail_out_of_attempts(job, now)
            return "failed"
        outcome = "requeued"
        job.message = _("执行计算的工作进程已中断,已重新排队(已尝试 %(n)s 次)") % {
            "n": job.attempts
        }
    elif now - job.queued_at < datetime.timedelta(seconds=settings.SCORE_JOB_STALE_SECONDS):
        return None
    else:
        outcome = "resent"
        job.message = _("排队较久仍未开始,已重新发送给工作进程")
    job.status, job.runner, job.phase, job.queued_at = S.QUEUED, "", P.WAITING, now
    job.save(update_fields=["status", "runner", "phase", "queued_at", "message"])
    score_job_enqueue(job)
    return outcome
