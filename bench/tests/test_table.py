"""The bench table: targets marked met / not met, query counts compared across
scales, every figure issue 8 asks for accounted for. No database, no benchmark
run: the scale runs are replaced by the rows they would send back."""

import re

import pytest

from bench import run
from bench.table import (
    MET,
    NOT_MET,
    REQUIRED,
    Row,
    build_table,
    constant_query_rows,
    missing_rows,
    rows_dump,
    rows_load,
)


def _cells(table: str, item: str) -> list[str]:
    line = next(line for line in table.splitlines() if f"| {item}" in line)
    return [c.strip() for c in line.strip("|").split("|")]


def test_versus_marks_a_ratio_at_or_under_the_limit_met_and_over_it_not_met():
    at = run._versus("L", "a", "k", 400.0, 10.0, "csv", 40, "≤40×", "")
    over = run._versus("L", "b", "k", 401.0, 10.0, "csv", 40, "≤40×", "")
    faster = run._versus("L", "c", "k", 50.0, 100.0, "iex", 1, "faster", "")
    slower = run._versus("L", "d", "k", 150.0, 100.0, "iex", 1, "faster", "")

    assert (at.met, over.met, faster.met, slower.met) == (True, False, True, False)
    assert (at.ratio, over.ratio, faster.ratio) == ("40.0×", "40.1×", "0.50×")


def test_the_table_shows_target_and_verdict_and_counts_the_failures():
    rows = [
        Row(
            "S", "页面甲", "120.0 ms, 14 次查询", "1.00 ms (一条 SQL)", "120×", "<500 ms (#4)", True
        ),
        Row(
            "L",
            "页面乙",
            "620.0 ms, 14 次查询",
            "1.00 ms (一条 SQL)",
            "620×",
            "<500 ms (#4)",
            False,
        ),
        Row("L", "数据生成", "83 s"),
    ]

    table = build_table(rows)

    assert table.splitlines()[0] == (
        "| 规模 | 项目 | 结果 | 基线(同次运行) | 倍数 | 目标 (来源) | 是否达标 | 说明 |"
    )
    assert _cells(table, "页面甲")[5:7] == ["<500 ms (#4)", MET]
    assert _cells(table, "页面乙")[5:7] == ["<500 ms (#4)", NOT_MET]
    assert _cells(table, "数据生成")[5:7] == ["", ""]
    assert table.splitlines()[-1] == "目标 2 项: 达标 1 项, 未达标 1 项: L 页面乙"


def test_a_pipe_in_a_figure_does_not_break_the_row():
    table = build_table([Row("S", "a|b", "1 ms")])

    assert len(_cells(table, "a/b")) == 8


def test_query_counts_are_compared_across_scales():
    rows = [
        Row("S", "菜单 (中位数, 20 次)", "1 ms", key="page.menu", queries=14),
        Row("L", "菜单 (中位数, 20 次)", "2 ms", key="page.menu", queries=14),
        Row("S", "档案", "1 ms", key="page.record", queries=13),
        Row("L", "档案", "1 ms", key="page.record", queries=15),
        Row("S", "只在 S", "1 ms", key="page.only_s", queries=9),
    ]

    checks = {r.key: r for r in constant_query_rows(rows)}

    assert set(checks) == {"constant.page.menu", "constant.page.record"}
    assert checks["constant.page.menu"].met is True
    assert checks["constant.page.menu"].item == "查询次数恒定: 菜单"
    assert checks["constant.page.record"].met is False
    assert checks["constant.page.record"].result == "S: 13 次, L: 15 次"


def test_issue_8s_figures_are_all_required():
    assert set(REQUIRED) >= {
        "score.engine_vs_sql",  # the year's scores vs one hand-written SQL query
        "score.loop_vs_engine",  # vs a per-member ORM loop
        "export.roster.csv",
        "export.roster.iex",
        "export.annual.csv",
        "export.annual.iex",
        "import.attendance_5000",
        "page.menu",
        "page.attendance",
        "page.record",
        "page.review",
        "page.summary_cold",
    }
    for page in ("page.menu", "page.attendance", "page.record", "page.review", "page.summary_cold"):
        assert set(REQUIRED[page]) == {"S", "L"}
    for memory in ("export.memory.roster", "export.memory.annual", "export.memory.attendance"):
        assert set(REQUIRED[memory]) == {"M", "L"}
    assert "L" in REQUIRED["import.attendance_5000"]


def test_missing_rows_names_every_absent_figure_of_the_scales_that_ran():
    complete = [Row(s, k, "x", key=k) for k, scales in REQUIRED.items() for s in scales]

    assert missing_rows(complete, {"S", "M", "L"}) == []
    without_review_at_l = [r for r in complete if (r.key, r.scale) != ("page.review", "L")]
    assert missing_rows(without_review_at_l, {"S", "M", "L"}) == ["page.review @ L"]
    assert "page.review @ L" not in missing_rows(without_review_at_l, {"S"})
    no_memory = [r for r in complete if not r.key.startswith("export.memory.")]
    assert missing_rows(no_memory, {"S"}, {"M"}) == [
        "export.memory.roster @ M",
        "export.memory.annual @ M",
        "export.memory.attendance @ M",
    ]


def test_every_required_key_is_produced_by_the_bench_code():
    """A renamed key would silently drop its row from the check: each key the table
    requires appears where the rows are made."""
    source = "\n".join(
        path.read_text(encoding="utf-8")
        for path in (run.ROOT / "bench").glob("*.py")
        if path.name not in ("table.py",)
    )
    produced = set(re.findall(r'"((?:page|export|score|import)\.[a-z_.0-9]+)"', source))
    produced |= {f"export.memory.{kind}" for kind in ("roster", "annual")}  # f"…{kind}"
    assert set(REQUIRED) <= produced


def test_rows_survive_the_trip_from_a_scale_process():
    rows = [Row("L", "菜单", "1 ms", "0.1 ms", "10×", "<500 ms", True, "n", "page.menu", 14)]

    assert rows_load(rows_dump(rows)) == rows


@pytest.fixture
def fake_scales(monkeypatch, tmp_path):
    """run.main with each scale's process replaced by canned rows."""
    ran = []

    def run_scale(scale, memory_only, database, args):
        ran.append((scale, memory_only, database))
        if memory_only:
            return [Row(scale, "内存", "70 MB", key=k, met=True) for k in REQUIRED if "memory" in k]
        rows = [
            Row(scale, k, "1 ms", key=k, met=True, queries=14 if k.startswith("page.") else None)
            for k, scales in REQUIRED.items()
            if scale in scales and (scale != "M" or "memory" not in k)
        ]
        if scale == "L":  # L's review table runs one query more
            next(r for r in rows if r.key == "page.review").queries = 15
        return rows

    monkeypatch.setattr(run, "_run_scale", run_scale)
    monkeypatch.setattr(run, "_scale_database", lambda scale: f"db_{scale}")
    monkeypatch.setattr(run, "RESULTS", tmp_path / "results.md")
    return ran


def test_the_command_runs_s_and_l_in_full_and_m_for_memory_by_default(fake_scales, capsys):
    run.main([])

    assert fake_scales == [("S", False, "db_S"), ("M", True, "db_M"), ("L", False, "db_L")]
    out = capsys.readouterr().out
    assert _cells(out, "查询次数恒定: page.menu")[6] == MET
    assert _cells(out, "查询次数恒定: page.review")[6] == NOT_MET
    assert "缺少的必需项" not in out
    written = run.RESULTS.read_text(encoding="utf-8")
    assert re.search(r"\n## \d{4}-\d\d-\d\d \d\d:\d\d .*S, M \(内存\), L; .*负载", written)
    assert out.strip() in written


def test_the_command_lists_what_a_scale_failed_to_measure(fake_scales, capsys, monkeypatch):
    real = run._run_scale

    def without_summary(*args):
        return [r for r in real(*args) if r.key != "page.summary_cold"]

    monkeypatch.setattr(run, "_run_scale", without_summary)

    run.main(["--scale", "S", "--no-write"])

    assert fake_scales == [("S", False, "db_S")]
    assert "缺少的必需项: page.summary_cold @ S" in capsys.readouterr().out
    assert not run.RESULTS.exists()
