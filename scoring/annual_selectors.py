"""Reads of the year (年度考核, 六个一, 述职, imported history, what-if): every
query the annual pages and tasks make, each a fixed number of statements
whatever the number of members."""

from collections import defaultdict

from django.db.models import Q

from members.models import Member
from members.permissions import Viewer
from scoring.models import (
    AnnualDutyReport,
    ChecklistReminder,
    PastResult,
    Rulebook,
    Score,
    ScorePeriod,
)
from scoring.rulebook import PastYear
from sectors.models import Body, Sector, SectorGroup

# Bodies ---------------------------------------------------------------------------


def bodies_readable(viewer: Viewer):
    """Bodies whose annual results the viewer reads (staff and leadership)."""
    if viewer.is_admin:
        return Body.objects.order_by("name")
    return Body.objects.filter(pk__in=viewer.staff_body_ids | viewer.leadership_body_ids).order_by(
        "name"
    )


def bodies_managed(viewer: Viewer):
    if viewer.is_admin:
        return Body.objects.order_by("name")
    return Body.objects.filter(pk__in=viewer.staff_body_ids).order_by("name")


# Periods and scores -----------------------------------------------------------------


def annual_period(*, body_id, year: int) -> ScorePeriod | None:
    """The current version of the body's annual assessment of the year."""
    return (
        ScorePeriod.objects.filter(body_id=body_id, year=year, quarter=ScorePeriod.ANNUAL)
        .select_related("rulebook", "body")
        .order_by("-version")
        .first()
    )


def annual_periods(*, body_id, years) -> dict[int, ScorePeriod]:
    """The current version of each year's annual assessment (one query)."""
    latest: dict[int, ScorePeriod] = {}
    for period in ScorePeriod.objects.filter(
        body_id=body_id, year__in=list(years), quarter=ScorePeriod.ANNUAL
    ).order_by("year", "version"):
        latest[period.year] = period
    return latest


def annual_final_years(*, body_id, years) -> set[int]:
    """Years whose annual assessment was computed here and made final."""
    return set(
        ScorePeriod.objects.filter(
            body_id=body_id,
            year__in=list(years),
            quarter=ScorePeriod.ANNUAL,
            status=ScorePeriod.Status.FINAL,
        )
        .order_by()
        .values_list("year", flat=True)
    )


def annual_years(*, body_id) -> list[int]:
    """Years with an annual assessment or imported results, latest first."""
    computed = (
        ScorePeriod.objects.filter(body_id=body_id, quarter=ScorePeriod.ANNUAL)
        .order_by()
        .values_list("year", flat=True)
        .distinct()
    )
    imported = (
        PastResult.objects.filter(body_id=body_id)
        .order_by()
        .values_list("year", flat=True)
        .distinct()
    )
    return sorted(set(computed) | set(imported), reverse=True)


def period_scores(*, period: ScorePeriod, assessed_only: bool = False):
    """The period's scores with their members' names, sectors and groups, best first."""
    scores = (
        Score.objects.filter(period=period)
        .select_related("member__person", "member__sector", "member__group")
        .defer("categories")
        .order_by("-assessed", "-total", "member__number", "pk")
    )
    if assessed_only:
        scores = scores.filter(assessed=True)
    return scores


def group_results(*, period: ScorePeriod):
    """(member id, group id, assessed, total) of the period's members who sit in a group."""
    return (
        Score.objects.filter(period=period, member__group__isnull=False)
        .order_by()
        .values_list("member_id", "member__group_id", "assessed", "total")
    )


def member_annual_scores(*, member_ids, year: int) -> dict[int, Score]:
    """Each member's score in the current version of their body's annual
    assessment of the year (one query for the periods, one for the scores)."""
    members = list(Member.objects.filter(pk__in=member_ids).values_list("pk", "term__body_id"))
    bodies = {body_id for _pk, body_id in members}
    latest: dict[int, int] = {}
    for body_id, period_id in (
        ScorePeriod.objects.filter(body_id__in=bodies, year=year, quarter=ScorePeriod.ANNUAL)
        .order_by("body_id", "version")
        .values_list("body_id", "pk")
    ):
        latest[body_id] = period_id
    scores = Score.objects.filter(
        period_id__in=latest.values(), member_id__in=[pk for pk, _b in members]
    ).select_related("period", "rulebook")
    return {s.member_id: s for s in scores}


def past_results(*, body_id, years, person_ids=None) -> dict[int, dict[int, PastYear]]:
    """Final annual results by person and year: imported ones, overridden by
    a year computed here and made final (as services._read_inputs reads them)."""
    years = list(years)
    out: dict[int, dict[int, PastYear]] = defaultdict(dict)
    if not years:
        return out
    imported = PastResult.objects.filter(body_id=body_id, year__in=years)
    computed = Score.objects.filter(
        period__body_id=body_id,
        period__quarter=ScorePeriod.ANNUAL,
        period__status=ScorePeriod.Status.FINAL,
        period__year__in=years,
        assessed=True,
    )
    if person_ids is not None:
        imported = imported.filter(person_id__in=person_ids)
        computed = computed.filter(member__person_id__in=person_ids)
    for person_id, year, total, grade in imported.values_list(
        "person_id", "year", "total", "grade"
    ):
        out[person_id][year] = PastYear(total, grade or None)
    for person_id, year, total, grade in computed.order_by(
        "period__year", "period__version"
    ).values_list("member__person_id", "period__year", "total", "grade"):
        out[person_id][year] = PastYear(total, grade or None)
    return out


def past_result_rows(*, body_id, year: int):
    """The imported results of a year, best first."""
    return (
        PastResult.objects.filter(body_id=body_id, year=year)
        .select_related("member__person", "member__sector", "member__group")
        .order_by("-total", "member__number")
    )


# Rulebooks ----------------------------------------------------------------------


def rulebook_of_year(*, body_id, year: int) -> Rulebook | None:
    """The version in force for the year, or else the latest one."""
    versions = Rulebook.objects.of(body_id, year)
    return versions.published().first() or versions.order_by("-version").first()


def rulebooks_of_years(*, body_id, years) -> dict[int, Rulebook]:
    """rulebook_of_year for several years in one query."""
    chosen: dict[int, Rulebook] = {}
    for rulebook in Rulebook.objects.filter(body_id=body_id, year__in=list(years)).order_by(
        "year", "version"
    ):
        current = chosen.get(rulebook.year)
        if current is None or current.status != Rulebook.Status.PUBLISHED:
            chosen[rulebook.year] = rulebook
    return chosen


def rulebooks_for_whatif(viewer: Viewer):
    return (
        Rulebook.objects.filter(body__in=bodies_managed(viewer))
        .select_related("body")
        .order_by("body__name", "-year", "-version")
    )


# Groups, reports, reminders ---------------------------------------------------------


def sector_groups_of_term(*, term_id):
    return SectorGroup.objects.filter(term_id=term_id).order_by("order", "id")


def sectors_of_term(*, term_id):
    return Sector.objects.filter(term_id=term_id).order_by("order", "id")


def duty_reports_of(*, member_ids, year: int) -> dict[int, AnnualDutyReport]:
    return {
        r.member_id: r
        for r in AnnualDutyReport.objects.filter(member_id__in=member_ids, year=year).only(
            "pk", "member_id", "year", "submitted_at", "updated_at", "file"
        )
    }


def duty_report_of(*, member_id, year: int) -> AnnualDutyReport | None:
    return AnnualDutyReport.objects.filter(member_id=member_id, year=year).first()


def duty_report_for_user(viewer: Viewer, pk) -> AnnualDutyReport | None:
    """The report if the viewer may read it: the member themself, or the
    body's staff and leadership (None otherwise)."""
    report = (
        AnnualDutyReport.objects.select_related("member__person", "member__term__body")
        .filter(pk=pk)
        .first()
    )
    if report is None:
        return None
    if report.member_id in viewer.own_member_ids or viewer.can_read_body(
        report.member.term.body_id
    ):
        return report
    return None


def own_seats(viewer: Viewer):
    """The viewer's current seats, latest term first."""
    return (
        Member.objects.current()
        .filter(pk__in=viewer.own_member_ids)
        .select_related("term__body", "person", "sector", "group")
        .order_by("-term__starts_on", "pk")
    )


def checklist_reminders_of(*, body_id, year: int):
    return ChecklistReminder.objects.filter(body_id=body_id, year=year).select_related(
        "created_by__person"
    )


def checklist_reminders_due(*, today):
    return ChecklistReminder.objects.filter(sent_at__isnull=True, on__lte=today).order_by(
        "on", "pk"
    )


def members_sitting_q(*, on, prefix: str = "member__") -> Q:
    """Members (of scores, by default) still sitting on a day."""
    return Q(**{f"{prefix}left_on__isnull": True}) | Q(**{f"{prefix}left_on__gte": on})
