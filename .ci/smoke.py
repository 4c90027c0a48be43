"""Smoke run of the embedded default: migrate and seed a fresh SQLite database,
serve it with runserver, log in as each demo role over HTTP and open their pages."""

import http.cookiejar
import os
import re
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = str(ROOT / ".venv" / "bin" / "python")
PORT = 8765
BASE = f"http://127.0.0.1:{PORT}"
PASSWORD = "lvzhi-demo-2026"
ROLES = {
    "demo-member": [
        "/",
        "/members/",
        "/members/notices/",
        "/proposals/mine/",
        "/reports/",
        "/scoring/mine/",
    ],
    "demo-convenor": ["/", "/members/", "/proposals/mine/", "/summaries/"],
    "demo-staff": [
        "/",
        "/members/",
        "/org/",
        "/members/roster/import/",
        "/members/accounts/",
        "/proposals/review/",
        "/proposals/overdue/",
        "/reports/queue/",
        "/scoring/rulebooks/",
        "/scoring/periods/",
        "/summaries/",
        "/summaries/exports/",
        "/summaries/imports/",
    ],
    "demo-leader": [
        "/",
        "/members/",
        "/org/",
        "/proposals/stats/",
        "/scoring/periods/",
        "/summaries/",
        "/summaries/exports/",
    ],
    "demo-admin": ["/", "/members/", "/admin/"],
    "demo-unit": ["/", "/proposals/inbox/"],
}


def run(*args):
    print("$", " ".join(args), flush=True)
    subprocess.run([PY, "manage.py", *args], cwd=ROOT, check=True)


def main() -> int:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    db = ROOT / "db.sqlite3"
    if db.exists():
        db.unlink()
    os.environ.clear()
    os.environ.update(env)
    started = time.monotonic()
    run("migrate", "--noinput", "-v", "0")
    run("seed_demo")
    run("seed_demo")  # idempotent: a second run must not fail
    print(f"migrate + seed_demo twice: {time.monotonic() - started:.1f}s")
    server = subprocess.Popen(
        [PY, "manage.py", "runserver", "--noreload", f"127.0.0.1:{PORT}"], cwd=ROOT
    )
    failures = []
    try:
        for _ in range(60):
            try:
                urllib.request.urlopen(f"{BASE}/accounts/login/", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        for username, paths in ROLES.items():
            jar = http.cookiejar.CookieJar()
            opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
            page = opener.open(f"{BASE}/accounts/login/").read().decode()
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
            data = urllib.parse.urlencode(
                {"login": username, "password": PASSWORD, "csrfmiddlewaretoken": token}
            )
            request = urllib.request.Request(
                f"{BASE}/accounts/login/", data=data.encode(), headers={"Referer": BASE}
            )
            response = opener.open(request)
            if "/accounts/login/" in response.geturl():
                failures.append(f"{username}: login failed")
                continue
            for path in paths:
                try:
                    status = opener.open(f"{BASE}{path}").status
                except urllib.error.HTTPError as error:
                    status = error.code
                print(f"{username:14} {path:28} {status}")
                if status != 200:
                    failures.append(f"{username} {path}: {status}")
    finally:
        server.terminate()
        server.wait(timeout=10)
    for line in failures:
        print("FAILED", line)
    failed_roles = len({f.split()[0] for f in failures})
    print(f"smoke: {len(ROLES) - failed_roles} passed, {failed_roles} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
