"""Throwaway servers for the fault, worker and load tests, each on a free port of its own, so
that a test may stop, freeze or restart them without touching the machine's
shared PostgreSQL (5432), Redis (6379, 6380) or RabbitMQ (5672): a
redis-server, a PostgreSQL cluster (initdb as the postgres user), gunicorn
serving the app, and a small HTTP client that logs in like a browser.

A missing binary skips the test, except where CI requires the services
(LVZHI_REQUIRE_SERVICES), where it fails."""

import http.cookiejar
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]
REQUIRED = bool(os.environ.get("LVZHI_REQUIRE_SERVICES"))
PG_BIN = Path("/usr/lib/postgresql/15/bin")


def unavailable(reason: str):
    if REQUIRED:
        pytest.fail(reason)
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(condition, seconds=30.0, every=0.1, what="the condition"):
    deadline = time.monotonic() + seconds
    while True:
        found = condition()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(every)


def database_url_of_the_test_run() -> str:
    """The URL of the test run's own database (test_lvzhi_…), for subprocesses."""
    db = connection.settings_dict
    if connection.vendor != "postgresql":
        unavailable("this test needs PostgreSQL (DATABASE_URL)")
    auth = urllib.parse.quote(db["USER"] or "postgres")
    if db["PASSWORD"]:
        auth += ":" + urllib.parse.quote(db["PASSWORD"])
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class RedisServer:
    """A redis-server keeping nothing on disk; stop() and start() keep its port."""

    @staticmethod
    def available() -> None:
        if shutil.which("redis-server") is None:
            unavailable("the redis-server binary is missing")

    def __init__(self, workdir: Path):
        self.available()
        self.port = free_port()
        self.workdir = workdir
        self.process = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    def start(self) -> "RedisServer":
        self.process = subprocess.Popen(
            [
                *("redis-server", "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--dir", str(self.workdir)),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self._answers, 10, what=f"redis on {self.port}")
        return self

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        self.process = None


class PostgresCluster:
    """A PostgreSQL 15 cluster of its own in a temporary directory owned by
    the postgres user (initdb and pg_ctl refuse to run as root), trusting
    local connections; restart() is `pg_ctl restart -m fast`."""

    def __init__(self):
        if not (PG_BIN / "initdb").exists():
            unavailable(f"PostgreSQL 15's binaries are missing ({PG_BIN})")
        self.as_postgres = []
        if os.geteuid() == 0:
            try:
                pwd.getpwnam("postgres")
            except KeyError:
                unavailable("running as root without a postgres user to run initdb as")
            self.as_postgres = ["runuser", "-u", "postgres", "--"]
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="lvzhi-pg-"))
        if self.as_postgres:
            shutil.chown(self.dir, "postgres", "postgres")
        self.data = self.dir / "data"
        self.log = self.dir / "server.log"

    def url(self, name: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def _run(self, *args, timeout=120) -> str:
        done = subprocess.run(
            [*self.as_postgres, *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=self.dir,
        )
        assert done.returncode == 0, f"{args[0]}: {done.stdout}\n{done.stderr}"
        return done.stdout

    def _ctl(self, *args) -> None:
        self._run(
            str(PG_BIN / "pg_ctl"),
            *args,
            "-D",
            str(self.data),
            "-l",
            str(self.log),
            "-w",
            "-o",
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.dir} -c fsync=off",
        )

    def start(self) -> "PostgresCluster":
        self._run(
            str(PG_BIN / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-instructions",
        )
        self._ctl("start")
        return self

    def restart(self) -> None:
        self._ctl("restart", "-m", "fast")

    def psql(self, sql: str, db: str = "postgres") -> str:
        return self._run(
            "psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", db,
            "-v", "ON_ERROR_STOP=1", "-Atc", sql,
        )  # fmt: skip

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            stop = [str(PG_BIN / "pg_ctl"), "stop", "-D", str(self.data), "-m", "immediate", "-w"]
            subprocess.run(
                [*self.as_postgres, *stop],
                capture_output=True,
                timeout=60,
                cwd=self.dir,
            )
        shutil.rmtree(self.dir, ignore_errors=True)


class Gunicorn:
    """The app served by gunicorn with an environment of its own (the test
    settings unless told), its output in a file."""

    def __init__(self, env: dict, log: Path, workers: int = 1, threads: int = 4):
        self.port = free_port()
        self.env = {
            **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            **env,
        }
        self.log = log
        self.workers, self.threads = workers, threads
        self.process = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "Gunicorn":
        out = open(self.log, "w")  # noqa: SIM115  (closed with the process)
        self.process = subprocess.Popen(
            [
                *(sys.executable, "-m", "gunicorn", "config.wsgi", "-b", f"127.0.0.1:{self.port}"),
                *("-w", str(self.workers), "--threads", str(self.threads), "--timeout", "60"),
            ],
            cwd=ROOT,
            env=self.env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        out.close()

        def up():
            if self.process.poll() is not None:
                raise AssertionError("gunicorn exited:\n" + self.output())
            try:
                urllib.request.urlopen(f"{self.base}/accounts/login/", timeout=5)
                return True
            except urllib.error.HTTPError:
                return True
            except OSError:
                return False

        wait_for(up, 60, 0.2, what="gunicorn")
        return self

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)


class Visitor:
    """One browser's cookies; get/post answer (status, final url, body)."""

    def __init__(self, base: str, timeout: float = 30):
        self.base, self.timeout = base, timeout
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def _open(self, request) -> tuple[int, str, str]:
        try:
            with self.opener.open(request, timeout=self.timeout) as response:
                return response.status, response.geturl(), response.read().decode(errors="replace")
        except urllib.error.HTTPError as error:
            return error.code, error.geturl(), error.read().decode(errors="replace")

    def get(self, path: str) -> tuple[int, str, str]:
        return self._open(self.base + path)

    def csrf(self) -> str:
        found = [c.value for c in self.jar if c.name == "csrftoken"]
        if not found:
            self.get("/accounts/login/")
            found = [c.value for c in self.jar if c.name == "csrftoken"]
        return found[0]

    def post(self, path: str, data: dict) -> tuple[int, str, str]:
        body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": self.csrf()}).encode()
        request = urllib.request.Request(
            self.base + path, data=body, headers={"Referer": self.base + path}
        )
        return self._open(request)

    def login(self, username: str, password: str) -> tuple[int, str, str]:
        status, _url, page = self.get("/accounts/login/")
        assert status == 200, page[:2000]
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        body = urllib.parse.urlencode(
            {"login": username, "password": password, "csrfmiddlewaretoken": token}
        ).encode()
        request = urllib.request.Request(
            self.base + "/accounts/login/", data=body, headers={"Referer": self.base}
        )
        return self._open(request)

    def logged_in(self) -> bool:
        status, url, _page = self.get("/")
        return status == 200 and "/accounts/login/" not in url
