"""The load test's short form (issue 8, point 3), run in CI: small generated
data in the test database, the app served by gunicorn with the production
settings and a Celery worker (a Redis of this test's own for cache and
broker), driven at a constant arrival rate for about 25 seconds by the same
driver as `python -m bench.load`. It asserts no errors and no overfilled
activity, never a latency (the full form measures those).

Needs PostgreSQL and the redis-server binary: skipped without them, except
where CI requires the services (LVZHI_REQUIRE_SERVICES), where it fails."""

import os
import shutil
import socket
import subprocess
import time
from urllib.parse import quote

import pytest
import redis
from django.db import connection

from bench.load.run import load_run
from duties.models import Activity, Participation

REQUIRED = bool(os.environ.get("LVZHI_REQUIRE_SERVICES"))
CAPACITY = 3  # fewer than the members who sign up, so it fills under the load
MEMBERS = 20

pytestmark = [pytest.mark.postgres]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def redis_url(tmp_path):
    missing = []
    if connection.vendor != "postgresql":
        missing.append("PostgreSQL (DATABASE_URL)")
    if shutil.which("redis-server") is None:
        missing.append("the redis-server binary")
    if missing:
        message = "the load test needs " + " and ".join(missing)
        if REQUIRED:
            pytest.fail(message)
        pytest.skip(message)
    port = _free_port()
    server = subprocess.Popen(
        [
            *("redis-server", "--port", str(port), "--bind", "127.0.0.1"),
            *("--save", "", "--appendonly", "no", "--dir", str(tmp_path)),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        client = redis.Redis(port=port)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(10)


def _database_url() -> str:
    db = connection.settings_dict
    auth = quote(db["USER"] or "postgres")
    if db["PASSWORD"]:
        auth += ":" + quote(db["PASSWORD"])
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.mark.django_db(transaction=True)
def test_the_served_app_takes_a_constant_rate_without_errors_or_overfill(redis_url, tmp_path):
    # given: small data, the app served with production settings, a worker
    port = _free_port()
    phases = [
        {"label": "warm-up", "rate": 3, "seconds": 5},
        {"label": "5/s", "rate": 5, "seconds": 20},
    ]

    # when: the driver sends the fixed mix at 5 requests a second
    outcome = load_run(
        scale="S",
        generator_members=60,
        members=MEMBERS,
        capacity=CAPACITY,
        phases=phases,
        port=port,
        workers=2,
        # Slowness is the full form's business: only a request never answered
        # (a minute) counts as an error here, not one a busy machine served late.
        timeout=60,
        database_url=_database_url(),
        redis_url=f"{redis_url}/1",
        broker_url=f"{redis_url}/0",
        logs=tmp_path / "logs",
    )

    # then: every request of every kind answered as expected, nothing logged
    result = outcome["result"]
    assert result["logins"] == MEMBERS + 1
    for phase in result["phases"]:
        assert phase["overall"]["requests"] == phase["scheduled"], phase["statuses"]
        assert phase["overall"]["errors"] == 0, phase["statuses"]
        for kind, stats in phase["kinds"].items():
            assert stats["requests"] > 0, f"no {kind} request in {phase['label']}"
    assert outcome["server_errors"] == []
    # the activity filled to its capacity and not one seat more
    check = outcome["check"]
    assert check["ok"], check
    activity = Activity.objects.get(pk=outcome["plan"]["signup_activity"])
    confirmed = Participation.objects.filter(
        activity=activity, signup=Participation.Signup.CONFIRMED
    ).count()
    assert confirmed == activity.signed_up_count == CAPACITY
    assert check["waitlisted"] > 0
    assert len(result["signed_up"]) == confirmed + check["waitlisted"]
    # the check-ins were recorded, and the server and worker are gone
    assert (
        Participation.objects.filter(
            activity_id=outcome["plan"]["checkin_activity"], checked_in_at__isnull=False
        ).count()
        == len(result["checked_in"])
        > 0
    )
    assert not _listening(port)
