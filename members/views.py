from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from config import uploads
from config.replica import replica_reads
from duties import selectors as duty_selectors
from members import services
from members.accounts import set_password_link
from members.forms import (
    CarryOverForm,
    ContactForm,
    HonourForm,
    LeaveForm,
    LongLeaveForm,
    PersonForm,
    SeatForm,
    errors_to_form,
)
from members.models import Member, Notice, Person
from members.permissions import (
    can_edit_contact,
    can_see_full_record,
    can_see_phone,
    get_body_for_user,
    get_member_contact_for_user,
    get_member_for_user,
    managed_body_ids,
    require_permission,
    viewer_for,
)
from members.selectors import FILTER_PARAMS, bodies_for_directory, member_filter, term_for_listing
from scoring import selectors as score_selectors
from sectors.models import Committee, SectorGroup, Term

# Form pages: shown on GET (and HEAD), saved on POST; any other method is refused.
GET_POST = require_http_methods(["GET", "HEAD", "POST"])

PAGE_SIZE = 50
UPCOMING_ON_HOME = 5  # a member's next activities on the home page


@login_required
@require_safe
def home(request):
    viewer = viewer_for(request.user)
    seats = (
        Member.objects.filter(person__user=request.user)
        .select_related("term__body", "sector", "group")
        .order_by("-term__starts_on")
    )
    bodies = bodies_for_directory(request.user).annotate(
        current_members=Count(
            "terms__members", filter=Q(terms__is_current=True, terms__members__left_on__isnull=True)
        )
    )
    recent_notices = Notice.objects.for_user(request.user)[:5]
    upcoming = latest_score = None
    now = timezone.now()
    if viewer.own_member_ids:
        upcoming = list(
            duty_selectors.upcoming_for_members(viewer.own_member_ids, now)[:UPCOMING_ON_HOME]
        )
        latest_score = score_selectors.my_scores(viewer).first()
    convened = SectorGroup.objects.filter(pk__in=viewer.convened_group_ids).select_related(
        "term__body"
    )
    return render(
        request,
        "home.html",
        {
            "seats": seats,
            "bodies": bodies,
            "recent_notices": recent_notices,
            "convened_groups": convened,
            "role": viewer.role_label(),
            "upcoming": upcoming,
            "latest_score": latest_score,
            "now": now,
        },
    )


@login_required
@require_safe
@replica_reads
def member_list(request):
    viewer = viewer_for(request.user)
    term = term_for_listing(request.user, request.GET)
    if term is None:
        return render(request, "members/member_list.html", {"term": None})
    full_roster = viewer.can_read_body(term.body_id)
    members = member_filter(
        Member.objects.visible_to(request.user).filter(term=term).for_directory(), request.GET
    ).order_by("number")
    if full_roster:
        members = members.prefetch_related(
            Prefetch("committees", queryset=Committee.objects.only("id", "name"))
        )
    page = Paginator(members, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(m, can_see_phone(viewer, m)) for m in page.object_list]
    filters = {k: request.GET.get(k, "") for k in FILTER_PARAMS}
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "members/member_list.html",
        {
            "term": term,
            "terms": Term.objects.filter(
                body__in=bodies_for_directory(request.user)
            ).select_related("body"),
            "page": page,
            "rows": rows,
            "filters": filters,
            "full_roster": full_roster,
            "can_manage": term.body_id in managed_body_ids(request.user),
            "sectors": term.sectors.all(),
            "groups": term.sector_groups.all(),
            "committees": term.committees.all(),
            "query": query.urlencode(),
        },
    )


@login_required
@require_safe
def member_detail(request, pk):
    viewer = viewer_for(request.user)
    member = get_member_for_user(request.user, pk)
    full = can_see_full_record(viewer, member)
    context = {
        "member": member,
        "person": member.person,
        "full": full,
        "show_phone": can_see_phone(viewer, member),
        "can_manage": viewer.can_manage_body(member.term.body_id),
        "can_edit_contact": can_edit_contact(viewer, member),
        "committees": member.committees.all(),
    }
    if full:
        # Seats the viewer may see: their own body's, or every one for the person themself.
        context["seats"] = (
            Member.objects.visible_to(request.user)
            .filter(person=member.person)
            .select_related("term__body", "sector", "group")
        )
        context["honours"] = member.person.honours.all()
        context["long_leaves"] = member.long_leaves.all()
    if viewer.can_read_body(member.term.body_id):
        context["history"] = _history_rows(member)
    return render(request, "members/member_detail.html", context)


def _history_rows(member, limit=30):
    """Who changed what and when, for the person and this seat, newest first."""
    rows = []
    for record_set in (member.person.history.all(), member.history.all()):
        records = list(record_set.select_related("history_user")[: limit + 1])
        for newer, older in zip(records, [*records[1:], None], strict=False):
            if older is None:
                changes = [(_("新建"), "", "")] if newer.history_type == "+" else []
            else:
                delta = newer.diff_against(older)
                changes = [(c.field, c.old, c.new) for c in delta.changes]
            if changes:
                rows.append(
                    {
                        "when": newer.history_date,
                        "who": newer.history_user,
                        "what": newer.instance_type._meta.verbose_name,
                        "changes": [(_field_label(newer, f), o, n) for f, o, n in changes],
                    }
                )
    rows.sort(key=lambda r: r["when"], reverse=True)
    return rows[:limit]


def _field_label(record, name):
    try:
        return record.instance_type._meta.get_field(name).verbose_name
    except Exception:
        return name


def _term_for_write(user, term_id) -> Term:
    term = Term.objects.select_related("body").filter(pk=term_id).first()
    if term is None:
        raise Http404
    get_body_for_user(user, term.body_id, write=True)
    return term


@login_required
@GET_POST
def member_create(request, term_id):
    term = _term_for_write(request.user, term_id)
    person_form = PersonForm(request.POST or None, request.FILES or None, prefix="p")
    seat_form = SeatForm(request.POST or None, prefix="s", term=term)
    if request.method == "POST" and person_form.is_valid() and seat_form.is_valid():
        person = person_form.instance
        existing = Person.objects.filter(mobile=person.mobile).first() if person.mobile else None
        member = services.member_create(
            by=request.user,
            term=term,
            person=existing or person,
            seat={k: v for k, v in seat_form.cleaned_data.items() if k != "committees"},
            committees=seat_form.cleaned_data["committees"],
        )
        messages.success(request, _("已添加委员 %(name)s") % {"name": member.person.name})
        return redirect("members:detail", pk=member.pk)
    return render(
        request,
        "members/member_form.html",
        {"person_form": person_form, "seat_form": seat_form, "term": term, "member": None},
    )


@login_required
@GET_POST
def member_edit(request, pk):
    member = get_member_for_user(request.user, pk, write=True)
    person_form = PersonForm(
        request.POST or None,
        request.FILES or None,
        prefix="p",
        instance=member.person,
        photo_url=reverse("members:photo", args=[member.pk]),
    )
    seat_form = SeatForm(request.POST or None, prefix="s", instance=member, term=member.term)
    if request.method == "POST" and person_form.is_valid() and seat_form.is_valid():
        seat_fields = {k: v for k, v in seat_form.cleaned_data.items() if k != "committees"}
        services.member_update(
            by=request.user,
            member=member,
            person_fields=person_form.cleaned_data,
            seat_fields=seat_fields,
            committees=seat_form.cleaned_data["committees"],
        )
        messages.success(request, _("已保存"))
        return redirect("members:detail", pk=member.pk)
    return render(
        request,
        "members/member_form.html",
        {"person_form": person_form, "seat_form": seat_form, "term": member.term, "member": member},
    )


@login_required
@GET_POST
def member_leave(request, pk):
    member = get_member_for_user(request.user, pk, write=True)
    form = LeaveForm(request.POST or None, member=member)
    if request.method == "POST" and form.is_valid():
        services.member_leave(
            by=request.user,
            member=member,
            left_on=form.cleaned_data["left_on"],
            reason=form.cleaned_data["reason"],
        )
        messages.success(
            request, _("%(name)s 已离任,履职记录全部保留") % {"name": member.person.name}
        )
        return redirect("members:detail", pk=member.pk)
    return render(request, "members/member_leave.html", {"member": member, "form": form})


@login_required
@require_POST
def member_reinstate(request, pk):
    member = get_member_for_user(request.user, pk, write=True)
    services.member_reinstate(by=request.user, member=member)
    messages.success(request, _("已恢复在任"))
    return redirect("members:detail", pk=member.pk)


@login_required
@GET_POST
def contact_edit(request, pk):
    """Convenors (and staff) keep their group's contact details current."""
    member = get_member_contact_for_user(request.user, pk)
    form = ContactForm(request.POST or None, instance=member.person)
    if request.method == "POST" and form.is_valid():
        services.member_update(
            by=request.user, member=member, person_fields=form.cleaned_data, seat_fields={}
        )
        messages.success(request, _("联系方式已更新"))
        return redirect("members:detail", pk=member.pk)
    return render(request, "members/contact_form.html", {"member": member, "form": form})


@login_required
@require_safe
def member_photo(request, pk):
    """Photos are served only through here, to those who may see the member."""
    member = get_member_for_user(request.user, pk)
    photo = member.person.photo
    if not photo:
        raise Http404
    try:
        handle = photo.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    # Served as what its bytes are (photos stored before names were random
    # kept the uploader's name); anything else is not shown at all.
    content_type = uploads.sniff(handle, open_images=False)
    if content_type not in (uploads.JPEG, uploads.PNG):
        handle.close()
        raise Http404
    filename = f"photo-{member.pk}.{uploads.EXTENSIONS[content_type]}"
    return uploads.private_file_response(handle, content_type=content_type, filename=filename)


@login_required
@GET_POST
def honour_add(request, pk):
    member = get_member_for_user(request.user, pk, write=True)
    form = HonourForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.honour_add(by=request.user, person=member.person, **form.cleaned_data)
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            messages.success(request, _("已添加表彰"))
            return redirect("members:detail", pk=member.pk)
    return render(request, "members/honour_form.html", {"member": member, "form": form})


@login_required
@GET_POST
def long_leave_add(request, pk):
    member = get_member_for_user(request.user, pk, write=True)
    form = LongLeaveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.long_leave_grant(by=request.user, member=member, **form.cleaned_data)
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            messages.success(request, _("已登记长期请假"))
            return redirect("members:detail", pk=member.pk)
    leaves = member.long_leaves.all()
    return render(
        request, "members/long_leave_form.html", {"member": member, "form": form, "leaves": leaves}
    )


@login_required
@require_POST
def long_leave_withdraw(request, pk, leave_pk):
    member = get_member_for_user(request.user, pk, write=True)
    leave = get_object_or_404(member.long_leaves, pk=leave_pk)
    services.long_leave_withdraw(by=request.user, leave=leave)
    messages.success(request, _("已撤销该长期请假"))
    return redirect("members:detail", pk=member.pk)


@login_required
@GET_POST
def term_carry_over(request, term_id):
    term = _term_for_write(request.user, term_id)
    form = CarryOverForm(request.POST or None, from_term=term)
    current = term.members.filter(left_on__isnull=True).select_related("person", "sector", "group")
    if request.method == "POST" and form.is_valid():
        chosen = current.filter(pk__in=request.POST.getlist("continuing"))
        if not chosen.exists():
            form.add_error(None, _("请至少选择一位连任的委员"))
        else:
            created = services.term_carry_over(
                by=request.user,
                from_term=term,
                to_term=form.cleaned_data["to_term"],
                continuing=chosen,
                starts_on=form.cleaned_data["starts_on"],
            )
            messages.success(request, _("换届完成:%(n)s 位委员进入新一届") % {"n": created})
            return redirect(reverse("members:list") + f"?term={form.cleaned_data['to_term'].pk}")
    return render(
        request, "members/carry_over.html", {"term": term, "form": form, "members": current}
    )


@login_required
@GET_POST
def accounts(request):
    """Staff create logins in bulk from the roster and issue set-password links."""
    require_permission(request.user, "members.manage_accounts")
    term = term_for_listing(request.user, request.GET)
    if term is None or term.body_id not in managed_body_ids(request.user):
        raise PermissionDenied
    members = (
        Member.objects.visible_to(request.user)
        .filter(term=term, left_on__isnull=True)
        .select_related("person__user", "sector", "group")
        .order_by("number")
    )
    links = None
    if request.method == "POST":
        chosen = members.filter(pk__in=request.POST.getlist("member"))
        if request.POST.get("action") == "create":
            created = services.accounts_create(by=request.user, members=chosen)
            messages.success(request, _("已创建 %(n)s 个账号") % {"n": len(created)})
            chosen = chosen.filter(person__user__isnull=False)
        links = [
            (m, set_password_link(request, m.person.user))
            for m in chosen.filter(person__user__isnull=False)
        ]
    page = Paginator(members, 100).get_page(request.GET.get("page"))
    return render(
        request,
        "members/accounts.html",
        {"term": term, "page": page, "links": links, "query": f"term={term.pk}"},
    )


@login_required
@require_safe
def notice_list(request):
    notices = Notice.objects.for_user(request.user)
    page = Paginator(notices, 30).get_page(request.GET.get("page"))
    return render(request, "members/notice_list.html", {"page": page})


@login_required
@require_POST
def notice_read(request, pk):
    notice = get_object_or_404(Notice.objects.for_user(request.user), pk=pk)
    services.notice_mark_read(user=request.user, notice_ids=[notice.pk])
    if notice.url and notice.url.startswith("/"):
        return redirect(notice.url)
    return redirect("members:notices")


@login_required
@require_POST
def notice_read_all(request):
    services.notice_mark_read(user=request.user)
    return redirect("members:notices")
