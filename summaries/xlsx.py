"""The one streaming Excel writer every export uses.

Rows come from an iterator (a queryset's ``.iterator(chunk_size=...)``) and go
straight to a write-only workbook, so memory stays flat however long the roster.
The sheets are made to be opened in Excel or WPS and printed: a title row, a
bold frozen header, column widths, A4 landscape fitted to the page width, the
header repeated on every printed page.
"""

import datetime
import tempfile
from collections.abc import Callable, Iterable, Sequence
from copy import copy
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.http import FileResponse
from django.utils import timezone
from openpyxl import LXML, Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.compat import safe_string
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet.worksheet import Worksheet

EXCEL_MAX_ROWS = 1_048_576
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

DATE_CN = 'yyyy"年"m"月"d"日"'
DATE_ISO = "yyyy-mm-dd"
TEXT = "@"

# Spreadsheet programs treat text starting with these as a formula (or, for tab
# and carriage return, as padding before one) when the cell is edited or the
# sheet is saved as CSV: such text is written as a quoted string cell.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

_thin = Side(style="thin", color="999999")
_BORDER = Border(left=_thin, right=_thin, top=_thin, bottom=_thin)
_TITLE_FONT = Font(bold=True, size=16)
_SUBTITLE_FONT = Font(size=10, color="555555")
_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
_WRAP = Alignment(vertical="center", wrap_text=True)


@dataclass(frozen=True)
class Column:
    """One column: its header, its width in characters, how to read the value
    from a row (a callable, an attribute or a dict key), its number format."""

    header: str
    width: float = 12
    value: Callable[[Any], Any] | str | None = None
    number_format: str | None = None

    def read(self, row) -> Any:
        if callable(self.value):
            return self.value(row)
        key = self.value or self.header
        if isinstance(row, dict):
            return row.get(key)
        return getattr(row, key, None)


@dataclass
class SheetSpec:
    """A sheet: its tab name, a title row above the header (may be empty), an
    optional subtitle line (e.g. the export date), the columns and the rows."""

    name: str
    columns: Sequence[Column]
    rows: Iterable
    title: str = ""
    subtitle: str = ""
    written: int = field(default=0, init=False)


def write_workbook(
    target,
    *,
    sheets: Sequence[SheetSpec],
    max_rows: int = EXCEL_MAX_ROWS,
    progress: Callable[[int], None] | None = None,
    progress_every: int = 1000,
) -> int:
    """Write the sheets to a path or binary file; return the number of data rows.

    A sheet whose rows would pass ``max_rows`` (Excel's limit) continues on
    "name(2)", "name(3)" … with the same title and header. ``progress``, if
    given, is called with the rows written so far every ``progress_every``
    rows (a background export's progress bar)."""
    workbook = Workbook(write_only=True)
    tracker = _Progress(progress, progress_every)
    for spec in sheets:
        _write_sheet(workbook, spec, max_rows, tracker)
    workbook.save(target)
    return tracker.done


class _Progress:
    def __init__(self, report, every: int):
        self.report, self.every, self.done = report, max(1, every), 0

    def step(self) -> None:
        self.done += 1
        if self.report is not None and self.done % self.every == 0:
            self.report(self.done)


def _write_sheet(workbook: Workbook, spec: SheetSpec, max_rows: int, tracker: _Progress) -> int:
    head_rows = _head_row_count(spec)
    per_sheet = max_rows - head_rows
    if per_sheet < 1:
        raise ValueError("max_rows leaves no room for data rows")
    part = 1
    ws = _start_sheet(workbook, spec, spec.name)
    on_sheet = 0
    styles = _column_styles(ws, spec.columns)
    fast = _FastRows(ws, styles) if FAST_ROWS else None
    for row in spec.rows:
        if on_sheet == per_sheet:
            part += 1
            ws = _start_sheet(workbook, spec, f"{spec.name}({part})")
            on_sheet = 0
            fast = _FastRows(ws, styles) if FAST_ROWS else None
        if fast is not None:
            fast.append([column.read(row) for column in spec.columns])
        else:
            ws.append(
                [
                    _data_cell(ws, style, column.read(row))
                    for column, style in zip(spec.columns, styles, strict=True)
                ]
            )
        on_sheet += 1
        spec.written += 1
        tracker.step()
    return spec.written


# Data rows, fast: openpyxl builds a cell object and an XML element per cell and
# serialises it in pure Python (without lxml), about 60 µs a cell, most of an
# export's time. The data rows' XML is plain (a style index, a number, a date
# serial or an inline string) and is written here as text, row by row, into the
# same stream, at the row number openpyxl gives it; the title and header rows
# still go through openpyxl. With lxml installed openpyxl writes through
# lxml's xmlfile, which takes no raw text: the cell path above is used then.
FAST_ROWS = not LXML


class _FastRows:
    def __init__(self, ws, styles: list["_ColumnStyle"]):
        workbook = ws.parent
        ids = workbook._cell_styles.add
        self.ws = ws
        self.epoch = workbook.epoch
        self.letters = [get_column_letter(i) for i in range(1, len(styles) + 1)]
        self.plain = [ids(style.plain) for style in styles]
        self.date = [ids(style.date) for style in styles]
        quoted = []
        for style in styles:
            array = copy(style.plain)
            array.quotePrefix = 1
            quoted.append(ids(array))
        self.quoted = quoted
        self.pending = None
        writer = ws._writer
        original = writer.write_row

        def write_row(xf, row, row_idx):
            if self.pending is None:
                return original(xf, row, row_idx)
            cells, self.pending = self.pending, None
            r = str(row_idx)
            xf._file(
                f'<row r="{r}">'
                + "".join(f'<c r="{letter}{r}"{body}' for letter, body in cells)
                + "</row>"
            )

        writer.write_row = write_row

    def append(self, values: list) -> None:
        self.pending = [
            (letter, self._cell(index, value))
            for index, (letter, value) in enumerate(zip(self.letters, values, strict=True))
        ]
        self.ws.append(())

    def _cell(self, index: int, value) -> str:
        if value is None:
            return f' s="{self.plain[index]}"/>'
        if isinstance(value, str):
            return self._text(index, value)
        if isinstance(value, bool):
            return f' s="{self.plain[index]}" t="b"><v>{int(value)}</v></c>'
        if isinstance(value, int | float | Decimal):
            return f' s="{self.plain[index]}" t="n"><v>{safe_string(value)}</v></c>'
        if isinstance(value, datetime.date):
            if isinstance(value, datetime.datetime) and value.tzinfo is not None:
                value = timezone.localtime(value).replace(tzinfo=None)  # Excel has no time zones
            serial = safe_string(to_excel(value, self.epoch))
            return f' s="{self.date[index]}" t="n"><v>{serial}</v></c>'
        return self._text(index, str(value))

    def _text(self, index: int, text: str) -> str:
        text = ILLEGAL_CHARACTERS_RE.sub("", text)
        style = self.quoted[index] if text.startswith(FORMULA_TRIGGERS) else self.plain[index]
        if not text:
            return f' s="{style}" t="inlineStr"/>'
        escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        stripped = text.strip()
        space = ' xml:space="preserve"' if stripped and stripped != text else ""
        return f' s="{style}" t="inlineStr"><is><t{space}>{escaped}</t></is></c>'


def _head_row_count(spec: SheetSpec) -> int:
    return (1 if spec.title else 0) + (1 if spec.subtitle else 0) + 1


def _start_sheet(workbook: Workbook, spec: SheetSpec, name: str):
    # Excel refuses sheet names over 31 characters or with []:*?/\ in them.
    ws = workbook.create_sheet(title=_safe_sheet_name(name))
    width = len(spec.columns)
    last = get_column_letter(width)
    for index, column in enumerate(spec.columns, start=1):
        ws.column_dimensions[get_column_letter(index)].width = column.width
    # A write-only sheet writes its view with the first row: set it up before.
    header_row = _head_row_count(spec)
    ws.freeze_panes = f"A{header_row + 1}"
    ws.print_title_rows = f"1:{header_row}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages tall as needed
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True

    row = 0
    if spec.title:
        row += 1
        ws.row_dimensions[row].height = 30
        ws.append([_styled(ws, spec.title, font=_TITLE_FONT, alignment=_CENTER)])
        if width > 1:
            ws.merged_cells.add(f"A{row}:{last}{row}")
    if spec.subtitle:
        row += 1
        ws.append([_styled(ws, spec.subtitle, font=_SUBTITLE_FONT)])
        if width > 1:
            ws.merged_cells.add(f"A{row}:{last}{row}")
    ws.append(
        [
            _styled(ws, column.header, font=_HEADER_FONT, fill=_HEADER_FILL, alignment=_CENTER)
            for column in spec.columns
        ]
    )

    return ws


def _safe_sheet_name(name: str) -> str:
    for char in "[]:*?/\\":
        name = name.replace(char, "_")
    return name[:31] or "Sheet"


def _styled(ws, value, *, font, fill=None, alignment=None) -> WriteOnlyCell:
    cell = _text_cell(ws, str(value))
    cell.font = font
    if fill:
        cell.fill = fill
        cell.border = _BORDER
    if alignment:
        cell.alignment = alignment
    return cell


def _text_cell(ws, text: str) -> WriteOnlyCell:
    # Control characters other than tab and newlines make the file unreadable.
    text = ILLEGAL_CHARACTERS_RE.sub("", text)
    cell = WriteOnlyCell(ws, value=text)
    if text.startswith(FORMULA_TRIGGERS):
        # openpyxl turns "=..." into a formula; force a plain string cell, and
        # mark it quoted so Excel keeps it text when someone edits the cell.
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell


@dataclass(frozen=True)
class _ColumnStyle:
    """A column's cell styles, built once: assigning fonts and borders cell by cell
    costs openpyxl a hash of every style object, most of an export's time."""

    plain: StyleArray
    date: StyleArray


def _column_styles(ws, columns: Sequence[Column]) -> list[_ColumnStyle]:
    styles = []
    for column in columns:
        arrays = []
        for fallback in (None, DATE_CN):
            proto = WriteOnlyCell(ws)
            proto.alignment = _WRAP
            proto.border = _BORDER
            number_format = column.number_format or fallback
            if number_format:
                proto.number_format = number_format
            arrays.append(proto._style)
        styles.append(_ColumnStyle(*arrays))
    return styles


def _data_cell(ws, style: _ColumnStyle, value) -> WriteOnlyCell:
    if value is None:
        cell = WriteOnlyCell(ws, value=None)
    elif isinstance(value, str):
        cell = _text_cell(ws, value)
    elif isinstance(value, bool | int | float | Decimal | datetime.date | datetime.datetime):
        if isinstance(value, datetime.datetime) and value.tzinfo is not None:
            value = timezone.localtime(value).replace(tzinfo=None)  # Excel has no time zones
        cell = WriteOnlyCell(ws, value=value)
    else:
        cell = _text_cell(ws, str(value))
    quoted = cell.quotePrefix
    cell._style = copy(style.date if isinstance(value, datetime.date) else style.plain)
    if quoted:
        cell.quotePrefix = True
    return cell


def xlsx_response(*, filename: str, sheets: Sequence[SheetSpec], **kwargs) -> FileResponse:
    """Write the workbook to an anonymous temporary file and stream it back as a
    download named ``filename`` (Chinese names are sent as filename*=UTF-8'')."""
    # FileResponse closes the file when the download ends; unnamed, it leaves nothing.
    handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115
    write_workbook(handle, sheets=sheets, **kwargs)
    handle.seek(0)
    response = FileResponse(
        handle, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE
    )
    response["Cache-Control"] = "no-store"  # personal data: no copies in caches
    return response
