"""The fast evaluation: every member of a body for one period at once.

It gives exactly the Result the reference evaluator (scoring.reference) gives
each member, except that lines and checklist items carry no sources: a receipt
opens its records by evaluating that one member with the reference (see
scoring.receipts), so the province-wide computation never ships fact rows it
does not need. A hypothesis test holds the two to agreement.

How (SCORING-DESIGN.md §2):
1. one grouped query counts, per member × item, the facts each item's filter
   selects, split by what the points depend on (the attribute the points
   table is keyed by, the proposer's role and the number of proposers);
   vetoes that match facts directly ride along as extra items;
2. items that limit which facts count (take-highest groups, first N, from
   the Nth) need the facts in order: one query returns the facts those items
   may select, and the reference's own code filters and ranks them;
3. one query counts, per member × checklist item, the distinct records that
   match it;
4. caps, floors, categories, pro-rating, grades, vetoes, follow-ups and
   candidates are applied in Python to these few numbers per member, with
   the reference's helpers.

The filters are built from the rulebook as Django expressions, so the same
code runs on PostgreSQL and on the embedded SQLite."""

import dataclasses
import datetime
import functools
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from decimal import Decimal
from fractions import Fraction

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import CharField, Count, F, IntegerField, Q, Value
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.db.models.functions import Cast

from scoring import reference
from scoring.models import DutyFact
from scoring.reference import (
    ZERO,
    CategoryResult,
    ChecklistItemResult,
    ChecklistResult,
    Line,
    Result,
    _clamp,
    _exemption,
    _mark_line,
    round_half_up,
)
from scoring.rulebook.types import MARK, Condition, Fact, FactFilter, Item, Member, PastYear

# Attributes DutyFact copies into plain columns ("" when the fact has none).
COLUMNS = frozenset({"activity_kind", "category", "role", "level"})


# --- filters as Django expressions --------------------------------------------------


def _condition_q(condition: Condition) -> Q:
    """The fact carries the attribute and its value is (not) one of the values.
    A fact without the attribute matches neither way, as in Condition.holds."""
    attr, values = condition.attr, list(condition.values)
    if attr in COLUMNS:
        carried = ~Q(**{attr: ""})
        found = Q(**{f"{attr}__in": values})
    else:
        carried = Q(attrs__has_key=attr)
        found = Q(**{f"attrs__{attr}__in": values})
    return carried & (~found if condition.negated else found)


def filter_q(fact_filter: FactFilter) -> Q:
    q = Q(kind=fact_filter.kind)
    for condition in fact_filter.where:
        q &= _condition_q(condition)
    return q


def _text(attr: str):
    return F(attr) if attr in COLUMNS else KeyTextTransform(attr, "attrs")


def _keys(item: Item | None) -> dict:
    """The columns a fact's points depend on: the points table's attribute, and
    for split sharing the proposer's role and the number of proposers."""
    blank = Value("", output_field=CharField())
    key = _text(item.points.by) if item is not None and item.points.by else blank
    if item is not None and item.share == "split":
        role = F("role")
        proposers = Cast(KeyTransform("proposers", "attrs"), IntegerField())
    else:
        role, proposers = blank, Value(0, output_field=IntegerField())
    return {"k": key, "r": role, "p": proposers}


def _limited(item: Item) -> bool:
    return bool(item.group or item.first is not None or item.from_nth is not None)


# --- the queries ----------------------------------------------------------------------

# Placeholders for the body and the dates while a plan's SQL is compiled: the
# compiled text is kept per rulebook and these are swapped for the real
# values, because building the Django querysets of a rulebook costs more than
# running them on a small body.
_BODY = -739_153_217
_START, _END = datetime.date(1111, 1, 1), datetime.date(1111, 1, 2)


def _sql(queryset) -> tuple[str, list]:
    sql, params = queryset.query.sql_with_params()
    return sql, list(params)


def _union_sql(querysets: list) -> tuple[str, list] | None:
    if not querysets:
        return None
    if len(querysets) == 1:
        return _sql(querysets[0])
    return _sql(querysets[0].union(*querysets[1:], all=True))


class _Plan:
    """What one rulebook asks of the facts: three SELECTs over a body's period,
    compiled once per rulebook and database."""

    def __init__(self, rulebook):
        self.rulebook = rulebook
        self.fact_items = [i for i in rulebook.items if i.kind != MARK]
        self.grouped = [i for i in self.fact_items if not _limited(i)]
        self.limited = [i for i in self.fact_items if _limited(i)]
        # vetoes on facts directly: counted like an item with no points
        self.veto_filters = [v for v in rulebook.vetoes if v.match is not None]
        facts = DutyFact.objects.filter(body_id=_BODY, on__range=(_START, _END))
        self.grouped_sql = self._grouped(facts)
        self.limited_sql = self._limited(facts)
        self.checklist_sql = self._checklists(facts)

    def _grouped(self, facts):
        """(member, index, key, role, proposers, count): index < len(grouped) is
        an item of self.grouped, beyond it a veto of self.veto_filters."""
        filters = [(i, filter_q(i.filter)) for i in self.grouped]
        filters += [(None, filter_q(v.match)) for v in self.veto_filters]
        return _union_sql(
            [
                facts.filter(q)
                .annotate(i=Value(n, output_field=IntegerField()), **_keys(item))
                .values("member_id", "i", "k", "r", "p")
                .annotate(n=Count("pk"))
                .order_by()
                .values_list("member_id", "i", "k", "r", "p", "n")
                for n, (item, q) in enumerate(filters)
            ]
        )

    def _limited(self, facts):
        """(member, on, kind, source type, source id, attrs) of every fact one
        of self.limited may select (each fact once: the reference's own code
        then filters and ranks them per item)."""
        if not self.limited:
            return None
        q = Q()
        for item in self.limited:
            q |= filter_q(item.filter)
        return _sql(
            facts.filter(q)
            .order_by()
            .values_list("member_id", "on", "kind", "source_type_id", "source_id", "attrs")
        )

    def _checklists(self, facts):
        """(member, checklist index, item index, distinct records matched)."""
        parts, params = [], []
        for c, checklist in enumerate(self.rulebook.checklists):
            for n, item in enumerate(checklist.items):
                q = Q()
                for fact_filter in item.match:
                    q |= filter_q(fact_filter)
                records = (
                    facts.filter(q)
                    .order_by()
                    .values("member_id", "source_type_id", "source_id")
                    .distinct()
                )
                sql, inner = _sql(records)
                parts.append(
                    f"SELECT t.member_id, {int(c)}, {int(n)}, COUNT(*) FROM ({sql}) t "
                    "GROUP BY t.member_id"
                )
                params.extend(inner)
        return (" UNION ALL ".join(parts), params) if parts else None

    @staticmethod
    def rows(compiled, body_id, start, end) -> list[tuple]:
        if compiled is None:
            return []
        sql, params = compiled
        values = {_BODY: body_id, _START: start, _END: end}
        texts = {str(_START): str(start), str(_END): str(end)}  # SQLite gets dates as text
        bound = [values.get(p, p) if not isinstance(p, str) else texts.get(p, p) for p in params]
        with connection.cursor() as cursor:
            cursor.execute(sql, bound)
            return cursor.fetchall()


@functools.lru_cache(maxsize=64)
def _plan(rulebook, vendor: str) -> _Plan:
    return _Plan(rulebook)


def _source_order(type_id: int, cache: dict) -> tuple[str, str]:
    if type_id not in cache:
        ct = ContentType.objects.get_for_id(type_id)  # Django caches these
        cache[type_id] = (ct.app_label, ct.model)
    return cache[type_id]


# --- the evaluation -------------------------------------------------------------------


def evaluate_period(
    rulebook,
    members: Iterable[Member],
    *,
    body_id: int,
    period: tuple[datetime.date, datetime.date],
    marks: Mapping[int, Mapping[str, Decimal]] | None = None,
    history: Mapping[int, Mapping[int, PastYear]] | None = None,
) -> dict[int, Result]:
    """Every member's Result for the period, as reference.evaluate gives it
    (without sources), from the body's duty facts (facts of members not in
    `members` are left out)."""
    start, end = period
    members = list(members)
    marks, history = marks or {}, history or {}
    plan = _plan(rulebook, connection.vendor)
    ids = {m.id for m in members}

    # 1. grouped counts, as a tuple per member and item (what a line depends on)
    grouped: dict[int, dict[int, list]] = {}
    veto_counts: dict[int, dict[int, int]] = {}
    n_grouped = len(plan.grouped)
    for member_id, i, key, role, proposers, n in plan.rows(plan.grouped_sql, body_id, start, end):
        if member_id not in ids:
            continue
        if i < n_grouped:
            grouped.setdefault(member_id, {}).setdefault(i, []).append((key, role, proposers, n))
        else:
            mine = veto_counts.setdefault(member_id, {})
            mine[i - n_grouped] = mine.get(i - n_grouped, 0) + n

    # 2. the facts of limited items, as the reference reads them
    limited: dict[int, list[Fact]] = defaultdict(list)
    types: dict[int, tuple[str, str]] = {}
    for member_id, on, kind, type_id, source_id, attrs in plan.rows(
        plan.limited_sql, body_id, start, end
    ):
        if member_id in ids:
            if isinstance(on, str):
                on = datetime.date.fromisoformat(on)
            if isinstance(attrs, str):
                attrs = json.loads(attrs)
            source = (*_source_order(type_id, types), source_id)
            limited[member_id].append(Fact(member_id, on, kind, attrs, source))

    # 3. checklist counts
    checks: dict[int, dict[tuple[int, int], int]] = defaultdict(dict)
    for member_id, c, n, count in plan.rows(plan.checklist_sql, body_id, start, end):
        checks[member_id][(c, n)] = count

    evaluator = _MemberEvaluator(rulebook, plan, start, end)
    return {
        m.id: evaluator.evaluate(
            m,
            grouped.get(m.id, {}),
            veto_counts.get(m.id, {}),
            limited.get(m.id, ()),
            checks.get(m.id, {}),
            marks.get(m.id, {}),
            history.get(m.id, {}),
        )
        for m in members
    }


class _MemberEvaluator:
    """The per-member arithmetic over the aggregates. Members with the same
    numbers get the same lines and the same totals, so lines are kept per
    (item, what it counted) and everything after the lines per (lines,
    presence, checklists, vetoes, history): a province's 20,000 members need
    a few thousand distinct computations, not 20,000."""

    def __init__(self, rulebook, plan: _Plan, start, end):
        self.rulebook, self.plan, self.start, self.end = rulebook, plan, start, end
        self.days = (end - start).days + 1
        self.limited_only = dataclasses.replace(rulebook, items=tuple(plan.limited))
        grouped_index = {item.code: n for n, item in enumerate(plan.grouped)}
        limited_codes = {item.code for item in plan.limited}
        # per item of the rulebook: how its line is found
        self.steps = []
        self.empty, self.not_applicable = {}, {}
        for item in rulebook.items:
            if item.kind == MARK:
                self.steps.append(("mark", item, None))
                continue
            after, clamped = _clamp(ZERO, item.cap, item.floor)
            self.empty[item.code] = Line(
                item.category, item.code, item.name, 0, 0, ZERO, after, clamped
            )
            self.not_applicable[item.code] = Line(
                item.category, item.code, item.name, 0, 0, ZERO, ZERO, ("not_applicable",)
            )
            if item.code in limited_codes:
                self.steps.append(("limited", item, None))
            else:
                self.steps.append(("grouped", item, grouped_index[item.code]))
        self.tables = {item.code: dict(item.points.table) for item in plan.fact_items}
        # sub-categories first, then their parents (as reference._categories)
        ordered = [c for c in rulebook.categories if c.parent] + [
            c for c in rulebook.categories if not c.parent
        ]
        self.category_plan = [
            (
                c,
                tuple(n for n, item in enumerate(rulebook.items) if item.category == c.code),
                tuple(s.code for s in rulebook.categories if s.parent == c.code),
            )
            for c in ordered
        ]
        self.lines = {}  # (item, what counted) -> Line
        self.applies = {}  # (standing, flags) -> whether each item applies
        self.interned = {}  # Line -> the one instance kept
        self.tails = {}  # see _tail

    def _present(self, member: Member) -> int:
        """Days of the period the member sat and was not on long leave (the
        reference counts them one by one)."""
        first = max(self.start, member.joined_on or self.start)
        last = min(self.end, member.left_on or self.end)
        if first > last:
            return 0
        if not member.leaves:
            return (last - first).days + 1
        away = set()
        for leave_from, leave_to in member.leaves:
            a, b = max(first, leave_from), min(last, leave_to)
            away.update(a + datetime.timedelta(days=d) for d in range((b - a).days + 1))
        return (last - first).days + 1 - len(away)

    def _grouped_line(self, item: Item, groups: tuple) -> Line:
        table = self.tables[item.code]
        total = Decimal(0) if item.share != "split" else Fraction(0)
        matched = 0
        for key, role, proposers, n in groups:
            points = item.points.value if item.points.by is None else table.get(key)
            if points is None:
                continue  # the points table has no row for it: the fact does not score
            matched += n
            each = reference.shared_points(item, points, role, proposers)
            total += (Fraction(each) if type(total) is Fraction else each) * n
        if not matched:
            return self.empty[item.code]
        before = round_half_up(total)
        after, clamped = _clamp(before, item.cap, item.floor)
        return Line(item.category, item.code, item.name, matched, matched, before, after, clamped)

    def evaluate(self, member, grouped, veto_counts, limited_facts, checks, marks, history):
        rulebook = self.rulebook
        present = self._present(member)
        share = Decimal(1) if present == self.days else Decimal(present) / Decimal(self.days)
        reason = _exemption(rulebook.assessed, member, self.start, self.end, present, share)
        if reason:
            return Result(member.id, assessed=False, exempt_reason=reason, share=round(share, 4))

        limited_lines = None
        if limited_facts:
            ordered = sorted(limited_facts, key=reference._fact_order)
            limited_lines = {
                x.item: dataclasses.replace(x, sources=())
                for x in reference._lines(self.limited_only, member, ordered, {})
            }
        applies = self.applies.get((member.standing, member.flags))
        if applies is None:
            applies = self.applies[(member.standing, member.flags)] = tuple(
                item.who.holds(member) for _how, item, _index in self.steps
            )
        lines = []
        cache = self.lines
        for (how, item, index), holds in zip(self.steps, applies, strict=True):
            if how == "mark":
                key = (item.code, marks.get(item.code), holds)
                line = cache.get(key)
                if line is None:
                    line = cache[key] = _mark_line(item, member, marks)
            elif not holds:
                line = self.not_applicable[item.code]
            elif how == "limited":
                line = limited_lines.get(item.code) if limited_lines else None
                if line is None:
                    line = self.empty[item.code]
                else:
                    line = self.interned.setdefault(line, line)
            else:
                groups = grouped.get(index)
                if groups:
                    key = (index, *groups)
                    line = cache.get(key)
                    if line is None:
                        line = cache[key] = self._grouped_line(item, groups)
                else:
                    line = self.empty[item.code]
            lines.append(line)
        lines = tuple(lines)

        prorate = rulebook.assessed.prorate and present < self.days
        key = (
            tuple(map(id, lines)),
            present if prorate else None,
            tuple(sorted(checks.items())) if checks else (),
            tuple(sorted(veto_counts.items())) if veto_counts else (),
            tuple(sorted(history.items())) if history else (),
        )
        tail = self.tails.get(key)
        if tail is None:
            tail = self.tails[key] = self._tail(
                lines, prorate, present, checks, veto_counts, history
            )
        return Result(member.id, assessed=True, share=round(share, 4), lines=lines, **tail)

    def _categories(self, lines, days, present) -> tuple[CategoryResult, ...]:
        """reference._categories, with which lines and sub-categories add up to
        each category worked out once."""
        done = {}
        for c, line_at, subs in self.category_plan:
            raw = c.base
            for n in line_at:
                raw += lines[n].after
            for sub in subs:
                raw += done[sub].total
            raw = round_half_up(raw)
            total, limited = _clamp(raw, c.cap, c.floor)
            unprorated = None
            if c.parent is None and c.mode == "add" and present != days:
                unprorated = total
                total, clamped = _clamp(round_half_up(total * days / present), c.cap, c.floor)
                limited = (*limited, "prorate", *clamped)
            done[c.code] = CategoryResult(c.code, c.name, c.parent, raw, total, limited, unprorated)
        return tuple(done[c.code] for c in self.rulebook.categories)

    def _tail(self, lines, prorate, present, checks, veto_counts, history) -> dict:
        """Everything after the lines: categories, total, checklists, grade,
        vetoes, follow-ups, candidates."""
        rulebook = self.rulebook
        categories = self._categories(lines, self.days if prorate else 1, present if prorate else 1)
        raw_total = sum((c.total for c in categories if c.parent is None), ZERO)
        total, total_limited = _clamp(raw_total, rulebook.total_cap, rulebook.total_floor)

        checklists = tuple(
            ChecklistResult(
                checklist.code,
                checklist.name,
                tuple(
                    ChecklistItemResult(
                        item.code,
                        item.name,
                        item.required,
                        met=checks.get((c, n), 0) >= item.at_least,
                        count=checks.get((c, n), 0),
                    )
                    for n, item in enumerate(checklist.items)
                ),
            )
            for c, checklist in enumerate(rulebook.checklists)
        )
        vetoes = []
        direct = 0
        for veto in rulebook.vetoes:
            if veto.checklist_incomplete:
                held = not next(
                    x for x in checklists if x.code == veto.checklist_incomplete
                ).complete
            elif veto.item:
                held = next(x for x in lines if x.item == veto.item).matched >= veto.at_least
            else:
                held = veto_counts.get(direct, 0) >= veto.at_least
            if veto.match is not None:
                direct += 1
            if held:
                vetoes.append(veto.code)
        grade, grade_before_veto, follow_ups, candidates = reference.conclude(
            rulebook, total, vetoes, checklists, history
        )
        return {
            "categories": categories,
            "total": total,
            "total_limited_by": total_limited,
            "grade": grade,
            "grade_before_veto": grade_before_veto,
            "vetoes": tuple(vetoes),
            "follow_ups": follow_ups,
            "candidates": candidates,
            "checklists": checklists,
        }
