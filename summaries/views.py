"""The leadership summaries (履职总结): a body's year or quarter, a sector's or
a group's part of it, the lower bodies side by side, and the printable annual
pack. Read-only pages (GET); the reads are in summaries.selectors, the charts
in summaries.charts, who may read what in summaries.access."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from config.replica import replica_reads
from members.services import export_log_record
from scoring.models import ScorePeriod
from summaries import access, charts, selectors
from summaries.pdf import pdf_response

# Members a page lists on each reminder-talk or candidate list (the pack lists all).
LIST_LIMIT = 30


def _year(year: int) -> int:
    if not 1949 <= year <= 2100:
        raise Http404
    return year


def _context(viewer, body, year: int, summary=None, **extra) -> dict:
    this_year = timezone.localdate().year
    context = {
        "body": body,
        "year": year,
        "years": selectors.summary_years(body_id=body.pk, this_year=this_year),
        "can_read_body": viewer.has_permission(access.PERMISSION),
        **extra,
    }
    if summary is not None:
        context["summary"] = summary
        context["charts"] = charts.summary_charts(summary)
    return context


@login_required
@require_safe
@replica_reads
def summary_index(request):
    """Pick a body and a year; a convenor goes to their group's page."""
    viewer = access.summary_reader(request.user)
    this_year = timezone.localdate().year
    if not viewer.has_permission(access.PERMISSION):
        group = selectors.convened_groups(viewer).first()
        if group is None:
            raise Http404
        return redirect("summaries:group", body_pk=group.term.body_id, year=this_year,
                        group_pk=group.pk)  # fmt: skip
    bodies = list(selectors.summary_bodies(viewer))
    years = selectors.summary_years_of(body_ids=[b.pk for b in bodies], this_year=this_year)
    bodies = [(body, years[body.pk]) for body in bodies]
    return render(request, "summaries/index.html", {"bodies": bodies})


@login_required
@require_safe
@replica_reads
def annual_summary(request, body_pk, year):
    body = access.get_body_for_summary(request.user, body_pk)
    summary = selectors.summary_read(body=body, year=_year(year), list_limit=LIST_LIMIT)
    viewer = access.summary_reader(request.user)
    return render(request, "summaries/summary.html", _context(viewer, body, year, summary))


@login_required
@require_safe
@replica_reads
def quarter_summary(request, body_pk, year, quarter):
    body = access.get_body_for_summary(request.user, body_pk)
    if quarter not in (1, 2, 3, 4):
        raise Http404
    summary = selectors.summary_read(
        body=body, year=_year(year), quarter=quarter, list_limit=LIST_LIMIT
    )
    viewer = access.summary_reader(request.user)
    return render(request, "summaries/summary.html", _context(viewer, body, year, summary))


@login_required
@require_safe
@replica_reads
def sector_summary(request, body_pk, year, sector_pk):
    body, sector = access.get_sector_for_summary(request.user, body_pk, sector_pk)
    summary = selectors.summary_read(
        body=body, year=_year(year), sector=sector, list_limit=LIST_LIMIT
    )
    viewer = access.summary_reader(request.user)
    return render(request, "summaries/summary.html", _context(viewer, body, year, summary))


@login_required
@require_safe
@replica_reads
def group_summary(request, body_pk, year, group_pk):
    body, group = access.get_group_for_summary(request.user, body_pk, group_pk)
    summary = selectors.summary_read(
        body=body, year=_year(year), group=group, list_limit=LIST_LIMIT
    )
    viewer = access.summary_reader(request.user)
    return render(request, "summaries/summary.html", _context(viewer, body, year, summary))


@login_required
@require_safe
@replica_reads
def lower_summary(request, body_pk, year):
    body = access.get_body_for_summary(request.user, body_pk)
    rows = selectors.lower_read(body=body, year=_year(year))
    viewer = access.summary_reader(request.user)
    context = _context(viewer, body, year, rows=rows, chart=charts.lower_chart(rows))
    return render(request, "summaries/lower.html", context)


@login_required
@require_safe
def annual_pack(request, body_pk, year):
    """The annual summary laid out for A4, to print (or to render as a PDF)."""
    body = access.get_body_for_summary(request.user, body_pk)
    summary = selectors.summary_read(body=body, year=_year(year))
    return render(request, "summaries/pack.html", pack_context(summary))


@login_required
@require_safe
def annual_pack_pdf(request, body_pk, year):
    """The annual pack as a PDF made on the server (summaries.pdf), logged as a
    download of personal data: it names members on its lists."""
    body = access.get_body_for_summary(request.user, body_pk)
    summary = selectors.summary_read(body=body, year=_year(year))
    response = pdf_response(
        request,
        "summaries/pack.html",
        pack_context(summary),
        filename=_("%(body)s%(year)s年度履职总结.pdf") % {"body": body.name, "year": year},
    )
    if response.status_code == 200:
        export_log_record(
            user=request.user, what=_("年度履职总结 PDF"), rows=1, filters=f"{body.name} {year}"
        )
    return response


def pack_context(summary) -> dict:
    """What the pack template needs, for the page and for a PDF renderer."""
    return {
        "body": summary.body,
        "year": summary.year,
        "summary": summary,
        "charts": charts.summary_charts(summary),
        "printed_on": timezone.localdate(),
        "annual": ScorePeriod.ANNUAL,
    }
