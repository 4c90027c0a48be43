"""Charts of the summaries, drawn on the server as inline SVG: no script, no
outside asset, so they show offline, print, and go into the PDF as they are.

A chart is its rows: the table beside it shows the same rows, so the numbers
are there for screen readers and on paper, and a test can hold the bars, the
table and the selector's output side by side. Each bar carries its label,
series and value as data- attributes."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

COLOURS = ("#1f5f8b", "#d08c2b", "#5b8c5a", "#8e5572")
ROW = 18  # height of one bar of a horizontal chart
LABEL_WIDTH = 150
WIDTH = 640


def _text(value) -> str:
    if value is None:
        return "—"
    return str(value)


@dataclass
class Chart:
    """Bars of one or more series over labelled rows: rows are (label, [value
    of each series]), a value None when there is none."""

    key: str
    title: str
    series: list[str]
    rows: list[tuple[str, list]]
    horizontal: bool = True
    unit: str = ""
    label_header: str = field(default="")

    @property
    def has_values(self) -> bool:
        return any(v is not None for _l, vs in self.rows for v in vs)

    @property
    def table_rows(self) -> list[tuple[str, list[str]]]:
        return [(label, [_text(v) for v in values]) for label, values in self.rows]

    def _max(self) -> Decimal:
        values = [Decimal(v) for _l, vs in self.rows for v in vs if v is not None]
        top = max(values, default=Decimal(0))
        return top if top > 0 else Decimal(1)

    def svg(self) -> SafeString:
        if not self.has_values:
            return mark_safe("")
        return mark_safe(self._horizontal() if self.horizontal else self._vertical())

    def _open(self, width: int, height: int) -> list[str]:
        title_id = f"chart-{self.key}-title"
        legend = ""
        if len(self.series) > 1:
            legend = "".join(
                f'<rect x="{LABEL_WIDTH + i * 110}" y="4" width="10" height="10" '
                f'fill="{COLOURS[i % len(COLOURS)]}"/>'
                f'<text x="{LABEL_WIDTH + i * 110 + 14}" y="13" font-size="11">{escape(name)}</text>'
                for i, name in enumerate(self.series)
            )
        return [
            f'<svg xmlns="http://www.w3.org/2000/svg" class="summary-chart" '
            f'data-chart="{escape(self.key)}" viewBox="0 0 {width} {height}" '
            f'width="100%" preserveAspectRatio="xMinYMin meet" role="img" '
            f'aria-labelledby="{title_id}" font-family="sans-serif">',
            f'<title id="{title_id}">{escape(self.title)}</title>',
            legend,
        ]

    def _bar(self, label, i, value, x, y, w, h) -> str:
        colour = COLOURS[i % len(COLOURS)]
        return (
            f'<rect class="bar" data-label="{escape(label)}" '
            f'data-series="{escape(self.series[i])}" data-value="{escape(_text(value))}" '
            f'x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" fill="{colour}">'
            f"<title>{escape(label)} {escape(self.series[i])}:{escape(_text(value))}"
            f"{escape(self.unit)}</title></rect>"
        )

    def _horizontal(self) -> str:
        n = len(self.series)
        top = 22 if n > 1 else 6
        block = ROW * n + 8
        height = top + block * len(self.rows) + 4
        scale = Decimal(WIDTH - LABEL_WIDTH - 60) / self._max()
        out = self._open(WIDTH, height)
        for r, (label, values) in enumerate(self.rows):
            y0 = top + r * block
            out.append(
                f'<text x="{LABEL_WIDTH - 6}" y="{y0 + block / 2 + 4:.1f}" font-size="12" '
                f'text-anchor="end">{escape(label[:12])}</text>'
            )
            for i, value in enumerate(values):
                if value is None:
                    continue
                w = float(Decimal(value) * scale)
                y = y0 + 4 + i * ROW
                out.append(self._bar(label, i, value, LABEL_WIDTH, y, w, ROW - 3))
                out.append(
                    f'<text x="{LABEL_WIDTH + w + 4:.1f}" y="{y + ROW - 7:.1f}" '
                    f'font-size="11">{escape(_text(value))}</text>'
                )
        out.append(
            f'<line x1="{LABEL_WIDTH}" y1="{top}" x2="{LABEL_WIDTH}" y2="{height - 4}" '
            f'stroke="#888"/></svg>'
        )
        return "".join(out)

    def _vertical(self) -> str:
        n = len(self.series)
        plot_top, plot_height, label_room = (24 if n > 1 else 8), 160, 36
        height = plot_top + plot_height + label_room
        column = (WIDTH - 40) / max(len(self.rows), 1)
        bar = min(40.0, (column - 12) / n)
        scale = Decimal(plot_height - 16) / self._max()
        base = plot_top + plot_height
        out = self._open(WIDTH, height)
        for r, (label, values) in enumerate(self.rows):
            x0 = 20 + r * column + (column - bar * n) / 2
            for i, value in enumerate(values):
                if value is None:
                    continue
                h = float(Decimal(value) * scale)
                x = x0 + i * bar
                out.append(self._bar(label, i, value, x, base - h, bar - 2, h))
                out.append(
                    f'<text x="{x + bar / 2 - 1:.1f}" y="{base - h - 3:.1f}" font-size="11" '
                    f'text-anchor="middle">{escape(_text(value))}</text>'
                )
            out.append(
                f'<text x="{20 + r * column + column / 2:.1f}" y="{base + 16}" font-size="12" '
                f'text-anchor="middle">{escape(label[:8])}</text>'
            )
        out.append(f'<line x1="16" y1="{base}" x2="{WIDTH - 16}" y2="{base}" stroke="#888"/></svg>')
        return "".join(out)


# The charts of a summary ------------------------------------------------------------


def summary_charts(summary) -> dict[str, Chart]:
    """Every chart of a summary (summaries.selectors.Summary), by key; each one's
    rows are read straight from the summary's own rows."""
    this, last = _("本年"), _("上年")
    if not summary.is_annual:
        this, last = _("本期"), _("上年同期")
    charts = {}
    if summary.has_scores:
        with_last = summary.previous is not None
        charts["grades"] = Chart(
            "grades",
            _("等次分布(人)"),
            [this, last] if with_last else [this],
            [(g.name, [g.count, g.previous] if with_last else [g.count]) for g in summary.grades],
            horizontal=False,
            unit=_("人"),
            label_header=_("等次"),
        )
        if not summary.scoped or summary.group is None:
            rows = summary.sectors
            charts["sector_average"] = Chart(
                "sector_average",
                _("各界别平均分"),
                [this, last] if with_last else [this],
                [
                    (u.name, [u.average, u.previous_average] if with_last else [u.average])
                    for u in rows
                ],
                unit=_("分"),
                label_header=_("界别"),
            )
            charts["sector_activity"] = Chart(
                "sector_activity",
                _("各界别人均参加活动(次)"),
                [_("人均活动")],
                [(u.name, [u.activities_per_member]) for u in rows],
                unit=_("次"),
                label_header=_("界别"),
            )
            if summary.checklist_name:
                charts["sector_compliance"] = Chart(
                    "sector_compliance",
                    _("各界别“%(name)s”完成率(%%)") % {"name": summary.checklist_name},
                    [_("完成率")],
                    [(u.name, [u.compliance_rate]) for u in rows],
                    unit="%",
                    label_header=_("界别"),
                )
        if summary.groups and summary.group is None:
            charts["group_score"] = Chart(
                "group_score",
                _("界别小组得分"),
                [_("小组得分")],
                [(u.name, [u.score]) for u in summary.groups],
                unit=_("分"),
                label_header=_("界别小组"),
            )
    charts["reports"] = Chart(
        "reports",
        _("社情民意信息采用与批示(按级别)"),
        [_("采用"), _("批示")],
        [
            (label, [adopted, instructed])
            for (label, adopted), (_l, instructed) in zip(
                summary.reports.adopted, summary.reports.instructed, strict=True
            )
        ],
        horizontal=False,
        unit=_("次"),
        label_header=_("级别"),
    )
    charts["satisfaction"] = Chart(
        "satisfaction",
        _("提案办理满意度(件)"),
        [_("件数")],
        [(label, [n]) for label, n in summary.proposals.satisfaction],
        unit=_("件"),
        label_header=_("满意度"),
    )
    return charts


def lower_chart(rows) -> Chart:
    """The lower bodies' checklist compliance rates side by side."""
    return Chart(
        "lower_compliance",
        _("下级政协“六个一”等清单完成率(%)"),
        [_("完成率")],
        [(row.body.name, [row.compliance_rate]) for row in rows],
        unit="%",
        label_header=_("政协"),
    )
