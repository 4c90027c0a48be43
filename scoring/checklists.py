"""Checklists (六个一 and the like) as members and staff read them.

A member's checklist is the one stored on their annual score (computed
nightly by scoring.annual.annual_drafts_refresh), each item met or missing;
the records that met an item are opened with the receipt (scoring.receipts,
which evaluates that one member again) and summarised with a link. Staff read
the committee's compliance: per sector and sector group the members, how many
completed every required item and the rate, the aims beside it (never in the
rate: docs/rulebook-format.md), and who misses what."""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import prefetch_related_objects
from django.urls import reverse
from django.utils.translation import gettext as _

from duties.disputes import disputable_for
from scoring import receipts
from scoring.models import Score

# Summaries of the records a checklist item can open --------------------------------


@dataclass(frozen=True)
class RecordLink:
    text: str
    url: str = ""


# Where a member opens each kind of record.
URLS = {
    ("duties", "participation"): lambda p: reverse("duties:activity", args=[p.activity_id]),
    ("duties", "selfreportedduty"): lambda d: reverse("duties:duty_detail", args=[d.pk]),
    ("proposals", "proposal"): lambda p: reverse("proposals:detail", args=[p.pk]),
    ("reports", "socialinforeport"): lambda r: reverse("reports:detail", args=[r.pk]),
}
# One line per record for the kinds the dispute registry (duties.disputes),
# which summarises attendance and self-reported duties, does not know.
TEXTS = {
    ("proposals", "proposal"): lambda p: _("提案:%(title)s") % {"title": p.title},
    ("reports", "socialinforeport"): lambda r: _("社情民意信息:%(title)s") % {"title": r.title},
    ("members", "honour"): lambda h: _("表彰:%(title)s") % {"title": h.title},
}


def record_links(sources) -> dict[tuple, RecordLink]:
    """A summary and a link for each source: one query per kind of record and
    per relation its summary reads, however many records."""
    found = receipts.records_of(sources)
    by_kind: dict[tuple, list] = {}
    for (app_label, model, _pk), record in found.items():
        by_kind.setdefault((app_label, model), []).append(record)
    registered = {kind: disputable_for(f"{kind[0]}.{kind[1]}") for kind in by_kind}
    for kind, records in by_kind.items():
        if registered[kind] is not None and registered[kind].select_related:
            prefetch_related_objects(records, *registered[kind].select_related)
    links = {}
    for source in map(tuple, sources):
        record, kind = found.get(source), source[:2]
        if record is None:
            links[source] = RecordLink(_("(该记录已删除)"))
            continue
        entry = registered[kind]
        text = entry.summarise(record) if entry else TEXTS.get(kind, str)(record)
        links[source] = RecordLink(text, URLS[kind](record) if kind in URLS else "")
    return links


# A member's checklists -------------------------------------------------------------


@dataclass
class ItemView:
    code: str
    name: str
    required: bool
    met: bool
    count: int
    records: list[RecordLink] = field(default_factory=list)
    changed: bool = False  # the records now say otherwise: tonight's computation will show it


@dataclass
class ChecklistView:
    code: str
    name: str
    items: list[ItemView]

    @property
    def required(self) -> list[ItemView]:
        return [i for i in self.items if i.required]

    @property
    def aims(self) -> list[ItemView]:
        return [i for i in self.items if not i.required]

    @property
    def required_met(self) -> int:
        return sum(1 for i in self.required if i.met)

    @property
    def complete(self) -> bool:
        return self.required_met == len(self.required)


def member_checklists(score: Score) -> list[ChecklistView]:
    """The score's checklists with, for each item met, the records that met it."""
    if not score.assessed or not score.checklists:
        return []
    opened = receipts.receipt(score).checklists
    sources = [s for items in opened.values() for found in items.values() for s in found]
    links = record_links(sources)
    needed = {
        (c.code, i.code): i.at_least for c in score.rulebook.parsed().checklists for i in c.items
    }
    views = []
    for checklist in score.checklists:
        now = opened.get(checklist["code"], {})
        items = []
        for item in checklist["items"]:
            found = now.get(item["code"], ())
            met_now = len(found) >= needed.get((checklist["code"], item["code"]), 1)
            items.append(
                ItemView(
                    code=item["code"],
                    name=item["name"],
                    required=item["required"],
                    met=item["met"],
                    count=item["count"],
                    records=[links[tuple(s)] for s in found],
                    changed=met_now != item["met"],
                )
            )
        views.append(ChecklistView(checklist["code"], checklist["name"], items))
    return views


# The committee's compliance --------------------------------------------------------


def percent(part: int, whole: int) -> str:
    if not whole:
        return "—"
    value = (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)
    return f"{value}%"


@dataclass(frozen=True)
class ItemInfo:
    code: str
    name: str
    required: bool


@dataclass
class ComplianceRow:
    label: str
    members: int = 0
    complete: int = 0
    required_met: int = 0  # over every member and required item
    required_total: int = 0
    met: dict = field(default_factory=dict)  # item code -> members who met it
    key: object = None  # the sector or group
    cells_list: list = field(default_factory=list)  # cells(items), for the template

    @property
    def rate(self) -> str:
        """Members who met every required item, of the members."""
        return percent(self.complete, self.members)

    @property
    def item_rate(self) -> str:
        """Required items met, of the required items of every member."""
        return percent(self.required_met, self.required_total)

    def add(self, items: list[ItemInfo], checklist: dict) -> None:
        met = {i["code"]: i["met"] for i in checklist["items"]}
        required = [i for i in items if i.required]
        self.members += 1
        self.required_total += len(required)
        done = sum(1 for i in required if met.get(i.code))
        self.required_met += done
        self.complete += done == len(required)
        for item in items:
            self.met[item.code] = self.met.get(item.code, 0) + bool(met.get(item.code))

    def cells(self, items: list[ItemInfo]) -> list[tuple[ItemInfo, int, str]]:
        return [
            (i, self.met.get(i.code, 0), percent(self.met.get(i.code, 0), self.members))
            for i in items
        ]


@dataclass
class Missing:
    score: Score
    required: list[str]  # names of required items missing
    aims: list[str]  # names of aims not met


@dataclass
class Compliance:
    code: str
    name: str
    items: list[ItemInfo]
    total: ComplianceRow
    sectors: list[ComplianceRow]
    groups: list[ComplianceRow]
    missing: list[Missing]

    @property
    def required_items(self) -> list[ItemInfo]:
        return [i for i in self.items if i.required]

    @property
    def aims(self) -> list[ItemInfo]:
        return [i for i in self.items if not i.required]


def compliance(
    scores: list[Score],
    checklist,  # scoring.rulebook.types.Checklist
    *,
    item: str = "",
    sector_id: int | None = None,
    group_id: int | None = None,
) -> Compliance:
    """The compliance table of one checklist over the assessed scores, and the
    members who miss what (every required item missing, or only `item`, of
    a sector or group when asked)."""
    items = [ItemInfo(i.code, i.name, i.required) for i in checklist.items]
    total = ComplianceRow(_("全体"))
    sectors: dict = {}
    groups: dict = {}
    missing = []
    names = {i.code: i.name for i in items}
    for score in scores:
        if not score.assessed:
            continue
        mine = next((c for c in score.checklists if c["code"] == checklist.code), None)
        if mine is None:
            continue
        member = score.member
        total.add(items, mine)
        sector = sectors.get(member.sector_id)
        if sector is None:
            sector = sectors[member.sector_id] = ComplianceRow(
                member.sector.name, key=member.sector
            )
        sector.add(items, mine)
        if member.group_id is not None:
            group = groups.get(member.group_id)
            if group is None:
                group = groups[member.group_id] = ComplianceRow(member.group.name, key=member.group)
            group.add(items, mine)
        met = {i["code"]: i["met"] for i in mine["items"]}
        lacking = [i for i in items if not met.get(i.code)]
        required = [names[i.code] for i in lacking if i.required]
        aims = [names[i.code] for i in lacking if not i.required]
        listed = any(i.code == item for i in lacking) if item else bool(required)
        if sector_id is not None and member.sector_id != sector_id:
            listed = False
        if group_id is not None and member.group_id != group_id:
            listed = False
        if listed:
            missing.append(Missing(score, required, aims))
    missing.sort(
        key=lambda m: (-len(m.required), m.score.member.sector.order, m.score.member.number)
    )
    for row in [total, *sectors.values(), *groups.values()]:
        row.cells_list = row.cells(items)
    return Compliance(
        code=checklist.code,
        name=checklist.name,
        items=items,
        total=total,
        sectors=sorted(sectors.values(), key=lambda r: (r.key.order, r.key.pk)),
        groups=sorted(groups.values(), key=lambda r: (r.key.order, r.key.pk)),
        missing=missing,
    )
