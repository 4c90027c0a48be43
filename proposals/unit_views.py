"""Routing and handling pages: staff keep the handling units and their contact
accounts, route accepted proposals, reassign, close and watch overdue
routings; a unit's contacts work in their inbox (progress, reply, objection);
the first proposer rates the replies. 404 for what the user may not see, 403
for what they may see but not do; the services decide what the lifecycle allows."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from config import uploads
from members.accounts import set_password_link
from members.forms import errors_to_form, refusal_messages
from members.permissions import managed_body_ids, readable_body_ids, viewer_for
from proposals.models import HandlingUnit, Proposal, Reply, Routing
from proposals.permissions import (
    can_review,
    get_proposal_for_user,
    proposals_visible_to,
    require_review,
    units_of,
)
from proposals.services import handling
from proposals.unit_forms import (
    CloseForm,
    ContactForm,
    ObjectionForm,
    ProgressForm,
    RatingForm,
    ReassignForm,
    ReplyForm,
    RouteForm,
    UnitForm,
)
from sectors.models import Body

S = Proposal.Status
RS = Routing.Status
PAGE_SIZE = 20
GET_POST = require_http_methods(["GET", "HEAD", "POST"])


def _page(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


# --- access -----------------------------------------------------------------


def _require_unit_manager(user) -> set:
    bodies = managed_body_ids(user)
    if not bodies:
        raise PermissionDenied
    return bodies


def _unit_for_staff(user, pk) -> HandlingUnit:
    """The unit if the user manages its body; 403 to those who may know it
    (the body's members and leadership), 404 to everyone else."""
    unit = HandlingUnit.objects.select_related("body").filter(pk=pk).first()
    if unit is None:
        raise Http404
    viewer = viewer_for(user)
    if viewer.can_manage_body(unit.body_id):
        return unit
    if unit.body_id in viewer.seat_body_ids | viewer.leadership_body_ids:
        raise PermissionDenied
    raise Http404


def _routing_for_user(user, pk, *, act: bool = False) -> Routing:
    """A routing for its unit's contacts (who act on it) and the body's staff
    (who read it); 403 to others who can see the proposal, 404 to the rest.
    A withdrawn routing is gone for its unit."""
    routing = (
        Routing.objects.select_related("proposal__body", "proposal__session", "unit")
        .filter(pk=pk)
        .first()
    )
    if routing is None:
        raise Http404
    contact = routing.unit_id in units_of(user) and routing.status != RS.WITHDRAWN
    if contact:
        return routing
    if not proposals_visible_to(user).filter(pk=routing.proposal_id).exists():
        raise Http404
    if act or not can_review(user, routing.proposal):
        raise PermissionDenied
    return routing


def _contact_of(unit: HandlingUnit, pk):
    contact = unit.contacts.filter(pk=pk).first() if str(pk).isdigit() else None
    if contact is None:
        raise Http404
    return contact


# --- handling units (staff) ---------------------------------------------------


@login_required
@require_safe
def units(request):
    bodies = _require_unit_manager(request.user)
    rows = (
        HandlingUnit.objects.filter(body_id__in=bodies)
        .select_related("body")
        .annotate(
            contact_count=Count("contacts", distinct=True),
            open_count=Count(
                "routings",
                filter=Q(routings__status__in=handling.AWAITING),
                distinct=True,
            ),
        )
        .order_by("body__name", "-is_active", "name")
    )
    return render(
        request,
        "proposals/handling_units.html",
        {"page": _page(request, rows), "many_bodies": len(bodies) > 1},
    )


@login_required
@GET_POST
def unit_new(request):
    bodies = Body.objects.filter(pk__in=_require_unit_manager(request.user)).order_by("name")
    form = UnitForm(request.POST or None, bodies=bodies)
    if request.method == "POST" and form.is_valid():
        try:
            unit = handling.unit_create(
                by=request.user,
                body=form.cleaned_data["body"],
                name=form.cleaned_data["name"],
                is_active=form.cleaned_data["is_active"],
            )
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            messages.success(request, _("已添加承办单位“%(u)s”") % {"u": unit.name})
            return redirect("proposals:unit_edit", pk=unit.pk)
    return render(request, "proposals/handling_unit_form.html", {"form": form, "unit": None})


@login_required
@GET_POST
def unit_edit(request, pk):
    unit = _unit_for_staff(request.user, pk)
    form = UnitForm(request.POST or None, initial={"name": unit.name, "is_active": unit.is_active})
    if request.method == "POST" and form.is_valid():
        try:
            handling.unit_update(
                by=request.user,
                unit=unit,
                name=form.cleaned_data["name"],
                is_active=form.cleaned_data["is_active"],
            )
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            messages.success(request, _("已保存"))
            return redirect("proposals:unit_edit", pk=unit.pk)
    contacts = unit.contacts.order_by("username")
    return render(
        request,
        "proposals/handling_unit_form.html",
        {"form": form, "unit": unit, "contacts": list(contacts)},
    )


@login_required
@GET_POST
def unit_contact_new(request, pk):
    """A login for a contact of the unit, and its one-time set-password link."""
    unit = _unit_for_staff(request.user, pk)
    form = ContactForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            contact = handling.unit_contact_create(
                by=request.user,
                unit=unit,
                username=form.cleaned_data["username"],
                name=form.cleaned_data["name"],
            )
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            return _contact_link_page(request, unit, contact)
    return render(request, "proposals/handling_contact_form.html", {"form": form, "unit": unit})


def _contact_link_page(request, unit, contact):
    return render(
        request,
        "proposals/handling_contact_link.html",
        {"unit": unit, "contact": contact, "link": set_password_link(request, contact)},
    )


@login_required
@require_POST
def unit_contact_link(request, pk):
    """A new set-password link for a contact who lost theirs (the old one dies
    once the password is set)."""
    unit = _unit_for_staff(request.user, pk)
    return _contact_link_page(request, unit, _contact_of(unit, request.POST.get("user", "")))


@login_required
@require_POST
def unit_contact_remove(request, pk):
    unit = _unit_for_staff(request.user, pk)
    contact = _contact_of(unit, request.POST.get("user", ""))
    handling.unit_contact_remove(by=request.user, unit=unit, user=contact)
    messages.success(request, _("已移除联系人 %(u)s") % {"u": contact.username})
    return redirect("proposals:unit_edit", pk=unit.pk)


# --- routing (staff) ----------------------------------------------------------


@login_required
@GET_POST
def route(request, pk):
    proposal = get_proposal_for_user(request.user, pk)
    require_review(request.user, proposal)
    if proposal.status != S.ACCEPTED:
        messages.error(request, _("只有已立案的提案可以交办"))
        return redirect("proposals:detail", pk=proposal.pk)
    form = RouteForm(
        request.POST or None,
        proposal=proposal,
        initial={"deadline": handling.default_deadline()},
    )
    if request.method == "POST" and form.is_valid():
        try:
            handling.routing_create(
                by=request.user,
                proposal=proposal,
                units=form.units(),
                deadline=form.cleaned_data["deadline"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            messages.success(request, _("已交办"))
            return redirect("proposals:detail", pk=proposal.pk)
    return render(
        request,
        "proposals/handling_route.html",
        {
            "proposal": proposal,
            "form": form,
            "suggested_units": list(proposal.suggested_units.all()),
        },
    )


@login_required
@GET_POST
def reassign(request, pk):
    routing = _routing_for_user(request.user, pk)
    require_review(request.user, routing.proposal)
    form = ReassignForm(
        request.POST or None, routing=routing, initial={"deadline": handling.default_deadline()}
    )
    if request.method == "POST" and form.is_valid():
        try:
            handling.routing_reassign(
                by=request.user,
                routing=routing,
                unit=form.cleaned_data["unit"],
                deadline=form.cleaned_data["deadline"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            messages.success(request, _("已改派"))
            return redirect("proposals:detail", pk=routing.proposal_id)
    return render(
        request,
        "proposals/handling_reassign.html",
        {"routing": routing, "proposal": routing.proposal, "form": form},
    )


@login_required
@require_POST
def close(request, pk):
    proposal = get_proposal_for_user(request.user, pk)
    require_review(request.user, proposal)
    form = CloseForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        handling.proposal_close(by=request.user, proposal=proposal, note=note)
    except ValidationError as error:
        refusal_messages(request, error)
    else:
        messages.success(request, _("已办结"))
    return redirect("proposals:detail", pk=proposal.pk)


@login_required
@require_safe
def overdue(request):
    """Staff and leadership: routings past their deadline, and objections
    waiting for a reassignment."""
    bodies = readable_body_ids(request.user)
    if not bodies:
        raise PermissionDenied
    today = timezone.localdate()
    late = (
        handling.routings_overdue(today=today)
        .filter(proposal__body_id__in=bodies)
        .select_related("proposal", "unit")
        .order_by("deadline", "pk")
    )
    page = _page(request, late)
    for routing in page:
        routing.days_late = (today - routing.deadline).days
    objected = (
        Routing.objects.filter(
            status=RS.OBJECTED, proposal__status=S.ROUTED, proposal__body_id__in=bodies
        )
        .select_related("proposal", "unit")
        .order_by("objected_at")[:50]
    )
    return render(
        request,
        "proposals/handling_overdue.html",
        {"page": page, "objected": list(objected), "today": today},
    )


# --- the unit's side ----------------------------------------------------------

INBOX_TABS = {
    "pending": Q(status__in=handling.AWAITING),
    "overdue": Q(status__in=handling.AWAITING),  # and past the deadline, below
    "objected": Q(status=RS.OBJECTED),
    "replied": Q(status__in=(RS.REPLIED, RS.DONE)),
}


@login_required
@require_safe
def inbox(request):
    mine = units_of(request.user)
    if not mine:
        raise PermissionDenied
    today = timezone.localdate()
    tab = request.GET.get("show", "pending")
    if tab not in INBOX_TABS:
        tab = "pending"
    base = Routing.objects.filter(unit_id__in=mine).exclude(status=RS.WITHDRAWN)
    late = Q(deadline__lt=today)
    counts = base.aggregate(
        pending=Count("pk", filter=INBOX_TABS["pending"]),
        overdue=Count("pk", filter=INBOX_TABS["overdue"] & late),
        objected=Count("pk", filter=INBOX_TABS["objected"]),
        replied=Count("pk", filter=INBOX_TABS["replied"]),
    )
    rows = base.filter(INBOX_TABS[tab])
    if tab == "overdue":
        rows = rows.filter(late)
    rows = rows.select_related("proposal", "unit").order_by(
        "-routed_at" if tab == "replied" else "deadline", "pk"
    )
    return render(
        request,
        "proposals/handling_inbox.html",
        {
            "page": _page(request, rows),
            "tab": tab,
            "counts": counts,
            "today": today,
            "query": f"show={tab}",
            "many_units": len(mine) > 1,
        },
    )


def _routing_page(request, routing, status=200, **forms):
    proposal = routing.proposal
    contact = routing.unit_id in units_of(request.user) and routing.status != RS.WITHDRAWN
    awaiting = routing.status in handling.AWAITING and proposal.status != S.CLOSED
    until = handling.objection_until(routing)
    may_object = (
        contact
        and routing.status == RS.ROUTED
        and proposal.status == S.ROUTED
        and timezone.localdate() <= until
    )
    context = {
        "routing": routing,
        "proposal": proposal,
        "is_contact": contact,
        "awaiting": awaiting,
        "objection_until": until,
        "may_object": may_object,
        "others": list(
            proposal.routings.exclude(pk=routing.pk)
            .exclude(status=RS.WITHDRAWN)
            .select_related("unit")
        ),
        "replies": list(routing.replies.all()),
        "progress": list(routing.progress.select_related("by")),
        "ratings": list(proposal.ratings.all()),
        "attachments": list(proposal.attachments.all()),
        "progress_form": forms.get("progress_form") or ProgressForm(),
        "reply_form": forms.get("reply_form") or ReplyForm(),
        "objection_form": forms.get("objection_form") or ObjectionForm(),
        "today": timezone.localdate(),
    }
    return render(request, "proposals/handling_routing.html", context, status=status)


@login_required
@require_safe
def routing(request, pk):
    return _routing_page(request, _routing_for_user(request.user, pk))


@login_required
@require_POST
def object_(request, pk):
    routing = _routing_for_user(request.user, pk, act=True)
    form = ObjectionForm(request.POST)
    if form.is_valid():
        try:
            handling.routing_object(
                by=request.user, routing=routing, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            messages.success(request, _("已提出异议,等待机关改派"))
            return redirect("proposals:routing", pk=routing.pk)
    return _routing_page(request, routing, objection_form=form)


@login_required
@require_POST
def progress(request, pk):
    routing = _routing_for_user(request.user, pk, act=True)
    form = ProgressForm(request.POST)
    if form.is_valid():
        try:
            handling.progress_add(by=request.user, routing=routing, text=form.cleaned_data["text"])
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            messages.success(request, _("已记录办理进展"))
            return redirect("proposals:routing", pk=routing.pk)
    return _routing_page(request, routing, progress_form=form)


@login_required
@require_POST
def reply(request, pk):
    routing = _routing_for_user(request.user, pk, act=True)
    form = ReplyForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            handling.reply_submit(
                by=request.user,
                routing=routing,
                result=form.cleaned_data["result"],
                text=form.cleaned_data["text"],
                file=form.cleaned_data["file"],
            )
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            messages.success(request, _("已提交答复"))
            return redirect("proposals:routing", pk=routing.pk)
    return _routing_page(request, routing, reply_form=form)


@login_required
@require_safe
def reply_file(request, pk):
    """Reply letters are served only through here, to those who may see the proposal."""
    item = Reply.objects.select_related("routing").filter(pk=pk).first()
    if (
        item is None
        or not item.file
        or not proposals_visible_to(request.user).filter(pk=item.routing.proposal_id).exists()
    ):
        raise Http404
    try:
        handle = item.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    content_type = handling.reply_content_type(item)
    extension = item.file.name.rsplit(".", 1)[-1]
    return uploads.private_file_response(
        handle,
        content_type=content_type,
        filename=f"答复函-{item.routing.proposal_id}-{item.routing_id}-{item.round}.{extension}",
    )


# --- the first proposer ------------------------------------------------------


@login_required
@GET_POST
def rate(request, pk):
    proposal = get_proposal_for_user(request.user, pk)
    if not handling.may_rate(request.user, proposal):
        raise PermissionDenied
    form = RatingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            rating = handling.rating_submit(
                by=request.user,
                proposal=proposal,
                satisfaction=form.cleaned_data["satisfaction"],
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            messages.success(
                request, _("已提交测评:%(s)s") % {"s": rating.get_satisfaction_display()}
            )
            return redirect("proposals:detail", pk=proposal.pk)
    routings = (
        proposal.routings.exclude(status=RS.WITHDRAWN)
        .select_related("unit")
        .prefetch_related("replies")
    )
    return render(
        request,
        "proposals/handling_rate.html",
        {
            "proposal": proposal,
            "form": form,
            "routings": list(routings),
            "on_behalf": not handling.is_rater(request.user, proposal),
        },
    )
