"""Proposals of earlier sessions (往年提案) imported from Excel: status,
proposers, handling units and the proposer's satisfaction.

One row per proposal: 年度 (the plenary session of that year), 类型
(大会提案/平时提案; blank: 大会提案), 案号, 案由, 类别, 提交日期, 第一提案人,
手机号码 (of the first proposer, to tell apart two members of one name),
联名提案人 (names separated by 、), 状态 (已立案/已交办/已答复/已办结/不立案),
立案日期 (blank: the submission date), 主办单位 and 协办单位 (unit names
separated by 、), 满意度 (满意/基本满意/不满意). Any sheet with the header row
is read.

The natural key is (session, kind, number), unique in the database; a
proposal without a number (不立案) is keyed by (session, title, first
proposer). Re-importing the same file changes nothing. An update changes the
status, dates, title and category, adds proposers and units the file names
and sets the satisfaction; it removes nothing recorded in the app, and a
different first proposer is refused (change it in the app). Proposers'
facts are refreshed once per import."""

import datetime
import re

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from members.roster import ChineseDateWidget, ChoiceWidget
from proposals.models import (
    Category,
    HandlingUnit,
    Proposal,
    ProposalEvent,
    Proposer,
    Rating,
    Routing,
)
from proposals.services.handling import add_months, reply_months
from scoring.facts import facts_changed
from sectors.models import Body, PlenarySession
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

YEAR = "年度"
KIND = "类型"
NUMBER = "案号"
LARGEST_NUMBER = 999_999  # no session numbers more proposals than this
TITLE = "案由"
CATEGORY = "类别"
SUBMITTED = "提交日期"
FIRST = "第一提案人"
MOBILE = "手机号码"
COSIGNERS = "联名提案人"
STATUS = "状态"
ACCEPTED = "立案日期"
LEAD = "主办单位"
ASSIST = "协办单位"
SATISFACTION = "满意度"
HEADERS = (
    YEAR, KIND, NUMBER, TITLE, CATEGORY, SUBMITTED, FIRST, MOBILE, COSIGNERS, STATUS, ACCEPTED,
    LEAD, ASSIST, SATISFACTION,
)  # fmt: skip
REQUIRED = (YEAR, NUMBER, TITLE, SUBMITTED, FIRST, STATUS)
PREVIEW_COLUMNS = (YEAR, NUMBER, TITLE, FIRST, STATUS, LEAD)

S = Proposal.Status
STATUSES = {
    "已立案": S.ACCEPTED,
    "已交办": S.ROUTED,
    "已答复": S.REPLIED,
    "已办结": S.CLOSED,
    "不立案": S.REJECTED,
}
ROUTED = (S.ROUTED, S.REPLIED, S.CLOSED)
ROUTING_STATUS = {
    S.ROUTED: Routing.Status.ROUTED,
    S.REPLIED: Routing.Status.REPLIED,
    S.CLOSED: Routing.Status.DONE,
}
SEPARATORS = re.compile(r"[、,,;;\s]+")
STARTS = datetime.time(9, 0)


def _names(text: str) -> list[str]:
    return list(dict.fromkeys(n for n in SEPARATORS.split(text) if n))


class _Lookups(MemberFinder):
    def __init__(self, body: Body):
        super().__init__(body)
        self.sessions = {}
        for session in PlenarySession.objects.filter(term__body=body).order_by("number"):
            self.sessions.setdefault(session.year, session)
        self.units = {u.name: u for u in HandlingUnit.objects.filter(body=body)}


def _check_line(line, look: _Lookups, issues: list) -> dict:
    dates = ChineseDateWidget(required=True)
    want = {}
    session = None
    year_text = line.text(YEAR).removesuffix("年")
    if not (year_text.isascii() and year_text.isdigit()):
        issues.append(
            line.issue(
                YEAR,
                _("“%(value)s”不是年份,请填写如 2024") % {"value": line.text(YEAR)[:20]}
                if year_text
                else _("不能为空"),
            )
        )
    else:
        session = look.sessions.get(int(year_text))
        if session is None:
            issues.append(
                line.issue(
                    YEAR, _("本会没有 %(year)s 年的全体会议,请先建立该次会议") % {"year": year_text}
                )
            )
    want["session"] = session
    try:
        want["kind"] = ChoiceWidget(Proposal.Kind.choices, blank=Proposal.Kind.PLENARY).clean(
            line.cells.get(KIND)
        )
    except ValueError as e:
        issues.append(line.issue(KIND, str(e)))
    try:
        want["category"] = ChoiceWidget(Category.choices, blank=Category.OTHER).clean(
            line.cells.get(CATEGORY)
        )
    except ValueError as e:
        issues.append(line.issue(CATEGORY, str(e)))
    want["title"] = line.text(TITLE)
    if not want["title"]:
        issues.append(line.issue(TITLE, _("不能为空")))
    elif len(want["title"]) > 200:
        issues.append(line.issue(TITLE, _("不能超过%(n)s个字") % {"n": 200}))
    status = STATUSES.get(spaceless(line.text(STATUS)))
    if status is None:
        issues.append(
            line.issue(
                STATUS,
                _("无法识别“%(value)s”,可填:%(allowed)s")
                % {"value": line.text(STATUS)[:20], "allowed": "、".join(STATUSES)}
                if line.text(STATUS)
                else _("不能为空"),
            )
        )
    want["status"] = status
    number = line.text(NUMBER)
    want["number"] = None
    if number:
        digits = number.lstrip("0")
        if not (number.isascii() and number.isdigit()) or not digits:
            issues.append(
                line.issue(NUMBER, _("案号应为正整数,不是“%(value)s”") % {"value": number[:20]})
            )
        elif len(digits) > len(str(LARGEST_NUMBER)) or int(digits) > LARGEST_NUMBER:
            # The column holds a 4-byte integer: a larger one would fail the write.
            issues.append(
                line.issue(
                    NUMBER,
                    _("案号过大:“%(value)s”,案号不能超过 %(largest)s")
                    % {"value": number[:20], "largest": LARGEST_NUMBER},
                )
            )
        else:
            want["number"] = int(digits)
    if status == S.REJECTED and want["number"]:
        issues.append(line.issue(NUMBER, _("不立案的提案没有案号")))
    elif status not in (None, S.REJECTED) and not number:
        issues.append(line.issue(NUMBER, _("已立案的提案须填写案号")))
    try:
        want["submitted"] = dates.clean(line.cells.get(SUBMITTED))
        if want["submitted"] >= timezone.localdate():
            issues.append(line.issue(SUBMITTED, _("只能导入已经提交的提案(今天以前)")))
    except ValueError as e:
        issues.append(line.issue(SUBMITTED, str(e)))
        want["submitted"] = None
    try:
        accepted = ChineseDateWidget().clean(line.cells.get(ACCEPTED))
    except ValueError as e:
        issues.append(line.issue(ACCEPTED, str(e)))
        accepted = None
    want["accepted"] = (accepted or want["submitted"]) if status not in (None, S.REJECTED) else None
    if accepted and want["submitted"] and accepted < want["submitted"]:
        issues.append(line.issue(ACCEPTED, _("立案日期不能早于提交日期")))
    term = session.term if session else None
    want["first"] = look.find(line, term, name_column=FIRST, mobile_column=MOBILE, issues=issues)
    want["cosigners"] = []
    if term is not None:
        for name in _names(line.text(COSIGNERS)):
            member = look.by_name_in(line, term, name, column=COSIGNERS, issues=issues)
            if member is not None and member != want["first"] and member not in want["cosigners"]:
                want["cosigners"].append(member)
    want["units"] = {}
    for column, role in ((LEAD, Routing.Role.LEAD), (ASSIST, Routing.Role.ASSIST)):
        for name in _names(line.text(column)):
            unit = look.units.get(name)
            if unit is None:
                issues.append(
                    line.issue(column, _("本会没有名为“%(name)s”的承办单位") % {"name": name[:50]})
                )
            else:
                want["units"].setdefault(unit, role)
    leads = [u for u, r in want["units"].items() if r == Routing.Role.LEAD]
    if status in ROUTED and not leads and not line.text(LEAD):
        issues.append(line.issue(LEAD, _("已交办的提案须填写主办单位")))
    if status not in ROUTED and want["units"]:
        issues.append(line.issue(LEAD, _("只有已交办、已答复、已办结的提案才有承办单位")))
    if len(leads) == 1 and len(want["units"]) == 1:
        want["units"][leads[0]] = Routing.Role.SOLE
    want["satisfaction"] = ""
    if line.text(SATISFACTION):
        try:
            want["satisfaction"] = ChoiceWidget(Rating.Satisfaction.choices).clean(
                line.cells.get(SATISFACTION)
            )
        except ValueError as e:
            issues.append(line.issue(SATISFACTION, str(e)))
        if status not in (S.REPLIED, S.CLOSED):
            issues.append(line.issue(SATISFACTION, _("只有已答复、已办结的提案才有满意度")))
    return want


def _key(want) -> tuple:
    if want["number"]:
        return (want["session"].pk, want["kind"], want["number"])
    return (want["session"].pk, want["title"], want["first"].person_id)


def _state(p: Proposal) -> tuple:
    return (
        p.title,
        p.category,
        p.status,
        timezone.localdate(p.submitted_at) if p.submitted_at else None,
        timezone.localdate(p.accepted_at) if p.accepted_at else None,
    )


def _plan(body: Body, file):
    report = ImportReport(columns=list(PREVIEW_COLUMNS))
    try:
        lines = read_workbook(file, headers=HEADERS, required=REQUIRED, key_headers=(NUMBER, TITLE))
    except ImportFileError as e:
        return report.fail(e.issues), []
    look = _Lookups(body)
    errors, wanted = [], []
    for line in lines:
        issues = []
        want = _check_line(line, look, issues)
        if issues:
            errors.extend(issues)
        else:
            wanted.append((line, want))
    for line, others in duplicates((line, _key(w)) for line, w in wanted).items():
        errors.append(
            line.issue(NUMBER, _("同一提案在文件中重复(另见%(rows)s)") % {"rows": others})
        )
    if errors:
        return report.fail(errors), []
    existing = {}
    candidates = (
        Proposal.objects.filter(session__in={w["session"].pk for _l, w in wanted})
        .exclude(status=S.MERGED)
        .prefetch_related("proposers", "routings", "ratings")
        .order_by("pk")
    )
    for p in candidates.filter(number__in={w["number"] for _l, w in wanted if w["number"]}):
        existing[(p.session_id, p.kind, p.number)] = p
    titles = {w["title"] for _l, w in wanted if not w["number"]}
    if titles:
        for p in candidates.filter(number__isnull=True, title__in=titles):
            first = next(
                (r.member for r in p.proposers.all() if r.role == Proposer.Role.FIRST), None
            )
            if first is not None:
                existing.setdefault((p.session_id, p.title, first.person_id), p)
    plan = []
    for line, want in wanted:
        before = existing.get(_key(want))
        want["before"] = before
        if before is None:
            kind = NEW
        else:
            first = next((r for r in before.proposers.all() if r.role == Proposer.Role.FIRST), None)
            if first is not None and first.member_id != want["first"].pk:
                errors.append(
                    line.issue(
                        FIRST,
                        _("系统中该提案的第一提案人不是“%(name)s”,请在系统中修改")
                        % {"name": want["first"].person.name},
                    )
                )
                continue
            kind = UPDATE if _differs(before, want) else UNCHANGED
        plan.append((kind, want))
        report.rows.append(
            PreviewRow(
                line.sheet,
                line.row,
                kind,
                [
                    want["session"].year,
                    want["number"] or "",
                    want["title"],
                    want["first"].person.name,
                    line.text(STATUS),
                    "、".join(u.name for u in want["units"]),
                ],
            )
        )
    if errors:
        return report.fail(errors), []
    return report, plan


def _differs(before: Proposal, want) -> bool:
    if _state(before) != (
        want["title"], want["category"], want["status"], want["submitted"], want["accepted"],
    ):  # fmt: skip
        return True
    members = {r.member_id for r in before.proposers.all()}
    if any(m.pk not in members for m in [want["first"], *want["cosigners"]]):
        return True
    units = {r.unit_id for r in before.routings.all() if r.status != Routing.Status.WITHDRAWN}
    if any(u.pk not in units for u in want["units"]):
        return True
    rating = next((r.satisfaction for r in before.ratings.all() if r.round == 1), "")
    return bool(want["satisfaction"]) and rating != want["satisfaction"]


def proposals_history_preview(*, body: Body, file) -> ImportReport:
    """What importing the file would do, row by row, or every problem. Writes nothing."""
    return _plan(body, file)[0]


def _at(day):
    return timezone.make_aware(datetime.datetime.combine(day, STARTS)) if day else None


@transaction.atomic
def proposals_history_apply(*, body: Body, file, by) -> ImportReport:
    """Import the file: every row or none; the same file again changes nothing."""
    list(Body.objects.select_for_update(no_key=True).filter(pk=body.pk))
    report, plan = _plan(body, file)
    if report.errors:
        return report
    now = timezone.now()
    created, changed = [], []
    for kind, want in plan:
        if kind == UNCHANGED:
            continue
        p = want["before"] or Proposal(body=body, session=want["session"], kind=want["kind"],
                                       number=want["number"], created_by=by, content=want["title"])  # fmt: skip
        p.title, p.category, p.status = want["title"], want["category"], want["status"]
        p.submitted_at, p.accepted_at = _at(want["submitted"]), _at(want["accepted"])
        p.created_at = p.created_at if want["before"] else p.submitted_at
        p.closed_at = _at(want["accepted"]) if want["status"] == S.CLOSED else p.closed_at
        (changed if want["before"] else created).append(p)
        want["proposal"] = p
    Proposal.objects.bulk_create(created)
    Proposal.objects.bulk_update(
        changed, ["title", "category", "status", "submitted_at", "accepted_at", "closed_at"]
    )
    proposers, routings, ratings, ratings_changed, events = [], [], [], [], []
    months = reply_months()
    for kind, want in plan:
        if kind == UNCHANGED:
            continue
        p, before = want["proposal"], want["before"]
        have = {r.member_id for r in before.proposers.all()} if before else set()
        for order, (member, role) in enumerate(
            [(want["first"], Proposer.Role.FIRST)]
            + [(m, Proposer.Role.CO) for m in want["cosigners"]]
        ):
            if member.pk not in have:
                proposers.append(
                    Proposer(proposal=p, member=member, role=role, status=Proposer.Status.CONFIRMED,
                             order=order, invited_at=p.submitted_at, answered_at=p.submitted_at)
                )  # fmt: skip
        units = {r.unit_id: r for r in before.routings.all()} if before else {}
        for unit, role in want["units"].items():
            if unit.pk not in units:
                routings.append(
                    Routing(proposal=p, unit=unit, role=role, status=ROUTING_STATUS[p.status],
                            routed_at=p.accepted_at, deadline=add_months(want["accepted"], months))
                )  # fmt: skip
        if want["satisfaction"]:
            rating = (
                next((r for r in before.ratings.all() if r.round == 1), None) if before else None
            )
            if rating is None:
                ratings.append(
                    Rating(proposal=p, round=1, satisfaction=want["satisfaction"], by=by, at=now)
                )
            elif rating.satisfaction != want["satisfaction"]:
                rating.satisfaction = want["satisfaction"]
                ratings_changed.append(rating)
        events.append(
            ProposalEvent(proposal=p, by=by, at=now, verb="imported",
                          from_status=before.status if before else "", to_status=p.status,
                          note=str(_("历史数据导入")))
        )  # fmt: skip
    Proposer.objects.bulk_create(proposers)
    Routing.objects.bulk_create(routings)
    Rating.objects.bulk_create(ratings)
    Rating.objects.bulk_update(ratings_changed, ["satisfaction"])
    ProposalEvent.objects.bulk_create(events)
    # Every proposer of a changed proposal: counts such as `proposers` are in their facts.
    touched = [want["proposal"].pk for kind, want in plan if kind != UNCHANGED]
    facts_changed(
        Proposer.objects.filter(proposal_id__in=touched).values_list("member_id", flat=True)
    )
    report.applied = True
    report.records = [
        (f"{p.title}", reverse("proposals:detail", args=[p.pk]))
        for p in (created + changed)[:PREVIEW_ROWS]
    ]
    report.created = [
        _("新增提案 %(n)s 件,更新 %(m)s 件") % {"n": len(created), "m": len(changed)},
        _("新增提案人 %(p)s 人次,交办 %(r)s 条,满意度 %(s)s 条")
        % {"p": len(proposers), "r": len(routings), "s": len(ratings) + len(ratings_changed)},
    ]
    return report


IMPORT = HistoryImport(
    slug="proposals",
    title=gettext_lazy("提案及办理情况"),
    description=gettext_lazy("往年提案:每行一件,含提案人、状态、承办单位和满意度。"),
    headers=HEADERS,
    required=REQUIRED,
    notes=(
        gettext_lazy("每行一件提案;年度对应本会该年的全体会议(须已在系统中建立)。"),
        gettext_lazy(
            "类型填大会提案或平时提案(不填为大会提案);类别填经济建设、政治建设、文化建设、社会建设、生态文明建设或其他。"
        ),
        gettext_lazy("状态填已立案、已交办、已答复、已办结或不立案;立案的须填案号,不立案的不填。"),
        gettext_lazy("第一提案人在该届名册中查找,有同名委员时须填手机号码;联名提案人用“、”分隔。"),
        gettext_lazy(
            "主办单位、协办单位填本会承办单位的名称,多个用“、”分隔;满意度填满意、基本满意或不满意。"
        ),
        gettext_lazy(
            "同一年度、类型和案号的行是同一件提案:重复导入不会改动;系统中已有的提案人、承办单位不会删除。"
        ),
        gettext_lazy("请勿使用公式,直接填写内容。"),
    ),
    example={
        "2024年": [
            (
                "2024",
                "大会提案",
                "12",
                "关于推进老旧小区改造的建议",
                "社会建设",
                "2024-01-08",
                "王建国",
                "13800000001",
                "李秀英、张伟",
                "已办结",
                "2024-01-20",
                "市住建局",
                "市财政局",
                "满意",
            ),
        ]
    },
    preview=proposals_history_preview,
    apply=proposals_history_apply,
)
