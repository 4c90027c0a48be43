"""Who may see and change activities: staff of the body; convenors for the
activities their group organises; members read the menu of their bodies."""

from django.core.exceptions import PermissionDenied
from django.http import Http404

from duties.models import Activity
from members.permissions import viewer_for


def activities_visible_to(user):
    """Activities this user may open: all of the office's bodies (drafts too);
    published ones of the bodies where the user sits."""
    viewer = viewer_for(user)
    if viewer.is_admin:
        return Activity.objects.all()
    office = viewer.staff_body_ids | viewer.leadership_body_ids
    qs = Activity.objects.filter(body_id__in=office)
    if viewer.seat_body_ids:
        qs = qs | Activity.objects.filter(body_id__in=viewer.seat_body_ids).published()
        if viewer.convened_group_ids:
            qs = qs | Activity.objects.filter(organiser_group_id__in=viewer.convened_group_ids)
    return qs


def can_manage_activity(user, activity: Activity) -> bool:
    viewer = viewer_for(user)
    return viewer.can_manage_body(activity.body_id) or (
        activity.organiser == Activity.Organiser.GROUP
        and activity.organiser_group_id in viewer.convened_group_ids
    )


def can_publish_activities(user) -> bool:
    """Staff of any body, or a convenor (for their group's activities)."""
    viewer = viewer_for(user)
    return viewer.is_staff_anywhere or viewer.is_convenor


def get_activity_for_user(user, pk, *, write: bool = False) -> Activity:
    """The activity if the user may see it (else 404); with write, only for
    those who manage it (else 403)."""
    activity = (
        activities_visible_to(user)
        .select_related(
            "kind", "venue_home", "term__body", "organiser_group", "organiser_committee"
        )
        .filter(pk=pk)
        .first()
    )
    if activity is None:
        raise Http404
    if write and not can_manage_activity(user, activity):
        raise PermissionDenied
    return activity
