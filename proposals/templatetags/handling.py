"""The handling panel of the proposal page: routings, progress, replies and
ratings, and the actions the current user may take. Computed here so the
detail view needs nothing but `proposal` in its context (and `request`)."""

from django import template
from django.utils import timezone

from proposals.models import Proposal, Rating, Routing
from proposals.permissions import can_review, units_of
from proposals.services import handling
from proposals.unit_forms import RatingForm

register = template.Library()

S = Proposal.Status
RS = Routing.Status


@register.inclusion_tag("proposals/handling_panel.html", takes_context=True)
def handling_panel(context, proposal: Proposal):
    user = context["request"].user
    routings = list(
        proposal.routings.select_related("unit").prefetch_related("replies", "progress")
    )
    ratings = list(proposal.ratings.all())
    round_ = (
        2
        if any(r.round == 1 and r.satisfaction == Rating.Satisfaction.UNSATISFIED for r in ratings)
        else 1
    )
    rated_now = any(r.round == round_ for r in ratings)
    reviewer = can_review(user, proposal)
    mine = units_of(user)
    today = timezone.localdate()
    for routing in routings:
        routing.is_mine = routing.unit_id in mine and routing.status != RS.WITHDRAWN
        routing.is_late = routing.status in handling.AWAITING and routing.deadline < today
        routing.can_reassign = (
            reviewer and routing.status in (RS.ROUTED, RS.OBJECTED) and proposal.status == S.ROUTED
        )
    rater = proposal.status == S.REPLIED and not rated_now and handling.is_rater(user, proposal)
    return {
        "proposal": proposal,
        "routings": [r for r in routings if reviewer or r.status != RS.WITHDRAWN],
        "ratings": ratings,
        "round": round_,
        "can_route": reviewer and proposal.status == S.ACCEPTED,
        "can_close": reviewer and proposal.status == S.REPLIED and (round_ == 2 or rated_now),
        "waiting_rating": reviewer
        and proposal.status == S.REPLIED
        and round_ == 1
        and not rated_now,
        "can_rate": rater,
        "rating_form": RatingForm() if rater else None,
        "rehandling_left": round_ == 1,
        "csrf_token": context.get("csrf_token"),
    }
