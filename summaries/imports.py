"""The plumbing every history import (导入历史数据) shares: reading every sheet
of a workbook with the roster's guards, the report a preview and a confirm
show, the registry of imports the pages list, and the template workbooks.

The imports themselves live in the apps whose models they write
(duties.history_import, members.honour_import); each is a pair of plain
functions, preview(body=, file=) and apply(body=, file=, by=), that return an
ImportReport. The flow is the roster's: check (nothing written), keep the
checked file behind a signed token, confirm (all rows or none)."""

import io
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.styles import Font

from members.roster import (
    HEADER_SCAN_ROWS,
    MobileWidget,
    RosterFileError,
    RowIssue,
    cell_text,
    sheet_rows,
    upload_workbook,
)

NEW, UPDATE, UNCHANGED = "new", "update", "unchanged"
KIND_LABELS = {
    NEW: gettext_lazy("新增"),
    UPDATE: gettext_lazy("更新"),
    UNCHANGED: gettext_lazy("无变化"),
}
PREVIEW_ROWS = 50  # rows shown under the counts; the counts cover every row


@dataclass(frozen=True)
class Issue:
    """One problem: the sheet and spreadsheet row (both empty: the whole file),
    the column header and a message in Chinese."""

    sheet: str
    row: int | None
    column: str
    message: str

    def __str__(self):
        where = _("第%(row)s行") % {"row": self.row} if self.row else _("文件")
        sheet = f"[{self.sheet}]" if self.sheet else ""
        column = f"「{self.column}」" if self.column else ""
        return f"{sheet}{where}{column}:{self.message}"


@dataclass(frozen=True, eq=False)
class Line:
    """One data row of a sheet: where it is, and its cells by header."""

    sheet: str
    row: int
    cells: dict

    def text(self, header: str) -> str:
        return cell_text(self.cells.get(header))

    def issue(self, column: str, message: str) -> Issue:
        return Issue(self.sheet, self.row, column, message)


@dataclass
class PreviewRow:
    sheet: str
    row: int
    kind: str
    cells: list  # what the preview table shows, in the import's column order

    @property
    def kind_label(self) -> str:
        return str(KIND_LABELS[self.kind])


@dataclass
class ImportReport:
    """What a file would do (a preview) or did (applied); every problem with
    its sheet, row and column. Counts are of spreadsheet rows."""

    columns: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    rows: list = field(default_factory=list)
    created: list = field(default_factory=list)  # lines of the result page: what was written
    records: list = field(default_factory=list)  # (text, url) of written records to open
    applied: bool = False

    @property
    def is_valid(self) -> bool:
        return not self.errors

    def _count(self, kind) -> int:
        return sum(1 for r in self.rows if r.kind == kind)

    @property
    def new(self) -> int:
        return self._count(NEW)

    @property
    def updated(self) -> int:
        return self._count(UPDATE)

    @property
    def unchanged(self) -> int:
        return self._count(UNCHANGED)

    @property
    def changes(self) -> int:
        return self.new + self.updated

    @property
    def first_rows(self) -> list:
        return self.rows[:PREVIEW_ROWS]

    def fail(self, errors) -> "ImportReport":
        self.errors = sorted(errors, key=lambda i: (i.sheet == "", i.sheet, i.row or 0))
        self.rows, self.created, self.records, self.applied = [], [], [], False
        return self


# Reading -----------------------------------------------------------------------------


def read_workbook(
    file,
    *,
    headers: tuple,
    required: tuple,
    key_headers: tuple,
    max_rows: int | None = None,
    every_sheet: bool = True,
) -> list[Line]:
    """The data rows of every sheet (or the first) under their header rows,
    keyed by header. The file goes through the roster's checks (size,
    password, .xls, zip bombs, XML parsed by defusedxml); each sheet through
    sheet_rows (values only: formulas refused; blank rows skipped). The row
    limit counts every sheet together. Raises ImportFileError."""
    limit = max_rows or settings.IMPORT_MAX_ROWS
    too_many = _("数据行数超过上限:一次最多导入 %(n)s 行(所有工作表合计)") % {"n": limit}

    def read(workbook) -> list[Line]:
        sheets = workbook.worksheets if every_sheet else workbook.worksheets[:1]
        lines: list[Line] = []
        headed = 0
        for ws in sheets:
            found = _sheet_lines(ws, headers, required, key_headers, limit - len(lines), too_many)
            if found is not None:
                headed += 1
                lines.extend(found)
        if not headed:
            raise ImportFileError([Issue("", None, "", _no_header(key_headers))])
        if not lines:
            raise ImportFileError([Issue("", None, "", _("表格中没有数据行"))])
        return lines

    try:
        return upload_workbook(file, read)
    except ImportFileError:
        raise
    except RosterFileError as e:
        raise ImportFileError([Issue("", i.row, i.column, i.message) for i in e.issues]) from None


def _no_header(key_headers) -> str:
    return _("未找到表头:前%(n)s行中应有%(columns)s等列标题") % {
        "n": HEADER_SCAN_ROWS,
        "columns": "、".join(f"“{h}”" for h in key_headers),
    }


def _sheet_lines(ws, headers, required, key_headers, budget, too_many) -> list[Line] | None:
    """The sheet's rows, or None for a sheet without the header row."""

    def is_header(texts) -> bool:
        return all(h in texts for h in key_headers)

    no_header = _no_header(key_headers)
    try:
        found, rows = sheet_rows(
            ws,
            is_header=is_header,
            normalise=lambda v: "".join(cell_text(v).split()),
            no_header_scan=no_header,
            no_header_end=no_header,
            max_rows=max(budget, 0),
            too_many_rows=too_many,
        )
    except RosterFileError as e:
        # A sheet kept only for notes (说明) has no header: skip it; a sheet
        # with one but bad rows is the file's problem.
        if [i.message for i in e.issues] == [no_header]:
            return None
        raise ImportFileError(
            [Issue(ws.title, i.row, i.column, i.message) for i in e.issues]
        ) from None
    named = [h for h in found if h]
    duplicated = sorted({h for h in named if named.count(h) > 1})
    if duplicated:
        raise ImportFileError([Issue(ws.title, None, h, _("列标题重复")) for h in duplicated])
    missing = [h for h in required if h not in found]
    if missing:
        raise ImportFileError(
            [
                Issue(
                    ws.title,
                    None,
                    "",
                    _("缺少必需的列:%(columns)s") % {"columns": "、".join(missing)},
                )
            ]
        )
    keep = {i: h for i, h in enumerate(found) if h in headers}
    return [
        Line(ws.title, row, {h: values[i] if i < len(values) else None for i, h in keep.items()})
        for row, values in rows
    ]


class ImportFileError(RosterFileError):
    """The file as a whole cannot be imported; carries the issues (with their
    sheets) to show. A RosterFileError, so the guarded reader lets it through."""


def issues_from_roster(issues: list[RowIssue], sheet: str = "") -> list[Issue]:
    return [Issue(sheet, i.row, i.column, i.message) for i in issues]


def duplicates(keyed) -> dict:
    """Rows that share a key within the file: from (line, key) pairs,
    {line: where the others are} for every line whose key comes twice."""
    seen: dict = {}
    for line, key in keyed:
        seen.setdefault(key, []).append(line)
    others = {}
    for group in seen.values():
        if len(group) > 1:
            for line in group:
                others[line] = "、".join(_where(o) for o in group if o is not line)
    return others


def _where(line: Line) -> str:
    return _("%(sheet)s第%(row)s行") % {
        "sheet": f"[{line.sheet}]" if line.sheet else "",
        "row": line.row,
    }


# The imports the pages offer ------------------------------------------------------------


@dataclass(frozen=True)
class HistoryImport:
    slug: str
    title: str
    description: str
    headers: tuple  # the columns, in the template's order
    required: tuple
    notes: tuple  # lines of the format notes on the page
    example: dict  # sheet name -> rows of example values, for the template
    preview: Callable  # (body=, file=) -> ImportReport, writes nothing
    apply: Callable  # (body=, file=, by=) -> ImportReport, all rows or none


def registry() -> dict[str, HistoryImport]:
    """The imports by slug, in the order the index lists them. Read at call
    time so each app's module is imported only when a page needs it."""
    from duties import history_import as activities
    from members import honour_import as honours
    from proposals import history_import as proposals
    from reports import history_import as reports

    found = [activities.IMPORT, proposals.IMPORT, reports.IMPORT, honours.IMPORT]
    return {i.slug: i for i in found}


def template_workbook(spec: HistoryImport) -> bytes:
    """An .xlsx with the import's header row (bold, frozen) on every example
    sheet and the example rows under it, as committees fill it in."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for sheet_name, rows in spec.example.items():
        ws = workbook.create_sheet(sheet_name)
        ws.append(list(spec.headers))
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for values in rows:
            ws.append(list(values))
        ws.freeze_panes = "A2"
        for index, header in enumerate(spec.headers, start=1):
            width = max(
                [len(str(header))] + [len(str(r[index - 1])) for r in rows if len(r) >= index]
            )
            ws.column_dimensions[ws.cell(1, index).column_letter].width = min(2.2 * width + 2, 40)
    notes = workbook.create_sheet(_("填写说明"))
    notes.append([str(spec.title)])
    for note in spec.notes:
        notes.append([str(note)])
    notes.column_dimensions["A"].width = 100
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# Finding members -------------------------------------------------------------------------


class MemberFinder:
    """The body's seats, read in one query, found as the sign-in sheet import
    finds them: in the term a date falls in, by mobile when the row gives one
    (the name must agree), else by name (two seats of one name need the mobile)."""

    def __init__(self, body):
        from members.models import Member
        from sectors.models import Term

        self.terms = list(Term.objects.filter(body=body).order_by("starts_on"))
        self.by_name = defaultdict(list)
        self.by_mobile = defaultdict(list)
        for member in Member.objects.filter(term__body=body).select_related("person"):
            self.by_name[(member.term_id, spaceless(member.person.name))].append(member)
            if member.person.mobile:
                self.by_mobile[(member.term_id, member.person.mobile)].append(member)

    def term_on(self, day):
        for term in reversed(self.terms):
            if term.starts_on <= day and (term.ends_on is None or day <= term.ends_on):
                return term
        return None

    def term_issue(self, line: Line, column: str, day) -> tuple:
        """(term, issue): the term of the date, or why there is none."""
        term = self.term_on(day)
        if term is None:
            return None, line.issue(
                column,
                _("%(date)s 不在本会任何一届的任期内,请先建立该届") % {"date": day.isoformat()},
            )
        return term, None

    def find(self, line: Line, term, *, name_column: str, mobile_column: str, issues: list):
        """The member of the row in the term, or None with the reason added to issues."""
        name = spaceless(line.text(name_column))
        if not name:
            issues.append(line.issue(name_column, _("不能为空")))
            return None
        try:
            mobile = MobileWidget().clean(line.cells.get(mobile_column))
        except ValueError as e:
            issues.append(line.issue(mobile_column, str(e)))
            return None
        if term is None:
            return None
        if mobile:
            found = self.by_mobile.get((term.pk, mobile), [])
            if not found:
                issues.append(
                    line.issue(
                        mobile_column,
                        _("手机号码“%(mobile)s”不是%(term)s委员的号码")
                        % {"mobile": mobile, "term": term},
                    )
                )
                return None
            member = found[0]
            if spaceless(member.person.name) != name:
                issues.append(
                    line.issue(
                        name_column,
                        _("手机号码“%(mobile)s”是“%(registered)s”的,与本行姓名“%(name)s”不一致")
                        % {"mobile": mobile, "registered": member.person.name, "name": name[:50]},
                    )
                )
                return None
            return member
        return self.by_name_in(line, term, name, column=name_column, issues=issues)

    def by_name_in(self, line: Line, term, name: str, *, column: str, issues: list):
        found = self.by_name.get((term.pk, spaceless(name)), [])
        if not found:
            issues.append(
                line.issue(
                    column,
                    _("%(term)s委员中没有名为“%(name)s”的委员") % {"term": term, "name": name[:50]},
                )
            )
            return None
        if len(found) > 1:
            issues.append(
                line.issue(
                    column,
                    _("%(term)s有 %(n)s 位名为“%(name)s”的委员,请填写手机号码以区分")
                    % {"term": term, "n": len(found), "name": name},
                )
            )
            return None
        return found[0]


def spaceless(text: str) -> str:
    # Two-character names are often typed with spaces to line up: "张  三".
    return "".join(text.split())
