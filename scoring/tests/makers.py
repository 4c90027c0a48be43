"""Duty facts for tests, built as the ledger would hold them (docs/duty-facts.md).

Sources name the record a fact comes from; an activity fact's source is the
activity, so that a member's two roles at one consultation share a source."""

import datetime
import itertools
import json
from pathlib import Path

from scoring.rulebook import Fact, Member, rulebook_parse

RULEBOOKS = Path(__file__).resolve().parent.parent / "rulebooks"
YEAR = 2025
_ids = itertools.count(1000)


def load(name: str):
    return rulebook_parse((RULEBOOKS / name).read_text(encoding="utf-8"))


def book(items=(), categories=None, **extra):
    """A small rulebook from Python values, through the real parser."""
    tree = {
        "format": 1,
        "name": "测试",
        "year": YEAR,
        "categories": categories or [{"code": "c", "name": "类别"}],
        "items": list(items),
        **extra,
    }
    return rulebook_parse(json.dumps(tree, ensure_ascii=False))


def day(month: int, dom: int = 1, year: int = YEAR) -> datetime.date:
    return datetime.date(year, month, dom)


def member(id=1, **kwargs) -> Member:
    return Member(id=id, **kwargs)


def _source(app, model, ref):
    return (app, model, ref if ref is not None else next(_ids))


def attended(
    m, on, activity_kind, category, *, role="participant", activity=None, status="attended"
):
    return Fact(
        m.id,
        on,
        f"activity.{status}",
        {"activity_kind": activity_kind, "category": category, "role": role},
        _source("duties", "activity", activity),
    )


def absent(m, on, activity_kind, category="meeting", activity=None):
    return attended(m, on, activity_kind, category, activity=activity, status="absent")


def excused(m, on, activity_kind, category="meeting", activity=None):
    return attended(m, on, activity_kind, category, activity=activity, status="excused")


def proposal(m, on, ref, *, role="first", proposers=1, accepted_on=None, key=False,
             excellent=False, converted_to="", kind="regular"):  # fmt: skip
    """The facts of one proposal for one proposer: submitted, and accepted or converted."""
    source = ("proposals", "proposal", ref)
    facts = [
        Fact(
            m.id,
            on,
            "proposal.submitted",
            {
                "role": role,
                "proposers": proposers,
                "proposal_kind": kind,
                "converted_to": converted_to,
                "accepted": accepted_on is not None,
            },
            source,
        )
    ]
    if accepted_on is not None:
        facts.append(
            Fact(
                m.id,
                accepted_on,
                "proposal.accepted",
                {"role": role, "proposers": proposers, "key": key, "excellent": excellent},
                source,
            )
        )
    if converted_to:
        facts.append(
            Fact(
                m.id,
                on + datetime.timedelta(days=20),
                "proposal.converted",
                {"role": role, "proposers": proposers, "converted_to": converted_to},
                source,
            )
        )
    return facts


def report(m, on, ref, *, adopted=(), instructed=(), from_proposal=False):
    """A report submitted, adopted at each (level, date) and instructed at each (level, date)."""
    source = ("reports", "socialinforeport", ref)
    facts = [Fact(m.id, on, "report.submitted", {"from_proposal": from_proposal}, source)]
    facts += [
        Fact(m.id, when, "report.adopted", {"level": level, "how": ""}, source)
        for level, when in adopted
    ]
    facts += [
        Fact(m.id, when, "report.instructed", {"level": level}, source)
        for level, when in instructed
    ]
    return facts


def verified(m, on, activity_kind, category, ref=None):
    return Fact(
        m.id,
        on,
        "duty.verified",
        {"activity_kind": activity_kind, "category": category},
        _source("duties", "selfreport", ref),
    )


def honour(m, on, level, ref=None):
    return Fact(m.id, on, "honour.awarded", {"level": level}, _source("members", "honour", ref))


def lines_of(result) -> dict:
    """{item: (matched, counted, before, after)} for comparing whole receipts."""
    return {x.item: (x.matched, x.counted, str(x.before), str(x.after)) for x in result.lines}
