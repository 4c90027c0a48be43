"""Messages the broker could not take (scoring/pending.py): a change whose
ledger refresh cannot be sent is saved all the same, the refresh is recorded
as a PendingTask, and beat's resend publishes it once the broker is back.

The change is made in a process of its own whose broker is a port nobody
listens on (a real, non-eager Celery app that fails to publish), on this
test's database."""

import base64
import json
import os
import socket
import threading

import pytest
import redis
from django.db import connection, transaction

from scoring import facts as ledger
from scoring.models import DutyFact, PendingTask
from scoring.pending import pending_tasks_send
from tests import factories as f

from .test_jobs import eager  # noqa: F401  (a fixture)
from .test_jobs_worker import Workers, redis_url, stack  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.postgres]


def _closed_port() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"redis://127.0.0.1:{probe.getsockname()[1]}"


@pytest.fixture
def down(stack, transactional_db, world, tmp_path):  # noqa: F811
    """Django processes whose broker is unreachable (the cache stays ours)."""
    processes = Workers(_closed_port(), tmp_path)
    processes.env["REDIS_URL"] = os.environ.get("REDIS_URL", "")
    return processes


@pytest.fixture
def activity(world):
    kind = f.ActivityKindFactory(body=world.body, code="inspection")
    return f.ActivityFactory(term=world.term, kind=kind)


def _record_attendance(down, world, activity) -> str:
    return down.django(
        "from django.contrib.auth import get_user_model\n"
        "from duties import services\nfrom duties.models import Activity\n"
        "from members.models import Member\n"
        "services.attendance_record(\n"
        f"    activity=Activity.objects.get(pk={activity.pk}),\n"
        f"    member=Member.objects.get(pk={world.member.pk}),\n"
        "    attendance='attended',\n"
        f"    by=get_user_model().objects.get(pk={world.staff.pk}),\n"
        ")\n"
        "print('saved')"
    )


def test_a_refresh_the_broker_cannot_take_is_recorded_and_the_facts_catch_up_later(
    down,
    world,
    activity,
    eager,  # noqa: F811
):
    # when staff record a member's attendance with the broker unreachable
    assert _record_attendance(down, world, activity) == "saved"  # no error reached the caller

    # then the record is saved, its refresh recorded, and the facts are stale
    assert activity.participations.get(member=world.member).attendance == "attended"
    pending = PendingTask.objects.get()
    assert pending.task == "scoring.tasks.facts_refresh_task"
    assert pending.kwargs == {"member_ids": [world.member.pk]}
    assert pending.attempts == 0 and pending.last_error
    assert not DutyFact.objects.filter(member=world.member).exists()

    # when beat's resend comes round with the broker still down
    done = json.loads(
        down.django(
            "import json\nfrom scoring.pending import pending_tasks_send\n"
            "print(json.dumps(pending_tasks_send()))"
        )
    )

    # then the row stays, one attempt more
    assert done == {"sent": 0, "failed": 1, "left": 1}
    assert PendingTask.objects.get().attempts == 1

    # when it comes round with a broker that runs the task (here, eagerly)
    assert pending_tasks_send() == {"sent": 1, "failed": 0, "left": 0}

    # then the member's facts include the attendance, as a direct refresh gives
    facts = DutyFact.objects.filter(member=world.member)
    assert list(facts.values_list("kind", "source_id")) == [
        (DutyFact.Kind.ACTIVITY_ATTENDED, activity.participations.get(member=world.member).pk)
    ]
    assert ledger.facts_refresh([world.member.pk]).changed == {}


def test_the_resend_publishes_to_the_broker_and_only_then_deletes(
    stack,  # noqa: F811
    transactional_db,
    world,
    redis_url,  # noqa: F811
    tmp_path,
):
    # given two recorded messages
    PendingTask.objects.create(
        task="scoring.tasks.facts_refresh_task", kwargs={"member_ids": [world.member.pk]}
    )
    PendingTask.objects.create(
        task="scoring.tasks.period_compute_task", kwargs={"period_id": 12345}
    )
    sender = Workers(redis_url, tmp_path)
    sender.env["CELERY_TASK_DEFAULT_QUEUE"] = "pending-test"

    # when the resend runs with a working broker
    done = json.loads(
        sender.django(
            "import json\nfrom scoring.pending import pending_tasks_send\n"
            "print(json.dumps(pending_tasks_send()))"
        )
    )

    # then both messages are in the queue, in order, and the rows are gone
    assert done == {"sent": 2, "failed": 0, "left": 0}
    assert not PendingTask.objects.exists()
    queued = redis.Redis.from_url(f"{redis_url}/0").lrange("pending-test", 0, -1)
    messages = []
    for raw in reversed(queued):  # kombu pushes on the left
        message = json.loads(raw)
        _args, kwargs, _embed = json.loads(base64.b64decode(message["body"]))
        messages.append((message["headers"]["task"], kwargs))
    assert messages == [
        ("scoring.tasks.facts_refresh_task", {"member_ids": [world.member.pk]}),
        ("scoring.tasks.period_compute_task", {"period_id": 12345}),
    ]


def test_a_row_another_sender_holds_is_left_to_it(
    transactional_db,
    world,
    eager,  # noqa: F811
):
    # given two recorded refreshes, one of them being sent by another beat
    held, free = (
        PendingTask.objects.create(
            task="scoring.tasks.facts_refresh_task", kwargs={"member_ids": [member.pk]}
        )
        for member in (world.member, world.colleague)
    )
    locked, release = threading.Event(), threading.Event()

    def other_sender():
        try:
            with transaction.atomic():
                PendingTask.objects.select_for_update().get(pk=held.pk)
                locked.set()
                release.wait(30)
        finally:
            connection.close()

    other = threading.Thread(target=other_sender)
    other.start()
    assert locked.wait(30)

    # when this one runs, it sends only the free row, without waiting
    try:
        assert pending_tasks_send() == {"sent": 1, "failed": 0, "left": 1}
    finally:
        release.set()
        other.join()

    # then the held row is still there for its sender to finish
    assert list(PendingTask.objects.values_list("pk", flat=True)) == [held.pk]
    assert not PendingTask.objects.filter(pk=free.pk).exists()


def test_beat_sends_the_recorded_messages_every_minute():
    from config.celery import app as celery

    entry = celery.conf.beat_schedule["scoring-pending-tasks-send"]
    assert entry["task"] == "scoring.tasks.pending_tasks_send_task"
    assert entry["schedule"] == 60.0
    assert entry["task"] in celery.tasks
