"""Export benchmarks (`--part exports`), each against baselines run alongside:

- the roster (members.roster.roster_export) of the body's current term and the
  annual score sheet (年度考核表, summaries.exports.annual_sheet) of its 2025
  annual period, against the csv module writing the same rows from one query
  (target at most 40×, issue 7) and against django-import-export's default
  export, a ModelResource over the same model and fields, `resource.export()`
  then `.xlsx` (target: faster; issue 7 measured it at about 135× csv);
- the attendance export (summaries.exports.attendance_sheet) of every activity
  of the body, from the first to today, against the csv module writing the rows
  of the very same SQL (the export's queryset, compiled), fetched in the same
  chunks (at most 40×);
- peak memory (`bench_memory`, also run alone at M by `--memory-scale`): ru_maxrss
  of a fresh process, forked by a small shell, for the roster and the annual sheet
  against a process writing the same rows with the csv module (at most 1.2×), and
  for the attendance export's columns and writer over all the participation rows
  of the database against a tenth of them (the same within 20 %, issue 7: rows
  stream from a server-side cursor into the write-only workbook).
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

from bench.table import Row

RUNS = 3
CHUNK = 2000
YEAR = 2025
MEMORY_TARGET = "≤1.2× csv 子进程 (#7 流式写出)"
FLAT_TARGET = "差 ≤20 % (#7)"


def bench_exports(scale, term, args, where) -> list[Row]:
    from bench.run import _bench_export

    rows = _bench_export(scale, term, args, where)
    rows += _bench_annual(scale, term)
    rows.append(_bench_attendance(scale, term.body))
    if not args.no_memory:
        rows += bench_memory(scale, term)
    return rows


def _annual(term):
    """The body's computed 2025 annual period (the summaries part computes it)."""
    from bench.summaries import setup as summaries_setup
    from scoring.annual_selectors import annual_period

    summaries_setup()
    return annual_period(body_id=term.body_id, year=YEAR)


ANNUAL_HEADERS = ("委员编号", "姓名", "界别", "界别小组", "总分", "等次", "一票否决", "后续处理",
                  "推荐候选", "备注")  # fmt: skip


def _annual_sql(period) -> tuple[str, list]:
    sql = (
        "SELECT m.number, p.name, s.name, g.name, sc.total, sc.grade, sc.vetoes, sc.follow_ups,"
        " sc.candidates, sc.exempt_reason FROM scoring_score sc"
        " JOIN members_member m ON m.id = sc.member_id JOIN members_person p ON p.id = m.person_id"
        " JOIN sectors_sector s ON s.id = m.sector_id"
        " LEFT JOIN sectors_sectorgroup g ON g.id = m.group_id"
        " WHERE sc.period_id = %s ORDER BY sc.assessed DESC, sc.total DESC, m.number, sc.id"
    )
    return sql, [period.pk]


def annual_csv(period, path):
    from django.db import connection

    sql, params = _annual_sql(period)
    with connection.cursor() as cursor, open(path, "w", newline="", encoding="utf-8-sig") as out:
        cursor.execute(sql, params)
        writer = csv.writer(out)
        writer.writerow(ANNUAL_HEADERS)
        while chunk := cursor.fetchmany(CHUNK):
            writer.writerows(chunk)


def annual_xlsx(period, path) -> int:
    from summaries.exports import annual_sheet
    from summaries.xlsx import write_workbook

    return write_workbook(path, sheets=[annual_sheet(period=period)])


def _bench_annual(scale, term) -> list[Row]:
    from bench.run import EXPORT_TARGET, IEX_TARGET, _versus

    label = f"年度考核表导出 annual_sheet (中位数, {RUNS} 次)"
    try:
        period = _annual(term)
        with tempfile.TemporaryDirectory() as tmp:
            base_ms = _median_ms(lambda: annual_csv(period, Path(tmp) / "a.csv"), RUNS)
            export_ms = _median_ms(lambda: annual_xlsx(period, Path(tmp) / "a.xlsx"), RUNS)
        iex_ms = iex_export_ms("annual", period, RUNS)
    except Exception as error:  # report, do not hide the other figures
        return [Row(scale, label, f"failed: {type(error).__name__}: {error}"[:200], met=False,
                    key="export.annual.csv")]  # fmt: skip
    where = f"{term.body.short_name} {YEAR} 年, {period.scores.count()} 行"
    return [
        _versus(scale, label, "export.annual.csv", export_ms, base_ms, "csv 模块, 同样的行",
                40, EXPORT_TARGET, where),
        _versus(scale, "年度考核表导出 对 django-import-export 默认导出", "export.annual.iex",
                export_ms, iex_ms, "ModelResource.export() → .xlsx", 1, IEX_TARGET, where),
    ]  # fmt: skip


def _iex_resource(kind):
    """django-import-export's default: a ModelResource naming the export's columns,
    nothing else (no select_related, no widgets of our own)."""
    from import_export import resources

    from members.models import Member
    from scoring.models import Score

    if kind == "roster":

        class RosterDefault(resources.ModelResource):
            class Meta:
                model = Member
                fields = ("number", "person__name", "person__gender", "person__ethnicity",
                          "person__birth_date", "person__party", "sector__name", "group__name",
                          "person__workplace", "person__title", "person__mobile", "is_standing",
                          "joined_on")  # fmt: skip
                export_order = fields

        return RosterDefault()

    class AnnualDefault(resources.ModelResource):
        class Meta:
            model = Score
            fields = ("member__number", "member__person__name", "member__sector__name",
                      "member__group__name", "total", "grade", "vetoes", "follow_ups",
                      "candidates", "exempt_reason")  # fmt: skip
            export_order = fields

    return AnnualDefault()


def iex_export(kind, subject, path):
    from scoring.models import Score

    if kind == "roster":
        from bench.run import _roster_queryset

        _user, queryset = _roster_queryset(subject)
    else:
        queryset = Score.objects.filter(period=subject).order_by("-assessed", "-total", "pk")
    dataset = _iex_resource(kind).export(queryset=queryset)
    Path(path).write_bytes(dataset.export("xlsx"))


def iex_export_ms(kind, subject, runs) -> float:
    """One cold run: the default is ten times slower or more (a query per related
    field per row), and at L a run takes minutes under load."""
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        iex_export(kind, subject, Path(tmp) / "iex.xlsx")
        return (time.perf_counter() - started) * 1000


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
    from bench.run import EXPORT_TARGET, _versus

    return _versus(scale, f"出席情况导出 attendance_sheet (中位数, {RUNS} 次)",
                   "export.attendance.csv", export_ms, base_ms, "csv 模块, 同一条 SQL", 40,
                   EXPORT_TARGET, f"{body.name} 全部活动, {counted['rows']} 行")  # fmt: skip


def bench_memory(scale, term) -> list[Row]:
    """Peak RSS of the roster, annual-sheet and attendance exports (see the module)."""
    from bench.run import child_peak_mb
    from duties.models import Participation

    rows = []
    period = _annual(term)
    pairs = (
        ("roster", "花名册导出", ("--child", "export", "--term", term.pk),
         ("--child", "csv", "--term", term.pk), f"{term.members.filter(left_on__isnull=True).count()} 行"),
        ("annual", "年度考核表导出", ("--child", "annual", "--period", period.pk),
         ("--child", "annual-csv", "--period", period.pk), f"{period.scores.count()} 行"),
    )  # fmt: skip
    for kind, label, export, baseline, note in pairs:
        export_mb, base_mb = child_peak_mb(*export), child_peak_mb(*baseline)
        rows.append(
            Row(
                scale,
                f"{label}的峰值内存 (子进程 RSS)",
                f"{export_mb:.0f} MB" if export_mb else "failed",
                f"{base_mb:.0f} MB (csv 模块写同样的行)",
                f"{export_mb / base_mb:.2f}×" if export_mb and base_mb else "",
                MEMORY_TARGET,
                bool(export_mb and base_mb and export_mb <= 1.2 * base_mb),
                f"{note}; 含 Django 启动",
                key=f"export.memory.{kind}",
            )
        )
    total = Participation.objects.count()
    small, large = total // 10, total
    peaks, seconds = {}, {}
    for n in (small, large):
        peaks[n], seconds[n], _written = _child_peak(n)
    if not (peaks[small] and peaks[large]):
        rows.append(Row(scale, "出席情况导出的峰值内存", "failed", met=False,
                        key="export.memory.attendance"))  # fmt: skip
        return rows  # fmt: skip
    ratio = peaks[large] / peaks[small]
    rows.append(
        Row(
            scale,
            f"出席情况导出的峰值内存 (子进程 RSS), 全部 {large:,} 行 对 十分之一 {small:,} 行",
            f"{peaks[large]:.0f} MB ({seconds[large]:.0f} s)",
            f"{peaks[small]:.0f} MB ({seconds[small]:.0f} s)",
            f"{ratio:.2f}×",
            FLAT_TARGET,
            abs(ratio - 1) <= 0.2,
            "含 Django 启动; 库中全部政协的参加记录, 按活动时间排序",
            key="export.memory.attendance",
        )
    )
    return rows


def child_annual(kind, period_id) -> None:
    """In the child: the annual sheet (or its csv) of one period; prints peak RSS (kB)."""
    from scoring.models import ScorePeriod

    period = ScorePeriod.objects.select_related("body").get(pk=period_id)
    with tempfile.TemporaryDirectory() as tmp:
        if kind == "annual":
            annual_xlsx(period, Path(tmp) / "a.xlsx")
        else:
            annual_csv(period, Path(tmp) / "a.csv")
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


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
