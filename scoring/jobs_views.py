"""Staff pages for computing periods (季度通报与年度考核): the periods of the
bodies one works for with their latest computation, a form to start one, and
a job's page that follows it while it runs. The body's staff start, its
leadership reads; everyone else learns nothing (404 on a job, 403 on the
periods page). The work is scoring.jobs'."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Case, F, IntegerField, OuterRef, Subquery, When
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from config.job_runs import queue_was_down
from members.forms import errors_to_form
from members.permissions import viewer_for
from scoring import jobs
from scoring.jobs_forms import PeriodComputeForm
from scoring.models import ScoreJob, ScorePeriod
from sectors.models import Body

# Form pages: shown on GET (and HEAD), saved on POST; any other method is refused.
GET_POST = require_http_methods(["GET", "HEAD", "POST"])


def _job_for_user(user, pk) -> ScoreJob:
    """The job if the user reads its body (else 404)."""
    job = (
        ScoreJob.objects.select_related("period__body", "requested_by__person")
        .filter(pk=pk)
        .first()
    )
    if job is None or not viewer_for(user).can_read_body(job.period.body_id):
        raise Http404
    return job


def _periods(viewer) -> list[ScorePeriod]:
    """The periods of the bodies the viewer reads, newest first (a year's
    annual assessment above its quarters), each with its latest job."""
    latest = ScoreJob.objects.filter(period=OuterRef("pk")).order_by("-created_at", "-pk")
    periods = (
        ScorePeriod.objects.select_related("body")
        .annotate(
            latest_job_id=Subquery(latest.values("pk")[:1]),
            latest_job_status=Subquery(latest.values("status")[:1]),
            rank=Case(
                When(quarter=ScorePeriod.ANNUAL, then=5),
                default=F("quarter"),
                output_field=IntegerField(),
            ),
        )
        .order_by("body__name", "body_id", "-year", "-rank", "-version")
    )
    if not viewer.is_admin:
        periods = periods.filter(body_id__in=viewer.staff_body_ids | viewer.leadership_body_ids)
    periods, seen = list(periods), set()
    for period in periods:
        key = (period.body_id, period.year, period.quarter)
        # Computing starts the current version: offer it on that row alone.
        period.can_compute = (
            key not in seen
            and viewer.can_manage_body(period.body_id)
            and period.status != ScorePeriod.Status.FINAL
        )
        seen.add(key)
        if period.latest_job_status:
            period.latest_job_label = ScoreJob.Status(period.latest_job_status).label
    return periods


@login_required
@GET_POST
def period_list(request):
    viewer = viewer_for(request.user)
    if not (viewer.is_staff_anywhere or viewer.is_leadership):
        raise PermissionDenied
    if request.method == "POST" and not viewer.is_staff_anywhere:
        raise PermissionDenied
    bodies = (
        Body.objects.all() if viewer.is_admin else Body.objects.filter(pk__in=viewer.staff_body_ids)
    )
    form = PeriodComputeForm(request.POST or None, bodies=bodies)
    if request.method == "GET" and len(viewer.staff_body_ids) == 1 and not viewer.is_admin:
        form.fields["body"].initial = next(iter(viewer.staff_body_ids))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            job = jobs.period_compute_start_for(
                body=data["body"], year=data["year"], quarter=data["quarter"], by=request.user
            )
        except jobs.JobActive as active:
            messages.info(request, active.messages[0])
            return redirect("scoring:job_detail", pk=active.job.pk)
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            if queue_was_down(job):
                messages.warning(request, job.message)
            else:
                messages.success(request, _("已开始计算%(period)s") % {"period": job.period.label})
            return redirect("scoring:job_detail", pk=job.pk)
    return render(
        request,
        "scoring/jobs/periods.html",
        {"periods": _periods(viewer), "form": form, "can_start": viewer.is_staff_anywhere},
    )


def _state(job: ScoreJob) -> dict:
    """What the job's page shows and polls."""
    age = None
    if job.heartbeat_at is not None and job.is_active:  # a finished job beats no more
        age = max(0, int((timezone.now() - job.heartbeat_at).total_seconds()))
    return {
        "id": job.pk,
        "status": job.status,
        "status_label": job.get_status_display(),
        "active": job.is_active,
        "phase": job.phase,
        "phase_label": job.get_phase_display(),
        "done": job.done,
        "total": job.total,
        "percent": job.percent,
        "attempts": job.attempts,
        "heartbeat_age": age,
        "heartbeat_label": "—" if age is None else _("%(n)s 秒前") % {"n": age},
        "message": job.message,
        "result": (
            {"members": job.members, "assessed": job.assessed, "lines": job.lines}
            if job.status == ScoreJob.Status.DONE
            else None
        ),
    }


@login_required
@require_safe
@never_cache
def job_detail(request, pk):
    job = _job_for_user(request.user, pk)
    period = job.period
    return render(
        request,
        "scoring/jobs/job.html",
        {
            "job": job,
            "period": period,
            "state": _state(job),
            "can_compute": viewer_for(request.user).can_manage_body(period.body_id)
            and not job.is_active
            and period.status != ScorePeriod.Status.FINAL,
        },
    )


@login_required
@require_safe
@never_cache
def job_status(request, pk):
    """The job's state as JSON, polled by its page every two seconds."""
    return JsonResponse(_state(_job_for_user(request.user, pk)))
