"""PostgreSQL restarted under load. A PostgreSQL cluster of this test's own
holds a copy of the test's data; gunicorn (two processes, two threads each,
connections kept for ten minutes, CONN_HEALTH_CHECKS on as in every settings)
serves it to a logged-in staff member whose requests run in a loop from a
thread. The cluster is restarted (`pg_ctl restart -m fast`): requests during
the outage may fail, with the friendly 503 page (config/views.py), never a
500; every request after it succeeds again, gunicorn untouched."""

import subprocess
import threading
import time

import pytest

from tests.servers import (
    PG_BIN,
    Gunicorn,
    PostgresCluster,
    Visitor,
    database_url_of_the_test_run,
    wait_for,
)

PASSWORD = "pass-word-123"
PAGES = ["/members/", "/duties/", "/", "/org/"]

pytestmark = [pytest.mark.postgres]


@pytest.fixture
def cluster():
    server = PostgresCluster().start()
    yield server
    server.stop()


@pytest.fixture
def site(transactional_db, world, cluster, tmp_path):
    """The world's data copied into the cluster, served by gunicorn."""
    cluster.psql("CREATE DATABASE lvzhi")
    dump = subprocess.run(
        [str(PG_BIN / "pg_dump"), "--no-owner", "--no-privileges", database_url_of_the_test_run()],
        capture_output=True,
        check=True,
        timeout=120,
    )
    subprocess.run(
        [str(PG_BIN / "psql"), "-q", "-v", "ON_ERROR_STOP=1", cluster.url("lvzhi")],
        input=dump.stdout,
        capture_output=True,
        check=True,
        timeout=120,
    )
    server = Gunicorn(
        {
            "DATABASE_URL": cluster.url("lvzhi"),
            "CONN_MAX_AGE": "600",
            # no Redis: this test is about the database (locmem cache, eager tasks)
            "REDIS_URL": "",
            "CELERY_BROKER_URL": "",
            "MEDIA_ROOT": str(tmp_path / "media"),
        },
        tmp_path / "gunicorn.log",
        workers=2,
        threads=2,
    ).start()
    yield server
    server.stop()


class Load(threading.Thread):
    """Requests in a loop, each page in turn, until stopped: (started, status) each."""

    def __init__(self, visitor: Visitor):
        super().__init__(daemon=True)
        self.visitor = visitor
        self.answers: list[tuple[float, int, str]] = []
        self.stopping = threading.Event()

    def run(self):
        n = 0
        while not self.stopping.is_set():
            started = time.monotonic()
            try:
                status, _url, page = self.visitor.get(PAGES[n % len(PAGES)])
            except OSError as error:  # gunicorn itself gone: never expected
                status, page = 0, str(error)
            self.answers.append((started, status, page))
            n += 1

    def after(self, moment: float) -> list[tuple[float, int, str]]:
        return [a for a in self.answers if a[0] >= moment]


def test_the_app_recovers_from_a_postgres_restart_without_its_own(site, cluster):
    staff = Visitor(site.base, timeout=60)
    staff.login("staff", PASSWORD)
    assert staff.logged_in()
    load = Load(staff)
    load.start()
    try:
        # given requests that succeed, on connections the workers keep
        wait_for(lambda: len(load.answers) >= 20, 60, what="requests before the restart")
        before = load.answers[:]
        assert {status for _t, status, _p in before} == {200}

        # when PostgreSQL restarts
        restarting = time.monotonic()
        cluster.restart()
        back = time.monotonic()

        # then, once it is back, every request succeeds again
        wait_for(lambda: len(load.after(back)) >= 40, 120, what="requests after the restart")
    finally:
        load.stopping.set()
        load.join(90)
    assert site.process.poll() is None  # the same gunicorn throughout
    after = load.after(back)
    assert [s for _t, s, _p in after if s != 200] == [], site.output()[-5000:]
    # and a request the outage caught got the page that says to retry, not a 500
    during = [a for a in load.answers if restarting <= a[0] < back]
    for _t, status, page in during:
        assert status in (200, 503), page[:2000]
        if status == 503:
            assert "系统暂时不可用" in page
    failed = sum(1 for _t, s, _p in during if s != 200)
    print(f"\n{len(before)} before, {len(during)} during ({failed} 503), {len(after)} after")


def test_only_a_lost_database_connection_gets_the_503_page(rf):
    from django.db import OperationalError

    from config.views import server_error

    request = rf.get("/members/")
    try:
        raise OperationalError("server closed the connection unexpectedly")
    except OperationalError:
        lost = server_error(request)
    try:
        raise ValueError("a bug")
    except ValueError:
        bug = server_error(request)

    assert (lost.status_code, lost["Retry-After"]) == (503, "30")
    assert "系统暂时不可用" in lost.content.decode()
    assert bug.status_code == 500 and "系统出错" in bug.content.decode()
    assert not bug.has_header("Retry-After")
