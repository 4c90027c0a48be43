"""The load driver: an open-model (constant arrival rate) HTTP load generator.

Run by bench/load/run.py as its own process, pinned with `taskset -c 1`:

    python -m bench.load.driver PLAN.json RESULT.json

Arrivals are scheduled by the clock: in a phase at R requests a second the
i-th request is due at start + i/R, whatever happened to the ones before. A
due request goes to a pool of threads (up to `concurrency`, default 256) that
each send one request at a time; a request's latency is measured from the
moment it was due, not from when a thread got round to it, so a slow server
shows as latency and never as a lower arrival rate (no coordinated omission).
How late requests were sent is reported too (`dispatch_lag`): if it grows, the
driver itself is the limit and the figures say so.

Every login is done once, before the first phase, through the real login form
(production's PBKDF2 hasher); each virtual user then reuses its session
cookie. allauth limits logins to 30 a minute per address, so the logins come
from several loopback source addresses (127.0.0.2, 127.0.0.3, …).

Needs the same environment as the server (DJANGO_SETTINGS_MODULE and
SECRET_KEY): a check-in link is signed with the server's key, as the venue's
screen would show it."""

import http.client
import json
import math
import queue
import random
import resource
import sys
import threading
import time
from http.cookies import SimpleCookie
from urllib.parse import urlencode

# The mix: kind -> share of arrivals. Members browse the activity menu, open
# their duty record, sign up for the capacity-limited activity and check in
# at the activity under way; staff open the review table (季度通报).
MIX = {
    "menu": 40,
    "record": 25,
    "signup": 10,
    "checkin": 10,
    "review": 15,
}
EXPECTED = {"menu": 200, "record": 200, "signup": 302, "checkin": 200, "review": 200}
TIMEOUT = 10.0  # seconds; a request still unanswered then counts as a timeout
LOGINS_PER_ADDRESS = 20  # under allauth's 30 a minute per address
# A login checks a PBKDF2 hash (about a second of CPU on a busy machine): done
# two at a time, one per core, with time to spare before the run starts.
LOGIN_THREADS = 2
LOGIN_TIMEOUT = 120.0
LOGIN_ATTEMPTS = 5
RECOVERED_MS = 1000
RECOVERY_SECONDS = 120


class Throttled(Exception):
    """The login was answered 429 (allauth's rate limit)."""


class Client:
    """One keep-alive connection per thread (gunicorn's sync workers close it
    after each response; http.client opens a new one when needed)."""

    def __init__(self, host: str, port: int, source: str | None = None, timeout=TIMEOUT):
        self.host, self.port, self.source, self.timeout = host, port, source, timeout
        self.local = threading.local()

    def _conn(self):
        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = http.client.HTTPConnection(
                self.host,
                self.port,
                timeout=self.timeout,
                source_address=(self.source, 0) if self.source else None,
            )
            self.local.conn = conn
        return conn

    def request(self, method, path, *, cookies=None, form=None):
        headers = {"Host": f"{self.host}:{self.port}", "User-Agent": "lvzhi-load"}
        if cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn = self._conn()
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
        except BaseException:
            conn.close()
            self.local.conn = None
            raise
        if response.will_close:
            conn.close()
        return response


def _set_cookies(response) -> dict:
    jar = SimpleCookie()
    for header in response.headers.get_all("Set-Cookie") or []:
        jar.load(header)
    return {name: morsel.value for name, morsel in jar.items()}


def login(client: Client, username: str, password: str) -> dict:
    """Log in through the form; the session and CSRF cookies to reuse."""
    page = client.request("GET", "/accounts/login/")
    cookies = _set_cookies(page)
    if page.status != 200 or "csrftoken" not in cookies:
        raise RuntimeError(f"login page for {username}: HTTP {page.status}")
    answer = client.request(
        "POST",
        "/accounts/login/",
        cookies=cookies,
        form={
            "login": username,
            "password": password,
            "csrfmiddlewaretoken": cookies["csrftoken"],
        },
    )
    cookies.update(_set_cookies(answer))
    if answer.status == 429:
        raise Throttled(username)
    if answer.status != 302 or "sessionid" not in cookies:
        raise RuntimeError(f"login of {username} failed: HTTP {answer.status}")
    return cookies


def login_all(host, port, usernames, password, threads=LOGIN_THREADS) -> tuple[dict, int]:
    """Every user logged in once; the sessions and how many logins were
    answered 429 and tried again. Each address is used by one thread only:
    allauth counts a login under a lock per address that it waits for at most
    one second, and on a busy machine two logins from one address at once
    then get a 429 although the limit is far off."""
    sessions, failures, retried = {}, [], []
    work_of = [[] for _ in range(threads)]
    for i, name in enumerate(usernames):
        address = i // LOGINS_PER_ADDRESS
        work_of[address % threads].append((f"127.0.0.{2 + address}", name))

    def work(jobs):
        clients = {}
        for source, name in jobs:
            client = clients.setdefault(source, Client(host, port, source, LOGIN_TIMEOUT))
            for attempt in range(LOGIN_ATTEMPTS):
                try:
                    sessions[name] = login(client, name, password)
                    break
                except Throttled:
                    retried.append(name)
                    time.sleep(2 * (attempt + 1))
                except Exception as error:
                    failures.append(f"{name}: {error}")
                    break
            else:
                failures.append(f"{name}: HTTP 429 {LOGIN_ATTEMPTS} times")

    pool = [threading.Thread(target=work, args=(jobs,)) for jobs in work_of]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    if failures:
        raise SystemExit("logins failed: " + "; ".join(failures[:5]))
    return sessions, len(retried)


class Load:
    def __init__(self, plan: dict, sessions: dict, seed: int = 8):
        from duties.checkin import checkin_token, checkin_window

        self.plan = plan
        self.sessions = sessions
        self.timeout = plan.get("timeout", TIMEOUT)
        self.client = Client(plan["host"], plan["port"], timeout=self.timeout)
        self.random = random.Random(seed)
        self.kinds = list(MIX)
        self.weights = [MIX[k] for k in self.kinds]
        self.token = checkin_token
        self.window = checkin_window
        self.records: list[tuple] = []
        self.signed_up: set[str] = set()
        self.checked_in: set[str] = set()

    def _arrival(self):
        kind = self.random.choices(self.kinds, self.weights)[0]
        pool = self.plan["staff"] if kind == "review" else self.plan["members"]
        return kind, self.random.choice(pool)

    def _send(self, kind, user):
        cookies = self.sessions[user]
        plan = self.plan
        if kind == "menu":
            return self.client.request("GET", "/duties/", cookies=cookies)
        if kind == "record":
            return self.client.request("GET", plan["records"][user], cookies=cookies)
        if kind == "review":
            return self.client.request(
                "GET", f"/scoring/periods/{plan['review_period']}/", cookies=cookies
            )
        if kind == "signup":
            return self.client.request(
                "POST",
                f"/duties/{plan['signup_activity']}/signup/",
                cookies=cookies,
                form={"csrfmiddlewaretoken": cookies["csrftoken"]},
            )
        if kind == "checkin":
            from django.utils import timezone

            pk = plan["checkin_activity"]
            window = self.window(timezone.now())
            token = self.token(activity_id=pk, window=window)
            return self.client.request(
                "GET", f"/duties/{pk}/checkin/{window}/{token}/", cookies=cookies
            )
        raise ValueError(kind)

    def _work(self, jobs):
        while True:
            job = jobs.get()
            if job is None:
                return
            phase, due, kind, user = job
            started = time.monotonic()
            status, error = 0, ""
            try:
                response = self._send(kind, user)
                status = response.status
                location = response.getheader("Location") or ""
                if status != EXPECTED[kind]:
                    error = "5xx" if status >= 500 else "unexpected"
                elif status == 302 and "/accounts/login" in location:
                    error = "unexpected"  # the session was lost
            except TimeoutError:
                error = "timeout"
            except (OSError, http.client.HTTPException):
                error = "connection"
            ended = time.monotonic()
            if not error and kind == "signup":
                self.signed_up.add(user)
            if not error and kind == "checkin":
                self.checked_in.add(user)
            self.records.append((phase, kind, due, started, ended, status, error))

    def run(self, phases, concurrency: int, below=()) -> list[dict]:
        """Each phase in turn; after the first phase over its
        `stop_if_p95_over_ms`, stop. If that was the first step measured, go
        down through `below` (falling rates) to the first that is not over,
        so the rate where p95 passes the limit is bracketed either way."""
        self.jobs = queue.SimpleQueue()
        workers = [
            threading.Thread(target=self._work, args=(self.jobs,), daemon=True)
            for _ in range(concurrency)
        ]
        for worker in workers:
            worker.start()
        summaries = []
        steps = 0
        for phase in phases:
            if summaries and summaries[-1]["overall"]["p95"] > RECOVERED_MS:
                summaries[-1]["recovery_seconds"] = self._recover()
            summary = self._phase(len(summaries), phase)
            summaries.append(summary)
            limit = phase.get("stop_if_p95_over_ms")
            if not limit:
                continue
            steps += 1
            if summary["overall"]["p95"] > limit:
                if steps == 1:
                    for lower in below:
                        summaries[-1]["recovery_seconds"] = self._recover()
                        summary = self._phase(
                            len(summaries), {**lower, "stop_if_p95_over_ms": limit}
                        )
                        summaries.append(summary)
                        if summary["overall"]["p95"] <= limit:
                            break
                break
        for _ in workers:
            self.jobs.put(None)
        return summaries

    def _recover(self) -> float:
        """After an overloaded phase: wait (at most RECOVERY_SECONDS) until the
        login page answers within RECOVERED_MS again, so the next phase does
        not start behind the last one's queue. How long it took is reported."""
        started = time.monotonic()
        probe = Client(self.plan["host"], self.plan["port"])
        while time.monotonic() - started < RECOVERY_SECONDS:
            sent = time.monotonic()
            try:
                ok = probe.request("GET", "/accounts/login/").status == 200
            except (OSError, http.client.HTTPException):
                ok = False
            if ok and time.monotonic() - sent < RECOVERED_MS / 1000:
                break
            time.sleep(1)
        return round(time.monotonic() - started, 1)

    def _phase(self, index: int, phase: dict) -> dict:
        rate, seconds = phase["rate"], phase["seconds"]
        count = int(rate * seconds)
        cpu_before = _cpu()
        start = time.monotonic() + 0.1
        for i in range(count):
            due = start + i / rate
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            self.jobs.put((index, due, *self._arrival()))
        # Let this phase's requests finish (at most the timeout) so each
        # step is judged on its own requests alone.
        deadline = time.monotonic() + self.timeout + 2
        while time.monotonic() < deadline:
            if sum(1 for r in self.records if r[0] == index) >= count:
                break
            time.sleep(0.05)
        summary = summarise(phase, [r for r in self.records if r[0] == index], start)
        summary["driver_cpu"] = round((_cpu() - cpu_before) / (time.monotonic() - start), 3)
        print(_line(summary), file=sys.stderr, flush=True)
        return summary


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def percentile(values, q) -> float:
    """Nearest-rank percentile in milliseconds (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return round(ordered[rank - 1] * 1000, 1)


def _stats(records) -> dict:
    latencies = [r[4] - r[2] for r in records]
    errors = [r[6] for r in records if r[6]]
    return {
        "requests": len(records),
        "p50": percentile(latencies, 50),
        "p95": percentile(latencies, 95),
        "p99": percentile(latencies, 99),
        "max": percentile(latencies, 100),
        "errors": len(errors),
        "5xx": errors.count("5xx"),
        "unexpected": errors.count("unexpected"),
        "timeout": errors.count("timeout"),
        "connection": errors.count("connection"),
    }


def summarise(phase: dict, records: list, start: float) -> dict:
    ended = max((r[4] for r in records), default=start)
    lags = [r[3] - r[2] for r in records]
    return {
        "label": phase["label"],
        "rate": phase["rate"],
        "seconds": phase["seconds"],
        "scheduled": int(phase["rate"] * phase["seconds"]),
        "rps": round(len(records) / max(ended - start, 1e-9), 1),
        "ok_rps": round(sum(1 for r in records if not r[6]) / max(ended - start, 1e-9), 1),
        "dispatch_lag_p99": percentile(lags, 99),
        "overall": _stats(records),
        "kinds": {kind: _stats([r for r in records if r[1] == kind]) for kind in MIX},
        "statuses": _statuses(records),
    }


def _statuses(records) -> dict:
    counts: dict[str, int] = {}
    for r in records:
        key = f"{r[1]} {r[5] or r[6]}"
        counts[key] = counts.get(key, 0) + 1
    return counts


def _line(summary) -> str:
    o = summary["overall"]
    return (
        f"[load] {summary['label']}: {summary['rate']}/s × {summary['seconds']} s → "
        f"{summary['rps']} rps, p50 {o['p50']} p95 {o['p95']} p99 {o['p99']} ms, "
        f"errors {o['errors']}, driver cpu {summary.get('driver_cpu')}"
    )


def main(argv=None):
    argv = argv if argv is not None else sys.argv[1:]
    plan_path, result_path = argv
    with open(plan_path, encoding="utf-8") as source:
        plan = json.load(source)
    import django

    django.setup()
    started = time.monotonic()
    sessions, retried = login_all(
        plan["host"], plan["port"], plan["members"] + plan["staff"], plan["password"]
    )
    login_seconds = round(time.monotonic() - started, 1)
    print(
        f"[load] {len(sessions)} logins in {login_seconds} s ({retried} answered 429, retried)",
        file=sys.stderr,
        flush=True,
    )
    load = Load(plan, sessions)
    phases = load.run(plan["phases"], plan.get("concurrency", 256), plan.get("below", ()))
    with open(result_path, "w", encoding="utf-8") as out:
        json.dump(
            {
                "logins": len(sessions),
                "login_seconds": login_seconds,
                "login_retries": retried,
                "phases": phases,
                "signed_up": sorted(load.signed_up),
                "checked_in": sorted(load.checked_in),
            },
            out,
            ensure_ascii=False,
            indent=1,
        )


if __name__ == "__main__":
    main()
