"""Export benchmarks (`--part exports`): the staff Excel exports against Python's
csv module writing the same rows from the same query, in the same run.

- the roster (members.roster.roster_export) of the body's current term, against
  the csv module writing the roster query's rows (target: at most 40×);
- the attendance export (summaries.exports.attendance_sheet) of every activity
  of the body, from the first to today, against the csv module writing the rows
  of the very same SQL (the export's queryset, compiled), fetched in the same
  chunks (at most 40×);
- peak memory (ru_maxrss of a fresh process, forked by a small shell as the
  roster's figure is) of the attendance export writing the first 100,000 and
  the first 1,000,000 participation rows of every body in the database, with
  the export's columns and writer: the same within 20 %, since rows stream from
  a server-side cursor to the write-only workbook.
"""

import csv
import datetime
import resource
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = 3
MEMORY_ROWS = (100_000, 1_000_000)
CHUNK = 2000


def bench_exports(scale, term, args, where) -> list[tuple]:
    from bench.run import _bench_export

    rows = [_roster_row(row) for row in _bench_export(scale, term, _NoMemory(), where)]
    rows.append(_bench_attendance(scale, term.body))
    if not args.no_memory:
        rows += _bench_memory(scale)
    return rows


class _NoMemory:
    no_memory = True


def _roster_row(row) -> tuple:
    ratio = row[4]
    try:
        verdict = "达标 (≤40×)" if float(ratio.rstrip("×")) <= 40 else "未达标 (>40×)"
    except ValueError:
        verdict = ""
    return (*row[:5], verdict, row[6])


def _median_ms(fn, n) -> float:
    from bench.run import _median_ms

    return _median_ms(fn, n)


def _attendance_queryset(body):
    from django.utils import timezone

    from summaries.exports import attendance_rows

    return attendance_rows(body=body, start=datetime.date(2000, 1, 1), end=timezone.localdate())


def _bench_attendance(scale, body) -> tuple:
    from django.db import connection
    from django.utils import timezone

    from summaries.exports import attendance_sheet
    from summaries.xlsx import write_workbook

    queryset = _attendance_queryset(body)
    sql, params = queryset.query.sql_with_params()
    counted = {}

    def baseline(path):
        # The same SQL, fetched in the export's chunks, each row written as it comes.
        with connection.cursor() as cursor, open(path, "w", newline="", encoding="utf-8") as out:
            cursor.execute(sql, params)
            writer = csv.writer(out)
            writer.writerow([f.split("__")[-1] for f in queryset.query.values_select])
            while chunk := cursor.fetchmany(CHUNK):
                writer.writerows(chunk)

    def export(path):
        sheet = attendance_sheet(
            body=body, start=datetime.date(2000, 1, 1), end=timezone.localdate()
        )
        counted["rows"] = write_workbook(path, sheets=[sheet])

    with tempfile.TemporaryDirectory() as tmp:
        base_ms = _median_ms(lambda: baseline(Path(tmp) / "a.csv"), RUNS)
        export_ms = _median_ms(lambda: export(Path(tmp) / "a.xlsx"), RUNS)
    ratio = export_ms / base_ms
    return (
        scale,
        f"出席情况导出 attendance_sheet (中位数, {RUNS} 次)",
        f"{export_ms:.0f} ms",
        f"{base_ms:.0f} ms (csv 模块, 同一条 SQL)",
        f"{ratio:.1f}×",
        "达标 (≤40×)" if ratio <= 40 else "未达标 (>40×)",
        f"{body.name} 全部活动, {counted['rows']} 行",
    )


def _bench_memory(scale) -> list[tuple]:
    peaks = {}
    seconds = {}
    for n in MEMORY_ROWS:
        peaks[n], seconds[n], written = _child_peak(n)
        if not peaks[n]:
            return [(scale, f"出席情况导出的峰值内存 {n} 行", "failed", "", "", "", "")]
        if written < n:
            print(f"bench: only {written} participation rows, not {n}", file=sys.stderr)
    small, large = MEMORY_ROWS
    ratio = peaks[large] / peaks[small]
    return [
        (
            scale,
            f"出席情况导出的峰值内存 (子进程 RSS), {large:,} 行 对 {small:,} 行",
            f"{peaks[large]:.0f} MB ({seconds[large]:.0f} s)",
            f"{peaks[small]:.0f} MB ({seconds[small]:.0f} s)",
            f"{ratio:.2f}×",
            "达标 (差 ≤20 %)" if abs(ratio - 1) <= 0.2 else "未达标 (差 >20 %)",
            "含 Django 启动; 全部政协的参加记录, 按活动时间排序",
        )
    ]


def _child_peak(rows: int) -> tuple[float, float, int]:
    command = (
        f"{shlex.quote(sys.executable)} -m bench.run --child attendance --rows {rows}; exit $?"
    )
    result = subprocess.run(
        ["/bin/sh", "-c", command],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    if result.returncode != 0:
        print(f"bench child attendance failed:\n{result.stdout}{result.stderr}", file=sys.stderr)
        return 0.0, 0.0, 0
    kb, secs, written = result.stdout.split()[-3:]
    return int(kb) / 1024, float(secs), int(written)


def child_attendance(rows: int) -> None:
    """In the child: the attendance export's columns and writer over the first
    `rows` participation rows of every body; prints peak RSS (kB), seconds, rows."""
    from duties.models import Participation
    from summaries.exports import ATTENDANCE_FIELDS, attendance_columns
    from summaries.xlsx import SheetSpec, write_workbook

    started = time.perf_counter()
    queryset = Participation.objects.order_by(
        "activity__starts_at", "activity_id", "member__number", "pk"
    ).values(*ATTENDANCE_FIELDS)[:rows]
    sheet = SheetSpec(
        name="出席情况",
        title="出席情况",
        subtitle="bench",
        columns=attendance_columns(),
        rows=queryset.iterator(chunk_size=CHUNK),
    )
    with tempfile.TemporaryDirectory() as tmp:
        written = write_workbook(Path(tmp) / "a.xlsx", sheets=[sheet])
    elapsed = time.perf_counter() - started
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, f"{elapsed:.1f}", written)
