"""Social-information report pages. Views read the request, ask the access
helpers, call one service and redirect; the rules live in services.py and
states.py."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from config import uploads
from members.models import Member
from members.permissions import require_permission, viewer_for
from members.services import export_log_record
from reports import selectors, services, states
from reports.forms import AdoptionForm, InstructionForm, NotUsedForm, ReportForm, UseForm
from reports.models import Level, ReportAdoption, SocialInfoReport
from reports.permissions import (
    can_handle,
    get_attachment_for_user,
    get_report_for_user,
    handled_body_ids,
    is_author,
    read_body_ids,
)
from sectors.models import Body, SectorGroup
from summaries.exports import report_sheet
from summaries.xlsx import xlsx_response

# Form pages: shown on GET (and HEAD), saved on POST; any other method is refused.
GET_POST = require_http_methods(["GET", "HEAD", "POST"])

PAGE_SIZE = 20
S = SocialInfoReport.Status


def _posted(request):
    return request.POST if request.method == "POST" else None


def _refusal(form, error: ValidationError) -> None:
    """A service's refusal shown where the user looks: on its field, or above the form."""
    if hasattr(error, "error_dict") and all(f in form.fields for f in error.error_dict):
        form.add_error(None, error)
    else:
        for message in error.messages:
            form.add_error(None, message)


def _query(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _int(value) -> int | None:
    value = str(value or "")
    return int(value) if value.isdigit() else None


def _flash(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


# Writing -------------------------------------------------------------------------


def _author_choices(user) -> list[tuple[str, str]]:
    """Whom this user may write for: their current seats, the groups they convene
    or liaise, and (staff) every group of their bodies' current terms."""
    viewer = viewer_for(user)
    choices = [
        (f"m{seat.pk}", _("委员本人(%(term)s)") % {"term": seat.term})
        for seat in Member.objects.current()
        .filter(pk__in=viewer.own_member_ids)
        .select_related("term__body")
    ]
    groups = SectorGroup.objects.filter(term__is_current=True).filter(
        pk__in=viewer.convened_group_ids
    ) | SectorGroup.objects.filter(term__is_current=True, term__body_id__in=handled_body_ids(user))
    choices += [
        (f"g{group.pk}", _("界别小组:%(name)s") % {"name": group.name})
        for group in groups.distinct().order_by("term__body_id", "order", "id")
    ]
    return choices


def _author_of(value: str) -> dict:
    kind, pk = value[:1], int(value[1:])
    if kind == "m":
        return {"author_member": Member.objects.select_related("term").get(pk=pk)}
    return {"author_group": SectorGroup.objects.select_related("term").get(pk=pk)}


@login_required
@GET_POST
def report_create(request):
    authors = _author_choices(request.user)
    if not authors:
        raise PermissionDenied
    form = ReportForm(_posted(request), request.FILES or None, authors=authors)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            report = services.report_draft_create(
                by=request.user,
                title=data["title"],
                content=data["content"],
                attachments=data["attachments"],
                **_author_of(data["author"]),
            )
            if request.POST.get("action") == "submit":
                services.report_submit(report=report, by=request.user)
        except ValidationError as error:
            _refusal(form, error)
        else:
            if report.status == S.DRAFT:
                messages.success(request, _("草稿已保存"))
            else:
                messages.success(request, _("信息已报送"))
            return redirect("reports:detail", pk=report.pk)
    return render(request, "reports/report_form.html", {"form": form, "report": None})


@login_required
@GET_POST
def report_edit(request, pk):
    report = get_report_for_user(request.user, pk, own=True)
    if report.status != S.DRAFT:
        messages.error(request, _("信息已报送,不能再修改"))
        return redirect("reports:detail", pk=pk)
    form = ReportForm(_posted(request), request.FILES or None, report=report)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.report_draft_update(
                report=report,
                by=request.user,
                title=data["title"],
                content=data["content"],
                attachments=data["attachments"],
                remove_attachment_ids=[a.pk for a in data.get("remove") or []],
            )
            if request.POST.get("action") == "submit":
                services.report_submit(report=report, by=request.user)
        except ValidationError as error:
            _refusal(form, error)
        else:
            messages.success(request, _("已保存"))
            return redirect("reports:detail", pk=pk)
    return render(request, "reports/report_form.html", {"form": form, "report": report})


@login_required
@require_POST
def report_submit(request, pk):
    report = get_report_for_user(request.user, pk, own=True)
    try:
        services.report_submit(report=report, by=request.user)
    except ValidationError as error:
        _flash(request, error)
    else:
        messages.success(request, _("信息已报送"))
    return redirect("reports:detail", pk=pk)


@login_required
@require_POST
def report_withdraw(request, pk):
    report = get_report_for_user(request.user, pk, own=True)
    try:
        services.report_withdraw(report=report, by=request.user)
    except ValidationError as error:
        _flash(request, error)
    else:
        messages.success(request, _("信息已撤回"))
    return redirect("reports:detail", pk=pk)


# Reading -------------------------------------------------------------------------


@login_required
@require_safe
def report_mine(request):
    page = Paginator(selectors.my_reports(user=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "reports/report_mine.html",
        {"page": page, "can_create": bool(_author_choices(request.user)), "query": _query(request)},
    )


def _filters(request) -> dict:
    return {
        "year": _int(request.GET.get("year")),
        "status": request.GET.get("status", ""),
        "level": request.GET.get("level", ""),
        "instructed": request.GET.get("instructed", ""),
    }


@login_required
@require_safe
def report_list(request):
    filters = _filters(request)
    reports = selectors.report_list(user=request.user, **filters)
    page = Paginator(reports, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "reports/report_list.html",
        {
            "page": page,
            **filters,
            "years": selectors.report_years(user=request.user),
            "statuses": [c for c in S.choices if c[0] != S.DRAFT],
            "levels": Level.choices,
            "can_export": bool(read_body_ids(request.user)),
            "query": _query(request),
        },
    )


@login_required
@require_safe
def report_queue(request):
    if not handled_body_ids(request.user):
        raise PermissionDenied
    page = Paginator(selectors.report_queue(user=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "reports/report_queue.html", {"page": page, "query": _query(request)})


@login_required
@require_safe
def report_detail(request, pk):
    report = get_report_for_user(request.user, pk)
    handle = can_handle(request.user, report)
    return render(
        request,
        "reports/report_detail.html",
        {
            "report": report,
            "events": selectors.report_timeline(report=report),
            "attachments": list(report.attachments.all()),
            "adoptions": list(report.adoptions.all()),
            "instructions": list(report.instructions.all()),
            "own": is_author(request.user, report),
            "handle": handle,
            "forwardable": report.status in states.FORWARDABLE,
            "use_form": UseForm(report=report) if handle else None,
            "not_used_form": NotUsedForm() if handle else None,
            "adoption_form": AdoptionForm() if handle else None,
            "instruction_form": InstructionForm() if handle else None,
        },
    )


@login_required
@require_safe
def attachment(request, pk):
    """Attachments are served only through here, to those who may see the report."""
    item = get_attachment_for_user(request.user, pk)
    try:
        handle = item.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return uploads.private_file_response(handle, content_type=item.content_type, filename=item.name)


# Handling (staff) -----------------------------------------------------------------


@login_required
@require_POST
def report_accept(request, pk):
    report = get_report_for_user(request.user, pk, write=True)
    try:
        services.report_accept(report=report, by=request.user)
    except ValidationError as error:
        _flash(request, error)
    else:
        messages.success(request, _("已受理"))
    return redirect("reports:detail", pk=pk)


def _action_form(request, report, form, *, title, submit, save, done):
    """The staff pages that record one step: a form, the service, back to the report."""
    if request.method == "POST" and form.is_valid():
        try:
            save(form.cleaned_data)
        except ValidationError as error:
            _refusal(form, error)
        else:
            messages.success(request, done)
            return redirect("reports:detail", pk=report.pk)
    return render(
        request,
        "reports/action_form.html",
        {"report": report, "form": form, "title": title, "submit": submit},
    )


@login_required
@GET_POST
def report_use(request, pk):
    report = get_report_for_user(request.user, pk, write=True)
    return _action_form(
        request,
        report,
        UseForm(_posted(request), report=report),
        title=_("编入简报"),
        submit=_("编报"),
        save=lambda data: services.report_use(report=report, by=request.user, **data),
        done=_("已编入简报"),
    )


@login_required
@GET_POST
def report_not_use(request, pk):
    report = get_report_for_user(request.user, pk, write=True)
    return _action_form(
        request,
        report,
        NotUsedForm(_posted(request)),
        title=_("不予采用"),
        submit=_("确认未采用"),
        save=lambda data: services.report_not_use(report=report, by=request.user, **data),
        done=_("已标记为未采用,并已通知报送人"),
    )


@login_required
@GET_POST
def adoption_add(request, pk):
    report = get_report_for_user(request.user, pk, write=True)
    return _action_form(
        request,
        report,
        AdoptionForm(_posted(request)),
        title=_("登记上级采用"),
        submit=_("登记"),
        save=lambda data: services.report_adoption_record(report=report, by=request.user, **data),
        done=_("已登记采用情况"),
    )


@login_required
@GET_POST
def instruction_add(request, pk):
    report = get_report_for_user(request.user, pk, write=True)
    return _action_form(
        request,
        report,
        InstructionForm(_posted(request)),
        title=_("登记领导批示"),
        submit=_("登记"),
        save=lambda data: services.report_instruction_record(
            report=report, by=request.user, **data
        ),
        done=_("已登记领导批示"),
    )


# Bulletin, counts, export ------------------------------------------------------------


def _read_body(request) -> Body:
    """The body an office page is about: ?body= among those the user reads
    (404 for another), else the first; 403 for users who read none."""
    body_ids = read_body_ids(request.user)
    if not body_ids:
        raise PermissionDenied
    wanted = _int(request.GET.get("body"))
    if wanted is not None and wanted not in body_ids:
        raise Http404
    return Body.objects.get(pk=wanted or min(body_ids))


def _bodies(request):
    return Body.objects.filter(pk__in=read_body_ids(request.user)).order_by("id")


@login_required
@require_safe
def bulletin(request, year, issue):
    body = _read_body(request)
    return render(
        request,
        "reports/bulletin.html",
        {
            "body": body,
            "bodies": _bodies(request),
            "year": year,
            "issue": issue,
            "reports": selectors.bulletin_reports(body_id=body.pk, year=year, issue=issue),
            "issues": selectors.bulletin_issues(body_id=body.pk, year=year),
        },
    )


@login_required
@require_safe
def report_stats(request):
    body = _read_body(request)
    year = _int(request.GET.get("year")) or timezone.localdate().year
    summary = selectors.report_year_summary(body=body, year=year)
    return render(
        request,
        "reports/report_stats.html",
        {
            "body": body,
            "bodies": _bodies(request),
            "year": year,
            "summary": summary,
            "status_rows": [(S(s).label, n) for s, n in summary["by_status"].items()],
            "level_rows": [
                (
                    Level(level).label,
                    [summary["adopted_cells"].get((level, m), 0) for m in ReportAdoption.Mode],
                    summary["adopted_by_level"][level],
                    summary["instructed_by_level"][level],
                )
                for level in Level
            ],
            "modes": ReportAdoption.Mode.labels,
            "issues": selectors.bulletin_issues(body_id=body.pk, year=year),
        },
    )


@login_required
@require_safe
def report_export(request):
    # The columns live with the other exports (summaries.exports.report_sheet).
    require_permission(request.user, "summaries.export_reports")
    body_ids = read_body_ids(request.user)
    if not body_ids:
        raise PermissionDenied
    filters = _filters(request)
    reports = selectors.report_list(user=request.user, **filters).filter(body_id__in=body_ids)
    sheet = report_sheet(queryset=reports, title=_("社情民意信息报送情况"))
    response = xlsx_response(
        filename=f"社情民意信息_{timezone.localdate():%Y%m%d}.xlsx", sheets=[sheet]
    )
    export_log_record(
        user=request.user, what="社情民意信息", rows=sheet.written, filters=_query(request)
    )
    return response
