"""Reads of the leadership summaries (履职总结): the one place their queries live.

Everything here reads what the other apps computed: scores, grades, follow-ups,
candidates and checklists from scoring, attendance from duties, proposals and
social-information reports as recorded. Nothing is scored again. Each summary is
a fixed number of grouped queries whatever the number of members: counts and
averages are grouped in the database, and only the few rows a page lists
(the top and bottom of the ranking, the members on a list) come back as rows."""

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection
from django.db.models import Avg, Case, Count, F, OuterRef, Q, Subquery, Sum, When, Window
from django.db.models.functions import Rank
from django.utils import timezone
from django.utils.translation import gettext as _

from duties.models import Participation
from members.models import Member
from members.permissions import Viewer
from proposals.models import Proposal, Proposer, Rating
from reports.models import Level, ReportAdoption, ReportInstruction, SocialInfoReport
from scoring import annual
from scoring import annual_selectors as scoring_selectors
from scoring.models import PastResult, Score, ScorePeriod
from scoring.reference import quarter_to_date
from sectors.models import Body, Sector, SectorGroup

TOP = 10  # members shown at the top and at the bottom of a body's ranking
TWO = Decimal("0.01")
ONE = Decimal("0.1")

# Who reads which body ------------------------------------------------------------


def summary_bodies(viewer: Viewer):
    """Bodies whose summaries the viewer reads: those whose staff or leadership
    they are, and the bodies below those (an upper body reads its lower ones).
    Levels are at most four deep, so three steps down find every one."""
    # Upper bodies first (a city above its districts), then by name.
    depth = Case(
        When(parent__isnull=True, then=0),
        When(parent__parent__isnull=True, then=1),
        When(parent__parent__parent__isnull=True, then=2),
        default=3,
    )
    if viewer.is_admin:
        return Body.objects.order_by(depth, "name")
    readable = set(scoring_selectors.bodies_readable(viewer).values_list("pk", flat=True))
    below = Body.objects.filter(
        Q(parent_id__in=readable)
        | Q(parent__parent_id__in=readable)
        | Q(parent__parent__parent_id__in=readable)
    ).values_list("pk", flat=True)
    return Body.objects.filter(Q(pk__in=readable) | Q(pk__in=below)).order_by(depth, "name")


def convened_groups(viewer: Viewer):
    """The groups the viewer convenes or liaises, latest term first."""
    return (
        SectorGroup.objects.filter(pk__in=viewer.convened_group_ids)
        .select_related("term")
        .order_by("-term__starts_on", "pk")
    )


def lower_bodies(*, body_id):
    """The bodies directly below one (Body.parent)."""
    return Body.objects.filter(parent_id=body_id).order_by("name")


def summary_years(*, body_id, this_year: int) -> list[int]:
    """Years with a score period or imported results, and this year, latest first."""
    return summary_years_of(body_ids=[body_id], this_year=this_year)[body_id]


def summary_years_of(*, body_ids, this_year: int) -> dict[int, list[int]]:
    """summary_years for several bodies in two queries."""
    years: dict[int, set] = {pk: {this_year} for pk in body_ids}
    for model in (ScorePeriod, PastResult):
        for body_id, year in (
            model.objects.filter(body_id__in=list(body_ids))
            .order_by()
            .values_list("body_id", "year")
            .distinct()
        ):
            years[body_id].add(year)
    return {pk: sorted(found, reverse=True) for pk, found in years.items()}


def period_of(*, body_id, year: int, quarter: int) -> ScorePeriod | None:
    """The current version of the body's period (quarter 0: the annual assessment)."""
    return (
        ScorePeriod.objects.filter(body_id=body_id, year=year, quarter=quarter)
        .select_related("rulebook", "body")
        .order_by("-version")
        .first()
    )


def quarter_periods(*, body_id, year: int) -> list[ScorePeriod]:
    """The current version of each computed quarterly bulletin of the year."""
    latest: dict[int, ScorePeriod] = {}
    for period in ScorePeriod.objects.filter(
        body_id=body_id, year=year, quarter__gte=1, computed_at__isnull=False
    ).order_by("quarter", "version"):
        latest[period.quarter] = period
    return list(latest.values())


# What a summary is made of -----------------------------------------------------------


def _round(value, places=TWO) -> Decimal | None:
    if value is None:
        return None
    return Decimal(value).quantize(places, ROUND_HALF_UP)


def rate(part: int, whole: int) -> Decimal | None:
    """part of whole in per cent, one decimal; None when there is no whole."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(ONE, ROUND_HALF_UP)


def per(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(TWO, ROUND_HALF_UP)


def _moments(start: datetime.date, end: datetime.date) -> tuple[datetime.datetime, ...]:
    """The first moment of `start` and of the day after `end`, local time: a
    range on a timestamp column its index serves (a __date cast would not)."""
    tz = timezone.get_current_timezone()
    after = end + datetime.timedelta(days=1)
    return (
        datetime.datetime.combine(start, datetime.time.min, tz),
        datetime.datetime.combine(after, datetime.time.min, tz),
    )


def _between(column: str, start, end) -> Q:
    first, after = _moments(start, end)
    return Q(**{f"{column}__gte": first, f"{column}__lt": after})


def change(this, last):
    """this − last, or None when either is missing."""
    if this is None or last is None:
        return None
    return this - last


@dataclass
class GradeRow:
    name: str
    count: int
    previous: int | None  # last year's (None: no results last year)


@dataclass
class RankRow:
    rank: int
    member_id: int
    name: str
    number: str
    sector: str
    group: str
    total: Decimal | None
    grade: str
    body_rank: int | None = None  # in the whole body, on a sector's or group's page


@dataclass
class UnitRow:
    """A sector or a sector group compared with the others."""

    key: int
    name: str
    members: int = 0
    assessed: int = 0
    average: Decimal | None = None
    previous_average: Decimal | None = None
    with_checklist: int = 0
    complete: int = 0
    attended: int = 0
    score: Decimal | None = None  # a group's score as the rulebook computes it
    rank: int | None = None
    candidate: bool = False
    order: tuple = (0, 0)

    @property
    def compliance_rate(self) -> Decimal | None:
        return rate(self.complete, self.with_checklist)

    @property
    def activities_per_member(self) -> Decimal | None:
        return per(self.attended, self.members)

    @property
    def average_change(self) -> Decimal | None:
        return change(self.average, self.previous_average)


@dataclass
class Proposals:
    submitted: int = 0
    accepted: int = 0
    satisfaction: list[tuple[str, int]] = field(default_factory=list)  # latest rating each

    @property
    def accepted_rate(self) -> Decimal | None:
        return rate(self.accepted, self.submitted)

    @property
    def rated(self) -> int:
        return sum(n for _label, n in self.satisfaction)

    @property
    def satisfied_rate(self) -> Decimal | None:
        """满意 and 基本满意, of the rated."""
        return rate(sum(n for _l, n in self.satisfaction[:2]), self.rated)


@dataclass
class Reports:
    submitted: int = 0
    adopted: list[tuple[str, int]] = field(default_factory=list)  # by level, county first
    instructed: list[tuple[str, int]] = field(default_factory=list)

    @property
    def adopted_total(self) -> int:
        return sum(n for _l, n in self.adopted)

    @property
    def instructed_total(self) -> int:
        return sum(n for _l, n in self.instructed)


@dataclass
class Change:
    label: str
    this: object
    last: object
    unit: str = ""

    @property
    def delta(self):
        return change(self.this, self.last)


@dataclass
class Summary:
    body: Body
    year: int
    quarter: int  # 0: the year
    start: datetime.date
    end: datetime.date
    sector: Sector | None = None
    group: SectorGroup | None = None
    period: ScorePeriod | None = None
    previous: ScorePeriod | None = None
    members: int = 0
    assessed: int = 0
    average: Decimal | None = None
    previous_assessed: int | None = None
    previous_average: Decimal | None = None
    grades: list[GradeRow] = field(default_factory=list)
    top: list[RankRow] = field(default_factory=list)
    bottom: list[RankRow] = field(default_factory=list)
    ranking: list[RankRow] = field(default_factory=list)  # a sector's or group's members
    sectors: list[UnitRow] = field(default_factory=list)
    groups: list[UnitRow] = field(default_factory=list)
    total: UnitRow | None = None  # the scope as one row: compliance, activities
    checklist_name: str = ""
    previous_compliance: Decimal | None = None
    previous_activities: Decimal | None = None
    group_how: str = ""
    group_rule: str = ""
    follow_ups: list = field(default_factory=list)  # MemberList
    candidates: list = field(default_factory=list)
    proposals: Proposals = field(default_factory=Proposals)
    previous_proposals: Proposals = field(default_factory=Proposals)
    reports: Reports = field(default_factory=Reports)
    previous_reports: Reports = field(default_factory=Reports)
    quarters: list[ScorePeriod] = field(default_factory=list)

    @property
    def has_scores(self) -> bool:
        return self.period is not None and self.period.computed_at is not None

    @property
    def is_annual(self) -> bool:
        return self.quarter == ScorePeriod.ANNUAL

    @property
    def scoped(self) -> bool:
        return self.sector is not None or self.group is not None

    @property
    def changes(self) -> list[Change]:
        """This year beside last year (the same quarter, for a quarter)."""
        this, last = self.proposals, self.previous_proposals
        rows = [
            Change(_("参加考核人数"), self.assessed if self.has_scores else None,
                   self.previous_assessed),
            Change(_("平均分"), self.average, self.previous_average, _("分")),
        ]  # fmt: skip
        if self.checklist_name:
            rows.append(
                Change(
                    _("“%(name)s”完成率") % {"name": self.checklist_name},
                    self.total.compliance_rate if self.total else None,
                    self.previous_compliance,
                    "%",
                )
            )
        rows += [
            Change(_("人均参加活动"), self.total.activities_per_member if self.total else None,
                   self.previous_activities, _("次")),
            Change(_("提交提案"), this.submitted, last.submitted, _("件")),
            Change(_("立案"), this.accepted, last.accepted, _("件")),
            Change(_("立案率"), this.accepted_rate, last.accepted_rate, "%"),
            Change(_("报送社情民意信息"), self.reports.submitted, self.previous_reports.submitted,
                   _("条")),
            Change(_("信息获采用"), self.reports.adopted_total,
                   self.previous_reports.adopted_total, _("次")),
            Change(_("信息获批示"), self.reports.instructed_total,
                   self.previous_reports.instructed_total, _("次")),
        ]  # fmt: skip
        return rows


# The summary ---------------------------------------------------------------------------


def summary_read(
    *,
    body: Body,
    year: int,
    quarter: int = ScorePeriod.ANNUAL,
    sector: Sector | None = None,
    group: SectorGroup | None = None,
    list_limit: int | None = None,
) -> Summary:
    """A body's year (or quarter: the year to its end), or one sector's or
    group's part of it, beside the same time last year. The reminder-talk and
    candidate lists keep their first `list_limit` members (None: all)."""
    start, end = quarter_to_date(year, 4 if quarter == ScorePeriod.ANNUAL else quarter)
    summary = Summary(body=body, year=year, quarter=quarter, start=start, end=end)
    summary.sector, summary.group = sector, group
    summary.period = period_of(body_id=body.pk, year=year, quarter=quarter)
    summary.previous = period_of(body_id=body.pk, year=year - 1, quarter=quarter)
    if summary.previous is not None and summary.previous.computed_at is None:
        summary.previous = None
    last_start, last_end = quarter_to_date(year - 1, 4 if quarter == 0 else quarter)
    summary.proposals, summary.previous_proposals = _proposals(summary, last_start, last_end)
    summary.reports, summary.previous_reports = _reports(summary, last_start, last_end)
    if not summary.has_scores:
        summary.quarters = quarter_periods(body_id=body.pk, year=year) if quarter == 0 else []
        _previous_only(summary)
        return summary
    _scores(summary)
    _units(summary)
    if summary.scoped:
        summary.ranking = _ranking(summary, limit=None)
    else:
        summary.top = _ranking(summary, limit=TOP)
        summary.bottom = _ranking(summary, limit=TOP, worst=True)
    _lists(summary, list_limit)
    return summary


def _scope_q(summary: Summary, prefix: str = "member__") -> Q:
    """Scores (or rows reaching a member through `prefix`) of the page's sector or
    group. By name: last year's sector of the same name may be another term's row."""
    if summary.sector is not None:
        return Q(**{f"{prefix}sector__name": summary.sector.name})
    if summary.group is not None:
        return Q(**{f"{prefix}group__name": summary.group.name})
    return Q()


def _periods(summary: Summary) -> list[int]:
    return [p.pk for p in (summary.period, summary.previous) if p is not None]


def _grade_names(period: ScorePeriod | None) -> list[str]:
    if period is None or period.rulebook_id is None:
        return []
    return [band.name for band in period.rulebook.parsed().grades]


def _scores(summary: Summary) -> None:
    """Members, assessed, average and grade counts of this year and last, one
    grouped query."""
    rows = (
        Score.objects.filter(_scope_q(summary), period_id__in=_periods(summary))
        .order_by()
        .values_list("period_id", "assessed", "grade")
        .annotate(n=Count("pk"), total=Sum("total"))
    )
    members: Counter = Counter()
    assessed: Counter = Counter()
    totals: dict = defaultdict(Decimal)
    grades: dict[int, Counter] = defaultdict(Counter)
    for period_id, is_assessed, grade, n, total in rows:
        members[period_id] += n
        if is_assessed:
            assessed[period_id] += n
            totals[period_id] += total or 0
            grades[period_id][grade] += n
    this, last = summary.period.pk, getattr(summary.previous, "pk", None)
    summary.members, summary.assessed = members[this], assessed[this]
    summary.average = _round(totals[this] / assessed[this]) if assessed[this] else None
    if last is not None:
        summary.previous_assessed = assessed[last]
        summary.previous_average = _round(totals[last] / assessed[last]) if assessed[last] else None
    names = _grade_names(summary.period)
    names += [n for n in _grade_names(summary.previous) if n not in names]
    names += [n for n in [*grades[this], *grades.get(last, ())] if n not in names]
    summary.grades = [
        GradeRow(
            name or _("无等次"),
            grades[this].get(name, 0),
            grades[last].get(name, 0) if last is not None else None,
        )
        for name in names
    ]


def _checklist_code(period: ScorePeriod | None) -> tuple[str, str]:
    """The first checklist of the period's rulebook (六个一): code and name."""
    if period is None or period.rulebook_id is None:
        return "", ""
    checklists = period.rulebook.parsed().checklists
    return (checklists[0].code, checklists[0].name) if checklists else ("", "")


def _has(code: str) -> Q:
    return Q(checklists__contains=[{"code": code}])


def _missing_required(code: str) -> Q:
    # jsonb containment: some checklist of this code has some required item not met
    return Q(checklists__contains=[{"code": code, "items": [{"required": True, "met": False}]}])


def _units(summary: Summary) -> None:
    """The sector and group comparisons (members, average, checklist compliance,
    activities attended per member), this year and last, in grouped queries."""
    code, summary.checklist_name = _checklist_code(summary.period)
    previous_code, _name = _checklist_code(summary.previous)
    periods = _periods(summary)
    scores = Score.objects.filter(_scope_q(summary), period_id__in=periods).order_by()
    annotations = {
        "n_members": Count("pk"),
        "n_assessed": Count("pk", filter=Q(assessed=True)),
        "sum_total": Sum("total", filter=Q(assessed=True)),
    }
    json_in_sql = connection.vendor == "postgresql"
    if json_in_sql and (code or previous_code):
        # the code differs by period only if the rulebook changed its checklist
        with_checklist = Q(period_id=summary.period.pk) & _has(code) if code else Q(pk=None)
        complete = (
            Q(period_id=summary.period.pk) & _has(code) & ~_missing_required(code)
            if code
            else Q(pk=None)
        )
        if previous_code and summary.previous is not None:
            with_checklist |= Q(period_id=summary.previous.pk) & _has(previous_code)
            complete |= (
                Q(period_id=summary.previous.pk)
                & _has(previous_code)
                & ~_missing_required(previous_code)
            )
        annotations["n_checklist"] = Count("pk", filter=Q(assessed=True) & with_checklist)
        annotations["n_complete"] = Count("pk", filter=Q(assessed=True) & with_checklist & complete)
    rows = list(
        scores.values(
            "period_id",
            "member__sector_id",
            "member__sector__name",
            "member__sector__order",
            "member__group_id",
            "member__group__name",
            "member__group__order",
        ).annotate(**annotations)
    )
    if not json_in_sql and (code or previous_code):
        _checklists_in_python(rows, scores, {summary.period.pk: code, **(
            {summary.previous.pk: previous_code} if summary.previous else {})})  # fmt: skip
    attended = _attended(summary)

    this = summary.period.pk
    sectors: dict[str, UnitRow] = {}
    groups: dict[str, UnitRow] = {}
    total = UnitRow(0, _("合计"))
    previous_totals = UnitRow(0, "")
    previous_sums: dict[str, list] = defaultdict(lambda: [Decimal(0), 0])  # name: [sum, n]
    for row in rows:
        n_assessed = row["n_assessed"]
        if row["period_id"] != this:
            for name in (f"s:{row['member__sector__name']}", f"g:{row['member__group__name']}"):
                if row["sum_total"] is not None:
                    previous_sums[name][0] += row["sum_total"]
                    previous_sums[name][1] += n_assessed
            previous_totals.members += row["n_members"]
            previous_totals.with_checklist += row.get("n_checklist", 0)
            previous_totals.complete += row.get("n_complete", 0)
            continue
        units = [
            (sectors, row["member__sector__name"], row["member__sector_id"],
             row["member__sector__order"]),
            (groups, row["member__group__name"], row["member__group_id"],
             row["member__group__order"]),
        ]  # fmt: skip
        for target, name, key, order in [*units, (None, None, None, None)]:
            if target is None:
                unit = total
            elif key is None:
                continue
            else:
                unit = target.get(name)
                if unit is None:
                    unit = target[name] = UnitRow(key, name, order=(order, key))
            unit.members += row["n_members"]
            if row["sum_total"] is not None:
                # the sum kept in `average` until divided below
                unit.average = (unit.average or 0) + row["sum_total"]
            unit.assessed += n_assessed
            unit.with_checklist += row.get("n_checklist", 0)
            unit.complete += row.get("n_complete", 0)
    for unit in [total, *sectors.values(), *groups.values()]:
        unit.average = _round(unit.average / unit.assessed) if unit.assessed else None
    for name, unit in sectors.items():
        unit.attended = attended["sector"].get(unit.key, 0)
        s, n = previous_sums.get(f"s:{name}", (0, 0))
        unit.previous_average = _round(s / n) if n else None
    for name, unit in groups.items():
        unit.attended = attended["group"].get(unit.key, 0)
        s, n = previous_sums.get(f"g:{name}", (0, 0))
        unit.previous_average = _round(s / n) if n else None
    total.attended = attended["total"]
    summary.total = total
    if summary.previous is not None:
        summary.previous_compliance = rate(previous_totals.complete, previous_totals.with_checklist)
        summary.previous_activities = per(attended["previous"], previous_totals.members)
    summary.sectors = sorted(sectors.values(), key=lambda u: u.order)
    summary.groups = sorted(groups.values(), key=lambda u: u.order)
    _group_scores(summary)


def _checklists_in_python(rows, scores, codes: dict[int, str]) -> None:
    """What the grouped query counts on PostgreSQL, for databases without jsonb
    containment (the SQLite demo): one query for every score's checklists."""
    keys = ("period_id", "member__sector_id", "member__group_id")
    counts: dict[tuple, list] = defaultdict(lambda: [0, 0])
    for *key, assessed, checklists in scores.values_list(*keys, "assessed", "checklists"):
        code = codes.get(key[0])
        mine = next((c for c in checklists or () if c.get("code") == code), None)
        if not assessed or mine is None:
            continue
        counts[tuple(key)][0] += 1
        counts[tuple(key)][1] += all(i["met"] for i in mine["items"] if i["required"])
    for row in rows:
        row["n_checklist"], row["n_complete"] = counts.get(tuple(row[k] for k in keys), (0, 0))


def _attended(summary: Summary) -> dict:
    """Activities attended by the period's members in its dates, by sector and
    group (one query), and last year's total (one more)."""
    this = (
        Participation.objects.attended()
        .filter(
            _scope_q(summary),
            _between("activity__starts_at", summary.start, summary.end),
            member_id__in=Score.objects.filter(period=summary.period).values("member_id"),
            activity__body_id=summary.body.pk,
        )
        .order_by()
        .values_list("member__sector_id", "member__group_id")
        .annotate(n=Count("pk"))
    )
    out = {"sector": Counter(), "group": Counter(), "total": 0, "previous": 0}
    for sector_id, group_id, n in this:
        out["sector"][sector_id] += n
        if group_id is not None:
            out["group"][group_id] += n
        out["total"] += n
    if summary.previous is not None:
        start, end = summary.previous.dates
        out["previous"] = (
            Participation.objects.attended()
            .filter(
                _scope_q(summary),
                _between("activity__starts_at", start, end),
                member_id__in=Score.objects.filter(period=summary.previous).values("member_id"),
                activity__body_id=summary.body.pk,
            )
            .count()
        )
    return out


def _group_scores(summary: Summary) -> None:
    """Each group's score, rank and advanced-group candidacy as scoring computes them."""
    rows, summary.group_how, summary.group_rule = annual.sector_groups_read(period=summary.period)
    by_id = {row.group.pk: row for row in rows}
    for unit in summary.groups:
        row = by_id.get(unit.key)
        if row is not None:
            unit.score, unit.rank, unit.candidate = row.score, row.rank, row.candidate
    summary.groups.sort(key=lambda u: (u.rank is None, u.rank or 0, u.order))


def _ranking(summary: Summary, *, limit: int | None, worst: bool = False) -> list[RankRow]:
    """Assessed members by total with their rank (ties share one): the best
    `limit`, the worst `limit`, or, for a sector or group, all of its members
    with their rank in the scope and in the whole body."""
    scores = Score.objects.filter(_scope_q(summary), period=summary.period, assessed=True).annotate(
        rank=Window(Rank(), order_by=F("total").desc())
    )
    fields = ["rank", "member_id", "member__person__name", "member__number",
              "member__sector__name", "member__group__name", "total", "grade"]  # fmt: skip
    scores = scores.values_list(*fields)
    if worst:
        scores = scores.order_by("total", "-member__number")
    else:
        scores = scores.order_by("-total", "member__number")
    if limit is not None:
        scores = scores[:limit]
    rows = [
        RankRow(
            rank=row[0],
            member_id=row[1],
            name=row[2],
            number=row[3],
            sector=row[4],
            group=row[5] or "",
            total=row[6],
            grade=row[7],
        )
        for row in scores
    ]
    if summary.scoped:
        # the rank in the whole body: one more than those with a higher total
        above, ranks = 0, {}
        for total, n in (
            Score.objects.filter(period=summary.period, assessed=True)
            .order_by("-total")
            .values_list("total")
            .annotate(n=Count("pk"))
        ):
            ranks[total] = above + 1
            above += n
        for row in rows:
            row.body_rank = ranks.get(row.total)
    if worst:
        rows.reverse()
    return rows


@dataclass
class Listed:
    """A member on a reminder-talk or candidate list, with why."""

    member_id: int
    name: str
    sector: str
    total: Decimal | None
    grade: str
    reasons: list[str] = field(default_factory=list)


@dataclass
class MemberList:
    code: str
    name: str
    conditions: str  # the rule(s) in words
    members: list[Listed] = field(default_factory=list)  # the first `limit` of them
    count: int = 0  # all of them

    @property
    def more(self) -> int:
        return self.count - len(self.members)


def _lists(summary: Summary, limit: int | None) -> None:
    """The reminder-talk lists (lowest total first) and the candidate lists
    (highest first), each member with why, as the annual assessment gives
    them (scoring.annual); only the members on a list are read, and only the
    first `limit` of each list get their reasons."""
    period = summary.period
    if period.rulebook_id is None:
        return
    parsed = period.rulebook.parsed()
    rows = list(
        Score.objects.filter(_scope_q(summary), period=period, assessed=True)
        .exclude(follow_ups=[], candidates=[])
        .order_by("total", "member__number")
        .values_list(
            "member_id",
            "member__person_id",
            "member__person__name",
            "member__sector__name",
            "total",
            "grade",
            "follow_ups",
            "candidates",
        )
    )
    follow_ups: dict[str, MemberList] = {}
    for rule in parsed.follow_ups:
        entry = follow_ups.setdefault(rule.code, MemberList(rule.code, rule.name, ""))
        entry.conditions = _(";或").join(
            filter(None, [entry.conditions, annual.follow_up_conditions(rule)])
        )
    kept = defaultdict(list)  # code: rows
    for row in rows:
        for code in row[6]:
            entry = follow_ups.get(code)
            if entry is not None:
                entry.count += 1
                if limit is None or len(kept[code]) < limit:
                    kept[code].append(row)
    back = max((rule.years for rule in parsed.follow_ups), default=1) - 1
    history = {}
    if back and kept:
        history = scoring_selectors.past_results(
            body_id=period.body_id,
            years=range(period.year - back, period.year),
            person_ids={row[1] for listed in kept.values() for row in listed},
        )
    for code, listed in kept.items():
        for member_id, person_id, name, sector, total, grade, _f, _c in listed:
            this = Listed(member_id, name, sector, total, grade)
            this.reasons = [
                reason
                for rule in parsed.follow_ups
                if rule.code == code
                and (
                    reason := annual._follow_up_reason(
                        rule, this, history.get(person_id, {}), period.year
                    )
                )
            ]
            follow_ups[code].members.append(this)
    summary.follow_ups = list(follow_ups.values())
    for rule in parsed.candidates:
        entry = MemberList(rule.code, rule.name, annual.candidate_conditions(rule, parsed))
        for member_id, _p, name, sector, total, grade, _f, candidates in reversed(rows):
            if rule.code not in candidates:
                continue
            entry.count += 1
            if limit is None or len(entry.members) < limit:
                reason = _("%(grade)s,%(total)s 分") % {"grade": grade or "—", "total": total}
                entry.members.append(Listed(member_id, name, sector, total, grade, [reason]))
        summary.candidates.append(entry)


def _previous_only(summary: Summary) -> None:
    """Without this year's scores: last year's count and average still show."""
    if summary.previous is None:
        return
    figures = Score.objects.filter(
        _scope_q(summary), period=summary.previous, assessed=True
    ).aggregate(n=Count("pk"), average=Avg("total"))
    summary.previous_assessed = figures["n"]
    summary.previous_average = _round(figures["average"])


# Proposals and reports ----------------------------------------------------------------


def _proposal_scope(summary: Summary) -> Q:
    """A sector's or group's proposals: those whose first proposer sits in it, and
    a group's own."""
    if summary.sector is None and summary.group is None:
        return Q()
    first = Proposer.objects.filter(role=Proposer.Role.FIRST).filter(_scope_q(summary))
    scope = Q(pk__in=first.values("proposal_id"))
    if summary.group is not None:
        scope |= Q(proposer_group__name=summary.group.name)
    return scope


def _proposals(summary: Summary, last_start, last_end) -> tuple[Proposals, Proposals]:
    """Proposals submitted in the dates and last year's, how many were accepted
    (立案: numbered), and the satisfaction of the latest rating of each."""
    proposals = Proposal.objects.submitted().filter(
        _proposal_scope(summary),
        _between("submitted_at", last_start, summary.end),
        body_id=summary.body.pk,
    )
    this_year = _between("submitted_at", summary.start, summary.end)
    last_year = _between("submitted_at", last_start, last_end)
    counts = proposals.aggregate(
        submitted=Count("pk", filter=this_year),
        accepted=Count("pk", filter=this_year & Q(number__isnull=False)),
        last_submitted=Count("pk", filter=last_year),
        last_accepted=Count("pk", filter=last_year & Q(number__isnull=False)),
    )
    latest_round = Subquery(
        Rating.objects.filter(proposal=OuterRef("proposal_id"))
        .order_by("-round")
        .values("round")[:1]
    )
    by_satisfaction = dict(
        Rating.objects.filter(proposal__in=proposals.filter(this_year))
        .alias(latest=latest_round)
        .filter(round=F("latest"))
        .order_by()
        .values_list("satisfaction")
        .annotate(n=Count("pk"))
    )
    this = Proposals(
        counts["submitted"],
        counts["accepted"],
        [(label, by_satisfaction.get(value, 0)) for value, label in Rating.Satisfaction.choices],
    )
    return this, Proposals(counts["last_submitted"], counts["last_accepted"])


def _report_scope(summary: Summary, prefix: str = "") -> Q:
    if summary.sector is None and summary.group is None:
        return Q()
    scope = _scope_q(summary, prefix=f"{prefix}author_member__")
    if summary.group is not None:
        scope |= Q(**{f"{prefix}author_group__name": summary.group.name})
    return scope


def _reports(summary: Summary, last_start, last_end) -> tuple[Reports, Reports]:
    """Reports submitted in the dates, and adoptions and instructions recorded
    in them by level (as reports.selectors.report_year_summary counts a year),
    this year and last."""
    body_id = summary.body.pk
    submitted = (
        SocialInfoReport.objects.filter(
            _report_scope(summary),
            _between("submitted_at", last_start, summary.end),
            body_id=body_id,
        )
        .submitted()
        .aggregate(
            this=Count("pk", filter=_between("submitted_at", summary.start, summary.end)),
            last=Count("pk", filter=_between("submitted_at", last_start, last_end)),
        )
    )
    this, last = Reports(submitted["this"]), Reports(submitted["last"])
    for model, date, attr in (
        (ReportAdoption, "adopted_on", "adopted"),
        (ReportInstruction, "instructed_on", "instructed"),
    ):
        by_level = {
            level: (n, m)
            for level, n, m in model.objects.filter(
                _report_scope(summary, prefix="report__"),
                report__body_id=body_id,
                **{f"{date}__range": (last_start, summary.end)},
            )
            .order_by()
            .values_list("level")
            .annotate(
                n=Count("pk", filter=Q(**{f"{date}__range": (summary.start, summary.end)})),
                m=Count("pk", filter=Q(**{f"{date}__range": (last_start, last_end)})),
            )
        }
        setattr(this, attr, [(label, by_level.get(v, (0, 0))[0]) for v, label in Level.choices])
        setattr(last, attr, [(label, by_level.get(v, (0, 0))[1]) for v, label in Level.choices])
    return this, last


# Lower bodies side by side ------------------------------------------------------------


@dataclass
class LowerBody:
    body: Body
    period: ScorePeriod | None
    members: int = 0  # with a score in the year's assessment, else sitting now
    assessed: int = 0
    with_checklist: int = 0
    complete: int = 0
    grades: list[tuple[str, int]] = field(default_factory=list)

    @property
    def compliance_rate(self) -> Decimal | None:
        return rate(self.complete, self.with_checklist)


def lower_read(*, body: Body, year: int) -> list[LowerBody]:
    """The bodies below `body` with their year: members, the checklist
    compliance rate and the grade distribution (a fixed number of queries)."""
    bodies = list(lower_bodies(body_id=body.pk))
    latest: dict[int, ScorePeriod] = {}
    for period in (
        ScorePeriod.objects.filter(
            body__in=bodies, year=year, quarter=ScorePeriod.ANNUAL, computed_at__isnull=False
        )
        .select_related("rulebook")
        .order_by("body_id", "version")
    ):
        latest[period.body_id] = period
    rows = {b.pk: LowerBody(b, latest.get(b.pk)) for b in bodies}
    periods = {p.pk: p for p in latest.values()}
    grades: dict[int, Counter] = defaultdict(Counter)
    for period_id, assessed, grade, n in (
        Score.objects.filter(period_id__in=list(periods))
        .order_by()
        .values_list("period_id", "assessed", "grade")
        .annotate(n=Count("pk"))
    ):
        row = rows[periods[period_id].body_id]
        row.members += n
        if assessed:
            row.assessed += n
            grades[row.body.pk][grade] += n
    codes = {pk: _checklist_code(p)[0] for pk, p in periods.items()}
    if any(codes.values()):
        scores = Score.objects.filter(period_id__in=[pk for pk, c in codes.items() if c])
        if connection.vendor == "postgresql":
            with_checklist = complete = Q(pk=None)
            for pk, code in codes.items():
                if code:
                    with_checklist |= Q(period_id=pk) & _has(code)
                    complete |= Q(period_id=pk) & _has(code) & ~_missing_required(code)
            found = (
                scores.order_by()
                .values_list("period_id")
                .annotate(
                    with_checklist=Count("pk", filter=Q(assessed=True) & with_checklist),
                    complete=Count("pk", filter=Q(assessed=True) & complete),
                )
            )
        else:
            found_rows = [{"period_id": pk, "member__sector_id": None, "member__group_id": None}
                          for pk in periods]  # fmt: skip
            _checklists_by_period(found_rows, scores, codes)
            found = [(r["period_id"], r["with_checklist"], r["complete"]) for r in found_rows]
        for period_id, n, done in found:
            row = rows[periods[period_id].body_id]
            row.with_checklist, row.complete = n, done
    without = [pk for pk, row in rows.items() if row.period is None]
    if without:
        for body_id, n in (
            Member.objects.current()
            .filter(term__body_id__in=without)
            .order_by()
            .values_list("term__body_id")
            .annotate(n=Count("pk"))
        ):
            rows[body_id].members = n
    for row in rows.values():
        names = _grade_names(row.period)
        names += [n for n in grades[row.body.pk] if n not in names]
        row.grades = [(name or _("无等次"), grades[row.body.pk].get(name, 0)) for name in names]
    return list(rows.values())


def _checklists_by_period(rows, scores, codes) -> None:
    counts: dict[int, list] = defaultdict(lambda: [0, 0])
    for period_id, assessed, checklists in scores.values_list(
        "period_id", "assessed", "checklists"
    ):
        mine = next((c for c in checklists or () if c.get("code") == codes.get(period_id)), None)
        if assessed and mine is not None:
            counts[period_id][0] += 1
            counts[period_id][1] += all(i["met"] for i in mine["items"] if i["required"])
    for row in rows:
        row["with_checklist"], row["complete"] = counts.get(row["period_id"], (0, 0))
