"""A Rulebook back to text, leaving out what is the default, so that
rulebook_parse(rulebook_dump(r)) == r."""

import json
from decimal import Decimal

import yaml

from .types import MARK, Condition, FactFilter, Points, Rulebook, Who


def rulebook_dump(rulebook: Rulebook, *, fmt: str | None = None) -> str:
    """YAML, or JSON with fmt="json"."""
    tree = rulebook_tree(rulebook)
    if fmt in (None, "yaml"):
        return yaml.safe_dump(tree, allow_unicode=True, sort_keys=False, width=100)
    return json.dumps(tree, ensure_ascii=False, indent=2) + "\n"


def _num(value: Decimal):
    return int(value) if value == value.to_integral_value() else float(value)


def _note(out: dict, note: str):
    if note:
        out["note"] = note
    return out


def _where(conditions: tuple[Condition, ...]) -> dict:
    out = {}
    for c in conditions:
        value = c.values[0] if len(c.values) == 1 else list(c.values)
        out[c.attr] = {"not": value} if c.negated else value
    return out


def _filter(f: FactFilter) -> dict:
    out = {"kind": f.kind}
    if f.where:
        out["where"] = _where(f.where)
    return out


def _points(p: Points):
    if p.by is None:
        return _num(p.value)
    return {"by": p.by, "values": {k: _num(v) for k, v in p.table}}


def _who(w: Who) -> dict:
    out = {}
    if w.standing is not None:
        out["standing"] = w.standing
    if w.flags:
        out["flags"] = list(w.flags)
    return out


def _cap_floor(out: dict, thing) -> dict:
    if thing.cap is not None:
        out["cap"] = _num(thing.cap)
    if thing.floor is not None:
        out["floor"] = _num(thing.floor)
    return out


def rulebook_tree(r: Rulebook) -> dict:
    """The plain tree of a rulebook (what the file holds)."""
    out: dict = {"format": r.format, "name": r.name}
    if r.body:
        out["body"] = r.body
    if r.term is not None:
        out["term"] = r.term
    out["year"] = r.year
    if r.notes:
        out["notes"] = list(r.notes)

    a = r.assessed
    assessed: dict = {}
    if a.exempt_flags:
        assessed["exempt_flags"] = list(a.exempt_flags)
    if a.exempt_joined_after:
        assessed["exempt_joined_after"] = a.exempt_joined_after.isoformat()
    if a.exempt_on_leave:
        assessed["exempt_on_leave"] = True
    if a.prorate:
        assessed["prorate"] = True
    if a.min_share is not None:
        assessed["min_share"] = _num(a.min_share)
    if assessed:
        out["assessed"] = assessed
    total = {}
    if r.total_cap is not None:
        total["cap"] = _num(r.total_cap)
    if r.total_floor is not None:
        total["floor"] = _num(r.total_floor)
    if total:
        out["total"] = total

    out["categories"] = []
    for c in r.categories:
        cat: dict = {"code": c.code, "name": c.name}
        if c.parent:
            cat["parent"] = c.parent
        if c.mode != "add":
            cat["mode"] = c.mode
            cat["base"] = _num(c.base)
        out["categories"].append(_note(_cap_floor(cat, c), c.note))

    out["items"] = []
    for i in r.items:
        item: dict = {"code": i.code, "name": i.name, "category": i.category, "kind": i.kind}
        if i.where:
            item["where"] = _where(i.where)
        if _who(i.who):
            item["who"] = _who(i.who)
        if i.kind == MARK:
            item["max"] = _num(i.max)
        else:
            item["points"] = _points(i.points)
        if i.share != "full":
            item["share"] = i.share
        if i.first_share is not None:
            item["first_share"] = _num(i.first_share)
        if i.first is not None:
            item["first"] = i.first
        if i.from_nth is not None:
            item["from_nth"] = i.from_nth
        if i.per != "year":
            item["per"] = i.per
        if i.group:
            item["group"] = i.group
        out["items"].append(_note(_cap_floor(item, i), i.note))

    if r.grades:
        out["grades"] = [
            {"name": b.name} if b.min is None else {"name": b.name, "min": _num(b.min)}
            for b in r.grades
        ]
    if r.vetoes:
        out["vetoes"] = []
        for v in r.vetoes:
            veto: dict = {"code": v.code, "name": v.name}
            if v.item:
                veto["item"] = v.item
            if v.match:
                veto["match"] = _filter(v.match)
            if v.checklist_incomplete:
                veto["checklist_incomplete"] = v.checklist_incomplete
            if v.at_least != 1:
                veto["at_least"] = v.at_least
            veto["cap_grade"] = v.cap_grade
            out["vetoes"].append(_note(veto, v.note))
    if r.follow_ups:
        out["follow_ups"] = []
        for f in r.follow_ups:
            follow: dict = {"code": f.code, "name": f.name}
            if f.grades:
                follow["grades"] = list(f.grades)
            if f.total_below is not None:
                follow["total_below"] = _num(f.total_below)
            if f.years != 1:
                follow["years"] = f.years
            out["follow_ups"].append(_note(follow, f.note))
    if r.candidates:
        out["candidates"] = []
        for c in r.candidates:
            cand: dict = {"code": c.code, "name": c.name}
            if c.grades:
                cand["grades"] = list(c.grades)
            if c.total_at_least is not None:
                cand["total_at_least"] = _num(c.total_at_least)
            if c.no_veto:
                cand["no_veto"] = True
            if c.checklist_complete:
                cand["checklist_complete"] = c.checklist_complete
            out["candidates"].append(_note(cand, c.note))
    if r.checklists:
        out["checklists"] = []
        for c in r.checklists:
            items = []
            for ci in c.items:
                match = [_filter(m) for m in ci.match]
                entry: dict = {
                    "code": ci.code,
                    "name": ci.name,
                    "match": match[0] if len(match) == 1 else match,
                }
                if not ci.required:
                    entry["required"] = False
                if ci.at_least != 1:
                    entry["at_least"] = ci.at_least
                items.append(_note(entry, ci.note))
            out["checklists"].append(
                _note({"code": c.code, "name": c.name, "items": items}, c.note)
            )
    if r.group_score is not None:
        out["sector_groups"] = {"score": r.group_score}
        c = r.group_candidates
        if c is not None:
            cand: dict = {}
            if c.name:
                cand["name"] = c.name
            if c.top is not None:
                cand["top"] = c.top
            if c.at_least is not None:
                cand["at_least"] = _num(c.at_least)
            out["sector_groups"]["candidates"] = _note(cand, c.note)
    return out
