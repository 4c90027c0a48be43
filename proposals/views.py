"""Drafting, joint signing, review, the timeline, the lists, the export and the
statistics of proposals. Views check who may act (404 for what the user may
not see, 403 for what they may see but not do) and hand the work to
proposals.services; the services decide what the lifecycle allows."""

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
from members.forms import errors_to_form, refusal_messages
from members.permissions import readable_body_ids, require_permission, viewer_for
from members.services import export_log_record
from proposals import selectors
from proposals.forms import (
    AnswerForm,
    ConvertForm,
    FlagForm,
    InviteForm,
    MergeForm,
    NoteForm,
    ProposalCreateForm,
    ProposalEditForm,
    ProposalFilterForm,
    RejectForm,
    TopicForm,
    proposer_options,
)
from proposals.models import Proposal, ProposalAttachment, Proposer, Topic
from proposals.permissions import (
    can_review,
    get_proposal_for_user,
    proposals_visible_to,
    require_review,
)
from proposals.services import drafting, review
from proposals.states import VERB_LABELS
from sectors.models import PlenarySession
from summaries.exports import proposal_sheet
from summaries.xlsx import xlsx_response

# Form pages: shown on GET (and HEAD), saved on POST; any other method is refused.
GET_POST = require_http_methods(["GET", "HEAD", "POST"])

S = Proposal.Status
PAGE_SIZE = 20
HANDLING_STATES = (S.ACCEPTED, S.ROUTED, S.REPLIED, S.REHANDLING, S.CLOSED)


def _page(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def _query_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def is_owner(user, proposal: Proposal) -> bool:
    """The first proposer, or whoever entered a group's or a party's proposal."""
    if proposal.created_by_id == user.pk:
        return True
    return proposal.proposers.filter(role=Proposer.Role.FIRST, member__person__user=user).exists()


def _owned_proposal(user, pk) -> Proposal:
    proposal = get_proposal_for_user(user, pk)
    if not is_owner(user, proposal):
        raise PermissionDenied
    return proposal


def _reviewed_proposal(user, pk) -> Proposal:
    proposal = get_proposal_for_user(user, pk)
    require_review(user, proposal)
    return proposal


# Member pages ------------------------------------------------------------------


@login_required
@require_safe
def mine(request):
    """My proposals (first or co-proposer, or entered by me) and invitations
    waiting for my answer."""
    page = _page(request, selectors.proposals_mine(request.user))
    invitations = list(selectors.invitations_awaiting(request.user))
    return render(
        request,
        "proposals/mine.html",
        {
            "page": page,
            "invitations": invitations,
            "can_draft": bool(proposer_options(request.user)[1]),
        },
    )


@login_required
@GET_POST
def proposal_create(request):
    form = ProposalCreateForm(request.POST or None, request.FILES or None, user=request.user)
    if not form.options:
        raise PermissionDenied
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            proposal = drafting.proposal_draft_create(
                session=data["session"],
                by=request.user,
                title=data["title"],
                category=data["category"],
                content=data["content"],
                kind=data["kind"],
                member=data["member"],
                group=data["group"],
                party=data["party"],
                suggested_units=data["suggested_units"],
                attachments=data["attachments"],
                topic=data["topic"],
            )
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            messages.success(request, _("草稿已保存。可邀请联名提案人,或直接提交"))
            return redirect("proposals:detail", pk=proposal.pk)
    return render(request, "proposals/proposal_form.html", {"form": form, "proposal": None})


@login_required
@GET_POST
def proposal_edit(request, pk):
    proposal = _owned_proposal(request.user, pk)
    if proposal.status != S.DRAFT:
        messages.error(request, _("只有草稿可以修改"))
        return redirect("proposals:detail", pk=pk)
    form = ProposalEditForm(request.POST or None, request.FILES or None, proposal=proposal)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            drafting.proposal_update(
                proposal=proposal,
                by=request.user,
                title=data["title"],
                category=data["category"],
                content=data["content"],
                suggested_units=data["suggested_units"],
                attachments=data["attachments"],
                remove_attachments=data.get("remove") or [],
            )
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            messages.success(request, _("已保存"))
            return redirect("proposals:detail", pk=pk)
    return render(request, "proposals/proposal_form.html", {"form": form, "proposal": proposal})


def _labelled(events) -> list:
    labels = dict(S.choices)
    events = list(events)
    for event in events:
        event.verb_label = VERB_LABELS.get(event.verb) or labels.get(event.to_status) or event.verb
        event.from_label = labels.get(event.from_status, "")
        event.to_label = labels.get(event.to_status, "")
    return events


@login_required
@require_safe
def proposal_detail(request, pk):
    proposal = get_proposal_for_user(request.user, pk)
    owner = is_owner(request.user, proposal)
    reviewer = can_review(request.user, proposal)
    own_rows = proposal.proposers.select_related("member__person", "member__group")
    if not (owner or reviewer):
        own_rows = own_rows.exclude(status__in=(Proposer.Status.DECLINED, Proposer.Status.EXPIRED))
    my_invitation = (
        proposal.proposers.filter(member__person__user=request.user, status=Proposer.Status.INVITED)
        .select_related("member")
        .first()
        if proposal.status == S.INVITING
        else None
    )
    merged_from = proposal.merged_from.all().order_by("pk")
    merged_proposers = (
        selectors.proposer_rows_of(proposal).exclude(proposal=proposal) if merged_from else []
    )
    return render(
        request,
        "proposals/proposal_detail.html",
        {
            "proposal": proposal,
            "proposers": list(own_rows),
            "merged_from": list(merged_from),
            "merged_proposers": list(merged_proposers),
            "attachments": list(proposal.attachments.all()),
            "suggested_units": list(proposal.suggested_units.all()),
            "events": _labelled(selectors.timeline(proposal)),
            "is_owner": owner,
            "can_review": reviewer,
            "my_invitation": my_invitation,
            "answer_open": my_invitation is not None
            and (proposal.cosign_deadline is None or proposal.cosign_deadline > timezone.now()),
            "show_handling": proposal.status in HANDLING_STATES,
        },
    )


@login_required
@require_safe
def attachment(request, pk):
    """Attachments are served only through here, to those who may see the proposal."""
    item = ProposalAttachment.objects.filter(pk=pk).select_related("proposal").first()
    if item is None or not proposals_visible_to(request.user).filter(pk=item.proposal_id).exists():
        raise Http404
    try:
        handle = item.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return uploads.private_file_response(handle, content_type=item.content_type, filename=item.name)


@login_required
@GET_POST
def invite(request, pk):
    proposal = _owned_proposal(request.user, pk)
    form = InviteForm(request.POST or None, proposal=proposal)
    if request.method == "POST" and form.is_valid():
        try:
            new = drafting.cosigner_invite(
                proposal=proposal,
                members=form.cleaned_data["members"],
                by=request.user,
                deadline=form.cleaned_data["deadline"],
            )
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            messages.success(request, _("已邀请 %(n)d 位委员联名,等待其确认") % {"n": len(new)})
            return redirect("proposals:detail", pk=pk)
    return render(request, "proposals/invite_form.html", {"form": form, "proposal": proposal})


@login_required
@require_POST
def answer(request, pk):
    proposal = get_proposal_for_user(request.user, pk)
    row = proposal.proposers.filter(
        member__person__user=request.user, role=Proposer.Role.CO
    ).first()
    if row is None:
        raise PermissionDenied
    form = AnswerForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择确认或谢绝"))
        return redirect("proposals:detail", pk=pk)
    confirm = form.cleaned_data["decision"] == "confirm"
    try:
        drafting.cosigner_answer(proposer=row, by=request.user, confirm=confirm)
    except ValidationError as error:
        refusal_messages(request, error)
    else:
        messages.success(request, _("已确认联名") if confirm else _("已谢绝联名"))
    return redirect("proposals:detail", pk=pk)


@login_required
@require_POST
def submit(request, pk):
    proposal = _owned_proposal(request.user, pk)
    try:
        drafting.proposal_submit(proposal=proposal, by=request.user)
    except ValidationError as error:
        refusal_messages(request, error)
    else:
        messages.success(request, _("提案已提交,等待提案委员会审查"))
    return redirect("proposals:detail", pk=pk)


@login_required
@require_POST
def withdraw(request, pk):
    proposal = _owned_proposal(request.user, pk)
    try:
        drafting.proposal_withdraw(proposal=proposal, by=request.user)
    except ValidationError as error:
        refusal_messages(request, error)
    else:
        messages.success(request, _("提案已撤回"))
    return redirect("proposals:detail", pk=pk)


# Topics -----------------------------------------------------------------------------


def _topics_visible_to(user):
    viewer = viewer_for(user)
    topics = Topic.objects.select_related("session__term__body", "member__person", "group")
    if viewer.is_admin:
        return topics
    bodies = viewer.seat_body_ids | viewer.staff_body_ids | viewer.leadership_body_ids
    return topics.filter(session__term__body_id__in=bodies)


@login_required
@require_safe
def topics(request):
    page = _page(request, _topics_visible_to(request.user).order_by("-created_at", "-id"))
    return render(
        request,
        "proposals/topics.html",
        {"page": page, "can_register": bool(proposer_options(request.user)[1])},
    )


@login_required
@GET_POST
def topic_create(request):
    form = TopicForm(request.POST or None, user=request.user)
    if not form.options:
        raise PermissionDenied
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            drafting.topic_register(
                session=data["session"],
                by=request.user,
                title=data["title"],
                category=data["category"],
                description=data["description"],
                member=data["member"],
                group=data["group"],
            )
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            messages.success(request, _("选题已登记"))
            return redirect("proposals:topics")
    return render(request, "proposals/topic_form.html", {"form": form})


@login_required
@require_POST
def topic_withdraw(request, pk):
    topic = _topics_visible_to(request.user).filter(pk=pk).first()
    if topic is None:
        raise Http404
    if topic.created_by_id != request.user.pk:
        raise PermissionDenied
    try:
        drafting.topic_withdraw(topic=topic, by=request.user)
    except ValidationError as error:
        refusal_messages(request, error)
    else:
        messages.success(request, _("选题已撤回"))
    return redirect("proposals:topics")


# Review -------------------------------------------------------------------------------


@login_required
@require_safe
def review_queue(request):
    if not viewer_for(request.user).is_staff_anywhere:
        raise PermissionDenied
    page = _page(request, selectors.review_queue(request.user))
    return render(request, "proposals/review_queue.html", {"page": page})


@login_required
@require_POST
def accept(request, pk):
    proposal = _reviewed_proposal(request.user, pk)
    form = NoteForm(request.POST)
    form.is_valid()
    try:
        proposal = review.proposal_accept(
            proposal=proposal, by=request.user, note=form.cleaned_data.get("note", "")
        )
    except ValidationError as error:
        refusal_messages(request, error)
    else:
        messages.success(request, _("已立案,案号%(label)s") % {"label": proposal.number_label})
    if request.POST.get("next") == "queue":
        return redirect("proposals:review_queue")
    return redirect("proposals:detail", pk=pk)


def _decision_page(request, proposal, form, title, action):
    return render(
        request,
        "proposals/decision_form.html",
        {"proposal": proposal, "form": form, "title": title, "action": action},
    )


@login_required
@GET_POST
def reject(request, pk):
    proposal = _reviewed_proposal(request.user, pk)
    form = RejectForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            review.proposal_reject(
                proposal=proposal, by=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            messages.success(request, _("已作不立案处理,已通知提案人"))
            return redirect("proposals:detail", pk=pk)
    return _decision_page(request, proposal, form, _("不立案"), "proposals:reject")


@login_required
@GET_POST
def merge(request, pk):
    proposal = _reviewed_proposal(request.user, pk)
    form = MergeForm(request.POST or None, proposal=proposal)
    if request.method == "POST" and form.is_valid():
        try:
            review.proposal_merge(
                proposal=proposal,
                into=form.cleaned_data["into"],
                by=request.user,
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            messages.success(request, _("已并案"))
            return redirect("proposals:detail", pk=pk)
    return _decision_page(request, proposal, form, _("并案"), "proposals:merge")


@login_required
@GET_POST
def convert(request, pk):
    proposal = _reviewed_proposal(request.user, pk)
    form = ConvertForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            review.proposal_convert(
                proposal=proposal,
                to=form.cleaned_data["to"],
                by=request.user,
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            messages.success(request, _("已转办"))
            return redirect("proposals:detail", pk=pk)
    return _decision_page(request, proposal, form, _("转为其他形式"), "proposals:convert")


@login_required
@GET_POST
def flag(request, pk):
    proposal = _reviewed_proposal(request.user, pk)
    form = FlagForm(
        request.POST or None,
        initial={
            "is_key": proposal.is_key,
            "key_leader": proposal.key_leader,
            "is_excellent": proposal.is_excellent,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            review.proposal_flag_key(
                proposal=proposal, by=request.user, is_key=data["is_key"], leader=data["key_leader"]
            )
            review.proposal_flag_excellent(
                proposal=proposal, by=request.user, is_excellent=data["is_excellent"]
            )
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            messages.success(request, _("已保存标记"))
            return redirect("proposals:detail", pk=pk)
    return _decision_page(request, proposal, form, _("重点/优秀提案"), "proposals:flag")


# Lists, export, statistics ------------------------------------------------------------


def _list_filters(request):
    viewer = viewer_for(request.user)
    body_ids = set(viewer.seat_body_ids | viewer.staff_body_ids | viewer.leadership_body_ids)
    if viewer.is_admin:
        body_ids = readable_body_ids(request.user)
    form = ProposalFilterForm(request.GET or None, body_ids=body_ids)
    return form, form.filters()


@login_required
@require_safe
def proposal_list(request):
    form, filters = _list_filters(request)
    page = _page(request, selectors.proposals_listed(request.user, **filters))
    viewer = viewer_for(request.user)
    return render(
        request,
        "proposals/proposal_list.html",
        {
            "page": page,
            "form": form,
            "query": _query_without_page(request),
            "can_export": viewer.is_admin or viewer.is_staff_anywhere or viewer.is_leadership,
        },
    )


@login_required
@require_safe
def export(request):
    # The columns live with the other exports (summaries.exports.proposal_sheet).
    require_permission(request.user, "summaries.export_proposals")
    _form, filters = _list_filters(request)
    rows = selectors.proposals_listed(request.user, **filters)
    spec = proposal_sheet(queryset=rows, title=_("提案一览"))
    response = xlsx_response(filename="提案一览.xlsx", sheets=[spec])
    export_log_record(
        user=request.user, what="提案一览", rows=spec.written, filters=request.GET.urlencode()
    )
    return response


@login_required
@require_safe
def stats(request):
    """Statistics of one session, for the body's staff and leadership."""
    body_ids = readable_body_ids(request.user)
    if not body_ids:
        raise PermissionDenied
    sessions = (
        PlenarySession.objects.filter(term__body_id__in=body_ids)
        .select_related("term__body")
        .order_by("-year", "-number")
    )
    wanted = request.GET.get("session")
    session = (
        sessions.filter(pk=wanted).first() if wanted and wanted.isdigit() else sessions.first()
    )
    if wanted and session is None:
        raise Http404
    return render(
        request,
        "proposals/stats.html",
        {
            "sessions": sessions,
            "session": session,
            "stats": selectors.session_stats(session) if session else None,
        },
    )
