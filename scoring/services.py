"""Writes of scoring: loading and publishing rulebooks, the marks staff enter,
and computing a period's scores. Keyword-only, atomic, idempotent; refusals are
ValidationErrors in Chinese.

Computing a period reads what it needs in a fixed number of queries (the
members, their marks, earlier years' final results, the staff adjustments,
and the facts grouped by member and item: scoring.engine), and upserts the
scores and their lines with two bulk statements, so a score and its lines
keep their ids from one computation to the next."""

import csv
import dataclasses
import datetime
import io
import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import Exists, OuterRef, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from duties.models import ActivityKind
from members.models import BodyRole, LongLeave, Member
from scoring import annual_selectors, engine, reference
from scoring.facts import scores_follow
from scoring.models import Mark, Rulebook, Score, ScoreLine, ScorePeriod
from scoring.rulebook import MARK, PastYear, RulebookError, RulebookInvalid, rulebook_parse
from scoring.rulebook import Member as MemberInput
from scoring.rulebook.load import LoadError, load
from scoring.rulebook.parse import path_text
from sectors.models import Body, SectorGroup, Term

ZERO = Decimal("0.00")


# Rulebooks --------------------------------------------------------------------


def _invalid(errors) -> ValidationError:
    """Every problem, each with its place ("items[3].where.role(第 12 行):…")."""
    return ValidationError([str(e) for e in errors], code="invalid_rulebook")


def _term_for(body, year: int, number: int | None):
    """The term the rulebook belongs to: the one the file names, or else the
    latest term of the body sitting in the year."""
    terms = Term.objects.filter(body=body)
    if number is not None:
        return terms.filter(number=number).first()
    return (
        terms.filter(starts_on__lte=datetime.date(year, 12, 31))
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=datetime.date(year, 1, 1)))
        .order_by("-starts_on")
        .first()
    )


def _file_errors(text: str, *, body, year: int) -> list[RulebookError]:
    """What the file says about itself that must agree with where it is
    loaded: its year and, when it names one, its body and term."""
    try:
        tree, lines, _duplicates = load(text)
    except LoadError:
        return []  # rulebook_parse reports it
    if not isinstance(tree, dict):
        return []
    errors = []

    def error(key, message):
        errors.append(RulebookError(path_text((key,)), message, lines.get((key,))))

    named_year = tree.get("year")
    if type(named_year) is int and named_year != year:
        error(
            "year",
            _("文件写明的年度为 %(file)s,与导入的年度 %(year)s 不一致")
            % {"file": named_year, "year": year},
        )
    named_body = tree.get("body")
    if (
        isinstance(named_body, str)
        and named_body
        and named_body not in (body.name, body.short_name)
    ):
        error(
            "body",
            _("文件写明的政协为“%(file)s”,与导入的政协“%(body)s”不一致")
            % {"file": named_body[:60], "body": body.name},
        )
    number = tree.get("term")
    if type(number) is int and not Term.objects.filter(body=body, number=number).exists():
        error("term", _("%(body)s没有第 %(n)s 届") % {"body": body.name, "n": number})
    return errors


def _parse_for(text: str, *, body, year: int):
    """Parse and validate `text` for `body` and `year`, or raise a
    ValidationError listing every problem with its place."""
    if not isinstance(text, str):
        raise ValidationError(_("规则文件应为文本"), code="invalid_rulebook")
    kinds = ActivityKind.objects.filter(body=body).values_list("code", flat=True)
    errors = _file_errors(text, body=body, year=year)
    parsed = None
    try:
        parsed = rulebook_parse(text, activity_kinds=set(kinds))
    except RulebookInvalid as e:
        errors = [*e.errors, *errors]
    if errors:
        raise _invalid(sorted(errors, key=lambda e: e.line or 0))
    return parsed


@transaction.atomic
def rulebook_load(*, body, year: int, text: str, by, publish: bool = False) -> Rulebook:
    """Store `text` as the next version of the body's rulebook for `year`
    (a draft, or published at once). Nothing is stored unless the whole file
    is valid. Loading the text of the latest version again stores nothing new."""
    parsed = _parse_for(text, body=body, year=year)
    term = _term_for(body, year, parsed.term)
    if term is None:
        raise ValidationError(
            _("%(body)s没有 %(year)s 年在任的届次,请先建立届次") % {"body": body.name, "year": year}
        )
    # Versions are numbered under a lock on the body row (one that does not
    # block writes of rows pointing at the body): two loads cannot take one number.
    list(Body.objects.select_for_update(no_key=True).filter(pk=body.pk))
    latest = Rulebook.objects.of(body.pk, year).order_by("-version").first()
    if latest is not None and latest.source == text and latest.term_id == term.pk:
        rulebook = latest  # a retried load
    else:
        rulebook = Rulebook.objects.create(
            body=body,
            term=term,
            year=year,
            version=(latest.version + 1) if latest else 1,
            name=parsed.name[:200],
            source=text,
            created_by=by,
        )
    if publish:
        rulebook = rulebook_publish(rulebook=rulebook, by=by)
    return rulebook


@transaction.atomic
def rulebook_edit(*, rulebook: Rulebook, text: str, by) -> Rulebook:
    """Staff edit a rulebook: a draft is changed in place; a published (or
    retired) version never changes, so the edit becomes the next version, a
    draft, and the published one stays in force until that is published."""
    rulebook = Rulebook.objects.select_for_update().select_related("body").get(pk=rulebook.pk)
    if rulebook.source == text:
        return rulebook
    if rulebook.status != Rulebook.Status.DRAFT:
        return rulebook_load(body=rulebook.body, year=rulebook.year, text=text, by=by)
    parsed = _parse_for(text, body=rulebook.body, year=rulebook.year)
    term = _term_for(rulebook.body, rulebook.year, parsed.term) or rulebook.term
    rulebook.source, rulebook.name, rulebook.term = text, parsed.name[:200], term
    rulebook.save(update_fields=["source", "name", "term"])
    return rulebook


@transaction.atomic
def rulebook_publish(*, rulebook: Rulebook, by) -> Rulebook:
    """Put this version in force for its body and year; the version in force
    before it is retired (its scores keep naming it)."""
    versions = list(
        Rulebook.objects.select_for_update().of(rulebook.body_id, rulebook.year).order_by("version")
    )
    rulebook = next(r for r in versions if r.pk == rulebook.pk)
    if rulebook.status == Rulebook.Status.PUBLISHED:
        return rulebook
    for other in versions:
        if other.status == Rulebook.Status.PUBLISHED:
            other.status = Rulebook.Status.RETIRED
            other.save(update_fields=["status"])
    rulebook.status = Rulebook.Status.PUBLISHED
    rulebook.published_at = timezone.now()
    rulebook.save(update_fields=["status", "published_at"])
    return rulebook


def rulebook_in_force(*, body_id, year: int) -> Rulebook | None:
    return Rulebook.objects.of(body_id, year).published().first()


# Marks ------------------------------------------------------------------------


def _decimal(value) -> Decimal:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({"value": _("请填写数字")}) from None
    if not number.is_finite():
        raise ValidationError({"value": _("请填写数字")})
    if number != number.quantize(Decimal("0.01")):
        raise ValidationError({"value": _("评分最多保留两位小数")})
    return number.quantize(Decimal("0.01"))


@transaction.atomic
def mark_set(*, member: Member, year: int, item_code: str, value, by, note: str = "") -> Mark:
    """Enter (or change) a member's mark for a `mark` item of the year's
    rulebook (the version in force, or else the latest draft), bounded by
    the item's maximum. Entering the same mark again changes nothing."""
    body_id = Term.objects.filter(pk=member.term_id).values_list("body_id", flat=True).get()
    rulebook = annual_selectors.rulebook_of_year(body_id=body_id, year=year)
    if rulebook is None:
        raise ValidationError(_("尚未导入 %(year)s 年度的计分规则") % {"year": year})
    item = next((i for i in rulebook.parsed().items if i.code == item_code), None)
    if item is None:
        raise ValidationError(
            {"item_code": _("计分规则中没有代码为“%(code)s”的项目") % {"code": item_code}}
        )
    if item.kind != MARK:
        raise ValidationError(
            {"item_code": _("“%(name)s”按履职记录计分,不能录入评分") % {"name": item.name}}
        )
    number = _decimal(value)
    if not ZERO <= number <= item.max:
        raise ValidationError(
            {
                "value": _("“%(name)s”的评分应在 0 到 %(max)s 之间")
                % {"name": item.name, "max": item.max}
            }
        )
    note = (note or "").strip()[:300]
    key = {"member": member, "year": year, "item_code": item_code}
    mark = Mark.objects.select_for_update().filter(**key).first()
    if mark is None:
        mark = Mark(**key, value=number, note=note, entered_by=by)
        mark._history_user = by
        try:
            with transaction.atomic():
                mark.save()
            scores_follow([(member.pk, datetime.date(year, 1, 1))])
            return mark
        except IntegrityError:  # entered at the same moment by someone else: change theirs
            mark = Mark.objects.select_for_update().get(**key)
    if (mark.value, mark.note) == (number, note):
        return mark  # a double click
    mark.value, mark.note = number, note
    mark.entered_by, mark.entered_at = by, timezone.now()
    mark._history_user = by
    mark.save(update_fields=["value", "note", "entered_by", "entered_at"])
    scores_follow([(member.pk, datetime.date(year, 1, 1))])
    return mark


# Periods ----------------------------------------------------------------------


@transaction.atomic
def period_open(*, body, year: int, quarter: int) -> ScorePeriod:
    """The current version of a body's period (quarter 1–4, or 0 for the
    annual assessment), created as a draft the first time."""
    if quarter not in (0, 1, 2, 3, 4):
        raise ValidationError({"quarter": _("季度应为 1–4(年度考核为 0)")})
    period = (
        ScorePeriod.objects.filter(body=body, year=year, quarter=quarter)
        .order_by("-version")
        .first()
    )
    if period is None:
        period, _created = ScorePeriod.objects.get_or_create(
            body=body, year=year, quarter=quarter, version=1
        )
    return period


@dataclass(frozen=True)
class PeriodComputed:
    period: ScorePeriod
    members: int  # scores written
    assessed: int
    lines: int


@dataclass(frozen=True)
class _Inputs:
    """Everything the evaluation of a period reads besides the facts, read in a
    fixed number of queries."""

    members: list[MemberInput]
    marks: dict[int, dict[str, Decimal]]  # member id -> item code -> mark
    history: dict[int, dict[int, PastYear]]  # member id -> year -> final result
    adjusted: dict[int, Decimal]  # member id -> the sum of staff adjustments


def _lock(period: ScorePeriod) -> ScorePeriod:
    """The period row, locked until the computation commits.

    The guard against two computations of one period is this row lock, taken
    with NOWAIT (SELECT … FOR UPDATE NOWAIT on PostgreSQL): a second
    computation does not queue behind the first, it is refused at once, and the
    lock goes with the transaction however it ends (a killed worker's
    connection included), so nothing is left to clean up. SQLite has no row
    locks: there the database's single writer serialises the writes, and as
    each computation replaces the period's rows whole, the last one's stand."""
    try:
        return ScorePeriod.objects.select_for_update(nowait=True).get(pk=period.pk)
    except OperationalError as e:
        if getattr(e.__cause__, "pgcode", None) != "55P03":  # lock_not_available
            raise
        raise ValidationError(
            _("%(period)s正在计算中,请等这次计算完成") % {"period": period.label},
            code="running",
        ) from None


def _read_inputs(
    *, body_id, year: int, dates, rulebook: Rulebook, parsed, period=None, member_ids=None
) -> _Inputs:
    start, end = dates
    # 1. the members of the rulebook's term who sat at some time in the period,
    # with the flags rulebooks test (chairs' meeting, sector-group convenor)
    rows = (
        Member.objects.filter(term_id=rulebook.term_id, joined_on__lte=end)
        .filter(Q(left_on__isnull=True) | Q(left_on__gte=start))
        .annotate(
            chairs=Exists(
                BodyRole.objects.filter(
                    user_id=OuterRef("person__user_id"),
                    body_id=body_id,
                    role=BodyRole.Role.LEADERSHIP,
                )
            ),
            convenor=Exists(SectorGroup.objects.filter(convenor_id=OuterRef("pk"))),
        )
        .order_by("pk")
        .values_list("pk", "person_id", "is_standing", "joined_on", "left_on", "chairs", "convenor")
    )
    if member_ids is not None:
        rows = rows.filter(pk__in=member_ids)
    # approved long leave overlapping the period
    leave = LongLeave.objects.filter(
        member__term_id=rulebook.term_id, starts_on__lte=end, ends_on__gte=start
    )
    if member_ids is not None:
        leave = leave.filter(member_id__in=member_ids)
    leaves: dict[int, list] = defaultdict(list)
    for member_id, starts_on, ends_on in leave.order_by("starts_on").values_list(
        "member_id", "starts_on", "ends_on"
    ):
        leaves[member_id].append((starts_on, ends_on))
    members, person_of = [], {}
    for pk, person_id, standing, joined_on, left_on, chairs, convenor in rows:
        flags = frozenset(
            flag for flag, held in (("chairs_meeting", chairs), ("convenor", convenor)) if held
        )
        members.append(
            MemberInput(pk, standing, joined_on, left_on, flags, tuple(leaves.get(pk, ())))
        )
        person_of[pk] = person_id

    # 2. the marks staff entered for the year
    marks: dict[int, dict[str, Decimal]] = defaultdict(dict)
    entered = Mark.objects.filter(year=year, member__term_id=rulebook.term_id)
    if member_ids is not None:
        entered = entered.filter(member_id__in=member_ids)
    for member_id, code, value in entered.values_list("member_id", "item_code", "value"):
        marks[member_id][code] = value

    # 3. earlier years' final annual results, by person (a new term is a new
    # seat, the same person), as far back as the follow-up rules look
    history: dict[int, dict[int, PastYear]] = {}
    back = max((rule.years for rule in parsed.follow_ups), default=1) - 1
    if back:
        by_person = annual_selectors.past_results(
            body_id=body_id,
            years=range(year - back, year),
            person_ids=None if member_ids is None else list(person_of.values()),
        )
        for member_id, person_id in person_of.items():
            if person_id in by_person:
                history[member_id] = by_person[person_id]

    # 4. staff adjustments on the period's scores: they stay, and count
    adjusted: dict[int, Decimal] = {}
    if period is not None:
        lines = ScoreLine.objects.filter(score__period=period, is_adjustment=True)
        if member_ids is not None:
            lines = lines.filter(score__member_id__in=member_ids)
        adjusted = dict(
            lines.values("score__member_id")
            .annotate(points=Sum("points"))
            .order_by()
            .values_list("score__member_id", "points")
        )
    return _Inputs(members, marks, history, adjusted)


def _adjusted(parsed, result: reference.Result, points: Decimal, history) -> reference.Result:
    """The result with staff adjustments added to its total: the grade (with
    the vetoes that held), follow-ups and candidates follow the new total."""
    if not result.assessed or not points:
        return result
    total = reference.round_half_up(result.total + points)
    grade, before_veto, follow_ups, candidates = reference.conclude(
        parsed, total, result.vetoes, result.checklists, history
    )
    return dataclasses.replace(
        result,
        total=total,
        grade=grade,
        grade_before_veto=before_veto,
        follow_ups=follow_ups,
        candidates=candidates,
    )


def _json_categories(result: reference.Result) -> list[dict]:
    return [
        {
            "code": c.code,
            "name": c.name,
            "parent": c.parent,
            "raw": str(c.raw),
            "total": str(c.total),
            "limited_by": list(c.limited_by),
        }
        for c in result.categories
    ]


def _json_checklists(result: reference.Result) -> list[dict]:
    return [
        {
            "code": c.code,
            "name": c.name,
            "items": [
                {
                    "code": i.code,
                    "name": i.name,
                    "required": i.required,
                    "met": i.met,
                    "count": i.count,
                }
                for i in c.items
            ],
        }
        for c in result.checklists
    ]


# The evaluation of every member at once: the grouped-SQL engine. It takes
# (rulebook, members, body_id=, period=, marks=, history=) and gives
# {member id: scoring.reference.Result}; tests compare it with the reference.
evaluate_members = engine.evaluate_period


def period_evaluate(
    *, body_id, year: int, dates, rulebook: Rulebook, period=None, member_ids=None
) -> list[reference.Result]:
    """Every member's result for the dates under `rulebook`, with the staff
    adjustments of `period` (if any) in the totals; writes nothing. What a
    computation writes, and what a what-if compares."""
    parsed = rulebook.parsed()
    inputs = _read_inputs(
        body_id=body_id,
        year=year,
        dates=dates,
        rulebook=rulebook,
        parsed=parsed,
        period=period,
        member_ids=member_ids,
    )
    results = evaluate_members(
        parsed,
        inputs.members,
        body_id=body_id,
        period=dates,
        marks=inputs.marks,
        history=inputs.history,
    )
    return [
        _adjusted(
            parsed,
            results[m.id],
            inputs.adjusted.get(m.id, ZERO),
            inputs.history.get(m.id, {}),
        )
        for m in inputs.members
    ]


_SCORE_FIELDS = [
    "rulebook",
    "assessed",
    "exempt_reason",
    "share",
    "total",
    "grade",
    "grade_before_veto",
    "vetoes",
    "follow_ups",
    "candidates",
    "categories",
    "checklists",
    "computed_at",
]
_LINE_FIELDS = [
    "position",
    "category",
    "item_name",
    "matched",
    "counted",
    "points_before_cap",
    "points",
    "limited_by",
]


def _write(period, rulebook, parsed, results, now, member_ids=None) -> int:
    """Upsert the scores and their computed lines: a member's score and each of
    its lines keep their ids from one computation to the next (disputes and
    staff adjustments point at them). Rows that are no longer computed go."""
    if connection.vendor == "postgresql":
        written = _upsert_by_copy(period, rulebook, results, now)
    else:
        written = _upsert_by_orm(period, rulebook, results, now)
    # Lines of items the rulebook no longer has; scores of members no longer
    # in the period (every score computed now carries `now`).
    of_period = Score.objects.filter(period=period)
    if member_ids is not None:
        of_period = of_period.filter(member_id__in=member_ids)
    codes = [item.code for item in parsed.items]
    ScoreLine.objects.filter(score__in=of_period, is_adjustment=False).exclude(
        item_code__in=codes
    ).delete()
    stale = of_period.exclude(computed_at=now)
    ScoreLine.objects.filter(score__in=stale).delete()
    stale._raw_delete(Score.objects.db)
    return written


def _score_row(result) -> tuple:
    return (
        result.member_id,
        result.assessed,
        result.exempt_reason,
        result.share,
        result.total,
        result.grade or "",
        result.grade_before_veto or "",
        _json(list(result.vetoes)),
        _json(list(result.follow_ups)),
        _json(list(result.candidates)),
        _json(_json_categories(result)),
        _json(_json_checklists(result)),
    )


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


# COPY into a temporary table, then one INSERT … SELECT … ON CONFLICT per
# table: a province's 20,000 scores and 300,000 lines in seconds, where a
# multi-row INSERT of that many parameters spends most of its time in Python.
_SCORES_IN = """
CREATE TEMPORARY TABLE scoring_score_in (
  member_id integer, assessed boolean, exempt_reason text, share numeric, total numeric,
  grade text, grade_before_veto text, vetoes jsonb, follow_ups jsonb, candidates jsonb,
  categories jsonb, checklists jsonb
) ON COMMIT DROP"""
_SCORES_UPSERT = """
INSERT INTO scoring_score (period_id, member_id, rulebook_id, assessed, exempt_reason, share,
  total, grade, grade_before_veto, vetoes, follow_ups, candidates, categories, checklists,
  computed_at)
SELECT %(period)s, member_id, %(rulebook)s, assessed, exempt_reason, share, total, grade,
  grade_before_veto, vetoes, follow_ups, candidates, categories, checklists, %(now)s
FROM scoring_score_in
ON CONFLICT (period_id, member_id) DO UPDATE SET rulebook_id = EXCLUDED.rulebook_id,
  assessed = EXCLUDED.assessed, exempt_reason = EXCLUDED.exempt_reason,
  share = EXCLUDED.share, total = EXCLUDED.total, grade = EXCLUDED.grade,
  grade_before_veto = EXCLUDED.grade_before_veto, vetoes = EXCLUDED.vetoes,
  follow_ups = EXCLUDED.follow_ups, candidates = EXCLUDED.candidates,
  categories = EXCLUDED.categories, checklists = EXCLUDED.checklists,
  computed_at = EXCLUDED.computed_at"""
_LINES_IN = """
CREATE TEMPORARY TABLE scoring_line_in (
  member_id integer, position integer, category text, item_code text, item_name text,
  matched integer, counted integer, points_before_cap numeric, points numeric, limited_by jsonb
) ON COMMIT DROP"""
_LINES_UPSERT = """
INSERT INTO scoring_scoreline (score_id, position, category, item_code, item_name, matched,
  counted, points_before_cap, points, limited_by, is_adjustment, adjustment_reason)
SELECT s.id, l.position, l.category, l.item_code, l.item_name, l.matched, l.counted,
  l.points_before_cap, l.points, l.limited_by, false, ''
FROM scoring_line_in l JOIN scoring_score s ON s.period_id = %(period)s AND s.member_id = l.member_id
ON CONFLICT (score_id, item_code) DO UPDATE SET position = EXCLUDED.position,
  category = EXCLUDED.category, item_name = EXCLUDED.item_name, matched = EXCLUDED.matched,
  counted = EXCLUDED.counted, points_before_cap = EXCLUDED.points_before_cap,
  points = EXCLUDED.points, limited_by = EXCLUDED.limited_by
WHERE (scoring_scoreline.position, scoring_scoreline.category, scoring_scoreline.item_name,
  scoring_scoreline.matched, scoring_scoreline.counted, scoring_scoreline.points_before_cap,
  scoring_scoreline.points, scoring_scoreline.limited_by)
  IS DISTINCT FROM (EXCLUDED.position, EXCLUDED.category, EXCLUDED.item_name,
  EXCLUDED.matched, EXCLUDED.counted, EXCLUDED.points_before_cap, EXCLUDED.points,
  EXCLUDED.limited_by)"""
# (A line that did not change is not rewritten: a nightly recompute of a
# province leaves most of its 300,000 lines, and their disk pages, alone.)


def _copy(cursor, table: str, rows, nullable: str = "") -> None:
    data = io.StringIO()
    # Every text quoted, so "" stays an empty string; the csv module writes
    # None as "" too, so the columns that may be NULL say so (FORCE_NULL).
    writer = csv.writer(data, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\n")
    writer.writerows(rows)
    data.seek(0)
    force = f", FORCE_NULL ({nullable})" if nullable else ""
    cursor.cursor.copy_expert(f"COPY {table} FROM STDIN WITH (FORMAT csv{force})", data)


def _upsert_by_copy(period, rulebook, results, now) -> int:
    assert connection.in_atomic_block  # the temporary tables go with the transaction
    lines = [
        (
            result.member_id,
            position,
            line.category,
            line.item,
            line.name[:200],
            line.matched,
            line.counted,
            line.before,
            line.after,
            _json(list(line.limited_by)),
        )
        for result in results
        for position, line in enumerate(result.lines)
    ]
    names = {"period": period.pk, "rulebook": rulebook.pk, "now": now}
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS scoring_score_in, scoring_line_in")
        cursor.execute(_SCORES_IN)
        cursor.execute(_LINES_IN)
        _copy(cursor, "scoring_score_in", [_score_row(r) for r in results], nullable="total")
        cursor.execute(_SCORES_UPSERT, names)
        _copy(cursor, "scoring_line_in", lines)
        cursor.execute(_LINES_UPSERT, names)
    return len(lines)


def _upsert_by_orm(period, rulebook, results, now) -> int:
    scores = [
        Score(
            period=period,
            member_id=result.member_id,
            rulebook=rulebook,
            assessed=result.assessed,
            exempt_reason=result.exempt_reason,
            share=result.share,
            total=result.total,
            grade=result.grade or "",
            grade_before_veto=result.grade_before_veto or "",
            vetoes=list(result.vetoes),
            follow_ups=list(result.follow_ups),
            candidates=list(result.candidates),
            categories=_json_categories(result),
            checklists=_json_checklists(result),
            computed_at=now,
        )
        for result in results
    ]
    Score.objects.bulk_create(
        scores,
        update_conflicts=True,
        unique_fields=["period", "member"],
        update_fields=_SCORE_FIELDS,
    )
    lines = [
        ScoreLine(
            score_id=score.pk,
            position=position,
            category=line.category,
            item_code=line.item,
            item_name=line.name[:200],
            matched=line.matched,
            counted=line.counted,
            points_before_cap=line.before,
            points=line.after,
            limited_by=list(line.limited_by),
        )
        for score, result in zip(scores, results, strict=True)
        for position, line in enumerate(result.lines)
    ]
    ScoreLine.objects.bulk_create(
        lines,
        update_conflicts=True,
        unique_fields=["score", "item_code"],
        update_fields=_LINE_FIELDS,
    )
    return len(lines)


@transaction.atomic
def period_compute(
    *,
    period: ScorePeriod,
    member_ids=None,
    progress: Callable[[str, int, int], None] | None = None,
) -> PeriodComputed:
    """Compute every member's score and lines for the period with the rulebook
    in force for its year (or only these members', when a record of theirs
    changed), updating the period's rows in place. Staff adjustments stay
    and count. Refused for a final period, a year without a published
    rulebook, or while another computation of the same period runs.
    Idempotent: computing again gives the same rows, with the same ids.

    `progress(phase, done, total)`, when given, is told how far it got in
    members: ("evaluating", 0, 0) once the period is locked (the engine
    evaluates every member at once), ("writing", n, n) before the rows are
    written and ("done", n, n) after (scoring.jobs shows it on the job's page)."""
    report = progress or (lambda phase, done, total: None)
    period = _lock(period)
    if period.status == ScorePeriod.Status.FINAL:
        raise ValidationError(
            _("%(period)s已定稿,不能重新计算;如需更改请先重新打开") % {"period": period.label},
            code="final",
        )
    rulebook = rulebook_in_force(body_id=period.body_id, year=period.year)
    if rulebook is None:
        raise ValidationError(
            _("%(year)s 年度还没有已发布的计分规则,请先导入并发布") % {"year": period.year},
            code="no_rulebook",
        )
    report("evaluating", 0, 0)
    results = period_evaluate(
        body_id=period.body_id,
        year=period.year,
        dates=period.dates,
        rulebook=rulebook,
        period=period,
        member_ids=member_ids,
    )
    report("writing", len(results), len(results))
    now = timezone.now()
    written = _write(period, rulebook, rulebook.parsed(), results, now, member_ids)
    if member_ids is None:
        period.rulebook, period.computed_at = rulebook, now
        period.save(update_fields=["rulebook", "computed_at"])
    report("done", len(results), len(results))
    return PeriodComputed(
        period=period,
        members=len(results),
        assessed=sum(1 for r in results if r.assessed),
        lines=written,
    )


def period_compute_enqueue(*, period: ScorePeriod) -> None:
    """Compute the period on a worker once the current transaction commits."""
    from scoring.pending import task_send_on_commit
    from scoring.tasks import period_compute_task

    task_send_on_commit(period_compute_task, period_id=period.pk)
