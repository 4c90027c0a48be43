"""The export page (导出 Excel), an export's run (a download at once, or a
background job), a job's page, its polled state and its download.

Staff and leadership (read-only: exporting is reading) with the export's
permission code; the bodies offered are those the user reads; a job, its
state and its file are its requester's alone (404 to anyone else)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from config.job_runs import queue_was_down
from members.permissions import require_permission
from members.services import export_log_record
from summaries import jobs
from summaries.export_forms import ExportForm
from summaries.exports import export_count, export_kind, export_prepare, kinds_for
from summaries.models import ExportJob
from summaries.xlsx import XLSX_CONTENT_TYPE, xlsx_response

RECENT_JOBS = 20


def _page(request, bound=None, status=200):
    kinds = kinds_for(request.user)
    if not kinds:
        raise PermissionDenied
    forms = [
        bound
        if bound is not None and bound.kind.code == kind.code
        else ExportForm(kind, request.user)
        for kind in kinds
    ]
    recent = ExportJob.objects.of(request.user)[:RECENT_JOBS]
    return render(
        request,
        "summaries/exports/exports.html",
        {
            "forms": forms,
            "jobs": recent,
            "inline_max": settings.EXPORT_INLINE_MAX_ROWS,
            "ttl_hours": settings.EXPORT_FILE_TTL_HOURS,
        },
        status=status,
    )


@login_required
@require_safe
def export_page(request):
    return _page(request)


@login_required
@require_POST
def export_run(request, kind):
    kind = export_kind(kind)
    require_permission(request.user, kind.permission)
    form = ExportForm(kind, request.user, request.POST)
    if not form.is_valid():
        return _page(request, form)
    params = form.params()
    try:
        total = export_count(user=request.user, kind=kind, params=params)
    except Http404:
        form.add_error(None, _("所选范围没有可导出的数据(该期间尚未计算,或没有记录)"))
        return _page(request, form)
    if total > settings.EXPORT_INLINE_MAX_ROWS:
        job = jobs.export_job_start(user=request.user, kind=kind, params=params, total=total)
        if queue_was_down(job):
            messages.warning(request, job.message)
        return redirect("summaries:export_job", pk=job.pk)
    prepared = export_prepare(user=request.user, kind=kind, params=params)
    response = xlsx_response(filename=prepared.filename, sheets=prepared.sheets)
    export_log_record(
        user=request.user,
        what=str(kind.label),
        rows=sum(sheet.written for sheet in prepared.sheets),
        filters=prepared.filters,
    )
    return response


def _job_for_user(user, pk) -> ExportJob:
    job = ExportJob.objects.of(user).filter(pk=pk).first()
    if job is None:
        raise Http404
    return job


def _state(job: ExportJob) -> dict:
    return {
        "status": job.status,
        "status_label": job.get_status_display(),
        "active": job.is_active,
        "done": job.done,
        "total": job.total,
        "percent": job.percent,
        "message": job.message,
    }


def _filters_shown(job: ExportJob) -> list[tuple[str, str]]:
    """The job's filters in words, for its page."""
    from duties.models import Activity
    from sectors.models import Body

    params = job.params
    shown = []
    if params.get("body"):
        body = Body.objects.filter(pk=params["body"]).values_list("name", flat=True).first()
        shown.append((_("政协"), body or "—"))
    if params.get("year"):
        shown.append((_("年度"), str(params["year"])))
    if params.get("quarter"):
        shown.append((_("季度"), _("第%(q)s季度") % {"q": params["quarter"]}))
    if params.get("activity"):
        theme = Activity.objects.filter(pk=params["activity"]).values_list("theme", flat=True)
        shown.append((_("活动"), theme.first() or "—"))
    if params.get("date_from"):
        shown.append((_("日期"), f"{params['date_from']} – {params.get('date_to', '')}"))
    return shown


@login_required
@require_safe
def job_detail(request, pk):
    job = _job_for_user(request.user, pk)
    return render(
        request,
        "summaries/exports/job.html",
        {"job": job, "state": _state(job), "filters": _filters_shown(job)},
    )


@login_required
@require_safe
@never_cache
def job_status(request, pk):
    """The job's state as JSON, polled by its page (static/js/job-progress.js)."""
    return JsonResponse(_state(_job_for_user(request.user, pk)))


@login_required
@require_safe
def job_download(request, pk):
    job = _job_for_user(request.user, pk)
    require_permission(request.user, export_kind(job.kind).permission)
    path = jobs.job_path(job)
    if job.status != ExportJob.Status.DONE or path is None or not path.exists():
        raise Http404
    response = FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=job.download_name or f"{job.label}.xlsx",
        content_type=XLSX_CONTENT_TYPE,
    )
    response["Cache-Control"] = "no-store"
    export_log_record(
        user=request.user,
        what=job.label,
        rows=job.done,
        filters=f"导出任务 {job.pk}: " + " ".join(f"{k}={v}" for k, v in job.params.items()),
    )
    return response
