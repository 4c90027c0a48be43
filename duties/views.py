"""The activity menu, an activity's page, sign-up, and the staff pages that
publish activities, keep the final list and record attendance."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from duties import services
from duties.forms import (
    ActivityFilterForm,
    ActivityForm,
    AttendanceForm,
    CancelForm,
    KindForm,
    LeaveRequestForm,
)
from duties.models import Activity, ActivityKind, Participation
from duties.permissions import (
    activities_visible_to,
    can_manage_activity,
    can_publish_activities,
    get_activity_for_user,
)
from members.forms import refusal_messages
from members.models import Member
from members.permissions import get_body_for_user, managed_body_ids, viewer_for
from sectors.models import Term

# Form pages: shown on GET (and HEAD), saved on POST; any other method is refused.
GET_POST = require_http_methods(["GET", "HEAD", "POST"])

PAGE_SIZE = 20
ATTENDANCE_PAGE_SIZE = 100


def _my_seats(user):
    return list(Member.objects.current().filter(person__user=user).values_list("pk", flat=True))


def _seat_in(activity: Activity, user):
    return Member.objects.filter(
        person__user=user, term_id=activity.term_id, left_on__isnull=True
    ).first()


@login_required
@require_safe
def menu(request):
    """菜单化履职: the published activities of the user's bodies, filterable."""
    viewer = viewer_for(request.user)
    member_ids = _my_seats(request.user)
    body_ids = viewer.seat_body_ids | viewer.staff_body_ids | viewer.leadership_body_ids
    form = ActivityFilterForm(request.GET or None, body_ids=body_ids)
    activities = form.apply(activities_visible_to(request.user), member_ids=member_ids)
    activities = (
        activities.select_related("kind", "venue_home").order_by("starts_at", "id").distinct()
    )
    if request.GET.get("when") == "past":
        activities = activities.order_by("-starts_at", "-id")
    page = Paginator(activities, PAGE_SIZE).get_page(request.GET.get("page"))
    mine = {
        p.activity_id: p
        for p in Participation.objects.filter(
            activity__in=[a.pk for a in page.object_list], member_id__in=member_ids
        )
    }
    rows = [(a, mine.get(a.pk)) for a in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "duties/menu.html",
        {
            "page": page,
            "rows": rows,
            "form": form,
            "query": query.urlencode(),
            "can_publish": can_publish_activities(request.user),
            "now": timezone.now(),
        },
    )


@login_required
@require_safe
def activity_detail(request, pk):
    activity = get_activity_for_user(request.user, pk)
    seat = _seat_in(activity, request.user)
    mine = Participation.objects.filter(activity=activity, member=seat).first() if seat else None
    manage = can_manage_activity(request.user, activity)
    counts = activity.participations.aggregate(
        on_list=Count("pk", filter=Q(signup=Participation.Signup.CONFIRMED)),
        waiting=Count("pk", filter=Q(signup=Participation.Signup.WAITLISTED)),
        attended=Count("pk", filter=Q(attendance=Participation.Attendance.ATTENDED)),
        leave_requests=Count("pk", filter=Q(leave=Participation.Leave.REQUESTED)),
    )
    waiting_position = None
    if mine and mine.signup == Participation.Signup.WAITLISTED:
        waiting_position = (
            activity.participations.waitlisted().filter(signed_up_at__lt=mine.signed_up_at).count()
            + 1
        )
    return render(
        request,
        "duties/activity_detail.html",
        {
            "activity": activity,
            "seat": seat,
            "mine": mine,
            "in_audience": bool(seat) and services.in_audience(activity, seat),
            "signup_open": activity.signup_open(),
            "manage": manage,
            "counts": counts,
            "waiting_position": waiting_position,
            "cancel_form": CancelForm() if manage else None,
            "leave_form": LeaveRequestForm(),
            "now": timezone.now(),
        },
    )


def _term_for_new_activity(request):
    """The term a new activity belongs to: asked for, else the first current term
    the user may publish in (staff: their bodies; convenors: their group's term)."""
    viewer = viewer_for(request.user)
    terms = Term.objects.filter(is_current=True).select_related("body")
    if viewer.is_admin:
        allowed = terms
    else:
        allowed = terms.filter(
            Q(body_id__in=viewer.staff_body_ids) | Q(sector_groups__in=viewer.convened_group_ids)
        ).distinct()
    term_id = request.GET.get("term") or request.POST.get("term")
    term = (
        allowed.filter(pk=term_id).first()
        if term_id and str(term_id).isdigit()
        else allowed.first()
    )
    if term is None:
        raise PermissionDenied
    convenor_groups = None if viewer.can_manage_body(term.body_id) else viewer.convened_group_ids
    return term, convenor_groups


@login_required
@GET_POST
def activity_create(request):
    if not can_publish_activities(request.user):
        raise PermissionDenied
    term, convenor_groups = _term_for_new_activity(request)
    services.activity_kinds_ensure_defaults(body=term.body)
    instance = Activity(body_id=term.body_id, term=term, created_by=request.user)
    form = ActivityForm(
        request.POST or None, instance=instance, term=term, convenor_groups=convenor_groups
    )
    if request.method == "POST" and form.is_valid():
        activity = form.save()
        if request.POST.get("publish"):
            services.activity_publish(activity=activity, by=request.user)
            messages.success(request, _("活动已发布"))
        else:
            messages.success(request, _("已保存为草稿"))
        return redirect("duties:activity", pk=activity.pk)
    return render(
        request, "duties/activity_form.html", {"form": form, "term": term, "activity": None}
    )


@login_required
@GET_POST
def activity_edit(request, pk):
    activity = get_activity_for_user(request.user, pk, write=True)
    if activity.status == Activity.Status.CANCELLED:
        messages.error(request, _("活动已取消,不能修改"))
        return redirect("duties:activity", pk=activity.pk)
    viewer = viewer_for(request.user)
    convenor_groups = (
        None if viewer.can_manage_body(activity.body_id) else viewer.convened_group_ids
    )
    form = ActivityForm(
        request.POST or None, instance=activity, term=activity.term, convenor_groups=convenor_groups
    )
    if request.method == "POST" and form.is_valid():
        services.activity_update(form=form)
        messages.success(request, _("已保存"))
        return redirect("duties:activity", pk=activity.pk)
    return render(
        request,
        "duties/activity_form.html",
        {"form": form, "term": activity.term, "activity": activity},
    )


@login_required
@require_POST
def activity_publish(request, pk):
    activity = get_activity_for_user(request.user, pk, write=True)
    services.activity_publish(activity=activity, by=request.user)
    messages.success(request, _("活动已发布"))
    return redirect("duties:activity", pk=pk)


@login_required
@require_POST
def activity_cancel(request, pk):
    activity = get_activity_for_user(request.user, pk, write=True)
    form = CancelForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写取消原因"))
        return redirect("duties:activity", pk=pk)
    services.activity_cancel(activity=activity, by=request.user, reason=form.cleaned_data["reason"])
    messages.success(request, _("活动已取消,已通知报名的委员"))
    return redirect("duties:activity", pk=pk)


@login_required
@require_POST
def list_confirm(request, pk):
    activity = get_activity_for_user(request.user, pk, write=True)
    services.list_confirm(activity=activity, by=request.user)
    messages.success(request, _("名单已确定,已通知名单内的委员"))
    return redirect("duties:attendance", pk=pk)


@login_required
@require_POST
def signup(request, pk):
    activity = get_activity_for_user(request.user, pk)
    seat = _seat_in(activity, request.user)
    if seat is None:
        raise PermissionDenied
    try:
        participation = services.signup(activity=activity, member=seat)
    except ValidationError as error:
        refusal_messages(request, error)
    else:
        if participation.signup == Participation.Signup.WAITLISTED:
            messages.warning(request, _("名额已满,您已进入候补名单;有人退出时将自动递补并通知您"))
        else:
            messages.success(request, _("报名成功"))
    return redirect("duties:activity", pk=pk)


@login_required
@require_POST
def withdraw(request, pk):
    activity = get_activity_for_user(request.user, pk)
    seat = _seat_in(activity, request.user)
    if seat is None:
        raise PermissionDenied
    try:
        services.withdraw(activity=activity, member=seat)
    except ValidationError as error:
        refusal_messages(request, error)
    else:
        messages.success(request, _("已退出报名"))
    return redirect("duties:activity", pk=pk)


@login_required
@require_POST
def leave_request(request, pk):
    activity = get_activity_for_user(request.user, pk)
    seat = _seat_in(activity, request.user)
    if seat is None:
        raise PermissionDenied
    form = LeaveRequestForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写请假事由"))
        return redirect("duties:activity", pk=pk)
    try:
        services.leave_request(activity=activity, member=seat, reason=form.cleaned_data["reason"])
    except ValidationError as error:
        refusal_messages(request, error)
    else:
        messages.success(request, _("请假申请已提交,待工作人员批准"))
    return redirect("duties:activity", pk=pk)


@login_required
@GET_POST
def attendance(request, pk):
    """The final list and attendance of one activity, for those who manage it."""
    activity = get_activity_for_user(request.user, pk, write=True)
    if request.method == "POST":
        form = AttendanceForm(request.POST)
        if form.is_valid():
            member = get_object_or_404(
                Member, pk=form.cleaned_data["member"], term_id=activity.term_id
            )
            try:
                services.attendance_record(
                    activity=activity,
                    member=member,
                    attendance=form.cleaned_data["attendance"],
                    reason=form.cleaned_data["reason"],
                    role=form.cleaned_data["role"],
                    by=request.user,
                )
            except ValidationError as error:
                refusal_messages(request, error)
            else:
                messages.success(request, _("已登记 %(name)s") % {"name": member.person.name})
        else:
            messages.error(request, _("请选择出席情况"))
        return redirect("duties:attendance", pk=pk)
    on_list = activity.participations.on_list()
    tally = on_list.aggregate(
        listed=Count("pk"),
        attended=Count("pk", filter=Q(attendance=Participation.Attendance.ATTENDED)),
        excused=Count("pk", filter=Q(attendance=Participation.Attendance.EXCUSED)),
        absent=Count("pk", filter=Q(attendance=Participation.Attendance.ABSENT)),
        unrecorded=Count("pk", filter=Q(attendance="")),
        leave_requests=Count("pk", filter=Q(leave=Participation.Leave.REQUESTED)),
    )
    # A plenary lists every member: show a page of the list at a time, searchable.
    shown = on_list.select_related("member__person", "member__group").order_by("member__number")
    q = (request.GET.get("q") or "").strip()
    if q:
        shown = shown.filter(Q(member__person__name__contains=q) | Q(member__number=q))
    state = request.GET.get("state", "")
    if state == "unrecorded":
        shown = shown.filter(attendance="")
    elif state == "leave":
        shown = shown.filter(leave=Participation.Leave.REQUESTED)
    elif state and state in Participation.Attendance.values:
        shown = shown.filter(attendance=state)
    page = Paginator(shown, ATTENDANCE_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    candidates = (
        services.audience_members(activity)
        .exclude(pk__in=on_list.values("member_id"))
        .select_related("person")
        .order_by("number")
    )
    return render(
        request,
        "duties/attendance.html",
        {
            "activity": activity,
            "page": page,
            "query": query.urlencode(),
            "q": q,
            "state": state,
            "waiting": activity.participations.waitlisted().select_related("member__person"),
            "tally": tally,
            "candidates": candidates,
            "choices": Participation.Attendance.choices[1:],
            "roles": Participation.Role.choices,
            "recordable": activity.status in (Activity.Status.PUBLISHED, Activity.Status.CONFIRMED),
            "now": timezone.now(),
        },
    )


@login_required
@require_POST
def mark_all_present(request, pk):
    activity = get_activity_for_user(request.user, pk, write=True)
    try:
        if activity.required_attendance:
            services.activity_required_list_refresh(activity=activity)
        n = services.attendance_mark_all_present(activity=activity, by=request.user)
    except ValidationError as error:
        refusal_messages(request, error)
    else:
        messages.success(
            request, _("已将 %(n)s 人登记为出席(已批准请假的登记为请假),请逐一修改例外") % {"n": n}
        )
    return redirect("duties:attendance", pk=pk)


@login_required
@require_POST
def list_add(request, pk):
    activity = get_activity_for_user(request.user, pk, write=True)
    ids = [i for i in request.POST.getlist("member") if i.isdigit()]
    members = list(services.audience_members(activity).filter(pk__in=ids)) if ids else []
    if not members:
        messages.error(request, _("请选择要加入名单的委员"))
        return redirect("duties:attendance", pk=pk)
    try:
        n = services.list_add(activity=activity, members=members, by=request.user)
    except ValidationError as error:
        refusal_messages(request, error)
    else:
        messages.success(request, _("已加入名单 %(n)s 人,已通知本人") % {"n": n})
    return redirect("duties:attendance", pk=pk)


@login_required
@require_POST
def list_remove(request, pk):
    activity = get_activity_for_user(request.user, pk, write=True)
    member = get_object_or_404(Member, pk=request.POST.get("member") or 0, term_id=activity.term_id)
    if services.list_remove(activity=activity, member=member, by=request.user):
        messages.success(
            request, _("已将 %(name)s 调出名单,已通知本人") % {"name": member.person.name}
        )
    return redirect("duties:attendance", pk=pk)


@login_required
@require_POST
def leave_decide(request, pk):
    participation = get_object_or_404(Participation.objects.select_related("activity"), pk=pk)
    get_activity_for_user(request.user, participation.activity_id, write=True)
    approve = request.POST.get("decision") == "approve"
    services.leave_decide(participation=participation, approve=approve, by=request.user)
    messages.success(request, _("已批准请假") if approve else _("已不批准请假"))
    return redirect("duties:attendance", pk=participation.activity_id)


def _kind_body(request):
    """The body whose kinds are shown: asked for, else the user's first managed body."""
    body_id = request.GET.get("body") or request.POST.get("body")
    if not body_id:
        managed = sorted(managed_body_ids(request.user))
        if not managed:
            raise Http404
        body_id = managed[0]
    return get_body_for_user(request.user, body_id, write=True)


@login_required
@GET_POST
def kind_list(request):
    """Activity kinds are data: staff keep their body's list (and may restore the
    default kinds a body lacks)."""
    body = _kind_body(request)
    if request.method == "POST":
        n = services.activity_kinds_ensure_defaults(body=body)
        messages.success(request, _("已补充 %(n)s 个默认活动类型") % {"n": n})
        return redirect(f"{reverse('duties:kinds')}?body={body.pk}")
    kinds = ActivityKind.objects.filter(body=body).annotate(n=Count("activities"))
    return render(request, "duties/kind_list.html", {"body": body, "kinds": kinds})


@login_required
@GET_POST
def kind_edit(request, pk=None):
    if pk is None:
        body = _kind_body(request)
        kind = ActivityKind(body=body)
    else:
        kind = get_object_or_404(ActivityKind, pk=pk)
        body = get_body_for_user(request.user, kind.body_id, write=True)
    form = KindForm(request.POST or None, instance=kind)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("已保存"))
        return redirect(f"{reverse('duties:kinds')}?body={body.pk}")
    return render(request, "duties/kind_form.html", {"form": form, "body": body, "kind": kind})
