"""Reads of members that views, exports and tasks share."""

from django.db.models import F, Q, QuerySet

from members.models import Honour
from members.permissions import viewer_for
from sectors.models import Body, Term

FILTER_PARAMS = ("q", "term", "sector", "group", "committee", "standing", "status")


def _int_or_none(raw):
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None


def bodies_for_directory(user):
    """Bodies whose member list this user may open: office roles and own seats."""
    viewer = viewer_for(user)
    if viewer.is_admin:
        return Body.objects.all()
    return Body.objects.filter(
        pk__in=viewer.staff_body_ids | viewer.leadership_body_ids | viewer.seat_body_ids
    )


def term_for_listing(user, params) -> Term | None:
    """The term a list shows: ?term= when the user may see it, else the current
    term of ?body= or of the user's first body; None when there is nothing to show."""
    terms = Term.objects.filter(body__in=bodies_for_directory(user)).select_related("body")
    term_id = _int_or_none(params.get("term"))
    if term_id is not None:
        term = terms.filter(pk=term_id).first()
        if term is not None:
            return term
    current = terms.filter(is_current=True).order_by("body_id")
    body_id = _int_or_none(params.get("body"))
    if body_id is not None:
        term = current.filter(body_id=body_id).first()
        if term is not None:
            return term
    return current.first()


def member_filter(queryset, params):
    """Narrow an already scoped member queryset by the member list's query
    parameters: q (name, number or workplace), term, sector, group, committee
    (ids), standing (1/0) and status (current, the default; left; all).
    Malformed values are ignored rather than failing the page."""
    q = (params.get("q") or "").strip()
    if q:
        queryset = queryset.filter(
            Q(person__name__icontains=q)
            | Q(number__iexact=q)
            | Q(person__workplace__icontains=q)
            | Q(person__title__icontains=q)
        )
    for param, lookup in (
        ("term", "term_id"),
        ("sector", "sector_id"),
        ("group", "group_id"),
        ("committee", "committees"),
    ):
        value = _int_or_none(params.get(param))
        if value is not None:
            queryset = queryset.filter(**{lookup: value})
    standing = (params.get("standing") or "").strip()
    if standing == "1":
        queryset = queryset.filter(is_standing=True)
    elif standing == "0":
        queryset = queryset.filter(is_standing=False)
    status = (params.get("status") or "current").strip()
    if status == "left":
        queryset = queryset.filter(left_on__isnull=False)
    elif status != "all":
        queryset = queryset.filter(left_on__isnull=True)
    return queryset


def member_filter_description(params) -> str:
    """The filters in force, for the export log: "term=3;q=张"."""
    parts = [f"{name}={params.get(name)}" for name in FILTER_PARAMS if params.get(name)]
    return ";".join(parts)[:500]


def honours_for(*, members) -> QuerySet:
    """The honours of the members' persons, one row per member seat and honour
    (a person with seats in two bodies has each honour on both), annotated
    with `member_id`; one query."""
    member_ids = [getattr(m, "pk", m) for m in members]
    return (
        Honour.objects.filter(person__seats__in=member_ids)
        .annotate(member_id=F("person__seats"))
        .order_by("awarded_on", "id")
    )
