"""Social-information reports of earlier years (往年社情民意信息) imported from
Excel, with where they were adopted (采用) and a leader's instruction (批示).

One row per report: 标题, 报送日期, 报送人, 手机号码 (to tell apart two members
of one name), 编报期号 (如 2024年第3期; blank: accepted, not edited into the
bulletin), 采用级别 (one or more of 县级/市级/省级/国家级, separated by 、),
采用日期, 采用方式 (单篇采用/综合采用/转送; blank: 单篇采用), 批示级别, 批示领导,
批示日期. Any sheet with the header row is read.

The natural key of a report is (body, title, submitted date, author); an
adoption is (report, level), unique in the database; an instruction is
(report, level, leader, date). Re-importing the same file changes nothing;
adoptions and instructions the file does not name are left alone (they may
have been recorded in the app). The author's facts are refreshed once."""

import datetime
import re

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from members.roster import ChineseDateWidget, ChoiceWidget
from reports.models import (
    Level,
    ReportAdoption,
    ReportEvent,
    ReportInstruction,
    SocialInfoReport,
)
from scoring.facts import facts_changed
from sectors.models import Body
from summaries.imports import (
    NEW,
    PREVIEW_ROWS,
    UNCHANGED,
    UPDATE,
    HistoryImport,
    ImportFileError,
    ImportReport,
    MemberFinder,
    PreviewRow,
    duplicates,
    read_workbook,
    spaceless,
)

TITLE = "标题"
DATE = "报送日期"
AUTHOR = "报送人"
MOBILE = "手机号码"
ISSUE = "编报期号"
ADOPTED = "采用级别"
ADOPTED_ON = "采用日期"
MODE = "采用方式"
INSTRUCTION_LEVEL = "批示级别"
LEADER = "批示领导"
INSTRUCTED_ON = "批示日期"
HEADERS = (
    TITLE, DATE, AUTHOR, MOBILE, ISSUE, ADOPTED, ADOPTED_ON, MODE, INSTRUCTION_LEVEL, LEADER,
    INSTRUCTED_ON,
)  # fmt: skip
REQUIRED = (TITLE, DATE, AUTHOR)
PREVIEW_COLUMNS = (DATE, TITLE, AUTHOR, ISSUE, ADOPTED, LEADER)

LEVEL_ALIASES = {"县级": Level.COUNTY, "区级": Level.COUNTY, "县(市、区)级": Level.COUNTY}
ISSUE_TEXT = re.compile(r"^(\d{4})年?第?(\d{1,3})期?$")
SEPARATORS = re.compile(r"[、,,;;\s]+")
STARTS = datetime.time(9, 0)


def _levels() -> ChoiceWidget:
    return ChoiceWidget(Level.choices, aliases=LEVEL_ALIASES)


def _issue(text: str):
    match = ISSUE_TEXT.match(spaceless(text))
    if not match:
        raise ValueError(_("“%(value)s”无法识别,请填写如 2024年第3期") % {"value": text[:30]})
    return int(match[1]), int(match[2])


def _check_line(line, finder, issues):
    """What one row asks for: a dict, or None when it has problems (added to issues)."""
    dates = ChineseDateWidget(required=True)
    optional_date = ChineseDateWidget()
    want = {"title": line.text(TITLE)}
    if not want["title"]:
        issues.append(line.issue(TITLE, _("不能为空")))
    elif len(want["title"]) > 200:
        issues.append(line.issue(TITLE, _("不能超过%(n)s个字") % {"n": 200}))
    term = None
    try:
        want["day"] = dates.clean(line.cells.get(DATE))
        if want["day"] >= timezone.localdate():
            issues.append(line.issue(DATE, _("只能导入已经报送的信息(今天以前)")))
        else:
            term, issue = finder.term_issue(line, DATE, want["day"])
            if issue:
                issues.append(issue)
    except ValueError as e:
        issues.append(line.issue(DATE, str(e)))
    want["member"] = finder.find(
        line, term, name_column=AUTHOR, mobile_column=MOBILE, issues=issues
    )
    want["term"] = term
    want["issue"] = None
    if line.text(ISSUE):
        try:
            want["issue"] = _issue(line.text(ISSUE))
        except ValueError as e:
            issues.append(line.issue(ISSUE, str(e)))
    levels = _levels()
    want["adoptions"] = {}
    names = [n for n in SEPARATORS.split(line.text(ADOPTED)) if n]
    if names:
        try:
            mode = ChoiceWidget(
                ReportAdoption.Mode.choices, blank=ReportAdoption.Mode.SINGLE
            ).clean(line.cells.get(MODE))
        except ValueError as e:
            issues.append(line.issue(MODE, str(e)))
            mode = None
        try:
            adopted_on = dates.clean(line.cells.get(ADOPTED_ON))
        except ValueError as e:
            issues.append(line.issue(ADOPTED_ON, str(e)))
            adopted_on = None
        for name in names:
            try:
                want["adoptions"][levels.clean(name)] = (mode, adopted_on)
            except ValueError as e:
                issues.append(line.issue(ADOPTED, str(e)))
    want["instruction"] = None
    leader = line.text(LEADER)
    if leader or line.text(INSTRUCTION_LEVEL) or line.text(INSTRUCTED_ON):
        fine = True
        try:
            level = levels.clean(line.cells.get(INSTRUCTION_LEVEL))
        except ValueError as e:
            issues.append(line.issue(INSTRUCTION_LEVEL, str(e)))
            fine = False
        try:
            instructed_on = optional_date.clean(line.cells.get(INSTRUCTED_ON))
            if instructed_on is None:
                raise ValueError(_("不能为空"))
        except ValueError as e:
            issues.append(line.issue(INSTRUCTED_ON, str(e)))
            fine = False
        if not leader:
            issues.append(line.issue(LEADER, _("不能为空")))
        elif len(leader) > 100:
            issues.append(line.issue(LEADER, _("不能超过%(n)s个字") % {"n": 100}))
        elif fine:
            want["instruction"] = (level, leader, instructed_on)
    return want


def _plan(body: Body, file):
    report = ImportReport(columns=list(PREVIEW_COLUMNS))
    try:
        lines = read_workbook(file, headers=HEADERS, required=REQUIRED, key_headers=(TITLE, AUTHOR))
    except ImportFileError as e:
        return report.fail(e.issues), []
    finder = MemberFinder(body)
    errors, wanted = [], []
    for line in lines:
        issues = []
        want = _check_line(line, finder, issues)
        if issues:
            errors.extend(issues)
        else:
            wanted.append((line, want))
    twice = duplicates((line, (w["title"], w["day"], w["member"].person_id)) for line, w in wanted)
    for line, others in twice.items():
        errors.append(line.issue(TITLE, _("同一信息在文件中重复(另见%(rows)s)") % {"rows": others}))
    if errors:
        return report.fail(errors), []
    existing = {}
    for r in (
        SocialInfoReport.objects.filter(
            body=body, title__in={w["title"] for _l, w in wanted}, author_member__isnull=False
        )
        .select_related("author_member")
        .prefetch_related("adoptions", "instructions")
        .order_by("pk")
    ):
        if r.submitted_at is not None:
            key = (r.title, timezone.localdate(r.submitted_at), r.author_member.person_id)
            existing.setdefault(key, r)
    plan = []
    for line, want in wanted:
        before = existing.get((want["title"], want["day"], want["member"].person_id))
        want["before"] = before
        if before is None:
            kind = NEW
        elif _differs(before, want):
            kind = UPDATE
        else:
            kind = UNCHANGED
        plan.append((kind, want))
        report.rows.append(
            PreviewRow(
                line.sheet,
                line.row,
                kind,
                [
                    want["day"].isoformat(),
                    want["title"],
                    want["member"].person.name,
                    line.text(ISSUE),
                    "、".join(str(Level(lv).label) for lv in want["adoptions"]),
                    want["instruction"][1] if want["instruction"] else "",
                ],
            )
        )
    return report, plan


def _status(want) -> str:
    return SocialInfoReport.Status.USED if want["issue"] else SocialInfoReport.Status.ACCEPTED


def _differs(before: SocialInfoReport, want) -> bool:
    issue = (before.bulletin_year, before.bulletin_issue) if before.bulletin_issue else None
    # A report the app took further (not used, withdrawn) keeps its state.
    editable = before.status in (SocialInfoReport.Status.USED, SocialInfoReport.Status.ACCEPTED)
    if editable and (before.status, issue) != (_status(want), want["issue"]):
        return True
    adoptions = {a.level: (a.mode, a.adopted_on) for a in before.adoptions.all()}
    if any(adoptions.get(level) != value for level, value in want["adoptions"].items()):
        return True
    if want["instruction"]:
        instructions = {(i.level, i.leader, i.instructed_on) for i in before.instructions.all()}
        return want["instruction"] not in instructions
    return False


def reports_history_preview(*, body: Body, file) -> ImportReport:
    """What importing the file would do, row by row, or every problem. Writes nothing."""
    return _plan(body, file)[0]


@transaction.atomic
def reports_history_apply(*, body: Body, file, by) -> ImportReport:
    """Import the file: every row or none; the same file again changes nothing."""
    list(Body.objects.select_for_update(no_key=True).filter(pk=body.pk))
    report, plan = _plan(body, file)
    if report.errors:
        return report
    now = timezone.now()
    created, changed = [], []
    for kind, want in plan:
        if kind == NEW:
            submitted = timezone.make_aware(datetime.datetime.combine(want["day"], STARTS))
            want["before"] = SocialInfoReport(
                body=body, term=want["term"], author_member=want["member"], title=want["title"],
                content=want["title"], created_by=by, created_at=submitted,
                submitted_at=submitted, reviewed_at=submitted,
            )  # fmt: skip
            created.append(want["before"])
        elif kind == UPDATE:
            changed.append(want["before"])
        else:
            continue
        r = want["before"]
        if kind == NEW or r.status in (
            SocialInfoReport.Status.USED,
            SocialInfoReport.Status.ACCEPTED,
        ):
            r.status = _status(want)
            r.bulletin_year, r.bulletin_issue = want["issue"] or (None, None)
    SocialInfoReport.objects.bulk_create(created)
    SocialInfoReport.objects.bulk_update(changed, ["status", "bulletin_year", "bulletin_issue"])
    ReportEvent.objects.bulk_create(
        [
            ReportEvent(
                report=r,
                by=by,
                at=now,
                verb=ReportEvent.Verb.ACCEPTED,
                to_status=r.status,
                note=str(_("历史数据导入")),
            )
            for r in created
        ]
    )
    adoptions_new, adoptions_changed, instructions = [], [], []
    for kind, want in plan:
        if kind == UNCHANGED:
            continue
        r = want["before"]
        have = {a.level: a for a in r.adoptions.all()} if kind == UPDATE else {}
        for level, (mode, adopted_on) in want["adoptions"].items():
            adoption = have.get(level)
            if adoption is None:
                adoptions_new.append(
                    ReportAdoption(
                        report=r, level=level, mode=mode, adopted_on=adopted_on, created_by=by
                    )
                )
            elif (adoption.mode, adoption.adopted_on) != (mode, adopted_on):
                adoption.mode, adoption.adopted_on = mode, adopted_on
                adoptions_changed.append(adoption)
        if want["instruction"]:
            level, leader, instructed_on = want["instruction"]
            known = (
                {(i.level, i.leader, i.instructed_on) for i in r.instructions.all()}
                if kind == UPDATE
                else set()
            )
            if want["instruction"] not in known:
                instructions.append(
                    ReportInstruction(
                        report=r,
                        level=level,
                        leader=leader,
                        instructed_on=instructed_on,
                        created_by=by,
                    )
                )
    ReportAdoption.objects.bulk_create(adoptions_new)
    ReportAdoption.objects.bulk_update(adoptions_changed, ["mode", "adopted_on"])
    ReportInstruction.objects.bulk_create(instructions)
    facts_changed(sorted({want["member"].pk for kind, want in plan if kind != UNCHANGED}))
    report.applied = True
    report.records = [
        (f"{r.title}", reverse("reports:detail", args=[r.pk]))
        for r in (created + changed)[:PREVIEW_ROWS]
    ]
    report.created = [
        _("新增信息 %(n)s 条,更新 %(m)s 条") % {"n": len(created), "m": len(changed)},
        _("新增采用 %(n)s 项,更正 %(m)s 项;新增批示 %(k)s 项")
        % {"n": len(adoptions_new), "m": len(adoptions_changed), "k": len(instructions)},
    ]
    return report


IMPORT = HistoryImport(
    slug="reports",
    title=gettext_lazy("社情民意信息及采用、批示"),
    description=gettext_lazy("往年报送的社情民意信息:每行一条,含采用级别和领导批示。"),
    headers=HEADERS,
    required=REQUIRED,
    notes=(
        gettext_lazy("每行一条信息;报送人在报送日期所在届的名册中查找,有同名委员时须填手机号码。"),
        gettext_lazy("编报期号如“2024年第3期”,不填视为已受理未编报。"),
        gettext_lazy(
            "采用级别填县级、市级、省级、国家级,多个用“、”分隔,共用一个采用日期和采用方式(单篇采用、综合采用、转送,不填为单篇采用)。"
        ),
        gettext_lazy("有领导批示的,填批示级别、批示领导和批示日期(每行一项批示)。"),
        gettext_lazy(
            "同一标题、报送日期和报送人的行是同一条信息:重复导入不会改动;文件中没有的采用和批示不会删除。"
        ),
        gettext_lazy("请勿使用公式,直接填写内容。"),
    ),
    example={
        "2024年": [
            (
                "关于加强老旧小区电梯加装的建议",
                "2024-03-12",
                "王建国",
                "13800000001",
                "2024年第3期",
                "市级、省级",
                "2024-04-20",
                "单篇采用",
                "省级",
                "张副省长",
                "2024-05-06",
            ),
        ]
    },
    preview=reports_history_preview,
    apply=reports_history_apply,
)
