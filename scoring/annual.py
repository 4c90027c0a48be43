"""The year (年度考核): the annual assessment as staff and leadership read it
(ranking, grade counts, the reminder-talk and outstanding-candidate lists
with their reasons, sector groups and advanced-group candidates), the
members' annual duty reports (述职), the nightly refresh of the year's
draft that keeps every checklist (六个一) current, and the reminders staff
schedule for members still missing required checklist items.

Writes are keyword-only and atomic, refusals are Chinese ValidationErrors;
the reads are in scoring.annual_selectors."""

import datetime
import logging
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from config import uploads
from members.models import Person
from members.services import notice_send
from scoring import annual_selectors as selectors
from scoring import reference, services
from scoring.models import AnnualDutyReport, ChecklistReminder, Rulebook, Score, ScorePeriod
from scoring.rulebook.types import Candidate, FollowUp, GroupCandidates, PastYear
from scoring.rulebook.types import Rulebook as ParsedRulebook
from sectors.models import Body

logger = logging.getLogger(__name__)

# The assessment as read -------------------------------------------------------------


@dataclass
class Listed:
    """A member on a follow-up or candidate list, with why."""

    score: Score
    reasons: list[str]


@dataclass
class RuleList:
    code: str
    name: str
    conditions: str  # the rule(s) in words
    members: list[Listed] = field(default_factory=list)


@dataclass
class Assessment:
    period: ScorePeriod
    parsed: ParsedRulebook | None
    # every score, assessed ones first, best first; each with .rank (ties
    # share one; None when not assessed) and .veto_names
    scores: list[Score]
    grade_counts: list[tuple[str, int]]
    exempt: int
    follow_ups: list[RuleList]
    candidates: list[RuleList]

    @property
    def assessed(self) -> list[Score]:
        return [s for s in self.scores if s.assessed]


def _n(value: Decimal | None) -> str:
    if value is None:
        return "—"
    return f"{value:.2f}"


def follow_up_conditions(rule: FollowUp) -> str:
    parts = []
    if rule.grades:
        parts.append(_("等次为%(grades)s") % {"grades": "或".join(rule.grades)})
    if rule.total_below is not None:
        parts.append(_("总分低于 %(n)s 分") % {"n": _n(rule.total_below)})
    text = _("且").join(parts)
    if rule.years > 1:
        text = _("连续 %(n)s 年%(what)s") % {"n": rule.years, "what": text}
    return text


def candidate_conditions(rule: Candidate, parsed: ParsedRulebook) -> str:
    parts = []
    if rule.grades:
        parts.append(_("等次为%(grades)s") % {"grades": "或".join(rule.grades)})
    if rule.total_at_least is not None:
        parts.append(_("总分不低于 %(n)s 分") % {"n": _n(rule.total_at_least)})
    if rule.no_veto:
        parts.append(_("无一票否决情形"))
    if rule.checklist_complete:
        checklist = next((c for c in parsed.checklists if c.code == rule.checklist_complete), None)
        parts.append(
            _("“%(name)s”必做项全部完成")
            % {"name": checklist.name if checklist else rule.checklist_complete}
        )
    return _(",").join(parts)


def _follow_up_reason(rule: FollowUp, score: Score, history: dict[int, PastYear], year: int):
    """Why the rule holds for the member, with the years' numbers; None when it does not."""
    this_year = PastYear(score.total, score.grade or None)
    if not reference._follow_up_holds(rule, year, this_year, history):
        return None
    if rule.years == 1:
        return follow_up_conditions(rule) + (
            _("(%(grade)s,%(total)s 分)") % {"grade": score.grade or "—", "total": _n(score.total)}
        )
    years = []
    for back in range(rule.years - 1, -1, -1):
        past = this_year if back == 0 else history[year - back]
        years.append(
            _("%(year)s 年 %(total)s 分%(grade)s")
            % {
                "year": year - back,
                "total": _n(past.total),
                "grade": f"({past.grade})" if past.grade else "",
            }
        )
    return follow_up_conditions(rule) + _("(%(years)s)") % {"years": "、".join(years)}


def assessment_read(*, period: ScorePeriod) -> Assessment:
    """The period's results as the annual page shows them, in a fixed number
    of queries: the scores, and the earlier years the follow-ups looked at."""
    scores = list(selectors.period_scores(period=period))
    parsed = None
    if period.rulebook_id is not None:
        parsed = period.rulebook.parsed()
    assessed = [s for s in scores if s.assessed]

    rank, previous = 0, None
    for score in scores:
        score.rank = None
    for position, score in enumerate(assessed, start=1):
        if score.total != previous:
            rank, previous = position, score.total
        score.rank = rank
    vetoes = {v.code: v.name for v in parsed.vetoes} if parsed else {}
    for score in scores:
        score.veto_names = [vetoes.get(code, code) for code in score.vetoes]

    counts = Counter(s.grade for s in assessed)
    names = [band.name for band in parsed.grades] if parsed else []
    grade_counts = [(name, counts.get(name, 0)) for name in names]
    grade_counts += [(name or _("无等次"), n) for name, n in counts.items() if name not in names]

    follow_ups: list[RuleList] = []
    candidates: list[RuleList] = []
    if parsed is not None:
        back = max((rule.years for rule in parsed.follow_ups), default=1) - 1
        history = (
            selectors.past_results(
                body_id=period.body_id,
                years=range(period.year - back, period.year),
                person_ids=[s.member.person_id for s in assessed],
            )
            if back
            else {}
        )
        # A code may have several rules (any one raises it): one list, its
        # conditions joined by "or".
        by_code: dict[str, RuleList] = {}
        for rule in parsed.follow_ups:
            if rule.code not in by_code:
                by_code[rule.code] = RuleList(rule.code, rule.name, "")
                follow_ups.append(by_code[rule.code])
        for entry in follow_ups:
            entry.conditions = _(";或").join(
                follow_up_conditions(rule) for rule in parsed.follow_ups if rule.code == entry.code
            )
        for score in assessed:
            for code in score.follow_ups:
                entry = by_code.get(code)
                if entry is None:
                    continue
                reasons = [
                    reason
                    for rule in parsed.follow_ups
                    if rule.code == code
                    and (
                        reason := _follow_up_reason(
                            rule, score, history.get(score.member.person_id, {}), period.year
                        )
                    )
                ]
                entry.members.append(Listed(score, reasons))
        for rule in parsed.candidates:
            entry = RuleList(rule.code, rule.name, candidate_conditions(rule, parsed))
            entry.members = [
                Listed(
                    score,
                    [
                        _("%(grade)s,%(total)s 分")
                        % {"grade": score.grade or "—", "total": _n(score.total)}
                    ],
                )
                for score in assessed
                if rule.code in score.candidates
            ]
            candidates.append(entry)
    return Assessment(
        period=period,
        parsed=parsed,
        scores=scores,
        grade_counts=grade_counts,
        exempt=len(scores) - len(assessed),
        follow_ups=follow_ups,
        candidates=candidates,
    )


# Sector groups -----------------------------------------------------------------------


@dataclass
class GroupScore:
    group: object  # sectors.SectorGroup
    members: int
    assessed: int
    score: Decimal | None
    rank: int | None = None
    candidate: bool = False


def group_candidates(rule: GroupCandidates | None, scores: dict) -> set:
    """The keys of `scores` ({group: score or None}) that the rulebook's
    advanced-group rule selects: ranked within the top N (a tie at the Nth
    place takes every tied group) and/or scoring at least `at_least`."""
    if rule is None:
        return set()
    scored = {key: value for key, value in scores.items() if value is not None}
    chosen = set()
    for key, value in scored.items():
        rank = 1 + sum(1 for other in scored.values() if other > value)
        if rule.top is not None and rank > rule.top:
            continue
        if rule.at_least is not None and value < rule.at_least:
            continue
        chosen.add(key)
    return chosen


def sector_groups_read(*, period: ScorePeriod) -> tuple[list[GroupScore], str, str]:
    """Each sector group of the period's term with its score (the average or
    sum of its assessed members' totals, as the rulebook says), ranked; the
    advanced-group candidates marked. Returns the rows, how groups are scored
    and the candidates' rule in words."""
    if period.rulebook_id is None:
        return [], "", ""
    rulebook = period.rulebook
    parsed = rulebook.parsed()
    groups = list(selectors.sector_groups_of_term(term_id=rulebook.term_id))
    results: dict[int, list[reference.Result]] = defaultdict(list)
    members: Counter = Counter()
    for member_id, group_id, assessed, total in selectors.group_results(period=period):
        members[group_id] += 1
        results[group_id].append(reference.Result(member_id, assessed=assessed, total=total))
    rows = [
        GroupScore(
            group=group,
            members=members[group.pk],
            assessed=sum(1 for r in results[group.pk] if r.assessed),
            score=reference.sector_group_score(parsed, results[group.pk]),
        )
        for group in groups
    ]
    chosen = group_candidates(parsed.group_candidates, {row.group.pk: row.score for row in rows})
    for row in rows:
        if row.score is not None:
            row.rank = 1 + sum(
                1 for other in rows if other.score is not None and other.score > row.score
            )
        row.candidate = row.group.pk in chosen
    rows.sort(key=lambda r: (r.rank is None, r.rank or 0, r.group.order, r.group.pk))
    how = (
        _("小组内参加考核委员总分之和")
        if parsed.group_score == "sum"
        else _("小组内参加考核委员的平均分")
    )
    rule = ""
    if parsed.group_candidates is not None:
        c = parsed.group_candidates
        parts = []
        if c.top is not None:
            parts.append(_("排名前 %(n)s 位(并列的一并列入)") % {"n": c.top})
        if c.at_least is not None:
            parts.append(_("得分不低于 %(n)s 分") % {"n": _n(c.at_least)})
        rule = f"{c.name or _('先进界别小组候选')}:" + _(",").join(parts)
    return rows, how, rule


# The nightly refresh -----------------------------------------------------------------


@dataclass(frozen=True)
class Refreshed:
    body_id: int
    period_id: int | None
    members: int = 0
    skipped: str = ""  # why nothing was computed


def annual_drafts_refresh(*, today: datetime.date | None = None) -> list[Refreshed]:
    """Compute this year's annual draft of every body with a rulebook in force
    for the year, so that every member's checklist (六个一) is current.

    A period that is published or final is left alone: members were shown
    those numbers and disputes point at them. A body whose period is being
    computed right now is skipped (that computation refreshes it). Each body
    is computed in its own transaction, so one refusal stops nothing else."""
    year = (today or timezone.localdate()).year
    body_ids = (
        Rulebook.objects.filter(year=year, status=Rulebook.Status.PUBLISHED)
        .values_list("body_id", flat=True)
        .distinct()
    )
    done = []
    for body in Body.objects.filter(pk__in=list(body_ids)).order_by("pk"):
        period = services.period_open(body=body, year=year, quarter=ScorePeriod.ANNUAL)
        if period.status != ScorePeriod.Status.DRAFT:
            done.append(Refreshed(body.pk, period.pk, skipped=period.status))
            continue
        try:
            computed = services.period_compute(period=period)
        except ValidationError as e:
            logger.info("annual refresh of body %s skipped: %s", body.pk, e.messages)
            done.append(Refreshed(body.pk, period.pk, skipped=getattr(e, "code", "") or "refused"))
            continue
        done.append(Refreshed(body.pk, period.pk, members=computed.members))
    return done


# Checklist reminders -----------------------------------------------------------------


def _checklist_of(*, body_id, year: int, code: str):
    rulebook = selectors.rulebook_of_year(body_id=body_id, year=year)
    if rulebook is None:
        return None
    return next((c for c in rulebook.parsed().checklists if c.code == code), None)


@transaction.atomic
def checklist_reminder_set(
    *, body: Body, year: int, checklist_code: str, on: datetime.date, message: str = "", by
) -> ChecklistReminder:
    """Schedule a reminder: on `on`, every assessed member still missing a
    required item of the checklist gets a notice. Setting the same one again
    changes only its message."""
    if on < timezone.localdate():
        raise ValidationError({"on": _("提醒日期不能早于今天")})
    if on.year != year:
        raise ValidationError({"on": _("提醒日期应在 %(year)s 年内") % {"year": year}})
    checklist = _checklist_of(body_id=body.pk, year=year, code=checklist_code)
    if checklist is None:
        raise ValidationError(
            {
                "checklist_code": _("%(year)s 年度计分规则中没有代码为“%(code)s”的清单")
                % {"year": year, "code": checklist_code}
            }
        )
    message = (message or "").strip()[:500]
    reminder, created = ChecklistReminder.objects.select_for_update().get_or_create(
        body=body,
        year=year,
        checklist_code=checklist_code,
        on=on,
        defaults={"message": message, "created_by": by},
    )
    if not created:
        if reminder.sent_at is not None:
            raise ValidationError(_("这一天的提醒已经发出,不能再修改"))
        if reminder.message != message:
            reminder.message = message
            reminder.save(update_fields=["message"])
    return reminder


@transaction.atomic
def checklist_reminder_delete(*, reminder: ChecklistReminder, by) -> None:
    reminder = ChecklistReminder.objects.select_for_update().filter(pk=reminder.pk).first()
    if reminder is None:
        return  # a double click
    if reminder.sent_at is not None:
        raise ValidationError(_("提醒已经发出,不能删除"))
    reminder.delete()


def _missing_required(score: Score, code: str) -> list[str]:
    checklist = next((c for c in score.checklists if c["code"] == code), None)
    if checklist is None:
        return []
    return [i["name"] for i in checklist["items"] if i["required"] and not i["met"]]


@transaction.atomic
def checklist_reminder_send(*, reminder: ChecklistReminder, today: datetime.date) -> int | None:
    """Send one reminder: a notice to every assessed member still sitting
    who misses required items of the checklist, naming them. At most once:
    the reminder row is locked and marked sent with the notices. None when
    the year's assessment has not been computed yet (tried again next day)."""
    reminder = ChecklistReminder.objects.select_for_update().get(pk=reminder.pk)
    if reminder.sent_at is not None:
        return 0
    period = selectors.annual_period(body_id=reminder.body_id, year=reminder.year)
    if period is None or period.computed_at is None:
        return None
    scores = (
        Score.objects.filter(period=period, assessed=True)
        .filter(selectors.members_sitting_q(on=today))
        .only("pk", "member_id", "checklists", "member__person_id")
        .select_related("member")
    )
    missing_by_person: dict[int, list[str]] = {}
    checklist_name = ""
    for score in scores:
        missing = _missing_required(score, reminder.checklist_code)
        if missing:
            missing_by_person[score.member.person_id] = missing
        if not checklist_name:
            checklist_name = next(
                (c["name"] for c in score.checklists if c["code"] == reminder.checklist_code), ""
            )
    # One notice text per set of missing items: each member reads their own.
    by_missing: dict[tuple, list[int]] = defaultdict(list)
    for person_id, missing in missing_by_person.items():
        by_missing[tuple(missing)].append(person_id)
    sent = 0
    url = reverse("scoring:my_checklist")
    for missing, person_ids in by_missing.items():
        text = _("%(year)s 年度“%(name)s”尚未完成:%(items)s。") % {
            "year": reminder.year,
            "name": checklist_name or reminder.checklist_code,
            "items": "、".join(missing),
        }
        if reminder.message:
            text = f"{reminder.message}\n{text}"
        sent += notice_send(
            persons=Person.objects.filter(pk__in=person_ids),
            key=f"scoring:checklist_reminder:{reminder.pk}",
            title=_("履职提醒:“%(name)s”还有未完成的项目")
            % {"name": checklist_name or reminder.checklist_code},
            text=text,
            url=url,
        )
    reminder.sent_at = timezone.now()
    reminder.sent_count = len(missing_by_person)
    reminder.save(update_fields=["sent_at", "sent_count"])
    return sent


def checklist_reminders_send(*, today: datetime.date | None = None) -> int:
    """Send every reminder due by today and not yet sent; each in its own
    transaction. Returns the number of notices sent. Run twice, sends nothing more."""
    today = today or timezone.localdate()
    sent = 0
    for reminder in selectors.checklist_reminders_due(today=today):
        sent += checklist_reminder_send(reminder=reminder, today=today) or 0
    return sent


# Annual duty reports (述职) ---------------------------------------------------------

REPORT_FILE_MAX = 10 * 1024 * 1024
REPORT_TEXT_MAX = 20000
DOCX = uploads.DOCX
REPORT_TYPES = {"application/pdf": "pdf", DOCX: "docx"}


def duty_report_sniff(upload) -> str:
    """The content type of an uploaded report, read from its bytes: a PDF or a
    Word .docx. Anything else, or too large, is refused."""
    try:
        return uploads.upload_check(
            upload,
            accept=(uploads.PDF, uploads.DOCX),
            max_bytes=REPORT_FILE_MAX,
            too_large=_("文件“%(name)s”超过 10 MB"),
            wrong_type=_("“%(name)s”不是 PDF 或 Word(.docx)文件;.doc 请另存为 .docx 或 PDF"),
        )
    except ValidationError as error:
        raise ValidationError({"file": error}) from None


def _refuse_if_final(*, body_id, year: int) -> None:
    period = selectors.annual_period(body_id=body_id, year=year)
    if period is not None and period.status == ScorePeriod.Status.FINAL:
        raise ValidationError(
            _("%(year)s 年度考核已定稿,述职报告不能再提交或修改") % {"year": year},
            code="final",
        )


@transaction.atomic
def duty_report_save(
    *, member, year: int, text: str = "", file=None, remove_file: bool = False, by
) -> AnnualDutyReport:
    """The member's annual duty report for the year, created or changed: the
    text, an uploaded PDF or .docx (replacing the one before), or both.
    Refused once the year's annual assessment is final, for a future year,
    and when nothing would be left. Saving the same text again changes nothing."""
    if year > timezone.localdate().year:
        raise ValidationError(_("不能提交以后年度的述职报告"))
    if year < member.joined_on.year:
        raise ValidationError(_("%(year)s 年您尚未任职") % {"year": year})
    _refuse_if_final(body_id=member.term.body_id, year=year)
    text = (text or "").replace("\r\n", "\n").strip()
    if len(text) > REPORT_TEXT_MAX:
        raise ValidationError({"text": _("述职报告不能超过 %(n)s 字") % {"n": REPORT_TEXT_MAX}})
    content_type = duty_report_sniff(file) if file else ""
    report = AnnualDutyReport.objects.select_for_update().filter(member=member, year=year).first()
    keeps_file = bool(report and report.file) and not remove_file and not file
    if not text and not file and not keeps_file:
        raise ValidationError({"text": _("请填写述职报告,或上传述职报告文件")})
    now = timezone.now()
    if report is None:
        report = AnnualDutyReport(member=member, year=year, submitted_at=now)
    elif report.text == text and not file and not (remove_file and report.file):
        return report  # a double click
    old_file = report.file.name if report.file else ""
    report.text = text
    if file:
        report.file_name = (getattr(file, "name", "") or "述职报告")[-200:]
        report.content_type = content_type
        report.size = file.size
        report.file.save(f"report.{REPORT_TYPES[content_type]}", file, save=False)
    elif remove_file:
        report.file, report.file_name, report.content_type, report.size = "", "", "", 0
    report.updated_at = now
    report.save()
    if old_file and old_file != report.file.name:
        storage = report.file.storage
        # The old file goes once the new row is committed; a rollback keeps it.
        transaction.on_commit(lambda: storage.delete(old_file))
    return report
