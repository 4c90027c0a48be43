"""Computation jobs, through the services the tasks call: starting (and the
refusals), running once however often the message comes, the progress a
running job shows, taking over from a worker that died, the sweeper, and
beat starting the quarter that ended. A real worker being killed is in
test_jobs_worker.py."""

import datetime
import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, connections, transaction
from django.utils import timezone

from scoring import jobs, services
from scoring.models import Rulebook, Score, ScoreJob, ScorePeriod
from scoring.tasks import score_job_run_task
from tests import factories as f

from .test_services import inspections, published
from .test_worked_members_through_the_app import YEAR, App, at

S = ScoreJob.Status


@pytest.fixture
def app(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return App(world)


@pytest.fixture
def eager():
    """Tasks run in this process, as in the embedded default, even where the
    suite runs with a broker: nothing of these tests reaches a shared queue."""
    from config.celery import app as celery

    before, celery.conf.task_always_eager = celery.conf.task_always_eager, True
    yield
    celery.conf.task_always_eager = before


def scored(app, n=3) -> list:
    """A published rulebook and `n` new members with an inspection each."""
    published(app)
    added = [app.member() for _ in range(n)]
    inspections(app, added, at(2, 1))
    from scoring import facts as ledger

    ledger.facts_rebuild(body=app.body)
    return added


def period(app, quarter=0) -> ScorePeriod:
    return services.period_open(body=app.body, year=YEAR, quarter=quarter)


def start(app, quarter=0) -> ScoreJob:
    """A queued job, its message not sent (the test's transaction never commits)."""
    return jobs.period_compute_start(period=period(app, quarter), by=app.staff)


def scores_of(p) -> dict:
    return dict(Score.objects.filter(period=p).values_list("member_id", "total"))


def ago(seconds) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(seconds=seconds)


# Starting -----------------------------------------------------------------------------


def test_a_started_job_is_sent_once_its_transaction_commits_and_computes_a_draft(
    app, eager, django_capture_on_commit_callbacks
):
    added = scored(app)
    p = period(app)

    with django_capture_on_commit_callbacks(execute=True) as sent:
        job = jobs.period_compute_start(period=p, by=app.staff)
        assert not Score.objects.exists()  # nothing before the commit

    job.refresh_from_db()
    assert len(sent) == 1
    assert (job.status, job.requested_by, job.attempts, job.message) == (S.DONE, app.staff, 1, "")
    # the world's four members and three new ones, each assessed, two lines each
    assert (job.members, job.assessed, job.lines) == (7, 7, 14)
    assert (job.phase, job.done, job.total, job.percent) == ("done", 7, 7, 100)
    assert job.started_at <= job.finished_at
    assert scores_of(p)[added[0].pk] == 2  # an inspection
    assert ScorePeriod.objects.get(pk=p.pk).status == ScorePeriod.Status.DRAFT


def test_start_is_refused_for_a_final_period(app):
    published(app)
    p = period(app, quarter=2)
    ScorePeriod.objects.filter(pk=p.pk).update(status=ScorePeriod.Status.FINAL)

    with pytest.raises(ValidationError) as refused:
        jobs.period_compute_start(period=p, by=app.staff)

    assert refused.value.message_dict == {
        "quarter": [f"{YEAR} 年第 2 季度通报已定稿,不能重新计算;如需更改请先重新打开"]
    }
    assert not ScoreJob.objects.exists()


def test_start_is_refused_without_a_published_rulebook(app):
    services.rulebook_load(body=app.body, year=YEAR, text=_small(), by=app.staff)  # a draft

    with pytest.raises(ValidationError) as refused:
        jobs.period_compute_start_for(body=app.body, year=YEAR, quarter=1, by=app.staff)

    assert refused.value.message_dict == {
        "year": [f"{YEAR} 年度还没有已发布的计分规则,请先导入并发布"]
    }
    # the period opened for it went with the refusal
    assert not ScorePeriod.objects.exists() and not ScoreJob.objects.exists()


def _small():
    from .test_services import small

    return small()


def test_a_second_start_while_a_job_is_active_points_to_it(app):
    published(app)
    first = start(app)

    with pytest.raises(jobs.JobActive) as refused:
        start(app)

    assert refused.value.job == first
    assert refused.value.messages == [f"{YEAR} 年度考核已有一个计算任务(排队中),请等它完成"]
    assert ScoreJob.objects.count() == 1
    # another period is another matter
    assert start(app, quarter=1).period != first.period


def test_the_database_holds_one_active_job_per_period_under_a_race(app):
    published(app)
    first = start(app)

    with pytest.raises(IntegrityError), transaction.atomic():
        ScoreJob.objects.create(period=first.period, status=S.RUNNING)

    # finished jobs do not count
    ScoreJob.objects.filter(pk=first.pk).update(status=S.DONE)
    ScoreJob.objects.create(period=first.period, status=S.FAILED)
    assert start(app).status == S.QUEUED


# Running ------------------------------------------------------------------------------


def test_a_message_delivered_again_after_the_job_is_done_changes_nothing(app):
    scored(app)
    job = start(app)

    first = jobs.score_job_run(job.pk)
    rows = set(Score.objects.values_list("pk", flat=True))
    again = jobs.score_job_run(job.pk)

    assert first.status == again.status == S.DONE
    assert (again.attempts, again.finished_at) == (1, first.finished_at)
    assert set(Score.objects.values_list("pk", flat=True)) == rows  # not computed again
    assert score_job_run_task(job.pk) == "done"
    assert score_job_run_task(0) == "gone"


def test_a_job_whose_period_was_finalised_meanwhile_is_refused_with_the_reason(app):
    published(app)
    job = start(app, quarter=3)
    ScorePeriod.objects.filter(pk=job.period_id).update(status=ScorePeriod.Status.FINAL)

    job = jobs.score_job_run(job.pk)

    assert job.status == S.REFUSED
    assert job.message == f"{YEAR} 年第 3 季度通报已定稿,不能重新计算;如需更改请先重新打开"
    assert job.finished_at is not None and not Score.objects.exists()


def test_a_job_that_breaks_is_marked_failed_and_writes_nothing(app):
    published(app)
    job = start(app)
    # a rulebook text the parser no longer reads (stored before a stricter one)
    Rulebook.objects.update(source="format: 1\nname: 坏了\n")

    job = jobs.score_job_run(job.pk)

    assert job.status == S.FAILED
    assert job.message == "计算出错(RulebookInvalid),请联系系统管理员"
    assert not Score.objects.exists()


def test_a_running_job_whose_worker_is_gone_is_taken_over_by_the_next_delivery(app):
    scored(app)
    job = start(app)
    # a worker elsewhere claimed it and died a moment ago, its heartbeat fresh
    ScoreJob.objects.filter(pk=job.pk).update(
        status=S.RUNNING, runner="elsewhere:1:dead", attempts=1, heartbeat_at=ago(1)
    )

    job = jobs.score_job_run(job.pk)

    if connection.vendor == "postgresql":
        # its advisory lock went with its connection: taken over at once
        assert (job.status, job.attempts) == (S.DONE, 2)
        assert job.message == "前一次计算未完成(工作进程中断),第 2 次尝试"
    else:
        # no lock to ask: a fresh heartbeat says it may be alive
        assert (job.status, job.runner) == (S.RUNNING, "elsewhere:1:dead")
        ScoreJob.objects.filter(pk=job.pk).update(heartbeat_at=ago(61))
        job = jobs.score_job_run(job.pk)
        assert (job.status, job.attempts) == (S.DONE, 2)
    assert Score.objects.filter(period=job.period).count() == 7


def test_a_job_out_of_attempts_fails_instead_of_running_again(app, settings):
    settings.SCORE_JOB_MAX_ATTEMPTS = 2
    published(app)
    job = start(app)
    ScoreJob.objects.filter(pk=job.pk).update(
        status=S.RUNNING, runner="elsewhere:1:dead", attempts=2, heartbeat_at=ago(600)
    )

    job = jobs.score_job_run(job.pk)

    assert job.status == S.FAILED
    assert job.message == "计算尝试 2 次均未完成(工作进程中断),已停止;请检查后重新开始计算"
    assert not Score.objects.exists()


# Sweeping -----------------------------------------------------------------------------


def test_the_sweeper_queues_again_a_job_whose_worker_died_and_it_then_completes(
    app, django_capture_on_commit_callbacks
):
    scored(app)
    job = start(app)
    ScoreJob.objects.filter(pk=job.pk).update(
        status=S.RUNNING,
        runner="elsewhere:1:dead",
        attempts=1,
        phase="evaluating",
        heartbeat_at=ago(61),
    )

    with django_capture_on_commit_callbacks() as sent:
        assert jobs.score_jobs_sweep() == {"requeued": 1, "resent": 0, "failed": 0}

    job.refresh_from_db()
    assert len(sent) == 1  # the message, once the sweep commits
    assert (job.status, job.runner, job.phase, job.attempts) == (S.QUEUED, "", "", 1)
    assert job.message == "执行计算的工作进程已中断,已重新排队(已尝试 1 次)"
    job = jobs.score_job_run(job.pk)
    assert (job.status, job.attempts, job.members) == (S.DONE, 2, 7)


def test_the_sweeper_fails_a_dead_job_after_the_last_attempt(app, settings):
    settings.SCORE_JOB_MAX_ATTEMPTS = 3
    published(app)
    job = start(app)
    ScoreJob.objects.filter(pk=job.pk).update(
        status=S.RUNNING, runner="elsewhere:1:dead", attempts=3, heartbeat_at=ago(61)
    )

    assert jobs.score_jobs_sweep() == {"requeued": 0, "resent": 0, "failed": 1}

    job.refresh_from_db()
    assert job.status == S.FAILED and job.finished_at is not None
    assert job.message == "计算尝试 3 次均未完成(工作进程中断),已停止;请检查后重新开始计算"
    # the period may be started again
    assert start(app).status == S.QUEUED


def test_the_sweeper_sends_again_a_job_no_worker_started(
    app, settings, django_capture_on_commit_callbacks
):
    settings.SCORE_JOB_STALE_SECONDS = 60
    published(app)
    waiting = start(app)
    lost = start(app, quarter=1)
    ScoreJob.objects.filter(pk=lost.pk).update(queued_at=ago(61))

    with django_capture_on_commit_callbacks() as sent:
        assert jobs.score_jobs_sweep() == {"requeued": 0, "resent": 1, "failed": 0}

    lost.refresh_from_db()
    assert len(sent) == 1
    # not counted as an attempt (a busy worker only makes a job wait), sent
    # again at most once a minute
    assert (lost.status, lost.attempts) == (S.QUEUED, 0)
    assert lost.queued_at > ago(5)
    assert lost.message == "排队较久仍未开始,已重新发送给工作进程"
    assert ScoreJob.objects.get(pk=waiting.pk).message == ""
    assert jobs.score_jobs_sweep() == {"requeued": 0, "resent": 0, "failed": 0}


def test_the_sweeper_leaves_finished_jobs_alone(app):
    scored(app)
    job = start(app)
    jobs.score_job_run(job.pk)
    ScoreJob.objects.filter(pk=job.pk).update(heartbeat_at=ago(3600))

    assert jobs.score_jobs_sweep() == {"requeued": 0, "resent": 0, "failed": 0}
    assert ScoreJob.objects.get(pk=job.pk).status == S.DONE


# Beat starting the quarter that ended --------------------------------------------------


def test_the_last_ended_quarter():
    assert jobs.last_ended_quarter(datetime.date(2026, 1, 1)) == (2025, 4)
    assert jobs.last_ended_quarter(datetime.date(2026, 3, 31)) == (2025, 4)
    assert jobs.last_ended_quarter(datetime.date(2026, 4, 1)) == (2026, 1)
    assert jobs.last_ended_quarter(datetime.date(2026, 12, 31)) == (2026, 3)


def test_beat_starts_the_ended_quarter_of_bodies_with_a_published_rulebook_once(app):
    published(app)  # the world's body; the other body has no rulebook
    idle = f.BodyFactory(name="江城市滨江区政协")
    f.TermFactory(body=idle)

    started = jobs.period_compute_start_due(today=datetime.date(YEAR, 4, 2))

    assert [(j.period.body, j.period.year, j.period.quarter) for j in started] == [
        (app.body, YEAR, 1)
    ]
    assert started[0].requested_by is None and started[0].status == S.QUEUED
    # the next day, and once the job has finished, nothing more
    assert jobs.period_compute_start_due(today=datetime.date(YEAR, 4, 3)) == []
    jobs.score_job_run(started[0].pk)
    assert jobs.period_compute_start_due(today=datetime.date(YEAR, 4, 3)) == []
    # the next quarter, its own
    assert len(jobs.period_compute_start_due(today=datetime.date(YEAR, 7, 1))) == 1


def test_beat_leaves_a_quarter_staff_computed_already(app):
    scored(app)
    services.period_compute(period=period(app, quarter=2))

    assert jobs.period_compute_start_due(today=datetime.date(YEAR, 7, 1)) == []
    assert not ScoreJob.objects.exists()


def test_beat_runs_the_sweeper_every_minute_and_the_quarters_daily():
    from config.celery import app as celery

    celery.finalize()
    schedule = celery.conf.beat_schedule
    assert schedule["scoring-jobs-sweep"]["task"] == "scoring.tasks.score_jobs_sweep_task"
    assert schedule["scoring-jobs-sweep"]["schedule"] == 60.0
    assert schedule["scoring-quarter-computations"]["task"] == (
        "scoring.tasks.period_compute_start_due_task"
    )
    task = celery.tasks["scoring.tasks.score_job_run_task"]
    assert task.acks_late and task.reject_on_worker_lost


# A running job seen from outside (PostgreSQL: a second connection) ------------------


def _run_in_a_worker_thread(app, outcome) -> threading.Thread:
    """Start a job in a thread of its own, as a worker would run it (eagerly,
    once its transaction commits)."""
    p = period(app)

    def worker():
        try:
            outcome["job"] = jobs.period_compute_start(period=p, by=app.staff)
        finally:
            connections.close_all()

    thread = threading.Thread(target=worker, name="worker")
    thread.start()
    return thread


def _wait_for(condition, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError("timed out")


@pytest.mark.postgres
def test_a_running_job_shows_its_progress_and_a_second_delivery_does_nothing(
    transactional_db, world, settings, eager
):
    if connection.vendor != "postgresql":
        pytest.skip("a second connection sees the job while it runs on PostgreSQL")
    settings.MEDIA_ROOT = "/tmp"
    settings.SCORE_JOB_HEARTBEAT_SECONDS = 0.1
    settings.SCORE_JOB_PAUSE_SECONDS = 3  # between evaluating and writing
    app = App(world)
    scored(app)
    outcome = {}

    thread = _run_in_a_worker_thread(app, outcome)
    try:
        # given the job paused mid-computation, inside its transaction
        job = _wait_for(lambda: ScoreJob.objects.filter(phase="writing").first())
        # then its heartbeat and progress are seen from here
        assert (job.status, job.done, job.total, job.attempts) == (S.RUNNING, 7, 7, 1)
        assert job.heartbeat_at > ago(2)
        assert job.runner.split(":")[1].isdigit()  # host:pid:token
        assert not Score.objects.exists()  # nothing written before the commit
        # when the message comes again, and the sweeper passes
        again = jobs.score_job_run(job.pk)
        swept = jobs.score_jobs_sweep()
    finally:
        thread.join(60)
    # then neither touched it: the live worker finished it, once
    assert (again.status, again.attempts, again.runner) == (S.RUNNING, 1, job.runner)
    assert swept == {"requeued": 0, "resent": 0, "failed": 0}
    job.refresh_from_db()
    assert (job.status, job.attempts, job.members) == (S.DONE, 1, 7)
    assert Score.objects.count() == 7
