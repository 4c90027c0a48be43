"""The one table bench.run prints: each figure beside its baseline from the same
run, the ratio, the target (with the issue that set it) and whether it is met.

A row is data (`Row`), so the targets are checked by code rather than written
by hand into a text column, and a test can build the table without running
the benchmarks (bench/tests/test_table.py)."""

import dataclasses
import json
from collections import defaultdict

MET, NOT_MET, NO_TARGET = "达标", "未达标", ""
PAGE_MS = 500  # issues 4, 5, 7: a page answers in under half a second


@dataclasses.dataclass
class Row:
    scale: str
    item: str
    result: str
    baseline: str = ""
    ratio: str = ""
    target: str = ""  # the target in words, with its issue: "<500 ms (#4)"
    met: bool | None = None  # None: reported, no target
    note: str = ""
    key: str = ""  # stable name of the figure across scales (REQUIRED, query counts)
    queries: int | None = None  # a page's query count, compared across scales

    @property
    def verdict(self) -> str:
        if self.met is None:
            return NO_TARGET
        return MET if self.met else NOT_MET

    def cells(self) -> tuple:
        return (self.scale, self.item, self.result, self.baseline, self.ratio, self.target,
                self.verdict, self.note)  # fmt: skip


HEAD = ("规模", "项目", "结果", "基线(同次运行)", "倍数", "目标 (来源)", "是否达标", "说明")


# What issue 8 asks the table to hold, by key, and at which scales.
REQUIRED = {
    "score.engine_vs_sql": ("L",),
    "score.loop_vs_engine": ("L",),
    "export.roster.csv": ("S", "L"),
    "export.roster.iex": ("S", "L"),
    "export.annual.csv": ("S", "L"),
    "export.annual.iex": ("S", "L"),
    "export.memory.roster": ("M", "L"),
    "export.memory.annual": ("M", "L"),
    "export.memory.attendance": ("M", "L"),
    "import.attendance_5000": ("S", "L"),
    "page.menu": ("S", "L"),
    "page.attendance": ("S", "L"),
    "page.record": ("S", "L"),
    "page.review": ("S", "L"),
    "page.summary_cold": ("S", "L"),
}


def page_met(ms: float) -> bool:
    return ms < PAGE_MS


def constant_query_rows(rows: list[Row]) -> list[Row]:
    """One row per page measured at more than one scale: its query count must be the
    same at every scale (issues 4, 5, 6, 7: a constant number of queries)."""
    counts = defaultdict(dict)
    labels = {}
    for row in rows:
        if row.queries is not None and row.key:
            counts[row.key][row.scale] = row.queries
            labels.setdefault(row.key, row.item.split(" (中位数")[0])
    out = []
    for key, by_scale in counts.items():
        if len(by_scale) < 2:
            continue
        out.append(
            Row(
                scale="/".join(by_scale),
                item=f"查询次数恒定: {labels[key]}",
                result=", ".join(f"{s}: {n} 次" for s, n in by_scale.items()),
                target="各规模相同 (#4 #5 #6 #7)",
                met=len(set(by_scale.values())) == 1,
                key=f"constant.{key}",
            )
        )
    return out


def missing_rows(rows: list[Row], scales, memory_scales=()) -> list[str]:
    """The required figures (key at scale) the rows lack: all of them at the scales
    that ran in full, the peak-memory ones at those that ran for memory only."""
    have = {(r.key, r.scale) for r in rows}
    return [
        f"{key} @ {scale}"
        for key, wanted in REQUIRED.items()
        for scale in wanted
        if (scale in scales or (scale in memory_scales and key.startswith("export.memory.")))
        and (key, scale) not in have
    ]


def build_table(rows: list[Row]) -> str:
    lines = ["| " + " | ".join(HEAD) + " |", "|" + "---|" * len(HEAD)]
    lines += ["| " + " | ".join(_cell(c) for c in row.cells()) + " |" for row in rows]
    judged = [r for r in rows if r.met is not None]
    failed = [r for r in judged if not r.met]
    lines.append("")
    lines.append(
        f"目标 {len(judged)} 项: 达标 {len(judged) - len(failed)} 项, 未达标 {len(failed)} 项"
        + ("" if not failed else ": " + "; ".join(f"{r.scale} {r.item}" for r in failed))
    )
    return "\n".join(lines)


def _cell(value) -> str:
    return str(value).replace("|", "/").replace("\n", " ")


def rows_dump(rows: list[Row]) -> str:
    return json.dumps([dataclasses.asdict(r) for r in rows], ensure_ascii=False)


def rows_load(text: str) -> list[Row]:
    return [Row(**r) for r in json.loads(text)]
