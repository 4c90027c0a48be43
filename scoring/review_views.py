"""Pages of the quarterly review (季度通报): the review table of a period for
its body's staff (leadership reads), a staff adjustment, publishing,
finalising and reopening; a score's receipt for staff and for its member
once published, with a dispute per line while the window is open; a
member's own periods. The work is scoring.review's; the reads are
scoring.selectors'."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from duties import disputes
from duties.models import Dispute
from duties.record_forms import DisputeForm
from members.forms import errors_to_form, refusal_messages
from members.permissions import viewer_for
from scoring import review, selectors
from scoring.models import ScorePeriod
from scoring.review_forms import AdjustForm, ReopenForm, ReviewFilterForm

# Form pages: shown on GET (and HEAD), saved on POST; any other method is refused.
GET_POST = require_http_methods(["GET", "HEAD", "POST"])

S = ScorePeriod.Status
PAGE_SIZE = 50


# The review table ---------------------------------------------------------------


@login_required
@require_safe
def period_detail(request, pk):
    period = selectors.get_period_for_user(request.user, pk)
    viewer = viewer_for(request.user)
    parsed = period.rulebook.parsed() if period.rulebook else None
    form = ReviewFilterForm(
        request.GET or None,
        term_id=period.rulebook.term_id if period.rulebook else None,
        grades=[band.name for band in parsed.grades] if parsed else (),
    )
    previous = selectors.previous_period(period)
    scores = selectors.review_scores(period, previous=previous, filters=form.filters())
    page = Paginator(scores, PAGE_SIZE).get_page(request.GET.get("page"))
    columns = selectors.top_categories(period)
    rows = []
    for score in page.object_list:
        totals = selectors.category_totals(score)
        rows.append((score, [totals.get(c.code) for c in columns]))
    versions = list(selectors.period_versions(period))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "scoring/review/period.html",
        {
            "period": period,
            "title": review.period_title(period),
            "form": form,
            "page": page,
            "rows": rows,
            "columns": columns,
            "previous": previous,
            "counts": selectors.review_counts(period),
            "versions": versions,
            "is_latest": versions[-1].pk == period.pk,
            "can_manage": viewer.can_manage_body(period.body_id),
            "window_open": review.dispute_window_open(period),
            "waiting": review.disputes_of_period(period).filter(status=Dispute.Status.OPEN).count(),
            "query": query.urlencode(),
        },
    )


def _back_to(period_pk):
    return redirect("scoring:period_detail", pk=period_pk)


@login_required
@require_POST
def period_publish(request, pk):
    period = selectors.get_period_for_user(request.user, pk, write=True)
    was = period.status
    try:
        period = review.period_publish(period=period, by=request.user)
    except ValidationError as error:
        refusal_messages(request, error)
    else:
        if was == S.PUBLISHED:
            messages.info(request, _("已经发布"))
        else:
            messages.success(
                request,
                _("已发布并通知委员;异议截止于 %(date)s")
                % {"date": review.local_text(period.disputes_close_at)},
            )
    return _back_to(pk)


@login_required
@require_POST
def period_finalise(request, pk):
    period = selectors.get_period_for_user(request.user, pk, write=True)
    was = period.status
    try:
        review.period_finalise(period=period, by=request.user)
    except ValidationError as error:
        refusal_messages(request, error)
    else:
        if was == S.FINAL:
            messages.info(request, _("已经定稿"))
        else:
            messages.success(request, _("已定稿,本期得分不再变动"))
    return _back_to(pk)


@login_required
@GET_POST
def period_reopen(request, pk):
    period = selectors.get_period_for_user(request.user, pk, write=True)
    form = ReopenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            new = review.period_reopen(
                period=period, reason=form.cleaned_data["reason"], by=request.user
            )
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            messages.success(
                request,
                _("已重新打开为第 %(v)s 版并发布;第 %(old)s 版原样保留")
                % {"v": new.version, "old": period.version},
            )
            return _back_to(new.pk)
    return render(
        request,
        "scoring/review/reopen.html",
        {"period": period, "title": review.period_title(period), "form": form},
    )


# Adjustments ----------------------------------------------------------------------


@login_required
@GET_POST
def score_adjust(request, pk):
    score = selectors.get_score_for_user(request.user, pk, write=True)
    form = AdjustForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            review.score_adjust(
                score=score,
                points=form.cleaned_data["points"],
                reason=form.cleaned_data["reason"],
                by=request.user,
            )
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            messages.success(
                request, _("已调整 %(name)s 的得分") % {"name": score.member.person.name}
            )
            return redirect("scoring:score_receipt", pk=score.pk)
    return render(
        request,
        "scoring/review/adjust.html",
        {
            "score": score,
            "title": review.period_title(score.period),
            "form": form,
            "adjustments": score.lines.filter(is_adjustment=True).select_related(
                "adjusted_by__person"
            ),
        },
    )


# The receipt ------------------------------------------------------------------------


@login_required
@require_safe
def score_receipt(request, pk):
    score = selectors.get_score_for_user(request.user, pk)
    viewer = viewer_for(request.user)
    staff = viewer.can_read_body(score.period.body_id)
    is_own = score.member_id in viewer.own_member_ids
    versions = list(selectors.period_versions(score.period))
    return render(
        request,
        "scoring/review/receipt.html",
        {
            "score": score,
            "period": score.period,
            "title": review.period_title(score.period),
            "receipt": selectors.receipt_view(score, staff=staff),
            "can_manage": viewer.can_manage_body(score.period.body_id),
            "staff_view": staff,
            "can_dispute": is_own and review.dispute_window_open(score.period),
            "is_latest": versions[-1].pk == score.period_id,
            "versions": versions if len(versions) > 1 else [],
        },
    )


@login_required
@GET_POST
def line_dispute(request, pk):
    line = selectors.get_line_for_member(request.user, pk)
    score = line.score
    back = reverse("scoring:score_receipt", args=[score.pk]) + f"#line-{line.pk}"
    form = DisputeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        already = (
            Dispute.objects.filter(
                content_type__app_label="scoring",
                content_type__model="scoreline",
                object_id=line.pk,
                status=Dispute.Status.OPEN,
            )
            .only("pk")
            .first()
        )
        try:
            dispute = disputes.dispute_open(
                member=score.member,
                record=line,
                reason=form.cleaned_data["reason"],
                by=request.user,
            )
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            if already is not None and already.pk == dispute.pk:
                messages.info(request, _("此明细已有待处理的异议"))
            else:
                messages.success(request, _("异议已提交,工作人员将核对处理"))
            return redirect(back)
    return render(
        request,
        "duties/dispute_form.html",
        {"form": form, "summary": review.line_summary(line), "member": score.member, "back": back},
    )


# A member's own ------------------------------------------------------------------------


@login_required
@require_safe
def my_scores(request):
    viewer = viewer_for(request.user)
    if not viewer.own_member_ids:
        raise PermissionDenied
    scores = list(selectors.my_scores(viewer))
    for score in scores:
        score.title = review.period_title(score.period)
        score.window_open = review.dispute_window_open(score.period)
    return render(request, "scoring/review/mine.html", {"scores": scores})


@login_required
@require_safe
def period_mine(request, pk):
    """Where a notice of a period sends each member: their own receipt."""
    viewer = viewer_for(request.user)
    period = ScorePeriod.objects.filter(pk=pk, status__in=selectors.SHOWN_TO_MEMBERS).first()
    score = selectors.my_score_in(viewer, period) if period is not None else None
    if score is None:
        raise Http404
    return redirect("scoring:score_receipt", pk=score.pk)
