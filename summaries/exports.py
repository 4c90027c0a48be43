"""Every staff export in one place: what it is called, who may run it (a
permission code), which filters it takes, how many rows it will have, and its
sheets (title with the body and period, Chinese sheet name, columns with widths
and number formats, rows streamed from the owning app's selectors).

summaries.export_views runs them for a person (a download at once, or a
background job past EXPORT_INLINE_MAX_ROWS); summaries.jobs runs them in a
worker. Both call `export_prepare`, which checks the permission code and the
scope (the bodies the user reads) every time, so a job runs with the
requester's rights as they are when it runs.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Prefetch
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from duties.models import Activity, Participation
from members.permissions import readable_body_ids, require_permission, viewer_for
from members.roster import chinese_date
from proposals.models import Category, Proposal, Rating, Routing
from reports.models import Level, ReportAdoption, ReportInstruction
from scoring import annual_selectors
from scoring import checklists as checklist_reads
from scoring.annual import assessment_read
from scoring.models import Score, ScorePeriod
from scoring.selectors import category_totals, previous_period, review_scores, top_categories
from sectors.models import Body
from summaries.xlsx import DATE_CN, Column, SheetSpec

CHUNK = 2000
SCORE = "0.00"
CHANGE = "+0.00;-0.00;0.00"
WHOLE = "0"
DATE_TIME = "yyyy-mm-dd hh:mm"


@dataclass
class Prepared:
    """An export ready to write: its sheets (rows not read yet), the download's
    file name, and the filters in words for the export log."""

    sheets: list[SheetSpec]
    filename: str
    filters: str


@dataclass(frozen=True)
class ExportKind:
    code: str
    label: str
    permission: str
    needs: tuple[str, ...]  # the filters the export page asks for
    help: str
    count: Callable[..., int]  # (user, params) -> rows, before anything is read
    build: Callable[..., Prepared]  # (user, params) -> Prepared


def _subtitle() -> str:
    return _("导出时间:%(t)s") % {"t": f"{timezone.localtime():%Y年%m月%d日 %H:%M}"}


# Scope -------------------------------------------------------------------------------


def body_for_export(user, body_id) -> Body:
    """The body if the user reads it (staff, leadership, admins); else 404."""
    if body_id is None or int(body_id) not in readable_body_ids(user):
        raise Http404
    body = Body.objects.filter(pk=body_id).first()
    if body is None:
        raise Http404
    return body


def _year(params) -> int:
    year = params.get("year")
    if not year:
        raise Http404
    return int(year)


def _period(body: Body, year: int, quarter: int) -> ScorePeriod:
    """The current version of the body's quarter (or of its annual assessment, 0)."""
    period = (
        ScorePeriod.objects.filter(body=body, year=year, quarter=quarter, computed_at__isnull=False)
        .select_related("rulebook", "body")
        .order_by("-version")
        .first()
    )
    if period is None:
        raise Http404
    return period


# 季度通报: the quarter's scores by category, total, rank, change --------------------


def _bulletin_period(user, params) -> ScorePeriod:
    body = body_for_export(user, params.get("body"))
    quarter = int(params.get("quarter") or 0)
    if quarter not in (1, 2, 3, 4):
        raise Http404
    return _period(body, _year(params), quarter)


def _bulletin_count(user, params) -> int:
    return Score.objects.filter(period=_bulletin_period(user, params)).count()


def _ranked(scores):
    """Rank among assessed members, ties sharing one (the order is total, best first)."""
    rank, position, last = None, 0, None
    for score in scores:
        if score.assessed:
            position += 1
            if score.total != last:
                rank, last = position, score.total
            score.rank = rank
        else:
            score.rank = None
        yield score


def _member_columns(number_width=10) -> list[Column]:
    return [
        Column(_("委员编号"), number_width, lambda s: s.member.number),
        Column(_("姓名"), 10, lambda s: s.member.person.name),
        Column(_("界别"), 14, lambda s: s.member.sector.name),
        Column(_("界别小组"), 14, lambda s: s.member.group.name if s.member.group_id else ""),
    ]


def _exempt(score) -> str:
    return "" if score.assessed else str(Score.Exempt(score.exempt_reason or "").label)


def bulletin_sheet(*, period: ScorePeriod) -> SheetSpec:
    previous = previous_period(period)
    categories = top_categories(period)
    scores = review_scores(period, previous=previous, filters={"sort": "-total"})
    columns = [
        Column(_("排名"), 6, lambda s: s.rank, WHOLE),
        *_member_columns(),
        *[
            Column(c.name, 12, lambda s, code=c.code: category_totals(s).get(code), SCORE)
            for c in categories
        ],
        Column(_("总分"), 10, lambda s: s.total, SCORE),
        Column(
            _("较上季度"),
            10,
            lambda s: s.change if previous is not None else None,
            CHANGE,
        ),
        Column(_("备注"), 18, _exempt),
    ]
    start, end = period.dates
    return SheetSpec(
        name=_("季度通报"),
        title=_("%(body)s%(year)s年第%(q)s季度委员履职情况通报")
        % {"body": period.body.name, "year": period.year, "q": period.quarter},
        subtitle=_("统计期间:%(start)s至%(end)s;%(now)s")
        % {"start": chinese_date(start), "end": chinese_date(end), "now": _subtitle()},
        columns=columns,
        rows=_ranked(scores.iterator(chunk_size=CHUNK)),
    )


def _bulletin_build(user, params) -> Prepared:
    period = _bulletin_period(user, params)
    sheet = bulletin_sheet(period=period)
    return Prepared([sheet], f"{sheet.title}.xlsx", f"{period.body.name} {period.label}")


# 年度考核表: grade, rank, vetoes, follow-ups, candidates ------------------------------


def _annual_period(user, params) -> ScorePeriod:
    body = body_for_export(user, params.get("body"))
    return _period(body, _year(params), ScorePeriod.ANNUAL)


def _annual_count(user, params) -> int:
    return Score.objects.filter(period=_annual_period(user, params)).count()


def annual_sheet(*, period: ScorePeriod) -> SheetSpec:
    assessment = assessment_read(period=period)
    parsed = assessment.parsed
    follow_ups = {r.code: r.name for r in parsed.follow_ups} if parsed else {}
    candidates = {r.code: r.name for r in parsed.candidates} if parsed else {}
    columns = [
        Column(_("排名"), 6, lambda s: s.rank, WHOLE),
        *_member_columns(),
        Column(_("总分"), 10, lambda s: s.total if s.assessed else None, SCORE),
        Column(_("等次"), 10, lambda s: s.grade if s.assessed else ""),
        Column(_("一票否决"), 22, lambda s: "、".join(s.veto_names)),
        Column(_("后续处理"), 18, lambda s: "、".join(follow_ups.get(c, c) for c in s.follow_ups)),
        Column(_("推荐候选"), 18, lambda s: "、".join(candidates.get(c, c) for c in s.candidates)),
        Column(_("备注"), 18, _exempt),
    ]
    return SheetSpec(
        name=_("年度考核表"),
        title=_("%(body)s%(year)s年度委员履职考核表")
        % {"body": period.body.name, "year": period.year},
        subtitle=_subtitle(),
        columns=columns,
        rows=iter(assessment.scores),
    )


def _annual_build(user, params) -> Prepared:
    period = _annual_period(user, params)
    sheet = annual_sheet(period=period)
    return Prepared([sheet], f"{sheet.title}.xlsx", f"{period.body.name} {period.label}")


# 六个一: who misses what, and the rates by sector and group ---------------------------


def _compliance_count(user, params) -> int:
    period = _annual_period(user, params)
    return Score.objects.filter(period=period, assessed=True).count()


def compliance_sheets(*, period: ScorePeriod) -> list[SheetSpec]:
    if period.rulebook_id is None:
        raise Http404
    scores = list(annual_selectors.period_scores(period=period, assessed_only=True))
    sheets = []
    for checklist in period.rulebook.parsed().checklists:
        table = checklist_reads.compliance(scores, checklist)
        title = _("%(body)s%(year)s年度委员“%(name)s”落实情况") % {
            "body": period.body.name,
            "year": period.year,
            "name": checklist.name,
        }
        sheets.append(
            SheetSpec(
                name=_("%(name)s未完成名单") % {"name": checklist.name},
                title=title,
                subtitle=_subtitle(),
                columns=[
                    Column(_("委员编号"), 10, lambda m: m.score.member.number),
                    Column(_("姓名"), 10, lambda m: m.score.member.person.name),
                    Column(_("界别"), 14, lambda m: m.score.member.sector.name),
                    Column(
                        _("界别小组"),
                        14,
                        lambda m: m.score.member.group.name if m.score.member.group_id else "",
                    ),
                    Column(_("未完成必做项数"), 10, lambda m: len(m.required), WHOLE),
                    Column(_("未完成的必做项"), 36, lambda m: "、".join(m.required)),
                    Column(_("未达成的争取项"), 24, lambda m: "、".join(m.aims)),
                ],
                rows=iter(table.missing),
            )
        )
        rows = [
            (_("全体"), table.total),
            *((_("界别"), row) for row in table.sectors),
            *((_("界别小组"), row) for row in table.groups),
        ]
        sheets.append(
            SheetSpec(
                name=_("%(name)s落实率") % {"name": checklist.name},
                title=title,
                subtitle=_subtitle(),
                columns=[
                    Column(_("范围"), 8, lambda r: r[0]),
                    Column(_("名称"), 16, lambda r: r[1].label),
                    Column(_("委员人数"), 8, lambda r: r[1].members, WHOLE),
                    Column(_("必做项全部完成"), 10, lambda r: r[1].complete, WHOLE),
                    Column(
                        _("完成率"),
                        8,
                        lambda r: r[1].complete / r[1].members if r[1].members else None,
                        "0.0%",
                    ),
                    *[
                        Column(
                            item.name if item.required else _("%(n)s(争取)") % {"n": item.name},
                            12,
                            lambda r, code=item.code: r[1].met.get(code, 0),
                            WHOLE,
                        )
                        for item in table.items
                    ],
                ],
                rows=iter(rows),
            )
        )
    return sheets


def _compliance_build(user, params) -> Prepared:
    period = _annual_period(user, params)
    sheets = compliance_sheets(period=period)
    if not sheets:
        raise Http404
    return Prepared(sheets, f"{sheets[0].title}.xlsx", f"{period.body.name} {period.year}")


# 提案: list with handling status, units and satisfaction -----------------------------


def _proposers_text(row) -> str:
    if row.proposer_kind == Proposal.ProposerKind.GROUP:
        return row.proposer_group.name if row.proposer_group else ""
    if row.proposer_kind == Proposal.ProposerKind.PARTY:
        return row.get_proposer_party_display()
    return row.first_proposer_name or ""


def _units_text(row) -> str:
    lead = [r.unit.name for r in row.export_routings if r.role == Routing.Role.LEAD]
    other = [r.unit.name for r in row.export_routings if r.role != Routing.Role.LEAD]
    return "、".join(lead) + (_(";协办:%(u)s") % {"u": "、".join(other)} if other else "")


def _label_of(choices) -> Callable:
    labels = {value: str(label) for value, label in choices}
    return lambda value: labels.get(value, "")


def proposal_columns() -> list[Column]:
    kind, category, status = (
        _label_of(Proposal.Kind.choices),
        _label_of(Category.choices),
        _label_of(Proposal.Status.choices),
    )
    satisfaction = _label_of(Rating.Satisfaction.choices)
    return [
        Column(_("案号"), 10, lambda p: p.number_label),
        Column(_("案由"), 40, "title"),
        Column(_("类型"), 10, lambda p: kind(p.kind)),
        Column(_("类别"), 12, lambda p: category(p.category)),
        Column(_("提案者"), 16, _proposers_text),
        Column(_("联名人数"), 8, "cosigner_count", WHOLE),
        Column(_("办理状态"), 10, lambda p: status(p.status)),
        Column(_("承办单位"), 30, _units_text),
        Column(_("重点提案"), 8, lambda p: _("是") if p.is_key else ""),
        Column(_("督办领导"), 10, "key_leader"),
        Column(_("优秀提案"), 8, lambda p: _("是") if p.is_excellent else ""),
        Column(_("满意度"), 10, lambda p: satisfaction(p.satisfaction)),
        Column(
            _("提交日期"),
            14,
            lambda p: timezone.localdate(p.submitted_at) if p.submitted_at else None,
            DATE_CN,
        ),
        Column(_("届次会议"), 22, lambda p: str(p.session)),
    ]


def proposal_sheet(*, queryset, title: str) -> SheetSpec:
    """The proposal list of an already scoped and filtered queryset
    (proposals.selectors.proposals_listed), with each proposal's units."""
    routings = Routing.objects.exclude(status=Routing.Status.WITHDRAWN).select_related("unit")
    rows = queryset.prefetch_related(
        Prefetch("routings", queryset=routings.order_by("role", "pk"), to_attr="export_routings")
    )
    return SheetSpec(
        name=_("提案"),
        title=title,
        subtitle=_subtitle(),
        columns=proposal_columns(),
        rows=rows.iterator(chunk_size=CHUNK),
    )


def _proposals_of(user, params):
    from proposals.selectors import proposals_listed

    body = body_for_export(user, params.get("body"))
    year = _year(params)
    queryset = proposals_listed(user).filter(session__term__body=body, session__year=year)
    return body, year, queryset


def _proposals_count(user, params) -> int:
    return _proposals_of(user, params)[2].count()


def _proposals_build(user, params) -> Prepared:
    body, year, queryset = _proposals_of(user, params)
    title = _("%(body)s%(year)s年提案办理情况") % {"body": body.name, "year": year}
    return Prepared(
        [proposal_sheet(queryset=queryset, title=title)], f"{title}.xlsx", f"{body.name} {year}"
    )


# 社情民意信息: list with adoption and instructions -----------------------------------


def _adoptions_text(row) -> str:
    level = _label_of(Level.choices)
    mode = _label_of(ReportAdoption.Mode.choices)
    return "、".join(
        f"{level(a.level)}{mode(a.mode)}({chinese_date(a.adopted_on)})"
        for a in row.export_adoptions
    )


def _instructions_text(row) -> str:
    level = _label_of(Level.choices)
    return "、".join(
        f"{level(i.level)} {i.leader}({chinese_date(i.instructed_on)})"
        for i in row.export_instructions
    )


def report_columns() -> list[Column]:
    from reports.models import SocialInfoReport

    status = _label_of(SocialInfoReport.Status.choices)
    return [
        Column(_("报送时间"), 17, "submitted_at", DATE_TIME),
        Column(_("标题"), 40, "title"),
        Column(_("报送人"), 14, lambda r: r.author_name),
        Column(_("政协"), 16, lambda r: r.body.name),
        Column(_("状态"), 10, lambda r: status(r.status)),
        Column(_("编报期号"), 14, lambda r: r.bulletin_label),
        Column(_("最高采用级别"), 14, lambda r: r.top_adoption_label),
        Column(_("采用情况"), 36, _adoptions_text),
        Column(_("最高批示级别"), 14, lambda r: r.top_instruction_label),
        Column(_("批示情况"), 36, _instructions_text),
        Column(_("未采用原因"), 30, "not_used_reason"),
        Column(_("来源"), 10, lambda r: _("提案转来") if r.from_proposal_id else ""),
    ]


def report_sheet(*, queryset, title: str) -> SheetSpec:
    """The report list of an already scoped queryset (reports.selectors.report_list)."""
    rows = queryset.prefetch_related(
        Prefetch(
            "adoptions",
            queryset=ReportAdoption.objects.order_by("adopted_on", "pk"),
            to_attr="export_adoptions",
        ),
        Prefetch(
            "instructions",
            queryset=ReportInstruction.objects.order_by("instructed_on", "pk"),
            to_attr="export_instructions",
        ),
    )
    return SheetSpec(
        name=_("社情民意信息"),
        title=title,
        subtitle=_subtitle(),
        columns=report_columns(),
        rows=rows.iterator(chunk_size=CHUNK),
    )


def _reports_of(user, params):
    from reports.selectors import report_list

    body = body_for_export(user, params.get("body"))
    year = _year(params)
    return body, year, report_list(user=user, year=year, body_id=body.pk)


def _reports_count(user, params) -> int:
    return _reports_of(user, params)[2].count()


def _reports_build(user, params) -> Prepared:
    body, year, queryset = _reports_of(user, params)
    title = _("%(body)s%(year)s年社情民意信息报送情况") % {"body": body.name, "year": year}
    return Prepared(
        [report_sheet(queryset=queryset, title=title)], f"{title}.xlsx", f"{body.name} {year}"
    )


# 出席情况: one activity, or every activity of a body between two dates ---------------

ATTENDANCE_FIELDS = (
    "member__number",
    "member__person__name",
    "member__sector__name",
    "member__group__name",
    "activity__theme",
    "activity__kind__name",
    "activity__starts_at",
    "attendance",
    "leave_reason",
    "checked_in_at",
    "role",
)


def _day(value) -> datetime.date | None:
    return timezone.localdate(value) if value else None


def attendance_columns() -> list[Column]:
    attendance = _label_of(Participation.Attendance.choices)
    role = _label_of(Participation.Role.choices)
    return [
        Column(_("委员编号"), 10, "member__number"),
        Column(_("姓名"), 10, "member__person__name"),
        Column(_("界别"), 14, "member__sector__name"),
        Column(_("界别小组"), 14, lambda r: r["member__group__name"] or ""),
        Column(_("活动"), 36, "activity__theme"),
        Column(_("活动类型"), 12, "activity__kind__name"),
        Column(_("日期"), 15, lambda r: _day(r["activity__starts_at"]), DATE_CN),
        Column(_("出席情况"), 8, lambda r: attendance(r["attendance"])),
        Column(_("请假事由"), 20, "leave_reason"),
        Column(_("签到时间"), 17, "checked_in_at", DATE_TIME),
        Column(_("角色"), 8, lambda r: role(r["role"])),
    ]


def attendance_rows(*, body: Body, activity: Activity | None = None, start=None, end=None):
    """The confirmed list of one activity, or of every activity of the body that
    started between `start` and `end` (inclusive, local dates), not cancelled:
    plain values in one streamed query."""
    rows = Participation.objects.filter(
        activity__body=body, signup=Participation.Signup.CONFIRMED
    ).exclude(activity__status=Activity.Status.CANCELLED)
    if activity is not None:
        rows = rows.filter(activity=activity)
    if start is not None:
        rows = rows.filter(activity__starts_at__date__gte=start)
    if end is not None:
        rows = rows.filter(activity__starts_at__date__lte=end)
    return rows.order_by("activity__starts_at", "activity_id", "member__number", "pk").values(
        *ATTENDANCE_FIELDS
    )


def _attendance_of(user, params):
    body = body_for_export(user, params.get("body"))
    activity = None
    if params.get("activity"):
        activity = Activity.objects.filter(pk=params["activity"], body=body).first()
        if activity is None:
            raise Http404
        return body, activity, None, None
    start, end = params.get("date_from"), params.get("date_to")
    if not (start and end):
        raise Http404
    return (
        body,
        None,
        datetime.date.fromisoformat(str(start)),
        datetime.date.fromisoformat(str(end)),
    )


def _attendance_count(user, params) -> int:
    body, activity, start, end = _attendance_of(user, params)
    return attendance_rows(body=body, activity=activity, start=start, end=end).count()


def attendance_sheet(*, body: Body, activity=None, start=None, end=None) -> SheetSpec:
    if activity is not None:
        title = _("%(theme)s出席情况") % {"theme": activity.theme}
        subtitle = _("%(body)s,活动日期:%(day)s;%(now)s") % {
            "body": body.name,
            "day": chinese_date(timezone.localdate(activity.starts_at)),
            "now": _subtitle(),
        }
    else:
        title = _("%(body)s委员参加履职活动出席情况") % {"body": body.name}
        subtitle = _("活动日期:%(start)s至%(end)s;%(now)s") % {
            "start": chinese_date(start),
            "end": chinese_date(end),
            "now": _subtitle(),
        }
    rows = attendance_rows(body=body, activity=activity, start=start, end=end)
    return SheetSpec(
        name=_("出席情况"),
        title=title,
        subtitle=subtitle,
        columns=attendance_columns(),
        rows=rows.iterator(chunk_size=CHUNK),
    )


def _attendance_build(user, params) -> Prepared:
    body, activity, start, end = _attendance_of(user, params)
    sheet = attendance_sheet(body=body, activity=activity, start=start, end=end)
    if activity is not None:
        filters = f"{body.name} {activity.theme}"
    else:
        filters = f"{body.name} {start}–{end}"
    return Prepared([sheet], f"{sheet.title}.xlsx", filters)


# The registry ------------------------------------------------------------------------

KINDS = {
    kind.code: kind
    for kind in (
        ExportKind(
            "bulletin",
            _lazy("季度通报"),
            "summaries.export_scores",
            ("body", "year", "quarter"),
            _lazy("每名委员的分类得分、总分、排名及较上季度变化(当季最新计算版本)"),
            _bulletin_count,
            _bulletin_build,
        ),
        ExportKind(
            "annual",
            _lazy("年度考核表"),
            "summaries.export_scores",
            ("body", "year"),
            _lazy("总分、等次、排名、一票否决、提醒谈话等后续处理与推荐候选"),
            _annual_count,
            _annual_build,
        ),
        ExportKind(
            "compliance",
            _lazy("“六个一”落实情况"),
            "summaries.export_scores",
            ("body", "year"),
            _lazy("未完成必做项的委员名单,及按界别、界别小组的落实率"),
            _compliance_count,
            _compliance_build,
        ),
        ExportKind(
            "proposals",
            _lazy("提案办理情况"),
            "summaries.export_proposals",
            ("body", "year"),
            _lazy("当年会议的提案:办理状态、承办单位、满意度"),
            _proposals_count,
            _proposals_build,
        ),
        ExportKind(
            "reports",
            _lazy("社情民意信息"),
            "summaries.export_reports",
            ("body", "year"),
            _lazy("当年报送的信息:采用级别与方式、领导批示"),
            _reports_count,
            _reports_build,
        ),
        ExportKind(
            "attendance",
            _lazy("出席情况"),
            "summaries.export_attendance",
            ("body", "activity", "date_from", "date_to"),
            _lazy("一次活动的出席名单,或一段时间内全部活动的出席情况"),
            _attendance_count,
            _attendance_build,
        ),
    )
}


def export_kind(code: str) -> ExportKind:
    kind = KINDS.get(code)
    if kind is None:
        raise Http404
    return kind


def export_prepare(*, user, kind: ExportKind, params: dict) -> Prepared:
    """The export's sheets for this user: 403 without the permission code, 404
    for a body (or activity, period) the user does not read."""
    require_permission(user, kind.permission)
    return kind.build(user, params)


def export_count(*, user, kind: ExportKind, params: dict) -> int:
    require_permission(user, kind.permission)
    return kind.count(user, params)


def kinds_for(user) -> list[ExportKind]:
    """The exports this user may run, for the export page."""
    viewer = viewer_for(user)
    return [kind for kind in KINDS.values() if viewer.has_permission(kind.permission)]
