"""The roster (花名册) and the contact directory (通讯录) in and out of Excel.

Exports stream a scoped queryset through summaries.xlsx and leave a row in the
personal-data export log. Imports read an .xlsx into a django-import-export
resource for one term: a dry run lists every problem by row and column, and the
real run writes nothing unless every row is valid.
"""

import datetime
import functools
import io
import logging
import re
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field

from defusedxml import DefusedXmlException
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from import_export import resources, widgets
from import_export.fields import Field
from import_export.instance_loaders import ModelInstanceLoader
from import_export.results import RowResult
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from tablib import Dataset

from config import uploads
from members.models import Member, Party, Person
from members.permissions import can_see_phone, viewer_for
from members.services import export_log_record
from sectors.models import Committee, Sector, SectorGroup, Term
from summaries.xlsx import DATE_CN, Column, SheetSpec, write_workbook, xlsx_response

logger = logging.getLogger(__name__)

EXPORT_CHUNK = 2000
SEPARATORS = re.compile(r"[、,,;;\s]+")

# Column headers, shared by the export and the import so a downloaded roster
# can be edited and uploaded again.
NUMBER = "委员编号"
NAME = "姓名"
GENDER = "性别"
ETHNICITY = "民族"
BIRTH_DATE = "出生日期"
PARTY = "党派"
SECTOR = "界别"
GROUP = "界别小组"
COMMITTEES = "专门委员会"
STANDING = "常委"
WORKPLACE = "工作单位及职务"
MOBILE = "手机号码"
JOINED_ON = "任职日期"
JOIN_KIND = "产生方式"
STATUS = "状态"
LEFT_ON = "离任日期"

REQUIRED_HEADERS = (NUMBER, NAME, GENDER, PARTY, SECTOR, JOINED_ON)
IN_OFFICE = "在任"

# Labels people type that mean the same party.
PARTY_ALIASES = {
    "中国共产党": Party.CPC,
    "中共党员": Party.CPC,
    "中国国民党革命委员会": Party.RCCK,
    "中国民主同盟": Party.CDL,
    "中国民主建国会": Party.CNDCA,
    "中国民主促进会": Party.CAPD,
    "中国农工民主党": Party.CPWDP,
    "农工民主党": Party.CPWDP,
    "中国致公党": Party.CZGP,
    "致公": Party.CZGP,
    "九三": Party.JIUSAN,
    "台湾民主自治同盟": Party.TDSGL,
    "无党派人士": Party.NON_PARTY,
    "无": Party.MASSES,
}


# --------------------------------------------------------------------------- export


def chinese_numeral(n: int) -> str:
    """1..99 as written in term names: 十五, 二十, 九."""
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    tens, ones = divmod(n, 10)
    return f"{digits[tens] if tens > 1 else ''}十{digits[ones] if ones else ''}"


def chinese_date(day: datetime.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def workplace_title(person: Person) -> str:
    return " ".join(part for part in (person.workplace, person.title) if part)


@functools.cache
def _label_in(choices, value, language) -> str:
    return str(choices(value).label) if value else ""


def _label(choices, value) -> str:
    """A choice's label, looked up once per export language: get_FOO_display()
    resolves a lazy translation on every row."""
    return _label_in(choices, value, get_language())


def _status(member: Member) -> str:
    return _label(Member.LeftReason, member.left_reason) if member.left_on else IN_OFFICE


ROSTER_COLUMNS = [
    Column(NUMBER, 10, lambda m: m.number),
    Column(NAME, 10, lambda m: m.person.name),
    Column(GENDER, 6, lambda m: _label(Person.Gender, m.person.gender)),
    Column(ETHNICITY, 8, lambda m: m.person.ethnicity),
    Column(BIRTH_DATE, 15, lambda m: m.person.birth_date, DATE_CN),
    Column(PARTY, 10, lambda m: _label(Party, m.person.party)),
    Column(SECTOR, 14, lambda m: m.sector.name),
    Column(GROUP, 14, lambda m: m.group.name if m.group_id else ""),
    Column(COMMITTEES, 22, lambda m: "、".join(c.name for c in m.committees.all())),
    Column(STANDING, 6, lambda m: "是" if m.is_standing else "否"),
    Column(WORKPLACE, 36, lambda m: workplace_title(m.person)),
    Column(MOBILE, 14, lambda m: m.person.mobile),
    Column(JOINED_ON, 15, lambda m: m.joined_on, DATE_CN),
    Column(JOIN_KIND, 10, lambda m: _label(Member.JoinKind, m.join_kind)),
    Column(STATUS, 8, _status),
    Column(LEFT_ON, 15, lambda m: m.left_on, DATE_CN),
]


def _roster_title(queryset, what: str) -> str:
    """ "江城市政协第十五届委员花名册" when the rows are of one term."""
    term_ids = list(queryset.order_by().values_list("term_id", flat=True).distinct()[:2])
    if len(term_ids) != 1:
        return f"委员{what}"
    term = Term.objects.select_related("body").get(pk=term_ids[0])
    return f"{term.body.name}第{chinese_numeral(term.number)}届委员{what}"


def _subtitle() -> str:
    return _("导出日期:%(date)s") % {"date": chinese_date(timezone.localdate())}


def roster_sheet(*, queryset) -> SheetSpec:
    """The roster of an already scoped member queryset, as one sheet to write."""
    rows = (
        queryset.select_related("person", "sector", "group")
        .prefetch_related(
            Prefetch("committees", queryset=Committee.objects.order_by("order", "id"))
        )
        .order_by("term_id", "number")
        .iterator(chunk_size=EXPORT_CHUNK)
    )
    return SheetSpec(
        name="花名册",
        title=_roster_title(queryset, "花名册"),
        subtitle=_subtitle(),
        columns=ROSTER_COLUMNS,
        rows=rows,
    )


def directory_sheet(*, user, queryset) -> SheetSpec:
    """The contact directory of current members; the phone only where the user
    may see it (members: their own sector group)."""
    viewer = viewer_for(user)
    members = (
        queryset.filter(left_on__isnull=True)
        .select_related("person", "sector", "group", "term")
        .order_by("term_id", "sector__order", "sector_id", "number")
        .iterator(chunk_size=EXPORT_CHUNK)
    )
    columns = [
        Column(NAME, 10, lambda m: m.person.name),
        Column(SECTOR, 14, lambda m: m.sector.name),
        Column(GROUP, 14, lambda m: m.group.name if m.group_id else ""),
        Column(WORKPLACE, 40, lambda m: workplace_title(m.person)),
        Column(MOBILE, 14, lambda m: m.person.mobile if can_see_phone(viewer, m) else ""),
    ]
    return SheetSpec(
        name="通讯录",
        title=_roster_title(queryset, "通讯录"),
        subtitle=_subtitle(),
        columns=columns,
        rows=members,
    )


def _log_export(*, user, what: str, spec: SheetSpec, filters: str) -> None:
    export_log_record(user=user, what=what, rows=spec.written, filters=filters)


def roster_export(*, user, queryset, target, filters: str = "") -> int:
    """Write the roster to a path or binary file, log it, return the row count.
    The caller scopes the queryset with Member.objects.visible_to(user)."""
    spec = roster_sheet(queryset=queryset)
    write_workbook(target, sheets=[spec])
    _log_export(user=user, what="花名册", spec=spec, filters=filters)
    return spec.written


def roster_export_response(*, user, queryset, filters: str = ""):
    spec = roster_sheet(queryset=queryset)
    response = xlsx_response(filename=f"{spec.title}.xlsx", sheets=[spec])
    _log_export(user=user, what="花名册", spec=spec, filters=filters)
    return response


def directory_export(*, user, queryset, target, filters: str = "") -> int:
    spec = directory_sheet(user=user, queryset=queryset)
    write_workbook(target, sheets=[spec])
    _log_export(user=user, what="通讯录", spec=spec, filters=filters)
    return spec.written


def directory_export_response(*, user, queryset, filters: str = ""):
    spec = directory_sheet(user=user, queryset=queryset)
    response = xlsx_response(filename=f"{spec.title}.xlsx", sheets=[spec])
    _log_export(user=user, what="通讯录", spec=spec, filters=filters)
    return response


# --------------------------------------------------------------------------- import widgets


def cell_text(value) -> str:
    """A cell as text: 13912345678.0 → "13912345678", None → ""."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    return str(value).strip()


class TextWidget(widgets.Widget):
    def __init__(self, *, required=False, max_length=None):
        self.required = required
        self.max_length = max_length
        super().__init__()

    def clean(self, value, row=None, **kwargs):
        text = cell_text(value)
        if self.required and not text:
            raise ValueError(_("不能为空"))
        if self.max_length and len(text) > self.max_length:
            raise ValueError(_("不能超过%(n)s个字") % {"n": self.max_length})
        return text

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else str(value)


class ChoiceWidget(widgets.Widget):
    """A choice by its Chinese label ("男", "民盟"); blank gives `blank`."""

    def __init__(self, choices, *, aliases=None, blank=None):
        self.by_label = {str(label): value for value, label in choices}
        self.by_label.update(aliases or {})
        self.labels = dict((value, str(label)) for value, label in choices)
        self.blank = blank
        super().__init__()

    def clean(self, value, row=None, **kwargs):
        text = cell_text(value)
        if not text:
            if self.blank is None:
                raise ValueError(_("不能为空"))
            return self.blank
        if text in self.by_label:
            return self.by_label[text]
        allowed = "、".join(label for label in self.labels.values() if label)
        raise ValueError(
            _("无法识别“%(value)s”,可填:%(allowed)s") % {"value": text, "allowed": allowed}
        )

    def render(self, value, obj=None, **kwargs):
        return self.labels.get(value, "")


class YesNoWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        text = cell_text(value)
        if text in ("", "否"):
            return False
        if text == "是":
            return True
        raise ValueError(_("请填“是”或“否”,不是“%(value)s”") % {"value": text})

    def render(self, value, obj=None, **kwargs):
        return "是" if value else "否"


DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d")


class ChineseDateWidget(widgets.Widget):
    def __init__(self, *, required=False):
        self.required = required
        super().__init__()

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, datetime.datetime):
            return value.date()
        if isinstance(value, datetime.date):
            return value
        text = cell_text(value)
        if not text:
            if self.required:
                raise ValueError(_("不能为空"))
            return None
        for fmt in DATE_FORMATS:
            try:
                day = datetime.datetime.strptime(text, fmt).date()  # noqa: DTZ007 (a calendar day)
            except ValueError:
                continue
            if 1900 <= day.year <= 2100:
                return day
        raise ValueError(
            _("日期“%(value)s”无法识别,请填写如 2022-01-01 或 2022年1月1日") % {"value": text}
        )

    def render(self, value, obj=None, **kwargs):
        return chinese_date(value) if value else ""


class MobileWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        text = cell_text(value).replace(" ", "").replace("-", "")
        if text and not re.fullmatch(r"1[3-9]\d{9}", text):
            raise ValueError(
                _("“%(value)s”不是有效的手机号码,应为以1开头的11位数字")
                % {"value": cell_text(value)}
            )
        return text

    def render(self, value, obj=None, **kwargs):
        return value or ""


class TermNameWidget(widgets.ForeignKeyWidget):
    """A sector or sector group of the import's term, by name."""

    def __init__(self, model, *, term, label, required):
        super().__init__(model, field="name")
        self.by_name = {obj.name: obj for obj in model.objects.filter(term=term)}
        self.label = label
        self.required = required

    def clean(self, value, row=None, **kwargs):
        name = cell_text(value)
        if not name:
            if self.required:
                raise ValueError(_("不能为空"))
            return None
        try:
            return self.by_name[name]
        except KeyError:
            raise ValueError(
                _("本届没有名为“%(name)s”的%(label)s") % {"name": name, "label": self.label}
            ) from None

    def render(self, value, obj=None, **kwargs):
        return value.name if value else ""


class CommitteesWidget(widgets.ManyToManyWidget):
    """Special committees of the term by name, separated by 、 (or commas)."""

    def __init__(self, *, term):
        super().__init__(Committee, separator="、", field="name")
        self.by_name = {c.name: c for c in Committee.objects.filter(term=term)}

    def clean(self, value, row=None, **kwargs):
        names = [n for n in SEPARATORS.split(cell_text(value)) if n]
        unknown = [n for n in names if n not in self.by_name]
        if unknown:
            raise ValueError(
                _("本届没有名为“%(names)s”的专门委员会") % {"names": "、".join(unknown)}
            )
        return [self.by_name[n] for n in dict.fromkeys(names)]

    def render(self, value, obj=None, **kwargs):
        return "、".join(c.name for c in value.all()) if value is not None else ""


class WorkplaceTitleField(Field):
    """One roster column for two fields of the person. An unchanged cell leaves
    both alone; a changed one is split at its last space ("单位 职务")."""

    def get_value(self, instance):
        return workplace_title(instance.person)

    def save(self, instance, row, is_m2m=False, **kwargs):
        text = self.clean(row, **kwargs)
        person = instance.person
        if text == workplace_title(person):
            return
        workplace, _sep, title = text.rpartition(" ") if " " in text else (text, "", "")
        person.workplace, person.title = workplace.strip(), title.strip()


# --------------------------------------------------------------------------- import resource


class TermMemberLoader(ModelInstanceLoader):
    """The term's members by number, read in one query (committees prefetched)."""

    def __init__(self, resource, dataset=None):
        super().__init__(resource, dataset)
        members = (
            resource.get_queryset()
            .select_related("person")
            .prefetch_related(
                Prefetch("committees", queryset=Committee.objects.order_by("order", "id"))
            )
        )
        self.by_number = {m.number: m for m in members}

    def get_instance(self, row):
        return self.by_number.get(cell_text(row.get(NUMBER)))


PERSON_FIELD_COLUMNS = {
    "name": NAME,
    "gender": GENDER,
    "ethnicity": ETHNICITY,
    "birth_date": BIRTH_DATE,
    "party": PARTY,
    "workplace": WORKPLACE,
    "title": WORKPLACE,
    "mobile": MOBILE,
}
MEMBER_FIELD_COLUMNS = {
    "number": NUMBER,
    "sector": SECTOR,
    "group": GROUP,
    "is_standing": STANDING,
    "joined_on": JOINED_ON,
    "join_kind": JOIN_KIND,
    "left_reason": STATUS,
    "left_on": LEFT_ON,
}


def _person_state(person: Person) -> tuple:
    return tuple(getattr(person, name) for name in PERSON_FIELD_COLUMNS)


class MemberResource(resources.ModelResource):
    """People and their seats in one term, by the roster's Chinese columns.

    The member number is the natural key within the term; a person is found
    across bodies by mobile number, so a city member who already sits in a
    district body keeps one record."""

    def __init__(self, *, term: Term | None = None, by=None, excel_rows=None, **kwargs):
        # Without a term (the admin's export) the lookups are empty: export only.
        self.term = term
        self.by = by
        # Dataset row i (1-based) came from this spreadsheet row.
        self.excel_rows = excel_rows
        self.outcomes = []
        super().__init__()
        self.fields = {
            "number": Field("number", NUMBER, TextWidget(required=True, max_length=20)),
            "name": Field("person__name", NAME, TextWidget(required=True, max_length=50)),
            "gender": Field("person__gender", GENDER, ChoiceWidget(Person.Gender.choices)),
            "ethnicity": Field(
                "person__ethnicity", ETHNICITY, TextWidget(required=True, max_length=20)
            ),
            "birth_date": Field("person__birth_date", BIRTH_DATE, ChineseDateWidget()),
            "party": Field(
                "person__party", PARTY, ChoiceWidget(Party.choices, aliases=PARTY_ALIASES)
            ),
            "sector": Field(
                "sector", SECTOR, TermNameWidget(Sector, term=term, label="界别", required=True)
            ),
            "group": Field(
                "group",
                GROUP,
                TermNameWidget(SectorGroup, term=term, label="界别小组", required=False),
            ),
            "committees": Field("committees", COMMITTEES, CommitteesWidget(term=term)),
            "is_standing": Field("is_standing", STANDING, YesNoWidget()),
            "workplace": WorkplaceTitleField(
                "person__workplace", WORKPLACE, TextWidget(max_length=300)
            ),
            "mobile": Field("person__mobile", MOBILE, MobileWidget()),
            "joined_on": Field("joined_on", JOINED_ON, ChineseDateWidget(required=True)),
            "join_kind": Field(
                "join_kind",
                JOIN_KIND,
                ChoiceWidget(Member.JoinKind.choices, blank=Member.JoinKind.INITIAL),
            ),
            "left_reason": Field(
                "left_reason",
                STATUS,
                ChoiceWidget([("", IN_OFFICE), *Member.LeftReason.choices], blank=""),
            ),
            "left_on": Field("left_on", LEFT_ON, ChineseDateWidget()),
        }

    class Meta:
        model = Member
        fields = ()
        import_id_fields = ("number",)
        instance_loader_class = TermMemberLoader
        skip_unchanged = True
        report_skipped = True
        skip_html_diff = True
        use_transactions = True

    def get_import_order(self):
        return tuple(self.fields)

    def get_export_order(self):
        return tuple(self.fields)

    def get_queryset(self):
        if self.term is None:
            return Member.objects.all()
        return Member.objects.filter(term=self.term)

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("person", "sector", "group").prefetch_related("committees")

    def excel_row(self, row_number: int) -> int:
        return self.excel_rows[row_number - 1] if self.excel_rows else row_number

    # -- the whole file, before any row

    def before_import(self, dataset, **kwargs):
        """Find numbers and mobiles given twice in the file, and the people the
        file's mobiles already belong to (one query)."""
        self.rows_by_number = defaultdict(list)
        self.rows_by_mobile = defaultdict(list)
        for index, values in enumerate(dataset.dict, start=1):
            number = cell_text(values.get(NUMBER))
            if number:
                self.rows_by_number[number].append(self.excel_row(index))
            mobile = cell_text(values.get(MOBILE))
            if mobile:
                self.rows_by_mobile[mobile].append(self.excel_row(index))
        people = Person.objects.filter(mobile__in=list(self.rows_by_mobile)).exclude(mobile="")
        self.people_by_mobile = {p.mobile: p for p in people}
        self.seats_in_term = dict(
            Member.objects.filter(term=self.term, person__in=people).values_list(
                "person_id", "number"
            )
        )

    # -- one row

    def init_instance(self, row=None):
        return Member(term=self.term)

    def after_init_instance(self, instance, new, row, **kwargs):
        if new:
            mobile = cell_text(row.get(MOBILE))
            instance.person = self.people_by_mobile.get(mobile) or Person()
        instance._person_before = _person_state(instance.person)

    def import_instance(self, instance, row, **kwargs):
        errors = defaultdict(list)
        for fld in self.get_import_fields():
            if fld.column_name not in row:
                continue
            try:
                if isinstance(fld.widget, widgets.ManyToManyWidget):
                    fld.clean(row)  # checked now, saved once the member has an id
                else:
                    self.import_field(fld, instance, row, **kwargs)
            except ValueError as e:
                errors[fld.column_name].append(str(e))
        self._check_row(instance, row, kwargs["row_number"], errors)
        if errors:
            raise ValidationError(dict(errors))

    def _check_row(self, instance, row, row_number, errors):
        here = self.excel_row(row_number)
        number = cell_text(row.get(NUMBER))
        others = [r for r in self.rows_by_number.get(number, []) if r != here]
        if others:
            errors[NUMBER].append(
                _("委员编号“%(number)s”在文件中重复(另见第%(rows)s行)")
                % {"number": number, "rows": "、".join(map(str, others))}
            )
        mobile = cell_text(row.get(MOBILE))
        others = [r for r in self.rows_by_mobile.get(mobile, []) if r != here]
        if others:
            errors[MOBILE].append(
                _("手机号码“%(mobile)s”在文件中重复(另见第%(rows)s行)")
                % {"mobile": mobile, "rows": "、".join(map(str, others))}
            )
        person = instance.person
        if MOBILE in row and MOBILE not in errors and person.mobile:
            holder = self.people_by_mobile.get(person.mobile)
            if holder is not None and holder.pk != person.pk:
                errors[MOBILE].append(
                    _("手机号码“%(mobile)s”已登记给“%(name)s”")
                    % {"mobile": person.mobile, "name": holder.name}
                )
        if instance.pk is None and person.pk is not None:
            before_name = instance._person_before[0]
            if NAME not in errors and person.name != before_name:
                errors[MOBILE].append(
                    _("手机号码已登记给“%(old)s”,与本行姓名“%(new)s”不一致")
                    % {"old": before_name, "new": person.name}
                )
            seat = self.seats_in_term.get(person.pk)
            if seat is not None:
                errors[NUMBER].append(
                    _("%(name)s已是本届委员(编号%(number)s),同一届只能有一个席位")
                    % {"name": person.name, "number": seat}
                )
        if not ({STATUS, LEFT_ON} & set(errors)):
            if instance.left_reason and instance.left_on is None:
                errors[LEFT_ON].append(_("离任委员须填写离任日期"))
            elif instance.left_on is not None and not instance.left_reason:
                errors[STATUS].append(_("填写了离任日期,状态应为离任原因(免去、辞去、届满、去世)"))
        if instance.left_on and instance.joined_on and instance.left_on < instance.joined_on:
            errors[LEFT_ON].append(_("离任日期不能早于任职日期"))

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        """The model's own field rules, reported under the roster's columns; the
        cross-row rules (numbers, mobiles, one seat) were checked above."""
        errors = defaultdict(list)
        for column, messages in (import_validation_errors or {}).items():
            errors[column].extend(m for e in messages for m in getattr(e, "messages", [e]))
        for obj, columns, exclude in (
            (instance.person, PERSON_FIELD_COLUMNS, ["user", "photo", "email"]),
            (instance, MEMBER_FIELD_COLUMNS, ["person", "term"]),
        ):
            skip = exclude + [name for name, column in columns.items() if column in errors]
            try:
                obj.full_clean(exclude=skip, validate_unique=False, validate_constraints=False)
            except ValidationError as e:
                for name, messages in e.message_dict.items():
                    column = columns.get(name, "" if name == NON_FIELD_ERRORS else name)
                    errors[column].extend(messages)
        if errors:
            raise ValidationError(dict(errors))

    def before_save_instance(self, instance, row, **kwargs):
        person = instance.person
        if person.pk is None or _person_state(person) != instance._person_before:
            person._history_user = self.by
            person.save()
        instance.person = person  # sets person_id for a person saved just now
        instance._history_user = self.by

    def after_import_row(self, row, row_result, **kwargs):
        self.outcomes.append(
            RowOutcome(
                row=self.excel_row(kwargs["row_number"]),
                number=cell_text(row.get(NUMBER)),
                name=cell_text(row.get(NAME)),
                kind=row_result.import_type,
            )
        )


# --------------------------------------------------------------------------- import service


@dataclass(frozen=True)
class RowIssue:
    """One problem: a spreadsheet row (None: the whole file), a column header
    (may be empty) and a message in Chinese."""

    row: int | None
    column: str
    message: str

    def __str__(self):
        where = _("第%(row)s行") % {"row": self.row} if self.row else _("文件")
        column = f"「{self.column}」" if self.column else ""
        return f"{where}{column}:{self.message}"


@dataclass(frozen=True)
class RowOutcome:
    row: int
    number: str
    name: str
    kind: str  # RowResult.IMPORT_TYPE_NEW / _UPDATE / _SKIP

    @property
    def kind_label(self) -> str:
        labels = {
            RowResult.IMPORT_TYPE_NEW: _("新增"),
            RowResult.IMPORT_TYPE_UPDATE: _("更新"),
            RowResult.IMPORT_TYPE_SKIP: _("未变化"),
        }
        return labels.get(self.kind, self.kind)


@dataclass
class ImportPreview:
    term: Term
    errors: list[RowIssue] = field(default_factory=list)
    rows: list[RowOutcome] = field(default_factory=list)
    new: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def is_valid(self) -> bool:
        return not self.errors

    @property
    def total(self) -> int:
        return self.new + self.updated + self.unchanged

    @property
    def changed_rows(self) -> list[RowOutcome]:
        return [r for r in self.rows if r.kind != RowResult.IMPORT_TYPE_SKIP]


@dataclass
class ImportResult(ImportPreview):
    applied: bool = False


class RosterFileError(Exception):
    """The file as a whole cannot be read; carries the issues to show."""

    def __init__(self, issues):
        super().__init__("; ".join(map(str, issues)))
        self.issues = issues


OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls and password-protected .xlsx
HEADER_SCAN_ROWS = 10
MAX_COLUMNS = 60


def upload_read_bytes(file) -> bytes:
    limit = settings.IMPORT_MAX_BYTES
    too_big = RosterFileError(
        [
            RowIssue(
                None, "", _("文件过大,最大允许 %(mb)s MB") % {"mb": round(limit / 1024 / 1024, 1)}
            )
        ]
    )
    if isinstance(file, str | bytes) or hasattr(file, "__fspath__"):
        with open(file, "rb") as handle:
            data = handle.read(limit + 1)
    else:
        if getattr(file, "size", None) is not None and file.size > limit:
            raise too_big
        if hasattr(file, "seek"):
            file.seek(0)
        data = file.read(limit + 1)
    if len(data) > limit:
        raise too_big
    return data


def not_xlsx_error(message=None) -> RosterFileError:
    return RosterFileError(
        [
            RowIssue(
                None,
                "",
                message
                or _(
                    "无法读取该文件:请上传 Excel 2007 及以上版本保存的 .xlsx 文件"
                    "(不支持 .xls、.csv 或改名的文件)"
                ),
            )
        ]
    )


def _unreadable(error: BaseException) -> RosterFileError:
    """The refusal of a file openpyxl could not read; XML that defusedxml
    refused (entity expansion, external entities) is named as such."""
    while error is not None:
        if isinstance(error, DefusedXmlException):
            return not_xlsx_error(_("文件中含有不安全的 XML 内容(实体声明),已拒绝读取"))
        error = error.__cause__ or error.__context__
    return not_xlsx_error()


def upload_first_sheet(file, read):
    """Open an uploaded .xlsx with every check an import needs and return
    read(first worksheet). Refuses files that are too large, password-protected
    or .xls, not .xlsx, that unpack to far more than they weigh, or that the
    reader finds bad (too many rows, formulas: it raises RosterFileError)."""
    return upload_workbook(file, lambda workbook: read(workbook.worksheets[0]))


def upload_workbook(file, read):
    """upload_first_sheet for readers of every sheet: read(workbook), with the
    same checks on the file."""
    data = upload_read_bytes(file)
    if data.startswith(OLE_MAGIC):
        raise not_xlsx_error(
            _("该文件已设置打开密码,或是旧版 .xls 格式:请取消密码并另存为 .xlsx 后再上传")
        )
    if uploads.sniff(io.BytesIO(data)) != uploads.XLSX:
        raise not_xlsx_error()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            # A small zip can unpack to gigabytes: refuse what no sheet of ours needs.
            if sum(info.file_size for info in archive.infolist()) > 40 * settings.IMPORT_MAX_BYTES:
                raise not_xlsx_error(_("文件内容异常,无法读取"))
        # Formulas are refused by the readers, so stored values are all there is to read.
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except RosterFileError:
        raise
    except Exception as error:
        logger.info("import: unreadable workbook", exc_info=True)
        raise _unreadable(error) from None
    try:
        return read(workbook)
    except RosterFileError:
        raise
    except Exception as error:
        logger.info("import: unreadable sheet", exc_info=True)
        raise _unreadable(error) from None
    finally:
        workbook.close()


def roster_read(file) -> tuple[Dataset, list[int]]:
    """The first sheet of an .xlsx as a dataset keyed by its header row, and the
    spreadsheet row number of each dataset row."""
    return upload_first_sheet(file, _sheet_dataset)


def sheet_rows(
    ws,
    *,
    is_header,
    normalise=cell_text,
    no_header_scan: str,
    no_header_end: str,
    max_rows: int | None = None,
    too_many_rows: str | None = None,
) -> tuple[list[str], list[tuple[int, list]]]:
    """The header row and the data rows under it (spreadsheet row number,
    values), with every import's guards on the file: too many rows, a header
    not found in the first HEADER_SCAN_ROWS rows, formulas (values only), the
    row limit. Blank rows are skipped. `is_header(texts)` says whether a row
    of normalised texts is the header row (and may refuse it). An import with
    its own limit passes max_rows (and the message that names it)."""
    max_rows = settings.IMPORT_MAX_ROWS if max_rows is None else max_rows
    headers = None
    rows, formulas = [], []
    # Read-only sheets fill missing rows in, so the count is the spreadsheet row.
    for row_number, cells in enumerate(ws.iter_rows(min_row=1, max_col=MAX_COLUMNS), start=1):
        if row_number > 20 * max_rows + 100:
            raise RosterFileError([RowIssue(None, "", _("表格行数过多,无法导入"))])
        for index, cell in enumerate(cells):
            if cell.data_type == "f":
                column = (
                    headers[index] if headers and index < len(headers) and headers[index] else ""
                )
                formulas.append(
                    RowIssue(
                        row_number,
                        column or _("%(letter)s列") % {"letter": get_column_letter(index + 1)},
                        _("单元格含有公式,请改为直接填写数值后再导入"),
                    )
                )
        values = [cell.value for cell in cells]
        if headers is None:
            texts = [normalise(v) for v in values]
            if is_header(texts):
                headers = texts
            elif row_number >= HEADER_SCAN_ROWS:
                raise RosterFileError([RowIssue(None, "", no_header_scan)])
            continue
        if all(cell_text(v) == "" for v in values):
            continue
        if len(rows) == max_rows:
            raise RosterFileError(
                [
                    RowIssue(
                        None,
                        "",
                        too_many_rows
                        or _("数据行数超过上限:一次最多导入 %(n)s 行") % {"n": max_rows},
                    )
                ]
            )
        rows.append((row_number, values))
    if headers is None:
        raise RosterFileError([RowIssue(None, "", no_header_end)])
    if formulas:
        raise RosterFileError(formulas)
    return headers, rows


def _sheet_dataset(ws) -> tuple[Dataset, list[int]]:
    headers, rows = sheet_rows(
        ws,
        is_header=lambda texts: NUMBER in texts and NAME in texts,
        no_header_scan=_("未找到表头:前%(n)s行中应有“委员编号”“姓名”等列标题")
        % {"n": HEADER_SCAN_ROWS},
        no_header_end=_("未找到表头:表格中应有“委员编号”“姓名”等列标题"),
    )
    records = [values for _row, values in rows]
    excel_rows = [row for row, _values in rows]
    named = [h for h in headers if h]
    duplicated = sorted({h for h in named if named.count(h) > 1})
    if duplicated:
        raise RosterFileError([RowIssue(None, h, _("列标题重复")) for h in duplicated])
    missing = [h for h in REQUIRED_HEADERS if h not in headers]
    if missing:
        raise RosterFileError(
            [RowIssue(None, "", _("缺少必需的列:%(columns)s") % {"columns": "、".join(missing)})]
        )
    # Blank headers keep their place so the values stay under the right column.
    keys = [h or f"_{i}" for i, h in enumerate(headers)]
    dataset = Dataset(headers=keys)
    for values in records:
        padded = (list(values) + [None] * len(keys))[: len(keys)]
        dataset.append(padded)
    if not records:
        raise RosterFileError([RowIssue(None, "", _("表格中没有数据行"))])
    return dataset, excel_rows


def _issues_from(result, resource: MemberResource) -> list[RowIssue]:
    issues = []
    for error in result.base_errors:
        issues.append(RowIssue(None, "", _("导入失败:%(error)s") % {"error": error.error}))
    for invalid in result.invalid_rows:
        row = resource.excel_row(invalid.number)
        for column, messages in invalid.error_dict.items():
            column = "" if column == NON_FIELD_ERRORS else column
            issues.extend(RowIssue(row, column, str(message)) for message in messages)
    for number, errors in result.row_errors():
        for error in errors:
            issues.append(
                RowIssue(
                    resource.excel_row(number), "", _("无法保存:%(error)s") % {"error": error.error}
                )
            )
    return sorted(issues, key=lambda i: (i.row or 0, i.column))


def _run(*, term: Term, file, by, dry_run: bool, report_class):
    report = report_class(term=term)
    try:
        dataset, excel_rows = roster_read(file)
    except RosterFileError as e:
        report.errors = e.issues
        return report
    resource = MemberResource(term=term, by=by, excel_rows=excel_rows)
    result = resource.import_data(
        dataset,
        dry_run=dry_run,
        raise_errors=False,
        use_transactions=True,
        rollback_on_validation_errors=True,
    )
    report.errors = _issues_from(result, resource)
    report.rows = resource.outcomes
    report.new = result.totals[RowResult.IMPORT_TYPE_NEW]
    report.updated = result.totals[RowResult.IMPORT_TYPE_UPDATE]
    report.unchanged = result.totals[RowResult.IMPORT_TYPE_SKIP]
    return report


def roster_import_preview(*, term: Term, file, by) -> ImportPreview:
    """Every problem of the file by row and column, or what importing it would
    do (new / updated / unchanged). Writes nothing."""
    return _run(term=term, file=file, by=by, dry_run=True, report_class=ImportPreview)


@transaction.atomic
def roster_import_apply(*, term: Term, file, by) -> ImportResult:
    """Import the file into the term: all rows or none. Importing the same file
    again changes nothing."""
    # Two staff importing into one term at once would race on numbers and people.
    Term.objects.select_for_update().filter(pk=term.pk).first()
    report = _run(term=term, file=file, by=by, dry_run=False, report_class=ImportResult)
    if report.errors:
        transaction.set_rollback(True)
        report.new = report.updated = report.unchanged = 0
        report.rows = []
    else:
        report.applied = True
    return report
