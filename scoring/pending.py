"""Messages to workers that must not be lost while the broker is down.

The ledger refresh, the scores that follow a change and a period's
computation are sent once the records that call for them commit. A publish
that fails (the broker timeouts in config/settings/base.py give up within
seconds) is written to the database instead, as a PendingTask, and beat sends
it again every minute (`pending_tasks_send`). Score and export jobs need none
of this: their job rows are their record (config/job_runs.py, `job_send`).

Every task sent through here is idempotent (a refresh is a diff against the
records, a computation gives the same rows), so a row sent twice, say by a
publish that succeeded just before the process died, is harmless."""

import logging

from celery import current_app
from django.db import transaction

from scoring.models import PendingTask

log = logging.getLogger(__name__)


def task_send(task, **kwargs) -> None:
    """Send `task(**kwargs)` to a worker now, or record it to be sent again if
    the broker is unreachable. Call it on commit (`task_send_on_commit`)."""
    if task.app.conf.task_always_eager:
        task.apply_async(kwargs=kwargs)  # runs here: its errors are its own, not the broker's
        return
    try:
        task.apply_async(kwargs=kwargs)
    except Exception as error:  # kombu's OperationalError, or the transport's own
        PendingTask.objects.create(task=task.name, kwargs=kwargs, last_error=str(error)[:500])
        log.warning("%s recorded to send again, the broker is unreachable: %s", task.name, error)


def task_send_on_commit(task, **kwargs) -> None:
    # robust: a failure here must not turn a committed change into an error page
    transaction.on_commit(lambda: task_send(task, **kwargs), robust=True)


def pending_tasks_send() -> dict:
    """Send the recorded messages again, oldest first; each row is deleted in
    the transaction of its successful publish. Rows another sender holds are
    skipped (two beats never send one row at once). The first failed publish
    ends the round: the broker is still down, the rest waits for the next."""
    last = PendingTask.objects.order_by("-pk").values_list("pk", flat=True).first()
    sent = failed = 0
    while last is not None:
        with transaction.atomic():
            row = (
                PendingTask.objects.select_for_update(skip_locked=True)
                .filter(pk__lte=last)
                .order_by("pk")
                .first()
            )
            if row is None:
                break
            try:
                current_app.tasks[row.task].apply_async(kwargs=row.kwargs)
            except Exception as error:
                row.attempts += 1
                row.last_error = str(error)[:500]
                row.save(update_fields=["attempts", "last_error"])
                failed += 1
                log.warning("pending %s %s not sent again: %s", row.task, row.pk, error)
                break
            row.delete()
            sent += 1
    return {"sent": sent, "failed": failed, "left": PendingTask.objects.count()}
