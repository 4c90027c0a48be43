"""A score read like a receipt: each line with the records that made it.

The province-wide computation (scoring.engine) stores per line how many facts
matched and counted, not which: the records are found when a receipt is
opened, by evaluating that one member again with the reference evaluator and
the very rulebook version that made the score. Both evaluators agree (a test
holds them to it), so a line opens exactly its records, unless a record
changed after the score was computed; then the line says so instead of
showing records that no longer add up to it."""

from collections import defaultdict
from dataclasses import dataclass

from django.apps import apps

from scoring import reference
from scoring.models import DutyFact, Score, ScoreLine
from scoring.rulebook import Fact


@dataclass(frozen=True)
class ReceiptLine:
    line: ScoreLine
    sources: tuple[tuple, ...]  # (app label, model, id) of the facts that counted
    changed: bool  # the records no longer give this line's numbers


@dataclass(frozen=True)
class Receipt:
    score: Score
    lines: list[ReceiptLine]
    # checklist code -> item code -> sources of the records that met it
    checklists: dict[str, dict[str, tuple[tuple, ...]]]

    @property
    def changed(self) -> bool:
        return any(x.changed for x in self.lines)


def member_result(score: Score) -> reference.Result:
    """The member's result by the reference evaluator, from the records as
    they are now, under the rulebook version that made `score` (staff
    adjustments are not in it: they are lines of their own)."""
    from scoring.services import _read_inputs

    period = score.period
    rulebook = score.rulebook
    parsed = rulebook.parsed()
    dates = period.dates
    inputs = _read_inputs(
        body_id=period.body_id,
        year=period.year,
        dates=dates,
        rulebook=rulebook,
        parsed=parsed,
        member_ids=[score.member_id],
    )
    member = next((m for m in inputs.members if m.id == score.member_id), None)
    if member is None:  # no longer in the period's membership
        return reference.Result(score.member_id, assessed=False)
    facts = [
        Fact(fact.member_id, fact.on, fact.kind, fact.attrs, fact.source)
        for fact in DutyFact.objects.filter(member_id=score.member_id).between(*dates)
    ]
    return reference.evaluate(
        parsed,
        member,
        facts,
        inputs.marks.get(member.id, {}),
        dates,
        inputs.history.get(member.id, {}),
    )


def receipt(score: Score) -> Receipt:
    """The score's lines (in order), each with its records' sources."""
    result = member_result(score)
    computed = {line.item: line for line in result.lines}
    lines = []
    for line in score.lines.all():
        if line.is_adjustment:
            lines.append(ReceiptLine(line, (), False))
            continue
        now = computed.get(line.item_code)
        changed = now is None or (now.matched, now.counted, now.after) != (
            line.matched,
            line.counted,
            line.points,
        )
        lines.append(ReceiptLine(line, () if now is None else now.sources, changed))
    checklists = {c.code: {i.code: i.sources for i in c.items} for c in result.checklists}
    return Receipt(score, lines, checklists)


def records_of(sources) -> dict[tuple, object]:
    """The records the sources name, one query per kind of record:
    {(app label, model, id): record}; a record deleted since is missing."""
    wanted = defaultdict(set)
    for app_label, model, pk in sources:
        wanted[(app_label, model)].add(pk)
    found = {}
    for (app_label, model), pks in wanted.items():
        cls = apps.get_model(app_label, model)
        for record in cls._default_manager.filter(pk__in=pks):
            found[(app_label, model, record.pk)] = record
    return found
