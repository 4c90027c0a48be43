"""The one benchmark command: builds the data of each scale with the generator (on
PostgreSQL, one database per scale), runs every benchmark and prints one table in
which each figure stands beside its baseline measured in the same run, the ratio,
the target (with the issue that set it) and whether it is met; then appends the
table, dated, to bench/results.md.

    make bench                                   # S and L in full, M for memory
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lvzhi_bench \\
        .venv/bin/python -m bench.run --scale S --scale L --memory-scale M

DATABASE_URL names the stem: scale S runs in lvzhi_bench_s, M in lvzhi_bench_m, L in
lvzhi_bench_l (created when missing). See bench/README.md.
"""

import argparse
import csv
import datetime
import inspect
import os
import resource
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench.databases import database_create_missing
from bench.table import (
    PAGE_MS,
    Row,
    build_table,
    constant_query_rows,
    missing_rows,
    page_met,
    rows_dump,
    rows_load,
)

RESULTS = Path(__file__).resolve().parent / "results.md"
ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/lvzhi_bench"
TARGET_MS = PAGE_MS
PAGE_TARGET = f"<{PAGE_MS} ms (#4)"
CHILD_KINDS = ("export", "csv", "attendance", "annual", "annual-csv")
PARTS = ("members", "duties", "proposals", "reports", "scoring", "summaries", "exports", "imports")
ROSTER_HEADERS = (
    "委员编号", "姓名", "性别", "民族", "出生日期", "党派", "界别", "界别小组", "工作单位", "职务",
    "手机号码", "常委", "任职日期",
)  # fmt: skip


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m bench.run", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--scale",
        action="append",
        choices=("S", "M", "L"),
        help="repeatable: every benchmark at this scale; default S and L",
    )
    parser.add_argument(
        "--memory-scale",
        action="append",
        choices=("S", "M", "L"),
        help="repeatable: only the exports' peak memory at this scale; default M",
    )
    parser.add_argument(
        "--part",
        action="append",
        choices=PARTS,
        help="repeatable; default all: " + ", ".join(PARTS),
    )
    parser.add_argument("--requests", type=int, default=20, help="timed requests per page figure")
    parser.add_argument(
        "--no-memory", action="store_true", help="skip the peak-memory subprocesses"
    )
    parser.add_argument("--no-write", action="store_true", help=f"do not append to {RESULTS.name}")
    parser.add_argument(
        "--sqlite-ok", action="store_true", help="allow the shared SQLite file as target"
    )
    parser.add_argument("--child", choices=CHILD_KINDS, help=argparse.SUPPRESS)
    parser.add_argument("--term", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--rows", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--period", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--rows-json", help=argparse.SUPPRESS)  # a scale's run writes its rows
    parser.add_argument("--memory-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child or args.rows_json:
        return _in_database(args)
    if args.scale is None and args.memory_scale is None:
        args.scale, args.memory_scale = ["S", "L"], ["M"]
    runs = [(s, False) for s in args.scale or []]
    runs += [(s, True) for s in args.memory_scale or [] if s not in (args.scale or [])]
    runs.sort(key=lambda run: "SML".index(run[0]))
    load_before = os.getloadavg()
    started = time.perf_counter()
    rows, databases = [], []
    for scale, memory_only in runs:
        database = _scale_database(scale)
        databases.append(urlsplit(database).path.lstrip("/") or database)
        rows += _run_scale(scale, memory_only, database, args)
    rows += constant_query_rows(rows)
    missing = missing_rows(
        rows, {s for s, memory_only in runs if not memory_only}, {s for s, m in runs if m}
    )
    table = build_table(rows)
    if missing and not args.part:
        table += "\n缺少的必需项: " + ", ".join(missing)
    minutes = (time.perf_counter() - started) / 60
    load_after = os.getloadavg()
    heading = (
        f"{', '.join(s + (' (内存)' if m else '') for s, m in runs)}; "
        f"{' '.join(databases)}; {minutes:.0f} min; 负载 (1 分钟平均) 开始 {load_before[0]:.1f}, "
        f"结束 {load_after[0]:.1f}, {os.cpu_count()} 核"
    )
    print(table)
    if not args.no_write:
        _append_results(table, heading)


def _scale_database(scale: str) -> str:
    """The scale's own database: DATABASE_URL's name + _s, _m or _l on PostgreSQL
    (created if missing); any other URL as it is."""
    url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql"):
        return url
    name = f"{parts.path.lstrip('/')}_{scale.lower()}"
    database = urlunsplit(parts._replace(path="/" + name))
    database_create_missing(database)
    return database


def _run_scale(scale, memory_only, database, args) -> list[Row]:
    """One scale in a fresh process on its own database; its rows come back as JSON."""
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        command = [sys.executable, "-m", "bench.run", "--scale", scale, "--rows-json", out.name,
                   "--requests", str(args.requests)]  # fmt: skip
        for flag in ("memory_only", "no_memory", "sqlite_ok"):
            if getattr(args, flag) or (flag == "memory_only" and memory_only):
                command.append("--" + flag.replace("_", "-"))
        for part in args.part or []:
            command += ["--part", part]
        env = dict(os.environ, DATABASE_URL=database)
        print(f"[{scale}] {'内存' if memory_only else '全部'}: {database}", file=sys.stderr)
        result = subprocess.run(command, cwd=ROOT, env=env)
        text = Path(out.name).read_text(encoding="utf-8")
    if result.returncode != 0 or not text:
        return [Row(scale, "运行", f"failed (exit {result.returncode}, 见上方输出)", met=False)]
    return rows_load(text)


def _in_database(args):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    import django

    django.setup()
    if args.child == "attendance":
        from bench.exports import child_attendance

        return child_attendance(args.rows)
    if args.child in ("annual", "annual-csv"):
        from bench.exports import child_annual

        return child_annual(args.child, args.period)
    if args.child:
        return _child(args.child, args.term)

    from django.core.management import call_command
    from django.db import connection

    if connection.vendor == "sqlite" and not args.sqlite_ok:
        sys.exit(
            "bench: 未设置 DATABASE_URL,会写入共用的 SQLite 文件。请指向一个单独的 PostgreSQL 库,"
            "例如 DATABASE_URL=postgres://postgres@127.0.0.1:5432/lvzhi_bench(或加 --sqlite-ok)"
        )
    call_command("migrate", verbosity=0, interactive=False)
    rows = []
    for scale in args.scale:
        rows += _bench_scale(scale, args)
    Path(args.rows_json).write_text(rows_dump(rows), encoding="utf-8")


def _bench_scale(scale, args) -> list[Row]:
    from bench.generator import analyze_filled_tables, generate

    summary = generate(scale)
    analyze_filled_tables()  # a database built before the generator did so has no statistics
    made = f"{summary['seconds']} s" if summary["created"] else "已存在"
    print(
        f"[{scale}] data: {summary['members']} seats, {summary['bodies']} bodies ({made})",
        file=sys.stderr,
    )
    term = _biggest_current_term(summary)
    current = term.members.filter(left_on__isnull=True).count()
    where = f"{term.body.short_name} 第{term.number}届, {current} 名在任委员"
    rows = [
        Row(
            scale,
            "数据生成 generate()",
            made,
            note=f"{summary['members']} 个席位, {summary['bodies']} 个政协, "
            f"{summary.get('activities', 0)} 项活动, {summary.get('participations', 0)} 条参加记录, "
            f"{summary.get('self_reported', 0)} 条自报履职, "
            f"{summary.get('consultations', 0)} 次有事好商量, {summary.get('proposals', 0)} 件提案, "
            f"{summary.get('routings', 0)} 条交办, {summary.get('reports', 0)} 条社情民意信息",
            key="data",
        )
    ]
    if args.memory_only:
        from bench.exports import bench_memory

        return rows + bench_memory(scale, term)
    for part in args.part or PARTS:
        print(f"[{scale}] {part} ({time.strftime('%H:%M:%S')})", file=sys.stderr, flush=True)
        try:
            rows += _bench_part(part, scale, term, args, where)
        except Exception as error:  # report, do not hide the other parts' figures
            traceback.print_exc()
            rows.append(Row(scale, f"{part}: failed", f"{type(error).__name__}: {error}"[:200],
                            met=False, key=f"failed.{part}"))  # fmt: skip
    return rows


def _bench_part(part, scale, term, args, where) -> list[Row]:
    if part == "members":
        return [_bench_member_list(scale, term, args.requests, where)]
    if part == "duties":
        return _bench_duties(scale, term, args.requests, where)
    if part == "proposals":
        return _bench_proposals(scale, term, args.requests)
    if part == "reports":
        return _bench_reports(scale, term, args.requests)
    if part == "scoring":
        from bench.scoring import bench_scoring

        return bench_scoring(scale)
    if part == "summaries":
        from bench.summaries import bench_summaries

        return bench_summaries(scale, term, args.requests)
    if part == "exports":
        from bench.exports import bench_exports

        return bench_exports(scale, term, args, where)
    from bench.imports import bench_imports

    return bench_imports(scale)


def _biggest_current_term(summary):
    from sectors.models import Term

    name = max(summary["current_members_by_body"], key=summary["current_members_by_body"].get)
    return Term.objects.select_related("body").get(body__name=name, is_current=True)


def _staff_user(body):
    from django.contrib.auth import get_user_model

    from members.models import BodyRole

    user, _ = get_user_model().objects.get_or_create(username=f"bench-staff-{body.pk}")
    BodyRole.objects.get_or_create(user=user, body=body, role=BodyRole.Role.STAFF)
    return user


def _median_ms(fn, n: int, cpu: list | None = None) -> float:
    """Median wall time of n warm calls; with `cpu`, the median CPU time of this
    process per call is appended to it (on a loaded machine wall time is mostly
    waiting for a core; CPU time is the work the call itself did)."""
    fn()  # warm caches and connections
    times, cpu_times = [], []
    for _ in range(n):
        started, started_cpu = time.perf_counter(), time.process_time()
        fn()
        times.append(time.perf_counter() - started)
        cpu_times.append(time.process_time() - started_cpu)
    if cpu is not None:
        cpu.append(statistics.median(cpu_times) * 1000)
    return statistics.median(times) * 1000


# (a) The member list page against one plain SQL query for the same rows.
def _bench_member_list(scale, term, n, where) -> tuple:
    from django.conf import settings
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    client = Client()
    client.force_login(_staff_user(term.body))
    url = f"/members/?term={term.pk}"

    def page():
        response = client.get(url)
        assert response.status_code == 200, response.status_code
        return response

    cpu = []
    page_ms = _median_ms(page, n, cpu)
    reset_queries()  # DEBUG keeps only the last 9,000: a full log captures none
    with CaptureQueriesContext(connection) as queries:
        page()
    page_size = _page_size()
    sql, params = _roster_sql(term, limit=page_size)

    def baseline():
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    base_ms = _median_ms(baseline, n)
    return Row(
        scale,
        f"委员名单页 /members/ (中位数, {n} 次)",
        f"{page_ms:.1f} ms (CPU {cpu[0]:.0f} ms), {len(queries)} 次查询",
        f"{base_ms:.2f} ms (一条 SQL, {page_size} 行)",
        f"{page_ms / base_ms:.0f}×",
        PAGE_TARGET,
        page_met(page_ms),
        where,
        key="page.members",
        queries=len(queries),
    )


# (c) The duty pages: the activity menu (a member of the body), the attendance page of
# the body's largest activity (staff) and a member's duty record (staff), each against
# one plain SQL query fetching the same rows.
def _bench_duties(scale, term, n, where) -> list[Row]:
    from django.urls import NoReverseMatch, reverse
    from django.utils import timezone

    from duties.models import Activity

    member = _bench_member(term)
    member_client = _client(member.person.user)
    staff_client = _client(_staff_user(term.body))
    now = timezone.now()
    page_size = _duties_page_size()
    rows = []
    menu_sql, menu_params = _menu_sql(term.body, now, page_size, past=False)
    rows.append(
        _bench_page(scale, "活动菜单 /duties/ (委员)", member_client, "/duties/", n,
                    (menu_sql, menu_params), f"{where}, 委员 {member.number}", key="page.menu")
    )  # fmt: skip
    past_sql, past_params = _menu_sql(term.body, now, page_size, past=True)
    rows.append(
        _bench_page(scale, "活动菜单·已结束 /duties/?when=past (委员)", member_client,
                    "/duties/?when=past", n, (past_sql, past_params), f"{where}, 全部历史")
    )  # fmt: skip
    biggest = (
        Activity.objects.filter(term=term).exclude(status=Activity.Status.CANCELLED)
        .order_by("-signed_up_count", "-starts_at").first()
    )  # fmt: skip
    if biggest is None:
        rows.append(Row(scale, "出席登记页 /duties/<pk>/attendance/", "not available (无活动)",
                        note=where, met=False))  # fmt: skip
    else:
        rows.append(
            _bench_page(scale, "出席登记页 /duties/<pk>/attendance/ (工作人员)", staff_client,
                        f"/duties/{biggest.pk}/attendance/", n, _attendance_sql(biggest),
                        f"{biggest.theme}, 名单 {biggest.signed_up_count} 人",
                        key="page.attendance")
        )  # fmt: skip
    try:
        url = reverse("duties:record", args=[member.pk])
    except NoReverseMatch:
        rows.append(Row(scale, "履职档案 duties:record", "not available (无此 URL)", note=where,
                        met=False))  # fmt: skip
    else:
        year = timezone.localdate().year
        rows.append(
            _bench_page(scale, "履职档案 /duties/records/<pk>/ (工作人员)", staff_client, url, n,
                        _record_sql(member, year), f"委员 {member.number}, {year} 年",
                        key="page.record")
        )  # fmt: skip
    return rows


def _client(user):
    from django.conf import settings
    from django.test import Client

    if "testserver" not in settings.ALLOWED_HOSTS:
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    client = Client()
    client.force_login(user)
    return client


def _bench_member(term):
    """A sitting member of the term with a login (bench-member-<body id>), convenor
    or liaison of no group: the one already linked, else the one on the most lists
    this year."""
    from django.contrib.auth import get_user_model
    from django.db.models import Count, Q
    from django.utils import timezone

    from members.models import Member, Person

    user, _ = get_user_model().objects.get_or_create(username=f"bench-member-{term.body_id}")
    # A plain member at every scale: a group's convenor or liaison sees more on some
    # pages (one query more), which would read as growth between S and L.
    sitting = (
        Member.objects.filter(term=term, left_on__isnull=True)
        .filter(convened_groups__isnull=True, liaised_groups__isnull=True)
        .select_related("person")
    )
    member = sitting.filter(person__user=user).first()
    if member is None:
        Person.objects.filter(user=user).update(user=None)
        year = timezone.localdate().year
        member = (
            sitting.filter(person__user__isnull=True)
            .annotate(n=Count("participations", filter=Q(participations__activity__starts_at__year=year)))
            .order_by("-n", "number").first()
        )  # fmt: skip
        member.person.user = user
        member.person.save(update_fields=["user"])
    return member


def _bench_page(scale, label, client, url, n, baseline, note, *, key="") -> Row:
    """A page through the test client: as _bench_call, the request being the call."""

    def page():
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        return response

    return _bench_call(scale, label, page, n, baseline, note, key=key or "page." + label)


def _bench_call(scale, label, fn, n, baseline, note, *, key="") -> Row:
    """A selector called directly: median time and the queries of one call, against
    one plain SQL query."""
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    key = key or "call." + label
    sql, params = baseline
    try:
        cpu = []
        call_ms = _median_ms(fn, n, cpu)
        reset_queries()  # DEBUG keeps only the last 9,000: a full log captures none
        with CaptureQueriesContext(connection) as queries:
            fn()
    except Exception as error:  # report, do not hide the other figures
        return Row(
            scale,
            label,
            f"failed: {type(error).__name__}: {error}"[:200],
            note=note,
            target=PAGE_TARGET,
            met=False,
            key=key,
        )
    fetched = []

    def base():
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            fetched[:] = cursor.fetchall()

    base_ms = _median_ms(base, n)
    return Row(
        scale,
        f"{label} (中位数, {n} 次)",
        f"{call_ms:.1f} ms (CPU {cpu[0]:.0f} ms), {len(queries)} 次查询",
        f"{base_ms:.2f} ms (一条 SQL, {len(fetched)} 行)",
        f"{call_ms / base_ms:.0f}×",
        PAGE_TARGET,
        page_met(call_ms),
        note,
        key=key,
        queries=len(queries),
    )


# (d) Proposals: the lists of each role and a session's statistics, each against one
# plain SQL query for the same page of rows (or, for the statistics, the totals).
def _bench_proposals(scale, term, n) -> list[Row]:
    from django.db.models import Count, Q
    from django.utils import timezone

    from proposals.models import HandlingUnit, Proposal, Routing
    from proposals.selectors import proposals_mine

    body = term.body
    proposals = Proposal.objects.filter(body=body)
    if not proposals.exists():
        return [Row(scale, "提案", "not available (无提案数据:请重新生成)", note=body.name)]
    staff = _client(_staff_user(body))
    member = _bench_member(term)
    member_client = _client(member.person.user)
    today = timezone.localdate()
    session = (
        term.sessions.filter(year__lt=today.year).order_by("-year").first()
        or term.sessions.order_by("-year").first()
    )
    unit = (
        HandlingUnit.objects.filter(body=body)
        .annotate(n=Count("routings", filter=~Q(routings__status=Routing.Status.WITHDRAWN)))
        .order_by("-n", "pk")
        .first()
    )
    contact = _unit_contact(unit)
    counted = proposals.count()
    where = f"{body.short_name}, {counted} 件提案"
    L = _proposal_list_sql
    rows = [
        _bench_page(scale, "提案一览 /proposals/ (工作人员)", staff, "/proposals/", n,
                    L(body, page=PAGE), where),
        _bench_page(scale, "提案一览·筛选 会议+类别+状态 (工作人员)", staff,
                    f"/proposals/?session={session.pk}&category=society&status=closed", n,
                    L(body, page=PAGE, session=session.pk, category="society", status="closed"),
                    f"{session.year} 年会议, 社会建设, 已办结"),
        _bench_page(scale, "提案一览·筛选 承办单位+满意度 (工作人员)", staff,
                    f"/proposals/?unit={unit.pk}&satisfaction=satisfied", n,
                    L(body, page=PAGE, unit=unit.pk, satisfaction="satisfied"),
                    f"{unit.name}, 满意"),
        _bench_page(scale, "提案一览·搜索 q=养老 (工作人员)", staff, "/proposals/?q=养老", n,
                    L(body, page=PAGE, q="养老"), "案由或提案人含“养老”"),
        _bench_page(scale, "提案一览 /proposals/ (委员)", member_client, "/proposals/", n,
                    L(body, page=PAGE, public=True), f"{where}, 委员 {member.number}"),
        _bench_page(scale, "我的提案 /proposals/mine/ (委员)", member_client, "/proposals/mine/",
                    n, _mine_sql(member.person.user), f"委员 {member.number}, "
                    f"{proposals_mine(member.person.user).count()} 件"),
        _bench_page(scale, "审查 /proposals/review/ (工作人员)", staff, "/proposals/review/", n,
                    _review_sql(body), f"待审查 {proposals.filter(status='submitted').count()} 件"),
    ]  # fmt: skip
    if contact is None:
        rows.append(Row(scale, "承办单位待办", "not available (无承办单位)", note=where))
    else:
        unit_client = _client(contact)
        awaiting = unit.routings.filter(
            status__in=(Routing.Status.ROUTED, Routing.Status.REHANDLING)
        )
        done = unit.routings.filter(status__in=(Routing.Status.REPLIED, Routing.Status.DONE))
        rows += [
            _bench_page(scale, "承办单位待办 /proposals/inbox/ (联系人)", unit_client,
                        "/proposals/inbox/", n, _inbox_sql(unit, replied=False),
                        f"{unit.name}, 办理中 {awaiting.count()} 条"),
            _bench_page(scale, "承办单位已答复 /proposals/inbox/?show=replied (联系人)",
                        unit_client, "/proposals/inbox/?show=replied", n,
                        _inbox_sql(unit, replied=True), f"{unit.name}, 已答复 {done.count()} 条"),
        ]  # fmt: skip
    overdue = Routing.objects.filter(
        status__in=(Routing.Status.ROUTED, Routing.Status.REHANDLING),
        deadline__lt=today,
        proposal__status__in=(Proposal.Status.ROUTED, Proposal.Status.REHANDLING),
        proposal__body=body,
    ).count()
    rows += [
        _bench_page(scale, "逾期未答复 /proposals/overdue/ (工作人员)", staff,
                    "/proposals/overdue/", n, _overdue_sql(body, today),
                    f"{body.short_name}, 逾期 {overdue} 条"),
        _bench_page(scale, "提案统计 /proposals/stats/ (工作人员)", staff,
                    f"/proposals/stats/?session={session.pk}", n, _stats_sql(session),
                    f"{session.year} 年会议, {session.proposals.count()} 件提案"),
    ]  # fmt: skip
    return rows


PAGE = 20  # the proposals and reports lists' PAGE_SIZE


def _unit_contact(unit):
    """The unit's contact login (the generator makes one); bench-unit-<id> otherwise."""
    from django.contrib.auth import get_user_model

    if unit is None:
        return None
    contact = unit.contacts.filter(is_active=True).order_by("pk").first()
    if contact is None:
        contact, _ = get_user_model().objects.get_or_create(username=f"bench-unit-{unit.pk}")
        unit.contacts.add(contact)
    return contact


def _tables():
    from members.models import Member, Person
    from proposals.models import Proposal, Proposer, Rating, Routing
    from sectors.models import PlenarySession

    return {
        "p": Proposal._meta.db_table,
        "pr": Proposer._meta.db_table,
        "m": Member._meta.db_table,
        "ps": Person._meta.db_table,
        "s": PlenarySession._meta.db_table,
        "rt": Routing._meta.db_table,
        "ra": Rating._meta.db_table,
    }


def _proposal_list_sql(body, *, page, session=None, category="", status="", unit=None,
                       satisfaction="", q="", public=False) -> tuple[str, list]:  # fmt: skip
    """A page of the body's proposals with session and first proposer, newest first."""
    t = _tables()
    where, params = ["p.body_id = %s"], [body.pk]
    if public:
        where.append("p.status NOT IN ('draft', 'inviting', 'withdrawn')")
    if session:
        where.append("p.session_id = %s")
        params.append(session)
    if category:
        where.append("p.category = %s")
        params.append(category)
    if status:
        where.append("p.status = %s")
        params.append(status)
    if unit:
        where.append(
            f"EXISTS (SELECT 1 FROM {t['rt']} rt WHERE rt.proposal_id = p.id"
            f" AND rt.unit_id = %s AND rt.status <> 'withdrawn')"
        )
        params.append(unit)
    if satisfaction:
        where.append(
            f"(SELECT ra.satisfaction FROM {t['ra']} ra WHERE ra.proposal_id = p.id"
            f" ORDER BY ra.round DESC LIMIT 1) = %s"
        )
        params.append(satisfaction)
    if q:
        where.append(
            f"(p.title ILIKE %s OR p.id IN (SELECT x.proposal_id FROM {t['pr']} x JOIN {t['m']} xm"
            f" ON xm.id = x.member_id JOIN {t['ps']} xp ON xp.id = xm.person_id"
            f" WHERE xp.name ILIKE %s))"
        )
        params += [f"%{q}%", f"%{q}%"]
    sql = (
        f"SELECT p.id, p.number, p.title, p.kind, p.status, p.submitted_at, s.year, ps.name"
        f" FROM {t['p']} p JOIN {t['s']} s ON s.id = p.session_id"
        f" LEFT JOIN {t['pr']} pr ON pr.proposal_id = p.id AND pr.role = 'first'"
        f" LEFT JOIN {t['m']} m ON m.id = pr.member_id LEFT JOIN {t['ps']} ps ON ps.id = m.person_id"
        f" WHERE {' AND '.join(where)}"
        f" ORDER BY p.submitted_at DESC, p.created_at DESC, p.id DESC LIMIT {page}"
    )
    return sql, params


def _mine_sql(user) -> tuple[str, list]:
    t = _tables()
    sql = (
        f"SELECT p.id, p.number, p.title, p.status, p.created_at FROM {t['p']} p"
        f" WHERE p.id IN (SELECT pr.proposal_id FROM {t['pr']} pr JOIN {t['m']} m"
        f" ON m.id = pr.member_id JOIN {t['ps']} ps ON ps.id = m.person_id"
        f" WHERE ps.user_id = %s AND pr.status = 'confirmed'"
        f" UNION SELECT id FROM {t['p']} WHERE created_by_id = %s)"
        f" ORDER BY p.created_at DESC, p.id DESC LIMIT {PAGE}"
    )
    return sql, [user.pk, user.pk]


def _review_sql(body) -> tuple[str, list]:
    t = _tables()
    sql = (
        f"SELECT p.id, p.title, p.kind, p.submitted_at FROM {t['p']} p"
        f" WHERE p.body_id = %s AND p.status = 'submitted'"
        f" ORDER BY p.submitted_at, p.id LIMIT {PAGE}"
    )
    return sql, [body.pk]


def _inbox_sql(unit, *, replied) -> tuple[str, list]:
    """A page of the unit's routings with their proposals: in handling by deadline,
    or replied, newest first."""
    t = _tables()
    status, order = (
        ("('replied', 'done')", "rt.routed_at DESC, rt.id")
        if replied
        else ("('routed', 'rehandling')", "rt.deadline, rt.id")
    )
    sql = (
        f"SELECT rt.id, rt.role, rt.status, rt.deadline, p.id, p.number, p.title"
        f" FROM {t['rt']} rt JOIN {t['p']} p ON p.id = rt.proposal_id"
        f" WHERE rt.unit_id = %s AND rt.status IN {status} ORDER BY {order} LIMIT {PAGE}"
    )
    return sql, [unit.pk]


def _overdue_sql(body, today) -> tuple[str, list]:
    from proposals.models import HandlingUnit

    t = _tables()
    u = HandlingUnit._meta.db_table
    sql = (
        f"SELECT rt.id, rt.deadline, p.id, p.title, u.name FROM {t['rt']} rt"
        f" JOIN {t['p']} p ON p.id = rt.proposal_id JOIN {u} u ON u.id = rt.unit_id"
        f" WHERE rt.status IN ('routed', 'rehandling') AND rt.deadline < %s"
        f" AND p.status IN ('routed', 'rehandling') AND p.body_id = %s"
        f" ORDER BY rt.deadline, rt.id LIMIT {PAGE}"
    )
    return sql, [today, body.pk]


def _stats_sql(session) -> tuple[str, list]:
    """The session's proposals counted by status: the first of the page's blocks."""
    t = _tables()
    sql = f"SELECT status, count(*) FROM {t['p']} WHERE session_id = %s GROUP BY status"
    return sql, [session.pk]


# (e) Social-information reports: the staff list (all, and filtered), the member's own,
# the staff queue, the year's counts (page and selector).
def _bench_reports(scale, term, n) -> list[Row]:
    from django.utils import timezone

    from reports.models import SocialInfoReport
    from reports.selectors import my_reports, report_year_summary

    body = term.body
    reports = SocialInfoReport.objects.filter(body=body)
    if not reports.exists():
        return [Row(scale, "社情民意信息", "not available (无数据:请重新生成)", note=body.name)]
    staff = _client(_staff_user(body))
    member = _bench_member(term)
    member_client = _client(member.person.user)
    year = timezone.localdate().year - 1
    where = f"{body.short_name}, {reports.count()} 条信息"
    R = _report_list_sql
    return [
        _bench_page(scale, "社情民意信息一览 /reports/all/ (工作人员)", staff, "/reports/all/", n,
                    R(body), where),
        _bench_page(scale, "社情民意信息一览·筛选 年度+省级采用 (工作人员)", staff,
                    f"/reports/all/?year={year}&level=province", n,
                    R(body, year=year, level="province"), f"{year} 年, 省级采用"),
        _bench_page(scale, "我的社情民意信息 /reports/ (委员)", member_client, "/reports/", n,
                    R(body, member=member), f"委员 {member.number}, "
                    f"{my_reports(user=member.person.user).count()} 条"),
        _bench_page(scale, "信息受理 /reports/queue/ (工作人员)", staff, "/reports/queue/", n,
                    R(body, queue=True), f"待处理 {reports.filter(status__in=('submitted', 'accepted')).count()} 条"),
        _bench_page(scale, "信息统计 /reports/stats/ (工作人员)", staff,
                    f"/reports/stats/?body={body.pk}&year={year}", n, _report_year_sql(body, year),
                    f"{year} 年"),
        _bench_call(scale, "年度汇总 report_year_summary()", lambda: report_year_summary(
                    body=body, year=year), n, _report_year_sql(body, year), f"{year} 年"),
    ]  # fmt: skip


def _report_list_sql(body, *, year=None, level="", member=None, queue=False) -> tuple[str, list]:
    """A page of reports with their authors (member or group)."""
    from members.models import Member, Person
    from reports.models import ReportAdoption, SocialInfoReport
    from sectors.models import SectorGroup

    r, a = SocialInfoReport._meta.db_table, ReportAdoption._meta.db_table
    m, ps, g = Member._meta.db_table, Person._meta.db_table, SectorGroup._meta.db_table
    where, params, order = ["r.body_id = %s"], [body.pk], "r.submitted_at DESC, r.id DESC"
    if member is not None:
        where, params, order = (
            ["r.author_member_id = %s"],
            [member.pk],
            "r.created_at DESC, r.id DESC",
        )
    elif queue:
        where.append("r.status IN ('submitted', 'accepted')")
        order = "r.submitted_at, r.id"
    else:
        where.append("r.status <> 'draft'")
    if year:
        where.append("r.submitted_at >= %s AND r.submitted_at < %s")
        params += [_year_start(year), _year_start(year + 1)]
    if level:
        where.append(f"EXISTS (SELECT 1 FROM {a} a WHERE a.report_id = r.id AND a.level = %s)")
        params.append(level)
    sql = (
        f"SELECT r.id, r.title, r.status, r.submitted_at, r.bulletin_year, r.bulletin_issue,"
        f" ps.name, g.name FROM {r} r LEFT JOIN {m} m ON m.id = r.author_member_id"
        f" LEFT JOIN {ps} ps ON ps.id = m.person_id LEFT JOIN {g} g ON g.id = r.author_group_id"
        f" WHERE {' AND '.join(where)} ORDER BY {order} LIMIT {PAGE}"
    )
    return sql, params


def _year_start(year):
    from django.utils import timezone

    return datetime.datetime(year, 1, 1, tzinfo=timezone.get_default_timezone())


def _report_year_sql(body, year) -> tuple[str, list]:
    """The body's reports of the year counted by status: the first of the summary's queries."""
    from reports.models import SocialInfoReport

    sql = (
        f"SELECT status, count(*) FROM {SocialInfoReport._meta.db_table}"
        f" WHERE body_id = %s AND submitted_at >= %s AND submitted_at < %s GROUP BY status"
    )
    return sql, [body.pk, _year_start(year), _year_start(year + 1)]


def _duties_page_size() -> int:
    try:
        from duties.views import PAGE_SIZE
    except ImportError:
        return 20
    return PAGE_SIZE


def _menu_sql(body, now, limit, *, past) -> tuple[str, list]:
    """A page of the body's published activities with kind and venue, coming or past."""
    from duties.models import Activity, ActivityKind
    from sectors.models import MemberHome

    a, k, h = Activity._meta.db_table, ActivityKind._meta.db_table, MemberHome._meta.db_table
    when, order = ("a.ends_at < %s", "a.starts_at DESC, a.id DESC") if past else (
        "a.ends_at >= %s", "a.starts_at, a.id")  # fmt: skip
    sql = (
        f"SELECT a.id, a.theme, a.starts_at, a.ends_at, a.status, a.capacity, a.signed_up_count,"
        f" a.signup_deadline, a.required_attendance, k.name, h.name, a.venue_text"
        f" FROM {a} a JOIN {k} k ON k.id = a.kind_id LEFT JOIN {h} h ON h.id = a.venue_home_id"
        f" WHERE a.body_id = %s AND a.status <> 'draft' AND {when} ORDER BY {order} LIMIT %s"
    )
    return sql, [body.pk, now, limit]


def _attendance_sql(activity) -> tuple[str, list]:
    """The activity's list with each member's number, name, sector and group."""
    from duties.models import Participation
    from members.models import Member, Person
    from sectors.models import Sector, SectorGroup

    pt, m, p = Participation._meta.db_table, Member._meta.db_table, Person._meta.db_table
    s, g = Sector._meta.db_table, SectorGroup._meta.db_table
    sql = (
        f"SELECT pt.id, pt.signup, pt.attendance, pt.leave, pt.leave_reason, pt.checked_in_at,"
        f" m.number, p.name, s.name, g.name FROM {pt} pt JOIN {m} m ON m.id = pt.member_id"
        f" JOIN {p} p ON p.id = m.person_id JOIN {s} s ON s.id = m.sector_id"
        f" LEFT JOIN {g} g ON g.id = m.group_id WHERE pt.activity_id = %s"
        f" ORDER BY pt.signup, m.number"
    )
    return sql, [activity.pk]


def _record_sql(member, year) -> tuple[str, list]:
    """The member's activities of the year and verified self-reported duties, one query."""
    from duties.models import Activity, ActivityKind, Participation, SelfReportedDuty

    pt, a = Participation._meta.db_table, Activity._meta.db_table
    k, d = ActivityKind._meta.db_table, SelfReportedDuty._meta.db_table
    sql = (
        f"SELECT a.starts_at, k.name, a.theme, pt.signup, pt.attendance FROM {pt} pt"
        f" JOIN {a} a ON a.id = pt.activity_id JOIN {k} k ON k.id = a.kind_id"
        f" WHERE pt.member_id = %s AND a.starts_at >= %s AND a.starts_at < %s"
        f" UNION ALL SELECT d.created_at, k.name, d.description, d.status, ''"
        f" FROM {d} d JOIN {k} k ON k.id = d.kind_id WHERE d.member_id = %s"
        f" AND d.status = 'verified' AND d.done_on >= %s AND d.done_on < %s ORDER BY 1"
    )
    start, end = datetime.date(year, 1, 1), datetime.date(year + 1, 1, 1)
    return sql, [member.pk, start, end, member.pk, start, end]


def _page_size() -> int:
    try:
        from members.views import PAGE_SIZE
    except ImportError:
        return 50
    return PAGE_SIZE


def _roster_sql(term, *, limit=None) -> tuple[str, list]:
    """The roster's columns for the term's sitting members, straight from the tables."""
    from members.models import Member, Person
    from sectors.models import Sector, SectorGroup

    m, p = Member._meta.db_table, Person._meta.db_table
    s, g = Sector._meta.db_table, SectorGroup._meta.db_table
    sql = (
        f"SELECT m.number, p.name, p.gender, p.ethnicity, p.birth_date, p.party, s.name, g.name,"
        f" p.workplace, p.title, p.mobile, m.is_standing, m.joined_on"
        f" FROM {m} m JOIN {p} p ON p.id = m.person_id JOIN {s} s ON s.id = m.sector_id"
        f" LEFT JOIN {g} g ON g.id = m.group_id"
        f" WHERE m.term_id = %s AND m.left_on IS NULL ORDER BY m.number"
    )
    params = [term.pk]
    if limit:
        sql += " LIMIT %s"
        params.append(limit)
    return sql, params


# (b) The roster export against the csv module writing the same rows, and against
# django-import-export's default export (a ModelResource over the same fields).
EXPORT_TARGET = "≤40× csv (#7)"
IEX_TARGET = "快于 import-export 默认导出 (#7: 它约 135× csv)"


def _bench_export(scale, term, args, where) -> list[Row]:
    from bench.exports import iex_export_ms

    runs = 3
    label = f"花名册导出 roster_export (中位数, {runs} 次)"
    with tempfile.TemporaryDirectory() as tmp:
        base_ms = _median_ms(lambda: _write_csv(term, Path(tmp) / "roster.csv"), runs)
        export, why = _roster_export()
        if export is None:
            return [Row(scale, label, f"not available ({why})", met=False, key="export.roster.csv")]
        try:
            export_ms = _median_ms(
                lambda: _run_export(export, term, Path(tmp) / "roster.xlsx"), runs
            )
        except Exception as error:  # report, do not hide the other figures
            return [Row(scale, label, f"failed: {type(error).__name__}: {error}"[:200],
                        met=False, key="export.roster.csv")]  # fmt: skip
        iex_ms = iex_export_ms("roster", term, runs)
    return [
        _versus(scale, label, "export.roster.csv", export_ms, base_ms, "csv 模块, 同样的行",
                40, EXPORT_TARGET, where),
        _versus(scale, "花名册导出 对 django-import-export 默认导出", "export.roster.iex",
                export_ms, iex_ms, "ModelResource.export() → .xlsx", 1, IEX_TARGET, where),
    ]  # fmt: skip


def _versus(scale, item, key, value_ms, base_ms, base_label, limit, target, note) -> Row:
    ratio = value_ms / base_ms
    return Row(
        scale,
        item,
        f"{value_ms:.0f} ms",
        f"{base_ms:.0f} ms ({base_label})",
        f"{ratio:.2f}×" if ratio < 10 else f"{ratio:.1f}×",
        target,
        ratio <= limit,
        note,
        key=key,
    )


def _write_csv(term, path):
    from django.db import connection

    sql, params = _roster_sql(term)
    with connection.cursor() as cursor, open(path, "w", newline="", encoding="utf-8-sig") as out:
        cursor.execute(sql, params)
        writer = csv.writer(out)
        writer.writerow(ROSTER_HEADERS)
        while chunk := cursor.fetchmany(2000):
            writer.writerows(chunk)


def _roster_export():
    """members.roster.roster_export if it is there yet (another change writes it)."""
    try:
        from members.roster import roster_export
    except ImportError as error:
        return None, str(error).split(" (")[0]
    return roster_export, ""


def _roster_queryset(term):
    from members.models import Member

    user = _staff_user(term.body)
    return user, (
        Member.objects.visible_to(user).filter(term=term, left_on__isnull=True).order_by("number")
    )


def _run_export(export, term, path):
    """Call the export with whatever of (user, queryset, target...) it asks for; the
    queryset is the term's sitting members, the rows the csv baseline writes."""
    user, queryset = _roster_queryset(term)
    with open(path, "wb") as target:
        offer = {"user": user, "by": user, "queryset": queryset, "members": queryset}
        offer |= {"term": term, "body": term.body, "path": str(path)}
        offer |= dict.fromkeys(("target", "out", "output", "stream", "file", "fileobj"), target)
        kwargs = {}
        for name, parameter in inspect.signature(export).parameters.items():
            if name in offer:
                kwargs[name] = offer[name]
            elif parameter.default is parameter.empty and parameter.kind not in (
                parameter.VAR_POSITIONAL,
                parameter.VAR_KEYWORD,
            ):
                raise TypeError(
                    f"roster_export{inspect.signature(export)}: 不知如何提供参数 {name}"
                )
        return export(**kwargs)


def child_peak_mb(*options) -> float:
    """Peak RSS of a fresh process (`python -m bench.run --child …`). Linux counts the
    memory a process had before exec in its peak, and this process is big by now: so a
    small shell forks the child, and the child reports its own peak (kB, last word)."""
    command = " ".join(shlex.quote(str(o)) for o in (sys.executable, "-m", "bench.run", *options))
    result = subprocess.run(
        ["/bin/sh", "-c", command + "; exit $?"], capture_output=True, text=True, cwd=ROOT
    )
    if result.returncode != 0:
        print(f"bench child {options} failed:\n{result.stdout}{result.stderr}", file=sys.stderr)
        return 0.0
    return int(result.stdout.split()[-1]) / 1024  # ru_maxrss is in kilobytes on Linux


def _child(kind, term_id):
    from sectors.models import Term

    term = Term.objects.select_related("body").get(pk=term_id)
    with tempfile.TemporaryDirectory() as tmp:
        if kind == "csv":
            _write_csv(term, Path(tmp) / "roster.csv")
        else:
            export, why = _roster_export()
            if export is None:
                sys.exit(why)
            _run_export(export, term, Path(tmp) / "roster.xlsx")
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def _append_results(table, heading):
    stamp = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    with open(RESULTS, "a", encoding="utf-8") as out:
        if out.tell() == 0:
            out.write("# Benchmark results\n\nAppended by `python -m bench.run`; newest last.\n")
        out.write(f"\n## {stamp} ({heading}, Python {sys.version.split()[0]})\n\n{table}\n")
    print(f"\n已追加到 {RESULTS}", file=sys.stderr)


if __name__ == "__main__":
    main()
