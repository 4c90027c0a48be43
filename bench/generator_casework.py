"""Proposals (提案) and social-information reports (社情民意信息) for the generator.

`CaseworkBuilder(seed=…, now=…, user=…).build(terms)` adds, to terms already in the
database (members, groups and plenary sessions made by bench.generator):

- handling units (承办单位) per body, each with one contact login (`unit-<unit id>`);
- for every plenary session up to `now`: proposals at about PROPOSAL_RATE a sitting
  member, 70 % plenary (大会提案, submitted during the plenary) and 30 % regular
  (平时提案, through the year); 90 % by a member (40 % of them with co-proposers),
  the rest by a sector group or a party; some from a pre-registered topic;
- review: ~74 % accepted with numbers gap-free per session and kind in order of
  acceptance (and the counter row), ~7 % rejected, ~7 % merged into an accepted
  proposal of the session, ~10 % converted (half of them to a report), ~2 %
  withdrawn; recent ones still waiting;
- handling: one sole unit (70 %) or a lead and assisting units, the reply deadline
  three months on, a few objections and reassignments, replies A–D (~12 % late, and
  in the current year ~7 % not yet replied: overdue), the first proposer's rating,
  one round of re-handling after 不满意, closing; key (重点) and excellent flags;
- a ProposalEvent for every change of state (and routing, reply, rating, flag);
- reports at about REPORT_RATE a member-year (skewed: a few members write many) and
  a few per sector group, plus the reports converted from proposals: submitted,
  accepted, edited into the bulletin (weekly issues; fortnightly in a county) or not
  used, adopted by upper levels, instructed by leaders, each step a ReportEvent.

States follow proposals.states and reports.states; every time is at or before
`now`. Rows go in with COPY on PostgreSQL (ids handed out from the table's
sequence first) and bulk_create elsewhere, term by term so memory stays bounded.
"""

import calendar
import datetime
import io
import math
import random
from collections import defaultdict

from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from members.models import Member, Party
from proposals.models import (
    HandlingUnit,
    Proposal,
    ProposalEvent,
    ProposalNumber,
    Proposer,
    Rating,
    Reply,
    Routing,
    Topic,
)
from reports.models import (
    Level,
    ReportAdoption,
    ReportEvent,
    ReportInstruction,
    SocialInfoReport,
)
from sectors.models import Body, PlenarySession, SectorGroup

# Proposals a year per sitting member (all kinds of proposer): M gets about 20,000
# over its ten years, about 2,000 routings a year.
PROPOSAL_RATE = 0.95
PLENARY_SHARE = 0.7
# Reports a year per sitting member, and per sector group.
REPORT_RATE = 2.0
GROUP_REPORT_RATE = 1.5
REPLY_MONTHS = 3  # settings.PROPOSAL_REPLY_MONTHS, fixed here so a seed gives the same rows
REHANDLING_MONTHS = 1
UNUSABLE_PASSWORD = "!generated"

P = Proposal.Status
RS = Routing.Status
R = SocialInfoReport.Status
RV = ReportEvent.Verb
# Labels as plain strings: formatting a lazy translation for every row is slow.
ROLE_LABELS = {k: str(v) for k, v in Routing.Role.choices}
RESULT_LABELS = {k: str(v) for k, v in Reply.Result.choices}
SATISFACTION_LABELS = {k: str(v) for k, v in Rating.Satisfaction.choices}
CONVERTED_LABELS = {k: str(v) for k, v in Proposal.ConvertedTo.choices}
LEVEL_LABELS = {k: str(v) for k, v in Level.choices}
MODE_LABELS = {k: str(v) for k, v in ReportAdoption.Mode.choices}

# fmt: off
# Handling units: (name after the place, category it mostly handles, city only).
UNITS = (
    ("发展和改革委员会", "economy", False), ("工业和信息化局", "economy", False),
    ("商务局", "economy", False), ("财政局", "economy", False), ("地方金融管理局", "economy", True),
    ("市场监督管理局", "society", False), ("科学技术局", "economy", False),
    ("行政审批局", "economy", False), ("数据局", "economy", True), ("农业农村局", "economy", False),
    ("教育局", "society", False), ("民政局", "society", False),
    ("人力资源和社会保障局", "society", False), ("卫生健康委员会", "society", False),
    ("医疗保障局", "society", False), ("住房和城乡建设局", "society", False),
    ("交通运输局", "society", False), ("城市管理局", "society", False),
    ("退役军人事务局", "society", True), ("应急管理局", "society", False),
    ("公安局", "politics", False), ("司法局", "politics", False), ("信访局", "politics", True),
    ("人民法院", "politics", False), ("人民检察院", "politics", True), ("审计局", "politics", True),
    ("文化广电和旅游局", "culture", False), ("体育局", "culture", True), ("档案馆", "culture", True),
    ("生态环境局", "ecology", False), ("自然资源和规划局", "ecology", False),
    ("水利局", "ecology", False), ("林业局", "ecology", True), ("总工会", "society", True),
    ("妇女联合会", "society", True), ("残疾人联合会", "society", False),
    ("供电公司", "economy", True), ("公共交通集团", "society", True),
)
# (topic, category, the units it usually goes to)
CASE_TOPICS = (
    ("优化营商环境", "economy", ("发展和改革委员会", "行政审批局", "市场监督管理局")),
    ("民营企业融资", "economy", ("地方金融管理局", "财政局")),
    ("数字经济发展", "economy", ("数据局", "工业和信息化局")),
    ("新能源汽车产业发展", "economy", ("工业和信息化局", "发展和改革委员会")),
    ("预制菜产业发展", "economy", ("农业农村局", "市场监督管理局")),
    ("科技创新平台建设", "economy", ("科学技术局",)),
    ("人才公寓建设", "economy", ("人力资源和社会保障局", "住房和城乡建设局")),
    ("乡村振兴", "economy", ("农业农村局",)),
    ("高标准农田建设", "economy", ("农业农村局", "自然资源和规划局")),
    ("养老服务体系建设", "society", ("民政局", "卫生健康委员会")),
    ("社区居家养老", "society", ("民政局",)),
    ("婴幼儿托育服务", "society", ("卫生健康委员会", "教育局")),
    ("义务教育优质均衡发展", "society", ("教育局",)),
    ("中小学生心理健康", "society", ("教育局", "卫生健康委员会")),
    ("职业教育产教融合", "society", ("教育局", "人力资源和社会保障局")),
    ("基层医疗卫生服务", "society", ("卫生健康委员会", "医疗保障局")),
    ("老旧小区改造", "society", ("住房和城乡建设局",)),
    ("城市交通拥堵治理", "society", ("交通运输局", "公安局")),
    ("公交线路优化", "society", ("交通运输局", "公共交通集团")),
    ("食品安全监管", "society", ("市场监督管理局",)),
    ("残疾人就业帮扶", "society", ("残疾人联合会", "人力资源和社会保障局")),
    ("基层社会治理", "politics", ("民政局", "司法局")),
    ("矛盾纠纷多元化解", "politics", ("司法局", "信访局", "人民法院")),
    ("法治化营商环境", "politics", ("司法局", "人民法院", "人民检察院")),
    ("非物质文化遗产保护传承", "culture", ("文化广电和旅游局",)),
    ("文旅融合发展", "culture", ("文化广电和旅游局",)),
    ("历史文化街区保护", "culture", ("文化广电和旅游局", "自然资源和规划局")),
    ("全民健身设施建设", "culture", ("体育局",)),
    ("城乡污水治理", "ecology", ("生态环境局", "水利局", "住房和城乡建设局")),
    ("河湖长制落实", "ecology", ("水利局",)),
    ("生活垃圾分类", "ecology", ("城市管理局",)),
    ("农村人居环境整治", "ecology", ("农业农村局", "生态环境局")),
    ("大气污染防治", "ecology", ("生态环境局",)),
    ("电动自行车充电安全", "other", ("应急管理局", "供电公司")),
)
TITLE_FORMS = ("关于{t}的建议", "关于加快{t}的建议", "关于进一步加强{t}的建议", "关于推进{t}的提案",
               "关于完善{t}工作机制的建议", "关于做好{t}工作的几点建议")
CONTENT = ("一、基本情况:近年来,{p}{t}工作取得一定成效。二、存在问题:{v}等地仍存在短板,"
           "群众反映较多。三、建议:{w}。")
SUGGESTIONS = ("加强统筹协调,明确责任分工", "加大财政投入,完善考核机制", "建立长效机制,强化督查落实",
               "开展试点示范,及时总结推广", "畅通群众反映渠道,提升服务水平")
REPORT_FORMS = ("关于{t}中存在问题的情况反映", "群众对{t}的意见和建议", "{p}{t}亟待加强",
                "关于{t}的几点建议", "基层反映{t}推进中的困难")
REPORT_CONTENT = "近期在{v}等地走访了解到,{t}方面仍存在一些问题,群众意见较多。建议{w}。"
PLACES = ("新桥", "柳湾", "东坝", "石桥", "杨庄", "南塘", "大河", "清风", "莲花", "古井")
REJECT_REASONS = ("属于个人诉求,不宜作为提案", "建议事项已有明确政策规定", "内容空泛,缺乏具体建议",
                  "涉及党政机关内部事务", "一事多议,内容不够集中")
OBJECTIONS = ("该事项不属于本单位职责范围", "主要职能已划转至其他部门", "建议由属地政府主办")
REPLIES = {
    "A": "经研究,所提建议已采纳,相关措施正在落实中。",
    "B": "所提建议已列入明年工作计划,正在逐步解决。",
    "C": "受资金和政策条件限制,所提建议留作今后工作参考。",
    "D": "已将有关情况向提案者作了说明。",
}
UNSATISFIED = ("答复未针对所提问题,措施不具体", "答复后未见实际进展", "办理过程中未与提案者沟通")
NOT_USED_REASONS = ("内容与已编报信息重复", "所反映问题已在解决中", "情况不够具体,缺少事实和数据",
                    "不属于社情民意信息范围")
# fmt: on


def add_months(day: datetime.date, months: int) -> datetime.date:
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


# Writing rows ---------------------------------------------------------------------------


class _Table:
    """Rows of one table as tuples (id first), with ids handed out before they are
    written: COPY returns none, and other rows point at them."""

    def __init__(self, model, *columns: str):
        self.model = model
        self.columns = ("id", *columns)
        self.rows: list[tuple] = []
        self._free: list[int] = []
        self._block = 500  # ids taken from the sequence at a time, doubling as rows come
        self._next: int | None = None
        self._copy = connection.vendor == "postgresql"
        self.written = 0

    def new_id(self) -> int:
        if self._free:
            return self._free.pop()
        if not self._copy:  # one writer: the ids after the largest one
            if self._next is None:
                last = self.model.objects.order_by("-pk").values_list("pk", flat=True).first()
                self._next = (last or 0) + 1
            self._next += 1
            return self._next - 1
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [self.model._meta.db_table, self._block],
            )
            self._free = [row[0] for row in cursor.fetchall()][::-1]
        self._block = min(self._block * 2, 50_000)
        return self._free.pop()

    def add(self, *values) -> int:
        """Append a row (without its id); returns the new id."""
        pk = self.new_id()
        self.rows.append((pk, *values))
        return pk

    def flush(self):
        if not self.rows:
            return
        if self._copy:
            _copy(self.model, self.columns, self.rows)
        else:
            self.model.objects.bulk_create(
                (self.model(**dict(zip(self.columns, row, strict=True))) for row in self.rows),
                batch_size=2000,
            )
        self.written += len(self.rows)
        self.rows = []


_ESCAPE = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _text(value) -> str:
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        return value.translate(_ESCAPE)
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ")
    return str(value)


def _copy(model, columns, rows, chunk: int = 50_000):
    opts = model._meta
    quote = connection.ops.quote_name
    names = ", ".join(quote(opts.get_field(c).column if c != "id" else "id") for c in columns)
    sql = f"COPY {quote(opts.db_table)} ({names}) FROM STDIN"
    with connection.cursor() as cursor:
        for i in range(0, len(rows), chunk):
            text = "".join("\t".join([_text(v) for v in row]) + "\n" for row in rows[i : i + chunk])
            cursor.copy_expert(sql, io.StringIO(text))


# The builder ------------------------------------------------------------------------------


class _Case:
    """One proposal while it is simulated, before it becomes rows."""

    __slots__ = (
        "category",
        "closed",
        "co",
        "content",
        "converted_to",
        "created",
        "decided",
        "events",
        "first",
        "group_id",
        "id",
        "is_excellent",
        "is_key",
        "key_leader",
        "kind",
        "merged_into",
        "number",
        "outcome",
        "party",
        "proposer_kind",
        "reason",
        "routed",
        "session",
        "status",
        "submitted",
        "title",
        "topic",
        "topic_id",
        "units",
    )  # fmt: skip

    def __init__(self):
        for name in self.__slots__:
            setattr(self, name, None)
        self.co = []
        self.events = []
        self.is_key = self.is_excellent = False


class CaseworkBuilder:
    def __init__(self, *, seed: int, now: datetime.datetime, user):
        self.rng = random.Random(f"{seed}-proposals")
        self.report_rng = random.Random(f"{seed}-reports")
        self.tz = timezone.get_default_timezone()
        self.now = now
        self.cut = timezone.localtime(now, self.tz).date()
        self.user_id = user.pk
        self.counts = defaultdict(int)
        self._pending_ratings: list[tuple] = []
        self._pending_routings: list[tuple] = []
        t = _Table
        self.proposals = t(
            Proposal, "body_id", "session_id", "kind", "topic_id", "title", "category",
            "content", "proposer_kind", "proposer_group_id", "proposer_party", "status",
            "cosign_deadline", "number", "is_key", "key_leader", "is_excellent",
            "merged_into_id", "converted_to", "decision_reason", "created_by_id", "created_at",
            "submitted_at", "accepted_at", "closed_at",
        )  # fmt: skip
        self.suggested = t(Proposal.suggested_units.through, "proposal_id", "handlingunit_id")
        self.topics = t(
            Topic, "session_id", "member_id", "group_id", "title", "description", "category",
            "status", "created_by_id", "created_at",
        )  # fmt: skip
        self.proposers = t(
            Proposer, "proposal_id", "member_id", "role", "status", "order", "invited_at",
            "answered_at",
        )  # fmt: skip
        self.numbers = t(ProposalNumber, "session_id", "kind", "last")
        self.events = t(
            ProposalEvent, "proposal_id", "by_id", "at", "verb", "from_status", "to_status", "note"
        )
        self.routings = t(
            Routing, "proposal_id", "unit_id", "role", "status", "routed_at", "deadline",
            "objection", "objected_at", "last_reminded_on",
        )  # fmt: skip
        self.replies = t(Reply, "routing_id", "round", "result", "text", "file", "by_id", "at")
        self.ratings = t(Rating, "proposal_id", "round", "satisfaction", "comment", "by_id", "at")
        self.reports = t(
            SocialInfoReport, "body_id", "term_id", "author_member_id", "author_group_id",
            "author_party", "title", "content", "bulletin_text", "status", "bulletin_year",
            "bulletin_issue", "not_used_reason", "from_proposal_id", "created_by_id",
            "created_at", "updated_at", "submitted_at", "reviewed_at",
        )  # fmt: skip
        self.report_events = t(
            ReportEvent, "report_id", "by_id", "at", "verb", "from_status", "to_status", "note"
        )
        self.adoptions = t(
            ReportAdoption, "report_id", "level", "mode", "adopted_on", "note", "created_by_id",
            "created_at",
        )  # fmt: skip
        self.instructions = t(
            ReportInstruction, "report_id", "level", "leader", "instructed_on", "text",
            "created_by_id", "created_at",
        )  # fmt: skip
        self._order = (
            self.topics, self.proposals, self.suggested, self.proposers, self.numbers,
            self.routings, self.replies, self.ratings, self.events, self.reports,
            self.report_events, self.adoptions, self.instructions,
        )  # fmt: skip

    def build(self, terms) -> dict:
        terms = sorted(terms, key=lambda t: (t.body_id, t.starts_on))
        bodies = {t.body_id: t.body for t in terms}
        self._units(bodies)
        for term in terms:
            pool = self._pool(term)
            conversions = []
            for session in pool["sessions"]:
                conversions += self._session(pool, session)
            self._reports(pool, conversions)
            for table in self._order:
                table.flush()
        for name, table in (
            ("proposals", self.proposals),
            ("proposers", self.proposers),
            ("routings", self.routings),
            ("replies", self.replies),
            ("proposal_events", self.events),
            ("reports", self.reports),
            ("adoptions", self.adoptions),
            ("instructions", self.instructions),
        ):
            self.counts[name] = table.written
        return dict(self.counts)

    # Handling units and their contacts.
    def _units(self, bodies):
        units = []
        for body in bodies.values():
            place = body.name.removesuffix("政协")
            city = body.level == Body.Level.CITY
            for name, _category, city_only in UNITS:
                if city or not city_only:
                    label = f"国网{place[:-1]}供电公司" if name == "供电公司" else f"{place}{name}"
                    units.append(HandlingUnit(body=body, name=label))
        HandlingUnit.objects.bulk_create(units)
        user_model = get_user_model()
        contacts = user_model.objects.bulk_create(
            user_model(
                username=f"unit-{unit.pk}",
                first_name="联络员",
                password=UNUSABLE_PASSWORD,
                is_active=True,
            )
            for unit in units
        )
        through = HandlingUnit.contacts.through
        through.objects.bulk_create(
            through(handlingunit_id=unit.pk, user_id=user.pk)
            for unit, user in zip(units, contacts, strict=True)
        )
        self.units = defaultdict(dict)  # body id -> unit key -> (unit id, contact id)
        self.unit_names = {}
        categories = {name: category for name, category, _ in UNITS}
        self.units_by_category = defaultdict(list)
        for unit, user in zip(units, contacts, strict=True):
            place = unit.body.name.removesuffix("政协")
            key = "供电公司" if unit.name.endswith("供电公司") else unit.name.removeprefix(place)
            self.units[unit.body_id][key] = (unit.pk, user.pk)
            self.unit_names[unit.pk] = unit.name
            self.units_by_category[unit.body_id, categories[key]].append((unit.pk, user.pk))
        self.counts["handling_units"] = len(units)

    def _pool(self, term) -> dict:
        members = [
            (pk, group, joined.toordinal(), left.toordinal() if left else 10**7)
            for pk, group, joined, left in Member.objects.filter(term=term)
            .order_by("pk")
            .values_list("pk", "group_id", "joined_on", "left_on")
        ]
        parties = sorted(
            set(
                Member.objects.filter(term=term)
                .exclude(person__party__in=(Party.CPC, Party.NON_PARTY, Party.MASSES))
                .values_list("person__party", flat=True)
            )
        )
        place = term.body.name.removesuffix("政协")
        return {
            "term": term,
            "body": term.body,
            "place": place,
            "city_place": (term.body.parent or term.body).name.removesuffix("政协"),
            "level": Level.CITY if term.body.level == Body.Level.CITY else Level.COUNTY,
            "members": members,
            "groups": list(
                SectorGroup.objects.filter(term=term)
                .order_by("order", "pk")
                .values_list("pk", flat=True)
            ),
            "parties": parties or [Party.CNDCA],
            "sessions": list(PlenarySession.objects.filter(term=term).order_by("starts_on")),
        }

    # Small helpers.
    def _at(self, day: datetime.date, rng=None, hours=(8, 18)) -> datetime.datetime:
        rng = rng or self.rng
        return datetime.datetime.combine(
            day, datetime.time(rng.randint(hours[0], hours[1] - 1), rng.randint(0, 59)), self.tz
        )

    def _later(self, at, lo_days, hi_days, rng=None) -> datetime.datetime:
        """A working-hours time `lo_days`..`hi_days` days after `at`."""
        rng = rng or self.rng
        day = timezone.localtime(at, self.tz).date() + datetime.timedelta(
            days=rng.randint(lo_days, hi_days)
        )
        moment = self._at(day, rng)
        return moment if moment > at else at + datetime.timedelta(minutes=rng.randint(5, 120))

    @staticmethod
    def _sitting(members, day: datetime.date):
        d = day.toordinal()
        return [m for m in members if m[2] <= d <= m[3]]

    def _topic(self, rng):
        return rng.choice(CASE_TOPICS)

    # Proposals of one plenary session ------------------------------------------------------
    def _session(self, pool, session) -> list[dict]:
        rng = self.rng
        if session.starts_on > self.cut:
            return []
        year = session.year
        at_plenary = self._sitting(pool["members"], session.starts_on)
        if not at_plenary:
            return []
        total = self._poisson(len(at_plenary) * PROPOSAL_RATE, rng)
        cases = [
            self._plenary_case(pool, session, at_plenary)
            for _ in range(round(total * PLENARY_SHARE))
        ]
        # Regular proposals through the rest of the year, as far as `now`.
        first = session.ends_on + datetime.timedelta(days=1)
        last = min(datetime.date(year, 12, 31), self.cut)
        if first <= last:
            share = (last - first).days / 365
            months = {}
            for _ in range(round(total * (1 - PLENARY_SHARE) * share / (1 - 15 / 365))):
                day = first + datetime.timedelta(days=rng.randint(0, (last - first).days))
                if day.month not in months:
                    months[day.month] = self._sitting(pool["members"], day.replace(day=15))
                if months[day.month]:
                    cases.append(self._regular_case(pool, session, day, months[day.month]))
        cases = [c for c in cases if c is not None]
        self._review(pool, session, cases)
        for case in cases:
            if case.number is not None:
                self._handle(pool, case)
        return self._emit(pool, session, cases)

    def _new_case(self, pool, session, kind, members) -> _Case:
        rng = self.rng
        case = _Case()
        case.session, case.kind = session, kind
        topic, case.category, case.units = self._topic(rng)
        case.topic = topic
        case.title = rng.choice(TITLE_FORMS).format(t=topic)
        case.content = CONTENT.format(
            p=pool["place"], t=topic, v=rng.choice(PLACES), w=rng.choice(SUGGESTIONS)
        )
        roll = rng.random()
        if roll < 0.06 and pool["groups"]:
            case.proposer_kind, case.group_id = (
                Proposal.ProposerKind.GROUP,
                rng.choice(pool["groups"]),
            )
        elif roll < 0.10:
            case.proposer_kind, case.party = (
                Proposal.ProposerKind.PARTY,
                rng.choice(pool["parties"]),
            )
        else:
            case.proposer_kind = Proposal.ProposerKind.MEMBER
            case.first = rng.choice(members)
        case.party = case.party or ""
        return case

    def _plenary_case(self, pool, session, members) -> _Case:
        rng = self.rng
        case = self._new_case(pool, session, Proposal.Kind.PLENARY, members)
        case.created = self._at(session.starts_on - datetime.timedelta(days=rng.randint(8, 40)))
        self._cosigners(case, members)
        span = (session.ends_on - session.starts_on).days
        submitted = self._at(session.starts_on + datetime.timedelta(days=rng.randint(0, span)))
        self._submit(case, submitted, latest=datetime.datetime.combine(
            session.ends_on, datetime.time(18), self.tz))  # fmt: skip
        return case

    def _regular_case(self, pool, session, day, members) -> _Case:
        case = self._new_case(pool, session, Proposal.Kind.REGULAR, members)
        case.created = self._at(day)
        self._cosigners(case, members)
        submitted = self._later(case.created, 0, 6)
        year_end = datetime.datetime.combine(
            datetime.date(session.year, 12, 31), datetime.time(18), self.tz
        )
        self._submit(case, submitted, latest=year_end)
        return case

    def _cosigners(self, case, members):
        """Co-proposers of a member's proposal: invited, then confirmed, declined or
        left to expire; the proposal goes back to a draft when nobody is left to answer."""
        rng = self.rng
        case.events.append((case.created, "created", "", P.DRAFT, "", self.user_id))
        if case.first is None or rng.random() >= 0.4 or len(members) < 8:
            return
        k = rng.choices((1, 2, 3, 4, 5, 6, 8), (30, 25, 18, 12, 8, 5, 2))[0]
        same_group = [m for m in members if m[1] == case.first[1] and m is not case.first]
        chosen = {}
        for _ in range(k * 3):
            if len(chosen) >= k:
                break
            pick = rng.choice(same_group if same_group and rng.random() < 0.6 else members)
            if pick is not case.first:
                chosen[pick[0]] = pick
        invited = case.created + datetime.timedelta(hours=rng.randint(1, 30))
        deadline = datetime.datetime.combine(
            timezone.localtime(invited, self.tz).date() + datetime.timedelta(days=5),
            datetime.time(23, 59, 59),
            self.tz,
        )
        for member in chosen.values():
            answer = rng.choices(("confirmed", "declined", "expired"), (90, 6, 4))[0]
            answered = None
            if answer != "expired":
                answered = invited + datetime.timedelta(hours=rng.randint(1, 96))
            case.co.append([member, answer, invited, answered])
        case.events.append((invited, "invited", P.DRAFT, P.INVITING, "", self.user_id))
        expired = any(a == "expired" for _, a, _, _ in case.co)
        closes = deadline if expired else max(row[3] for row in case.co)
        if expired:
            case.events.append((deadline, "cosign_expired", "", "", "", None))
        case.events.append((closes, "cosign_closed", P.INVITING, P.DRAFT, "", self.user_id))
        case.submitted = closes  # submission comes after this at the earliest

    def _submit(self, case, submitted, *, latest):
        if case.submitted is not None:  # after the joint signing closed
            submitted = max(submitted, case.submitted + datetime.timedelta(hours=1))
        case.submitted = None
        if submitted > latest:
            case.status = P.DRAFT  # too late for this session: never submitted
            return
        if submitted > self.now:
            invited = any(e[1] == "invited" for e in case.events)
            closes = case.events[-1][0] if invited else None
            case.status = P.INVITING if closes and closes > self.now else P.DRAFT
            case.events = [e for e in case.events if e[0] <= self.now]
            return
        case.submitted = submitted
        case.status = P.SUBMITTED
        case.events.append((submitted, "submitted", P.DRAFT, P.SUBMITTED, "", self.user_id))

    # Review: outcomes, merges, numbers.
    def _review(self, pool, session, cases):
        rng = self.rng
        for case in cases:
            if case.status != P.SUBMITTED:
                continue
            if case.kind == Proposal.Kind.PLENARY:
                decided = self._later(case.submitted, 10, 50)
            else:
                decided = self._later(case.submitted, 5, 30)
            outcome = rng.choices(
                (P.ACCEPTED, P.REJECTED, P.MERGED, P.CONVERTED, P.WITHDRAWN), (74, 7, 7, 10, 2)
            )[0]
            if outcome == P.WITHDRAWN:
                decided = self._later(case.submitted, 1, 5)
            if decided > self.now:
                continue  # still waiting for review
            case.outcome, case.decided = outcome, decided
            if outcome == P.ACCEPTED:
                case.routed = self._later(decided, 3, 20)
        accepted = [c for c in cases if c.outcome == P.ACCEPTED]
        for case in cases:
            if case.outcome != P.MERGED:
                continue
            # Into an accepted proposal of the session, still submitted or accepted then.
            targets = [
                t
                for t in accepted
                if t.submitted <= case.decided and t.routed > case.decided and t is not case
            ]
            same = [t for t in targets if t.category == case.category]
            if targets:
                case.merged_into = rng.choice(same or targets)
            else:
                case.outcome = P.ACCEPTED
                case.routed = self._later(case.decided, 3, 20)
        by_kind = defaultdict(list)
        for case in cases:
            if case.outcome == P.ACCEPTED:
                by_kind[case.kind].append(case)
        for kind, rows in by_kind.items():
            rows.sort(key=lambda c: c.decided)
            for number, case in enumerate(rows, 1):
                case.number = number
            self.numbers.add(session.pk, kind, len(rows))
        for case in cases:
            self._decide(case)

    def _decide(self, case):
        rng = self.rng
        outcome, at = case.outcome, case.decided
        if outcome is None:
            return
        case.status = outcome
        note = ""
        if outcome == P.REJECTED:
            case.reason = note = rng.choice(REJECT_REASONS)
        elif outcome == P.MERGED:
            target = case.merged_into
            accepted = target.decided <= at
            note = f"并入第{target.number:04d}号" if accepted else f"并入{target.title}"
            target.events.append((at, "merged_from", "", "", f"并入:{case.title}", self.user_id))
        elif outcome == P.CONVERTED:
            case.converted_to = rng.choices(Proposal.ConvertedTo.values, (55, 35, 10))[0]
            note = "转为" + CONVERTED_LABELS[case.converted_to]
        verb = {P.ACCEPTED: "accepted", P.REJECTED: "rejected", P.MERGED: "merged",
                P.CONVERTED: "converted", P.WITHDRAWN: "withdrawn"}[outcome]  # fmt: skip
        case.events.append((at, verb, P.SUBMITTED, outcome, note, self.user_id))

    # Handling of an accepted proposal.
    def _handle(self, pool, case):
        rng = self.rng
        body_id = pool["body"].pk
        leader = rng.random() < 0.04
        if leader:
            flagged = self._later(case.decided, 5, 25)
            if flagged <= self.now:
                chief = pool["place"][-1]
                case.is_key = True
                case.key_leader = rng.choice(
                    (
                        f"{pool['place']}政协主席",
                        f"{pool['place']}政协副主席",
                        f"{pool['place']}副{chief}长",
                    )
                )
                case.events.append(
                    (flagged, "flag_key", "", "", f"督办领导:{case.key_leader}", self.user_id)
                )
        routed = case.routed
        if routed > self.now:
            return  # accepted, waiting to be routed
        case.status = P.ROUTED
        units = self._choose_units(body_id, case)
        deadline = add_months(timezone.localdate(routed, self.tz), REPLY_MONTHS)
        roles = (
            [Routing.Role.SOLE]
            if len(units) == 1
            else [Routing.Role.LEAD] + [Routing.Role.ASSIST] * (len(units) - 1)
        )
        summary = ";".join(
            f"{ROLE_LABELS[role]}:{self.unit_names[unit[0]]}"
            for unit, role in zip(units, roles, strict=True)
        )
        case.events.append(
            (routed, "routed", P.ACCEPTED, P.ROUTED, f"{summary};答复期限 {deadline:%Y年%m月%d日}",
             self.user_id)
        )  # fmt: skip
        recent = case.session.year >= self.cut.year - 1
        stall = 0.07 if case.session.year == self.cut.year else 0.01 if recent else 0.0
        # Live routings: [unit, role, routed_at, deadline, replies {round: at}, objection]
        live = []
        for unit, role in zip(units, roles, strict=True):
            routing = {"unit": unit, "role": role, "routed": routed, "deadline": deadline,
                       "replies": {}, "status": RS.ROUTED}  # fmt: skip
            if rng.random() < 0.025:
                routing = self._objection(case, routing, units, live, body_id)
            live.append(routing)
        results = {}
        for routing in live:
            if routing["status"] == RS.OBJECTED:
                continue
            responsible = routing["role"] != Routing.Role.ASSIST
            if not responsible and rng.random() < 0.15:
                continue  # an assisting unit that does not write
            if rng.random() < stall:
                continue  # not replied yet
            if rng.random() < 0.12:
                at = self._at(routing["deadline"] + datetime.timedelta(days=rng.randint(3, 45)))
            else:
                at = self._later(routing["routed"], 25, 85)
            if at <= self.now:
                routing["replies"][1] = at
                routing["status"] = RS.REPLIED
                result = rng.choices("ABCD", (55, 35, 8, 2))[0]
                results[id(routing)] = [result]
        responsible = [r for r in live if r["role"] != Routing.Role.ASSIST]
        # Every routing's reply events; the proposal's status moves when the responsible
        # units have all replied.
        replied_at = None
        if all(1 in r["replies"] for r in responsible):
            replied_at = max(r["replies"][1] for r in responsible)
        rating_round = 1
        while replied_at is not None:
            case.status = P.REPLIED
            case.events.append(
                (replied_at, "replied",
                 P.ROUTED if rating_round == 1 else P.REHANDLING, P.REPLIED, "", None)
            )  # fmt: skip
            rated = self._later(replied_at, 5, 30)
            if rated > self.now:
                break
            best = min(results[id(r)][-1] for r in responsible)
            weights = {"A": (80, 19, 1), "B": (55, 40, 5)}.get(best, (25, 50, 25))
            if rating_round == 1:
                weights = (weights[0], weights[1], weights[2] + 3)
            else:
                weights = (35, 45, 20)
            satisfaction = rng.choices(Rating.Satisfaction.values, weights)[0]
            comment = rng.choice(UNSATISFIED) if satisfaction == "unsatisfied" else ""
            self._pending_ratings.append((case, rating_round, satisfaction, comment, rated))
            label = SATISFACTION_LABELS[satisfaction]
            case.events.append(
                (rated, "rated", "", "", f"第{rating_round}轮:{label}" + (f";{comment}" if comment else ""),
                 self.user_id)
            )  # fmt: skip
            if satisfaction == "unsatisfied" and rating_round == 1:
                rating_round = 2
                case.status = P.REHANDLING
                again = add_months(timezone.localdate(rated, self.tz), REHANDLING_MONTHS)
                case.events.append(
                    (rated, "rehandling", P.REPLIED, P.REHANDLING,
                     f"重新办理答复期限 {again:%Y年%m月%d日}", self.user_id)
                )  # fmt: skip
                for routing in live:
                    if routing["status"] in (RS.ROUTED, RS.REPLIED):
                        routing["status"] = RS.REHANDLING
                        routing["deadline"] = again
                        routing["rehandled"] = rated
                        if routing["role"] == Routing.Role.ASSIST and rng.random() < 0.5:
                            continue
                        at = self._later(rated, 10, 35)
                        if at <= self.now:
                            routing["replies"][2] = at
                            routing["status"] = RS.REPLIED
                            results.setdefault(id(routing), []).append(
                                rng.choices("ABC", (50, 40, 10))[0]
                            )
                if all(2 in r["replies"] for r in responsible):
                    replied_at = max(r["replies"][2] for r in responsible)
                else:
                    replied_at = None
                continue
            closed = self._later(rated, 3, 25)
            if closed <= self.now:
                case.status = P.CLOSED
                case.closed = closed
                case.events.append((closed, "closed", P.REPLIED, P.CLOSED, "", self.user_id))
                for routing in live:
                    if routing["status"] != RS.OBJECTED:
                        routing["status"] = RS.DONE
                if case.session.year < self.cut.year and rng.random() < 0.03:
                    flagged = max(
                        closed + datetime.timedelta(days=1),
                        self._at(datetime.date(case.session.year, 12, rng.randint(5, 25))),
                    )
                    if flagged <= self.now:
                        case.is_excellent = True
                        case.events.append((flagged, "flag_excellent", "", "", "", self.user_id))
            break
        for routing in live:
            self._routing_rows(case, routing, results.get(id(routing), []))

    def _choose_units(self, body_id, case) -> list:
        rng = self.rng
        units = self.units[body_id]
        preferred = [units[k] for k in case.units if k in units]
        pool = self.units_by_category[body_id, case.category] or list(units.values())
        count = 1 if rng.random() < 0.7 else rng.choices((2, 3), (70, 30))[0]
        chosen = []
        for _ in range(count * 4):
            if len(chosen) >= count:
                break
            source = preferred if preferred and rng.random() < 0.8 else pool
            if rng.random() < 0.15:
                source = list(units.values())
            pick = rng.choice(source)
            if pick not in chosen:
                chosen.append(pick)
        return chosen

    def _objection(self, case, routing, units, live, body_id) -> dict:
        """The unit objects within a week; staff reassign the role to another unit
        some days later (the first routing is then withdrawn)."""
        rng = self.rng
        objected = self._later(routing["routed"], 1, 6)
        if objected > self.now:
            return routing
        reason = rng.choice(OBJECTIONS)
        name = self.unit_names[routing["unit"][0]]
        case.events.append((objected, "objected", "", "", f"{name}:{reason}", routing["unit"][1]))
        reassigned = self._later(objected, 2, 10)
        taken = {u[0] for u in units} | {r["unit"][0] for r in live}
        others = [u for u in self.units[body_id].values() if u[0] not in taken]
        if reassigned > self.now or not others:
            routing.update(status=RS.OBJECTED, objection=reason, objected=objected)
            return routing
        new_unit = rng.choice(others)
        self._routing_rows(
            case,
            {**routing, "status": RS.WITHDRAWN, "objection": reason, "objected": objected},
            [],
        )
        case.events.append(
            (reassigned, "reassigned", "", "",
             f"{name} → {self.unit_names[new_unit[0]]}({ROLE_LABELS[routing['role']]})",
             self.user_id)
        )  # fmt: skip
        deadline = add_months(timezone.localdate(reassigned, self.tz), REPLY_MONTHS)
        return {"unit": new_unit, "role": routing["role"], "routed": reassigned,
                "deadline": deadline, "replies": {}, "status": RS.ROUTED}  # fmt: skip

    def _routing_rows(self, case, routing, results):
        """Keep the routing for writing once the proposal has its id; its replies'
        events join the proposal's timeline now."""
        self._pending_routings.append((case, routing, results))
        name = self.unit_names[routing["unit"][0]]
        role = ROLE_LABELS[routing["role"]]
        for (_round, at), result in zip(sorted(routing["replies"].items()), results, strict=False):
            label = RESULT_LABELS[result]
            case.events.append(
                (at, "unit_replied", "", "", f"{name}({role}):{label}", routing["unit"][1])
            )

    # Rows of a session's proposals.
    def _emit(self, pool, session, cases) -> list[dict]:
        rng = self.rng
        body_id = pool["body"].pk
        conversions = []
        # Topics: some plenary proposals were registered as a topic first.
        for case in cases:
            case.id = self.proposals.new_id()
        for case in cases:
            topic_id = None
            owner = case.first is not None or case.group_id is not None  # a party has none
            if case.kind == Proposal.Kind.PLENARY and owner and rng.random() < 0.1:
                topic_id = self.topics.add(
                    session.pk, case.first[0] if case.first else None, case.group_id,
                    case.topic, "", case.category, Topic.Status.USED, self.user_id,
                    case.created - datetime.timedelta(days=rng.randint(5, 30)),
                )  # fmt: skip
            self.proposals.rows.append(
                (case.id, body_id, session.pk, case.kind, topic_id, case.title, case.category,
                 case.content, case.proposer_kind, case.group_id, case.party, case.status,
                 self._cosign_deadline(case), case.number, case.is_key, case.key_leader or "",
                 case.is_excellent, case.merged_into.id if case.merged_into else None,
                 case.converted_to or "", case.reason or "", self.user_id, case.created,
                 case.submitted, case.decided if case.number else None, case.closed)
            )  # fmt: skip
            if rng.random() < 0.5:
                units = self.units[body_id]
                preferred = [units[k][0] for k in case.units if k in units]
                for unit_id in preferred[: rng.randint(1, 2)]:
                    self.suggested.add(case.id, unit_id)
            if case.first is not None:
                self.proposers.add(
                    case.id, case.first[0], Proposer.Role.FIRST, Proposer.Status.CONFIRMED, 0,
                    case.created, case.created,
                )  # fmt: skip
            for order, (member, answer, invited, answered) in enumerate(case.co, 1):
                if answered is not None and answered <= self.now:
                    status = answer
                elif answer == "expired" and case.status != P.INVITING:
                    status, answered = Proposer.Status.EXPIRED, None
                else:
                    status, answered = Proposer.Status.INVITED, None
                self.proposers.add(
                    case.id, member[0], Proposer.Role.CO, status, order, invited, answered
                )
            # A unit's reply is written before the move it completes, as the service does.
            for at, verb, before, after, note, by in sorted(
                case.events, key=lambda e: (e[0], e[1] != "unit_replied")
            ):
                self.events.add(case.id, by, at, verb, before, after, note)
            if case.converted_to == Proposal.ConvertedTo.REPORT:
                conversions.append(
                    {"proposal": case.id, "member": case.first[0] if case.first else None,
                     "group": case.group_id, "party": case.party if not case.first else "",
                     "title": case.title, "content": case.content, "submitted": case.submitted,
                     "converted": case.decided}
                )  # fmt: skip
        for case, rating_round, satisfaction, comment, at in self._pending_ratings:
            self.ratings.add(case.id, rating_round, satisfaction, comment, self.user_id, at)
        for case, routing, results in self._pending_routings:
            routing_id = self.routings.add(
                case.id, routing["unit"][0], routing["role"], routing["status"],
                routing["routed"], routing["deadline"], routing.get("objection", ""),
                routing.get("objected"), None,
            )  # fmt: skip
            for (round_, at), result in zip(
                sorted(routing["replies"].items()), results, strict=False
            ):
                self.replies.add(
                    routing_id, round_, result, REPLIES[result], "", routing["unit"][1], at
                )
        self._pending_ratings, self._pending_routings = [], []
        return conversions

    def _cosign_deadline(self, case):
        for at, verb, *_ in case.events:
            if verb == "invited":
                return datetime.datetime.combine(
                    timezone.localtime(at, self.tz).date() + datetime.timedelta(days=5),
                    datetime.time(23, 59, 59),
                    self.tz,
                )
        return None

    @staticmethod
    def _poisson(mean: float, rng) -> int:
        if mean <= 0:
            return 0
        if mean > 30:
            return max(0, round(rng.gauss(mean, math.sqrt(mean))))
        limit, k, product = math.exp(-mean), 0, rng.random()
        while product > limit:
            k += 1
            product *= rng.random()
        return k

    # Social-information reports ------------------------------------------------------------
    def _reports(self, pool, conversions):
        rng = self.report_rng
        term = pool["term"]
        last = min(self.cut, term.ends_on or self.cut)
        for member in pool["members"]:
            # Some members write many, most a few: a skewed weight per seat.
            weight = rng.lognormvariate(0, 0.9) / math.exp(0.9**2 / 2)
            for year in range(term.starts_on.year, last.year + 1):
                start = max(datetime.date(year, 1, 1), term.starts_on).toordinal()
                end = min(datetime.date(year, 12, 31), last).toordinal()
                start, end = max(start, member[2]), min(end, member[3])
                if start > end:
                    continue
                n = self._poisson(REPORT_RATE * weight * (end - start + 1) / 365, rng)
                for _ in range(n):
                    day = datetime.date.fromordinal(rng.randint(start, end))
                    self._report(pool, day, member=member[0])
        for group in pool["groups"]:
            for year in range(term.starts_on.year, last.year + 1):
                start = max(datetime.date(year, 1, 1), term.starts_on).toordinal()
                end = min(datetime.date(year, 12, 31), last).toordinal()
                if start > end:
                    continue
                for _ in range(self._poisson(GROUP_REPORT_RATE * (end - start + 1) / 365, rng)):
                    self._report(
                        pool, datetime.date.fromordinal(rng.randint(start, end)), group=group
                    )
        for c in conversions:
            self._report(pool, None, conversion=c)

    def _report(self, pool, day, *, member=None, group=None, conversion=None):
        rng = self.report_rng
        user = self.user_id
        events = []
        party = ""
        if conversion is None:
            topic = rng.choice(CASE_TOPICS)[0]
            title = rng.choice(REPORT_FORMS).format(t=topic, p=pool["place"])
            content = REPORT_CONTENT.format(
                t=topic, v=rng.choice(PLACES), w=rng.choice(SUGGESTIONS)
            )
            submitted = self._at(day, rng, hours=(8, 23))
            if submitted > self.now:
                return
            created = submitted - datetime.timedelta(hours=rng.randint(1, 72))
            events.append((created, RV.CREATED, "", R.DRAFT, ""))
            age = (self.now - submitted).days
            if (age < 45 and rng.random() < 0.1) or rng.random() < 0.005:
                status, submitted, opened = R.DRAFT, None, None  # not sent (yet)
            else:
                events.append((submitted, RV.SUBMITTED, R.DRAFT, R.SUBMITTED, ""))
                status, opened = R.SUBMITTED, submitted
        else:
            member, group = conversion["member"], conversion["group"]
            party = conversion["party"]
            title, content = conversion["title"][:200], conversion["content"]
            created = opened = conversion["converted"]
            submitted = conversion["submitted"]
            events.append((created, RV.CONVERTED, "", R.SUBMITTED, f"由提案“{title}”转来"))
            status = R.SUBMITTED
        bulletin = (None, None)
        reason, reviewed, accepted_at = "", None, None
        if status == R.SUBMITTED:
            if conversion is None and rng.random() < 0.02:
                at = self._later(opened, 0, 4, rng)
                if at <= self.now:
                    status = R.WITHDRAWN
                    events.append((at, RV.WITHDRAWN, R.SUBMITTED, R.WITHDRAWN, ""))
            if status == R.SUBMITTED:
                review = self._later(opened, 2, 20, rng)
                # Accepted reports wait in the staff's queue for the bulletin: only
                # recent ones are still there.
                outcome = rng.choices(("not_used", "used"), (45, 55))[0]
                if review <= self.now:
                    if outcome == "not_used" and rng.random() < 0.7:
                        reason = rng.choice(NOT_USED_REASONS)
                        status, reviewed = R.NOT_USED, review
                        events.append((review, RV.NOT_USED, R.SUBMITTED, R.NOT_USED, reason))
                    else:
                        status, reviewed = R.ACCEPTED, review
                        accepted_at = review
                        events.append((review, RV.ACCEPTED, R.SUBMITTED, R.ACCEPTED, ""))
                        later = self._later(review, 1, 14, rng)
                        if later <= self.now:
                            reviewed = later
                            if outcome == "used":
                                status = R.USED
                                local = timezone.localtime(later, self.tz).date()
                                step = 7 if pool["level"] == Level.CITY else 14
                                issue = (local.timetuple().tm_yday - 1) // step + 1
                                bulletin = (local.year, issue)
                                events.append((later, RV.USED, R.ACCEPTED, R.USED,
                                               f"编入{local.year}年第{issue}期"))  # fmt: skip
                            else:
                                reason = rng.choice(NOT_USED_REASONS)
                                status = R.NOT_USED
                                events.append((later, RV.NOT_USED, R.ACCEPTED, R.NOT_USED, reason))
        report_id = self.reports.new_id()
        if accepted_at is not None and status in (R.ACCEPTED, R.USED):
            self._feedback(pool, report_id, accepted_at, submitted, events)
        events.sort(key=lambda e: e[0])
        updated = max(e[0] for e in events if e[3]) if events else created
        self.reports.rows.append(
            (report_id, pool["body"].pk, pool["term"].pk, member, group, party, title, content,
             content if status == R.USED else "", status, bulletin[0], bulletin[1], reason,
             conversion["proposal"] if conversion else None, user, created, updated, submitted,
             reviewed)
        )  # fmt: skip
        for at, verb, before, after, note in events:
            self.report_events.add(report_id, user, at, verb, before, after, note)

    def _feedback(self, pool, report_id, accepted_at, submitted, events):
        """Adoptions by upper levels and leaders' instructions, after acceptance."""
        rng = self.report_rng
        user = self.user_id
        earliest = max(
            timezone.localdate(accepted_at, self.tz), timezone.localdate(submitted, self.tz)
        )
        county = pool["level"] == Level.COUNTY
        chances = (
            ((Level.CITY, 0.22), (Level.PROVINCE, 0.05), (Level.NATIONAL, 0.008))
            if county
            else ((Level.PROVINCE, 0.12), (Level.NATIONAL, 0.015))
        )
        adopted_before = False
        for level, chance in chances:
            if rng.random() >= (chance * 3 if adopted_before else chance):
                continue
            on = earliest + datetime.timedelta(days=rng.randint(10, 90))
            if on > self.cut:
                continue
            adopted_before = True
            mode = rng.choices(ReportAdoption.Mode.values, (55, 30, 15))[0]
            at = self._at(on, rng)
            self.adoptions.add(report_id, level, mode, on, "", user, at)
            label = f"{LEVEL_LABELS[level]}{MODE_LABELS[mode]}"
            events.append((at, RV.ADOPTED, "", "", label))
        if rng.random() < 0.06:
            own = pool["level"]
            level = rng.choices(
                (own, Level.CITY if county else Level.PROVINCE, Level.NATIONAL), (65, 30, 1)
            )[0]
            leader = self._leader(pool, level, rng)
            on = earliest + datetime.timedelta(days=rng.randint(5, 120))
            if on <= self.cut:
                at = self._at(on, rng)
                text = rng.choice(
                    ("请有关部门研究办理。", "此件反映的问题值得重视,请抓紧落实。", "")
                )
                self.instructions.add(report_id, level, leader, on, text, user, at)
                label = f"{LEVEL_LABELS[level]}领导({leader})批示"
                events.append((at, RV.INSTRUCTED, "", "", label + (f":{text}" if text else "")))

    @staticmethod
    def _leader(pool, level, rng) -> str:
        if level == Level.NATIONAL:
            return "国务院领导同志"
        if level == Level.PROVINCE:
            return rng.choice(("省委书记", "省长", "副省长", "省政协主席"))
        place = pool["place"] if level == pool["level"] else pool["city_place"]
        chief = place[-1]
        return rng.choice((f"{place}委书记", f"{place}{chief}长", f"{place}副{chief}长"))
