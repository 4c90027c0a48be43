"""Who may see and change what: the one place the roles are read.

Every view, export and task asks these helpers; none filters on roles itself.
Outsiders get 404 (they learn nothing about what exists), read-only roles 403
on writes.
"""

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.http import Http404


@dataclass(frozen=True)
class Viewer:
    user_id: int | None = None
    is_admin: bool = False
    staff_body_ids: frozenset = field(default_factory=frozenset)
    leadership_body_ids: frozenset = field(default_factory=frozenset)
    seat_body_ids: frozenset = field(
        default_factory=frozenset
    )  # bodies where the user holds a current seat
    own_group_ids: frozenset = field(
        default_factory=frozenset
    )  # groups of the user's current seats
    convened_group_ids: frozenset = field(
        default_factory=frozenset
    )  # groups the user convenes or liaises
    own_member_ids: frozenset = field(default_factory=frozenset)
    person_id: int | None = None

    @property
    def is_staff_anywhere(self) -> bool:
        return self.is_admin or bool(self.staff_body_ids)

    @property
    def is_leadership(self) -> bool:
        return bool(self.leadership_body_ids)

    @property
    def is_convenor(self) -> bool:
        return bool(self.convened_group_ids)

    @property
    def is_member(self) -> bool:
        return bool(self.own_member_ids)

    def can_manage_body(self, body_id) -> bool:
        return self.is_admin or body_id in self.staff_body_ids

    def can_read_body(self, body_id) -> bool:
        return self.is_admin or body_id in (self.staff_body_ids | self.leadership_body_ids)

    @property
    def roles(self) -> set[str]:
        held = set()
        if self.staff_body_ids:
            held.add("staff")
        if self.leadership_body_ids:
            held.add("leadership")
        if self.convened_group_ids:
            held.add("convenor")
        if self.own_member_ids:
            held.add("member")
        return held

    def has_permission(self, code: str) -> bool:
        if self.is_admin:
            return code in ALL_PERMISSIONS
        return any(code in ROLE_PERMISSIONS[role] for role in self.roles)

    def role_label(self) -> str:
        if self.is_admin:
            return "admin"
        if self.staff_body_ids:
            return "staff"
        if self.leadership_body_ids:
            return "leadership"
        if self.convened_group_ids:
            return "convenor"
        if self.own_member_ids:
            return "member"
        return "none"


ANONYMOUS = Viewer()

# What each role may do, by permission code. Views, exports and tasks ask for a
# code (require_permission); which roles hold it is decided here and nowhere else.
# The scope (which rows) still comes from visible_to and the access helpers.
# The summaries' exports (summaries/exports.py): staff and leadership alike, as
# reading; leadership holds export codes only, never a write code.
SUMMARY_EXPORTS = {
    "summaries.export_scores",
    "summaries.export_proposals",
    "summaries.export_reports",
    "summaries.export_attendance",
}
ROLE_PERMISSIONS = {
    "staff": {
        "members.export_roster",
        "members.export_directory",
        "members.import_roster",
        "members.manage_accounts",
        "summaries.view",
        *SUMMARY_EXPORTS,
        # Earlier years' activities, attendance and honours (summaries/imports.py).
        "summaries.import_history",
    },
    "leadership": {
        "members.export_roster",
        "members.export_directory",
        "summaries.view",
        *SUMMARY_EXPORTS,
    },
    "convenor": {"members.export_directory"},
    "member": {"members.export_directory"},
}
ALL_PERMISSIONS = frozenset().union(*ROLE_PERMISSIONS.values())


def viewer_for(user) -> Viewer:
    """The roles of a user, read once per request (two small queries) and kept on it."""
    if user is None or not user.is_authenticated:
        return ANONYMOUS
    cached = getattr(user, "_lvzhi_viewer", None)
    if cached is not None:
        return cached
    from members.models import BodyRole, Member

    staff, leadership = set(), set()
    for body_id, role in BodyRole.objects.filter(user=user).values_list("body_id", "role"):
        (staff if role == BodyRole.Role.STAFF else leadership).add(body_id)
    seats = list(
        Member.objects.current()
        .filter(person__user=user)
        .values_list(
            "id", "term__body_id", "group_id", "person_id", "convened_groups", "liaised_groups"
        )
    )
    viewer = Viewer(
        user_id=user.pk,
        is_admin=user.is_superuser,
        staff_body_ids=frozenset(staff),
        leadership_body_ids=frozenset(leadership),
        seat_body_ids=frozenset(s[1] for s in seats),
        own_group_ids=frozenset(s[2] for s in seats if s[2]),
        convened_group_ids=frozenset(g for s in seats for g in (s[4], s[5]) if g),
        own_member_ids=frozenset(s[0] for s in seats),
        person_id=seats[0][3] if seats else None,
    )
    user._lvzhi_viewer = viewer
    return viewer


def require_permission(user, code: str) -> None:
    if not viewer_for(user).has_permission(code):
        raise PermissionDenied


def can_see_full_record(viewer: Viewer, member) -> bool:
    """Phones, birth date, party and history: own seat, own group for convenors,
    the body's staff and leadership, admins."""
    return (
        viewer.can_read_body(member.term.body_id)
        or member.pk in viewer.own_member_ids
        or (member.group_id is not None and member.group_id in viewer.convened_group_ids)
    )


def can_see_phone(viewer: Viewer, member) -> bool:
    """Members see phones only inside their own sector group."""
    return can_see_full_record(viewer, member) or (
        member.group_id is not None and member.group_id in viewer.own_group_ids
    )


def can_edit_contact(viewer: Viewer, member) -> bool:
    """Workplace, title, phone and email: the body's staff, and the convenor or
    liaison of the member's group, who keep their group's contacts current."""
    return viewer.can_manage_body(member.term.body_id) or (
        member.group_id is not None and member.group_id in viewer.convened_group_ids
    )


def require_write(viewer: Viewer, body_id) -> None:
    if not viewer.can_manage_body(body_id):
        raise PermissionDenied


def get_member_for_user(user, pk, *, write: bool = False):
    """The member with this id if the user may see it (else 404); with write, only
    if the user manages its body (else 403)."""
    from members.models import Member

    try:
        member = (
            Member.objects.visible_to(user)
            .select_related("person", "term__body", "sector", "group")
            .get(pk=pk)
        )
    except Member.DoesNotExist:
        raise Http404 from None
    if write:
        require_write(viewer_for(user), member.term.body_id)
    return member


def get_member_contact_for_user(user, pk):
    """The member whose contact details this user may change (404 / 403 otherwise)."""
    member = get_member_for_user(user, pk)
    if not can_edit_contact(viewer_for(user), member):
        raise PermissionDenied
    return member


def get_body_for_user(user, pk, *, write: bool = False):
    from sectors.models import Body

    viewer = viewer_for(user)
    if not (viewer.can_read_body(int(pk)) or int(pk) in viewer.seat_body_ids):
        raise Http404
    body = Body.objects.filter(pk=pk).first()
    if body is None:
        raise Http404
    if write:
        require_write(viewer, body.pk)
    return body


def managed_body_ids(user) -> set:
    """Bodies whose roster this user may change."""
    from sectors.models import Body

    viewer = viewer_for(user)
    if viewer.is_admin:
        return set(Body.objects.values_list("id", flat=True))
    return set(viewer.staff_body_ids)


def readable_body_ids(user) -> set:
    """Bodies whose whole data (roster, summaries) this user may read."""
    from sectors.models import Body

    viewer = viewer_for(user)
    if viewer.is_admin:
        return set(Body.objects.values_list("id", flat=True))
    return set(viewer.staff_body_ids | viewer.leadership_body_ids)
