"""Who may see and change social-information reports.

- the author: the member who wrote it, or, for a group's report, the group's
  convenor and liaison, and whoever entered it; they see it in every status,
  edit the draft, submit and withdraw it;
- staff of the body: every report that has left the draft, and they handle it;
- leadership of the body: read only (403 on writes);
- other members, other bodies, anonymous: 404.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404

from members.permissions import Viewer, viewer_for
from reports.models import ReportAttachment, SocialInfoReport


def _own(viewer: Viewer) -> Q:
    return (
        Q(author_member_id__in=viewer.own_member_ids)
        | Q(author_group_id__in=viewer.convened_group_ids)
        | Q(created_by_id=viewer.user_id)
    )


def reports_visible_to(user):
    viewer = viewer_for(user)
    if viewer.user_id is None:
        return SocialInfoReport.objects.none()
    if viewer.is_admin:
        return SocialInfoReport.objects.filter(
            ~Q(status=SocialInfoReport.Status.DRAFT) | _own(viewer)
        )
    office = Q(body_id__in=viewer.staff_body_ids | viewer.leadership_body_ids) & ~Q(
        status=SocialInfoReport.Status.DRAFT
    )
    return SocialInfoReport.objects.filter(office | _own(viewer))


def own_reports(user):
    """The reports this user writes: their own, their group's, those they entered."""
    viewer = viewer_for(user)
    if viewer.user_id is None:
        return SocialInfoReport.objects.none()
    return SocialInfoReport.objects.filter(_own(viewer))


def is_author(user, report: SocialInfoReport) -> bool:
    viewer = viewer_for(user)
    return (
        report.author_member_id in viewer.own_member_ids
        or report.author_group_id in viewer.convened_group_ids
        or report.created_by_id == viewer.user_id
    )


def can_handle(user, report: SocialInfoReport) -> bool:
    """Staff of the report's body accept, edit into the bulletin and record what followed."""
    return viewer_for(user).can_manage_body(report.body_id)


def get_report_for_user(user, pk, *, write: bool = False, own: bool = False) -> SocialInfoReport:
    """The report if the user may see it (else 404). write: the body's staff
    (else 403); own: its author (else 403)."""
    report = (
        reports_visible_to(user)
        .select_related(
            "body",
            "term",
            "author_member__person",
            "author_member__sector",
            "author_group",
            "from_proposal",
        )
        .filter(pk=pk)
        .first()
    )
    if report is None:
        raise Http404
    if write and not can_handle(user, report):
        raise PermissionDenied
    if own and not is_author(user, report):
        raise PermissionDenied
    return report


def get_attachment_for_user(user, pk) -> ReportAttachment:
    attachment = (
        ReportAttachment.objects.filter(report__in=reports_visible_to(user)).filter(pk=pk).first()
    )
    if attachment is None:
        raise Http404
    return attachment


def handled_body_ids(user) -> set:
    """Bodies whose reports this user handles (staff; admins: every body)."""
    from members.permissions import managed_body_ids

    return managed_body_ids(user)


def read_body_ids(user) -> set:
    """Bodies whose reports, bulletins and counts this user reads as an office role."""
    from members.permissions import readable_body_ids

    return readable_body_ids(user)
