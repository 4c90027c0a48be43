"""Reads of the duty record (履职档案): a member's activities, verified
self-reported duties and disputes for a year, with totals per kind; the same
reads in bulk for the scoring engine. Every read here costs a fixed number of
queries, whatever the number of rows or members.

Also the access helpers for the record's pages: whoever may see a member's full
record (the member, their group's convenor, the body's staff and leadership)
may see their duty record and attachments; everyone else gets 404."""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from duties.models import (
    Activity,
    ActivityKind,
    Category,
    Dispute,
    DutyAttachment,
    Participation,
    SelfReportedDuty,
)
from members.models import Member
from members.permissions import can_see_full_record, viewer_for

# Access -----------------------------------------------------------------------


def get_member_record_for_user(user, member_pk) -> Member:
    """The member whose duty record this user may read (else 404)."""
    member = (
        Member.objects.select_related("person", "term__body", "sector", "group")
        .filter(pk=member_pk)
        .first()
    )
    if member is None or not can_see_full_record(viewer_for(user), member):
        raise Http404
    return member


def get_duty_for_user(user, pk, *, write: bool = False, review: bool = False) -> SelfReportedDuty:
    """A self-reported duty the user may see (else 404). write: only its member
    may change it (else 403); review: only the body's staff (else 403)."""
    duty = (
        SelfReportedDuty.objects.select_related(
            "member__person", "member__term__body", "kind", "reviewed_by"
        )
        .filter(pk=pk)
        .first()
    )
    viewer = viewer_for(user)
    if duty is None or not can_see_full_record(viewer, duty.member):
        raise Http404
    if write and duty.member_id not in viewer.own_member_ids:
        raise PermissionDenied
    if review and not viewer.can_manage_body(duty.member.term.body_id):
        raise PermissionDenied
    return duty


def get_attachment_for_user(user, pk) -> DutyAttachment:
    attachment = DutyAttachment.objects.select_related("duty__member__term").filter(pk=pk).first()
    if attachment is None or not can_see_full_record(viewer_for(user), attachment.duty.member):
        raise Http404
    return attachment


def get_dispute_for_user(user, pk, *, resolve: bool = False) -> Dispute:
    """A dispute the user may see (its member, or whoever reads their record);
    resolve: only the body's staff (else 403)."""
    dispute = (
        Dispute.objects.select_related(
            "member__person", "member__term__body", "content_type", "resolved_by"
        )
        .filter(pk=pk)
        .first()
    )
    viewer = viewer_for(user)
    if dispute is None or not can_see_full_record(viewer, dispute.member):
        raise Http404
    if resolve and not viewer.can_manage_body(dispute.member.term.body_id):
        raise PermissionDenied
    return dispute


# The duty record --------------------------------------------------------------

SIGNED_UP = "signed_up"
VERIFIED = "verified"


@dataclass
class RecordEntry:
    """One line of the record: an activity the member was listed for, or a
    verified self-reported duty."""

    date: datetime.date
    kind: ActivityKind
    title: str
    status: str  # attended / excused / absent / signed_up / verified
    status_label: str
    record: Participation | SelfReportedDuty
    is_activity: bool
    is_consultation: bool = False
    role_label: str = ""
    disputes: list = field(default_factory=list)

    @property
    def record_label(self) -> str:
        return self.record._meta.label_lower

    @property
    def open_dispute(self) -> Dispute | None:
        return next((d for d in self.disputes if d.status == Dispute.Status.OPEN), None)


@dataclass
class KindTotals:
    kind: ActivityKind
    attended: int = 0
    excused: int = 0
    absent: int = 0
    signed_up: int = 0  # on the list, attendance not recorded yet
    verified: int = 0  # verified self-reported duties

    def add(self, status: str) -> None:
        setattr(self, status, getattr(self, status) + 1)


@dataclass
class DutyRecord:
    member: Member
    year: int
    entries: list[RecordEntry] = field(default_factory=list)
    totals: list[KindTotals] = field(default_factory=list)
    disputes: list[Dispute] = field(default_factory=list)  # of this year's records, newest first

    def total(self, status: str) -> int:
        return sum(getattr(t, status) for t in self.totals)

    @property
    def attended(self) -> int:
        return self.total("attended")

    @property
    def excused(self) -> int:
        return self.total("excused")

    @property
    def absent(self) -> int:
        return self.total("absent")

    @property
    def signed_up(self) -> int:
        return self.total("signed_up")

    @property
    def verified(self) -> int:
        return self.total("verified")


def participations_for(members, year: int | None = None) -> QuerySet:
    """Every activity of the year (of every year: year=None) the members were
    listed for or have an attendance recorded at (one query), with the
    activity and its kind; drafts, cancelled activities and withdrawn sign-ups
    are left out."""
    participations = Participation.objects.filter(member__in=members)
    if year is not None:
        participations = participations.filter(activity__starts_at__year=year)
    return (
        participations.filter(Q(signup=Participation.Signup.CONFIRMED) | ~Q(attendance=""))
        .exclude(activity__status__in=[Activity.Status.DRAFT, Activity.Status.CANCELLED])
        .select_related("activity__kind")
        .order_by("activity__starts_at", "id")
    )


def upcoming_for_members(member_ids, now: datetime.datetime) -> QuerySet:
    """The activities not yet over that the members are signed up for or
    waiting for a place at, soonest first, with the activity."""
    return (
        Participation.objects.filter(
            member_id__in=member_ids,
            signup__in=[Participation.Signup.CONFIRMED, Participation.Signup.WAITLISTED],
            activity__ends_at__gte=now,
        )
        .exclude(activity__status__in=[Activity.Status.DRAFT, Activity.Status.CANCELLED])
        .select_related("activity")
        .order_by("activity__starts_at", "activity_id", "id")
    )


def verified_duties_for(members, year: int | None = None) -> QuerySet:
    """The members' verified self-reported duties done in the year (in every
    year: year=None), in one query."""
    duties = SelfReportedDuty.objects.filter(
        member__in=members, status=SelfReportedDuty.Status.VERIFIED
    )
    if year is not None:
        duties = duties.filter(done_on__year=year)
    return duties.select_related("kind").order_by("done_on", "id")


def _participation_entry(p: Participation) -> RecordEntry:
    activity = p.activity
    status = p.attendance or SIGNED_UP
    label = p.get_attendance_display() if p.attendance else _("已报名")
    consultation = activity.kind.category == Category.CONSULTATION
    return RecordEntry(
        date=timezone.localdate(activity.starts_at),
        kind=activity.kind,
        title=activity.theme,
        status=status,
        status_label=str(label),
        record=p,
        is_activity=True,
        is_consultation=consultation,
        role_label=p.get_role_display() if consultation else "",
    )


def _duty_entry(d: SelfReportedDuty) -> RecordEntry:
    return RecordEntry(
        date=d.done_on,
        kind=d.kind,
        title=d.description,
        status=VERIFIED,
        status_label=str(_("自报·已核实")),
        record=d,
        is_activity=False,
    )


def duty_records(*, members, year: int) -> dict[int, DutyRecord]:
    """The duty records of many members for a year, by member id, in three
    queries (participations, verified duties, disputes) however many rows."""
    members = list(members)
    records = {m.pk: DutyRecord(member=m, year=year) for m in members}
    entries: dict[int, list[RecordEntry]] = defaultdict(list)
    for p in participations_for(members, year):
        entries[p.member_id].append(_participation_entry(p))
    for d in verified_duties_for(members, year):
        entries[d.member_id].append(_duty_entry(d))

    participation_ct = ContentType.objects.get_for_model(Participation)
    duty_ct = ContentType.objects.get_for_model(SelfReportedDuty)
    by_record = defaultdict(list)
    disputes_by_member = defaultdict(list)
    for dispute in Dispute.objects.filter(member__in=members).select_related("resolved_by"):
        by_record[(dispute.content_type_id, dispute.object_id)].append(dispute)
        if timezone.localdate(dispute.created_at).year == year:
            disputes_by_member[dispute.member_id].append(dispute)

    for member_id, record in records.items():
        rows = sorted(entries[member_id], key=lambda e: (e.date, not e.is_activity, e.record.pk))
        totals: dict[int, KindTotals] = {}
        seen = {d.pk for d in disputes_by_member[member_id]}
        shown = list(disputes_by_member[member_id])
        for entry in rows:
            ct = participation_ct if entry.is_activity else duty_ct
            entry.disputes = by_record.get((ct.pk, entry.record.pk), [])
            shown += [d for d in entry.disputes if d.pk not in seen]
            seen.update(d.pk for d in entry.disputes)
            totals.setdefault(entry.kind.pk, KindTotals(kind=entry.kind)).add(entry.status)
        record.entries = rows
        record.totals = sorted(totals.values(), key=lambda t: (t.kind.order, t.kind.pk))
        record.disputes = sorted(shown, key=lambda d: (d.created_at, d.pk), reverse=True)
    return records


def duty_record(*, member: Member, year: int) -> DutyRecord:
    """One member's record for a year: entries in date order and totals per kind."""
    return duty_records(members=[member], year=year)[member.pk]


def record_years(member: Member, today: datetime.date | None = None) -> list[int]:
    """The years a member's record can be shown for, newest first."""
    today = today or timezone.localdate()
    last = member.left_on.year if member.left_on else today.year
    first = min(member.joined_on.year, last)
    return list(range(max(last, first), first - 1, -1))


# Self-reported duties, for their pages ----------------------------------------


def duties_of_member_ids(member_ids) -> QuerySet:
    """A member's own list (我的自报履职): every status, newest first."""
    return (
        SelfReportedDuty.objects.filter(member_id__in=member_ids)
        .select_related("kind", "member__term__body")
        .annotate(n_attachments=Count("attachments"))
        .order_by("-done_on", "-id")
    )


def review_queue(*, body_ids) -> QuerySet:
    """Submitted duties waiting for the bodies' staff, oldest first."""
    return (
        SelfReportedDuty.objects.filter(
            status=SelfReportedDuty.Status.SUBMITTED, member__term__body_id__in=body_ids
        )
        .select_related("kind", "member__person", "member__sector")
        .annotate(n_attachments=Count("attachments"))
        .order_by("created_at", "id")
    )


def review_counts(*, body_ids) -> dict[str, int]:
    """How many duties of the bodies are waiting, verified and returned (one query)."""
    S = SelfReportedDuty.Status
    return SelfReportedDuty.objects.filter(member__term__body_id__in=body_ids).aggregate(
        submitted=Count("pk", filter=Q(status=S.SUBMITTED)),
        verified=Count("pk", filter=Q(status=S.VERIFIED)),
        returned=Count("pk", filter=Q(status=S.RETURNED)),
    )


def disputes_visible_to(user) -> QuerySet:
    """The disputes of the bodies the user reads (staff, leadership), and the
    user's own."""
    viewer = viewer_for(user)
    qs = Dispute.objects.select_related("member__person", "member__term__body", "resolved_by")
    if viewer.is_admin:
        return qs
    return qs.filter(
        Q(member__term__body_id__in=viewer.staff_body_ids | viewer.leadership_body_ids)
        | Q(member_id__in=viewer.own_member_ids)
    )
