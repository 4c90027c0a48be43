"""Redis stopped under a running site. gunicorn serves the app with its cache
and Celery broker on a redis-server of this test's own, which the test stops:

- every main page still renders, for members and for staff;
- members still log in, and the login rate limit fails open (config/cache.py:
  allauth's limits live in the cache; with Redis gone they are off and a
  warning is logged, rather than everyone being locked out);
- starting a score computation or a large export answers at once with a
  Chinese message that the work is recorded and will run when the queue is
  back; the job row exists, queued;
- a sign-up and an attendance record are saved, and the ledger refreshes they
  call for, which the broker cannot take, are recorded (scoring.PendingTask);
- once Redis is back, the sweepers and the resend (what beat runs every
  minute) send the jobs and the refreshes again and a real Celery worker runs
  them: the jobs to done, the member's facts up to date; and the login limit
  holds again.

A unit test of the fail-open cache against a port nobody listens on comes first."""

import logging
import re
import time

import pytest
from openpyxl import load_workbook

from config import cache as failopen
from config.job_runs import queue_down_message
from duties.models import Participation
from scoring.models import DutyFact, PendingTask, Score, ScoreJob
from scoring.tests.test_jobs import eager, scored  # noqa: F401  (eager: a fixture)
from scoring.tests.test_jobs_worker import Workers
from scoring.tests.test_services import inspections
from scoring.tests.test_worked_members_through_the_app import YEAR, App, at
from summaries.models import ExportJob
from tests import factories as f
from tests.servers import (
    Gunicorn,
    RedisServer,
    Visitor,
    database_url_of_the_test_run,
    free_port,
    wait_for,
)

PASSWORD = "pass-word-123"
ROWS = 8  # the exported activity's list: more than the gunicorn's inline limit of 3

pytestmark = [pytest.mark.postgres]


@pytest.fixture
def reset_outage():
    failopen._Outage.down_until, failopen._Outage.warned_at = 0.0, -failopen.WARN_EVERY_SECONDS
    yield
    failopen._Outage.down_until, failopen._Outage.warned_at = 0.0, -failopen.WARN_EVERY_SECONDS


def test_the_cache_fails_open_and_warns_once_when_redis_is_unreachable(reset_outage, caplog):
    cache = failopen.FailOpenRedisCache(
        f"redis://127.0.0.1:{free_port()}/0",
        {"OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1}},
    )

    with caplog.at_level(logging.WARNING, logger="config.cache"):
        # allauth's lock, then its counter: both must let the attempt through
        assert cache.add("rl:lock", True, timeout=10) is True
        assert cache.get("rl", []) == []
        assert cache.set("rl", [1.0], 60) is True
        assert cache.get_many(["a", "b"]) == {}
        assert cache.delete("rl:lock") is False

    warnings = [r for r in caplog.records if r.name == "config.cache"]
    assert len(warnings) == 1  # once, not once per call
    assert warnings[0].levelno == logging.WARNING
    assert "rate limits are off" in warnings[0].getMessage()


def test_the_cache_uses_redis_again_once_it_is_back(reset_outage, tmp_path):
    redis = RedisServer(tmp_path)
    cache = failopen.FailOpenRedisCache(f"{redis.url}/0", {"OPTIONS": {"SOCKET_TIMEOUT": 1}})
    assert cache.add("k", 1) is True  # down: pretends
    assert cache.get("k") is None
    redis.start()
    try:
        failopen._Outage.down_until = 0.0  # as after RETRY_SECONDS
        assert cache.add("k", 1) is True
        assert cache.add("k", 2) is False  # a real add now: the key exists
        assert cache.get("k") == 1
    finally:
        redis.stop()


# The site -----------------------------------------------------------------------------


@pytest.fixture
def redis(tmp_path):
    server = RedisServer(tmp_path).start()
    yield server
    server.stop()


@pytest.fixture
def site(transactional_db, world, eager, settings, tmp_path, redis):  # noqa: F811
    """A published rulebook with members who attended inspections, a past
    activity of ROWS members to export, an open one to sign up for; gunicorn
    on the test's database, its cache and broker on `redis`."""
    settings.MEDIA_ROOT = tmp_path / "media"
    app = App(world)
    scored(app)
    listed = [app.member() for _ in range(ROWS)]
    inspections(app, listed, at(3, 5))
    exported = app.body.activities.get(starts_at=at(3, 5))
    upcoming = f.ActivityFactory(term=world.term, body=world.body, theme="委员之家座谈")
    server = Gunicorn(
        {
            "DATABASE_URL": database_url_of_the_test_run(),
            "REDIS_URL": f"{redis.url}/1",
            "CELERY_BROKER_URL": f"{redis.url}/0",
            "MEDIA_ROOT": str(tmp_path / "media"),
            "EXPORT_FILES_ROOT": str(tmp_path / "exports"),
            "EXPORT_INLINE_MAX_ROWS": "3",
        },
        tmp_path / "gunicorn.log",
    ).start()
    yield app, exported, upcoming, server
    server.stop()


def _ok(visitor, path) -> str:
    status, url, page = visitor.get(path)
    assert (status, "/accounts/login/" in url) == (200, False), f"{path}: {status}\n{page[:3000]}"
    return page


def _flash(page) -> list[str]:
    return [
        re.sub(r"\s+", " ", m).strip()
        for m in re.findall(r'class="alert[^"]*"[^>]*>(.*?)<', page, re.S)
    ]


def _attended(activity, member_id) -> int:
    return Participation.objects.get(activity=activity, member_id=member_id).pk


def test_with_redis_stopped_the_site_serves_and_queued_work_runs_once_it_is_back(
    site, redis, tmp_path
):
    app, exported, upcoming, server = site
    staff = Visitor(server.base)
    assert staff.login("staff", PASSWORD)[0] == 200 and staff.logged_in()

    # when Redis stops
    redis.stop()

    # then a member logs in, even after more failed attempts than the limit allows
    member = Visitor(server.base)
    for _ in range(7):  # login_failed: 5 in 5 minutes per account
        status, _url, page = member.login("member", "wrong-password")
        assert status == 200 and "登录失败次数过多" not in page  # a wrong password, not "too many"
        assert not member.logged_in()
    member.login("member", PASSWORD)
    assert member.logged_in()
    assert "the Redis cache is unreachable" in server.output()

    # and every main page renders, the member's and the staff's
    member_id = app.body.terms.first().members.get(person__user__username="member").pk
    for path in ["/", "/duties/", f"/summaries/members/{member_id}/{YEAR}/", "/scoring/mine/"]:
        _ok(member, path)
    for path in [
        "/",
        "/members/",
        "/duties/",
        f"/duties/{exported.pk}/attendance/",
        "/scoring/periods/",
        "/summaries/",
        f"/summaries/{app.body.pk}/{YEAR}/",
        "/summaries/exports/",
        "/scoring/annual/",
    ]:
        _ok(staff, path)

    # and a sign-up (whose ledger refresh cannot be queued) is saved
    status, url, page = member.post(f"/duties/{upcoming.pk}/signup/", {})
    assert status == 200 and f"/duties/{upcoming.pk}/" in url, page[:3000]
    assert "报名成功" in page
    assert Participation.objects.filter(activity=upcoming, member_id=member_id).exists()
    # and its refresh is recorded to be sent again, not lost
    assert list(PendingTask.objects.values_list("task", "kwargs")) == [
        ("scoring.tasks.facts_refresh_task", {"member_ids": [member_id]})
    ]

    # and so is the refresh after staff record the member at a past activity
    visited = f.ActivityFactory(
        term=exported.term, body=app.body, kind=exported.kind, starts_at=at(3, 6)
    )
    status, url, page = staff.post(
        f"/duties/{visited.pk}/attendance/", {"member": member_id, "attendance": "attended"}
    )
    assert status == 200 and "已登记" in page, page[:3000]
    assert PendingTask.objects.count() == 2
    assert not DutyFact.objects.filter(
        member_id=member_id, source_id=_attended(visited, member_id)
    ).exists()
    assert "recorded to send again, the broker is unreachable" in server.output()

    # and starting a computation answers at once: recorded, queued, and says so
    status, url, page = staff.post(
        "/scoring/periods/", {"body": app.body.pk, "year": YEAR, "quarter": 0}
    )
    assert status == 200 and "/scoring/jobs/" in url, page[:3000]
    score_job = ScoreJob.objects.get()
    assert url.endswith(f"/scoring/jobs/{score_job.pk}/")
    assert (score_job.status, score_job.message) == ("queued", queue_down_message())
    assert queue_down_message() in _flash(page)  # the flash message
    assert page.count(queue_down_message()) == 2  # and the job's own line
    _ok(staff, f"/scoring/periods/{score_job.period_id}/")  # the review table

    # and so does a large export
    status, url, page = staff.post(
        "/summaries/exports/run/attendance/",
        {"attendance-body": app.body.pk, "attendance-activity": exported.pk},
    )
    assert status == 200 and "/summaries/exports/jobs/" in url, page[:3000]
    export_job = ExportJob.objects.get()
    assert (export_job.status, export_job.total) == ("queued", ROWS)
    assert export_job.message == queue_down_message()
    assert queue_down_message() in _flash(page)
    assert "stays queued, the broker is unreachable" in server.output()

    # when Redis is back, with a worker, and beat's sweeps come round
    redis.start()
    workers = Workers(redis.url, tmp_path)
    workers.env.update(
        SCORE_JOB_PAUSE_SECONDS="0",
        SCORE_JOB_STALE_SECONDS="1",
        EXPORT_JOB_STALE_SECONDS="1",
        EXPORT_FILES_ROOT=str(tmp_path / "exports"),
    )
    try:
        workers.start()
        time.sleep(1)  # the jobs are older than the stale limit: the first sweep sends them
        back = time.monotonic()

        sweeps = []

        def finished():
            active = ScoreJob.objects.active().exists() or ExportJob.objects.active().exists()
            if (
                active
                and not ScoreJob.objects.filter(status="running").exists()
                and (
                    len(sweeps) < 1 + (time.monotonic() - back) // 15  # beat: once in a while
                )
            ):
                sweeps.append(
                    workers.django(
                        "from scoring.jobs import score_jobs_sweep\n"
                        "from summaries.jobs import export_jobs_sweep\n"
                        "print(score_jobs_sweep(), export_jobs_sweep())"
                    )
                )
            return not active

        try:
            wait_for(finished, 60, 0.3, what="the queued jobs")
        except AssertionError:
            raise AssertionError(workers.logs()) from None

        # and beat's resend of the recorded messages comes round
        assert workers.django(
            "from scoring.pending import pending_tasks_send\nprint(pending_tasks_send())"
        ) == str({"sent": 2, "failed": 0, "left": 0})
        assert not PendingTask.objects.exists()
        try:
            wait_for(
                lambda: DutyFact.objects.filter(
                    member_id=member_id,
                    kind=DutyFact.Kind.ACTIVITY_ATTENDED,
                    source_id=_attended(visited, member_id),
                ).exists(),
                30,
                what="the member's facts",
            )
        except AssertionError:
            raise AssertionError(workers.logs()) from None

        # then both ran to done, whole
        score_job.refresh_from_db()
        export_job.refresh_from_db()
        assert score_job.status == "done", (score_job.message, workers.logs())
        assert score_job.members == Score.objects.filter(period=score_job.period).count() > ROWS
        assert export_job.status == "done", (export_job.message, workers.logs())
        sheet = load_workbook(tmp_path / "exports" / export_job.file_name)["出席情况"]
        assert sheet.max_row == 3 + ROWS
        assert _ok(staff, f"/scoring/jobs/{score_job.pk}/").count(queue_down_message()) == 0

        # and the same gunicorn sends new work straight to the queue again, no sweep needed
        status, url, page = staff.post(
            "/summaries/exports/run/attendance/",
            {"attendance-body": app.body.pk, "attendance-activity": exported.pk},
        )
        assert status == 200 and queue_down_message() not in page, page[:3000]
        again = ExportJob.objects.exclude(pk=export_job.pk).get()
        try:
            wait_for(lambda: ExportJob.objects.get(pk=again.pk).status == "done", 30)
        except AssertionError:
            raise AssertionError(workers.logs()) from None
    finally:
        workers.stop()

    # and the login limit holds again
    colleague = Visitor(server.base)
    refusals = [
        "登录失败次数过多" in colleague.login("colleague", "wrong-password")[2] for _ in range(7)
    ]
    assert refusals[:5] == [False] * 5 and refusals[-1] is True
