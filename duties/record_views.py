"""The duty record (履职档案) pages, self-reported duties with their review and
attachments, and disputes."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from config import uploads
from duties import disputes, selectors, self_reported
from duties.models import ActivityKind, Dispute, SelfReportedDuty
from duties.record_forms import DisputeForm, DutyForm, ReturnForm, resolve_form_for
from duties.services import activity_kinds_ensure_defaults
from members.forms import errors_to_form
from members.models import Member
from members.permissions import managed_body_ids, viewer_for
from sectors.models import Body

# Form pages: shown on GET (and HEAD), saved on POST; any other method is refused.
GET_POST = require_http_methods(["GET", "HEAD", "POST"])

PAGE_SIZE = 30


def _my_seats(user):
    return Member.objects.current().filter(person__user=user).select_related("term__body")


# The record -------------------------------------------------------------------


def _year(request, default: int) -> int:
    try:
        year = int(request.GET.get("year", default))
    except ValueError:
        return default
    return year if 1949 <= year <= 2100 else default


@login_required
@require_safe
def record(request, member_pk):
    member = selectors.get_member_record_for_user(request.user, member_pk)
    years = selectors.record_years(member)
    year = _year(request, years[0])
    duty_record = selectors.duty_record(member=member, year=year)
    viewer = viewer_for(request.user)
    return render(
        request,
        "duties/record.html",
        {
            "member": member,
            "record": duty_record,
            "year": year,
            "years": years if year in years else sorted({*years, year}, reverse=True),
            "is_own": member.pk in viewer.own_member_ids,
            "can_resolve": viewer.can_manage_body(member.term.body_id),
        },
    )


@login_required
@require_safe
def my_record(request):
    seat = _my_seats(request.user).order_by("-term__starts_on", "pk").first()
    if seat is None:
        raise Http404
    url = reverse("duties:record", args=[seat.pk])
    if "year" in request.GET:
        url += f"?year={_year(request, timezone.localdate().year)}"
    return redirect(url)


# Self-reported duties ---------------------------------------------------------


@login_required
@require_safe
def duty_list(request):
    viewer = viewer_for(request.user)
    if not viewer.own_member_ids:
        raise PermissionDenied
    duties = selectors.duties_of_member_ids(viewer.own_member_ids)
    page = Paginator(duties, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "duties/duty_list.html", {"page": page, "duties": page.object_list})


@login_required
@GET_POST
def duty_new(request):
    seats = _my_seats(request.user)
    if not seats:
        raise PermissionDenied
    for body_id in {s.term.body_id for s in seats} - set(
        ActivityKind.objects.filter(body__in={s.term.body_id for s in seats}).values_list(
            "body_id", flat=True
        )
    ):
        # A body whose staff never set up kinds starts with the defaults.
        activity_kinds_ensure_defaults(body=Body(pk=body_id))
    form = DutyForm(request.POST or None, request.FILES or None, seats=seats)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            duty = self_reported.duty_submit(
                member=data["seat"],
                kind=data["kind"],
                done_on=data["done_on"],
                description=data["description"],
                attachments=data["attachments"],
                by=request.user,
            )
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            messages.success(request, _("已提交,等待工作人员核实"))
            return redirect("duties:duty_detail", pk=duty.pk)
    return render(request, "duties/duty_form.html", {"form": form, "duty": None})


@login_required
@GET_POST
def duty_edit(request, pk):
    duty = selectors.get_duty_for_user(request.user, pk, write=True)
    if duty.status == SelfReportedDuty.Status.VERIFIED:
        messages.error(request, _("已核实的记录不能修改;如有错误请提出异议"))
        return redirect("duties:duty_detail", pk=duty.pk)
    form = DutyForm(
        request.POST or None,
        request.FILES or None,
        seats=_my_seats(request.user),
        duty=duty,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            self_reported.duty_update(
                duty=duty,
                kind=data["kind"],
                done_on=data["done_on"],
                description=data["description"],
                attachments=data["attachments"],
                remove_attachment_ids=[a.pk for a in data.get("remove") or []],
                by=request.user,
            )
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            messages.success(request, _("已重新提交,等待工作人员核实"))
            return redirect("duties:duty_detail", pk=duty.pk)
    return render(request, "duties/duty_form.html", {"form": form, "duty": duty})


@login_required
@require_safe
def duty_detail(request, pk):
    duty = selectors.get_duty_for_user(request.user, pk)
    viewer = viewer_for(request.user)
    can_review = viewer.can_manage_body(duty.member.term.body_id)
    is_own = duty.member_id in viewer.own_member_ids
    duty_disputes = list(
        Dispute.objects.filter(
            content_type__app_label="duties",
            content_type__model="selfreportedduty",
            object_id=duty.pk,
        ).select_related("resolved_by")
    )
    return render(
        request,
        "duties/duty_detail.html",
        {
            "duty": duty,
            "attachments": duty.attachments.order_by("pk"),
            "is_own": is_own,
            "can_review": can_review,
            "return_form": ReturnForm() if can_review else None,
            "disputes": duty_disputes,
            "has_open_dispute": any(d.status == Dispute.Status.OPEN for d in duty_disputes),
        },
    )


@login_required
@require_safe
def duty_review_queue(request):
    body_ids = managed_body_ids(request.user)
    if not body_ids:
        raise PermissionDenied
    queue = selectors.review_queue(body_ids=body_ids)
    page = Paginator(queue, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "duties/duty_review_queue.html",
        {
            "page": page,
            "duties": page.object_list,
            "counts": selectors.review_counts(body_ids=body_ids),
        },
    )


@login_required
@require_POST
def duty_verify(request, pk):
    duty = selectors.get_duty_for_user(request.user, pk, review=True)
    duty = self_reported.duty_verify(duty=duty, by=request.user)
    if duty.status == SelfReportedDuty.Status.VERIFIED:
        messages.success(request, _("已核实"))
    else:
        messages.warning(request, _("该记录不在待审核状态"))
    if request.POST.get("next") == "detail":
        return redirect("duties:duty_detail", pk=duty.pk)
    return redirect("duties:duty_review_queue")


@login_required
@GET_POST
def duty_return(request, pk):
    duty = selectors.get_duty_for_user(request.user, pk, review=True)
    form = ReturnForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            duty = self_reported.duty_return(
                duty=duty, by=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            if duty.status == SelfReportedDuty.Status.RETURNED:
                messages.success(request, _("已退回委员"))
            else:
                messages.warning(request, _("该记录不在待审核状态"))
            return redirect("duties:duty_review_queue")
    return render(request, "duties/duty_return.html", {"duty": duty, "form": form})


@login_required
@require_safe
def attachment(request, pk):
    """Attachments are served only through here, to those who may see the duty;
    never from a public media URL."""
    item = selectors.get_attachment_for_user(request.user, pk)
    try:
        handle = item.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return uploads.private_file_response(handle, content_type=item.content_type, filename=item.name)


# Disputes ---------------------------------------------------------------------


def _disputable(user, model: str, object_id: int):
    """The record and its owner, for the member disputing it: 404 to whoever
    cannot see the member's record, 403 to those who can but are not the member."""
    entry = disputes.disputable_for(model)
    record = disputes.disputable_record(model, object_id) if entry else None
    if record is None:
        raise Http404
    owner = selectors.get_member_record_for_user(user, entry.member_of(record))
    if owner.pk not in viewer_for(user).own_member_ids:
        raise PermissionDenied
    return entry, record, owner


@login_required
@GET_POST
def dispute_new(request, model, object_id):
    entry, record_obj, owner = _disputable(request.user, model, object_id)
    form = DisputeForm(request.POST or None)
    when = entry.date_of(record_obj)
    back = reverse("duties:record", args=[owner.pk]) + (f"?year={when.year}" if when else "")
    if request.method == "POST" and form.is_valid():
        already = Dispute.objects.filter(
            content_type__app_label=record_obj._meta.app_label,
            content_type__model=record_obj._meta.model_name,
            object_id=record_obj.pk,
            status=Dispute.Status.OPEN,
        ).exists()
        try:
            disputes.dispute_open(
                member=owner, record=record_obj, reason=form.cleaned_data["reason"], by=request.user
            )
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            if already:
                messages.info(request, _("此记录已有待处理的异议"))
            else:
                messages.success(request, _("异议已提交,工作人员将核对处理"))
            return redirect(back)
    return render(
        request,
        "duties/dispute_form.html",
        {"form": form, "summary": entry.summarise(record_obj), "member": owner, "back": back},
    )


@login_required
@require_safe
def dispute_list(request):
    viewer = viewer_for(request.user)
    status = request.GET.get("status", Dispute.Status.OPEN)
    qs = selectors.disputes_visible_to(request.user)
    if status in Dispute.Status.values:
        qs = qs.filter(status=status)
    qs = qs.order_by("created_at", "pk") if status == Dispute.Status.OPEN else qs
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "duties/dispute_list.html",
        {
            "page": page,
            "disputes": page.object_list,
            "status": status,
            "statuses": Dispute.Status.choices,
            "manages": viewer.is_staff_anywhere,
            "managed_body_ids": managed_body_ids(request.user),
        },
    )


@login_required
@GET_POST
def dispute_resolve(request, pk):
    dispute = selectors.get_dispute_for_user(request.user, pk, resolve=True)
    label = dispute.content_type.app_label + "." + dispute.content_type.model
    record_obj = disputes.disputable_record(label, dispute.object_id)
    form_class = resolve_form_for(label)
    form = form_class(request.POST or None, record=record_obj)
    is_open = dispute.status == Dispute.Status.OPEN
    if request.method == "POST" and not is_open:
        messages.info(request, _("该异议已处理"))
        return redirect("duties:dispute_list")
    if request.method == "POST" and form.is_valid():
        try:
            disputes.dispute_resolve(
                dispute=dispute,
                correct=form.correct,
                resolution=form.cleaned_data["resolution"],
                by=request.user,
                correction=form.correction() if form.correct else None,
            )
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            messages.success(request, _("已处理,并通知委员"))
            return redirect("duties:dispute_list")
    summary_now = ""
    if record_obj is not None:
        summary_now = disputes.disputable_for(label).summarise(record_obj)
    return render(
        request,
        "duties/dispute_resolve.html",
        {
            "dispute": dispute,
            "form": form,
            "is_open": is_open,
            "summary_now": summary_now,
            "record_year": disputes.dispute_record_year(dispute),
            "record_url": disputes.dispute_record_url(dispute),
        },
    )
