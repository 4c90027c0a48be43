"""有事好商量 sessions and 云协商 pages. Views read the request, ask the access
helpers, call one service and redirect; the rules live in services.py."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from consultations import selectors, services
from consultations.forms import (
    CommentForm,
    ConsultationForm,
    FollowUpForm,
    HideForm,
    OnlineConsultationForm,
    OutcomeForm,
    OutsideParticipantForm,
    ParticipantForm,
    SolveForm,
    SuggestionForm,
)
from consultations.models import Consultation, OutsideParticipant
from consultations.permissions import (
    can_manage_consultation,
    can_record_consultation,
    get_consultation_for_user,
    get_online_comment_for_user,
    get_online_consultation_for_user,
    managed_current_terms,
)
from members.models import Member
from members.permissions import viewer_for

# Form pages: shown on GET (and HEAD), saved on POST; any other method is refused.
GET_POST = require_http_methods(["GET", "HEAD", "POST"])

PAGE_SIZE = 20


def _refusal(form, error: ValidationError) -> None:
    """A service's refusal shown where the user looks: on its field, or above the form."""
    if hasattr(error, "error_dict") and all(f in form.fields for f in error.error_dict):
        form.add_error(None, error)
    else:
        for message in error.messages:
            form.add_error(None, message)


def _posted(request):
    """The submitted data on POST (even when empty, so the form reports what is missing)."""
    return request.POST if request.method == "POST" else None


def _term_for_new(request):
    terms = managed_current_terms(request.user)
    term_id = request.GET.get("term") or request.POST.get("term")
    term = terms.filter(pk=term_id).first() if str(term_id or "").isdigit() else terms.first()
    if term is None:
        raise PermissionDenied
    return term


def _query(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@login_required
@require_safe
def consultation_list(request):
    status = request.GET.get("status", "")
    year = request.GET.get("year", "")
    year = int(year) if year.isdigit() else None
    sessions = selectors.consultation_list(user=request.user, status=status, year=year)
    page = Paginator(sessions, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "consultations/consultation_list.html",
        {
            "page": page,
            "status": status,
            "year": year,
            "years": selectors.consultation_years(user=request.user),
            "statuses": Consultation.Status.choices,
            "can_create": managed_current_terms(request.user).exists(),
            "query": _query(request),
        },
    )


@login_required
@GET_POST
def consultation_create(request):
    term = _term_for_new(request)
    form = ConsultationForm(_posted(request), term=term)
    if request.method == "POST" and form.is_valid():
        try:
            consultation = services.consultation_create(
                term=term, by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            _refusal(form, error)
        else:
            messages.success(request, _("已创建协商,参加委员已收到通知"))
            return redirect("consultations:detail", pk=consultation.pk)
    return render(
        request,
        "consultations/consultation_form.html",
        {"form": form, "term": term, "consultation": None},
    )


@login_required
@require_safe
def consultation_detail(request, pk):
    consultation = get_consultation_for_user(request.user, pk)
    return render(
        request,
        "consultations/consultation_detail.html",
        {
            "consultation": consultation,
            "activity": consultation.activity,
            "participations": selectors.consultation_participations(consultation=consultation),
            "outsiders": consultation.outside_participants.all(),
            "suggestions": consultation.suggestions.select_related("raised_by_member__person"),
            "followups": consultation.followups.select_related("by__person"),
            "manage": can_manage_consultation(request.user, consultation),
            "record": can_record_consultation(request.user, consultation),
            "solve_form": SolveForm(),
        },
    )


@login_required
@GET_POST
def consultation_edit(request, pk):
    consultation = get_consultation_for_user(request.user, pk, write=True)
    activity = consultation.activity
    initial = {
        "topic": consultation.topic,
        "room": activity.venue_home_id,
        "starts_at": timezone.localtime(activity.starts_at),
        "ends_at": timezone.localtime(activity.ends_at),
        "member_convenor": consultation.member_convenor_id,
        "official_convenor_name": consultation.official_convenor_name,
        "official_convenor_unit": consultation.official_convenor_unit,
    }
    form = ConsultationForm(
        _posted(request), initial=initial, term=activity.term, with_members=False
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.consultation_update(
                consultation=consultation, by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            _refusal(form, error)
        else:
            messages.success(request, _("已保存"))
            return redirect("consultations:detail", pk=pk)
    return render(
        request,
        "consultations/consultation_form.html",
        {"form": form, "term": activity.term, "consultation": consultation},
    )


def _small_form(request, consultation, form, *, title, submit, save, done):
    """The pages that add one thing to a session: a form, the service, back to the session."""
    if request.method == "POST" and form.is_valid():
        try:
            save(form.cleaned_data)
        except ValidationError as error:
            _refusal(form, error)
        else:
            messages.success(request, done)
            return redirect("consultations:detail", pk=consultation.pk)
    return render(
        request,
        "consultations/small_form.html",
        {"consultation": consultation, "form": form, "title": title, "submit": submit},
    )


@login_required
@GET_POST
def participant_add(request, pk):
    consultation = get_consultation_for_user(request.user, pk, write=True)
    form = ParticipantForm(_posted(request), term=consultation.activity.term)
    return _small_form(
        request,
        consultation,
        form,
        title=_("添加参加委员"),
        submit=_("添加"),
        save=lambda data: services.participant_add(
            consultation=consultation, by=request.user, **data
        ),
        done=_("已添加参加委员"),
    )


@login_required
@require_POST
def participant_remove(request, pk, member_pk):
    consultation = get_consultation_for_user(request.user, pk, write=True)
    member = get_object_or_404(
        Member.objects.select_related("person"), pk=member_pk, term_id=consultation.activity.term_id
    )
    try:
        removed = services.participant_remove(
            consultation=consultation, member=member, by=request.user
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        if removed:
            messages.success(request, _("已移除 %(name)s") % {"name": member.person.name})
    return redirect("consultations:detail", pk=pk)


@login_required
@GET_POST
def outsider_add(request, pk):
    consultation = get_consultation_for_user(request.user, pk, write=True)
    form = OutsideParticipantForm(_posted(request))
    return _small_form(
        request,
        consultation,
        form,
        title=_("添加其他参加人员"),
        submit=_("添加"),
        save=lambda data: services.outside_participant_add(
            consultation=consultation, by=request.user, **data
        ),
        done=_("已添加"),
    )


@login_required
@require_POST
def outsider_remove(request, pk):
    participant = get_object_or_404(OutsideParticipant, pk=pk)
    get_consultation_for_user(request.user, participant.consultation_id, write=True)
    services.outside_participant_remove(participant=participant, by=request.user)
    messages.success(request, _("已移除 %(name)s") % {"name": participant.name})
    return redirect("consultations:detail", pk=participant.consultation_id)


@login_required
@GET_POST
def suggestion_add(request, pk):
    consultation = get_consultation_for_user(request.user, pk, record=True)
    form = SuggestionForm(_posted(request), term=consultation.activity.term)
    return _small_form(
        request,
        consultation,
        form,
        title=_("添加意见建议"),
        submit=_("添加"),
        save=lambda data: services.suggestion_add(
            consultation=consultation, by=request.user, **data
        ),
        done=_("已添加意见建议"),
    )


@login_required
@GET_POST
def outcome_set(request, pk):
    consultation = get_consultation_for_user(request.user, pk, record=True)
    form = OutcomeForm(_posted(request), initial={"outcome": consultation.outcome})
    return _small_form(
        request,
        consultation,
        form,
        title=_("协商成果"),
        submit=_("保存"),
        save=lambda data: services.outcome_set(consultation=consultation, by=request.user, **data),
        done=_("已保存协商成果"),
    )


@login_required
@GET_POST
def followup_add(request, pk):
    consultation = get_consultation_for_user(request.user, pk, record=True)
    form = FollowUpForm(_posted(request))
    return _small_form(
        request,
        consultation,
        form,
        title=_("添加跟进记录"),
        submit=_("添加"),
        save=lambda data: services.followup_add(consultation=consultation, by=request.user, **data),
        done=_("已添加跟进记录"),
    )


@login_required
@require_POST
def consultation_solve(request, pk):
    consultation = get_consultation_for_user(request.user, pk, write=True)
    form = SolveForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        services.consultation_mark_solved(consultation=consultation, by=request.user, note=note)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("已标记为解决"))
    return redirect("consultations:detail", pk=pk)


@login_required
@require_safe
def online_list(request):
    page = Paginator(selectors.online_consultation_list(user=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "consultations/online_list.html",
        {
            "page": page,
            "now": timezone.now(),
            "can_create": managed_current_terms(request.user).exists(),
            "query": _query(request),
        },
    )


@login_required
@GET_POST
def online_create(request):
    term = _term_for_new(request)
    form = OnlineConsultationForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            online = services.online_consultation_create(
                term=term, by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            _refusal(form, error)
        else:
            messages.success(request, _("云协商已发布"))
            return redirect("consultations:online_detail", pk=online.pk)
    return render(
        request, "consultations/online_form.html", {"form": form, "term": term, "online": None}
    )


@login_required
@GET_POST
def online_edit(request, pk):
    online = get_online_consultation_for_user(request.user, pk, write=True)
    initial = {
        "topic": online.topic,
        "description": online.description,
        "opens_at": timezone.localtime(online.opens_at),
        "closes_at": timezone.localtime(online.closes_at),
    }
    form = OnlineConsultationForm(_posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.online_consultation_update(online=online, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            _refusal(form, error)
        else:
            messages.success(request, _("已保存"))
            return redirect("consultations:online_detail", pk=pk)
    return render(
        request,
        "consultations/online_form.html",
        {"form": form, "term": online.term, "online": online},
    )


def _seat_for(user, online):
    return Member.objects.filter(
        person__user=user, term_id=online.term_id, left_on__isnull=True
    ).first()


def _online_page(request, online, comment_form=None, status=200):
    manage = viewer_for(request.user).can_manage_body(online.body_id)
    seat = _seat_for(request.user, online)
    return render(
        request,
        "consultations/online_detail.html",
        {
            "online": online,
            "comments": selectors.online_comments_for(
                online=online, user=request.user, staff=manage
            ),
            "manage": manage,
            "seat": seat,
            "is_open": online.is_open(),
            "phase": online.phase(),
            "comment_form": comment_form or CommentForm(),
        },
        status=status,
    )


@login_required
@require_safe
def online_detail(request, pk):
    return _online_page(request, get_online_consultation_for_user(request.user, pk))


@login_required
@require_POST
def comment_post(request, pk):
    online = get_online_consultation_for_user(request.user, pk)
    seat = _seat_for(request.user, online)
    if seat is None:
        raise PermissionDenied
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            services.comment_post(online=online, member=seat, text=form.cleaned_data["text"])
        except ValidationError as error:
            _refusal(form, error)
        else:
            messages.success(request, _("意见已发表"))
            return redirect("consultations:online_detail", pk=pk)
    return _online_page(request, online, comment_form=form)


@login_required
@GET_POST
def comment_hide(request, pk):
    comment = get_online_comment_for_user(request.user, pk, write=True)
    form = HideForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        services.comment_hide(comment=comment, by=request.user, reason=form.cleaned_data["reason"])
        messages.success(request, _("已隐藏该意见"))
        return redirect("consultations:online_detail", pk=comment.online_consultation_id)
    return render(request, "consultations/comment_hide.html", {"comment": comment, "form": form})
