"""What the fuzz tests share (issue 8, point 8): the example budget, a
snapshot of every table's row count, and hypothesis strategies for uploads
that are not what an import expects (random bytes, zips that are not
workbooks, workbooks with wrong types, huge cells, formulas, empty sheets,
merged or moved headers, blank rows, many columns).

The budget is small so CI stays fast; raise it for a long hunt:

    LVZHI_FUZZ_EXAMPLES=2000 .venv/bin/pytest -p no:randomly -q \\
        tests/test_fuzz_excel.py scoring/tests/test_fuzz_rulebook.py
"""

import datetime
import io
import os
import re
import zipfile
from collections import Counter

from django.apps import apps
from django.db import connection
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

EXAMPLES = int(os.environ.get("LVZHI_FUZZ_EXAMPLES", "12"))

# Our apps' tables (their history tables too): what an import could half-write.
OUR_APPS = (
    "sectors",
    "members",
    "duties",
    "proposals",
    "summaries",
    "consultations",
    "reports",
    "scoring",
)


def fuzz_settings(share: float = 1.0):
    """Hypothesis settings of a fuzz test: `share` of the budget. No example
    database: CI starts clean every run, and a failure prints its example."""
    return settings(
        max_examples=max(1, int(EXAMPLES * share)),
        deadline=None,
        database=None,
        suppress_health_check=[
            # Each example runs in a savepoint rolled back at its end, so the
            # function-scoped world is the same for every example.
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
        ],
    )


def table_counts() -> dict[str, int]:
    """Every table of our apps and its row count, read in one query."""
    tables = sorted(
        {
            m._meta.db_table
            for m in apps.get_models(include_auto_created=True)
            if m._meta.app_label in OUR_APPS and not m._meta.proxy and m._meta.managed
        }
    )
    quote = connection.ops.quote_name
    sql = "SELECT " + ", ".join(f"(SELECT count(*) FROM {quote(t)})" for t in tables)
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return dict(zip(tables, cursor.fetchone(), strict=True))


def changed_tables(before: dict, after: dict) -> dict:
    return {k: (before[k], after[k]) for k in before if before[k] != after[k]}


class Tally:
    """How the examples of one fuzz test ended (refused, imported, ...),
    printed at its end (pytest -s) so a long run shows what it exercised."""

    def __init__(self, name):
        self.name, self.counts = name, Counter()

    def __call__(self, outcome: str) -> None:
        event(outcome)
        self.counts[outcome] += 1

    def report(self) -> None:
        print(f"\n[fuzz] {self.name}: {sum(self.counts.values())} runs, {dict(self.counts)}")


CJK = re.compile(r"[\u4e00-\u9fff]")


def assert_chinese(messages) -> None:
    messages = [str(m) for m in messages]
    assert messages, "refused without a message"
    for message in messages:
        assert CJK.search(message), f"not a Chinese message: {message!r}"


# Strategies --------------------------------------------------------------------------------

FORMULAS = (
    "=1+1",
    '=HYPERLINK("http://evil.example/","点此查看")',
    "=cmd|' /C calc'!A0",
    "=SUM(A1:A3)",
    "=A1",
)
TRICKY_TEXT = (
    *FORMULAS,
    "@SUM(1+1)",
    "+1+1",
    "-1+1",
    "2024-02-30",
    "2024年13月1日",
    "2024/5/16",
    "16.05.2024",
    "0000-00-00",
    "9999-12-31",
    "1e309",
    "-1e309",
    "NaN",
    "inf",
    " 12 ",
    "１２",
    "0x10",
    "99999999999999999999999",
    "-5",
    "0",
    "-0",
    "TRUE",
    "是",
    "否",
    "出席",
    "请假",
    "缺席",
    "—",
    "\t",
    "\n\n",
    "13800001001.0",
    "138 0000 1001",
    "+8613800001001",
    "１３８００００１００１",
    "王  芳",
    "经济界",
    "2024",
    "2023",
    "市级",
    "省级",
    "已办结",
    "不立案",
    "优秀",
    "合格",
    "'",
    '"',
    "<script>alert(1)</script>",
    "{{ 7*7 }}",
    "%(name)s",
    "\u202e逆序",
    "𠀀𪚥",
)
HUGE_CELL = "履" * 32_767  # Excel's own limit for one cell
AT_LIMITS = (10**20, -(10**20), 2**31, 2**63, 1e308, "9" * 30, "9" * 5000, HUGE_CELL)

cell_values = st.one_of(
    st.none(),
    st.just(""),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.dates(datetime.date(1900, 1, 1), datetime.date(9999, 12, 31)),
    # Excel keeps no time zone: a cell's datetime is naive.
    st.datetimes(datetime.datetime(1900, 1, 1), datetime.datetime(9999, 12, 31)),  # noqa: DTZ001
    st.times(),
    st.text(max_size=40),
    st.sampled_from(TRICKY_TEXT),
    st.just(HUGE_CELL),
)


def _clean(value):
    # openpyxl refuses control characters in a cell; a real file cannot hold them either.
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    return value


def _sheet_title(text: str, index: int) -> str:
    text = re.sub(r"[\[\]:*?/\\']", "", text)[:31].strip()
    return text or f"Sheet{index}"


@st.composite
def mutated_tables(draw, seed):
    """The seed's sheets [(title, rows)], rows[0] the header, changed in one to
    six places: cells of wrong types, rows or columns dropped, duplicated or
    added, headers renamed; and a layout for each sheet."""
    sheets = [[title, [list(r) for r in rows]] for title, rows in seed]
    for _ in range(draw(st.integers(0, 6))):
        sheet = draw(st.sampled_from(sheets))
        rows = sheet[1]
        op = draw(
            st.sampled_from(
                [
                    "cell",
                    "cell",
                    "column_values",
                    "column_values",
                    "header",
                    "drop_row",
                    "dup_row",
                    "drop_column",
                    "dup_column",
                    "extra_column",
                    "many_columns",
                    "only_header",
                    "new_sheet",
                    "drop_sheet",
                    "title",
                ]
            )
        )
        width = max((len(r) for r in rows), default=0)
        if op == "cell" and rows:
            r = draw(st.integers(0, len(rows) - 1))
            c = draw(st.integers(0, max(width - 1, 0)))
            rows[r] = (rows[r] + [None] * (c + 1))[: max(len(rows[r]), c + 1)]
            rows[r][c] = draw(cell_values)
        elif op == "column_values" and len(rows) > 1 and width:
            # one field wrong in every row: the way a whole column is mistyped
            c = draw(st.integers(0, width - 1))
            value = draw(cell_values)
            for r in rows[1:]:
                r.extend([None] * (c + 1 - len(r)))
                r[c] = value
        elif op == "header" and rows and rows[0]:
            c = draw(st.integers(0, len(rows[0]) - 1))
            old = str(rows[0][c] or "")
            rows[0][c] = draw(
                st.sampled_from([f" {old} ", old.replace("", " ").strip(), "", old + "(必填)"])
                | cell_values
            )
        elif op == "drop_row" and len(rows) > 1:
            del rows[draw(st.integers(1, len(rows) - 1))]
        elif op == "dup_row" and len(rows) > 1:
            rows.append(list(rows[draw(st.integers(1, len(rows) - 1))]))
        elif op == "drop_column" and width:
            c = draw(st.integers(0, width - 1))
            sheet[1] = [r[:c] + r[c + 1 :] for r in rows]
        elif op == "dup_column" and width:
            c = draw(st.integers(0, width - 1))
            sheet[1] = [[*r, r[c] if c < len(r) else None] for r in rows]
        elif op == "extra_column":
            header = draw(st.text(max_size=10) | st.sampled_from(TRICKY_TEXT))
            sheet[1] = [[*r, header if i == 0 else draw(cell_values)] for i, r in enumerate(rows)]
        elif op == "many_columns":
            n = draw(st.integers(50, 300))
            sheet[1] = [[*r, *[f"列{i}" for i in range(n)]] for r in rows]
        elif op == "only_header":
            sheet[1] = rows[:1]
        elif op == "new_sheet":
            title = draw(st.text(max_size=12))
            new = [title, draw(st.lists(st.lists(cell_values, max_size=4), max_size=3))]
            sheets.insert(draw(st.integers(0, len(sheets))), new)
        elif op == "drop_sheet" and len(sheets) > 1:
            sheets.remove(sheet)
        elif op == "title":
            sheet[0] = draw(st.text(max_size=40) | st.sampled_from(TRICKY_TEXT))
    layouts = [
        {
            # title rows above the header: HEADER_SCAN_ROWS is 10
            "above": draw(st.integers(0, 12)),
            "merge_header": draw(st.booleans()),
            # blank rows before the last data row: thousands of them at times
            "gap": draw(st.sampled_from([0, 0, 0, 1, 50, 3000])),
        }
        for _ in sheets
    ]
    return sheets, layouts


def render_workbook(sheets, layouts) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for index, ((title, rows), layout) in enumerate(zip(sheets, layouts, strict=True)):
        ws = workbook.create_sheet(_sheet_title(str(title or ""), index))
        if ws.title in workbook.sheetnames[:-1]:
            ws.title = f"Sheet{index}"
        row_number = 1
        for n in range(layout["above"]):
            ws.cell(row_number, 1, f"说明第{n + 1}行" if n % 2 == 0 else None)
            row_number += 1
        header_row = row_number
        for i, values in enumerate(rows):
            if i == len(rows) - 1 and i > 0:
                row_number += layout["gap"]
            for column, value in enumerate(values, start=1):
                ws.cell(row_number, column, _clean(value))
            row_number += 1
        if layout["merge_header"] and rows and len(rows[0]) >= 2:
            ws.merge_cells(start_row=header_row, start_column=1, end_row=header_row, end_column=2)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@st.composite
def mutated_workbooks(draw, seed):
    return render_workbook(*draw(mutated_tables(seed)))


@st.composite
def not_workbooks(draw, seed_bytes: bytes):
    """Files that are not an .xlsx a reader can trust: random bytes, zips of
    anything, the seed cut short or with bytes changed, an old .xls header."""
    kind = draw(st.sampled_from(["bytes", "zip", "cut", "flip", "ole", "empty_book"]))
    if kind == "bytes":
        return draw(st.binary(max_size=2048))
    if kind == "zip":
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            names = draw(
                st.lists(
                    st.sampled_from(
                        [
                            "[Content_Types].xml",
                            "xl/workbook.xml",
                            "xl/worksheets/sheet1.xml",
                            "_rels/.rels",
                            "readme.txt",
                            "word/document.xml",
                        ]
                    ),
                    max_size=4,
                    unique=True,
                )
            )
            for name in names:
                archive.writestr(name, draw(st.binary(max_size=200)))
        return buffer.getvalue()
    if kind == "cut":
        return seed_bytes[: draw(st.integers(0, len(seed_bytes) - 1))]
    if kind == "flip":
        data = bytearray(seed_bytes)
        for _ in range(draw(st.integers(1, 8))):
            i = draw(st.integers(0, len(data) - 1))
            data[i] = draw(st.integers(0, 255))
        return bytes(data)
    if kind == "ole":
        return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + draw(st.binary(max_size=512))
    # a workbook whose only sheet is empty
    workbook = Workbook()
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


PLAIN = {"above": 0, "merge_header": False, "gap": 0}


@st.composite
def one_field_wrong(draw, seed):
    """The seed as it is but for one column of one sheet, every data row of it
    holding one hostile value: each field's own checks, one at a time."""
    sheets = [[title, [list(r) for r in rows]] for title, rows in seed]
    rows = draw(st.sampled_from([rows for _title, rows in sheets if len(rows) > 1]))
    column = draw(st.integers(0, len(rows[0]) - 1))
    # half the time a value at a limit (an int column, Python's int(), a cell's size)
    value = draw(cell_values | st.sampled_from(AT_LIMITS))
    for row in rows[1:]:
        row.extend([None] * (column + 1 - len(row)))
        row[column] = value
    return render_workbook(sheets, [PLAIN] * len(sheets))


def uploads(seed):
    """Changed copies of the seed: one field wrong, or many changes at once;
    one in five not a workbook at all."""
    seed_bytes = render_workbook(seed, [PLAIN] * len(seed))
    return st.one_of(
        one_field_wrong(seed),
        one_field_wrong(seed),
        mutated_workbooks(seed),
        mutated_workbooks(seed),
        not_workbooks(seed_bytes),
    )
