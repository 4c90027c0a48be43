"""The reference evaluator: one member, one period, in plain Python.

It is written to be obviously correct, not fast: it loops over the member's
facts once per item. The fast engine must give the same Result for every
member (a hypothesis test holds them to it), so when the two disagree, this
file is the one to believe, and RULEBOOKS.md is the one to read.

The order of work for each item (docs/rulebook-format.md, "Evaluation"):
filter the facts (kind, where, who, period) → per take-highest group keep one
fact per source record → count limits (first N, from the Nth on) → points per
fact, shared → sum and round half-up to 0.01 → the item's cap and floor. Then
categories (base + lines + sub-categories, clamped), pro-rating, the total,
the grade and its vetoes, checklists, follow-ups and candidates."""

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from django.utils.translation import gettext_lazy as _

from .rulebook.types import (
    MARK,
    Assessed,
    Checklist,
    Fact,
    FollowUp,
    Item,
    Member,
    PastYear,
    Rulebook,
)

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def round_half_up(value: Decimal | Fraction) -> Decimal:
    """To 0.01, halves away from zero. A Fraction (a shared point: 5 points
    among 3 co-proposers) is rounded exactly, never through a 28-digit Decimal."""
    if type(value) is Fraction:  # (isinstance asks the numbers ABCs: slow, and this is hot)
        cents = abs(value) * 100
        whole = int(cents + Fraction(1, 2))  # floor, as cents is not negative
        return (Decimal(-whole if value < 0 else whole) / 100).quantize(CENT)
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def quarter_to_date(year: int, quarter: int) -> tuple[datetime.date, datetime.date]:
    """The year-to-date period a quarterly bulletin shows: 1 January to the quarter's end."""
    end_month = 3 * quarter
    next_first = (
        datetime.date(year + 1, 1, 1) if end_month == 12 else datetime.date(year, end_month + 1, 1)
    )
    return datetime.date(year, 1, 1), next_first - datetime.timedelta(days=1)


# --- what comes out ----------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """One member × item line of the receipt."""

    category: str
    item: str
    name: str
    matched: int  # facts the item's filter selected (or 1 when a mark was entered)
    counted: int  # facts that scored, after take-highest and count limits
    before: Decimal  # computed, shared, rounded: before the item's cap and floor
    after: Decimal
    limited_by: tuple[str, ...] = ()  # see LIMITS
    sources: tuple[tuple, ...] = ()  # the records of the facts that scored


# What a line or a category total can be limited by, for the receipt.
LIMITS = {
    "not_applicable": _("不适用于该委员"),
    "highest": _("同一记录只取最高"),
    "first": _("只计前 N 次"),
    "from_nth": _("第 N 次起才计"),
    "cap": _("达到上限"),
    "floor": _("达到下限"),
    "max": _("超出评分范围"),
    "prorate": _("按在职时间折算"),
}
# Why a member is not assessed.
EXEMPT_REASONS = {
    "flag": _("按身份不参加考核"),
    "joined_after": _("增补时间晚于考核截止日"),
    "on_leave": _("经批准长期请假"),
    "share": _("在职时间不足"),
}


@dataclass(frozen=True)
class CategoryResult:
    code: str
    name: str
    parent: str | None
    raw: Decimal  # base + lines + sub-categories, before cap and floor
    total: Decimal
    limited_by: tuple[str, ...] = ()
    unprorated: Decimal | None = None  # the total before pro-rating, when pro-rated


@dataclass(frozen=True)
class ChecklistItemResult:
    code: str
    name: str
    required: bool
    met: bool
    count: int  # distinct records that matched
    sources: tuple[tuple, ...] = ()


@dataclass(frozen=True)
class ChecklistResult:
    code: str
    name: str
    items: tuple[ChecklistItemResult, ...]

    @property
    def required_total(self) -> int:
        return sum(1 for i in self.items if i.required)

    @property
    def required_met(self) -> int:
        return sum(1 for i in self.items if i.required and i.met)

    @property
    def complete(self) -> bool:
        return self.required_met == self.required_total

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(i.code for i in self.items if not i.met)

    def item(self, code: str) -> ChecklistItemResult:
        return next(i for i in self.items if i.code == code)


@dataclass(frozen=True)
class Result:
    member_id: int
    assessed: bool
    exempt_reason: str = ""  # "flag", "joined_after", "on_leave" or "share"
    share: Decimal = Decimal(1)  # the share of the period the member was present
    lines: tuple[Line, ...] = ()
    categories: tuple[CategoryResult, ...] = ()
    total: Decimal | None = None
    total_limited_by: tuple[str, ...] = ()
    grade: str | None = None
    grade_before_veto: str | None = None
    vetoes: tuple[str, ...] = ()  # codes of the vetoes whose condition held
    follow_ups: tuple[str, ...] = ()
    candidates: tuple[str, ...] = ()
    checklists: tuple[ChecklistResult, ...] = ()

    def line(self, item: str) -> Line:
        return next(x for x in self.lines if x.item == item)

    def category(self, code: str) -> CategoryResult:
        return next(c for c in self.categories if c.code == code)

    def checklist(self, code: str) -> ChecklistResult:
        return next(c for c in self.checklists if c.code == code)


# --- the evaluation ----------------------------------------------------------------


def evaluate(
    rulebook: Rulebook,
    member: Member,
    facts: Iterable[Fact],
    marks: Mapping[str, Decimal] | None = None,
    period: tuple[datetime.date, datetime.date] | None = None,
    history: Mapping[int, PastYear] | None = None,
) -> Result:
    """Score one member for a period (default: the rulebook's year).

    `facts` may hold other members' facts and facts outside the period: they are
    left out. `marks` maps mark items' codes to what staff entered; `history`
    maps earlier years to their final totals and grades."""
    start, end = period or (
        datetime.date(rulebook.year, 1, 1),
        datetime.date(rulebook.year, 12, 31),
    )
    mine = sorted(
        (f for f in facts if f.member_id == member.id and start <= f.on <= end),
        key=_fact_order,
    )
    days, present = _days(member, start, end)
    share = Decimal(present) / Decimal(days)
    reason = _exemption(rulebook.assessed, member, start, end, present, share)
    if reason:
        return Result(member.id, assessed=False, exempt_reason=reason, share=round(share, 4))

    lines = _lines(rulebook, member, mine, marks or {})
    prorate = rulebook.assessed.prorate and present < days
    categories = _categories(rulebook, lines, days if prorate else 1, present if prorate else 1)
    raw_total = sum((c.total for c in categories if c.parent is None), ZERO)
    total, total_limited = _clamp(raw_total, rulebook.total_cap, rulebook.total_floor)

    checklists = tuple(_checklist(c, mine) for c in rulebook.checklists)
    vetoes = tuple(v.code for v in rulebook.vetoes if _veto_holds(v, mine, lines, checklists))
    grade, grade_before_veto, follow_ups, candidates = conclude(
        rulebook, total, vetoes, checklists, history or {}
    )
    return Result(
        member.id,
        assessed=True,
        share=round(share, 4),
        lines=lines,
        categories=categories,
        total=total,
        total_limited_by=total_limited,
        grade=grade,
        grade_before_veto=grade_before_veto,
        vetoes=vetoes,
        follow_ups=follow_ups,
        candidates=candidates,
        checklists=checklists,
    )


def conclude(rulebook: Rulebook, total: Decimal, vetoes, checklists, history) -> tuple:
    """What follows from a total: the grade, then the grade capped by the vetoes
    that held (codes), the follow-ups (with earlier years' results) and the
    candidate lists. (grade, grade before the vetoes, follow-ups, candidates)."""
    grade = _grade(rulebook, total)
    grade_before_veto = grade
    names = [b.name for b in rulebook.grades]
    for veto in rulebook.vetoes:
        held = veto.code in vetoes and grade is not None
        if held and names.index(grade) < names.index(veto.cap_grade):
            grade = veto.cap_grade
    this_year = PastYear(total, grade)
    follow_ups = []
    for rule in rulebook.follow_ups:
        if rule.code not in follow_ups and _follow_up_holds(
            rule, rulebook.year, this_year, history
        ):
            follow_ups.append(rule.code)
    candidates = tuple(
        c.code
        for c in rulebook.candidates
        if (not c.grades or grade in c.grades)
        and (c.total_at_least is None or total >= c.total_at_least)
        and not (c.no_veto and vetoes)
        and (
            c.checklist_complete is None
            or next(x for x in checklists if x.code == c.checklist_complete).complete
        )
    )
    return grade, grade_before_veto, tuple(follow_ups), candidates


def sector_group_score(rulebook: Rulebook, results: Iterable[Result]) -> Decimal | None:
    """A sector group's score from its members' results: the average of the
    assessed members' totals (rounded half-up) or their sum, as the rulebook says."""
    totals = [r.total for r in results if r.assessed]
    if not totals:
        return None
    if rulebook.group_score == "sum":
        return sum(totals, ZERO)
    return round_half_up(sum(totals, ZERO) / len(totals))


# --- the steps -----------------------------------------------------------------------


def _fact_order(fact: Fact):
    """By date; ties by source record (app, model, id), so "the first N" is stable."""
    return fact.on, tuple((0, x, "") if isinstance(x, int) else (1, 0, str(x)) for x in fact.source)


def _days(member: Member, start, end) -> tuple[int, int]:
    """Days in the period, and days of it the member sat and was not on long leave."""
    days = present = 0
    day = start
    while day <= end:
        days += 1
        sitting = (member.joined_on is None or member.joined_on <= day) and (
            member.left_on is None or day <= member.left_on
        )
        on_leave = any(a <= day <= b for a, b in member.leaves)
        present += sitting and not on_leave
        day += datetime.timedelta(days=1)
    return days, present


def _exemption(assessed: Assessed, member: Member, start, end, present, share) -> str:
    if set(assessed.exempt_flags) & member.flags:
        return "flag"
    if (
        assessed.exempt_joined_after
        and member.joined_on
        and member.joined_on > assessed.exempt_joined_after
    ):
        return "joined_after"
    if assessed.exempt_on_leave and any(a <= end and start <= b for a, b in member.leaves):
        return "on_leave"
    if assessed.prorate and (present == 0 or share < (assessed.min_share or ZERO)):
        return "share"
    return ""


def _clamp(value: Decimal, cap, floor) -> tuple[Decimal, tuple[str, ...]]:
    """The value within [floor, cap], with two places, and what limited it."""
    if cap is not None and value > cap:
        return round_half_up(cap), ("cap",)
    if floor is not None and value < floor:
        return round_half_up(floor), ("floor",)
    return round_half_up(value), ()


def shared_points(item: Item, points: Decimal, role, proposers) -> Decimal | Fraction:
    """One fact's points for this member, after sharing joint work: exact (a
    Fraction when split among co-proposers), rounded only when the line is summed."""
    if item.share != "split":
        return points  # "full", and "by_role" whose table already holds the per-role points
    if type(proposers) is not int or proposers <= 1:
        return points  # a sole proposer keeps the whole
    if role == "first":
        return points * item.first_share
    return Fraction(points) * (1 - Fraction(item.first_share)) / (proposers - 1)


def _points(item: Item, fact: Fact) -> Decimal | Fraction:
    return shared_points(
        item, item.points.of(fact.attrs), fact.attrs.get("role"), fact.attrs.get("proposers")
    )


def _window(per: str, on: datetime.date):
    return {
        "year": on.year,
        "quarter": (on.year, (on.month - 1) // 3),
        "month": (on.year, on.month),
        "period": None,
    }[per]


def _lines(rulebook, member, mine, marks) -> tuple[Line, ...]:
    # 1. what each item's filter selects, with each fact's (shared) points
    selected: dict[str, list[tuple[Fact, Decimal]]] = {}
    for item in rulebook.items:
        if item.kind == MARK or not item.who.holds(member):
            continue
        pairs = [
            (f, _points(item, f))
            for f in mine
            if item.filter.matches(f) and item.points.of(f.attrs) is not None
        ]
        # Two facts of one record on one day (a report adopted at two levels):
        # the one worth more comes first, so "the first N" is the same every time.
        selected[item.code] = sorted(pairs, key=lambda pair: (_fact_order(pair[0]), -pair[1]))

    # 2. take-highest groups: per source record, the one fact worth most
    kept = {code: list(pairs) for code, pairs in selected.items()}
    for group in {i.group for i in rulebook.items if i.group}:
        best: dict[tuple, tuple[str, Fact, Decimal]] = {}
        for item in rulebook.items:
            if item.group != group or item.code not in selected:
                continue
            for fact, value in selected[item.code]:
                if fact.source not in best or value > best[fact.source][2]:
                    best[fact.source] = (item.code, fact, value)
        winners = {(code, id(fact)) for code, fact, _value in best.values()}
        for item in rulebook.items:
            if item.group == group and item.code in kept:
                kept[item.code] = [
                    (f, v) for f, v in kept[item.code] if (item.code, id(f)) in winners
                ]

    lines = []
    for item in rulebook.items:
        if item.kind == MARK:
            lines.append(_mark_line(item, member, marks))
            continue
        if item.code not in selected:
            lines.append(
                Line(item.category, item.code, item.name, 0, 0, ZERO, ZERO, ("not_applicable",))
            )
            continue
        limited = []
        if len(kept[item.code]) < len(selected[item.code]):
            limited.append("highest")

        # 3. count limits, per window, in date order
        counted, position = [], {}
        for fact, value in kept[item.code]:
            window = _window(item.per, fact.on)
            position[window] = n = position.get(window, 0) + 1
            if item.from_nth is not None and n < item.from_nth:
                if "from_nth" not in limited:
                    limited.append("from_nth")
                continue
            if item.first is not None and n > item.first:
                if "first" not in limited:
                    limited.append("first")
                continue
            counted.append((fact, value))

        # 4. sum, round, then the item's own cap and floor
        before = round_half_up(sum((Fraction(v) for _f, v in counted), Fraction(0)))
        after, clamped = _clamp(before, item.cap, item.floor)
        lines.append(
            Line(
                item.category,
                item.code,
                item.name,
                matched=len(selected[item.code]),
                counted=len(counted),
                before=before,
                after=after,
                limited_by=(*limited, *clamped),
                sources=tuple(f.source for f, _v in counted),
            )
        )
    return tuple(lines)


def _mark_line(item: Item, member: Member, marks) -> Line:
    if not item.who.holds(member):
        return Line(item.category, item.code, item.name, 0, 0, ZERO, ZERO, ("not_applicable",))
    if item.code not in marks:
        return Line(item.category, item.code, item.name, 0, 0, ZERO, ZERO)
    before = round_half_up(Decimal(str(marks[item.code])))
    after, bounded = _clamp(before, item.max, ZERO)
    after, clamped = _clamp(after, item.cap, item.floor)
    limited = ("max",) if bounded else ()
    return Line(item.category, item.code, item.name, 1, 1, before, after, (*limited, *clamped))


def _categories(rulebook, lines, days, present) -> tuple[CategoryResult, ...]:
    """Sub-categories first, then their parents; add-mode top-level categories
    are pro-rated to a full period when days != present."""
    done: dict[str, CategoryResult] = {}
    ordered = [c for c in rulebook.categories if c.parent] + [
        c for c in rulebook.categories if not c.parent
    ]
    for c in ordered:
        raw = round_half_up(
            c.base
            + sum((x.after for x in lines if x.category == c.code), ZERO)
            + sum((done[s.code].total for s in rulebook.categories if s.parent == c.code), ZERO)
        )
        total, limited = _clamp(raw, c.cap, c.floor)
        unprorated = None
        if c.parent is None and c.mode == "add" and present != days:
            unprorated = total
            total, clamped = _clamp(round_half_up(total * days / present), c.cap, c.floor)
            limited = (*limited, "prorate", *clamped)
        done[c.code] = CategoryResult(c.code, c.name, c.parent, raw, total, limited, unprorated)
    return tuple(done[c.code] for c in rulebook.categories)


def _grade(rulebook: Rulebook, total: Decimal) -> str | None:
    for band in rulebook.grades:
        if band.min is None or total >= band.min:
            return band.name
    return None


def _checklist(checklist: Checklist, mine) -> ChecklistResult:
    results = []
    for item in checklist.items:
        sources = []
        for fact in mine:
            if any(m.matches(fact) for m in item.match) and fact.source not in sources:
                sources.append(fact.source)
        results.append(
            ChecklistItemResult(
                item.code,
                item.name,
                item.required,
                met=len(sources) >= item.at_least,
                count=len(sources),
                sources=tuple(sources),
            )
        )
    return ChecklistResult(checklist.code, checklist.name, tuple(results))


def _veto_holds(veto, mine, lines, checklists) -> bool:
    if veto.checklist_incomplete:
        return not next(c for c in checklists if c.code == veto.checklist_incomplete).complete
    if veto.item:
        count = next(x for x in lines if x.item == veto.item).matched
    else:
        count = sum(1 for f in mine if veto.match.matches(f))
    return count >= veto.at_least


def _follow_up_holds(rule: FollowUp, year: int, this_year: PastYear, history) -> bool:
    for back in range(rule.years):
        past = this_year if back == 0 else history.get(year - back)
        if past is None:
            return False  # an earlier year not on record: never assume the worst
        if rule.grades and past.grade not in rule.grades:
            return False
        if rule.total_below is not None and not past.total < rule.total_below:
            return False
    return True
