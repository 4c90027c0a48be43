"""The served app for the load test: gunicorn with the production settings and
a Celery worker, on 127.0.0.1, stopped again whatever happens.

Each process is started in a session of its own (`start_new_session`), so
stopping it takes its children (gunicorn's and Celery's workers) with it, by
process group id, never by name."""

import contextlib
import http.client
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

# Two cores, shared by gunicorn, the Celery worker, PostgreSQL, Redis and the
# driver. gunicorn's rule of thumb for sync workers is 2 × cores + 1 = 5: a
# request spends part of its time waiting on PostgreSQL, so a few more
# processes than cores keep both cores busy, and more than that only queues
# the same CPU work in more places (and costs ~100 MB each).
WORKERS = 5
BACKLOG = 64


def production_env(*, database_url: str, redis_url: str, broker_url: str) -> dict:
    """The environment production settings need, for loopback http."""
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY=secrets.token_urlsafe(60),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        # Plain http on loopback: no proxy in front to terminate TLS.
        SECURE_SSL_REDIRECT="false",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        CELERY_BROKER_URL=broker_url,
        PYTHONUNBUFFERED="1",
    )
    return env


def static_fresh() -> bool:
    """Whether STATIC_ROOT's manifest lists every static file and is newer than
    each: collectstatic compresses every file twice (gzip and Brotli), minutes
    on a busy machine, so a run after the first skips it when nothing changed."""
    import json

    from django.conf import settings
    from django.contrib.staticfiles.finders import get_finders

    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    if not manifest.exists():
        return False
    listed = set(json.loads(manifest.read_text(encoding="utf-8")).get("paths", {}))
    made = manifest.stat().st_mtime
    found = set()
    for finder in get_finders():
        for path, storage in finder.list(["CVS", ".*", "*~"]):
            found.add(path.replace(os.sep, "/"))
            if os.path.getmtime(storage.path(path)) > made:
                return False
    return found <= listed


def collectstatic(env: dict) -> None:
    if static_fresh():
        return
    subprocess.run(
        [str(BIN / "python"), "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
    )


def _stop(process: subprocess.Popen, grace: float = 15) -> None:
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(5)


def _wait_ready(port: int, process: subprocess.Popen, log: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"gunicorn exited ({process.returncode}):\n{log.read_text()[-3000:]}"
            )
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            conn.request("GET", "/accounts/login/", headers={"Host": f"127.0.0.1:{port}"})
            response = conn.getresponse()
            response.read()
            if response.status == 200:
                return
            raise RuntimeError(f"login page answered HTTP {response.status}")
        except OSError:
            time.sleep(0.5)
        finally:
            conn.close()
    raise RuntimeError(f"gunicorn did not answer on port {port}:\n{log.read_text()[-3000:]}")


@contextlib.contextmanager
def served(env: dict, *, port: int, logs: Path, workers: int = WORKERS, worker: bool = True):
    """gunicorn on 127.0.0.1:`port` and (unless `worker` is false) a Celery
    worker with one process, both with `env`; their output goes to `logs`."""
    logs.mkdir(parents=True, exist_ok=True)
    processes = []
    try:
        if worker:
            celery_log = logs / "celery.log"
            processes.append(
                subprocess.Popen(
                    [
                        str(BIN / "celery"),
                        "-A",
                        "config",
                        "worker",
                        "--pool",
                        "prefork",
                        "--concurrency",
                        "1",
                        "--loglevel",
                        "warning",
                        "--without-mingle",
                        "--without-gossip",
                    ],
                    cwd=ROOT,
                    env=env,
                    stdout=celery_log.open("w"),
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        gunicorn_log = logs / "gunicorn.log"
        server = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "config.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
                "--timeout",
                "30",
                "--graceful-timeout",
                "5",
                # A short accept queue: past it the kernel drops new connections
                # (the driver sees timeouts) instead of queueing thousands that
                # the driver gave up on, which the workers would still serve one
                # by one long after an overloaded step, into the next step.
                "--backlog",
                str(BACKLOG),
                # gunicorn 27's control socket has one default path for every
                # instance on the machine; this one needs none.
                "--no-control-socket",
            ],
            cwd=ROOT,
            env=env,
            stdout=gunicorn_log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        processes.append(server)
        _wait_ready(port, server, gunicorn_log)
        yield server
    finally:
        for process in reversed(processes):
            _stop(process)
