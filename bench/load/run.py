"""The load test: the app served by gunicorn (production settings) and a Celery
worker on M-scale data, driven at a constant arrival rate from a process
pinned to core 1; a one-minute warm-up, the 30 requests a second target, then
higher rates until p95 passes one second. See bench/README.md (Load).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lvzhi_load \\
    REDIS_URL=redis://127.0.0.1:6380/10 CELERY_BROKER_URL=redis://127.0.0.1:6380/11 \\
        .venv/bin/python -m bench.load

Prints one table and appends it, dated, to bench/load-results.md."""

import argparse
import datetime
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.databases import database_create_missing

RESULTS = Path(__file__).resolve().parent.parent / "load-results.md"
RATES = (30, 45, 60, 80, 100, 130, 160, 200)
# Tried, falling, only when the first step already passes one second.
BELOW = (20, 15, 10, 5)
TARGET_RATE = 30
TARGET_P95_MS = 500
KNEE_P95_MS = 1000
KIND_NAMES = {
    "menu": "活动菜单 /duties/",
    "record": "本人履职记录 /duties/records/<id>/",
    "signup": "报名(限额活动) POST",
    "checkin": "扫码签到",
    "review": "季度评分审核表(工作人员)",
}


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m bench.load", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--scale", default="M", choices=("S", "M", "L"))
    parser.add_argument("--members", type=int, default=150, help="member logins (default 150)")
    parser.add_argument("--port", type=int, default=8301)
    parser.add_argument("--workers", type=int, default=None, help="gunicorn workers (default 5)")
    parser.add_argument("--warmup", type=int, default=60, help="seconds at the first rate")
    parser.add_argument("--step-seconds", type=int, default=60)
    parser.add_argument(
        "--rates",
        default=",".join(map(str, RATES)),
        help="requests a second, in order; stops after the first whose p95 passes 1 s",
    )
    parser.add_argument("--note", default="", help="a line written beside the figures")
    parser.add_argument("--no-write", action="store_true", help=f"do not append to {RESULTS.name}")
    args = parser.parse_args(argv)

    database_url = os.environ.get("DATABASE_URL", "")
    redis_url = os.environ.get("REDIS_URL", "")
    broker_url = os.environ.get("CELERY_BROKER_URL", "") or redis_url
    if not database_url.startswith("postgres") or not redis_url:
        sys.exit(
            "bench.load: 需要 PostgreSQL 与 Redis:请设置 DATABASE_URL(单独的库,例如 "
            "postgres://postgres@127.0.0.1:5432/lvzhi_load)、REDIS_URL 和 CELERY_BROKER_URL"
        )
    database_create_missing(database_url)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    rates = [int(r) for r in args.rates.split(",") if r.strip()]
    phases = [{"label": "warm-up", "rate": rates[0], "seconds": args.warmup}] + [
        {
            "label": f"{rate}/s",
            "rate": rate,
            "seconds": args.step_seconds,
            "stop_if_p95_over_ms": KNEE_P95_MS,
        }
        for rate in rates
    ]
    below = [
        {"label": f"{rate}/s", "rate": rate, "seconds": args.step_seconds}
        for rate in BELOW
        if rate < rates[0]
    ]
    outcome = load_run(
        below=below,
        scale=args.scale,
        members=args.members,
        phases=phases,
        port=args.port,
        workers=args.workers,
        database_url=database_url,
        redis_url=redis_url,
        broker_url=broker_url,
    )
    table = report(outcome, note=args.note)
    print(table)
    if not args.no_write:
        stamp = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
        with open(RESULTS, "a", encoding="utf-8") as out:
            if out.tell() == 0:
                out.write(
                    "# Load test results\n\nAppended by `python -m bench.load`; newest last.\n"
                )
            out.write(f"\n## {stamp}\n\n{table}\n")
        print(f"\n已追加到 {RESULTS}", file=sys.stderr)
    if not outcome["check"]["ok"]:
        sys.exit(1)


def load_run(
    *,
    scale: str,
    members: int,
    phases: list[dict],
    port: int,
    database_url: str,
    redis_url: str,
    broker_url: str,
    workers: int | None = None,
    generator_members: int | None = None,
    capacity: int | None = None,
    below: list[dict] | None = None,
    timeout: float | None = None,
    logs: Path | None = None,
) -> dict:
    """Prepare the data (Django must be set up on that database), serve it,
    drive it, stop everything and check the capacity-limited activity.
    Returns the plan, the driver's result and the check."""
    from django.db import connections

    from bench.load import stack
    from bench.load.setup import load_check, load_prepare

    started = time.monotonic()
    plan = load_prepare(
        scale=scale,
        members=members,
        generator_members=generator_members,
        **({"capacity": capacity} if capacity else {}),
    )
    connections.close_all()
    prepared = round(time.monotonic() - started, 1)
    print(f"[load] data ready in {prepared} s: {plan['seats']} seats", file=sys.stderr)
    plan.update(host="127.0.0.1", port=port, phases=phases, below=below or [])
    if timeout:
        plan["timeout"] = timeout
    env = stack.production_env(
        database_url=database_url, redis_url=redis_url, broker_url=broker_url
    )
    stack.collectstatic(env)
    workdir = Path(tempfile.mkdtemp(prefix="lvzhi-load-"))
    logs = logs or workdir / "logs"
    plan_path, result_path = workdir / "plan.json", workdir / "result.json"
    plan_path.write_text(json.dumps(plan, ensure_ascii=False), encoding="utf-8")
    command = [sys.executable, "-m", "bench.load.driver", str(plan_path), str(result_path)]
    pinned = shutil.which("taskset") and (os.cpu_count() or 1) >= 2
    if pinned:
        command = ["taskset", "-c", "1", *command]
    with stack.served(env, port=port, logs=logs, workers=workers or stack.WORKERS):
        driver = subprocess.run(command, cwd=stack.ROOT, env=env, timeout=3600)
    if driver.returncode != 0:
        raise RuntimeError(f"the driver failed ({driver.returncode}); logs in {logs}")
    result = json.loads(result_path.read_text(encoding="utf-8"))
    check = load_check(plan, result["signed_up"], result["checked_in"])
    server_errors = _server_errors(logs)
    return {
        "plan": plan,
        "result": result,
        "check": check,
        "pinned": bool(pinned),
        "workers": workers or stack.WORKERS,
        "logs": str(logs),
        "server_errors": server_errors,
    }


def _server_errors(logs: Path) -> list[str]:
    """Tracebacks and worker timeouts gunicorn logged."""
    path = logs / "gunicorn.log"
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    return [line for line in lines if "Traceback" in line or "WORKER TIMEOUT" in line]


def report(outcome: dict, note: str = "") -> str:
    plan, result, check = outcome["plan"], outcome["result"], outcome["check"]
    head = (
        "阶段",
        "到达速率 /s",
        "完成 rps",
        "请求",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "错误 5xx/意外/超时/连接",
    )
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    measured = [p for p in result["phases"] if p["label"] != "warm-up"]
    for phase in result["phases"]:
        o = phase["overall"]
        recovery = phase.get("recovery_seconds")
        label = phase["label"] + (f"(之后等待恢复 {recovery} s)" if recovery is not None else "")
        lines.append(
            f"| **{label}** | {phase['rate']} | {phase['rps']} | {o['requests']} | "
            f"{o['p50']} | {o['p95']} | {o['p99']} | {_errors(o)} |"
        )
        if phase["label"] == "warm-up":
            continue
        for kind, stats in phase["kinds"].items():
            lines.append(
                f"| · {KIND_NAMES[kind]} | | | {stats['requests']} | {stats['p50']} | "
                f"{stats['p95']} | {stats['p99']} | {_errors(stats)} |"
            )
    target = next((p for p in measured if p["rate"] == TARGET_RATE), None)
    over = [p for p in measured if p["overall"]["p95"] > KNEE_P95_MS]
    knee = min(over, key=lambda p: p["rate"]) if over else None
    below = sorted(
        (
            p
            for p in measured
            if p["overall"]["p95"] <= KNEE_P95_MS and (not knee or p["rate"] < knee["rate"])
        ),
        key=lambda p: p["rate"],
    )
    out = ["\n".join(lines), ""]
    if target:
        o = target["overall"]
        met = o["p95"] < TARGET_P95_MS and o["errors"] == 0
        out.append(
            f"- 目标 {TARGET_RATE}/s:p95 {o['p95']} ms(< {TARGET_P95_MS} ms),错误 {o['errors']} → "
            + ("**达到**" if met else "**未达到**")
        )
    if knee:
        last = f",最后一个未超过的是 {below[-1]['rate']}/s" if below else ""
        out.append(
            f"- p95 超过 1 秒的速率:**{knee['rate']}/s**(p95 {knee['overall']['p95']} ms{last})"
        )
    elif measured:
        top = max(p["rate"] for p in measured)
        out.append(f"- p95 在所测各档(至 {top}/s)都未超过 1 秒")
    out.append(
        f"- 限额活动(容量 {check['planned_capacity']}):确认报名 {check['confirmed']},候补 "
        f"{check['waitlisted']},signed_up_count {check['signed_up_count']} → "
        + (
            "未超额、计数一致"
            if not check["overfilled"] and check["count_matches"]
            else "**超额或计数不符**"
        )
        + (f";缺少报名记录 {len(check['missing_signups'])}" if check["missing_signups"] else "")
        + (f";缺少签到记录 {len(check['missing_checkins'])}" if check["missing_checkins"] else "")
    )
    cpu = max((p.get("driver_cpu") or 0 for p in result["phases"]), default=0)
    out.append(
        f"- 规模 {plan['scale']}({plan['seats']} 个席位),{plan['body']};{result['logins']} 个登录"
        f"(每个虚拟用户登录一次,{result['login_seconds']} s,429 后重试 {result.get('login_retries', 0)} 次),gunicorn {outcome['workers']} 个同步"
        f" worker + 1 个 Celery worker;驱动进程"
        + ("绑定 CPU 1" if outcome["pinned"] else "未绑定 CPU")
        + f",最多占 {round(cpu * 100)}% 个核;服务端日志中的异常 {len(outcome['server_errors'])} 条"
    )
    mix = ", ".join(f"{k} {v}%" for k, v in _mix().items())
    out.append(f"- 请求构成:{mix};预热 {result['phases'][0]['seconds']} s 不计入")
    if note:
        out.append(f"- {note}")
    return "\n".join(out)


def _errors(stats) -> str:
    return f"{stats['errors']} ({stats['5xx']}/{stats['unexpected']}/{stats['timeout']}/{stats['connection']})"


def _mix() -> dict:
    from bench.load.driver import MIX

    total = sum(MIX.values())
    return {k: round(v * 100 / total) for k, v in MIX.items()}


if __name__ == "__main__":
    main()
