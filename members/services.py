"""Writes on people, seats, honours, long leave, accounts, notices and office roles.
Keyword-only, atomic, and each one tells simple_history who made the change; a
change of someone's access also writes its audit row (audit_record)."""

import datetime
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from members.models import (
    AuditLog,
    BodyRole,
    ExportLog,
    Honour,
    LongLeave,
    Member,
    Notice,
    Person,
)
from scoring.facts import facts_changed, scores_follow
from sectors.models import SectorGroup, Term


def _saved(instance, by):
    instance._history_user = by
    return instance


@transaction.atomic
def member_create(*, by, term: Term, person: Person, seat: dict, committees=()) -> Member:
    """A new seat in `term` for `person` (saved here if new)."""
    _saved(person, by).save()
    member = _saved(Member(person=person, term=term, **seat), by)
    member.full_clean()
    member.save()
    member.committees.set(committees)
    facts_changed([member.pk])  # the person's honours count on the new seat too
    return member


@transaction.atomic
def member_update(
    *, by, member: Member, person_fields: dict, seat_fields: dict, committees=None
) -> Member:
    person = member.person
    for name, value in person_fields.items():
        setattr(person, name, value)
    _saved(person, by).save()
    for name, value in seat_fields.items():
        setattr(member, name, value)
    _saved(member, by).save()
    if committees is not None:
        member.committees.set(committees)
    return member


@transaction.atomic
def member_leave(*, by, member: Member, left_on: datetime.date, reason: str) -> Member:
    """The member leaves (免去/辞去/届满/去世): gone from current lists, every record kept."""
    member = Member.objects.select_for_update().get(pk=member.pk)
    if member.left_on is not None:
        return member
    member.left_on = left_on
    member.left_reason = reason
    _saved(member, by).save(update_fields=["left_on", "left_reason"])
    # A convenor or liaison who leaves no longer runs the group.
    SectorGroup.objects.filter(convenor=member).update(convenor=None)
    SectorGroup.objects.filter(liaison=member).update(liaison=None)
    return member


@transaction.atomic
def member_reinstate(*, by, member: Member) -> Member:
    member = Member.objects.select_for_update().get(pk=member.pk)
    member.left_on = None
    member.left_reason = ""
    _saved(member, by).save(update_fields=["left_on", "left_reason"])
    return member


@transaction.atomic
def term_carry_over(
    *, by, from_term: Term, to_term: Term, continuing: Iterable[Member], starts_on: datetime.date
) -> int:
    """换届: the chosen members of `from_term` get a seat in `to_term` with the same
    number, sector and group (matched by name in the new term); everyone else in
    `from_term` still sitting leaves with 届满. Returns the number of seats created."""
    if from_term.pk == to_term.pk or from_term.body_id != to_term.body_id:
        raise ValueError("换届只能在同一政协的两届之间进行")
    continuing = list(continuing)
    sectors = {s.name: s for s in to_term.sectors.all()}
    groups = {g.name: g for g in to_term.sector_groups.all()}
    committees = {c.name: c for c in to_term.committees.all()}
    already = set(to_term.members.values_list("person_id", flat=True))
    created = 0
    for old in (
        Member.objects.filter(pk__in=[m.pk for m in continuing])
        .select_related("sector", "group")
        .prefetch_related("committees")
    ):
        if old.person_id in already:
            continue
        sector = sectors.get(old.sector.name)
        if sector is None:
            sector = to_term.sectors.create(name=old.sector.name, order=old.sector.order)
            sectors[sector.name] = sector
        group = groups.get(old.group.name) if old.group else None
        new = _saved(
            Member(
                person_id=old.person_id,
                term=to_term,
                number=old.number,
                sector=sector,
                group=group,
                is_standing=False,
                joined_on=starts_on,
                join_kind=Member.JoinKind.INITIAL,
            ),
            by,
        )
        new.save()
        new.committees.set(
            [committees[c.name] for c in old.committees.all() if c.name in committees]
        )
        facts_changed([new.pk])
        created += 1
    for old in from_term.members.filter(left_on__isnull=True):
        member_leave(
            by=by,
            member=old,
            left_on=starts_on - datetime.timedelta(days=1),
            reason=Member.LeftReason.TERM_ENDED,
        )
    return created


@transaction.atomic
def honour_add(*, by, person: Person, title: str, level: str, awarded_on: datetime.date) -> Honour:
    """One honour of a person; the same title twice in one year is refused
    (the natural key the history import reads, held by a constraint)."""
    if Honour.objects.filter(person=person, title=title, awarded_on__year=awarded_on.year).exists():
        raise ValidationError(
            {
                "title": _("%(year)s 年已登记过“%(title)s”")
                % {"year": awarded_on.year, "title": title}
            }
        )
    honour = Honour.objects.create(person=person, title=title, level=level, awarded_on=awarded_on)
    facts_changed(person.seats.values_list("pk", flat=True))
    return honour


@transaction.atomic
def long_leave_grant(
    *, by, member: Member, starts_on: datetime.date, ends_on: datetime.date, reason: str
) -> LongLeave:
    """Record a member's approved long leave. Refused when it ends before it
    starts, falls outside the seat, or overlaps leave already recorded."""
    member = Member.objects.select_for_update().get(pk=member.pk)
    reason = (reason or "").strip()
    errors = {}
    if not reason:
        errors["reason"] = _("请填写请假事由")
    if ends_on < starts_on:
        errors["ends_on"] = _("结束日期不能早于开始日期")
    elif starts_on < member.joined_on:
        errors["starts_on"] = _("开始日期不能早于任职日期")
    elif member.left_on and ends_on > member.left_on:
        errors["ends_on"] = _("结束日期不能晚于离任日期")
    elif member.long_leaves.filter(starts_on__lte=ends_on, ends_on__gte=starts_on).exists():
        errors["starts_on"] = _("与已登记的长期请假时间重叠")
    if errors:
        raise ValidationError(errors)
    leave = LongLeave(
        member=member, starts_on=starts_on, ends_on=ends_on, reason=reason[:200], approved_by=by
    )
    leave._history_user = by
    leave.save()
    scores_follow(_leave_years(leave))
    return leave


def _leave_years(leave: LongLeave) -> list[tuple[int, datetime.date]]:
    """The member and, for each year the leave touches, the day it starts counting."""
    return [
        (leave.member_id, max(leave.starts_on, datetime.date(year, 1, 1)))
        for year in range(leave.starts_on.year, leave.ends_on.year + 1)
    ]


@transaction.atomic
def long_leave_withdraw(*, by, leave: LongLeave) -> None:
    """Withdraw recorded leave (entered in error); the history keeps it."""
    years = _leave_years(leave)
    leave._history_user = by
    leave.delete()
    scores_follow(years)


def accounts_create(*, by, members: QuerySet) -> list[Person]:
    """Give every chosen member's person a login with no usable password yet; staff
    then hand each one a set-password link. Usernames are the mobile number when
    there is one (what members remember), otherwise the member number."""
    user_model = get_user_model()
    created = []
    for member in members.select_related("person", "term__body").filter(person__user__isnull=True):
        person = member.person
        base = person.mobile or f"m{member.term.body_id}-{member.term.number}-{member.number}"
        username = base
        suffix = 1
        while user_model.objects.filter(username=username).exists():
            suffix += 1
            username = f"{base}-{suffix}"
        with transaction.atomic():
            user = user_model(username=username, email=person.email)
            user.set_unusable_password()
            user.save()
            person.user = user
            _saved(person, by).save(update_fields=["user"])
        created.append(person)
    return created


def notice_send(
    *, persons: Iterable[Person] | QuerySet, key: str, title: str, text: str = "", url: str = ""
) -> int:
    """Send one notice to each person, at most once per (person, key): a retried
    task with the same key sends nothing twice. Returns how many were new."""
    person_ids = (
        list(persons.values_list("pk", flat=True))
        if isinstance(persons, QuerySet)
        else [p.pk for p in persons]
    )
    existing = set(
        Notice.objects.filter(key=key, person_id__in=person_ids).values_list("person_id", flat=True)
    )
    now = timezone.now()
    new = [
        Notice(person_id=pid, key=key, title=title, text=text, url=url, created_at=now)
        for pid in dict.fromkeys(person_ids)
        if pid not in existing
    ]
    # ignore_conflicts: a concurrent send of the same key loses the race quietly.
    Notice.objects.bulk_create(new, batch_size=1000, ignore_conflicts=True)
    return len(new)


def notice_mark_read(*, user, notice_ids=None) -> int:
    qs = Notice.objects.for_user(user).unread()
    if notice_ids is not None:
        qs = qs.filter(pk__in=notice_ids)
    return qs.update(read_at=timezone.now())


def export_log_record(*, user, what: str, rows: int, filters: str = "") -> ExportLog:
    """The one writer of the export log: every file of personal data leaving the app."""
    return ExportLog.objects.create(user=user, what=what, rows=rows, filters=filters[:500])


def audit_record(
    *, kind: str, by, target: str, subject: str, before: str, after: str, user=None
) -> AuditLog:
    """The one writer of the audit log; the services that change access call it
    inside their transaction, so a change and its row are written together or not at all."""
    return AuditLog.objects.create(
        kind=kind,
        by=by if by is not None and by.pk else None,
        by_name=by.get_username() if by is not None else "",
        user=user,
        target=target[:200],
        subject=subject[:200],
        before=before[:500],
        after=after[:500],
    )


def _role_words(body_role: BodyRole) -> str:
    return f"{body_role.body} · {body_role.get_role_display()}"


@transaction.atomic
def body_role_save(*, by, body_role: BodyRole) -> BodyRole:
    """Grant an office role, or change one (its body or role, or whose it is)."""
    old = (
        BodyRole.objects.select_for_update().select_related("body", "user").get(pk=body_role.pk)
        if body_role.pk
        else None
    )
    _saved(body_role, by).save()
    body_role = BodyRole.objects.select_related("body", "user").get(pk=body_role.pk)
    subject = str(BodyRole._meta.verbose_name)
    if old is not None and old.user_id != body_role.user_id:
        # Moved to another account: one loses the role, the other gains it.
        audit_record(
            kind=AuditLog.Kind.BODY_ROLE,
            by=by,
            user=old.user,
            target=old.user.get_username(),
            subject=subject,
            before=_role_words(old),
            after="",
        )
        old = None
    before = _role_words(old) if old is not None else ""
    after = _role_words(body_role)
    if before != after:
        audit_record(
            kind=AuditLog.Kind.BODY_ROLE,
            by=by,
            user=body_role.user,
            target=body_role.user.get_username(),
            subject=subject,
            before=before,
            after=after,
        )
    return body_role


@transaction.atomic
def body_role_delete(*, by, body_role: BodyRole) -> None:
    body_role = (
        BodyRole.objects.select_for_update().select_related("body", "user").get(pk=body_role.pk)
    )
    words, user = _role_words(body_role), body_role.user
    _saved(body_role, by).delete()
    audit_record(
        kind=AuditLog.Kind.BODY_ROLE,
        by=by,
        user=user,
        target=user.get_username(),
        subject=str(BodyRole._meta.verbose_name),
        before=words,
        after="",
    )


NO_ACCESS = {"is_staff": False, "is_superuser": False, "groups": [], "permissions": []}


def user_access_snapshot(*, user_id) -> dict:
    """What an account may do outside the app's own roles, as stored now: the
    admin flags, Django groups and single permissions (granted in the admin)."""
    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    if user is None:
        return dict(NO_ACCESS)
    return {
        "is_staff": user.is_staff,
        "is_superuser": user.is_superuser,
        "groups": sorted(user.groups.values_list("name", flat=True)),
        "permissions": sorted(
            f"{app}.{code}"
            for app, code in user.user_permissions.values_list(
                "content_type__app_label", "codename"
            )
        ),
    }


def _yes_no(flag: bool) -> str:
    return _("是") if flag else _("否")


@transaction.atomic
def user_access_audit(*, by, user, before: dict) -> list[AuditLog]:
    """One row for each flag or grant that differs from `before` (a snapshot
    taken before the change, in the same transaction)."""
    after = user_access_snapshot(user_id=user.pk)
    rows = []
    for key, kind, subject, words in (
        ("is_staff", AuditLog.Kind.ADMIN_FLAG, _("可登录管理后台"), _yes_no),
        ("is_superuser", AuditLog.Kind.ADMIN_FLAG, _("系统管理员"), _yes_no),
        ("groups", AuditLog.Kind.PERMISSION, _("权限组"), "、".join),
        ("permissions", AuditLog.Kind.PERMISSION, _("单项权限"), "、".join),
    ):
        if before[key] != after[key]:
            rows.append(
                audit_record(
                    kind=kind,
                    by=by,
                    user=user,
                    target=user.get_username(),
                    subject=subject,
                    before=words(before[key]),
                    after=words(after[key]),
                )
            )
    return rows
