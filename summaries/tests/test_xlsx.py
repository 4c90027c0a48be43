import datetime
from types import SimpleNamespace

import pytest
from openpyxl import load_workbook

from summaries.xlsx import DATE_CN, Column, SheetSpec, write_workbook, xlsx_response

COLUMNS = [
    Column("姓名", width=10, value="name"),
    Column("出生日期", width=16, value="born", number_format=DATE_CN),
    Column("备注", width=30, value=lambda row: row["note"] if isinstance(row, dict) else ""),
]


def roster_sheet(rows, **kwargs):
    return SheetSpec(
        name="花名册",
        title="江城市政协第十五届委员花名册",
        subtitle="导出日期:2026年1月5日",
        columns=COLUMNS,
        rows=rows,
        **kwargs,
    )


def rows_of(n):
    return (
        {"name": f"委员{i}", "born": datetime.date(1970, 1, 1 + i % 28), "note": ""}
        for i in range(n)
    )


def test_it_writes_title_subtitle_and_bold_header(tmp_path):
    path = tmp_path / "r.xlsx"

    written = write_workbook(path, sheets=[roster_sheet(rows_of(3))])

    ws = load_workbook(path)["花名册"]
    assert written == 3
    assert ws["A1"].value == "江城市政协第十五届委员花名册"
    assert ws["A1"].font.b and ws["A1"].font.sz == 16
    assert "A1:C1" in {str(r) for r in ws.merged_cells.ranges}
    assert ws["A2"].value == "导出日期:2026年1月5日"
    assert [c.value for c in ws[3]] == ["姓名", "出生日期", "备注"]
    assert all(c.font.b for c in ws[3])
    assert ws["A3"].fill.fgColor.rgb.endswith("DDEBF7")
    assert ws.max_row == 6


def test_it_freezes_below_the_header_and_sets_widths(tmp_path):
    path = tmp_path / "r.xlsx"
    write_workbook(path, sheets=[roster_sheet(rows_of(1))])

    ws = load_workbook(path)["花名册"]

    assert ws.freeze_panes == "A4"
    assert ws.column_dimensions["A"].width == 10
    assert ws.column_dimensions["B"].width == 16
    assert ws.column_dimensions["C"].width == 30


def test_without_title_the_header_is_the_first_row(tmp_path):
    path = tmp_path / "r.xlsx"
    write_workbook(path, sheets=[SheetSpec(name="通讯录", columns=COLUMNS, rows=rows_of(1))])

    ws = load_workbook(path)["通讯录"]

    assert ws["A1"].value == "姓名"
    assert ws.freeze_panes == "A2"
    assert ws.print_title_rows == "$1:$1"


def test_it_sets_a4_landscape_fit_to_width_and_repeats_the_header(tmp_path):
    path = tmp_path / "r.xlsx"
    write_workbook(path, sheets=[roster_sheet(rows_of(1))])

    ws = load_workbook(path)["花名册"]

    assert ws.page_setup.orientation == "landscape"
    assert int(ws.page_setup.paperSize) == 9  # A4
    assert ws.sheet_properties.pageSetUpPr.fitToPage is True
    assert int(ws.page_setup.fitToWidth) == 1
    assert int(ws.page_setup.fitToHeight) == 0
    assert ws.print_title_rows == "$1:$3"


def test_dates_are_real_dates_with_a_chinese_format(tmp_path):
    path = tmp_path / "r.xlsx"
    write_workbook(path, sheets=[roster_sheet(rows_of(1))])

    cell = load_workbook(path)["花名册"]["B4"]

    assert cell.value == datetime.datetime(1970, 1, 1)  # noqa: DTZ001 (Excel has no zones)
    assert cell.number_format == DATE_CN


@pytest.mark.parametrize(
    "text", ["=1+2", '=HYPERLINK("http://x")', "+86", "-1", "@SUM(A1)", "\t=1", "\r=1"]
)
def test_text_that_looks_like_a_formula_stays_text(tmp_path, text):
    path = tmp_path / "r.xlsx"
    write_workbook(path, sheets=[roster_sheet([{"name": text, "born": None, "note": text}])])

    for read_only in (False, True):
        ws = load_workbook(path, read_only=read_only)["花名册"]
        row = next(ws.iter_rows(min_row=4, max_row=4))
        for cell in (row[0], row[2]):
            assert cell.data_type == "s"
            # XML reads a bare carriage return back as a line feed; nothing else changes.
            assert cell.value == text.replace("\r", "\n")
    styled = load_workbook(path)["花名册"]["A4"]
    assert styled.quotePrefix is True


def test_plain_text_is_not_quoted(tmp_path):
    path = tmp_path / "r.xlsx"
    write_workbook(path, sheets=[roster_sheet([{"name": "张三", "born": None, "note": "a=b"}])])

    ws = load_workbook(path)["花名册"]

    assert ws["A4"].value == "张三"
    assert not ws["A4"].quotePrefix


def test_control_characters_are_dropped_instead_of_breaking_the_file(tmp_path):
    path = tmp_path / "r.xlsx"
    write_workbook(path, sheets=[roster_sheet([{"name": "张\x01三", "born": None, "note": ""}])])

    assert load_workbook(path)["花名册"]["A4"].value == "张三"


def test_rows_past_the_limit_continue_on_a_second_sheet_with_the_same_header(tmp_path):
    path = tmp_path / "r.xlsx"

    # 3 head rows + 4 data rows per sheet
    written = write_workbook(path, sheets=[roster_sheet(rows_of(10))], max_rows=7)

    workbook = load_workbook(path)
    assert written == 10
    assert workbook.sheetnames == ["花名册", "花名册(2)", "花名册(3)"]
    counts = [ws.max_row - 3 for ws in workbook.worksheets]
    assert counts == [4, 4, 2]
    second = workbook["花名册(2)"]
    assert [c.value for c in second[3]] == ["姓名", "出生日期", "备注"]
    assert second["A1"].value == "江城市政协第十五届委员花名册"
    assert second.freeze_panes == "A4"
    assert second["A4"].value == "委员4"


def test_columns_read_attributes_and_callables(tmp_path):
    path = tmp_path / "r.xlsx"
    columns = [Column("姓名", value="name"), Column("长度", value=lambda r: len(r.name))]
    write_workbook(
        path, sheets=[SheetSpec(name="S", columns=columns, rows=[SimpleNamespace(name="李四")])]
    )

    ws = load_workbook(path)["S"]

    assert [c.value for c in ws[2]] == ["李四", 2]


def test_the_response_is_a_download_with_a_chinese_file_name(tmp_path):
    response = xlsx_response(filename="花名册.xlsx", sheets=[roster_sheet(rows_of(2))])

    body = b"".join(response.streaming_content)
    path = tmp_path / "d.xlsx"
    path.write_bytes(body)
    assert "filename*=utf-8''%E8%8A%B1%E5%90%8D%E5%86%8C.xlsx" in response["Content-Disposition"]
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert load_workbook(path)["花名册"].max_row == 5


def test_the_fast_row_writer_writes_what_openpyxl_writes(tmp_path, monkeypatch):
    import decimal

    from django.utils import timezone

    from summaries import xlsx

    values = [
        None, "", " 前后有空格 ", "=1+1", "a&b<c>\"'", "多行\n文本", True, False, 3, -2.5,
        decimal.Decimal("12.35"), datetime.date(2024, 3, 5),
        timezone.make_aware(datetime.datetime(2024, 3, 5, 8, 30)),  # noqa: DTZ001
        ["not", "a", "value"],
    ]  # fmt: skip
    columns = [
        Column(f"c{i}", value=lambda r, i=i: r[i], number_format="0.00" if i == 10 else None)
        for i in range(len(values))
    ]

    def cells(path):
        ws = load_workbook(path)["S"]
        return [
            (
                c.value,
                c.data_type,
                c.number_format,
                c.quotePrefix,
                c.border.left.style,
                c.alignment.wrap_text,
            )
            for c in ws[2]
        ]

    written = {}
    for fast in (True, False):
        monkeypatch.setattr(xlsx, "FAST_ROWS", fast)
        path = tmp_path / f"{fast}.xlsx"
        write_workbook(path, sheets=[SheetSpec(name="S", columns=columns, rows=[values])])
        written[fast] = cells(path)

    assert written[True] == written[False]
    assert written[True][3][:2] == ("=1+1", "s") and written[True][3][3]
    assert written[True][12][0] == datetime.datetime(2024, 3, 5, 8, 30)  # noqa: DTZ001
