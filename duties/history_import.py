"""Past activities and their attendance (往年活动台账) imported from Excel, so
a committee's earlier years count in duty facts and scores from day one.

The layout is the ledger committees keep: one sheet per year (any sheet
name; a sheet without the header row, such as 填写说明, is skipped), one row
per activity and member: 活动名称, 活动类型, 日期, 组织方, 地点, 姓名, 手机号码,
出席情况 (出席/请假/缺席). An activity's rows repeat its title, kind, date,
organiser and place; rows with the same date and title are one activity,
and must agree on its kind, organiser and place.

Natural keys: an activity is (body, date, title); a participation is
(activity, member), already unique in the database. Activities are not given
a database constraint on their key because the app may hold two sessions of
one title on one day; imports into a body take turns under a lock on the body
instead, and an existing activity with the key is updated, not duplicated.

Members are found among the seats of the term the date falls in: by mobile
when one is given (the name must agree), else by name (two members of one
name need the mobile). Everything is checked in a constant number of
queries and written with bulk statements in batches; the members' duty facts
are refreshed once per import."""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from duties.models import Activity, ActivityKind, Participation
from members.models import Member
from members.roster import ChineseDateWidget
from scoring.facts import facts_changed
from sectors.models import Body, Committee, SectorGroup, Term
from summaries.imports import (
    NEW,
    PREVIEW_ROWS,
    UNCHANGED,
    UPDATE,
    HistoryImport,
    ImportFileError,
    ImportReport,
    Line,
    MemberFinder,
    PreviewRow,
    duplicates,
    read_workbook,
)

TITLE = "活动名称"
KIND = "活动类型"
DATE = "日期"
ORGANISER = "组织方"
PLACE = "地点"
NAME = "姓名"
MOBILE = "手机号码"
STATUS = "出席情况"
HEADERS = (TITLE, KIND, DATE, ORGANISER, PLACE, NAME, MOBILE, STATUS)
REQUIRED = (TITLE, KIND, DATE, NAME, STATUS)
PREVIEW_COLUMNS = (DATE, TITLE, KIND, NAME, STATUS)

STATUSES = {
    "出席": Participation.Attendance.ATTENDED,
    "请假": Participation.Attendance.EXCUSED,
    "缺席": Participation.Attendance.ABSENT,
}
ORGANISERS = {str(label): value for value, label in Activity.Organiser.choices}
# Held in the morning: facts read the local date, and an hour keeps it the same day anywhere.
STARTS = datetime.time(9, 0)


def _spaceless(text: str) -> str:
    return "".join(text.split())


@dataclass
class _Planned:
    """One activity of the file: what it should be, and the row it came from first."""

    key: tuple
    first: Line
    term: Term
    kind: ActivityKind
    organiser: str
    committee: Committee | None
    group: SectorGroup | None
    place: str
    existing: Activity | None = None
    lines: list = field(default_factory=list)

    @property
    def title(self) -> str:
        return self.key[1]

    @property
    def day(self) -> datetime.date:
        return self.key[0]

    def fields(self) -> tuple:
        return (
            self.kind.pk,
            self.organiser,
            getattr(self.committee, "pk", None),
            getattr(self.group, "pk", None),
            self.place,
            Activity.Status.CONFIRMED,
        )

    @property
    def changed(self) -> bool:
        a = self.existing
        return (
            a is not None
            and (
                a.kind_id,
                a.organiser,
                a.organiser_committee_id,
                a.organiser_group_id,
                a.venue_text,
                a.status,
            )
            != self.fields()
        )


@dataclass
class _Attendance:
    line: Line
    activity: _Planned
    member: Member
    attendance: str
    existing: Participation | None = None

    @property
    def changed(self) -> bool:
        p = self.existing
        return p is not None and (p.signup, p.attendance) != (
            Participation.Signup.CONFIRMED,
            self.attendance,
        )


class _Lookups(MemberFinder):
    """Everything the rows are checked against, one query each."""

    def __init__(self, body: Body):
        super().__init__(body)
        kinds = list(ActivityKind.objects.filter(body=body))
        self.kinds = {k.code: k for k in kinds} | {k.name: k for k in kinds}
        self.kind_names = [k.name for k in kinds if k.is_active]
        self.committees = {
            (c.term_id, c.name): c for c in Committee.objects.filter(term__body=body)
        }
        self.groups = {(g.term_id, g.name): g for g in SectorGroup.objects.filter(term__body=body)}


def _read(file) -> list[Line]:
    return read_workbook(
        file,
        headers=HEADERS,
        required=REQUIRED,
        key_headers=(TITLE, NAME),
        max_rows=settings.IMPORT_HISTORY_MAX_ROWS,
    )


def _check(body: Body, lines: list[Line]):
    """The activities and attendances the file asks for, and every problem."""
    look = _Lookups(body)
    today = timezone.localdate()
    errors = []
    planned: dict[tuple, _Planned] = {}
    wanted: list[tuple[Line, tuple, Member, str]] = []
    dates = ChineseDateWidget(required=True)
    for line in lines:
        issues = []
        title = line.text(TITLE)
        if not title:
            issues.append(line.issue(TITLE, _("不能为空")))
        elif len(title) > 200:
            issues.append(line.issue(TITLE, _("不能超过%(n)s个字") % {"n": 200}))
        kind = look.kinds.get(line.text(KIND))
        if not line.text(KIND):
            issues.append(line.issue(KIND, _("不能为空")))
        elif kind is None:
            issues.append(
                line.issue(
                    KIND,
                    _("本会没有名为“%(name)s”的活动类型,可填:%(names)s")
                    % {"name": line.text(KIND)[:50], "names": "、".join(look.kind_names)},
                )
            )
        day = term = None
        try:
            day = dates.clean(line.cells.get(DATE))
        except ValueError as e:
            issues.append(line.issue(DATE, str(e)))
        if day is not None:
            if day >= today:
                issues.append(line.issue(DATE, _("只能导入已经举行的活动(今天以前)")))
            else:
                term, issue = look.term_issue(line, DATE, day)
                if issue:
                    issues.append(issue)
        organiser, committee, group = _organiser(line, term, look, issues)
        place = line.text(PLACE)
        if len(place) > 200:
            issues.append(line.issue(PLACE, _("不能超过%(n)s个字") % {"n": 200}))
        attendance = STATUSES.get(_spaceless(line.text(STATUS)))
        if attendance is None:
            issues.append(
                line.issue(
                    STATUS,
                    _("无法识别“%(value)s”,可填:出席、请假、缺席")
                    % {"value": line.text(STATUS)[:20]}
                    if line.text(STATUS)
                    else _("不能为空"),
                )
            )
        member = look.find(line, term, name_column=NAME, mobile_column=MOBILE, issues=issues)
        if issues:
            errors.extend(issues)
            continue
        key = (day, title)
        plan = planned.get(key)
        if plan is None:
            plan = planned[key] = _Planned(
                key, line, term, kind, organiser, committee, group, place
            )
        else:
            for column, same in (
                (KIND, plan.kind == kind),
                (
                    ORGANISER,
                    (plan.organiser, plan.committee, plan.group) == (organiser, committee, group),
                ),
                (PLACE, plan.place == place),
            ):
                if not same:
                    errors.append(
                        line.issue(
                            column,
                            _("与同一活动(同日期、同名称)的%(sheet)s第%(row)s行不一致")
                            % {"sheet": f"[{plan.first.sheet}]", "row": plan.first.row},
                        )
                    )
        wanted.append((line, key, member, attendance))

    twice = duplicates((line, (key, member.pk)) for line, key, member, _a in wanted)
    for line, others in twice.items():
        errors.append(
            line.issue(NAME, _("同一活动同一委员在文件中重复(另见%(rows)s)") % {"rows": others})
        )
    return planned, wanted, errors


def _organiser(line, term, look, issues):
    text = _spaceless(line.text(ORGANISER))
    if not text:
        return Activity.Organiser.OFFICE, None, None
    if text in ORGANISERS:
        return ORGANISERS[text], None, None
    if term is not None:
        if (term.pk, text) in look.committees:
            return Activity.Organiser.COMMITTEE, look.committees[(term.pk, text)], None
        if (term.pk, text) in look.groups:
            return Activity.Organiser.GROUP, None, look.groups[(term.pk, text)]
    issues.append(
        line.issue(
            ORGANISER,
            _("无法识别“%(value)s”:请填机关、专门委员会、界别小组,或该届专门委员会、界别小组的名称")
            % {"value": text[:50]},
        )
    )
    return None, None, None


def _plan(body: Body, file):
    """(report, activities, attendances): the report has the preview rows or the errors."""
    report = ImportReport(columns=list(PREVIEW_COLUMNS))
    try:
        lines = _read(file)
    except ImportFileError as e:
        return report.fail(e.issues), {}, []
    planned, wanted, errors = _check(body, lines)
    if errors:
        return report.fail(errors), {}, []
    existing = defaultdict(list)
    for activity in Activity.objects.filter(
        body=body,
        theme__in={key[1] for key in planned},
        starts_at__date__in={key[0] for key in planned},
    ).order_by("pk"):
        existing[(timezone.localtime(activity.starts_at).date(), activity.theme)].append(activity)
    for key, plan in planned.items():
        if existing.get(key):
            plan.existing = existing[key][0]
            if plan.existing.status in (Activity.Status.CANCELLED, Activity.Status.DRAFT):
                errors.append(
                    plan.first.issue(
                        TITLE,
                        _("系统中该日期的“%(title)s”是%(status)s活动,不能导入出席情况")
                        % {"title": plan.title, "status": plan.existing.get_status_display()},
                    )
                )
    if errors:
        return report.fail(errors), {}, []
    before = {
        (p.activity_id, p.member_id): p
        for p in Participation.objects.filter(
            activity__in=[p.existing for p in planned.values() if p.existing]
        )
    }
    attendances = []
    for line, key, member, attendance in wanted:
        plan = planned[key]
        item = _Attendance(line, plan, member, attendance)
        if plan.existing is not None:
            item.existing = before.get((plan.existing.pk, member.pk))
        attendances.append(item)
        if plan.existing is None or item.existing is None:
            kind = NEW
        elif item.changed or (plan.changed and line is plan.first):
            kind = UPDATE
        else:
            kind = UNCHANGED
        report.rows.append(
            PreviewRow(
                line.sheet,
                line.row,
                kind,
                [
                    key[0].isoformat(),
                    plan.title,
                    plan.kind.name,
                    member.person.name,
                    line.text(STATUS),
                ],
            )
        )
    return report, planned, attendances


def activities_history_preview(*, body: Body, file) -> ImportReport:
    """What importing the workbook into the body would do, row by row, or every
    problem by sheet, row and column. Writes nothing."""
    return _plan(body, file)[0]


@transaction.atomic
def activities_history_apply(*, body: Body, file, by) -> ImportReport:
    """Import the workbook: every row or none. Importing the same file again
    changes nothing. The members' facts are refreshed once, after commit."""
    # Imports into one body take turns (a lock that lets rows pointing at the
    # body be written), so two cannot both create one activity.
    list(Body.objects.select_for_update(no_key=True).filter(pk=body.pk))
    report, planned, attendances = _plan(body, file)
    if report.errors:
        return report
    batch = settings.IMPORT_BATCH_SIZE
    now = timezone.now()
    new_activities, changed_activities = [], []
    for plan in planned.values():
        starts = timezone.make_aware(datetime.datetime.combine(plan.day, STARTS))
        activity = plan.existing or Activity(
            body=body,
            term=plan.term,
            theme=plan.title,
            starts_at=starts,
            ends_at=starts,
            created_by=by,
            audience=Activity.Audience.ALL,
        )
        if plan.existing is None or plan.changed:
            activity.kind = plan.kind
            activity.organiser = plan.organiser
            activity.organiser_committee = plan.committee
            activity.organiser_group = plan.group
            activity.venue_text = plan.place
            activity.status = Activity.Status.CONFIRMED
            (changed_activities if plan.existing else new_activities).append(activity)
        plan.existing = activity
    Activity.objects.bulk_create(new_activities, batch_size=batch)
    Activity.objects.bulk_update(
        changed_activities,
        ["kind", "organiser", "organiser_committee", "organiser_group", "venue_text", "status"],
        batch_size=batch,
    )
    new_rows, changed_rows = [], []
    for item in attendances:
        participation = item.existing
        if participation is None:
            participation = Participation(
                activity=item.activity.existing,
                member=item.member,
                source=Participation.Source.HISTORY,
                signed_up_at=now,
            )
            new_rows.append(participation)
        elif item.changed:
            changed_rows.append(participation)
        else:
            continue
        participation.signup = Participation.Signup.CONFIRMED
        participation.attendance = item.attendance
        if item.attendance == Participation.Attendance.EXCUSED and (
            participation.leave != Participation.Leave.APPROVED
        ):
            participation.leave = Participation.Leave.NONE
        participation.recorded_by, participation.recorded_at = by, now
    Participation.objects.bulk_create(new_rows, batch_size=batch)
    Participation.objects.bulk_update(
        changed_rows,
        ["signup", "attendance", "leave", "recorded_by", "recorded_at"],
        batch_size=batch,
    )
    touched = {p.activity_id for p in new_rows} | {p.activity_id for p in changed_rows}
    if touched:
        confirmed = (
            Participation.objects.filter(
                activity=OuterRef("pk"), signup=Participation.Signup.CONFIRMED
            )
            .order_by()
            .values("activity")
            .annotate(n=Count("pk"))
            .values("n")
        )
        Activity.objects.filter(pk__in=touched, capacity__isnull=True).update(
            signed_up_count=Coalesce(Subquery(confirmed), 0)
        )
    facts_changed(sorted({p.member_id for p in new_rows} | {p.member_id for p in changed_rows}))
    report.applied = True
    report.created = [
        _("新建活动 %(n)s 项,更新活动 %(m)s 项")
        % {"n": len(new_activities), "m": len(changed_activities)},
        _("新增出席记录 %(n)s 条,更新 %(m)s 条") % {"n": len(new_rows), "m": len(changed_rows)},
    ]
    shown = sorted(
        (p.existing for p in planned.values() if p.existing.pk in touched or p.changed),
        key=lambda a: (a.starts_at, a.pk),
    )
    report.records = [
        (
            f"{a.theme}({timezone.localdate(a.starts_at):%Y-%m-%d})",
            reverse("duties:activity", args=[a.pk]),
        )
        for a in shown[:PREVIEW_ROWS]
    ]
    return report


def _example():
    return {
        "2024年": [
            (
                "经济运行情况专题调研",
                "调研",
                "2024-05-16",
                "经济委",
                "市发改委",
                "王建国",
                "13800000001",
                "出席",
            ),
            (
                "经济运行情况专题调研",
                "调研",
                "2024-05-16",
                "经济委",
                "市发改委",
                "李秀英",
                "",
                "请假",
            ),
            (
                "十五届三次全体会议",
                "全体会议",
                "2024-01-10",
                "机关",
                "市会议中心",
                "王建国",
                "",
                "出席",
            ),
        ],
        "2023年": [
            ("老旧小区改造民主监督", "民主监督", "2023-09-08", "界别小组", "", "张伟", "", "缺席"),
        ],
    }


IMPORT = HistoryImport(
    slug="activities",
    title=gettext_lazy("履职活动及出席情况"),
    description=gettext_lazy("往年活动台账:每年一个工作表,每行一项活动的一位委员。"),
    headers=HEADERS,
    required=REQUIRED,
    notes=(
        gettext_lazy(
            "每年一个工作表(工作表名称不限,如“2024年”),没有表头行的工作表(如本说明)会被跳过。"
        ),
        gettext_lazy(
            "每行是一项活动的一位委员;同一活动的各行重复填写活动名称、类型、日期、组织方和地点,内容须一致。"
        ),
        gettext_lazy(
            "日期与活动名称相同的行是同一项活动;已在系统中的同名同日活动会被更新,不会重复建立。"
        ),
        gettext_lazy(
            "活动类型填本会“活动类型”中的名称;组织方填机关、专门委员会、界别小组,或该届专门委员会、界别小组的名称,不填为机关。"
        ),
        gettext_lazy(
            "委员在活动日期所在届的名册中查找:有手机号码按手机号码,否则按姓名;有同名委员时须填手机号码。"
        ),
        gettext_lazy("出席情况填出席、请假或缺席。请勿使用公式,直接填写内容。"),
        gettext_lazy("同一文件可以重复导入:内容相同的行不会改动。"),
    ),
    example=_example(),
    preview=activities_history_preview,
    apply=activities_history_apply,
)
