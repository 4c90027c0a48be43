"""The SVG charts on their own: labelled for screen readers, a bar per value
with the value on it, lengths in proportion, text escaped, nothing drawn
without values."""

import re
from decimal import Decimal

from summaries.charts import Chart


def _bars(svg: str):
    return re.findall(
        r'<rect class="bar" data-label="([^"]*)" data-series="([^"]*)" data-value="([^"]*)" '
        r'x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)"',
        svg,
    )


def test_a_horizontal_chart_has_a_title_and_a_bar_per_value():
    chart = Chart("avg", "各界别平均分", ["本年", "上年"],
                  [("经济界", [Decimal("80.5"), Decimal("70")]), ("教育界", [Decimal("40.25"), None])])  # fmt: skip

    svg = chart.svg()

    assert 'role="img"' in svg and 'aria-labelledby="chart-avg-title"' in svg
    assert '<title id="chart-avg-title">各界别平均分</title>' in svg
    bars = _bars(svg)
    assert [(b[0], b[1], b[2]) for b in bars] == [
        ("经济界", "本年", "80.5"),
        ("经济界", "上年", "70"),
        ("教育界", "本年", "40.25"),
    ]
    widths = {b[2]: float(b[5]) for b in bars}
    assert widths["40.25"] == widths["80.5"] / 2 == widths["80.5"] * 40.25 / 80.5
    assert chart.table_rows == [("经济界", ["80.5", "70"]), ("教育界", ["40.25", "—"])]


def test_a_vertical_chart_grows_upwards_in_proportion():
    chart = Chart("g", "等次", ["人数"], [("优秀", [3]), ("合格", [6]), ("不合格", [0])],
                  horizontal=False)  # fmt: skip

    bars = _bars(chart.svg())

    heights = [float(b[6]) for b in bars]
    assert heights[1] == 2 * heights[0] and heights[2] == 0
    # bottoms on one line
    assert len({round(float(b[4]) + float(b[6]), 1) for b in bars}) == 1


def test_labels_are_escaped():
    chart = Chart("x", "<b>", ["a&b"], [('<script>"', [1])])

    svg = chart.svg()

    assert "<script>" not in svg and "<b>" not in svg
    assert "&lt;script&gt;" in svg and "a&amp;b" in svg


def test_nothing_is_drawn_without_values():
    chart = Chart("x", "完成率", ["完成率"], [("甲", [None]), ("乙", [None])])

    assert not chart.has_values
    assert chart.svg() == ""
    assert chart.table_rows == [("甲", ["—"]), ("乙", ["—"])]
