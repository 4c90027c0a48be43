"""The quarterly review (季度通报): staff adjust a draft, publish it (members
see their receipt and may dispute a line for SCORE_DISPUTE_DAYS), finalise
it (locked), and reopen a final period as a new published version; scores
follow their members' records while a period is open, and say "changed
since final" once it is final.

Keyword-only, atomic, idempotent; refusals are ValidationErrors in Chinese.
A score line is disputed through duties.disputes like any duty record:
registered here, with a guard for the window."""

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from duties.disputes import disputable_register
from duties.models import Dispute
from members.models import Member, Person
from members.services import notice_send
from scoring import services
from scoring.models import Score, ScoreLine, ScorePeriod

S = ScorePeriod.Status
ADJUSTMENT_LIMIT = Decimal(1000)
ADJUSTMENT_POSITION = 1000  # after every rulebook item: a rulebook has far fewer
DOUBLE_SUBMIT = datetime.timedelta(seconds=10)


def local_text(when: datetime.datetime) -> str:
    """2025年7月8日 18:00, as people read it."""
    when = timezone.localtime(when)
    return f"{when.year}年{when.month}月{when.day}日 {when:%H:%M}"


def period_title(period: ScorePeriod) -> str:
    """The label, with the version once there is more than one."""
    if period.version > 1:
        return _("%(label)s(第 %(v)s 版)") % {"label": period.label, "v": period.version}
    return str(period.label)


def dispute_window_open(period: ScorePeriod, now=None) -> bool:
    """Members may dispute a line: the version is published and its window not past."""
    now = now or timezone.now()
    return (
        period.status == S.PUBLISHED
        and period.disputes_close_at is not None
        and now <= period.disputes_close_at
    )


def _window_closes(now) -> datetime.datetime:
    return now + datetime.timedelta(days=settings.SCORE_DISPUTE_DAYS)


def _locked(period: ScorePeriod) -> ScorePeriod:
    return ScorePeriod.objects.select_for_update().get(pk=period.pk)


def _refuse_final(period: ScorePeriod, doing: str) -> None:
    if period.status == S.FINAL:
        raise ValidationError(
            _("%(period)s已定稿,不能%(doing)s;如需更改请先重新打开")
            % {"period": period_title(period), "doing": doing},
            code="final",
        )


# Adjustments ------------------------------------------------------------------


def _points(value) -> Decimal:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({"points": _("请填写调整的分值,如 2 或 -1.5")}) from None
    if not number.is_finite():
        raise ValidationError({"points": _("请填写调整的分值,如 2 或 -1.5")})
    if number != number.quantize(Decimal("0.01")):
        raise ValidationError({"points": _("分值最多保留两位小数")})
    if not number:
        raise ValidationError({"points": _("调整分值不能为 0")})
    if abs(number) > ADJUSTMENT_LIMIT:
        raise ValidationError(
            {"points": _("调整分值应在 -%(n)s 到 %(n)s 之间") % {"n": ADJUSTMENT_LIMIT}}
        )
    return number.quantize(Decimal("0.01"))


@transaction.atomic
def score_adjust(*, score: Score, points, reason: str, by) -> ScoreLine:
    """Add a staff adjustment to a member's score: a line of its own with the
    reason, who and when, never edited afterwards (a correction is another
    adjustment), so the history is the lines. The member is computed again,
    so the total, grade and follow-ups take it in. Refused on a final period
    and for a member who is not assessed."""
    period = services._lock(score.period)  # NOWAIT: refused while a computation runs
    score = Score.objects.select_for_update().get(pk=score.pk)
    _refuse_final(period, _("调整得分"))
    errors = {}
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = [_("请填写调整理由")]
    try:
        points = _points(points)
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    if not score.assessed:
        raise ValidationError(_("该委员本期不参加考核,不能调整得分"))
    adjustments = list(
        ScoreLine.objects.filter(score=score, is_adjustment=True).order_by("position", "pk")
    )
    now = timezone.now()
    last = adjustments[-1] if adjustments else None
    if (
        last is not None
        and (last.points, last.adjustment_reason, last.adjusted_by_id) == (points, reason, by.pk)
        and now - last.adjusted_at < DOUBLE_SUBMIT
    ):
        return last  # a double click
    n = len(adjustments) + 1
    line = ScoreLine.objects.create(
        score=score,
        position=ADJUSTMENT_POSITION + n,
        category="",
        item_code=f"adjustment-{n}",
        item_name=_("人工调整"),
        points_before_cap=points,
        points=points,
        is_adjustment=True,
        adjustment_reason=reason,
        adjusted_by=by,
        adjusted_at=now,
    )
    services.period_compute(period=period, member_ids=[score.member_id])
    return line


# Publish, finalise, reopen ----------------------------------------------------


def _notify(period: ScorePeriod, persons, *, key: str, title: str, text: str) -> int:
    return notice_send(
        persons=persons,
        key=f"score-period:{period.pk}:{key}",
        title=title[:200],
        text=text,
        url=reverse("scoring:period_mine", args=[period.pk]),
    )


def _assessed_persons(period: ScorePeriod, member_ids=None):
    scores = Score.objects.filter(period=period, assessed=True)
    if member_ids is not None:
        scores = scores.filter(member_id__in=member_ids)
    return Person.objects.filter(seats__in=scores.values("member_id")).distinct()


@transaction.atomic
def period_publish(*, period: ScorePeriod, by) -> ScorePeriod:
    """Show the draft to members: each assessed member is told, with a link
    to their receipt, and may dispute a line until the window closes
    (settings.SCORE_DISPUTE_DAYS). Refused before the period is computed."""
    period = _locked(period)
    if period.status == S.PUBLISHED:
        return period  # a double click
    _refuse_final(period, _("发布"))
    if period.computed_at is None:
        raise ValidationError(
            _("%(period)s尚未计算,不能发布") % {"period": period_title(period)},
            code="not_computed",
        )
    now = timezone.now()
    period.status, period.published_at, period.published_by = S.PUBLISHED, now, by
    period.disputes_close_at = _window_closes(now)
    period.save(update_fields=["status", "published_at", "published_by", "disputes_close_at"])
    _notify(
        period,
        _assessed_persons(period),
        key="published",
        title=_("%(period)s已发布,请查看您的得分") % {"period": period_title(period)},
        text=_("如对得分有异议,请在 %(date)s 前对相应明细提出")
        % {"date": local_text(period.disputes_close_at)},
    )
    return period


def _line_type() -> ContentType:
    return ContentType.objects.get_for_model(ScoreLine)


def disputes_of_period(period: ScorePeriod):
    """The disputes of the lines of this version's scores."""
    return Dispute.objects.filter(
        content_type=_line_type(),
        object_id__in=ScoreLine.objects.filter(score__period=period).values("pk"),
    )


@transaction.atomic
def period_finalise(*, period: ScorePeriod, by) -> ScorePeriod:
    """Lock the period: no computation, adjustment or dispute afterwards.
    Refused while members may still dispute (the window is open) and while a
    dispute waits for a decision: finalising must not cut either short."""
    period = _locked(period)
    if period.status == S.FINAL:
        return period
    if period.status == S.DRAFT:
        raise ValidationError(
            _("%(period)s尚未发布,发布并经过异议期后才能定稿") % {"period": period_title(period)},
            code="draft",
        )
    now = timezone.now()
    if dispute_window_open(period, now):
        raise ValidationError(
            _("异议期至 %(date)s 截止,截止后才能定稿")
            % {"date": local_text(period.disputes_close_at)},
            code="window_open",
        )
    waiting = disputes_of_period(period).filter(status=Dispute.Status.OPEN).count()
    if waiting:
        raise ValidationError(
            _("还有 %(n)s 条异议待处理,请逐条处理后再定稿") % {"n": waiting},
            code="disputes_open",
        )
    period.status, period.finalised_at, period.finalised_by = S.FINAL, now, by
    period.save(update_fields=["status", "finalised_at", "finalised_by"])
    return period


def latest_version(period: ScorePeriod) -> ScorePeriod:
    return (
        ScorePeriod.objects.filter(body_id=period.body_id, year=period.year, quarter=period.quarter)
        .order_by("-version")
        .first()
    )


def _copy_fields(model, *leave_out: str) -> list[str]:
    """The columns a copy of a row takes over (every one the model has now)."""
    return [f.attname for f in model._meta.concrete_fields if f.attname not in ("id", *leave_out)]


@transaction.atomic
def period_reopen(*, period: ScorePeriod, reason: str, by) -> ScorePeriod:
    """Make the next version of a final period: a copy of it (staff
    adjustments included, with their reasons, who and when), computed again
    from the records as they are now, published with a new dispute window.
    The final version stays as it was. Members whose total or grade changes
    are told."""
    period = _locked(period)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请填写重新打开的理由")})
    latest = latest_version(period)
    if latest.pk != period.pk:
        if latest.reopened_from_id == period.pk:
            return latest  # a double click
        raise ValidationError(
            _("%(period)s已有更新的第 %(v)s 版,请在最新版本上操作")
            % {"period": period.label, "v": latest.version}
        )
    if period.status != S.FINAL:
        raise ValidationError(
            _("%(period)s尚未定稿,无需重新打开") % {"period": period_title(period)},
            code="not_final",
        )
    now = timezone.now()
    new = ScorePeriod.objects.create(
        body_id=period.body_id,
        year=period.year,
        quarter=period.quarter,
        version=period.version + 1,
        status=S.PUBLISHED,
        rulebook_id=period.rulebook_id,
        created_at=now,
        computed_at=period.computed_at,
        published_at=now,
        published_by=by,
        disputes_close_at=_window_closes(now),
        reopened_from=period,
        reopen_reason=reason,
        reopened_by=by,
    )
    score_fields = _copy_fields(Score, "period_id", "changed_since_final_at")
    line_fields = _copy_fields(ScoreLine, "score_id")
    old_scores = list(Score.objects.filter(period=period).order_by("pk"))
    copies = Score.objects.bulk_create(
        [Score(period=new, **{name: getattr(s, name) for name in score_fields}) for s in old_scores]
    )
    copy_of = {old.pk: copy.pk for old, copy in zip(old_scores, copies, strict=True)}
    ScoreLine.objects.bulk_create(
        [
            ScoreLine(
                score_id=copy_of[line.score_id],
                **{name: getattr(line, name) for name in line_fields},
            )
            for line in ScoreLine.objects.filter(score__period=period)
        ]
    )
    services.period_compute(period=new)
    before = {s.member_id: (s.total, s.grade) for s in old_scores}
    changed = [
        member_id
        for member_id, total, grade in Score.objects.filter(period=new).values_list(
            "member_id", "total", "grade"
        )
        if before.get(member_id) != (total, grade)
    ]
    if changed:
        _notify(
            new,
            _assessed_persons(new, changed),
            key="reopened",
            title=_("%(period)s重新发布,您的得分有变化") % {"period": period_title(new)},
            text=_("如对得分有异议,请在 %(date)s 前对相应明细提出")
            % {"date": local_text(new.disputes_close_at)},
        )
    return new


# Scores follow the records ----------------------------------------------------


@dataclass
class Followed:
    """What scores_follow_records did, per period id."""

    recomputed: dict[int, int] = field(default_factory=dict)  # period -> members
    flagged: dict[int, int] = field(default_factory=dict)  # period -> scores marked changed
    cleared: dict[int, int] = field(default_factory=dict)
    busy: list[int] = field(default_factory=list)  # periods being computed: try again
    refused: dict[int, list[str]] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "recomputed": self.recomputed,
            "flagged": self.flagged,
            "cleared": self.cleared,
            "busy": self.busy,
            "refused": self.refused,
        }


def _latest_versions(body_ids, years) -> list[ScorePeriod]:
    """The latest version of every period of these bodies and years, in one query."""
    seen, latest = set(), []
    for period in (
        ScorePeriod.objects.filter(body_id__in=body_ids, year__in=years)
        .select_related("rulebook")
        .order_by("body_id", "year", "quarter", "-version")
    ):
        key = (period.body_id, period.year, period.quarter)
        if key not in seen:
            seen.add(key)
            latest.append(period)
    return latest


def scores_follow_records(*, changes: Iterable[tuple[int, datetime.date]]) -> Followed:
    """Members' facts changed on these dates (scoring.facts.facts_refresh
    tells which): compute those members again in each open period (the
    latest version, draft or published) that the dates fall in, and in each
    final one mark the scores the records no longer give as "changed since
    final" instead (and unmark those they give again). A fixed number of
    queries per period, however many members."""
    earliest: dict[int, dict[int, datetime.date]] = defaultdict(dict)  # year -> member -> date
    for member_id, on in changes:
        earliest[on.year][member_id] = min(on, earliest[on.year].get(member_id, on))
    done = Followed()
    if not earliest:
        return done
    member_ids = {m for members in earliest.values() for m in members}
    body_of = dict(Member.objects.filter(pk__in=member_ids).values_list("pk", "term__body_id"))
    for period in _latest_versions(set(body_of.values()), list(earliest)):
        if period.computed_at is None:
            continue  # never computed: staff compute it whole
        end = period.dates[1]
        members = sorted(
            member_id
            for member_id, on in earliest[period.year].items()
            if on <= end and body_of.get(member_id) == period.body_id
        )
        if not members:
            continue
        if period.status == S.FINAL:
            flagged, cleared = _flag_changed_since_final(period, members)
            if flagged:
                done.flagged[period.pk] = flagged
            if cleared:
                done.cleared[period.pk] = cleared
            continue
        try:
            computed = services.period_compute(period=period, member_ids=members)
        except ValidationError as error:
            if error.code == "running":
                done.busy.append(period.pk)
            else:
                done.refused[period.pk] = error.messages
        else:
            done.recomputed[period.pk] = computed.members
    return done


def _line_key(lines) -> set:
    return {(code, matched, counted, points) for code, matched, counted, points in lines}


@transaction.atomic
def _flag_changed_since_final(period: ScorePeriod, member_ids: list[int]) -> tuple[int, int]:
    """Compare the final scores of these members with what their records give
    now, under the rulebook that made them; mark those that differ."""
    if period.rulebook is None:
        return 0, 0
    results = {
        r.member_id: r
        for r in services.period_evaluate(
            body_id=period.body_id,
            year=period.year,
            dates=period.dates,
            rulebook=period.rulebook,
            period=period,
            member_ids=member_ids,
        )
    }
    stored_lines = defaultdict(list)
    for score_id, *line in ScoreLine.objects.filter(
        score__period=period, score__member_id__in=member_ids, is_adjustment=False
    ).values_list("score_id", "item_code", "matched", "counted", "points"):
        stored_lines[score_id].append(line)
    differ, same = [], []
    for score in Score.objects.filter(period=period, member_id__in=member_ids).only(
        "pk", "member_id", "assessed", "total", "grade", "changed_since_final_at"
    ):
        now = results.get(score.member_id)
        changed = (
            now is None
            or (now.assessed, now.total, now.grade or "")
            != (score.assessed, score.total, score.grade)
            or _line_key((x.item, x.matched, x.counted, x.after) for x in now.lines)
            != _line_key(stored_lines[score.pk])
        )
        if changed and score.changed_since_final_at is None:
            differ.append(score.pk)
        elif not changed and score.changed_since_final_at is not None:
            same.append(score.pk)
    if differ:
        Score.objects.filter(pk__in=differ).update(changed_since_final_at=timezone.now())
    if same:
        Score.objects.filter(pk__in=same).update(changed_since_final_at=None)
    return len(differ), len(same)


# Disputes of score lines --------------------------------------------------------


def line_summary(line: ScoreLine) -> str:
    """2025 年第 2 季度通报 · 参加视察 · 4.00 分"""
    return _("%(period)s · %(item)s · %(points)s 分") % {
        "period": period_title(line.score.period),
        "item": line.item_name,
        "points": line.points,
    }


def _line_guard(line: ScoreLine) -> None:
    period = line.score.period
    if period.status == S.PUBLISHED and dispute_window_open(period):
        return
    if period.status == S.PUBLISHED:
        raise ValidationError(
            _("%(period)s的异议期已于 %(date)s 截止")
            % {"period": period_title(period), "date": local_text(period.disputes_close_at)},
            code="window_closed",
        )
    raise ValidationError(
        _("%(period)s不在异议期内,不能提出异议") % {"period": period_title(period)},
        code="no_window",
    )


def _line_url(line: ScoreLine) -> str:
    return reverse("scoring:score_receipt", args=[line.score_id]) + f"#line-{line.pk}"


disputable_register(
    ScoreLine,
    summarise=line_summary,
    member_of=lambda line: line.score.member_id,
    apply=None,  # staff correct the underlying record (which recomputes), or reject
    date_of=lambda line: line.score.period.dates[1],
    select_related=("score__period",),
    guard=_line_guard,
    url_of=_line_url,
)
