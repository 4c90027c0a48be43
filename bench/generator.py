"""Builds believable bodies, terms and members at the project's scales.

One generator for seed_demo, the benchmarks and anyone who needs a full roster:

- **S**: one city body, its current term, 450 members (the size of a city body);
- **M**: a city body and six county/district bodies, ten years of terms, 5,000 seats;
- **L**: a city body and fifteen county/district bodies, ten years, 20,000 seats;
- **demo**: S plus one district body of 60 seats, a few people sitting in both.

Deterministic for a seed (`random.Random(seed)`), and fast: everything goes in with
`bulk_create`, which also means no simple_history rows, as none are needed for
made-up people. All or nothing: a plan whose bodies all exist returns their counts
and creates nothing; a plan whose bodies exist only in part is refused.
"""

import datetime
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count, Q

from members.models import Honour, Member, Party, Person
from sectors.models import Body, Committee, MemberHome, PlenarySession, Sector, SectorGroup, Term

BATCH = 2000
# Generated history stops here, so the same seed gives the same rows in any year.
AS_OF = datetime.date(2026, 11, 1)

# fmt: off
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程魏苏吕丁"
    "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴"
    "莫孔向汤"
)
MALE_CHARS = "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宁健俊峰建国志海东林文亮宇浩凯晨阳立新春德永庆荣江洪良忠兵山成祥"
FEMALE_CHARS = "芳娜敏静丽艳娟霞燕玲桂英萍红梅琳莉婷雪慧颖洁倩琴云莲蓉薇秀兰月晶璐"
EITHER_CHARS = "晓文华建小海春玉金永子思嘉佳欣雨一天"
MINORITIES = ("回族", "满族", "蒙古族", "壮族", "苗族", "土家族", "彝族", "藏族", "维吾尔族", "朝鲜族", "畲族", "白族")
MOBILE_PREFIXES = (
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "153",
    "155", "156", "157", "158", "159", "180", "181", "182", "183", "186", "187", "188", "189",
    "191", "193", "195", "198", "199",
)

# (name, relative size) in the order bodies print them.
CITY_SECTORS = (
    ("中共", 14), ("民革", 3), ("民盟", 3), ("民建", 3), ("民进", 3), ("农工党", 3), ("致公党", 2),
    ("九三学社", 3), ("无党派人士", 3), ("共青团", 2), ("工会", 3), ("妇联", 3), ("青联", 2),
    ("工商联", 4), ("科协", 2), ("台联", 1), ("经济界", 12), ("农业界", 4), ("教育界", 5),
    ("科学技术界", 3), ("文化艺术界", 3), ("新闻出版界", 2), ("医药卫生界", 4), ("体育界", 1),
    ("社会科学界", 2), ("社会福利和社会保障界", 2), ("少数民族界", 2), ("宗教界", 2),
    ("特邀香港人士", 1), ("特别邀请人士", 8),
)
COUNTY_SECTOR_NAMES = (
    "中共", "民革", "民盟", "民建", "民进", "农工党", "九三学社", "无党派人士", "共青团", "工会", "妇联",
    "工商联", "科协", "经济界", "农业界", "教育界", "文化艺术界", "医药卫生界", "社会福利和社会保障界",
    "少数民族界", "宗教界", "特别邀请人士",
)
# Sector groups; several small sectors share one.
GROUPS = (
    ("中共",), ("民革",), ("民盟",), ("民建",), ("民进",), ("农工党", "致公党"), ("九三学社",),
    ("无党派人士",), ("共青团", "青联"), ("工会",), ("妇联",), ("工商联",), ("科协", "科学技术界"),
    ("台联", "特邀香港人士"), ("经济界",), ("农业界",), ("教育界",), ("文化艺术界", "新闻出版界", "体育界"),
    ("医药卫生界",), ("社会科学界", "社会福利和社会保障界"), ("少数民族界", "宗教界"), ("特别邀请人士",),
)
CITY_COMMITTEES = (
    "提案委员会", "经济委员会", "人口资源环境委员会", "教科卫体委员会", "社会和法制委员会",
    "文化文史和学习委员会", "民族宗教委员会", "港澳台侨和外事委员会", "农业和农村委员会", "委员工作委员会",
)
COUNTY_COMMITTEES = (
    "提案委员会", "经济委员会", "人口资源环境委员会", "教科卫体委员会", "社会和法制委员会",
    "文化文史和学习委员会", "农业和农村委员会", "委员工作委员会",
)
# The committee a sector's members most often sit on.
COMMITTEE_OF_SECTOR = {
    "经济界": "经济委员会", "工商联": "经济委员会", "民建": "经济委员会",
    "教育界": "教科卫体委员会", "医药卫生界": "教科卫体委员会", "科学技术界": "教科卫体委员会",
    "体育界": "教科卫体委员会", "科协": "教科卫体委员会", "农工党": "教科卫体委员会",
    "农业界": "农业和农村委员会", "文化艺术界": "文化文史和学习委员会",
    "新闻出版界": "文化文史和学习委员会", "社会科学界": "文化文史和学习委员会",
    "少数民族界": "民族宗教委员会", "宗教界": "民族宗教委员会", "台联": "港澳台侨和外事委员会",
    "特邀香港人士": "港澳台侨和外事委员会", "致公党": "港澳台侨和外事委员会",
    "社会福利和社会保障界": "社会和法制委员会", "妇联": "社会和法制委员会", "工会": "社会和法制委员会",
    "民革": "社会和法制委员会", "特别邀请人士": "提案委员会",
}
COUNTY_NAMES = (
    "临江区", "江北区", "城东区", "城西区", "新港区", "青山区", "白沙县", "云溪县", "石门县", "桃源县",
    "梅岭县", "安平县", "长宁县", "清河县", "柳塘县", "松溪县",
)
HOME_PLACES = ("滨江", "东湖", "南门", "北塘", "西园", "新城", "古运河", "翠竹")
STREETS = ("人民路", "解放路", "滨江大道", "中山路", "建设路", "和平路", "运河路", "文化路")

DEMOCRATIC_PARTY = {
    "民革": Party.RCCK, "民盟": Party.CDL, "民建": Party.CNDCA, "民进": Party.CAPD,
    "农工党": Party.CPWDP, "致公党": Party.CZGP, "九三学社": Party.JIUSAN,
}
SECTOR_PARTIES = {
    "中共": ((Party.CPC, 1),),
    "无党派人士": ((Party.NON_PARTY, 1),),
    "共青团": ((Party.CPC, 7), (Party.MASSES, 2), (Party.NON_PARTY, 1)),
    "工会": ((Party.CPC, 7), (Party.MASSES, 2), (Party.NON_PARTY, 1)),
    "妇联": ((Party.CPC, 6), (Party.MASSES, 2), (Party.NON_PARTY, 1), (Party.CAPD, 1)),
    "科协": ((Party.CPC, 5), (Party.JIUSAN, 2), (Party.NON_PARTY, 2), (Party.MASSES, 1)),
    "台联": ((Party.TDSGL, 4), (Party.MASSES, 4), (Party.NON_PARTY, 2)),
    "宗教界": ((Party.MASSES, 8), (Party.NON_PARTY, 2)),
    "特邀香港人士": ((Party.MASSES, 7), (Party.NON_PARTY, 3)),
    "特别邀请人士": ((Party.CPC, 6), (Party.MASSES, 2), (Party.NON_PARTY, 2)),
}
OTHER_PARTIES = (
    (Party.CPC, 35), (Party.NON_PARTY, 20), (Party.MASSES, 20), (Party.CNDCA, 5), (Party.CDL, 4),
    (Party.CAPD, 4), (Party.JIUSAN, 4), (Party.CPWDP, 3), (Party.RCCK, 3), (Party.CZGP, 2),
)

# Workplace kinds: {c} the city, {p} the local place (city or county), {b} a brand
# (the local short name), {m} a made-up firm name, {v} a village or temple name.
WORKPLACES = {
    "government": (
        ("中共{p}委统战部", ("部长", "副部长")), ("{p}发展和改革委员会", ("主任", "副主任")),
        ("{p}财政局", ("局长", "副局长")), ("{p}人民法院", ("副院长", "审判委员会委员")),
        ("{p}人民检察院", ("副检察长",)), ("{p}{v}街道", ("党工委书记", "办事处主任")),
        ("{p}住房和城乡建设局", ("局长", "总工程师")), ("{p}商务局", ("局长", "副局长")),
    ),
    "medical": (
        ("{p}第一人民医院", ("院长", "副院长", "主任医师", "科主任", "护士长")),
        ("{p}中医院", ("院长", "主任中医师", "副主任医师")), ("{p}妇幼保健院", ("院长", "主任医师")),
        ("{p}疾病预防控制中心", ("主任", "副主任医师")), ("{c}第二人民医院", ("副院长", "主任医师")),
        ("{b}{m}医药有限公司", ("董事长", "总经理")),
    ),
    "education": (
        ("{c}大学", ("教授", "副教授", "学院院长", "副校长")), ("{b}职业技术学院", ("院长", "副教授", "系主任")),
        ("{p}第一中学", ("校长", "副校长", "高级教师")), ("{p}实验小学", ("校长", "高级教师")),
        ("{p}教育局", ("局长", "副局长")), ("{c}师范学院", ("教授", "副院长")),
    ),
    "business": (
        ("{b}{m}科技有限公司", ("董事长", "总经理", "副总经理")),
        ("{b}{m}纺织股份有限公司", ("董事长", "总经理")), ("{b}{m}机械有限公司", ("董事长", "总工程师")),
        ("{b}{m}新能源有限公司", ("董事长", "总经理")), ("{b}{m}建设集团有限公司", ("董事长", "副总裁")),
        ("{b}{m}食品有限公司", ("总经理",)), ("{b}{m}物流有限公司", ("董事长", "总经理")),
        ("{b}农村商业银行", ("行长", "副行长")),
    ),
    "law": (
        ("{b}{m}律师事务所", ("主任", "合伙人", "律师")), ("{b}{m}会计师事务所", ("所长", "注册会计师")),
    ),
    "science": (
        ("{b}{m}研究院", ("院长", "研究员", "首席科学家")), ("{p}科学技术局", ("局长", "副局长")),
        ("{p}科学技术协会", ("主席", "副主席")), ("{b}{m}智能装备有限公司", ("总工程师", "研发总监")),
    ),
    "agriculture": (
        ("{p}农业农村局", ("局长", "高级农艺师")), ("{p}{v}村", ("党总支书记", "村委会主任")),
        ("{b}{m}家庭农场", ("场主",)), ("{b}{m}农业专业合作社", ("理事长",)),
        ("{c}农业科学研究所", ("研究员", "所长")),
    ),
    "culture": (
        ("{p}文化馆", ("馆长", "副研究馆员")), ("{p}美术家协会", ("主席", "副主席")),
        ("{c}锡剧团", ("团长", "国家一级演员")), ("{p}博物馆", ("馆长",)), ("{p}图书馆", ("馆长",)),
    ),
    "press": (
        ("{c}日报社", ("总编辑", "副总编辑", "首席记者")), ("{p}广播电视台", ("台长", "主持人", "记者")),
        ("{c}出版社", ("社长", "编审")),
    ),
    "sport": (("{p}体育运动学校", ("校长", "教练员")), ("{p}体育局", ("副局长",))),
    "social_science": (
        ("{c}社会科学院", ("研究员", "副院长")), ("{c}大学", ("教授",)), ("中共{p}委党校", ("教授", "副校长")),
    ),
    "welfare": (
        ("{p}民政局", ("局长", "副局长")), ("{p}慈善总会", ("会长", "秘书长")),
        ("{p}社会福利院", ("院长",)), ("{p}人力资源和社会保障局", ("副局长",)),
        ("{p}残疾人联合会", ("理事长",)),
    ),
    "ethnic": (("{p}民族宗教事务局", ("局长", "副局长")), ("{p}回民中学", ("校长",))),
    "religion": (
        ("{p}佛教协会", ("会长", "副会长")), ("{p}伊斯兰教协会", ("会长",)), ("{p}基督教两会", ("会长", "主任")),
        ("{p}道教协会", ("会长",)), ("{b}{v}寺", ("住持", "监院")),
    ),
    "hk": (("香港{m}集团有限公司", ("董事长", "董事总经理")), ("香港{b}同乡会", ("会长", "副会长"))),
    "special": (
        ("{p}人大常委会", ("原副主任",)), ("{p}财政局", ("原局长", "二级调研员")),
        ("{p}工商业联合会", ("副主席",)), ("{p}归国华侨联合会", ("主席",)),
    ),
    "youth": (("共青团{p}委", ("书记", "副书记")), ("{p}青年企业家协会", ("会长",))),
    "union": (("{p}总工会", ("副主席",)), ("{b}{m}机械有限公司", ("高级技师", "车间主任"))),
    "women": (("{p}妇女联合会", ("主席", "副主席")), ("{b}{m}服饰有限公司", ("董事长",))),
    "taiwan": (("{p}台湾同胞联谊会", ("会长", "副会长")), ("{b}{m}电子有限公司", ("董事长",))),
    "party_office": (("{party}{p}委员会", ("主委", "副主委", "秘书长")),),
}
SECTOR_WORK = {
    "中共": (("government", 5), ("education", 1), ("medical", 1), ("business", 1)),
    "民革": (("party_office", 1), ("law", 2), ("business", 2)),
    "民盟": (("party_office", 1), ("education", 3), ("culture", 1)),
    "民建": (("party_office", 1), ("business", 3)),
    "民进": (("party_office", 1), ("education", 3), ("press", 1)),
    "农工党": (("party_office", 1), ("medical", 3)),
    "致公党": (("party_office", 1), ("business", 2), ("science", 1)),
    "九三学社": (("party_office", 1), ("science", 3), ("medical", 1)),
    "无党派人士": (("education", 2), ("medical", 2), ("law", 1), ("science", 1)),
    "共青团": (("youth", 2), ("business", 1)),
    "工会": (("union", 2), ("business", 1)),
    "妇联": (("women", 2), ("education", 1), ("medical", 1)),
    "青联": (("business", 2), ("culture", 1), ("science", 1)),
    "工商联": (("business", 1),),
    "经济界": (("business", 6), ("law", 1)),
    "科协": (("science", 1),),
    "科学技术界": (("science", 1),),
    "台联": (("taiwan", 1),),
    "农业界": (("agriculture", 1),),
    "教育界": (("education", 1),),
    "文化艺术界": (("culture", 1),),
    "新闻出版界": (("press", 1),),
    "医药卫生界": (("medical", 1),),
    "体育界": (("sport", 1),),
    "社会科学界": (("social_science", 1),),
    "社会福利和社会保障界": (("welfare", 1),),
    "少数民族界": (("ethnic", 1), ("education", 1), ("business", 1)),
    "宗教界": (("religion", 1),),
    "特邀香港人士": (("hk", 1),),
    "特别邀请人士": (("special", 2), ("law", 1), ("business", 1)),
}
FIRM_WORDS = "恒泰宏达润江金港华盛天合鼎新永兴瑞丰博远正和嘉业长城汇通东方明珠中天恒信"
PLACE_WORDS = ("新桥", "柳湾", "东坝", "石桥", "杨庄", "南塘", "大河", "清风", "莲花", "古井")
# fmt: on


@dataclass(frozen=True)
class TermPlan:
    number: int
    start_year: int
    is_current: bool


@dataclass(frozen=True)
class BodyPlan:
    name: str
    short_name: str
    level: str
    place: str  # the place workplaces carry: 江城市, 临江区
    seats: int  # seats per term, by-elections included
    terms: tuple[TermPlan, ...]
    parent: str | None = None  # name of a body earlier in the plan
    shared_seats: int = 0  # seats per term held by people who also sit in the parent body


SCALES = ("S", "M", "L", "demo")
DEFAULT_SEED = 2026


class GeneratorError(Exception):
    pass


def _city(body_name: str) -> tuple[str, str]:
    """The place and short name of a city body: 江城市政协 -> 江城市, 江城."""
    place = body_name.removesuffix("政协") or body_name
    return place, place.removesuffix("市")


def scale_plan(
    scale: str, *, members: int | None = None, body_name: str | None = None
) -> list[BodyPlan]:
    """The bodies of a scale; `members` overrides the size (seats of the city body for
    S and demo, seats in all for M and L)."""
    if scale not in SCALES:
        raise GeneratorError(f"未知规模 {scale!r},可选:{', '.join(SCALES)}")
    default_names = {"S": "江城市政协", "demo": "江城市政协", "M": "云江市政协", "L": "海川市政协"}
    body_name = body_name or default_names[scale]
    place, short = _city(body_name)
    current = (TermPlan(15, 2022, True),)
    ten_years = (TermPlan(14, 2017, False), TermPlan(15, 2022, True))
    if scale in ("S", "demo"):
        plan = [BodyPlan(body_name, short, Body.Level.CITY, place, members or 450, current)]
        if scale == "demo":
            plan.append(
                _county(place, "临江区", 60, (TermPlan(9, 2022, True),), shared=5, parent=body_name)
            )
        return plan

    total = members or {"M": 5000, "L": 20000}[scale]
    county_count = {"M": 6, "L": 15}[scale]
    city_seats = min(900, max(60, total // 10))
    # Half the counties changed term in 2016/2021/2026, the other half in 2017/2022.
    county_terms = [
        (TermPlan(7, 2016, False), TermPlan(8, 2021, False), TermPlan(9, 2026, True))
        if i % 2 == 0
        else (TermPlan(8, 2017, False), TermPlan(9, 2022, True))
        for i in range(county_count)
    ]
    county_seats = max(
        20, (total - city_seats * len(ten_years)) // sum(len(t) for t in county_terms)
    )
    plan = [BodyPlan(body_name, short, Body.Level.CITY, place, city_seats, ten_years)]
    for i in range(county_count):
        # Sizes differ from county to county, as they do.
        seats = county_seats + (i % 3 - 1) * county_seats // 10
        plan.append(
            _county(
                place,
                COUNTY_NAMES[i],
                seats,
                county_terms[i],
                shared=max(2, seats // 50),
                parent=body_name,
            )
        )
    return plan


def _county(city_place, county, seats, terms, *, shared, parent) -> BodyPlan:
    return BodyPlan(
        name=f"{city_place}{county}政协",
        short_name=county[:-1],
        level=Body.Level.COUNTY,
        place=county,
        seats=seats,
        terms=terms,
        parent=parent,
        shared_seats=shared,
    )


def generate(
    scale: str = "S",
    *,
    members: int | None = None,
    seed: int = DEFAULT_SEED,
    body_name: str | None = None,
) -> dict:
    """Build the bodies of `scale` unless they are all there already; returns a summary
    with `created` telling which."""
    plan = scale_plan(scale, members=members, body_name=body_name)
    names = [b.name for b in plan]
    existing = set(Body.objects.filter(name__in=names).values_list("name", flat=True))
    if existing and len(existing) == len(names):
        return {"scale": scale, "created": False, **plan_summary(names)}
    if existing:
        raise GeneratorError(
            f"部分政协已存在({'、'.join(sorted(existing))}),另一些没有:"
            "请换一个数据库或另取 body_name,不会在半套数据上继续生成"
        )
    started = time.perf_counter()
    with transaction.atomic():
        _Builder(plan, seed).build()
    return {
        "scale": scale,
        "created": True,
        "seconds": round(time.perf_counter() - started, 2),
        **plan_summary(names),
    }


def plan_summary(body_names) -> dict:
    bodies = Body.objects.filter(name__in=body_names)
    members = Member.objects.filter(term__body__in=bodies)
    persons_in_several = (
        members.values("person_id")
        .annotate(bodies=Count("term__body", distinct=True))
        .filter(bodies__gt=1)
        .count()
    )
    per_body = dict(
        bodies.annotate(
            seats=Count(
                "terms__members",
                filter=Q(terms__is_current=True, terms__members__left_on__isnull=True),
            )
        ).values_list("name", "seats")
    )
    return {
        "bodies": bodies.count(),
        "terms": Term.objects.filter(body__in=bodies).count(),
        "sessions": PlenarySession.objects.filter(term__body__in=bodies).count(),
        "sectors": Sector.objects.filter(term__body__in=bodies).count(),
        "groups": SectorGroup.objects.filter(term__body__in=bodies).count(),
        "committees": Committee.objects.filter(term__body__in=bodies).count(),
        "homes": MemberHome.objects.filter(body__in=bodies).count(),
        "members": members.count(),
        "current_members": members.current().count(),
        "persons": members.values("person_id").distinct().count(),
        "persons_in_several_bodies": persons_in_several,
        "honours": Honour.objects.filter(person__seats__term__body__in=bodies).distinct().count(),
        "current_members_by_body": per_body,
    }


@dataclass
class _Seat:
    person: Person
    sector: str
    join_kind: str = Member.JoinKind.INITIAL
    joined_on: datetime.date | None = None
    left_on: datetime.date | None = None
    left_reason: str = ""
    is_standing: bool = False
    committees: list = field(default_factory=list)
    member: Member | None = None


class _Builder:
    def __init__(self, plan: list[BodyPlan], seed: int):
        self.plan = plan
        self.rng = random.Random(seed)
        # Mobiles come from their own stream: redrawing one that is taken in the
        # database must not change every name and seat after it.
        self.mobile_rng = random.Random(f"{seed}-mobiles")
        self.mobiles = set(Person.objects.exclude(mobile="").values_list("mobile", flat=True))
        self.persons: list[Person] = []
        self.departed: set[int] = (
            set()
        )  # id() of people who died or were removed: never seated again
        self.bodies: dict[str, Body] = {}
        self.terms: dict[tuple[str, int], Term] = {}
        self.seats: dict[tuple[str, int], list[_Seat]] = {}
        self.sectors: dict[tuple[str, int], dict[str, Sector]] = {}
        self.groups: dict[tuple[str, int], list[tuple[SectorGroup, tuple[str, ...]]]] = {}
        self.committees: dict[tuple[str, int], dict[str, Committee]] = {}

    def build(self):
        self._organisation()
        for body in self.plan:
            previous = None
            for term in body.terms:
                self.seats[body.name, term.number] = self._seat_term(body, term, previous)
                previous = term
        Person.objects.bulk_create(self.persons, batch_size=BATCH)
        self._members()
        self._convenors()
        self._honours()

    # The organisation: bodies, terms, sessions, sectors, groups, committees, homes.
    def _organisation(self):
        for body in self.plan:
            self.bodies[body.name] = Body.objects.create(
                name=body.name,
                short_name=body.short_name,
                level=body.level,
                parent=self.bodies.get(body.parent),
            )
        terms, sessions, homes = [], [], []
        for body in self.plan:
            starts = [datetime.date(t.start_year, 1, self.rng.randint(5, 15)) for t in body.terms]
            for i, term in enumerate(body.terms):
                ends_on = None if term.is_current else starts[i + 1] - datetime.timedelta(days=1)
                obj = Term(
                    body=self.bodies[body.name],
                    number=term.number,
                    starts_on=starts[i],
                    ends_on=ends_on,
                    is_current=term.is_current,
                )
                self.terms[body.name, term.number] = obj
                terms.append(obj)
            for i, place in enumerate(self.rng.sample(HOME_PLACES, self.rng.randint(3, 5))):
                homes.append(
                    MemberHome(
                        body=self.bodies[body.name],
                        name=f"{body.short_name}政协委员之家·{place}",
                        address=f"{body.place}{STREETS[i]}{self.rng.randint(1, 300)}号",
                    )
                )
        Term.objects.bulk_create(terms)
        for term in self.terms.values():
            last_year = AS_OF.year if term.is_current else term.ends_on.year - 1
            for n, year in enumerate(
                range(term.starts_on.year, min(term.starts_on.year + 4, last_year) + 1), 1
            ):
                opens = (
                    term.starts_on if n == 1 else datetime.date(year, 1, self.rng.randint(5, 20))
                )
                sessions.append(
                    PlenarySession(
                        term=term,
                        number=n,
                        year=year,
                        starts_on=opens,
                        ends_on=opens + datetime.timedelta(days=3),
                    )
                )
        PlenarySession.objects.bulk_create(sessions, batch_size=BATCH)
        MemberHome.objects.bulk_create(homes)

        sectors, committees, groups = [], [], []
        for body in self.plan:
            city = body.level == Body.Level.CITY
            sector_names = [n for n, _ in CITY_SECTORS] if city else list(COUNTY_SECTOR_NAMES)
            committee_names = CITY_COMMITTEES if city else COUNTY_COMMITTEES
            for term in body.terms:
                key = (body.name, term.number)
                t = self.terms[key]
                self.sectors[key] = {
                    n: Sector(term=t, name=n, order=i) for i, n in enumerate(sector_names, 1)
                }
                sectors += self.sectors[key].values()
                self.committees[key] = {
                    n: Committee(term=t, name=n, order=i) for i, n in enumerate(committee_names, 1)
                }
                committees += self.committees[key].values()
                self.groups[key] = []
                for i, covered in enumerate(GROUPS, 1):
                    covered = tuple(n for n in covered if n in self.sectors[key])
                    if covered:
                        group = SectorGroup(term=t, name=_group_name(covered), order=i)
                        self.groups[key].append((group, covered))
                        groups.append(group)
        Sector.objects.bulk_create(sectors, batch_size=BATCH)
        Committee.objects.bulk_create(committees, batch_size=BATCH)
        SectorGroup.objects.bulk_create(groups, batch_size=BATCH)
        through = SectorGroup.sectors.through
        links = [
            through(sectorgroup_id=group.pk, sector_id=self.sectors[key][name].pk)
            for key, pairs in self.groups.items()
            for group, covered in pairs
            for name in covered
        ]
        through.objects.bulk_create(links, batch_size=BATCH)

    # Seats of one term: people carried over from the last term, people shared with
    # the parent body, new people; then by-elections, departures and committees.
    def _seat_term(self, body: BodyPlan, term: TermPlan, previous: TermPlan | None) -> list[_Seat]:
        rng = self.rng
        key = (body.name, term.number)
        t = self.terms[key]
        sector_names = list(self.sectors[key])
        weights = dict(CITY_SECTORS)
        last_day = AS_OF if term.is_current else t.ends_on
        # 增补 comes at a later plenary or standing-committee meeting: not in a term's first year.
        by_election_days = (last_day - t.starts_on).days - 395
        by_elections = (
            max(1, body.seats * 4 // 100) if body.seats >= 25 and by_election_days > 0 else 0
        )
        initial = body.seats - by_elections
        quotas = _apportion(initial, [(n, weights[n]) for n in sector_names])

        seats: list[_Seat] = []
        taken: set[int] = set()
        if previous is not None:
            # About half of a term's members sat in the last one (连任).
            stayers = [
                s
                for s in self.seats[body.name, previous.number]
                if s.left_reason in ("", Member.LeftReason.TERM_ENDED)
                and id(s.person) not in self.departed
            ]
            for s in rng.sample(stayers, min(len(stayers), initial * 55 // 100)):
                if quotas.get(s.sector, 0) > 0:
                    quotas[s.sector] -= 1
                    seats.append(_Seat(person=s.person, sector=s.sector))
                    taken.add(id(s.person))
        if body.parent and body.shared_seats:
            parent_term = self._overlapping_term(body.parent, t.starts_on)
            candidates = [
                s
                for s in self.seats[parent_term]
                if id(s.person) not in taken
                and not s.left_reason
                and id(s.person) not in self.departed
            ]
            for s in rng.sample(candidates, min(len(candidates), body.shared_seats)):
                sector = s.sector if quotas.get(s.sector, 0) > 0 else max(quotas, key=quotas.get)
                quotas[sector] -= 1
                seats.append(_Seat(person=s.person, sector=sector))
                taken.add(id(s.person))
        for sector, count in quotas.items():
            seats += [_Seat(person=self._person(sector, body), sector=sector) for _ in range(count)]

        for seat in seats:
            seat.joined_on = t.starts_on
        for _ in range(by_elections):
            sector = rng.choices(sector_names, [weights[n] for n in sector_names])[0]
            joined_on = t.starts_on + datetime.timedelta(
                days=365 + rng.randint(0, by_election_days)
            )
            seats.append(
                _Seat(
                    person=self._person(sector, body),
                    sector=sector,
                    join_kind=Member.JoinKind.BY_ELECTION,
                    joined_on=joined_on,
                )
            )
        for seat in rng.sample(seats, len(seats) * 3 // 100):
            earliest = seat.joined_on + datetime.timedelta(days=200)
            if earliest >= last_day:
                continue
            seat.left_on = earliest + datetime.timedelta(
                days=rng.randint(0, (last_day - earliest).days)
            )
            seat.left_reason = rng.choices(
                (Member.LeftReason.REMOVED, Member.LeftReason.RESIGNED, Member.LeftReason.DECEASED),
                (4, 4, 2),
            )[0]
            if seat.left_reason != Member.LeftReason.RESIGNED:
                self.departed.add(id(seat.person))
        if not term.is_current:
            for seat in seats:
                if not seat.left_on:
                    seat.left_on, seat.left_reason = t.ends_on, Member.LeftReason.TERM_ENDED

        committees = list(self.committees[key])
        for seat in seats:
            seat.is_standing = seat.join_kind == Member.JoinKind.INITIAL and rng.random() < 0.105
            roll = rng.random()
            if roll < 0.88:
                home = COMMITTEE_OF_SECTOR.get(seat.sector)
                first = (
                    home if home in committees and rng.random() < 0.6 else rng.choice(committees)
                )
                seat.committees = [first]
                if roll < 0.04:
                    seat.committees.append(rng.choice([c for c in committees if c != first]))
        # Numbers run by sector, then by-elections at the end, as printed rosters do.
        order = {n: i for i, n in enumerate(sector_names)}
        seats.sort(
            key=lambda s: (s.join_kind != Member.JoinKind.INITIAL, order[s.sector], s.joined_on)
        )
        return seats

    def _overlapping_term(self, body_name: str, on: datetime.date) -> tuple[str, int]:
        body = next(b for b in self.plan if b.name == body_name)
        sitting = [t for t in body.terms if self.terms[body_name, t.number].starts_on <= on] or [
            body.terms[0]
        ]
        return body_name, sitting[-1].number

    def _members(self):
        members, links = [], []
        through = Member.committees.through
        for key, seats in self.seats.items():
            width = max(4, len(str(len(seats))))
            groups = {name: group for group, covered in self.groups[key] for name in covered}
            for n, seat in enumerate(seats, 1):
                seat.member = Member(
                    person=seat.person,
                    term=self.terms[key],
                    number=f"{n:0{width}d}",
                    sector=self.sectors[key][seat.sector],
                    group=groups[seat.sector],
                    is_standing=seat.is_standing,
                    joined_on=seat.joined_on,
                    join_kind=seat.join_kind,
                    left_on=seat.left_on,
                    left_reason=seat.left_reason,
                )
                members.append(seat.member)
        Member.objects.bulk_create(members, batch_size=BATCH)
        for key, seats in self.seats.items():
            committees = self.committees[key]
            links += [
                through(member_id=s.member.pk, committee_id=committees[name].pk)
                for s in seats
                for name in s.committees
            ]
        through.objects.bulk_create(links, batch_size=BATCH)

    def _convenors(self):
        """Each group's convenor (a standing member when the group has one) and liaison,
        among those who sat to the end of the term."""
        changed = []
        for key, pairs in self.groups.items():
            by_sector = defaultdict(list)
            for seat in self.seats[key]:
                if seat.left_reason in ("", Member.LeftReason.TERM_ENDED):
                    by_sector[seat.sector].append(seat)
            for group, covered in pairs:
                seats = [s for name in covered for s in by_sector[name]]
                if not seats:
                    continue
                standing = [s for s in seats if s.is_standing]
                convenor = self.rng.choice(standing or seats)
                group.convenor = convenor.member
                others = [s for s in seats if s is not convenor]
                group.liaison = self.rng.choice(others).member if others else None
                changed.append(group)
        SectorGroup.objects.bulk_update(changed, ["convenor", "liaison"], batch_size=BATCH)

    def _honours(self):
        honours = []
        for key, seats in self.seats.items():
            body = self.bodies[key[0]]
            level = Honour.Level.CITY if body.level == Body.Level.CITY else Honour.Level.COUNTY
            term = self.terms[key]
            last_year = AS_OF.year - 1 if term.is_current else term.ends_on.year - 1
            for seat in seats:
                if self.rng.random() >= 0.03 or term.starts_on.year > last_year:
                    continue
                title, honour_level = self.rng.choices(
                    (
                        ("优秀政协委员", level),
                        ("履职先进个人", level),
                        ("劳动模范", Honour.Level.PROVINCE),
                        ("五一劳动奖章", Honour.Level.NATIONAL),
                    ),
                    (14, 3, 2, 1),
                )[0]
                year = self.rng.randint(term.starts_on.year, last_year)
                honours.append(
                    Honour(
                        person=seat.person,
                        title=title,
                        level=honour_level,
                        awarded_on=datetime.date(year, 12, self.rng.randint(1, 28)),
                    )
                )
        Honour.objects.bulk_create(honours, batch_size=BATCH)

    # People.
    def _person(self, sector: str, body: BodyPlan) -> Person:
        rng = self.rng
        female = rng.random() < (0.6 if sector == "妇联" else 0.28)
        workplace, title = self._workplace(sector, body)
        if sector == "少数民族界":
            ethnicity = rng.choice(MINORITIES)
        else:
            ethnicity = "汉族" if rng.random() < 0.95 else rng.choice(MINORITIES)
        person = Person(
            name=self._name(female),
            gender=Person.Gender.FEMALE if female else Person.Gender.MALE,
            ethnicity=ethnicity,
            birth_date=datetime.date(
                int(rng.triangular(1955, 1991, 1970)), rng.randint(1, 12), rng.randint(1, 28)
            ),
            party=self._party(sector),
            workplace=workplace,
            title=title,
            mobile=self._mobile(),
        )
        self.persons.append(person)
        return person

    def _name(self, female: bool) -> str:
        rng = self.rng
        # Common surnames are common: the list is in order of frequency.
        surname = SURNAMES[min(int(rng.expovariate(1 / 18)), len(SURNAMES) - 1)]
        chars = FEMALE_CHARS if female else MALE_CHARS
        if rng.random() < 0.3:
            return surname + rng.choice(chars)
        return surname + rng.choice(chars + EITHER_CHARS) + rng.choice(chars)

    def _party(self, sector: str) -> str:
        if sector in DEMOCRATIC_PARTY:
            return DEMOCRATIC_PARTY[sector]
        options = SECTOR_PARTIES.get(sector, OTHER_PARTIES)
        return self.rng.choices([p for p, _ in options], [w for _, w in options])[0]

    def _workplace(self, sector: str, body: BodyPlan) -> tuple[str, str]:
        rng = self.rng
        kinds = SECTOR_WORK[sector]
        kind = rng.choices([k for k, _ in kinds], [w for _, w in kinds])[0]
        template, titles = rng.choice(WORKPLACES[kind])
        city_place = self.plan[0].place
        workplace = template.format(
            c=city_place,
            p=body.place,
            b=body.place[:-1],
            m=rng.choice(FIRM_WORDS) + rng.choice(FIRM_WORDS),
            v=rng.choice(PLACE_WORDS),
            party=sector if sector in DEMOCRATIC_PARTY else "",
        )
        return workplace, rng.choice(titles)

    def _mobile(self) -> str:
        while True:
            mobile = (
                self.mobile_rng.choice(MOBILE_PREFIXES) + f"{self.mobile_rng.randrange(10**8):08d}"
            )
            if mobile not in self.mobiles:
                self.mobiles.add(mobile)
                return mobile


def _group_name(sectors: tuple[str, ...]) -> str:
    joined = "、".join(sectors)
    return f"{joined}小组" if joined.endswith("界") else f"{joined}界别小组"


def _apportion(total: int, weights: list[tuple[str, int]]) -> dict[str, int]:
    """Split `total` seats by weight (largest remainder), at least one per sector when
    there are enough seats to go round."""
    floor = 1 if total >= len(weights) else 0
    rest = total - floor * len(weights)
    whole = sum(w for _, w in weights)
    shares = {n: rest * w / whole for n, w in weights}
    quotas = {n: floor + int(s) for n, s in shares.items()}
    short = total - sum(quotas.values())
    for n in sorted(shares, key=lambda n: shares[n] - int(shares[n]), reverse=True)[:short]:
        quotas[n] += 1
    return quotas
