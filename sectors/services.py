"""Writes on the organisation that change someone's access: a sector group's
convenor and liaison see their group's members' full records."""

from django.db import transaction

from members.models import AuditLog, Member
from members.services import audit_record
from sectors.models import SectorGroup


def _member_words(member: Member | None) -> str:
    return f"{member.person.name}({member.number})" if member is not None else ""


@transaction.atomic
def sector_group_save(*, by, group: SectorGroup) -> SectorGroup:
    """Save a new or changed sector group (its many-to-many fields are the
    caller's); a new convenor or liaison is audited."""
    old = (
        SectorGroup.objects.select_for_update()
        .filter(pk=group.pk)
        .values("convenor_id", "liaison_id")
        .first()
        if group.pk
        else None
    ) or {"convenor_id": None, "liaison_id": None}
    group._history_user = by
    group.save()
    for field in ("convenor", "liaison"):
        old_id, new_id = old[f"{field}_id"], getattr(group, f"{field}_id")
        if old_id == new_id:
            continue
        people = Member.objects.select_related("person__user").in_bulk(
            [pk for pk in (old_id, new_id) if pk]
        )
        before, after = people.get(old_id), people.get(new_id)
        whom = after or before
        audit_record(
            kind=AuditLog.Kind.GROUP_OFFICER,
            by=by,
            user=whom.person.user if whom.person.user_id else None,
            target=f"{group.term} {group.name}",
            subject=str(SectorGroup._meta.get_field(field).verbose_name),
            before=_member_words(before),
            after=_member_words(after),
        )
    return group
