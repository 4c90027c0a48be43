"""Scoring benchmarks: a year of every member of every body with R1.

Each figure stands beside a baseline measured in the same run:
- reading and arithmetic (services.period_evaluate, i.e. the grouped-SQL
  engine with the members, marks and history it reads) against one hand-written
  SELECT per body that groups the same facts by member and item with the same
  filters and no caps (at most 3×);
- the same against the reference evaluator run member by member, as a loop
  that asks the database about each member would (timed on a sample, scaled;
  at least 50× slower);
- writing every score and line (services._write: two upserts and the clean-up)
  against one INSERT … SELECT … ON CONFLICT of the same rows (at most 3×);
- the whole job (period_compute of every body's year) in a fresh process: wall
  time (under a minute) and peak memory (under 1 GiB)."""

import datetime
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.table import Row

YEAR = 2025
DATES = (datetime.date(YEAR, 1, 1), datetime.date(YEAR, 12, 31))
R1 = Path(__file__).resolve().parent.parent / "scoring" / "rulebooks" / "r1.yaml"
RUNS = 5
SAMPLE = 200  # members the reference evaluates one by one

# R1's items as one would write them by hand: the facts of a body's year,
# counted per member and item (and per what the points depend on), no caps.
BASELINE_SQL = """
WITH f AS (
  SELECT member_id, kind, activity_kind, category, role, level, attrs
  FROM scoring_dutyfact
  WHERE body_id = %(body)s AND "on" BETWEEN %(start)s AND %(end)s
)
SELECT member_id, 'plenary_absent', '', COUNT(*) FROM f
  WHERE kind = 'activity.absent' AND activity_kind = 'plenary' GROUP BY member_id
UNION ALL SELECT member_id, 'plenary_excused', '', COUNT(*) FROM f
  WHERE kind = 'activity.excused' AND activity_kind = 'plenary' GROUP BY member_id
UNION ALL SELECT member_id, 'standing_absent', '', COUNT(*) FROM f
  WHERE kind = 'activity.absent' AND activity_kind = 'standing_meeting' GROUP BY member_id
UNION ALL SELECT member_id, 'standing_excused', '', COUNT(*) FROM f
  WHERE kind = 'activity.excused' AND activity_kind = 'standing_meeting' GROUP BY member_id
UNION ALL SELECT member_id, 'meeting_absent', '', COUNT(*) FROM f
  WHERE kind = 'activity.absent' AND activity_kind IN ('committee_meeting', 'group_meeting')
  GROUP BY member_id
UNION ALL SELECT member_id, 'meeting_excused', '', COUNT(*) FROM f
  WHERE kind = 'activity.excused' AND activity_kind IN ('committee_meeting', 'group_meeting')
  GROUP BY member_id
UNION ALL SELECT member_id, 'proposal_accepted', role, COUNT(*) FROM f
  WHERE kind = 'proposal.accepted' AND role IN ('first', 'co') GROUP BY member_id, role
UNION ALL SELECT member_id, 'proposal_key', '', COUNT(*) FROM f
  WHERE kind = 'proposal.accepted' AND attrs -> 'key' = 'true'::jsonb AND role = 'first'
  GROUP BY member_id
UNION ALL SELECT member_id, 'report_adopted', level, COUNT(*) FROM f
  WHERE kind = 'report.adopted' AND level IN ('city', 'province', 'national')
  GROUP BY member_id, level
UNION ALL SELECT member_id, 'report_instructed', level, COUNT(*) FROM f
  WHERE kind = 'report.instructed' AND level IN ('city', 'province', 'national')
  GROUP BY member_id, level
UNION ALL SELECT member_id, 'speech_delivered', '', COUNT(*) FROM f
  WHERE kind = 'activity.attended' AND activity_kind = 'plenary_speech' AND role = 'speaker'
  GROUP BY member_id
UNION ALL SELECT member_id, 'speech_written', '', COUNT(*) FROM f
  WHERE kind = 'duty.verified' AND activity_kind = 'plenary_speech_written' GROUP BY member_id
UNION ALL SELECT member_id, 'activity_attended', '', COUNT(*) FROM f
  WHERE kind = 'activity.attended'
  AND category IN ('inspection', 'research', 'consultation', 'supervision')
  GROUP BY member_id
"""

# The same rows written by hand: every score and line of the periods upserted
# onto themselves, in two statements.
SCORES_UPSERT = """
INSERT INTO scoring_score (period_id, member_id, rulebook_id, assessed, exempt_reason, share,
  total, grade, grade_before_veto, vetoes, follow_ups, candidates, categories, checklists,
  computed_at)
SELECT period_id, member_id, rulebook_id, assessed, exempt_reason, share, total, grade,
  grade_before_veto, vetoes, follow_ups, candidates, categories, checklists, computed_at
FROM scoring_score WHERE period_id = ANY(%(periods)s)
ON CONFLICT (period_id, member_id) DO UPDATE SET rulebook_id = EXCLUDED.rulebook_id,
  assessed = EXCLUDED.assessed, exempt_reason = EXCLUDED.exempt_reason,
  share = EXCLUDED.share, total = EXCLUDED.total, grade = EXCLUDED.grade,
  grade_before_veto = EXCLUDED.grade_before_veto, vetoes = EXCLUDED.vetoes,
  follow_ups = EXCLUDED.follow_ups, candidates = EXCLUDED.candidates,
  categories = EXCLUDED.categories, checklists = EXCLUDED.checklists,
  computed_at = EXCLUDED.computed_at
"""
LINES_UPSERT = """
INSERT INTO scoring_scoreline (score_id, position, category, item_code, item_name, matched,
  counted, points_before_cap, points, limited_by, is_adjustment, adjustment_reason)
SELECT l.score_id, l.position, l.category, l.item_code, l.item_name, l.matched, l.counted,
  l.points_before_cap, l.points, l.limited_by, l.is_adjustment, l.adjustment_reason
FROM scoring_scoreline l JOIN scoring_score s ON s.id = l.score_id
WHERE s.period_id = ANY(%(periods)s)
ON CONFLICT (score_id, item_code) DO UPDATE SET position = EXCLUDED.position,
  category = EXCLUDED.category, item_name = EXCLUDED.item_name, matched = EXCLUDED.matched,
  counted = EXCLUDED.counted, points_before_cap = EXCLUDED.points_before_cap,
  points = EXCLUDED.points, limited_by = EXCLUDED.limited_by
"""


def _median(fn, runs=RUNS, before=None) -> float:
    fn()  # warm
    times = []
    for _ in range(runs):
        if before:
            before()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _vacuum():
    """Updated rows leave dead ones behind; autovacuum is off on the bench
    machine, so each timed write starts from vacuumed tables, as it would in
    production with autovacuum on."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE scoring_score")
        cursor.execute("VACUUM ANALYZE scoring_scoreline")


def _setup():
    """R1 published for YEAR in every body that sat in it; the year's periods."""
    from django.contrib.auth import get_user_model

    from duties.services import activity_kinds_ensure_defaults
    from scoring import services
    from scoring.facts import facts_rebuild
    from scoring.models import DutyFact
    from sectors.models import Body, Term

    if not DutyFact.objects.exists():  # the generator writes records; the ledger follows them
        facts_rebuild()
        from bench.generator import analyze_filled_tables

        analyze_filled_tables()
    by, _ = get_user_model().objects.get_or_create(username="bench-scoring")
    text = R1.read_text(encoding="utf-8")
    bodies = []
    for body in Body.objects.order_by("pk"):
        if not Term.objects.filter(body=body, starts_on__lte=DATES[1]).exists():
            continue
        activity_kinds_ensure_defaults(body=body)
        rulebook = services.rulebook_load(body=body, year=YEAR, text=text, by=by, publish=True)
        period = services.period_open(body=body, year=YEAR, quarter=0)
        bodies.append((body, rulebook, period))
    return bodies


def bench_scoring(scale: str) -> list[Row]:
    from django.db import connection, transaction
    from django.utils import timezone

    from scoring import reference, services
    from scoring.models import DutyFact, Score

    if connection.vendor != "postgresql":
        return [Row(scale, "计分", "not available (需要 PostgreSQL)", met=False,
                    key="score.engine_vs_sql")]  # fmt: skip
    bodies = _setup()
    # Issue 6 sets the ratios at L, where the fixed cost of a run (the rulebook, the
    # members, the history) is small beside the facts; elsewhere they are reported.
    at_l = scale == "L"
    members = 0
    facts = DutyFact.objects.filter(
        body_id__in=[b.pk for b, _r, _p in bodies], on__range=DATES
    ).count()
    rows = []

    # 1. reading and arithmetic, every body, against the hand-written SELECT
    results = {}

    def engine():
        for body, rulebook, _period in bodies:
            results[body.pk] = services.period_evaluate(
                body_id=body.pk, year=YEAR, dates=DATES, rulebook=rulebook
            )

    def baseline():
        with connection.cursor() as cursor:
            for body, _rulebook, _period in bodies:
                cursor.execute(BASELINE_SQL, {"body": body.pk, "start": DATES[0], "end": DATES[1]})
                cursor.fetchall()

    engine_s = _median(engine)
    base_s = _median(baseline)
    members = sum(len(r) for r in results.values())
    note = f"{len(bodies)} 个政协, {members} 名委员, {YEAR} 年 {facts} 条履职事实, R1"
    rows.append(
        Row(
            scale,
            f"计分·读取与计算 period_evaluate (中位数, {RUNS} 次)",
            f"{engine_s * 1000:.0f} ms",
            f"{base_s * 1000:.0f} ms (手写分组 SQL, 每个政协一条)",
            f"{engine_s / base_s:.2f}×",
            "≤3× 手写 SQL (#6, 在 L)",
            engine_s <= 3 * base_s if at_l else None,
            note,
            key="score.engine_vs_sql",
        )
    )

    # 2. the reference, member by member (a query for each member's facts)
    sample = []
    for body, rulebook, _period in bodies:
        sample += [
            (body, rulebook, r.member_id) for r in results[body.pk][: SAMPLE // len(bodies) + 1]
        ]
    sample = sample[:SAMPLE]

    def per_member():
        from scoring.rulebook import Fact

        for body, rulebook, member_id in sample:
            parsed = rulebook.parsed()
            inputs = services._read_inputs(
                body_id=body.pk,
                year=YEAR,
                dates=DATES,
                rulebook=rulebook,
                parsed=parsed,
                member_ids=[member_id],
            )
            mine = [
                Fact(f.member_id, f.on, f.kind, f.attrs, f.source)
                for f in DutyFact.objects.filter(member_id=member_id, on__range=DATES)
            ]
            reference.evaluate(
                parsed,
                inputs.members[0],
                mine,
                inputs.marks.get(member_id, {}),
                DATES,
                inputs.history.get(member_id, {}),
            )

    start = time.perf_counter()
    per_member()
    loop_s = (time.perf_counter() - start) / len(sample) * members
    rows.append(
        Row(
            scale,
            "计分·逐个委员的 ORM 循环 (参照实现, 抽样换算)",
            f"{loop_s * 1000:.0f} ms",
            f"{engine_s * 1000:.0f} ms (分组 SQL 引擎)",
            f"{loop_s / engine_s:.0f}× 慢",
            "循环 ≥50× 慢于引擎 (#6, 在 L)",
            loop_s >= 50 * engine_s if at_l else None,
            f"抽样 {len(sample)} 名委员, 按 {members} 名换算",
            key="score.loop_vs_engine",
        )
    )

    # 3. writing every score and line, against INSERT … SELECT … ON CONFLICT
    periods = [p.pk for _b, _r, p in bodies]

    def write():
        now = timezone.now()
        with transaction.atomic():
            for body, rulebook, period in bodies:
                services._write(period, rulebook, rulebook.parsed(), results[body.pk], now)

    def write_baseline():
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(SCORES_UPSERT, {"periods": periods})
            cursor.execute(LINES_UPSERT, {"periods": periods})

    write()  # the rows exist, so both sides update the same rows
    write_s = _median(write, before=_vacuum)
    write_base_s = _median(write_baseline, before=_vacuum)
    lines = Score.objects.filter(period_id__in=periods).values("lines").count()
    rows.append(
        Row(
            scale,
            f"计分·写入得分与明细 (中位数, {RUNS} 次)",
            f"{write_s * 1000:.0f} ms",
            f"{write_base_s * 1000:.0f} ms (INSERT … SELECT … ON CONFLICT)",
            f"{write_s / write_base_s:.2f}×",
            "≤3× 手写 upsert (#6, 在 L)",
            write_s <= 3 * write_base_s if at_l else None,
            f"{members} 条得分, {lines} 条明细",
            key="score.write",
        )
    )

    # 4. the whole job in a fresh process
    wall, peak_mb = _job_in_child(periods)
    rows.append(
        Row(
            scale,
            "计分·整个任务 period_compute (子进程)",
            f"{wall:.1f} s, 峰值内存 {peak_mb:.0f} MB",
            target="<60 s 且 <1 GiB (#6)",
            met=wall < 60 and peak_mb < 1024,
            note=f"{len(periods)} 个评分期 (含 Django 启动)",
            key="score.job",
        )
    )
    return rows


def _job_in_child(periods) -> tuple[float, float]:
    code = (
        "import os, resource, sys, time, django;"
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings.local');"
        "django.setup();"
        "from scoring import services; from scoring.models import ScorePeriod;"
        "t = time.perf_counter();"
        f"[services.period_compute(period=p) for p in ScorePeriod.objects.filter(pk__in={periods!r})];"
        "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    )
    root = Path(__file__).resolve().parent.parent
    # a small shell forks the child, so the child's peak is its own
    result = subprocess.run(
        ["/bin/sh", "-c", f'exec "{sys.executable}" -c "$0"', code],
        cwd=root,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        check=True,
    )
    wall, peak_kb = result.stdout.split()[-2:]
    return float(wall), int(peak_kb) / 1024
