"""The load test's short form (issue 8, point 3), run in CI: small generated
data in the test database, the app served by gunicorn with the production
settings and a Celery worker (a Redis of this test's own for cache and
broker), driven at a constant arrival rate for about 25 seconds by the same
driver as `python -m bench.load`. It asserts no errors and no overfilled
activity, never a latency (the full form measures those).

Needs PostgreSQL and the redis-server binary: skipped without them, except
where CI requires the services (LVZHI_REQUIRE_SERVICES), where it fails
(tests/servers.py)."""

import socket

import pytest

from bench.load.run import load_run
from duties.models import Activity, Participation
from tests.servers import RedisServer, database_url_of_the_test_run, free_port

CAPACITY = 3  # fewer than the members who sign up, so it fills under the load
MEMBERS = 20

pytestmark = [pytest.mark.postgres]


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def redis_url(tmp_path):
    """A Redis of this test's own; PostgreSQL is required as well."""
    database_url_of_the_test_run()  # skips (or fails in CI) without PostgreSQL
    server = RedisServer(tmp_path).start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.mark.django_db(transaction=True)
def test_the_served_app_takes_a_constant_rate_without_errors_or_overfill(redis_url, tmp_path):
    # given: small data, the app served with production settings, a worker
    port = free_port()
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
        database_url=database_url_of_the_test_run(),
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
