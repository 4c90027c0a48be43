"""The leadership's annual summary page (履职总结) at a scale: its queries and
the median of `requests` requests with the cache cleared before each (cold)
and not (warm), as a leadership user of the biggest body, against one plain
SQL query grouping the same year's scores by sector.

The year's assessments come from the Hai'an rulebook (it has the 六个一
checklist the page counts), computed for YEAR and the year before in every
body once; a later run finds them there."""

import statistics
import time
from pathlib import Path

YEAR = 2025
TARGET_MS = 500
HAIAN = Path(__file__).resolve().parent.parent / "scoring" / "rulebooks" / "haian.yaml"


def haian_text(body, year: int, term: int) -> str:
    """The Hai'an rulebook, for another body, term and year."""
    text = HAIAN.read_text(encoding="utf-8")
    return (
        text.replace("body: 海安市政协", f"body: {body.name}", 1)
        .replace("\nterm: 15\n", f"\nterm: {term}\n", 1)
        .replace("\nyear: 2025\n", f"\nyear: {year}\n", 1)
    )


def setup():
    """Hai'an published for YEAR − 1 and YEAR in every body, both annual
    periods and YEAR's third quarter computed (once)."""
    from django.contrib.auth import get_user_model

    from duties.services import activity_kinds_ensure_defaults
    from scoring import services
    from scoring.facts import facts_rebuild
    from scoring.models import DutyFact, ScorePeriod
    from sectors.models import Body, Term

    if not DutyFact.objects.exists():
        facts_rebuild()
        from bench.generator import analyze_filled_tables

        analyze_filled_tables()
    by, _ = get_user_model().objects.get_or_create(username="bench-summaries")
    for body in Body.objects.order_by("pk"):
        for year, quarters in ((YEAR - 1, (0,)), (YEAR, (0, 3))):
            term = (
                Term.objects.filter(body=body, starts_on__year__lte=year)
                .order_by("-starts_on")
                .first()
            )
            if term is None:
                continue
            done = set(
                ScorePeriod.objects.filter(
                    body=body, year=year, computed_at__isnull=False
                ).values_list("quarter", flat=True)
            )
            if done >= set(quarters):
                continue
            activity_kinds_ensure_defaults(body=body)
            if 0 not in done:  # a year computed already (the scoring part's R1) keeps its rulebook
                services.rulebook_load(
                    body=body, year=year, text=haian_text(body, year, term.number), by=by,
                    publish=True,
                )  # fmt: skip
            for quarter in set(quarters) - done:
                period = services.period_open(body=body, year=year, quarter=quarter)
                services.period_compute(period=period)


def _leader(body):
    from django.contrib.auth import get_user_model

    from members.models import BodyRole

    user, _ = get_user_model().objects.get_or_create(username=f"bench-leader-{body.pk}")
    BodyRole.objects.get_or_create(user=user, body=body, role=BodyRole.Role.LEADERSHIP)
    return user


def _median_ms(fn, n: int, before=None, cpu=None) -> float:
    fn()
    times, cpu_times = [], []
    for _ in range(n):
        if before:
            before()
        started, started_cpu = time.perf_counter(), time.process_time()
        fn()
        times.append(time.perf_counter() - started)
        cpu_times.append(time.process_time() - started_cpu)
    if cpu is not None:
        cpu.append(statistics.median(cpu_times) * 1000)
    return statistics.median(times) * 1000


BASELINE_SQL = """
SELECT m.sector_id, COUNT(*), AVG(s.total)
FROM scoring_score s JOIN members_member m ON m.id = s.member_id
WHERE s.period_id = %s AND s.assessed
GROUP BY m.sector_id
"""


def bench_summaries(scale: str, term, n: int) -> list:
    from django.core.cache import cache
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from bench.run import PAGE_TARGET, _client, _staff_user
    from bench.table import Row, page_met
    from scoring.annual_selectors import annual_period

    setup()
    body = term.body
    client = _client(_leader(body))
    url = reverse("summaries:annual", args=[body.pk, YEAR])
    where = f"{body.short_name} {YEAR} 年, {term.members.count()} 个席位"

    def page():
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)

    try:
        cpu = []
        cold_ms = _median_ms(page, n, before=cache.clear, cpu=cpu)
        warm_ms = _median_ms(page, n, cpu=cpu)
        cache.clear()
        reset_queries()  # DEBUG keeps only the last 9,000: a full log captures none
        with CaptureQueriesContext(connection) as queries:
            page()
    except Exception as error:  # report, do not hide the other figures
        return [Row(scale, "年度履职总结页", f"failed: {type(error).__name__}: {error}"[:200],
                    note=where, met=False, key="page.summary_cold")]  # fmt: skip
    period = annual_period(body_id=body.pk, year=YEAR)
    fetched = []

    def base():
        with connection.cursor() as cursor:
            cursor.execute(BASELINE_SQL, [period.pk])
            fetched[:] = cursor.fetchall()

    base_ms = _median_ms(base, n)
    return [
        Row(
            scale,
            f"年度履职总结页, 缓存清空 (中位数, {n} 次)",
            f"{cold_ms:.1f} ms (CPU {cpu[0]:.0f} ms), {len(queries)} 次查询",
            f"{base_ms:.2f} ms (一条 SQL, {len(fetched)} 行)",
            f"{cold_ms / base_ms:.0f}×",
            f"<{TARGET_MS} ms, 缓存清空 (#7)",
            page_met(cold_ms),
            where,
            key="page.summary_cold",
            queries=len(queries),
        ),
        Row(
            scale,
            f"年度履职总结页, 缓存已热 (中位数, {n} 次)",
            f"{warm_ms:.1f} ms (CPU {cpu[1]:.0f} ms)",
            "",
            f"{warm_ms / base_ms:.0f}×",
            PAGE_TARGET,
            page_met(warm_ms),
            where,
            key="page.summary_warm",
        ),
        _bench_review(scale, term, n, _client(_staff_user(body))),
    ]


REVIEW_SQL = """
SELECT s.id, m.number, p.name, s.total, s.grade FROM scoring_score s
JOIN members_member m ON m.id = s.member_id JOIN members_person p ON p.id = m.person_id
WHERE s.period_id = %s ORDER BY s.total DESC NULLS LAST, m.number LIMIT %s
"""


def _bench_review(scale, term, n, client):
    """The quarterly review table (季度通报 review, scoring:period_detail) of YEAR's
    third quarter, as staff of the body, against one SQL query for its page of scores."""
    from django.urls import reverse

    from bench.run import _bench_page
    from scoring.models import ScorePeriod
    from scoring.review_views import PAGE_SIZE

    period = (
        ScorePeriod.objects.filter(body=term.body, year=YEAR, quarter=3).order_by("-pk").first()
    )
    url = reverse("scoring:period_detail", args=[period.pk])
    return _bench_page(
        scale, "评分审核表 /scoring/periods/<pk>/ (工作人员)", client, url, n,
        (REVIEW_SQL, [period.pk, PAGE_SIZE]),
        f"{term.body.short_name} {YEAR} 年第三季度, {period.scores.count()} 名委员",
        key="page.review",
    )  # fmt: skip
