"""The projection of every app's records into the duty-fact ledger
(docs/duty-facts.md), read through the apps' selectors.

facts_for_members computes the facts of any number of members in a fixed
number of queries (one or a few per source, never one per member or record);
facts_refresh writes them for those members (a diff: unchanged facts keep their
rows); facts_rebuild does every member of a body, a chunk of members at a time;
facts_changed is what services call when they change a source record.

At province scale a chunk of 2,000 members is about 200,000 facts, so the
projection works on plain tuples (FactRow) rather than model instances, and on
PostgreSQL new rows go in with COPY (bulk_create elsewhere)."""

import csv
import datetime
import io
import json
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from duties.models import Participation, SelfReportedDuty
from duties.selectors import participations_for, verified_duties_for
from members.models import Honour, Member
from members.selectors import honours_for
from proposals.models import Proposal
from proposals.selectors import proposer_facts_for
from reports.models import SocialInfoReport
from reports.selectors import report_facts_for
from scoring.models import DutyFact

Kind = DutyFact.Kind
A = Participation.Attendance

# Members per chunk of a rebuild: a chunk's records and facts fit in memory at
# province scale (about 50 attendance rows per member and year), and each
# chunk is one transaction.
REBUILD_CHUNK = 2000
INSERT_BATCH = 2000
DELETE_BATCH = 5000

_ATTENDANCE_KIND = {A.ATTENDED: Kind.ACTIVITY_ATTENDED, A.ABSENT: Kind.ACTIVITY_ABSENT}


class FactRow(NamedTuple):
    """One fact as the projection computes it: DutyFact's columns, the key
    (its unique constraint) first, then what a refresh compares."""

    member_id: int
    kind: str
    source_type_id: int
    source_id: int
    detail: str
    body_id: int
    on: datetime.date
    attrs: dict
    activity_kind: str
    category: str
    role: str
    level: str

    @property
    def key(self) -> tuple:
        return self[:5]

    @property
    def value(self) -> tuple:
        return self[5:]


def _ids(member_ids) -> list[int]:
    return sorted({int(getattr(m, "pk", m)) for m in member_ids if m is not None})


def _fact(member_id, body_id, on, kind, source_type, source_id, attrs, detail="") -> FactRow:
    return FactRow(
        member_id,
        str(kind),
        source_type.pk,
        source_id,
        detail,
        body_id,
        on,
        attrs,
        attrs.get("activity_kind", ""),
        attrs.get("category", ""),
        attrs.get("role", ""),
        attrs.get("level", ""),
    )


def _activity_facts(member_ids, bodies, ct, year) -> Iterable[FactRow]:
    """One fact per participation on the list (withdrawn, removed and waiting
    are not) with its attendance recorded; approved leave with nothing
    recorded is excused; nothing recorded and no approved leave is no fact.
    What staff recorded last wins over the leave: a member on approved leave
    who came is attended, one marked absent afterwards is absent."""
    rows = (
        participations_for(member_ids, year)
        .filter(signup=Participation.Signup.CONFIRMED)
        .filter(~Q(attendance=A.UNKNOWN) | Q(leave=Participation.Leave.APPROVED))
        .order_by()
        .values_list(
            "pk",
            "member_id",
            "attendance",
            "role",
            "activity__starts_at",
            "activity__kind__code",
            "activity__kind__category",
            "activity__organiser",
            "activity__audience",
        )
    )
    tz = timezone.get_current_timezone()  # looked up once, not per row
    for (
        pk,
        member_id,
        attendance,
        role,
        starts_at,
        code,
        category,
        organiser,
        audience,
    ) in rows.iterator(chunk_size=10000):
        yield _fact(
            member_id,
            bodies[member_id],
            starts_at.astimezone(tz).date(),
            _ATTENDANCE_KIND.get(attendance, Kind.ACTIVITY_EXCUSED),
            ct,
            pk,
            {
                "activity_kind": code,
                "category": category,
                "role": role,
                "organiser": organiser,
                "audience": audience,
            },
        )


def _duty_facts(member_ids, bodies, ct, year) -> Iterable[FactRow]:
    rows = (
        verified_duties_for(member_ids, year)
        .order_by()
        .values_list("pk", "member_id", "done_on", "kind__code", "kind__category")
    )
    for pk, member_id, done_on, code, category in rows.iterator(chunk_size=10000):
        yield _fact(
            member_id,
            bodies[member_id],
            done_on,
            Kind.DUTY_VERIFIED,
            ct,
            pk,
            {"activity_kind": code, "category": category},
        )


def _proposal_facts(member_ids, bodies, ct) -> Iterable[FactRow]:
    """A member counts as a proposer of the proposal their own was merged into
    (at any depth, as a co-proposer): the facts name that proposal."""
    for p in proposer_facts_for(members=member_ids):
        shared = {"role": p.role, "proposers": p.proposers}
        body = bodies[p.member_id]
        yield _fact(
            p.member_id,
            body,
            p.submitted_on,
            Kind.PROPOSAL_SUBMITTED,
            ct,
            p.proposal_id,
            {
                **shared,
                "proposal_kind": p.kind,
                "converted_to": p.converted_to,
                "accepted": p.accepted,
            },
        )
        if p.accepted:
            yield _fact(
                p.member_id,
                body,
                p.accepted_on,
                Kind.PROPOSAL_ACCEPTED,
                ct,
                p.proposal_id,
                {**shared, "key": p.is_key, "excellent": p.is_excellent},
            )
        if p.converted_to:
            yield _fact(
                p.member_id,
                body,
                p.converted_on,
                Kind.PROPOSAL_CONVERTED,
                ct,
                p.proposal_id,
                {**shared, "converted_to": p.converted_to},
            )


def _report_facts(member_ids, bodies, ct) -> Iterable[FactRow]:
    """Reports by a member (not by a sector group or a party), withdrawn ones
    left out."""
    for member_id, reports in report_facts_for(members=member_ids).items():
        body = bodies[member_id]
        for r in reports:
            yield _fact(
                member_id,
                body,
                r.submitted_on,
                Kind.REPORT_SUBMITTED,
                ct,
                r.report_id,
                {"from_proposal": r.proposal_id is not None},
            )
            if r.used:
                yield _fact(
                    member_id,
                    body,
                    r.used_on,
                    Kind.REPORT_USED,
                    ct,
                    r.report_id,
                    {"issue": f"{r.bulletin_year}-{r.bulletin_issue}"},
                )
            for level, mode, adopted_on in r.adoptions:
                yield _fact(
                    member_id,
                    body,
                    adopted_on,
                    Kind.REPORT_ADOPTED,
                    ct,
                    r.report_id,
                    {"level": level, "how": mode},
                    detail=level,
                )
            for instruction_id, level, instructed_on in r.instructions:
                yield _fact(
                    member_id,
                    body,
                    instructed_on,
                    Kind.REPORT_INSTRUCTED,
                    ct,
                    r.report_id,
                    {"level": level},
                    detail=str(instruction_id),
                )


def _honour_facts(member_ids, bodies, ct, year) -> Iterable[FactRow]:
    rows = honours_for(members=member_ids)
    if year is not None:
        rows = rows.filter(awarded_on__year=year)
    for member_id, pk, level, awarded_on in rows.values_list(
        "member_id", "pk", "level", "awarded_on"
    ):
        yield _fact(
            member_id,
            bodies[member_id],
            awarded_on,
            Kind.HONOUR_AWARDED,
            ct,
            pk,
            {"level": level},
        )


def facts_for_members(member_ids, *, year: int | None = None) -> list[DutyFact]:
    """The facts of these members (unsaved rows), of every year or of `year`
    (by the date a fact became true). A fixed number of queries however many
    members and records: the members' bodies, then each source once
    (participations; verified duties; proposals in four; reports in three;
    honours). Content types come from Django's cache."""
    return [DutyFact(**row._asdict()) for row in fact_rows_for_members(member_ids, year=year)]


def fact_rows_for_members(member_ids, *, year: int | None = None) -> list[FactRow]:
    """facts_for_members as plain tuples: what refreshes and rebuilds use."""
    ids = _ids(member_ids)
    if not ids:
        return []
    types = ContentType.objects.get_for_models(
        Participation, SelfReportedDuty, Proposal, SocialInfoReport, Honour
    )
    bodies = dict(Member.objects.filter(pk__in=ids).values_list("pk", "term__body_id"))
    ids = sorted(bodies)
    facts = [
        *_activity_facts(ids, bodies, types[Participation], year),
        *_duty_facts(ids, bodies, types[SelfReportedDuty], year),
        *_proposal_facts(ids, bodies, types[Proposal]),
        *_report_facts(ids, bodies, types[SocialInfoReport]),
        *_honour_facts(ids, bodies, types[Honour], year),
    ]
    if year is not None:
        facts = [fact for fact in facts if fact.on.year == year]
    return facts


@dataclass
class RefreshResult:
    members: int = 0
    created: int = 0
    deleted: int = 0
    unchanged: int = 0
    # (member id, year) -> the earliest date of a fact created or deleted:
    # whose scores may have changed, and from which quarter of that year on.
    changed: dict[tuple[int, int], datetime.date] = field(default_factory=dict)

    def __iadd__(self, other: "RefreshResult") -> "RefreshResult":
        self.members += other.members
        self.created += other.created
        self.deleted += other.deleted
        self.unchanged += other.unchanged
        for key, on in other.changed.items():
            self.changed[key] = min(on, self.changed.get(key, on))
        return self

    @property
    def total(self) -> int:
        return self.created + self.unchanged


@transaction.atomic
def facts_refresh(member_ids, *, year: int | None = None) -> RefreshResult:
    """Make these members' stored facts what their records say now (of every
    year, or only those of `year`): facts gone or changed are deleted, new or
    changed ones inserted, the rest left as they are. Idempotent, and two
    refreshes of the same member wait for one another (a lock on the member
    rows that does not block writes of their records)."""
    ids = _ids(member_ids)
    if not ids:
        return RefreshResult()
    ids = list(
        Member.objects.select_for_update(no_key=True)
        .filter(pk__in=ids)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    new = {row.key: row for row in fact_rows_for_members(ids, year=year)}
    stale, kept, changed = [], set(), {}

    def touched(row):
        key = (row.member_id, row.on.year)
        changed[key] = min(row.on, changed.get(key, row.on))

    stored = DutyFact.objects.filter(member_id__in=ids).values_list("pk", *FactRow._fields)
    for pk, *columns in stored.iterator(chunk_size=10000):
        row = FactRow(*columns)
        fresh = new.get(row.key)
        if fresh is None:
            # Gone, unless it lies in another year than the one refreshed.
            if year is None or row.on.year == year:
                stale.append(pk)
                touched(row)
        elif fresh.value == row.value:
            kept.add(row.key)
        else:
            stale.append(pk)
            touched(row)
    for start in range(0, len(stale), DELETE_BATCH):
        DutyFact.objects.filter(pk__in=stale[start : start + DELETE_BATCH]).delete()
    inserted = [row for key, row in new.items() if key not in kept]
    for row in inserted:
        touched(row)
    _insert(inserted)
    return RefreshResult(
        members=len(ids),
        created=len(inserted),
        deleted=len(stale),
        unchanged=len(kept),
        changed=changed,
    )


def _insert(rows: list[FactRow]) -> None:
    """COPY on PostgreSQL (a province's facts in seconds, not minutes);
    bulk_create elsewhere."""
    if not rows:
        return
    with connection.cursor() as cursor:
        copy = getattr(cursor.cursor, "copy_expert", None)  # psycopg2
        if connection.vendor != "postgresql" or copy is None:
            DutyFact.objects.bulk_create(
                [DutyFact(**row._asdict()) for row in rows], batch_size=INSERT_BATCH
            )
            return
        fields = {f.attname: f.column for f in DutyFact._meta.concrete_fields}
        columns = ", ".join(connection.ops.quote_name(fields[name]) for name in FactRow._fields)
        table = connection.ops.quote_name(DutyFact._meta.db_table)
        data = io.StringIO()
        # Every text quoted, so "" stays an empty string (unquoted it is NULL).
        writer = csv.writer(data, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\n")
        for row in rows:
            writer.writerow(
                (
                    *row[:6],
                    row.on.isoformat(),
                    json.dumps(row.attrs, ensure_ascii=False, separators=(",", ":")),
                    *row[8:],
                )
            )
        data.seek(0)
        copy(f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv)", data)


def facts_rebuild(
    *, body=None, year: int | None = None, chunk: int = REBUILD_CHUNK, progress=None
) -> RefreshResult:
    """Refresh the facts of every member (of `body`), of every year or of
    `year`, `chunk` members at a time, each chunk in its own transaction.
    Gives the same rows as the refreshes the services trigger."""
    members = Member.objects.all()
    if body is not None:
        members = members.filter(term__body_id=getattr(body, "pk", body))
    ids = list(members.order_by("pk").values_list("pk", flat=True))
    result = RefreshResult()
    for start in range(0, len(ids), chunk):
        result += facts_refresh(ids[start : start + chunk], year=year)
        if progress is not None:
            progress(result)
    return result


# Keeping the ledger current -----------------------------------------------------


class _Refresh:
    """The on-commit callback of one transaction: the members whose facts its
    services changed, sent to the refresh task once it commits."""

    def __init__(self):
        self.__qualname__ = "facts_changed.<refresh>"  # what Django logs if it fails
        self.member_ids: set[int] = set()
        self.sent = False

    def __call__(self):
        from scoring.pending import task_send
        from scoring.tasks import facts_refresh_task

        self.sent = True
        task_send(facts_refresh_task, member_ids=sorted(self.member_ids))


_last = threading.local()


def facts_changed(member_ids) -> None:
    """Services call this when they change a record of these members: once the
    transaction commits (at once outside one), the members' facts are
    refreshed by scoring.tasks.facts_refresh_task. The calls of one
    transaction make one task (a sheet of 300 signatures is one refresh, not
    300). The ids are read now, so a queryset of ids is evaluated here."""
    ids = _ids(member_ids)
    if not ids:
        return
    pending = getattr(_last, "refresh", None)
    db = transaction.get_connection()
    # Still waiting for this transaction's commit? (Gone if the savepoint that
    # registered it was rolled back: its members' changes went with it.)
    if (
        pending is not None
        and not pending.sent
        and any(func is pending for _sids, func, _robust in db.run_on_commit)
    ):
        pending.member_ids.update(ids)
        return
    pending = _last.refresh = _Refresh()
    pending.member_ids.update(ids)
    # robust: a failed refresh must not turn a committed change into an error
    # page. With the broker down the refresh is recorded and sent again
    # (scoring/pending.py).
    transaction.on_commit(pending, robust=True)


def scores_follow(changes) -> None:
    """Something a score reads that is not a fact changed (a mark staff
    entered, approved long leave): once the transaction commits, the members'
    scores follow, as they do after a refresh that changed their facts
    (scoring.review.scores_follow_records). `changes` is (member id, date
    from which it counts) pairs; a date in each year concerned."""
    changes = [[int(member_id), on.isoformat()] for member_id, on in changes]
    if not changes:
        return

    from scoring.pending import task_send_on_commit
    from scoring.tasks import scores_follow_records_task

    task_send_on_commit(scores_follow_records_task, changes=changes)
