"""The venue's sign-in sheet (签到表) imported into an activity's attendance.

The sheet is whatever the venue printed and people signed: a column of names,
of mobile numbers, or both, under a header row somewhere near the top. Rows are
matched to the members of the activity's term (by mobile when there is one,
else by name); the preview shows every row before anything is saved, and a
sheet with rows nobody can be matched to is not imported at all."""

import logging
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from openpyxl.utils import get_column_letter

from duties.models import Activity, Participation
from duties.services import attendance_record
from members.models import Member
from members.roster import (
    HEADER_SCAN_ROWS,
    MAX_COLUMNS,
    RosterFileError,
    RowIssue,
    cell_text,
    upload_first_sheet,
)

logger = logging.getLogger(__name__)

NAME_HEADERS = ("姓名",)
MOBILE_HEADERS = ("手机号码", "手机", "电话", "联系电话", "手机号")
NOT_DIGITS = re.compile(r"\D")
SPACES = re.compile(r"\s+")

SheetFileError = RosterFileError


@dataclass(frozen=True)
class SheetLine:
    row: int  # the spreadsheet's row number
    name: str
    mobile: str


@dataclass
class SheetRow:
    """One line of the sheet and what it matched."""

    line: SheetLine
    kind: str  # MATCHED, AMBIGUOUS or UNKNOWN
    member: Member | None = None
    candidates: list[Member] = field(default_factory=list)
    reason: str = ""
    already: bool = False  # the matched member is already recorded as attended

    MATCHED = "matched"
    AMBIGUOUS = "ambiguous"
    UNKNOWN = "unknown"


@dataclass
class SheetPreview:
    activity: Activity
    errors: list[RowIssue] = field(default_factory=list)
    rows: list[SheetRow] = field(default_factory=list)

    def _of(self, kind):
        return [r for r in self.rows if r.kind == kind]

    @property
    def matched(self):
        return self._of(SheetRow.MATCHED)

    @property
    def ambiguous(self):
        return self._of(SheetRow.AMBIGUOUS)

    @property
    def unknown(self):
        return self._of(SheetRow.UNKNOWN)

    @property
    def unknown_rows_text(self) -> str:
        return "、".join(str(r.line.row) for r in self.unknown)

    @property
    def can_confirm(self) -> bool:
        return not self.errors and not self.unknown and bool(self.rows)

    @property
    def to_mark(self) -> int:
        return len({r.member.pk for r in self.matched if not r.already}) + len(self.ambiguous)


@dataclass
class SheetResult:
    marked: int = 0
    already: int = 0


def _normal_name(value) -> str:
    # Two-character names are often printed with spaces to line up: "张  三".
    return SPACES.sub("", cell_text(value))


def _normal_mobile(value) -> str:
    digits = NOT_DIGITS.sub("", cell_text(value))
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    return digits


def sheet_read(file) -> list[SheetLine]:
    """The name and mobile of every non-blank row under the header row of the
    first sheet, with the roster import's checks on the file."""
    return upload_first_sheet(file, _sheet_lines)


def _header_columns(texts) -> tuple[int | None, int | None] | None:
    name = next((i for i, t in enumerate(texts) if t in NAME_HEADERS), None)
    mobile = next(
        (i for h in MOBILE_HEADERS for i, t in enumerate(texts) if t == h),
        None,
    )
    if name is None and mobile is None:
        return None
    return name, mobile


def _sheet_lines(ws) -> list[SheetLine]:
    max_rows = settings.IMPORT_MAX_ROWS
    columns = None
    lines, formulas = [], []
    for row_number, cells in enumerate(ws.iter_rows(min_row=1, max_col=MAX_COLUMNS), start=1):
        if row_number > 20 * max_rows + 100:
            raise RosterFileError([RowIssue(None, "", _("表格行数过多,无法导入"))])
        for index, cell in enumerate(cells):
            if cell.data_type == "f":
                formulas.append(
                    RowIssue(
                        row_number,
                        _("%(letter)s列") % {"letter": get_column_letter(index + 1)},
                        _("单元格含有公式,请改为直接填写数值后再导入"),
                    )
                )
        values = [cell.value for cell in cells]
        if columns is None:
            texts = [_normal_name(v) for v in values]
            columns = _header_columns(texts)
            if columns is None and row_number >= HEADER_SCAN_ROWS:
                break
            continue
        name_at, mobile_at = columns
        name = (
            _normal_name(values[name_at]) if name_at is not None and name_at < len(values) else ""
        )
        mobile = (
            _normal_mobile(values[mobile_at])
            if mobile_at is not None and mobile_at < len(values)
            else ""
        )
        if not name and not mobile:
            continue
        if len(lines) == max_rows:
            raise RosterFileError(
                [RowIssue(None, "", _("数据行数超过上限:一次最多导入 %(n)s 行") % {"n": max_rows})]
            )
        lines.append(SheetLine(row=row_number, name=name, mobile=mobile))
    if columns is None:
        raise RosterFileError(
            [
                RowIssue(
                    None,
                    "",
                    _("未找到表头:前%(n)s行中应有“姓名”或“手机号码”列标题")
                    % {"n": HEADER_SCAN_ROWS},
                )
            ]
        )
    if formulas:
        raise RosterFileError(formulas)
    if not lines:
        raise RosterFileError([RowIssue(None, "", _("表格中没有签到记录"))])
    return lines


def _match(activity: Activity, lines: list[SheetLine]) -> list[SheetRow]:
    members = list(
        Member.objects.filter(term_id=activity.term_id)
        .select_related("person", "sector")
        .order_by("left_on", "number")
    )
    by_mobile, by_name = {}, {}
    for member in members:
        if member.person.mobile:
            by_mobile.setdefault(member.person.mobile, []).append(member)
        by_name.setdefault(_normal_name(member.person.name), []).append(member)
    attended = set(
        Participation.objects.filter(activity=activity)
        .attended()
        .values_list("member_id", flat=True)
    )
    rows = []
    for line in lines:
        if line.mobile:
            found = by_mobile.get(line.mobile, [])
            reason = _("手机号码“%(mobile)s”不是本届委员的号码") % {"mobile": line.mobile}
        else:
            found = by_name.get(line.name, [])
            reason = _("本届委员中没有名为“%(name)s”的委员") % {"name": line.name}
        if not found:
            rows.append(SheetRow(line=line, kind=SheetRow.UNKNOWN, reason=reason))
        elif len(found) == 1:
            member = found[0]
            rows.append(
                SheetRow(
                    line=line, kind=SheetRow.MATCHED, member=member, already=member.pk in attended
                )
            )
        else:
            rows.append(SheetRow(line=line, kind=SheetRow.AMBIGUOUS, candidates=found))
    return rows


def _recordable_issue(activity: Activity) -> RowIssue | None:
    if activity.status == Activity.Status.CANCELLED:
        return RowIssue(None, "", _("活动已取消,不能登记出席情况"))
    if activity.status == Activity.Status.DRAFT:
        return RowIssue(None, "", _("活动尚未发布,不能登记出席情况"))
    return None


def sheet_import_preview(*, activity: Activity, file) -> SheetPreview:
    """What importing the sheet would do, row by row. Writes nothing."""
    preview = SheetPreview(activity=activity)
    issue = _recordable_issue(activity)
    if issue is not None:
        preview.errors = [issue]
        return preview
    try:
        lines = sheet_read(file)
    except RosterFileError as e:
        preview.errors = e.issues
        return preview
    preview.rows = _match(activity, lines)
    return preview


@transaction.atomic
def sheet_import_apply(*, activity: Activity, file, picks: dict[int, int], by) -> SheetResult:
    """Mark every member the sheet names as attended; `picks` chooses, for each
    ambiguous row (by spreadsheet row), one of its candidates (by member id).
    All or nothing: unknown rows, or an ambiguous row without a valid pick,
    refuse the whole sheet. Importing the same sheet again changes nothing."""
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    preview = sheet_import_preview(activity=activity, file=file)
    if preview.errors:
        raise ValidationError([str(issue) for issue in preview.errors])
    if preview.unknown:
        raise ValidationError(
            _("签到表中有无法识别的行(第%(rows)s行),未导入任何数据。请修改签到表后重新上传。")
            % {"rows": preview.unknown_rows_text}
        )
    members = {r.member.pk: r.member for r in preview.matched}
    missing = []
    for row in preview.ambiguous:
        chosen = next((m for m in row.candidates if m.pk == picks.get(row.line.row)), None)
        if chosen is None:
            missing.append(str(row.line.row))
        else:
            members[chosen.pk] = chosen
    if missing:
        raise ValidationError(
            _("第%(rows)s行有同名委员,请选择是哪一位。") % {"rows": "、".join(missing)}
        )
    result = SheetResult()
    before = {
        p.member_id: p for p in Participation.objects.filter(activity=activity, member__in=members)
    }
    for member in members.values():
        participation = before.get(member.pk)
        if participation and participation.attendance == Participation.Attendance.ATTENDED:
            result.already += 1
            continue
        listed = (
            participation is not None and participation.signup == Participation.Signup.CONFIRMED
        )
        participation = attendance_record(
            activity=activity,
            member=member,
            attendance=Participation.Attendance.ATTENDED,
            by=by,
        )
        if not listed:
            participation.source = Participation.Source.SHEET
            participation.save(update_fields=["source"])
        result.marked += 1
    return result
