"""Reads of the quarterly review: who may open a period or a score, the
review table, a receipt with the records behind each line, a member's
periods. Each costs a fixed number of queries, whatever the number of
members, lines or records."""

import datetime
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db.models import (
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Value,
    prefetch_related_objects,
)
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from duties.models import Dispute, Participation, SelfReportedDuty
from members.models import Honour
from members.permissions import viewer_for
from proposals.models import Proposal
from reports.models import SocialInfoReport
from scoring import receipts
from scoring.models import Score, ScoreLine, ScorePeriod
from scoring.reference import EXEMPT_REASONS, LIMITS

S = ScorePeriod.Status
SHOWN_TO_MEMBERS = (S.PUBLISHED, S.FINAL)


# Access ---------------------------------------------------------------------------


def get_period_for_user(user, pk, *, write: bool = False) -> ScorePeriod:
    """The period if the user reads its body (staff, leadership; else 404);
    with write, only if the user manages the body (else 403)."""
    period = (
        ScorePeriod.objects.select_related(
            "body",
            "rulebook",
            "published_by__person",
            "finalised_by__person",
            "reopened_by__person",
        )
        .filter(pk=pk)
        .first()
    )
    viewer = viewer_for(user)
    if period is None or not viewer.can_read_body(period.body_id):
        raise Http404
    if write and not viewer.can_manage_body(period.body_id):
        raise PermissionDenied
    return period


def get_score_for_user(user, pk, *, write: bool = False) -> Score:
    """A score its body's staff and leadership read, and its member once the
    period is published (else 404); with write, only the body's staff (403)."""
    score = (
        Score.objects.select_related(
            "period__body",
            "rulebook",
            "member__person",
            "member__sector",
            "member__group",
            "member__term",
        )
        .filter(pk=pk)
        .first()
    )
    if score is None:
        raise Http404
    viewer = viewer_for(user)
    body_id = score.period.body_id
    own = score.member_id in viewer.own_member_ids and score.period.status in SHOWN_TO_MEMBERS
    if not (own or viewer.can_read_body(body_id)):
        raise Http404
    if write and not viewer.can_manage_body(body_id):
        raise PermissionDenied
    return score


def get_line_for_member(user, pk) -> ScoreLine:
    """A line the user may dispute: 404 to whoever cannot read the score, 403
    to those who can but are not its member."""
    line = ScoreLine.objects.select_related("score").filter(pk=pk).first()
    if line is None:
        raise Http404
    score = get_score_for_user(user, line.score_id)
    if score.member_id not in viewer_for(user).own_member_ids:
        raise PermissionDenied
    line.score = score
    return line


# Periods ------------------------------------------------------------------------


def previous_period(period: ScorePeriod) -> ScorePeriod | None:
    """The latest version of the quarter before, in the same year (none before Q1
    or for the annual assessment)."""
    if period.is_annual or period.quarter <= 1:
        return None
    return (
        ScorePeriod.objects.filter(
            body_id=period.body_id, year=period.year, quarter=period.quarter - 1
        )
        .order_by("-version")
        .first()
    )


def period_versions(period: ScorePeriod):
    return ScorePeriod.objects.filter(
        body_id=period.body_id, year=period.year, quarter=period.quarter
    ).order_by("version")


def _line_disputes():
    return Dispute.objects.filter(
        content_type=ContentType.objects.get_for_model(ScoreLine), object_id=OuterRef("pk")
    )


def review_scores(period: ScorePeriod, *, previous: ScorePeriod | None, filters: dict):
    """The period's scores with their member, their change since `previous`
    and their badges (adjusted, disputed, disputes waiting, changed since
    final), filtered and ordered as the review table asks."""
    disputes = _line_disputes()
    lines = ScoreLine.objects.filter(score_id=OuterRef("pk"))
    scores = (
        Score.objects.filter(period=period)
        .select_related("member__person", "member__sector", "member__group")
        .annotate(
            adjusted=Exists(lines.filter(is_adjustment=True)),
            disputed=Exists(lines.filter(Exists(disputes))),
            disputes_open=Exists(lines.filter(Exists(disputes.filter(status=Dispute.Status.OPEN)))),
        )
    )
    money = DecimalField(max_digits=12, decimal_places=2)
    if previous is not None:
        before = Score.objects.filter(period=previous, member_id=OuterRef("member_id"))
        scores = scores.annotate(
            previous=Subquery(before.values("total")[:1], output_field=money)
        ).annotate(change=ExpressionWrapper(F("total") - F("previous"), output_field=money))
    else:
        scores = scores.annotate(previous=Value(None, money), change=Value(None, money))

    if filters.get("sector"):
        scores = scores.filter(member__sector=filters["sector"])
    if filters.get("group"):
        scores = scores.filter(member__group=filters["group"])
    if filters.get("standing") in ("yes", "no"):
        scores = scores.filter(member__is_standing=filters["standing"] == "yes")
    if filters.get("grade"):
        scores = scores.filter(grade=filters["grade"])
    if filters.get("min_total") is not None:
        scores = scores.filter(total__gte=filters["min_total"])
    if filters.get("max_total") is not None:
        scores = scores.filter(total__lte=filters["max_total"])
    flag = filters.get("flag")
    if flag in ("adjusted", "disputed", "disputes_open"):
        scores = scores.filter(**{flag: True})
    elif flag == "changed":
        scores = scores.filter(changed_since_final_at__isnull=False)
    elif flag == "not_assessed":
        scores = scores.filter(assessed=False)

    sort = filters.get("sort") or "-total"
    name = ("member__person__name", "member_id")
    if sort == "name":
        return scores.order_by(*name)
    key = sort.lstrip("-")
    column = F(key).desc(nulls_last=True) if sort.startswith("-") else F(key).asc(nulls_last=True)
    return scores.order_by(column, *name)


def review_counts(period: ScorePeriod) -> dict:
    """How many scores, assessed, per grade, and changed since final: one query."""
    rows = (
        Score.objects.filter(period=period)
        .values("grade", "assessed")
        .annotate(
            n=Count("pk"), changed=Count("pk", filter=Q(changed_since_final_at__isnull=False))
        )
        .order_by()
    )
    counts = {"members": 0, "assessed": 0, "changed": 0}
    grades = defaultdict(int)
    for row in rows:
        counts["members"] += row["n"]
        counts["changed"] += row["changed"]
        if row["assessed"]:
            counts["assessed"] += row["n"]
            grades[row["grade"]] += row["n"]
    # in the rulebook's order, for "优秀 3 人;合格 40 人"
    order = [band.name for band in period.rulebook.parsed().grades] if period.rulebook else []
    counts["grades"] = sorted(
        grades.items(), key=lambda x: order.index(x[0]) if x[0] in order else len(order)
    )
    return counts


def top_categories(period_or_score) -> list:
    """The rulebook's top-level categories: the review table's columns."""
    rulebook = period_or_score.rulebook
    if rulebook is None:
        return []
    return [c for c in rulebook.parsed().categories if c.parent is None]


def category_totals(score: Score) -> dict[str, Decimal]:
    return {c["code"]: Decimal(c["total"]) for c in score.categories if c["total"] is not None}


# The records behind a line ---------------------------------------------------------


@dataclass(frozen=True)
class Shown:
    """A record as a receipt shows it: one line of text, and its page."""

    summary: str
    url: str = ""
    date: datetime.date | None = None


def _day(d: datetime.date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _participation(p: Participation, staff: bool) -> Shown:
    day = timezone.localdate(p.activity.starts_at)
    state = p.get_attendance_display() if p.attendance else p.get_signup_display()
    role = f",{p.get_role_display()}" if p.role and p.role != Participation.Role.PARTICIPANT else ""
    url_name = "duties:attendance" if staff else "duties:activity"
    return Shown(
        f"{_day(day)} {p.activity.kind.name}:{p.activity.theme}({state}{role})",
        reverse(url_name, args=[p.activity_id]),
        day,
    )


def _duty(d: SelfReportedDuty, staff: bool) -> Shown:
    return Shown(
        f"{_day(d.done_on)} {d.kind.name}(自报,{d.get_status_display()}):{d.description[:60]}",
        reverse("duties:duty_detail", args=[d.pk]),
        d.done_on,
    )


def _proposal(p: Proposal, staff: bool) -> Shown:
    number = f"(第{p.number}号)" if p.number else ""
    return Shown(f"提案《{p.title}》{number}", reverse("proposals:detail", args=[p.pk]))


def _report(r: SocialInfoReport, staff: bool) -> Shown:
    return Shown(f"社情民意信息《{r.title}》", reverse("reports:detail", args=[r.pk]))


def _honour(h: Honour, staff: bool) -> Shown:
    return Shown(f"{_day(h.awarded_on)} {h.title}({h.get_level_display()})", "", h.awarded_on)


# (app label, model) -> (model, what its summary needs, how it is shown)
RECORDS: dict[tuple[str, str], tuple[type, tuple[str, ...], Callable]] = {
    ("duties", "participation"): (Participation, ("activity__kind",), _participation),
    ("duties", "selfreportedduty"): (SelfReportedDuty, ("kind",), _duty),
    ("proposals", "proposal"): (Proposal, (), _proposal),
    ("reports", "socialinforeport"): (SocialInfoReport, (), _report),
    ("members", "honour"): (Honour, (), _honour),
}


def records_shown(sources, *, staff: bool) -> dict[tuple, Shown]:
    """The records these sources name, one query per kind of record, as the
    receipt shows them; a record deleted since is missing."""
    wanted = defaultdict(set)
    for app_label, model, pk in sources:
        wanted[(app_label, model)].add(pk)
    shown = {}
    for key, pks in wanted.items():
        if key in RECORDS:
            model, related, show = RECORDS[key]
            for record in model.objects.select_related(*related).filter(pk__in=pks):
                shown[(*key, record.pk)] = show(record, staff)
        else:  # a source app added later: named, without a page
            for (app_label, model, pk), record in receipts.records_of(
                [(*key, pk) for pk in pks]
            ).items():
                shown[(app_label, model, pk)] = Shown(str(record))
    return shown


# The receipt --------------------------------------------------------------------------


@dataclass
class LineView:
    line: ScoreLine
    records: list[Shown] = field(default_factory=list)
    missing: int = 0  # records deleted since
    changed: bool = False
    disputes: list[Dispute] = field(default_factory=list)

    @property
    def limits(self) -> list[str]:
        return [str(LIMITS.get(code, code)) for code in self.line.limited_by]

    @property
    def open_dispute(self) -> Dispute | None:
        return next((d for d in self.disputes if d.status == Dispute.Status.OPEN), None)

    @property
    def capped(self) -> bool:
        return self.line.points_before_cap != self.line.points


@dataclass
class CategoryView:
    code: str
    name: str
    raw: Decimal | None
    total: Decimal | None
    limits: list[str]
    lines: list[LineView] = field(default_factory=list)
    children: list["CategoryView"] = field(default_factory=list)


@dataclass
class ReceiptView:
    score: Score
    categories: list[CategoryView]
    adjustments: list[LineView]
    vetoes: list[str]
    follow_ups: list[str]
    candidates: list[str]
    checklists: list[dict]
    changed: bool  # some line's records no longer give its numbers
    exempt_reason: str

    @property
    def lines(self) -> list[LineView]:
        nested = [
            line
            for c in self.categories
            for line in (*c.lines, *(x for child in c.children for x in child.lines))
        ]
        return [*nested, *self.adjustments]


def _decimal(text) -> Decimal | None:
    return None if text is None else Decimal(text)


def receipt_view(score: Score, *, staff: bool) -> ReceiptView:
    """The score as a receipt: categories with their lines, each with the
    records that made it (re-found by scoring.receipts) and its disputes;
    the staff adjustments; vetoes, follow-ups, candidates and checklists by
    name. Queries: the lines (with who adjusted), the member's evaluation
    (scoring.receipts), one per kind of record, the disputes."""
    prefetch_related_objects(
        [score], Prefetch("lines", queryset=ScoreLine.objects.select_related("adjusted_by__person"))
    )
    opened = receipts.receipt(score) if score.assessed else receipts.Receipt(score, [], {})
    sources = {s for x in opened.lines for s in x.sources}
    sources |= {s for items in opened.checklists.values() for ss in items.values() for s in ss}
    shown = records_shown(sources, staff=staff)
    by_line = defaultdict(list)
    line_ids = [x.line.pk for x in opened.lines]
    for dispute in Dispute.objects.filter(
        content_type=ContentType.objects.get_for_model(ScoreLine), object_id__in=line_ids
    ).select_related("resolved_by__person"):
        by_line[dispute.object_id].append(dispute)

    def view(x: receipts.ReceiptLine) -> LineView:
        records = [shown[s] for s in x.sources if s in shown]
        return LineView(
            x.line,
            records=records,
            missing=len(x.sources) - len(records),
            changed=x.changed,
            disputes=by_line.get(x.line.pk, []),
        )

    categories: dict[str, CategoryView] = {}
    top: list[CategoryView] = []
    for c in score.categories:
        category = CategoryView(
            c["code"],
            c["name"],
            _decimal(c["raw"]),
            _decimal(c["total"]),
            [str(LIMITS.get(code, code)) for code in c.get("limited_by", [])],
        )
        categories[c["code"]] = category
        parent = categories.get(c.get("parent"))
        (parent.children if parent else top).append(category)
    adjustments, other = [], CategoryView("", "其他", None, None, [])
    for x in opened.lines:
        if x.line.is_adjustment:
            adjustments.append(view(x))
        else:
            categories.get(x.line.category, other).lines.append(view(x))
    if other.lines:
        top.append(other)

    parsed = score.rulebook.parsed()
    names = {
        "vetoes": {v.code: v.name for v in parsed.vetoes},
        "follow_ups": {},
        "candidates": {c.code: c.name for c in parsed.candidates},
    }
    for rule in parsed.follow_ups:
        names["follow_ups"].setdefault(rule.code, rule.name)
    checklists = [
        {
            **c,
            "items": [
                {
                    **item,
                    "records": [
                        shown[s]
                        for s in opened.checklists.get(c["code"], {}).get(item["code"], ())
                        if s in shown
                    ],
                }
                for item in c["items"]
            ],
        }
        for c in score.checklists
    ]
    return ReceiptView(
        score=score,
        categories=top,
        adjustments=adjustments,
        vetoes=[names["vetoes"].get(code, code) for code in score.vetoes],
        follow_ups=[names["follow_ups"].get(code, code) for code in score.follow_ups],
        candidates=[names["candidates"].get(code, code) for code in score.candidates],
        checklists=checklists,
        changed=opened.changed,
        exempt_reason=str(EXEMPT_REASONS.get(score.exempt_reason, "")),
    )


# A member's periods ---------------------------------------------------------------


def my_scores(viewer):
    """The member's scores in published and final periods, the latest version
    of each period only, newest first."""
    newer = ScorePeriod.objects.filter(
        body_id=OuterRef("period__body_id"),
        year=OuterRef("period__year"),
        quarter=OuterRef("period__quarter"),
        version__gt=OuterRef("period__version"),
        status__in=SHOWN_TO_MEMBERS,
    )
    return (
        Score.objects.filter(
            member_id__in=viewer.own_member_ids, period__status__in=SHOWN_TO_MEMBERS
        )
        .exclude(Exists(newer))
        .select_related("period__body", "member__term")
        .order_by("-period__year", "-period__quarter", "period__body_id", "pk")
    )


def my_score_in(viewer, period: ScorePeriod) -> Score | None:
    return (
        Score.objects.filter(period=period, member_id__in=viewer.own_member_ids).only("pk").first()
    )
