"""Who reads which summary: the body's staff and leadership, the staff and
leadership of a body above it, administrators (permission `summaries.view`);
a group's convenor or liaison reads that group's page only. Members and
everyone else get 403; a body or group the reader has no part in is 404."""

from django.core.exceptions import PermissionDenied
from django.http import Http404

from members.permissions import Viewer, viewer_for
from sectors.models import Body, Sector, SectorGroup
from summaries import selectors

PERMISSION = "summaries.view"


def summary_reader(user) -> Viewer:
    """The viewer if they read some summary (office roles, convenors), else 403."""
    viewer = viewer_for(user)
    if not (viewer.has_permission(PERMISSION) or viewer.is_convenor):
        raise PermissionDenied
    return viewer


def get_body_for_summary(user, pk) -> Body:
    viewer = viewer_for(user)
    if not viewer.has_permission(PERMISSION):
        raise PermissionDenied
    body = selectors.summary_bodies(viewer).filter(pk=pk).first()
    if body is None:
        raise Http404
    return body


def get_sector_for_summary(user, body_pk, pk) -> tuple[Body, Sector]:
    body = get_body_for_summary(user, body_pk)
    sector = Sector.objects.filter(pk=pk, term__body=body).first()
    if sector is None:
        raise Http404
    return body, sector


def get_group_for_summary(user, body_pk, pk) -> tuple[Body, SectorGroup]:
    """The body's group: for those who read the body, and for the group's own
    convenor or liaison."""
    viewer = viewer_for(user)
    if viewer.has_permission(PERMISSION):
        body = get_body_for_summary(user, body_pk)
    elif int(pk) in viewer.convened_group_ids:
        body = Body.objects.filter(pk=body_pk).first()
    else:
        raise PermissionDenied
    group = SectorGroup.objects.filter(pk=pk, term__body=body).first() if body else None
    if group is None:
        raise Http404
    return body, group
