"""What-if (试算): a rulebook version, typically a draft for the coming year,
tried on the records of an earlier year, before it is published.

The version is evaluated as if it had been loaded for that year: its `year`
and its dates (`assessed.exempt_joined_after`) move to the records' year, and
the members are those of the term sitting then. The evaluation is the very
one a computation runs (services.period_evaluate), with the staff
adjustments of that year's assessment, so the rulebook in force gives no
change at all. "Before" is that year's annual assessment (final, published
or draft), or else the results imported for it. Nothing is written."""

import dataclasses
import datetime
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from members.models import Member
from scoring import annual_selectors as selectors
from scoring import services
from scoring.models import PastResult, Rulebook, Score
from scoring.rulebook import rulebook_dump

ZERO = Decimal("0.00")


@dataclass
class WhatIfRow:
    person_id: int
    member: Member
    before_total: Decimal | None = None
    before_grade: str = ""
    after_total: Decimal | None = None
    after_grade: str = ""
    after_exempt: str = ""  # why the member is not assessed under the tried rules

    @property
    def change(self) -> Decimal | None:
        if self.before_total is None or self.after_total is None:
            return None
        return self.after_total - self.before_total

    @property
    def grade_changed(self) -> bool:
        return self.before_grade != self.after_grade


@dataclass
class WhatIf:
    rulebook: Rulebook
    year: int
    before_label: str
    grades: list[tuple[str, int, int, int]]  # (grade, members before, after, the change)
    rows: list[WhatIfRow]

    @property
    def before_average(self) -> Decimal | None:
        return _average([r.before_total for r in self.rows])

    @property
    def after_average(self) -> Decimal | None:
        return _average([r.after_total for r in self.rows])

    @property
    def changed(self) -> int:
        return sum(1 for r in self.rows if r.change or r.grade_changed)


def _average(values) -> Decimal | None:
    values = [v for v in values if v is not None]
    if not values:
        return None
    return (sum(values, ZERO) / len(values)).quantize(Decimal("0.01"))


def _shift(day: datetime.date | None, years: int) -> datetime.date | None:
    if day is None or not years:
        return day
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February into a common year
        return day.replace(year=day.year + years, day=28)


def rulebook_as_of(rulebook: Rulebook, *, year: int, term) -> Rulebook:
    """The version as if loaded for `year` in `term`: an unsaved copy whose
    text says that year, with its dates moved by as many years."""
    parsed = rulebook.parsed()
    years = year - parsed.year
    moved = dataclasses.replace(
        parsed,
        year=year,
        assessed=dataclasses.replace(
            parsed.assessed,
            exempt_joined_after=_shift(parsed.assessed.exempt_joined_after, years),
        ),
    )
    return Rulebook(
        body_id=rulebook.body_id,
        term=term,
        year=year,
        version=rulebook.version,
        status=rulebook.status,
        name=rulebook.name,
        source=rulebook_dump(moved) if years else rulebook.source,
    )


def _before(*, body_id, year: int):
    """{person id: (member id, total, grade)} of the year's results, the period they
    come from (None for imported ones) and how to call them."""
    period = selectors.annual_period(body_id=body_id, year=year)
    if period is not None and period.computed_at is not None:
        rows = Score.objects.filter(period=period, assessed=True).values_list(
            "member__person_id", "member_id", "total", "grade"
        )
        label = _("%(year)s 年度考核(第 %(version)s 版,%(status)s)") % {
            "year": year,
            "version": period.version,
            "status": period.get_status_display(),
        }
        return {p: (m, t, g) for p, m, t, g in rows}, period, label
    imported = PastResult.objects.filter(body_id=body_id, year=year).values_list(
        "person_id", "member_id", "total", "grade"
    )
    found = {p: (m, t, g) for p, m, t, g in imported}
    if found:
        return found, None, _("%(year)s 年导入的往年考核结果") % {"year": year}
    return {}, None, _("%(year)s 年没有考核结果") % {"year": year}


def whatif_evaluate(*, rulebook: Rulebook, year: int) -> WhatIf:
    """Each member's total and grade for `year` before and under `rulebook`, and
    the grade counts both ways. Reads only."""
    body = rulebook.body
    term = services._term_for(body, year, None)
    if term is None:
        raise ValidationError(
            {"year": _("%(body)s没有 %(year)s 年在任的届次") % {"body": body.name, "year": year}}
        )
    before, period, label = _before(body_id=body.pk, year=year)
    tried = rulebook_as_of(rulebook, year=year, term=term)
    results = services.period_evaluate(
        body_id=body.pk,
        year=year,
        dates=(datetime.date(year, 1, 1), datetime.date(year, 12, 31)),
        rulebook=tried,
        period=period,
    )
    member_ids = {r.member_id for r in results} | {m for m, _t, _g in before.values()}
    members = {
        m.pk: m for m in Member.objects.filter(pk__in=member_ids).select_related("person", "sector")
    }
    rows: dict[int, WhatIfRow] = {}
    for person_id, (member_id, total, grade) in before.items():
        rows[person_id] = WhatIfRow(
            person_id, members[member_id], before_total=total, before_grade=grade
        )
    for result in results:
        member = members[result.member_id]
        row = rows.get(member.person_id)
        if row is None:
            row = rows[member.person_id] = WhatIfRow(member.person_id, member)
        else:
            row.member = member  # the seat of the year's term
        if result.assessed:
            row.after_total, row.after_grade = result.total, result.grade or ""
        else:
            row.after_exempt = result.exempt_reason

    before_counts = Counter(r.before_grade for r in rows.values() if r.before_total is not None)
    after_counts = Counter(r.after_grade for r in rows.values() if r.after_total is not None)
    names = [band.name for band in tried.parsed().grades]
    if period is not None and period.rulebook_id is not None:
        names += [b.name for b in period.rulebook.parsed().grades if b.name not in names]
    names += sorted((set(before_counts) | set(after_counts)) - set(names))
    grades = [
        (
            name or _("无等次"),
            before_counts.get(name, 0),
            after_counts.get(name, 0),
            after_counts.get(name, 0) - before_counts.get(name, 0),
        )
        for name in names
    ]
    return WhatIf(
        rulebook=rulebook,
        year=year,
        before_label=label,
        grades=grades,
        rows=sort_rows(list(rows.values()), "after", descending=True),
    )


SORTS = ("name", "number", "before", "after", "change")


def sort_rows(rows: list[WhatIfRow], key: str, *, descending: bool) -> list[WhatIfRow]:
    """Rows by a column; members without a number in that column last."""
    if key == "name":
        return sorted(rows, key=lambda r: r.member.person.name, reverse=descending)
    if key == "number":
        return sorted(rows, key=lambda r: r.member.number, reverse=descending)
    value = {
        "before": lambda r: r.before_total,
        "after": lambda r: r.after_total,
        "change": lambda r: r.change,
    }.get(key, lambda r: r.after_total)
    present = [r for r in rows if value(r) is not None]
    absent = [r for r in rows if value(r) is None]
    present.sort(key=lambda r: (value(r), r.member.number), reverse=descending)
    return present + sorted(absent, key=lambda r: r.member.number)
