"""RabbitMQ as the broker (CELERY_BROKER_URL=amqp://...): a real Celery
worker on the machine's RabbitMQ (127.0.0.1:5672, or LVZHI_RABBITMQ_URL) and
the test's PostgreSQL database runs an export job end to end, from the
export page's start to a whole .xlsx file. The queue's name is this run's
own (CELERY_TASK_DEFAULT_QUEUE), so parallel runs on one RabbitMQ never take
each other's tasks; it is deleted afterwards.

Skipped without RabbitMQ, PostgreSQL or redis-server (the cache), except where
the services are required (LVZHI_REQUIRE_SERVICES), where it fails."""

import os
import uuid

import pytest
from kombu import Connection
from openpyxl import load_workbook

from scoring.tests.test_jobs_worker import (  # noqa: F401  (fixtures)
    Workers,
    redis_url,
    stack,
    wait_for,
)
from summaries.models import ExportJob
from summaries.tests.conftest import at, attend, past_activity
from summaries.tests.test_export_jobs_worker import start_job
from tests import factories as f

RABBITMQ_URL = os.environ.get("LVZHI_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672//")
REQUIRED = bool(os.environ.get("LVZHI_REQUIRE_SERVICES"))
ROWS = 30
pytestmark = [pytest.mark.postgres]


@pytest.fixture
def rabbitmq(stack):  # noqa: F811
    """The broker's URL and a queue name of this test's own, deleted afterwards."""
    try:
        with Connection(RABBITMQ_URL, connect_timeout=5) as probe:
            probe.ensure_connection(max_retries=1)
    except Exception as error:
        message = f"RabbitMQ does not answer at {RABBITMQ_URL}: {error}"
        if REQUIRED:
            pytest.fail(message)
        pytest.skip(message)
    queue = f"lvzhi-test-{uuid.uuid4().hex[:12]}"
    yield RABBITMQ_URL, queue
    with Connection(RABBITMQ_URL, connect_timeout=5) as conn:
        conn.default_channel.queue_delete(queue)


@pytest.fixture
def workers(redis_url, rabbitmq, tmp_path, settings):  # noqa: F811
    broker, queue = rabbitmq
    settings.EXPORT_FILES_ROOT = tmp_path / "exports"
    started = Workers(redis_url, tmp_path)  # its Redis is the cache only
    started.env.update(
        CELERY_BROKER_URL=broker,
        CELERY_TASK_DEFAULT_QUEUE=queue,
        EXPORT_FILES_ROOT=str(settings.EXPORT_FILES_ROOT),
    )
    yield started
    started.stop()


def test_an_export_job_runs_end_to_end_on_rabbitmq(transactional_db, world, workers):
    # given an activity with ROWS members on its list, and a worker on RabbitMQ
    activity = past_activity(world, theme="全体委员视察", when=at(3, 5))
    for n in range(ROWS):
        member = f.MemberFactory(term=world.term, sector=world.sector, number=f"7{n:03d}")
        attend(activity, member, "attended" if n % 4 else "absent")
    workers.start()

    # when staff start the attendance export as a job (sent to RabbitMQ on commit)
    job_id = start_job(workers, world, activity, total=ROWS)

    # then the worker took it from RabbitMQ and finished it: one run, a whole file
    try:
        job = wait_for(
            lambda: (j := ExportJob.objects.get(pk=job_id)) and not j.is_active and j, seconds=120
        )
    except AssertionError:
        raise AssertionError(workers.logs()) from None
    assert (job.status, job.attempts) == (ExportJob.Status.DONE, 1), workers.logs()
    assert job.done == job.total == ROWS
    sheet = load_workbook(workers.env["EXPORT_FILES_ROOT"] + "/" + job.file_name)["出席情况"]
    assert sheet["A1"].value == "全体委员视察出席情况"
    assert sheet.max_row == 3 + ROWS
    logs = workers.logs()
    assert "Connected to amqp://" in logs  # the worker's broker was RabbitMQ
    assert workers.env["CELERY_TASK_DEFAULT_QUEUE"] in logs  # the worker read our queue
