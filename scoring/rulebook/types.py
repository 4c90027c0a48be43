"""What a parsed rulebook is, what the engine reads (members and duty facts), and
the fact kinds a rulebook may name. Every class is frozen: a rulebook is a value.
The format itself is described in docs/rulebook-format.md."""

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

FORMAT_VERSION = 1

# The closed vocabularies of fact attributes (docs/duty-facts.md). They mirror
# duties.models.Category / Participation.Role, proposals.models.Proposer.Role /
# Proposal.Kind / Proposal.ConvertedTo and reports.models.Level; a test keeps
# them in step. Activity kind codes are per body (duties.ActivityKind.code), so
# they are open here and checked against the body when a rulebook is loaded.
ACTIVITY_CATEGORIES = (
    "inspection",
    "research",
    "consultation",
    "supervision",
    "training",
    "meeting",
    "speech",
    "good_deed",
    "attraction",
    "liaison",
    "pairing",
    "visit",
    "other",
)
ACTIVITY_ROLES = ("participant", "speaker", "convenor")
ORGANISERS = ("office", "committee", "group")
AUDIENCES = ("all", "standing", "committee", "group", "named")
PROPOSER_ROLES = ("first", "co")
PROPOSAL_KINDS = ("plenary", "regular")
CONVERTED_TO = ("", "report", "opinion", "letter")
LEVELS = ("county", "city", "province", "national")


@dataclass(frozen=True)
class Attr:
    """One attribute of a fact kind: its type and, when closed, its values."""

    type: type  # str, int or bool
    values: tuple = ()  # empty: any value of the type


_ACTIVITY = {
    "activity_kind": Attr(str),
    "category": Attr(str, ACTIVITY_CATEGORIES),
    "role": Attr(str, ACTIVITY_ROLES),
    "organiser": Attr(str, ORGANISERS),
    "audience": Attr(str, AUDIENCES),
}
_PROPOSER = {"role": Attr(str, PROPOSER_ROLES), "proposers": Attr(int)}

FACT_KINDS: Mapping[str, Mapping[str, Attr]] = {
    "activity.attended": _ACTIVITY,
    "activity.excused": _ACTIVITY,
    "activity.absent": _ACTIVITY,
    "proposal.submitted": {
        **_PROPOSER,
        "proposal_kind": Attr(str, PROPOSAL_KINDS),
        "converted_to": Attr(str, CONVERTED_TO),
        "accepted": Attr(bool),
    },
    "proposal.accepted": {**_PROPOSER, "key": Attr(bool), "excellent": Attr(bool)},
    "proposal.converted": {**_PROPOSER, "converted_to": Attr(str, CONVERTED_TO)},
    "report.submitted": {"from_proposal": Attr(bool)},
    "report.used": {"issue": Attr(str)},
    "report.adopted": {"level": Attr(str, LEVELS), "how": Attr(str)},
    "report.instructed": {"level": Attr(str, LEVELS)},
    "duty.verified": {"activity_kind": Attr(str), "category": Attr(str, ACTIVITY_CATEGORIES)},
    "honour.awarded": {"level": Attr(str, LEVELS)},
}
# Kinds whose facts carry the proposer's role and the number of proposers: the
# only ones joint-work sharing (by_role, split) applies to.
SHARED_KINDS = frozenset(
    k for k, attrs in FACT_KINDS.items() if {"role", "proposers"} <= attrs.keys()
)
MARK = "mark"  # an item scored by a mark staff enter, not by facts

MODES = ("add", "deduct")
SHARES = ("full", "by_role", "split")
WINDOWS = ("year", "quarter", "month", "period")
GROUP_SCORES = ("average", "sum")


# --- the input the engine reads -------------------------------------------------


@dataclass(frozen=True)
class Member:
    """What scoring needs of a member (members.Member): conditions, not facts."""

    id: int
    standing: bool = False
    joined_on: datetime.date | None = None
    left_on: datetime.date | None = None
    flags: frozenset[str] = frozenset()  # roles such as "chairs_meeting"
    leaves: tuple[tuple[datetime.date, datetime.date], ...] = ()  # approved long leave


@dataclass(frozen=True)
class Fact:
    """One duty fact (scoring.DutyFact): see docs/duty-facts.md."""

    member_id: int
    on: datetime.date
    kind: str
    attrs: Mapping[str, object] = field(default_factory=dict)
    source: tuple = ()  # (app label, model, id): the record a receipt line opens


@dataclass(frozen=True)
class PastYear:
    """A final result of an earlier year, for the consecutive-years rules."""

    total: Decimal
    grade: str | None = None


# --- the rulebook ------------------------------------------------------------------


@dataclass(frozen=True)
class Condition:
    """attr equals one of `values` (or, negated, none of them)."""

    attr: str
    values: tuple
    negated: bool = False

    def holds(self, attrs: Mapping[str, object]) -> bool:
        if self.attr not in attrs:
            return False  # an attribute the fact does not carry matches nothing
        value = attrs[self.attr]
        found = any(type(value) is type(v) and value == v for v in self.values)
        return found != self.negated


@dataclass(frozen=True)
class FactFilter:
    kind: str
    where: tuple[Condition, ...] = ()

    def matches(self, fact: Fact) -> bool:
        return fact.kind == self.kind and all(c.holds(fact.attrs) for c in self.where)


@dataclass(frozen=True)
class Who:
    """Conditions on the member: standing member or not, has one of the flags."""

    standing: bool | None = None
    flags: tuple[str, ...] = ()

    def holds(self, member: Member) -> bool:
        if self.standing is not None and member.standing != self.standing:
            return False
        return not self.flags or bool(set(self.flags) & member.flags)


@dataclass(frozen=True)
class Points:
    """A number per fact, or a table keyed by one attribute of the fact."""

    value: Decimal | None = None
    by: str | None = None
    table: tuple[tuple[str, Decimal], ...] = ()

    def of(self, attrs: Mapping[str, object]) -> Decimal | None:
        """The points of one fact, or None when the table has no row for it."""
        if self.by is None:
            return self.value
        return dict(self.table).get(attrs.get(self.by))


@dataclass(frozen=True)
class Item:
    code: str
    name: str
    category: str
    kind: str  # a fact kind, or MARK
    points: Points = Points()
    where: tuple[Condition, ...] = ()
    who: Who = Who()
    share: str = "full"
    first_share: Decimal | None = None  # split: the first proposer's fraction
    first: int | None = None  # only the first N facts of each window count
    from_nth: int | None = None  # only the Nth fact of each window and later count
    per: str = "year"  # the window of first / from_nth
    cap: Decimal | None = None
    floor: Decimal | None = None
    group: str | None = None  # take-highest group: one fact per source record
    max: Decimal | None = None  # marks: the highest mark staff may enter
    note: str = ""

    @property
    def filter(self) -> FactFilter:
        return FactFilter(self.kind, self.where)


@dataclass(frozen=True)
class Category:
    code: str
    name: str
    parent: str | None = None
    mode: str = "add"
    base: Decimal = Decimal(0)
    cap: Decimal | None = None
    floor: Decimal | None = None
    note: str = ""


@dataclass(frozen=True)
class Band:
    name: str
    min: Decimal | None  # inclusive; None only on the last (lowest) band


@dataclass(frozen=True)
class Veto:
    code: str
    name: str
    cap_grade: str
    item: str | None = None  # the facts an item matched (before its limits) ...
    match: FactFilter | None = None  # ... or facts matched directly
    at_least: int = 1
    checklist_incomplete: str | None = None  # ... or a checklist with a required item missing
    note: str = ""


@dataclass(frozen=True)
class FollowUp:
    """Raised when, in each of `years` consecutive years ending with this one,
    the grade is one of `grades` and/or the total is below `total_below`."""

    code: str
    name: str
    grades: tuple[str, ...] = ()
    total_below: Decimal | None = None
    years: int = 1
    note: str = ""


@dataclass(frozen=True)
class Candidate:
    code: str
    name: str
    grades: tuple[str, ...] = ()
    total_at_least: Decimal | None = None
    no_veto: bool = False
    checklist_complete: str | None = None
    note: str = ""


@dataclass(frozen=True)
class ChecklistItem:
    code: str
    name: str
    match: tuple[FactFilter, ...]  # any of them
    required: bool = True  # False: an aim, shown beside the compliance rate
    at_least: int = 1
    note: str = ""


@dataclass(frozen=True)
class Checklist:
    code: str
    name: str
    items: tuple[ChecklistItem, ...]
    note: str = ""


@dataclass(frozen=True)
class GroupCandidates:
    """Advanced sector groups (先进界别小组候选): the groups among the `top` N
    by score (ties at the Nth place all included) and/or scoring at least
    `at_least`; both when both are given."""

    top: int | None = None
    at_least: Decimal | None = None
    name: str = ""
    note: str = ""


@dataclass(frozen=True)
class Assessed:
    """Who is assessed at all, and how time away is treated."""

    exempt_flags: tuple[str, ...] = ()
    exempt_joined_after: datetime.date | None = None
    exempt_on_leave: bool = False
    prorate: bool = False
    min_share: Decimal | None = None


@dataclass(frozen=True)
class Rulebook:
    name: str
    year: int
    categories: tuple[Category, ...]
    items: tuple[Item, ...]
    grades: tuple[Band, ...] = ()
    format: int = FORMAT_VERSION
    body: str = ""
    term: int | None = None
    notes: tuple[str, ...] = ()
    assessed: Assessed = Assessed()
    total_cap: Decimal | None = None
    total_floor: Decimal | None = None
    vetoes: tuple[Veto, ...] = ()
    follow_ups: tuple[FollowUp, ...] = ()
    candidates: tuple[Candidate, ...] = ()
    checklists: tuple[Checklist, ...] = ()
    group_score: str | None = None  # "average" (also when None) or "sum"
    group_candidates: GroupCandidates | None = None

    def category(self, code: str) -> Category:
        return next(c for c in self.categories if c.code == code)

    def item(self, code: str) -> Item:
        return next(i for i in self.items if i.code == code)
