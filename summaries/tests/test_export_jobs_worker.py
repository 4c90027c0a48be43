"""An export job on a real Celery worker (prefork, one child) with a Redis of its
own, on the test's PostgreSQL database, its pool child SIGKILLed mid-file: the
job is never marked done with a half file (the run writes `job-N-token.part`
and renames it only when complete), the worker gives the message back, a new
run deletes the leftover and writes the whole file, and the job ends done
after two runs. "Mid-file" is held open by EXPORT_JOB_PAUSE_SECONDS: the run
sleeps after every EXPORT_JOB_PROGRESS_ROWS rows.

The worker machinery (a throwaway redis-server, the worker processes, the
one-off Django commands) is the score jobs' (scoring/tests/test_jobs_worker.py).
Needs PostgreSQL and the redis-server binary: skipped without them, except
where the services are required (LVZHI_REQUIRE_SERVICES), where it fails."""

import os
import signal
import time

import pytest
from openpyxl import load_workbook

from scoring.tests.test_jobs_worker import (  # noqa: F401  (fixtures)
    Workers,
    _parent_of,
    redis_url,
    stack,
    wait_for,
)
from summaries.exports import export_kind, export_prepare
from summaries.models import ExportJob
from summaries.xlsx import write_workbook
from tests import factories as f

from .conftest import YEAR, at, attend, past_activity

S = ExportJob.Status
ROWS = 120
STEP = 10  # rows between pauses
pytestmark = [pytest.mark.postgres]


@pytest.fixture
def workers(redis_url, tmp_path, export_files):  # noqa: F811
    started = Workers(redis_url, tmp_path)
    started.env.update(
        EXPORT_FILES_ROOT=str(export_files),
        EXPORT_JOB_PROGRESS_ROWS=str(STEP),
        EXPORT_JOB_PAUSE_SECONDS="1",
        EXPORT_JOB_HEARTBEAT_SECONDS="1",
        EXPORT_JOB_STALE_SECONDS="5",
    )
    yield started
    started.stop()


@pytest.fixture
def activity(stack, transactional_db, world):  # noqa: F811
    """One past activity with ROWS members on its list, committed for the worker."""
    activity = past_activity(world, theme="全体委员视察", when=at(3, 5))
    for n in range(ROWS):
        member = f.MemberFactory(term=world.term, sector=world.sector, number=f"8{n:03d}")
        attend(activity, member, "attended" if n % 7 else "absent")
    return activity


def start_job(workers, world, activity, total=ROWS) -> int:
    """What the export page does past the threshold: the attendance export of
    `total` rows as a job, sent once it commits."""
    return int(
        workers.django(
            "from django.contrib.auth import get_user_model\n"
            "from summaries import jobs\nfrom summaries.exports import KINDS\n"
            f"user = get_user_model().objects.get(pk={world.staff.pk})\n"
            f"params = {{'body': {world.body.pk}, 'activity': {activity.pk}}}\n"
            f"print(jobs.export_job_start(user=user, kind=KINDS['attendance'], params=params, total={total}).pk)"
        )
    )


def test_a_killed_pool_child_leaves_no_half_file_marked_done(
    world, activity, workers, export_files, tmp_path
):
    worker = workers.start()

    # given the job mid-file in the worker's child (its heartbeat has written progress)
    job_id = start_job(workers, world, activity)
    job = wait_for(lambda: ExportJob.objects.filter(pk=job_id, done__gte=3 * STEP).first())
    child = int(job.runner.split(":")[1])
    assert _parent_of(child) == worker.pid
    workers.children.add(child)
    assert job.status == S.RUNNING and job.file_name == ""
    # (openpyxl keeps the sheets in temporary files until it zips them into the
    # .part file at the end; nothing with the final name exists before the rename)
    assert not list(export_files.glob("*.xlsx"))

    # when the child is killed
    os.kill(child, signal.SIGKILL)
    killed_at = time.monotonic()

    # then, until another run finishes it, the job is not done and has no file
    assert ExportJob.objects.get(pk=job_id).status in (S.RUNNING, S.QUEUED)
    swept = []

    def finished():
        job = ExportJob.objects.get(pk=job_id)
        # never done by the killed run
        assert job.status != S.DONE or job.runner.split(":")[1] != str(child)
        if job.runner.split(":")[1] == str(child) and time.monotonic() - killed_at > 10 * (
            len(swept) + 1
        ):
            swept.append(workers.sweep_exports())
        return None if job.is_active else job

    try:
        job = wait_for(finished, seconds=120)
    except AssertionError:
        raise AssertionError(workers.logs()) from None
    assert (job.status, job.attempts) == (S.DONE, 2), workers.logs()
    assert job.message == "前一次导出未完成(工作进程中断),第 2 次尝试"
    assert job.runner.split(":")[1] != str(child)
    assert worker.poll() is None

    # and the file is whole, the only one left: every member once, each row
    # as a clean export of the same data writes it here and now
    assert [p.name for p in export_files.iterdir()] == [job.file_name]
    ws = load_workbook(export_files / job.file_name)["出席情况"]
    assert ws.max_row == 3 + ROWS
    assert ws["A1"].value == "全体委员视察出席情况"
    assert job.done == job.total == ROWS
    clean = tmp_path / "clean.xlsx"
    prepared = export_prepare(user=world.staff, kind=export_kind("attendance"), params=job.params)
    assert write_workbook(clean, sheets=prepared.sheets) == ROWS
    by_job = [list(row) for row in ws.iter_rows(values_only=True)]
    assert by_job == [
        list(row) for row in load_workbook(clean)["出席情况"].iter_rows(values_only=True)
    ]
    numbers = [row[by_job[2].index("委员编号")] for row in by_job[3:]]
    assert sorted(numbers) == [f"8{n:03d}" for n in range(ROWS)]
    print(
        f"\nkilled child: done {job.finished_at - job.created_at} after the start; sweeps: {swept}"
    )


def _sweep_exports(self) -> str:
    return self.django("from summaries import jobs\nprint(jobs.export_jobs_sweep())")


Workers.sweep_exports = _sweep_exports
assert YEAR
