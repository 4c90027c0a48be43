"""What the background jobs (scoring.jobs, summaries.jobs) share while one runs:
the run's name on the job row, and on PostgreSQL the thread that holds the job's
advisory lock on a connection of its own and writes the heartbeat. A worker
killed mid-job drops the connection and the lock with it, which is how a
sweeper tells a dead worker from a slow one; SQLite has no such locks, so
there a heartbeat older than the stale limit says the same."""

import datetime
import logging
import os
import socket
import threading
import uuid
from functools import partial

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

log = logging.getLogger(__name__)


def lock_key(space: int, job_id: int) -> list[int]:
    return [space, job_id % 2**31]


class JobRun:
    """One run of a job by this process. Subclasses name the job model, their
    advisory-lock space, the setting of the heartbeat's interval and what the
    heartbeat writes besides its time (`heartbeat_values`)."""

    model = None  # a job model with Status.RUNNING, runner and heartbeat_at
    lock_space = 0
    heartbeat_setting = ""
    label = "job"

    def __init__(self, job_id: int):
        self.job_id = job_id
        self.name = f"{socket.gethostname()[:80]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.locks = connection.vendor == "postgresql"
        self.owned = not self.locks  # without locks the job row alone decides
        self._ready = threading.Event()
        self._stop = threading.Event()
        self._thread = None

    def __enter__(self):
        if self.locks:
            self._thread = threading.Thread(
                target=self._beat, name=f"{self.label}-{self.job_id}", daemon=True
            )
            self._thread.start()
            self._ready.wait()
        return self

    def __exit__(self, *exc_info):
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def heartbeat_values(self) -> dict:
        return {}

    def heartbeat(self) -> None:
        self.model.objects.filter(
            pk=self.job_id, runner=self.name, status=self.model.Status.RUNNING
        ).update(heartbeat_at=timezone.now(), **self.heartbeat_values())

    def _beat(self):
        try:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_try_advisory_lock(%s, %s)", lock_key(self.lock_space, self.job_id)
                )
                self.owned = cursor.fetchone()[0]
            self._ready.set()
            while self.owned and not self._stop.wait(getattr(settings, self.heartbeat_setting)):
                self.heartbeat()
        except Exception:
            # The lock goes with the connection: the sweeper hands the job on.
            log.exception("the heartbeat of %s %s stopped", self.label, self.job_id)
        finally:
            self._ready.set()
            connection.close()  # this thread's own connection, and the lock with it


def heartbeat_fresh(job, *, stale_seconds: int, now) -> bool:
    stale = datetime.timedelta(seconds=stale_seconds)
    return job.heartbeat_at is not None and now - job.heartbeat_at < stale


def worker_gone(job, *, lock_space: int, stale_seconds: int, now) -> bool:
    """Whether the worker running `job` is gone: on PostgreSQL, nobody holds the
    job's advisory lock; elsewhere, its heartbeat is stale."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", lock_key(lock_space, job.pk))
            if not cursor.fetchone()[0]:
                return False  # its worker holds it: alive, however slow
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", lock_key(lock_space, job.pk))
        return True
    return not heartbeat_fresh(job, stale_seconds=stale_seconds, now=now)


def queue_down_message() -> str:
    return _("任务队列暂时不可用:任务已记录,队列恢复后会自动开始,无需重新提交")


def job_send(job, task) -> None:
    """Send `task(job.pk)` to a worker once the current transaction commits.
    With the broker unreachable (the publish gives up within seconds, see
    CELERY_BROKER_TRANSPORT_OPTIONS) the job stays queued and says so on its
    page; the sweeper (beat, every minute) sends it again once the broker is
    back, as it does any queued job no worker started."""
    transaction.on_commit(partial(_send, job, task), robust=True)


def _send(job, task) -> None:
    try:
        task.delay(job.pk)
    except Exception as error:  # kombu's OperationalError, or the transport's own
        log.warning(
            "%s %s stays queued, the broker is unreachable: %s", job._meta.label, job.pk, error
        )
        job.message = queue_down_message()
        type(job).objects.filter(pk=job.pk, status=job.Status.QUEUED).update(message=job.message)


def queue_was_down(job) -> bool:
    """Whether the job's message could not be sent when it was started."""
    return job.message == queue_down_message()
