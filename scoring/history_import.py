"""Earlier years' final annual results (往年考核结果) imported from Excel, so the
consecutive-years follow-ups (连续两年……约谈) and the what-if work from the
first year the body is scored here.

One row per member and year: 年度, 委员编号, 姓名, 总分 and, optionally, 等次.
Members are found as the roster import finds them: by member number within
the term staff choose, and the name must agree. The file is read with the
roster's guarded reader (size and row limits, values only, formulas
refused). A dry run lists every row's outcome and every problem by row and
column; the real run writes all rows or none, and importing the same file
again changes nothing.

The results are PastResult rows keyed by (body, year, person), which
services._read_inputs reads as history beside the final annual scores
computed here; a year already computed and made final here is refused."""

import datetime
import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from members.models import Member
from members.roster import (
    HEADER_SCAN_ROWS,
    RosterFileError,
    RowIssue,
    cell_text,
    sheet_rows,
    upload_first_sheet,
)
from scoring import annual_selectors as selectors
from scoring.models import PastResult
from scoring.rulebook import RulebookInvalid
from sectors.models import Body, Term

YEAR = "年度"
NUMBER = "委员编号"
NAME = "姓名"
TOTAL = "总分"
GRADE = "等次"
HEADERS = (YEAR, NUMBER, NAME, TOTAL, GRADE)
REQUIRED_HEADERS = (YEAR, NUMBER, NAME, TOTAL)

LARGEST = Decimal(1_000_000)
SPACES = re.compile(r"\s+")

NEW, UPDATE, UNCHANGED = "new", "update", "unchanged"
KIND_LABELS = {NEW: "新增", UPDATE: "更新", UNCHANGED: "未变化"}


HistoryFileError = RosterFileError


@dataclass(frozen=True)
class HistoryLine:
    """One row of the sheet, as text."""

    row: int
    year: str
    number: str
    name: str
    total: object  # the cell's value: a number, or text to be read as one
    grade: str


@dataclass
class HistoryRow:
    """What importing one line does."""

    line: HistoryLine
    kind: str = ""  # NEW, UPDATE, UNCHANGED; "" when the line has problems
    member: Member | None = None
    year: int | None = None
    total: Decimal | None = None
    grade: str = ""
    before: PastResult | None = None

    @property
    def kind_label(self) -> str:
        return _(KIND_LABELS[self.kind]) if self.kind else ""


@dataclass
class HistoryPreview:
    term: Term
    errors: list[RowIssue] = field(default_factory=list)
    rows: list[HistoryRow] = field(default_factory=list)

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
    def changed_rows(self) -> list[HistoryRow]:
        return [r for r in self.rows if r.kind in (NEW, UPDATE)]

    @property
    def years(self) -> list[int]:
        return sorted({r.year for r in self.rows if r.year is not None})


@dataclass
class HistoryResult(HistoryPreview):
    applied: bool = False


# Reading the sheet -------------------------------------------------------------------


def history_read(file) -> list[HistoryLine]:
    """The rows of the first sheet under its header row, with the roster
    import's checks on the file (RosterFileError for the whole file)."""
    return upload_first_sheet(file, _history_lines)


def _normal(value) -> str:
    return SPACES.sub("", cell_text(value))


def _history_lines(ws) -> list[HistoryLine]:
    def is_header(texts) -> bool:
        found = NUMBER in texts and TOTAL in texts
        if found:
            _check_headers(texts)
        return found

    no_header = _("未找到表头:前%(n)s行中应有“年度”“委员编号”“姓名”“总分”等列标题") % {
        "n": HEADER_SCAN_ROWS
    }
    headers, rows = sheet_rows(
        ws,
        is_header=is_header,
        normalise=_normal,
        no_header_scan=no_header,
        no_header_end=no_header,
    )
    lines = []
    for row_number, values in rows:
        at = {h: values[i] if i < len(values) else None for i, h in enumerate(headers) if h}
        lines.append(
            HistoryLine(
                row=row_number,
                year=_normal(at.get(YEAR)),
                number=cell_text(at.get(NUMBER)),
                name=_normal(at.get(NAME)),
                total=at.get(TOTAL),
                grade=_normal(at.get(GRADE)),
            )
        )
    if not lines:
        raise RosterFileError([RowIssue(None, "", _("表格中没有数据行"))])
    return lines


def _check_headers(headers) -> None:
    named = [h for h in headers if h]
    duplicated = sorted({h for h in named if named.count(h) > 1})
    if duplicated:
        raise RosterFileError([RowIssue(None, h, _("列标题重复")) for h in duplicated])
    missing = [h for h in REQUIRED_HEADERS if h not in headers]
    if missing:
        raise RosterFileError(
            [RowIssue(None, "", _("缺少必需的列:%(columns)s") % {"columns": "、".join(missing)})]
        )


# Checking the rows ------------------------------------------------------------------


def _year(raw: str, this_year: int) -> int:
    text = raw.removesuffix("年")
    if not text:
        raise ValueError(_("不能为空"))
    if not (text.isascii() and text.isdigit()) or len(text) > 4:
        raise ValueError(_("“%(value)s”不是年份,请填写如 2024") % {"value": raw[:20]})
    year = int(text)
    if year >= this_year:
        raise ValueError(
            _("只能导入往年的结果(%(year)s 年以前),本年度由系统计算") % {"year": this_year}
        )
    if year < 1949:
        raise ValueError(_("年份“%(value)s”不正确") % {"value": raw[:20]})
    return year


def _total(value) -> Decimal:
    if value is None or cell_text(value) == "":
        raise ValueError(_("不能为空"))
    if isinstance(value, (bool, datetime.date)):
        raise ValueError(_("“%(value)s”不是数字") % {"value": cell_text(value)[:20]})
    try:
        # a float goes through its shortest repr: 85.55 is 85.55, not 85.549999…
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(cell_text(value))
    except (InvalidOperation, ValueError):
        raise ValueError(_("“%(value)s”不是数字") % {"value": cell_text(value)[:20]}) from None
    if not number.is_finite():
        raise ValueError(_("“%(value)s”不是数字") % {"value": cell_text(value)[:20]})
    if abs(number) > LARGEST:
        raise ValueError(_("总分过大"))
    if number != number.quantize(Decimal("0.01")):
        raise ValueError(_("总分最多保留两位小数"))
    return number.quantize(Decimal("0.01"))


def _bands(rulebook) -> list[str] | None:
    """The band names of the year's rulebook, or None when it has none to check against."""
    if rulebook is None:
        return None
    try:
        names = [band.name for band in rulebook.parsed().grades]
    except RulebookInvalid:
        return None
    return names or None


def _check(term: Term, lines: list[HistoryLine]) -> tuple[list[HistoryRow], list[RowIssue]]:
    """Every line's outcome and every problem, in a fixed number of queries."""
    this_year = timezone.localdate().year
    members = {
        m.number: m for m in Member.objects.filter(term=term).select_related("person", "sector")
    }
    rows, errors = [], []
    years: set[int] = set()
    for line in lines:
        row = HistoryRow(line)
        try:
            row.year = _year(line.year, this_year)
            years.add(row.year)
        except ValueError as e:
            errors.append(RowIssue(line.row, YEAR, str(e)))
        rows.append(row)

    finals = selectors.annual_final_years(body_id=term.body_id, years=years)
    bands = {
        year: _bands(rulebook)
        for year, rulebook in selectors.rulebooks_of_years(
            body_id=term.body_id, years=years
        ).items()
    }
    existing = {
        (r.year, r.person_id): r
        for r in PastResult.objects.filter(body_id=term.body_id, year__in=years)
    }

    seen: dict[tuple, list[int]] = defaultdict(list)
    for row in rows:
        if row.year is not None and row.line.number:
            seen[(row.year, row.line.number)].append(row.line.row)

    for row in rows:
        line, issues = row.line, []
        if row.year is not None and row.year in finals:
            issues.append(
                RowIssue(
                    line.row,
                    YEAR,
                    _("%(year)s 年度考核已在本系统计算并定稿,不能再导入该年度的结果")
                    % {"year": row.year},
                )
            )
        if not line.number:
            issues.append(RowIssue(line.row, NUMBER, _("不能为空")))
        else:
            row.member = members.get(line.number)
            if row.member is None:
                issues.append(
                    RowIssue(
                        line.row,
                        NUMBER,
                        _("%(term)s没有委员编号为“%(number)s”的委员")
                        % {"term": term, "number": line.number[:20]},
                    )
                )
        if not line.name:
            issues.append(RowIssue(line.row, NAME, _("不能为空")))
        elif row.member is not None and _normal(row.member.person.name) != line.name:
            issues.append(
                RowIssue(
                    line.row,
                    NAME,
                    _("委员编号“%(number)s”是“%(registered)s”,与本行姓名“%(name)s”不一致")
                    % {
                        "number": line.number,
                        "registered": row.member.person.name,
                        "name": line.name[:50],
                    },
                )
            )
        others = [r for r in seen.get((row.year, line.number), []) if r != line.row]
        if others:
            issues.append(
                RowIssue(
                    line.row,
                    NUMBER,
                    _("同一委员同一年度在文件中重复(另见第%(rows)s行)")
                    % {"rows": "、".join(map(str, others))},
                )
            )
        try:
            row.total = _total(line.total)
        except ValueError as e:
            issues.append(RowIssue(line.row, TOTAL, str(e)))
        row.grade = line.grade
        names = bands.get(row.year)
        if len(line.grade) > 50:
            issues.append(RowIssue(line.row, GRADE, _("不能超过%(n)s个字") % {"n": 50}))
        elif line.grade and names is not None and line.grade not in names:
            issues.append(
                RowIssue(
                    line.row,
                    GRADE,
                    _("“%(grade)s”不是 %(year)s 年度计分规则的等次,可填:%(names)s")
                    % {"grade": line.grade, "year": row.year, "names": "、".join(names)},
                )
            )
        if issues or row.year is None:
            errors.extend(issues)
            continue
        row.before = existing.get((row.year, row.member.person_id))
        if row.before is None:
            row.kind = NEW
        elif (row.before.total, row.before.grade, row.before.member_id) == (
            row.total,
            row.grade,
            row.member.pk,
        ):
            row.kind = UNCHANGED
        else:
            row.kind = UPDATE
    errors.sort(key=lambda i: (i.row or 0, HEADERS.index(i.column) if i.column in HEADERS else 9))
    return rows, errors


def _run(*, term: Term, file, report_class):
    report = report_class(term=term)
    try:
        lines = history_read(file)
    except RosterFileError as e:
        report.errors = e.issues
        return report
    report.rows, report.errors = _check(term, lines)
    return report


def history_import_preview(*, term: Term, file) -> HistoryPreview:
    """What importing the file into the term's body would do, row by row, or
    every problem by row and column. Writes nothing."""
    return _run(term=term, file=file, report_class=HistoryPreview)


@transaction.atomic
def history_import_apply(*, term: Term, file, by) -> HistoryResult:
    """Import the file: every row or none (a file with any problem writes
    nothing and says why). Importing the same file again changes nothing."""
    # Imports into one body take turns (a lock that does not block writes of
    # rows pointing at the body), so two cannot both create one person's year.
    list(Body.objects.select_for_update(no_key=True).filter(pk=term.body_id))
    report = _run(term=term, file=file, report_class=HistoryResult)
    if report.errors:
        report.rows = []
        return report
    now = timezone.now()
    created = [
        PastResult(
            body_id=term.body_id,
            year=row.year,
            person_id=row.member.person_id,
            member=row.member,
            total=row.total,
            grade=row.grade,
            imported_by=by,
            imported_at=now,
        )
        for row in report.rows
        if row.kind == NEW
    ]
    updated = []
    for row in report.rows:
        if row.kind == UPDATE:
            past = row.before
            past.member, past.total, past.grade = row.member, row.total, row.grade
            past.imported_by, past.imported_at = by, now
            updated.append(past)
    if created:
        bulk_create_with_history(created, PastResult, default_user=by)
    if updated:
        bulk_update_with_history(
            updated,
            PastResult,
            ["member", "total", "grade", "imported_by", "imported_at"],
            default_user=by,
        )
    report.applied = True
    return report
