"""Reads for the consultation pages: lists filtered and counted in a fixed
number of queries, and the members a session's forms offer."""

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import ExtractYear

from consultations.models import Consultation
from consultations.permissions import consultations_visible_to, online_consultations_visible_to
from duties.models import Participation
from members.models import Member


def consultation_list(*, user, status: str = "", year: int | None = None) -> QuerySet:
    qs = consultations_visible_to(user).for_listing()
    if status in Consultation.Status.values:
        qs = qs.filter(status=status)
    if year:
        qs = qs.in_year(year)
    return qs.annotate(
        suggestion_count=Count("suggestions", distinct=True),
        followup_count=Count("followups", distinct=True),
    ).order_by("-activity__starts_at", "-id")


def consultation_years(*, user) -> list[int]:
    return sorted(
        {
            y
            for y in consultations_visible_to(user)
            .annotate(y=ExtractYear("activity__starts_at"))
            .values_list("y", flat=True)
        },
        reverse=True,
    )


def consultation_participations(*, consultation: Consultation) -> list[Participation]:
    """The members on the session's list, convenor first, then speakers."""
    order = {
        Participation.Role.CONVENOR: 0,
        Participation.Role.SPEAKER: 1,
        Participation.Role.PARTICIPANT: 2,
    }
    rows = list(
        Participation.objects.on_list()
        .filter(activity_id=consultation.activity_id)
        .select_related("member__person", "member__sector")
    )
    rows.sort(key=lambda p: (order.get(p.role, 3), p.member.number))
    return rows


def online_consultation_list(*, user) -> QuerySet:
    return (
        online_consultations_visible_to(user)
        .select_related("body")
        .annotate(
            comment_count=Count("comments", filter=Q(comments__hidden=False)),
        )
        .order_by("-opens_at", "-id")
    )


def online_comments_for(*, online, user, staff: bool) -> QuerySet:
    """Staff moderate, so they see hidden comments too; a member sees their own
    hidden comments (with the reason), nobody else's."""
    from members.permissions import viewer_for

    comments = online.comments.select_related("member__person", "member__sector")
    if staff:
        return comments
    return comments.filter(Q(hidden=False) | Q(member_id__in=viewer_for(user).own_member_ids))


def current_members(*, term) -> QuerySet:
    return (
        Member.objects.filter(term=term, left_on__isnull=True)
        .select_related("person")
        .order_by("number")
    )
