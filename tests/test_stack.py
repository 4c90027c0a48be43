"""The stack the app runs on: settings fail loudly, production passes the deploy
checks, and in CI the suite really runs on PostgreSQL, Redis and a Celery worker."""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection

from members.models import Notice
from members.tasks import notice_send_task
from tests import factories as f

ROOT = Path(__file__).resolve().parent.parent
REQUIRED = bool(os.environ.get("LVZHI_REQUIRE_SERVICES"))
ON_REAL_STACK = bool(
    os.environ.get("DATABASE_URL", "").startswith("postgres") and os.environ.get("REDIS_URL")
)


def _manage(*args, env):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _clean_env(**extra):
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    env.update(extra)
    return env


@pytest.mark.skipif(not REQUIRED, reason="only where CI requires the real services")
def test_ci_runs_on_postgresql_and_redis(db):
    assert connection.vendor == "postgresql"
    assert "redis" in settings.CACHES["default"]["BACKEND"].lower()
    key = f"stack-{uuid.uuid4()}"
    cache.set(key, "ok", 30)
    assert cache.get(key) == "ok"
    assert settings.CELERY_BROKER_URL.startswith("redis://")
    assert settings.CELERY_TASK_ALWAYS_EAGER is False


def test_a_malformed_setting_stops_the_start_with_its_name():
    result = _manage("check", env=_clean_env(DEBUG="maybe"))
    assert result.returncode != 0
    assert "DEBUG must be true or false" in result.stderr
    result = _manage("check", env=_clean_env(DATABASE_URL="mysql2://x"))
    assert "DATABASE_URL must start with" in result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    result = _manage("check", env=_clean_env(DJANGO_SETTINGS_MODULE="config.settings.production"))
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_settings_pass_the_deploy_checks():
    env = _clean_env(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY="x" * 20 + uuid.uuid4().hex + uuid.uuid4().hex,
        ALLOWED_HOSTS="lvzhi.example.org",
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/postgres",
        REDIS_URL="redis://127.0.0.1:6379/14",
    )
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_embedded_default_runs_tasks_eagerly(world, settings):
    if ON_REAL_STACK:
        pytest.skip("eager only without Redis")
    assert settings.CELERY_TASK_ALWAYS_EAGER
    notice_send_task.delay(person_ids=[world.member.person.pk], key="eager", title="即时任务")
    assert Notice.objects.filter(key="eager").count() == 1


@pytest.mark.skipif(not ON_REAL_STACK and not REQUIRED, reason="needs PostgreSQL and Redis")
def test_a_real_celery_worker_sends_a_notice_once(transactional_db):
    # given a person and a worker of our own, on a queue no one else reads
    person = f.PersonFactory()
    queue = f"test-{uuid.uuid4().hex[:8]}"
    db = connection.settings_dict
    env = dict(os.environ)
    env["DATABASE_URL"] = (
        f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "-Q",
            queue,
            "-l",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        # when the same notice is enqueued twice (a redelivery)
        for _ in range(2):
            notice_send_task.apply_async(
                kwargs={"person_ids": [person.pk], "key": "worker", "title": "来自工作进程"},
                queue=queue,
            )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not Notice.objects.filter(key="worker").exists():
            time.sleep(0.5)
        time.sleep(2)  # let the second message be handled too
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    # then the worker sent it, once
    assert Notice.objects.filter(key="worker", person=person).count() == 1


def test_beat_runs_every_apps_periodic_jobs():
    from config.celery import app

    app.finalize()
    assert {"duties-signup-deadline-reminders", "duties-activity-eve-reminders"} <= set(
        app.conf.beat_schedule
    )


def test_error_pages_speak_chinese(client, world):
    from django.template.loader import render_to_string

    client.force_login(world.member.person.user)
    missing = client.get("/no-such-page/")
    assert missing.status_code == 404
    assert "页面不存在" in missing.content.decode()
    forbidden = client.get("/members/accounts/")
    assert forbidden.status_code == 403
    assert "您没有权限进行此操作" in forbidden.content.decode()
    assert "系统出错" in render_to_string("500.html")


def test_postgresql_connections_run_without_jit(db):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
