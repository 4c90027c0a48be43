"""Who may see and change consultations. Staff of the body manage everything;
the member convenor of a session records its suggestions, outcome and
follow-up; the body's members and leadership read; outsiders get 404."""

from django.core.exceptions import PermissionDenied
from django.http import Http404

from consultations.models import Consultation, OnlineComment, OnlineConsultation
from members.permissions import Viewer, viewer_for


def _readable_body_ids(viewer: Viewer) -> frozenset:
    return viewer.staff_body_ids | viewer.leadership_body_ids | viewer.seat_body_ids


def consultations_visible_to(user):
    viewer = viewer_for(user)
    if viewer.is_admin:
        return Consultation.objects.all()
    return Consultation.objects.filter(activity__body_id__in=_readable_body_ids(viewer))


def online_consultations_visible_to(user):
    viewer = viewer_for(user)
    if viewer.is_admin:
        return OnlineConsultation.objects.all()
    return OnlineConsultation.objects.filter(body_id__in=_readable_body_ids(viewer))


def can_manage_consultation(user, consultation: Consultation) -> bool:
    return viewer_for(user).can_manage_body(consultation.activity.body_id)


def can_record_consultation(user, consultation: Consultation) -> bool:
    """Suggestions, outcome and follow-up: staff, and the session's member convenor."""
    return (
        can_manage_consultation(user, consultation)
        or consultation.member_convenor_id in viewer_for(user).own_member_ids
    )


def get_consultation_for_user(user, pk, *, write: bool = False, record: bool = False):
    """The session if the user may see it (else 404). write: staff of the body
    only; record: staff or the member convenor (else 403)."""
    consultation = (
        consultations_visible_to(user)
        .select_related(
            "activity__venue_home", "activity__body", "activity__term", "member_convenor__person"
        )
        .filter(pk=pk)
        .first()
    )
    if consultation is None:
        raise Http404
    if write and not can_manage_consultation(user, consultation):
        raise PermissionDenied
    if record and not can_record_consultation(user, consultation):
        raise PermissionDenied
    return consultation


def get_online_consultation_for_user(user, pk, *, write: bool = False) -> OnlineConsultation:
    online = (
        online_consultations_visible_to(user).select_related("body", "term").filter(pk=pk).first()
    )
    if online is None:
        raise Http404
    if write and not viewer_for(user).can_manage_body(online.body_id):
        raise PermissionDenied
    return online


def get_online_comment_for_user(user, pk, *, write: bool = False) -> OnlineComment:
    """A comment under an online consultation the user may see; write (moderation)
    for the body's staff only."""
    comment = (
        OnlineComment.objects.filter(online_consultation__in=online_consultations_visible_to(user))
        .select_related("online_consultation", "member__person")
        .filter(pk=pk)
        .first()
    )
    if comment is None:
        raise Http404
    if write and not viewer_for(user).can_manage_body(comment.online_consultation.body_id):
        raise PermissionDenied
    return comment


def managed_current_terms(user):
    """Current terms of the bodies where this user may start consultations."""
    from sectors.models import Term

    viewer = viewer_for(user)
    terms = Term.objects.filter(is_current=True).select_related("body").order_by("body_id")
    return terms if viewer.is_admin else terms.filter(body_id__in=viewer.staff_body_ids)
