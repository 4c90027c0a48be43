"""A computation job on a real Celery worker (prefork, one child) with a Redis
of its own, on the test's PostgreSQL database, killed mid-job:

(a) the pool's child is killed: the worker gives the message back (late ack,
    reject on worker lost), a new child takes the job over, or the sweeper
    queues it again;
(b) the whole worker is killed: its message stays unacknowledged in Redis for
    the visibility timeout (an hour); the sweeper queues the job again at
    once and a new worker finishes it.

Either way the job ends done after exactly two runs, and the period's
scores are those a direct period_compute gives on the same data. "Mid-job"
is held open by SCORE_JOB_PAUSE_SECONDS: each run sleeps between evaluating
and writing, inside the computation's transaction.

Needs PostgreSQL and the redis-server binary: skipped without them, except
where CI requires the services (LVZHI_REQUIRE_SERVICES), where it fails."""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from duties import services as duties
from scoring import facts as ledger
from scoring import services
from scoring.models import Score, ScoreJob, ScoreLine
from tests.servers import RedisServer, database_url_of_the_test_run

from .test_jobs import eager  # noqa: F401  (a fixture)
from .test_worked_members_through_the_app import YEAR, App, at, rulebook_text

ROOT = Path(__file__).resolve().parents[2]
PAUSE = 4  # seconds each run holds its transaction open before writing
S = ScoreJob.Status

pytestmark = [pytest.mark.postgres]


@pytest.fixture
def stack():
    """PostgreSQL and the redis-server binary, or a skip (a failure in CI)."""
    database_url_of_the_test_run()
    RedisServer.available()


@pytest.fixture
def redis_url(stack, tmp_path):
    """A Redis of this test's own, on a free port, keeping nothing on disk."""
    server = RedisServer(tmp_path).start()
    try:
        yield server.url
    finally:
        server.stop()


class Workers:
    """Worker processes started by a test, their output in files, and the
    one-off Django commands a staff member's request or beat would run."""

    def __init__(self, redis_url: str, tmp_path: Path):
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url_of_the_test_run(),
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "CELERY_BROKER_URL": f"{redis_url}/0",
            "REDIS_URL": f"{redis_url}/1",
            "SCORE_JOB_HEARTBEAT_SECONDS": "1",
            "SCORE_JOB_STALE_SECONDS": "5",
            "SCORE_JOB_PAUSE_SECONDS": str(PAUSE),
        }
        self.tmp_path = tmp_path
        self.started: list[subprocess.Popen] = []
        self.children: set[int] = set()

    def start(self) -> subprocess.Popen:
        log = open(self.tmp_path / f"worker-{len(self.started)}.log", "w")  # noqa: SIM115
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool=prefork",
                "--concurrency=1",
                "-n",
                f"jobs-{uuid.uuid4().hex[:8]}@%h",
                "-l",
                "info",
                "--without-mingle",
                "--without-gossip",
                "--without-heartbeat",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.started.append(worker)
        return worker

    def django(self, code: str) -> str:
        done = subprocess.run(
            [sys.executable, "-c", "import django\ndjango.setup()\n" + code],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    def start_job(self, period, user) -> int:
        """What the periods page does: start the job, sent once it commits."""
        return int(
            self.django(
                "from django.contrib.auth import get_user_model\n"
                "from scoring import jobs\nfrom scoring.models import ScorePeriod\n"
                f"period = ScorePeriod.objects.get(pk={period.pk})\n"
                f"user = get_user_model().objects.get(pk={user.pk})\n"
                "print(jobs.period_compute_start(period=period, by=user).pk)"
            )
        )

    def sweep(self) -> str:
        """What beat runs every minute."""
        return self.django("from scoring import jobs\nprint(jobs.score_jobs_sweep())")

    def running_child(self, job_id: int, worker) -> tuple[int, str]:
        """The pid of the pool child running the job, once it is mid-job, and
        the run's name on the job."""
        job = wait_for(lambda: ScoreJob.objects.filter(pk=job_id, phase="writing").first())
        pid = int(job.runner.split(":")[1])
        assert _parent_of(pid) == worker.pid  # a child of our worker, nothing else
        self.children.add(pid)
        return pid, job.runner

    def logs(self) -> str:
        return "\n".join(p.read_text()[-3000:] for p in sorted(self.tmp_path.glob("worker-*.log")))

    def stop(self):
        for worker in self.started:
            if worker.poll() is None:
                worker.terminate()
                try:
                    worker.wait(30)
                except subprocess.TimeoutExpired:
                    worker.kill()
                    worker.wait(10)
        for pid in self.children:  # a child a killed worker left behind
            if _parent_of(pid) is not None:
                os.kill(pid, signal.SIGKILL)


def _parent_of(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])


def wait_for(condition, seconds=60, every=0.1):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(every)
    raise AssertionError("timed out")


@pytest.fixture
def workers(redis_url, tmp_path):
    started = Workers(redis_url, tmp_path)
    yield started
    started.stop()


@pytest.fixture
def body_year(stack, transactional_db, world, eager, settings, tmp_path):  # noqa: F811
    """Forty members besides the world's four, with a year of plenary,
    standing and committee meetings and activities recorded through the
    services, the ledger built and R1 published; the annual period."""
    settings.MEDIA_ROOT = tmp_path
    app = App(world)
    members = [app.member(standing=n % 5 == 0) for n in range(40)]
    staff = app.staff

    plenary = app.activity("plenary", at(1, 15))
    duties.list_add(activity=plenary, members=members, by=staff)
    for m in members[:3]:
        duties.attendance_record(activity=plenary, member=m, attendance="absent", by=staff)
    for m in members[3:6]:
        duties.attendance_record(
            activity=plenary, member=m, attendance="excused", reason="因公出差", by=staff
        )
    duties.attendance_mark_all_present(activity=plenary, by=staff)
    standing = app.activity("standing_meeting", at(3, 5))
    duties.list_add(activity=standing, members=members[::5], by=staff)
    duties.attendance_record(
        activity=standing, member=members[5], attendance="excused", reason="出差", by=staff
    )
    duties.attendance_mark_all_present(activity=standing, by=staff)
    meeting = app.activity("committee_meeting", at(4, 20))
    duties.list_add(activity=meeting, members=members[10:20], by=staff)
    for m in members[10:13]:
        duties.attendance_record(activity=meeting, member=m, attendance="absent", by=staff)
    duties.attendance_mark_all_present(activity=meeting, by=staff)
    for n in range(8):  # inspections and research, each for two members in three
        activity = app.activity(("inspection", "research")[n % 2], at(2 + n, 10))
        chosen = [m for i, m in enumerate(members) if (i + n) % 3]
        duties.list_add(activity=activity, members=chosen, by=staff)
        duties.attendance_mark_all_present(activity=activity, by=staff)

    ledger.facts_rebuild(body=app.body)
    services.rulebook_load(
        body=app.body, year=YEAR, text=rulebook_text("r1.yaml"), by=staff, publish=True
    )
    return app, services.period_open(body=app.body, year=YEAR, quarter=0)


def _stored(model, exclude: set[str]) -> list[str]:
    return [f.attname for f in model._meta.concrete_fields if f.attname not in exclude]


# Every stored column of the period's scores and lines but ids and times: what
# a clean computation must give again, row for row.
SCORE_COLUMNS = _stored(Score, {"id", "period_id", "computed_at", "changed_since_final_at"})
LINE_COLUMNS = _stored(ScoreLine, {"id", "score_id"})


def snapshot(period) -> dict:
    """Each member's score row and the sorted list of its lines, every column."""
    lines = {}
    for row in ScoreLine.objects.filter(score__period=period).values_list(
        "score__member_id", *LINE_COLUMNS
    ):
        lines.setdefault(row[0], []).append(repr(row[1:]))
    return {
        row[SCORE_COLUMNS.index("member_id")]: (
            row,
            sorted(lines.get(row[SCORE_COLUMNS.index("member_id")], [])),
        )
        for row in Score.objects.filter(period=period).values_list(*SCORE_COLUMNS)
    }


def assert_scores_are_a_direct_computation(period, job):
    by_job = snapshot(period)
    assert len(by_job) == job.members == 44
    total = SCORE_COLUMNS.index("total")
    assert len({row[total] for row, _lines in by_job.values()}) > 5  # members differ
    assert sum(len(lines) for _row, lines in by_job.values()) == job.lines
    assert ScoreLine.objects.filter(score__period=period).count() == job.lines

    # a clean computation: the period's rows deleted, then computed in this process
    Score.objects.filter(period=period).delete()
    services.period_compute(period=period)
    assert snapshot(period) == by_job


def assert_nothing_written_yet(job_id, period, killed_run):
    """While the killed run is the job's last, the job is not done and the
    period has no scores: its transaction went with it."""
    job = ScoreJob.objects.get(pk=job_id)
    if job.runner == killed_run:
        assert job.status != S.DONE
        assert not Score.objects.filter(period=period).exists()


def test_a_killed_pool_child_loses_nothing(body_year, workers):
    app, period = body_year
    worker = workers.start()

    # given the job mid-computation in the worker's child
    job_id = workers.start_job(period, app.staff)
    child, run = workers.running_child(job_id, worker)

    # when the child is killed
    os.kill(child, signal.SIGKILL)
    killed_at = time.monotonic()

    # then the job is done, by a new child, after two runs. The worker gives
    # the message back and a new child takes the job over at once, unless
    # the message came back before PostgreSQL saw the killed child's
    # connections go (the new child then leaves the job to what looked like
    # a live run): the sweeper hands it on then, as beat would within a minute.
    swept = []

    def finished():
        assert_nothing_written_yet(job_id, period, run)
        job = ScoreJob.objects.get(pk=job_id)
        if job.runner == run and time.monotonic() - killed_at > 10 * (len(swept) + 1):
            swept.append(workers.sweep())
        return None if job.is_active else job

    try:
        job = wait_for(finished, seconds=90)
    except AssertionError:
        raise AssertionError(workers.logs()) from None
    assert (job.status, job.attempts) == (S.DONE, 2), workers.logs()
    assert job.runner.split(":")[1] not in (str(child), str(worker.pid))
    assert job.message == "前一次计算未完成(工作进程中断),第 2 次尝试"
    assert worker.poll() is None  # the worker itself lived on
    print(
        f"\nkilled child: done {job.finished_at - job.created_at} after the start; sweeps: {swept}"
    )
    assert_scores_are_a_direct_computation(period, job)


def test_a_killed_worker_is_replaced_and_the_sweeper_hands_the_job_on(body_year, workers):
    app, period = body_year
    first = workers.start()

    # given the job mid-computation
    job_id = workers.start_job(period, app.staff)
    child, _run = workers.running_child(job_id, first)

    # when the whole worker is killed, main process and child, and another starts
    os.kill(first.pid, signal.SIGKILL)
    os.kill(child, signal.SIGKILL)
    first.wait(10)
    wait_for(lambda: _parent_of(child) is None, seconds=10)
    job = ScoreJob.objects.get(pk=job_id)
    assert (job.status, job.attempts) == (S.RUNNING, 1)  # nothing else will move it
    assert not Score.objects.filter(period=period).exists()  # and nothing half-written
    workers.start()
    swept = workers.sweep()

    # then the sweeper queued it again at once, and the new worker finished it
    assert swept == "{'requeued': 1, 'resent': 0, 'failed': 0}"
    try:
        job = wait_for(lambda: ScoreJob.objects.filter(pk=job_id, status=S.DONE).first(), 90)
    except AssertionError:
        raise AssertionError(workers.logs()) from None
    assert job.attempts == 2
    assert_scores_are_a_direct_computation(period, job)


def test_a_run_past_its_time_limit_is_stopped_and_writes_nothing(body_year, workers):
    app, period = body_year
    # given a worker whose runs may take 2 s, and a run that takes longer
    workers.env["SCORE_JOB_TIME_LIMIT_SECONDS"] = "2"
    workers.start()

    # when staff start the computation
    job_id = workers.start_job(period, app.staff)

    # then the soft limit stops it inside its transaction: failed, with why
    try:
        job = wait_for(
            lambda: (j := ScoreJob.objects.get(pk=job_id)) and not j.is_active and j, seconds=60
        )
    except AssertionError:
        raise AssertionError(workers.logs()) from None
    assert (job.status, job.attempts) == (S.FAILED, 1), workers.logs()
    assert job.message == "计算超过 1 分钟仍未完成,已停止,请联系系统管理员"
    assert not Score.objects.filter(period=period).exists()
