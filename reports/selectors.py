"""Reads of social-information reports: the lists (each a fixed number of
queries), the timeline, bulletins, and the per-member, per-year facts that
scoring and summaries use (grouped queries, never one per member or report)."""

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import ExtractYear
from django.utils import timezone

from reports.models import (
    RANK,
    Level,
    ReportAdoption,
    ReportEvent,
    ReportInstruction,
    SocialInfoReport,
    level_rank,
)
from reports.permissions import handled_body_ids, own_reports, reports_visible_to

S = SocialInfoReport.Status


def _top_rank(model, field="level"):
    """The highest level recorded for the outer report, as its rank (or NULL)."""
    return Subquery(
        model.objects.filter(report_id=OuterRef("pk"))
        .annotate(rank=level_rank(field))
        .order_by("-rank")
        .values("rank")[:1]
    )


def with_feedback(qs: QuerySet) -> QuerySet:
    """Authors, the highest adoption and instruction levels (`adoption_rank`,
    `instruction_rank`, read by the model's *_label properties) in the same query."""
    return qs.for_listing().annotate(
        adoption_rank=_top_rank(ReportAdoption),
        instruction_rank=_top_rank(ReportInstruction),
    )


def report_list(
    *,
    user,
    year: int | None = None,
    status: str = "",
    level: str = "",
    instructed: str = "",
    body_id: int | None = None,
) -> QuerySet:
    """Every report the user may see, filtered. `level`: adopted at that level;
    `instructed`: "any", or instructed by a leader of that level."""
    qs = reports_visible_to(user)
    if body_id:
        qs = qs.filter(body_id=body_id)
    if year:
        qs = qs.in_year(year)
    if status in S.values:
        qs = qs.filter(status=status)
    if level in Level.values:
        qs = qs.filter(Exists(ReportAdoption.objects.filter(report_id=OuterRef("pk"), level=level)))
    if instructed == "any":
        qs = qs.filter(Exists(ReportInstruction.objects.filter(report_id=OuterRef("pk"))))
    elif instructed in Level.values:
        qs = qs.filter(
            Exists(ReportInstruction.objects.filter(report_id=OuterRef("pk"), level=instructed))
        )
    return with_feedback(qs).order_by("-submitted_at", "-id")


def my_reports(*, user) -> QuerySet:
    return with_feedback(own_reports(user)).order_by("-created_at", "-id")


def report_queue(*, user) -> QuerySet:
    """Reports waiting for the staff: submitted (to accept) and accepted (to edit
    into the bulletin or mark not used), oldest first."""
    return with_feedback(
        SocialInfoReport.objects.filter(
            body_id__in=handled_body_ids(user), status__in=(S.SUBMITTED, S.ACCEPTED)
        )
    ).order_by("submitted_at", "id")


def report_years(*, user) -> list[int]:
    return sorted(
        set(
            reports_visible_to(user)
            .submitted()
            .order_by()
            .annotate(y=ExtractYear("submitted_at"))
            .values_list("y", flat=True)
            .distinct()
        ),
        reverse=True,
    )


def report_timeline(*, report: SocialInfoReport) -> list[ReportEvent]:
    return list(report.events.select_related("by__person"))


def bulletin_reports(*, body_id: int, year: int, issue: int) -> QuerySet:
    return (
        SocialInfoReport.objects.filter(
            body_id=body_id, status=S.USED, bulletin_year=year, bulletin_issue=issue
        )
        .for_listing()
        .order_by("reviewed_at", "id")
    )


def bulletin_issues(*, body_id: int, year: int) -> list[tuple[int, int]]:
    """(issue, number of reports) of every bulletin issue of a year."""
    return list(
        SocialInfoReport.objects.filter(body_id=body_id, status=S.USED, bulletin_year=year)
        .order_by("bulletin_issue")
        .values_list("bulletin_issue")
        .annotate(n=Count("pk"))
    )


# For scoring and summaries ------------------------------------------------------


@dataclass(frozen=True)
class ReportFact:
    """One report of one member in a year, as scoring reads it."""

    report_id: int
    member_id: int
    title: str
    status: str
    submitted_on: datetime.date
    used: bool
    bulletin_year: int | None
    bulletin_issue: int | None
    adoption_level: str  # "" when not adopted; the highest level otherwise
    adopted_on: datetime.date | None
    adoption_levels: tuple[str, ...]  # every level that adopted it, lowest first
    instruction_level: str  # "" when not instructed; the highest leader level otherwise
    instructed_on: datetime.date | None  # the first instruction at that level
    instruction_count: int
    proposal_id: int | None  # the proposal it was converted from
    used_on: datetime.date | None = None  # when it was edited into the bulletin
    adoptions: tuple[tuple[str, str, datetime.date], ...] = ()  # (level, mode, date), by date
    instructions: tuple[tuple[int, str, datetime.date], ...] = ()  # (id, level, date), by date


def _highest(rows) -> tuple[str, datetime.date | None]:
    """The highest level among (level, date) rows and its earliest date."""
    best_level, best_date = "", None
    for level, date in rows:
        if (
            not best_level
            or RANK[level] > RANK[best_level]
            or (level == best_level and date < best_date)
        ):
            best_level, best_date = level, date
    return best_level, best_date


def report_facts_for(
    *, members: Iterable | QuerySet, year: int | None = None
) -> dict[int, list[ReportFact]]:
    """Per member id, the reports they submitted in `year` (by submission date;
    in any year: year=None; withdrawn ones left out), each with its use, its
    highest adoption and instruction, every adoption and instruction, and its
    proposal link. Three queries whatever the number of members. Group and
    party reports are not any member's."""
    if isinstance(members, QuerySet):
        member_filter = Q(author_member__in=members.values("pk"))
    else:
        member_filter = Q(author_member_id__in=[getattr(m, "pk", m) for m in members])
    reports = SocialInfoReport.objects.filter(member_filter)
    if year is not None:
        reports = reports.in_year(year)
    else:
        reports = reports.submitted().exclude(status=S.DRAFT)
    reports = list(
        reports.exclude(status=S.WITHDRAWN)
        .order_by("submitted_at", "id")
        .values(
            "pk",
            "author_member_id",
            "title",
            "status",
            "submitted_at",
            "bulletin_year",
            "bulletin_issue",
            "from_proposal_id",
            "reviewed_at",
        )
    )
    ids = [r["pk"] for r in reports]
    adoptions, instructions = defaultdict(list), defaultdict(list)
    adoption_rows, instruction_rows = defaultdict(list), defaultdict(list)
    if ids:
        for report_id, level, mode, date in ReportAdoption.objects.filter(
            report_id__in=ids
        ).values_list("report_id", "level", "mode", "adopted_on"):
            adoptions[report_id].append((level, date))
            adoption_rows[report_id].append((level, mode, date))
        for pk, report_id, level, date in ReportInstruction.objects.filter(
            report_id__in=ids
        ).values_list("pk", "report_id", "level", "instructed_on"):
            instructions[report_id].append((level, date))
            instruction_rows[report_id].append((pk, level, date))
    facts: dict[int, list[ReportFact]] = defaultdict(list)
    for r in reports:
        adoption_level, adopted_on = _highest(adoptions[r["pk"]])
        instruction_level, instructed_on = _highest(instructions[r["pk"]])
        facts[r["author_member_id"]].append(
            ReportFact(
                report_id=r["pk"],
                member_id=r["author_member_id"],
                title=r["title"],
                status=r["status"],
                submitted_on=timezone.localdate(r["submitted_at"]),
                used=r["status"] == S.USED,
                bulletin_year=r["bulletin_year"],
                bulletin_issue=r["bulletin_issue"],
                adoption_level=adoption_level,
                adopted_on=adopted_on,
                adoption_levels=tuple(sorted((lv for lv, _d in adoptions[r["pk"]]), key=RANK.get)),
                instruction_level=instruction_level,
                instructed_on=instructed_on,
                instruction_count=len(instructions[r["pk"]]),
                proposal_id=r["from_proposal_id"],
                used_on=timezone.localdate(r["reviewed_at"] or r["submitted_at"])
                if r["status"] == S.USED
                else None,
                adoptions=tuple(sorted(adoption_rows[r["pk"]], key=lambda a: a[2])),
                instructions=tuple(sorted(instruction_rows[r["pk"]], key=lambda i: (i[2], i[0]))),
            )
        )
    return dict(facts)


@dataclass
class MemberReportCounts:
    submitted: int = 0
    used: int = 0
    adopted_by_level: dict = None  # highest level only: level -> reports
    instructed_by_level: dict = None  # highest level only: level -> reports

    def __post_init__(self):
        self.adopted_by_level = self.adopted_by_level or {level: 0 for level in Level.values}
        self.instructed_by_level = self.instructed_by_level or {level: 0 for level in Level.values}


def report_counts_for(*, members: Iterable | QuerySet, year: int) -> dict[int, MemberReportCounts]:
    """Per member id: reports submitted and used in `year`, and reports by their
    highest adoption and instruction level (a report adopted by the city and the
    province counts once, at province). Same three queries as report_facts_for."""
    counts: dict[int, MemberReportCounts] = {}
    for member_id, facts in report_facts_for(members=members, year=year).items():
        c = counts[member_id] = MemberReportCounts()
        for fact in facts:
            c.submitted += 1
            c.used += fact.used
            if fact.adoption_level:
                c.adopted_by_level[fact.adoption_level] += 1
            if fact.instruction_level:
                c.instructed_by_level[fact.instruction_level] += 1
    return counts


def report_year_summary(*, body, year: int) -> dict:
    """A body's year in four grouped queries: reports submitted in the year by
    status, and the adoptions (by level and mode) and instructions (by level)
    recorded with a date in the year, whenever their report was submitted."""
    body_id = getattr(body, "pk", body)
    reports = SocialInfoReport.objects.filter(body_id=body_id).in_year(year)
    by_status = dict(reports.order_by().values_list("status").annotate(n=Count("pk")))
    authors = reports.exclude(status=S.WITHDRAWN).aggregate(
        members=Count("author_member", distinct=True),
        groups=Count("author_group", distinct=True),
        from_proposals=Count("pk", filter=Q(from_proposal__isnull=False)),
    )
    adoption_rows = (
        ReportAdoption.objects.filter(report__body_id=body_id, adopted_on__year=year)
        .order_by()
        .values_list("level", "mode")
        .annotate(n=Count("pk"))
    )
    adopted_by_level = {level: 0 for level in Level.values}
    adopted_by_mode = {mode: 0 for mode in ReportAdoption.Mode.values}
    adopted_cells = {}
    for level, mode, n in adoption_rows:
        adopted_by_level[level] += n
        adopted_by_mode[mode] += n
        adopted_cells[(level, mode)] = n
    instructed_by_level = {level: 0 for level in Level.values}
    for level, n in (
        ReportInstruction.objects.filter(report__body_id=body_id, instructed_on__year=year)
        .order_by()
        .values_list("level")
        .annotate(n=Count("pk"))
    ):
        instructed_by_level[level] = n
    submitted = sum(n for status, n in by_status.items() if status != S.DRAFT)
    return {
        "year": year,
        "submitted": submitted,
        "by_status": {status: by_status.get(status, 0) for status in S.values if status != S.DRAFT},
        "authors": authors,
        "adopted_by_level": adopted_by_level,
        "adopted_by_mode": adopted_by_mode,
        "adopted_cells": adopted_cells,
        "instructed_by_level": instructed_by_level,
    }
