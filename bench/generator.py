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
import io
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone

from bench.generator_casework import CaseworkBuilder
from bench.generator_consultations import consultations_build, consultations_ensure
from consultations.models import Consultation
from duties.models import Activity, ActivityKind, Participation, SelfReportedDuty
from duties.services import activity_kinds_ensure_defaults
from members.models import Honour, Member, Party, Person
from proposals.models import HandlingUnit, Proposal, Routing
from reports.models import SocialInfoReport
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
    now: datetime.datetime | None = None,
) -> dict:
    """Build the bodies of `scale` unless they are all there already; returns a summary
    with `created` telling which. `now` splits the activities into history (attendance
    recorded) and the coming weeks (open for sign-up); by default noon of AS_OF, so the
    same seed gives the same rows whenever it runs (seed_demo passes the real time)."""
    plan = scale_plan(scale, members=members, body_name=body_name)
    names = [b.name for b in plan]
    existing = set(Body.objects.filter(name__in=names).values_list("name", flat=True))
    if existing and len(existing) == len(names):
        # Data generated before the consultations step gets its sessions now.
        default_now = datetime.datetime.combine(
            AS_OF, datetime.time(12), tzinfo=timezone.get_default_timezone()
        )
        consultations_ensure(names, seed=seed, now=now or default_now, user=_generator_user())
        return {"scale": scale, "created": False, **plan_summary(names)}
    if existing:
        raise GeneratorError(
            f"部分政协已存在({'、'.join(sorted(existing))}),另一些没有:"
            "请换一个数据库或另取 body_name,不会在半套数据上继续生成"
        )
    started = time.perf_counter()
    with transaction.atomic():
        builder = _Builder(plan, seed)
        builder.build()
        duties = DutyBuilder(seed=seed, now=now, density=DUTY_DENSITY[scale])
        duties.build(list(builder.terms.values()))
        CaseworkBuilder(seed=seed, now=duties.now, user=duties.user).build(
            list(builder.terms.values())
        )
        consultations_build(
            list({t.body_id: t.body for t in builder.terms.values()}.values()),
            seed=seed,
            now=duties.now,
            user=duties.user,
        )
    analyze_filled_tables()
    return {
        "scale": scale,
        "created": True,
        "seconds": round(time.perf_counter() - started, 2),
        **plan_summary(names),
    }


def analyze_filled_tables():
    """Planner statistics for the tables the generator fills (PostgreSQL). Rows that
    arrive by COPY have none until autovacuum comes round, and it may be off: without
    them a list of 20,000 proposals is planned as if it had forty."""
    if connection.vendor != "postgresql":
        return
    from django.apps import apps

    tables = [
        model._meta.db_table
        for label in (
            "sectors",
            "members",
            "duties",
            "consultations",
            "proposals",
            "reports",
            "scoring",
        )
        for model in apps.get_app_config(label).get_models(include_auto_created=True)
        if not model._meta.proxy
    ]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE " + ", ".join(connection.ops.quote_name(t) for t in tables))


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
        "activities": Activity.objects.filter(body__in=bodies).count(),
        "participations": Participation.objects.filter(activity__body__in=bodies).count(),
        "self_reported": SelfReportedDuty.objects.filter(member__term__body__in=bodies).count(),
        "handling_units": HandlingUnit.objects.filter(body__in=bodies).count(),
        "proposals": Proposal.objects.filter(body__in=bodies).count(),
        "routings": Routing.objects.filter(proposal__body__in=bodies).count(),
        "reports": SocialInfoReport.objects.filter(body__in=bodies).count(),
        "consultations": Consultation.objects.filter(activity__body__in=bodies).count(),
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


# Duty activities and participation --------------------------------------------------

GENERATOR_USER = "lvzhi-generator"  # created_by / recorded_by / reviewed_by of generated rows
UPCOMING_DAYS = 60  # the coming weeks a current term has activities published for
# Menu activities (inspections, research, consultations …) a year per sitting member:
# 0.12 gives a city body of 450 about 55 of them, about 115 activities in all.
MENU_RATE = 0.12
# How much busier than that M and L are (committee, group and menu activities), so
# that M has about 200,000 participation rows and L about a million.
DUTY_DENSITY = {"S": 1.0, "demo": 1.0, "M": 1.12, "L": 1.34}
MENU_KINDS = (
    ("inspection", 3), ("research", 3), ("thematic_consultation", 2),
    ("counterpart_consultation", 2), ("sector_consultation", 1), ("community_consultation", 3),
    ("supervision", 2), ("training", 2), ("leader_visit", 1),
)  # fmt: skip
SELF_REPORTED_KINDS = (
    ("good_deed", 4), ("sector_liaison", 3), ("pairing", 2), ("published_speech", 2),
    ("investment", 1), ("talent", 1),
)  # fmt: skip
# fmt: off
TOPICS = (
    "优化营商环境", "养老服务体系建设", "城乡污水治理", "义务教育优质均衡发展", "乡村振兴", "文旅融合发展",
    "基层医疗卫生服务", "数字经济发展", "非物质文化遗产保护传承", "老旧小区改造", "食品安全监管",
    "河湖长制落实", "新能源汽车产业发展", "职业教育产教融合", "民营企业融资", "婴幼儿托育服务",
    "历史文化街区保护", "城市交通拥堵治理", "农村人居环境整治", "科技创新平台建设", "生活垃圾分类",
    "中小学生心理健康", "社区居家养老", "高标准农田建设", "人才公寓建设", "预制菜产业发展",
)
THEMES = {
    "inspection": ("视察{t}工作", "实地视察 + 座谈交流"),
    "research": ("{t}专题调研", "实地调研 + 部门座谈"),
    "thematic_consultation": ("{t}专题协商会", "专题协商会"),
    "counterpart_consultation": ("就{t}开展对口协商", "对口协商座谈"),
    "sector_consultation": ("{t}界别协商", "界别协商会"),
    "community_consultation": ("有事好商量:{t}", "协商议事室议事"),
    "supervision": ("{t}民主监督", "监督视察 + 情况通报"),
    "training": ("委员履职能力培训:{t}", "专题讲座"),
    "leader_visit": ("主席会议成员走访委员:听取{t}意见", "走访座谈"),
    "standing_meeting": ("常委会会议:协商{t}", "常委会会议"),
    "committee_meeting": ("{c}会议:研究{t}", "专委会全体会议"),
    "group_meeting": ("{g}活动:学习交流{t}", "小组学习交流"),
}
LEAVE_REASONS = ("因公出差", "单位有重要会议", "身体不适", "在外地学习培训", "家中有事", "参加上级会议")
CANCEL_REASONS = ("因天气原因取消", "与市委重要会议时间冲突,另行安排", "承办单位工作调整,活动延期")
RETURN_REASONS = ("请补充活动照片或证明材料", "内容过于简略,请补充具体做法和成效", "该事项已由机关统一登记,无需自报")
DUTY_TEXTS = {
    "good_deed": "走访{t}相关困难群众,协调解决实际问题 {n} 件",
    "sector_liaison": "联系界别群众,收集关于{t}的意见建议 {n} 条",
    "pairing": "结对帮扶{v}村困难家庭,落实帮扶措施 {n} 项",
    "published_speech": "在{c}日报发表关于{t}的履职文章",
    "investment": "牵线引进{t}相关项目 {n} 个",
    "talent": "引荐{t}领域高层次人才 {n} 名",
}
# fmt: on
CN_DIGITS = "零一二三四五六七八九"
NEVER = datetime.date.max.toordinal()


def _cn(n: int) -> str:
    """1..99 in Chinese numerals: 15 -> 十五."""
    tens, ones = divmod(n, 10)
    if not tens:
        return CN_DIGITS[ones]
    return ("" if tens == 1 else CN_DIGITS[tens]) + "十" + (CN_DIGITS[ones] if ones else "")


@dataclass
class _TermPool:
    """A term's members as plain tuples (pk, standing, group_id, joined, left, committee ids),
    dates as ordinals, and what its activities refer to."""

    term: Term
    place: str
    members: list[tuple]
    committees: list[Committee]
    groups: list[SectorGroup]
    sessions: list[PlenarySession]
    homes: list[MemberHome]


class DutyBuilder:
    """Activities, participation and self-reported duties for terms already in the
    database: history up to `now` (attendance recorded), then UPCOMING_DAYS of published
    activities with sign-ups. Writes term by term, participation through COPY on
    PostgreSQL (a million rows in well under a minute) and bulk_create elsewhere."""

    def __init__(
        self,
        *,
        seed: int = DEFAULT_SEED,
        now: datetime.datetime | None = None,
        density: float = 1.0,
    ):
        self.density = density
        self.rng = random.Random(f"{seed}-duties")
        self.tz = timezone.get_default_timezone()
        self.now = now or datetime.datetime.combine(AS_OF, datetime.time(12), tzinfo=self.tz)
        self.cut = timezone.localtime(self.now, self.tz).date()
        self.counts = defaultdict(int)
        self._reset()

    def _reset(self):
        self.activities: list[Activity] = []
        self.named: list[tuple[Activity, int]] = []
        self.rows: list[tuple] = []  # participation; the Activity object first
        self.duties: list[SelfReportedDuty] = []

    def build(self, terms, *, history: bool = True, upcoming: bool = True) -> dict:
        self.user = _generator_user()
        terms = sorted(terms, key=lambda t: (t.body_id, t.starts_on))
        bodies = {t.body_id: t.body for t in terms}
        for body in bodies.values():
            activity_kinds_ensure_defaults(body=body)
        self.kinds = {
            (k.body_id, k.code): k for k in ActivityKind.objects.filter(body_id__in=bodies)
        }
        homes = defaultdict(list)
        for home in MemberHome.objects.filter(body_id__in=bodies).order_by("pk"):
            homes[home.body_id].append(home)
        for term in terms:
            pool = self._pool(term, homes[term.body_id])
            if history:
                last = self.cut - datetime.timedelta(days=1)
                if term.ends_on:
                    last = min(last, term.ends_on)
                for year in range(term.starts_on.year, last.year + 1):
                    start = max(datetime.date(year, 1, 1), term.starts_on)
                    end = min(datetime.date(year, 12, 31), last)
                    if start <= end:
                        self._window(pool, start, end, upcoming=False)
            if upcoming and term.is_current:
                start = self.cut + datetime.timedelta(days=1)
                self._window(
                    pool, start, start + datetime.timedelta(days=UPCOMING_DAYS), upcoming=True
                )
            self._save()
        return dict(self.counts)

    def _pool(self, term: Term, homes) -> _TermPool:
        committees_of = defaultdict(list)
        for member_id, committee_id in Member.committees.through.objects.filter(
            member__term=term
        ).values_list("member_id", "committee_id"):
            committees_of[member_id].append(committee_id)
        members = [
            (
                pk,
                standing,
                group_id,
                joined.toordinal(),
                left.toordinal() if left else NEVER,
                tuple(committees_of[pk]),
            )
            for pk, standing, group_id, joined, left in Member.objects.filter(term=term)
            .order_by("pk")
            .values_list("pk", "is_standing", "group_id", "joined_on", "left_on")
        ]
        return _TermPool(
            term=term,
            place=term.body.name.removesuffix("政协"),
            members=members,
            committees=list(Committee.objects.filter(term=term).order_by("order", "pk")),
            groups=list(SectorGroup.objects.filter(term=term).order_by("order", "pk")),
            sessions=list(PlenarySession.objects.filter(term=term).order_by("starts_on")),
            homes=homes,
        )

    def _count(self, expected: float) -> int:
        """`expected` rounded up or down at random, so small windows still get some."""
        whole = int(expected)
        return whole + (self.rng.random() < expected - whole)

    def _day(self, start, end, earliest=0) -> datetime.date:
        span = (end - start).days
        return start + datetime.timedelta(days=self.rng.randint(min(earliest, span), span))

    # One window: a year of a term's history, or the coming weeks.
    def _window(self, p: _TermPool, start: datetime.date, end: datetime.date, *, upcoming):
        rng = self.rng
        s, e = start.toordinal(), end.toordinal()
        stable = [m for m in p.members if m[3] <= s and m[4] >= e]
        partial = [
            m for m in p.members if m[3] <= e and m[4] >= s and not (m[3] <= s and m[4] >= e)
        ]

        def sitting(day: datetime.date, among=None):
            d = day.toordinal()
            if among is None:
                return stable + [m for m in partial if m[3] <= d <= m[4]]
            keep, part = among
            return keep + [m for m in part if m[3] <= d <= m[4]]

        def subset(test):
            return [m for m in stable if test(m)], [m for m in partial if test(m)]

        n = len(stable) + len(partial)
        if not n:
            return
        frac = ((end - start).days + 1) / 365
        topic = lambda: rng.choice(TOPICS)  # noqa: E731

        for session in p.sessions:
            if start <= session.starts_on <= end:
                self._plenary(p, session, sitting(session.starts_on))
        for _ in range(self._count(5 * frac)):
            day = self._day(start, end)
            self._required(
                p, "standing_meeting", day, [m for m in sitting(day) if m[1]],
                audience=Activity.Audience.STANDING, topic=topic(), upcoming=upcoming,
            )  # fmt: skip
        for committee in p.committees:
            among = subset(lambda m, c=committee.pk: c in m[5])
            for _ in range(self._count(2 * frac * self.density)):
                day = self._day(start, end)
                members = sitting(day, among)
                self._listed(
                    p, "committee_meeting", day, members, share=(0.85, 0.95),
                    source=Participation.Source.STAFF, topic=topic(), upcoming=upcoming,
                    organiser=Activity.Organiser.COMMITTEE, committee=committee,
                    audience=Activity.Audience.COMMITTEE,
                )  # fmt: skip
        for group in p.groups:
            among = subset(lambda m, g=group.pk: m[2] == g)
            for _ in range(self._count(1.5 * frac * self.density)):
                day = self._day(start, end)
                members = sitting(day, among)
                self._listed(
                    p, "group_meeting", day, members, share=(0.7, 0.9),
                    source=Participation.Source.SIGNUP, topic=topic(), upcoming=upcoming,
                    organiser=Activity.Organiser.GROUP, group=group,
                    audience=Activity.Audience.GROUP, convenor=group.convenor_id,
                )  # fmt: skip
        menu = self._count(n * MENU_RATE * frac * self.density)
        if upcoming:
            menu = max(menu, 6)
        # One or two a year are cancelled (the list stays, nobody attended).
        cancelled = (
            set() if upcoming or menu < 5 else set(rng.sample(range(menu), rng.randint(1, 2)))
        )
        for i in range(menu):
            # The first coming one is full with a waiting list: someone always is.
            forced_full = upcoming and i == 0
            day = self._day(start, end, earliest=14 if forced_full else 0)
            self._menu(
                p, day, sitting(day), topic=topic(), upcoming=upcoming, full=forced_full,
                cancelled=i in cancelled,
            )  # fmt: skip
        if not upcoming:
            self._self_reported(p, start, end, sitting(start + (end - start) / 2), frac)

    # Activities.
    def _activity(self, p, code, day, *, hours=(9, 12), topic="", upcoming=False, **fields):
        rng = self.rng
        kind = self.kinds[p.term.body_id, code]
        starts = datetime.datetime.combine(
            day, datetime.time(hours[0], rng.choice((0, 30))), tzinfo=self.tz
        )
        ends = datetime.datetime.combine(day, datetime.time(hours[1], 0), tzinfo=self.tz)
        created = starts - datetime.timedelta(days=rng.randint(10, 30), hours=rng.randint(0, 8))
        if upcoming:
            created = min(created, self.now - datetime.timedelta(days=rng.randint(1, 10)))
        theme, form = THEMES.get(code, (kind.name + ":{t}", kind.name))
        group, committee = fields.get("organiser_group"), fields.get("organiser_committee")
        theme = theme.format(
            t=topic, c=committee.name if committee else "", g=group.name if group else ""
        )
        home = None
        if p.homes and (code == "community_consultation" or rng.random() < 0.2):
            home = rng.choice(p.homes)
        activity = Activity(
            body_id=p.term.body_id,
            term=p.term,
            kind=kind,
            theme=theme[:200],
            goal=f"了解{topic}推进情况,提出意见建议" if topic else "",
            form=form,
            venue_home=home,
            venue_text="" if home else rng.choice(("{}政协机关第一会议室", "{}行政中心", "{}市民中心", "活动现场(另行通知)")).format(p.place),
            starts_at=starts,
            ends_at=ends,
            status=Activity.Status.PUBLISHED if upcoming else Activity.Status.CONFIRMED,
            created_by=self.user,
            created_at=created,
            **fields,
        )  # fmt: skip
        self.activities.append(activity)
        self.counts["activities"] += 1
        return activity

    def _plenary(self, p, session, members):
        term = p.term
        activity = self._activity(
            p, "plenary", session.starts_on, hours=(9, 17), required_attendance=True,
            audience=Activity.Audience.ALL,
        )  # fmt: skip
        activity.ends_at = datetime.datetime.combine(
            session.ends_on, datetime.time(12), tzinfo=self.tz
        )
        activity.theme = (
            f"{p.term.body.name}第{_cn(term.number)}届委员会第{_cn(session.number)}次会议"
        )
        activity.form = "全体会议"
        activity.venue_home, activity.venue_text = None, f"{p.place}人民大会堂"
        self._fill(activity, members, source=Participation.Source.REQUIRED)
        # Speeches at the plenary: named members, each on the list as speaker.
        speakers = self.rng.sample(members, min(len(members), self.rng.randint(8, 15)))
        speech = self._activity(
            p, "plenary_speech", session.starts_on + datetime.timedelta(days=1), hours=(14, 17),
            audience=Activity.Audience.NAMED, capacity=len(speakers),
        )  # fmt: skip
        speech.theme = f"第{_cn(term.number)}届{_cn(session.number)}次会议大会发言"
        self.named += [(speech, m[0]) for m in speakers]
        self._fill(
            speech, speakers, source=Participation.Source.STAFF, role=Participation.Role.SPEAKER
        )

    def _required(self, p, code, day, members, *, audience, topic, upcoming):
        activity = self._activity(
            p, code, day, required_attendance=True, audience=audience, topic=topic,
            upcoming=upcoming, hours=(9, 12),
        )  # fmt: skip
        self._fill(activity, members, source=Participation.Source.REQUIRED)

    def _listed(self, p, code, day, members, *, share, source, audience, topic, upcoming,
                organiser, committee=None, group=None, convenor=None):  # fmt: skip
        if not members:
            return
        activity = self._activity(
            p, code, day, topic=topic, upcoming=upcoming, hours=(14, 17), organiser=organiser,
            organiser_committee=committee, organiser_group=group, audience=audience,
            audience_committee=committee, audience_group=group,
        )  # fmt: skip
        activity.signup_deadline = activity.starts_at - datetime.timedelta(days=2)
        chosen = self.rng.sample(members, max(1, int(len(members) * self.rng.uniform(*share))))
        if convenor and convenor not in {m[0] for m in chosen}:
            lead = [m for m in members if m[0] == convenor]
            chosen = lead + chosen[: len(chosen) - 1] if lead else chosen
        self._fill(activity, chosen, source=source, convenor=convenor)

    def _menu(self, p, day, members, *, topic, upcoming, full, cancelled=False):
        rng = self.rng
        code = rng.choices([c for c, _ in MENU_KINDS], [w for _, w in MENU_KINDS])[0]
        fields = {"organiser": Activity.Organiser.OFFICE, "audience": Activity.Audience.ALL}
        roll = rng.random()
        audience = members
        if not full and roll >= 0.5 and code != "leader_visit":
            if roll < 0.8 and p.committees:
                committee = rng.choice(p.committees)
                fields |= {
                    "organiser": Activity.Organiser.COMMITTEE,
                    "organiser_committee": committee,
                }
                if rng.random() < 0.5:
                    fields |= {
                        "audience": Activity.Audience.COMMITTEE,
                        "audience_committee": committee,
                    }
                    audience = [m for m in members if committee.pk in m[5]]
            elif p.groups:
                group = rng.choice(p.groups)
                fields |= {"organiser": Activity.Organiser.GROUP, "organiser_group": group,
                           "audience": Activity.Audience.GROUP, "audience_group": group}  # fmt: skip
                audience = [m for m in members if m[2] == group.pk]
        if not audience:
            return None
        if full:
            capacity = min(len(audience) - 1, rng.randint(12, 20))
        elif (code == "training" and rng.random() < 0.7) or rng.random() < 0.15:
            capacity = None
        else:
            capacity = min(len(audience), rng.randint(20, 80))
        activity = self._activity(
            p, code, day, topic=topic, upcoming=upcoming, hours=rng.choice(((9, 12), (14, 17))),
            capacity=capacity, **fields,
        )  # fmt: skip
        if cancelled:
            activity.status = Activity.Status.CANCELLED
            activity.cancel_reason = rng.choice(CANCEL_REASONS)
        activity.signup_deadline = datetime.datetime.combine(
            day - datetime.timedelta(days=rng.randint(2, 6)), datetime.time(17), tzinfo=self.tz
        )
        if full:
            activity.signup_deadline = max(
                activity.signup_deadline, self.now + datetime.timedelta(days=3)
            )
        waiting = 0
        if capacity is None:
            broad = fields["audience"] == Activity.Audience.ALL
            confirmed = int(len(audience) * rng.uniform(*((0.1, 0.3) if broad else (0.5, 0.9))))
        elif full or rng.random() < 0.12:
            confirmed = capacity
            waiting = min(len(audience) - capacity, rng.randint(2, 5))
        else:
            confirmed = int(capacity * rng.uniform(0.6, 0.98))
        if upcoming and not full:
            confirmed = int(confirmed * rng.uniform(0.3, 1.0))
            waiting = 0
        withdrawn = rng.randint(1, 3) if rng.random() < 0.1 else 0
        confirmed = max(1, min(confirmed, len(audience)))
        waiting = max(0, min(waiting, len(audience) - confirmed))
        withdrawn = max(0, min(withdrawn, len(audience) - confirmed - waiting))
        chosen = rng.sample(audience, confirmed + waiting + withdrawn)
        self._fill(
            activity, chosen[:confirmed], source=Participation.Source.SIGNUP,
            waiting=chosen[confirmed : confirmed + waiting],
            withdrawn=chosen[confirmed + waiting :],
        )  # fmt: skip
        return activity

    # Participation rows: (activity, member, signup, source, role, signed_up_at,
    # attendance, leave, leave_reason, checked_in_at, recorded_by, recorded_at).
    def _fill(self, activity, confirmed, *, source, role=None, convenor=None,
              waiting=(), withdrawn=()):  # fmt: skip
        rng = self.rng
        past = activity.status == Activity.Status.CONFIRMED
        role = role or Participation.Role.PARTICIPANT
        required = source in (Participation.Source.REQUIRED, Participation.Source.STAFF)
        opens = activity.created_at
        closes = activity.signup_deadline or activity.starts_at
        if activity.status == Activity.Status.PUBLISHED:
            closes = min(closes, self.now)
        span = max((closes - opens).total_seconds(), 60)
        times = sorted(
            opens + datetime.timedelta(seconds=rng.uniform(0, span))
            for _ in range(len(confirmed) + len(waiting))
        )
        checkin = past and activity.starts_at.year >= 2024 and rng.random() < 0.5
        recorded_at = activity.ends_at + datetime.timedelta(days=1) if past else None
        recorder = self.user.pk if past else None
        for i, m in enumerate(confirmed):
            at = opens if required else times[i]
            member_role = Participation.Role.CONVENOR if m[0] == convenor else role
            attendance = leave = reason = ""
            checked_in = None
            if past:
                roll = rng.random()
                if roll < 0.86:
                    attendance = Participation.Attendance.ATTENDED
                    if checkin:
                        checked_in = activity.starts_at - datetime.timedelta(
                            minutes=rng.randint(1, 25)
                        )
                elif roll < 0.95:
                    attendance = Participation.Attendance.EXCUSED
                    leave, reason = Participation.Leave.APPROVED, rng.choice(LEAVE_REASONS)
                else:
                    attendance = Participation.Attendance.ABSENT
            elif activity.required_attendance and rng.random() < 0.05:
                leave, reason = Participation.Leave.REQUESTED, rng.choice(LEAVE_REASONS)
            self.rows.append(
                (activity, m[0], Participation.Signup.CONFIRMED, source, member_role, at,
                 attendance, leave, reason, checked_in, recorder if attendance else None,
                 recorded_at if attendance else None)
            )  # fmt: skip
        for i, m in enumerate(waiting, len(confirmed)):
            self.rows.append(
                (activity, m[0], Participation.Signup.WAITLISTED, source, role, times[i],
                 "", "", "", None, None, None)
            )  # fmt: skip
        for m in withdrawn:
            at = opens + datetime.timedelta(seconds=rng.uniform(0, span))
            self.rows.append(
                (activity, m[0], Participation.Signup.WITHDRAWN, source, role, at,
                 "", "", "", None, None, None)
            )  # fmt: skip
        activity.signed_up_count = len(confirmed)
        if activity.capacity is not None:
            activity.capacity = max(activity.capacity, len(confirmed))
        self.counts["participations"] += len(confirmed) + len(waiting) + len(withdrawn)

    def _self_reported(self, p, start, end, members, frac):
        rng = self.rng
        codes = [c for c, _ in SELF_REPORTED_KINDS]
        weights = [w for _, w in SELF_REPORTED_KINDS]
        for m in members:
            for chance in (0.5, 0.15):
                if rng.random() >= chance * frac:
                    break
                lo = max(start.toordinal(), m[3])
                hi = min(end.toordinal(), m[4])
                if lo > hi:
                    break
                done_on = datetime.date.fromordinal(rng.randint(lo, hi))
                code = rng.choices(codes, weights)[0]
                age = (self.cut - done_on).days
                if age > 30:
                    status = rng.choices(("verified", "returned"), (88, 12))[0]
                else:
                    status = rng.choices(("submitted", "verified", "returned"), (6, 3, 1))[0]
                created = datetime.datetime.combine(
                    done_on + datetime.timedelta(days=rng.randint(0, 3)),
                    datetime.time(rng.randint(8, 22), rng.randint(0, 59)),
                    tzinfo=self.tz,
                )
                created = min(created, self.now - datetime.timedelta(hours=1))
                reviewed = None
                if status != "submitted":
                    reviewed = min(created + datetime.timedelta(days=rng.randint(2, 20)), self.now)
                self.duties.append(
                    SelfReportedDuty(
                        member_id=m[0],
                        kind=self.kinds[p.term.body_id, code],
                        done_on=done_on,
                        description=DUTY_TEXTS[code].format(
                            t=rng.choice(TOPICS),
                            n=rng.randint(1, 6),
                            v=rng.choice(PLACE_WORDS),
                            c=p.place.removesuffix("市"),
                        ),
                        status=status,
                        return_reason=rng.choice(RETURN_REASONS) if status == "returned" else "",
                        reviewed_by=self.user if reviewed else None,
                        reviewed_at=reviewed,
                        created_at=created,
                    )
                )

    # Writing.
    def _save(self):
        Activity.objects.bulk_create(self.activities, batch_size=1000)
        through = Activity.audience_members.through
        through.objects.bulk_create(
            [through(activity_id=a.pk, member_id=m) for a, m in self.named], batch_size=BATCH
        )
        rows = [(a.pk, *rest) for a, *rest in self.rows]
        if connection.vendor == "postgresql":
            _copy_participations(rows)
        else:
            fields = PARTICIPATION_COLUMNS
            Participation.objects.bulk_create(
                (Participation(**dict(zip(fields, row, strict=True))) for row in rows),
                batch_size=5000,
            )
        SelfReportedDuty.objects.bulk_create(self.duties, batch_size=BATCH)
        self.counts["self_reported"] += len(self.duties)
        self._reset()


PARTICIPATION_COLUMNS = (
    "activity_id", "member_id", "signup", "source", "role", "signed_up_at", "attendance",
    "leave", "leave_reason", "checked_in_at", "recorded_by_id", "recorded_at",
)  # fmt: skip


NULL = "\\N"  # COPY's null


def _stamp(value) -> str:
    return NULL if value is None else value.isoformat(sep=" ")


def _copy_participations(rows, chunk: int = 100_000):
    """COPY the rows into the participation table (PostgreSQL): several times faster
    than INSERT for a million rows. The texts carry no tab, newline or backslash."""
    table = Participation._meta.db_table
    sql = f"COPY {table} ({', '.join(PARTICIPATION_COLUMNS)}) FROM STDIN"
    with connection.cursor() as cursor:
        for i in range(0, len(rows), chunk):
            text = "".join(
                f"{a}\t{m}\t{su}\t{so}\t{ro}\t{_stamp(at)}\t{att}\t{lv}\t{why}\t{_stamp(ci)}"
                f"\t{NULL if by is None else by}\t{_stamp(rec)}\n"
                for a, m, su, so, ro, at, att, lv, why, ci, by, rec in rows[i : i + chunk]
            )
            cursor.copy_expert(sql, io.StringIO(text))


def _generator_user():
    user, created = get_user_model().objects.get_or_create(
        username=GENERATOR_USER, defaults={"is_active": False}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def activities_top_up(body: Body, *, now=None, seed: int = DEFAULT_SEED) -> int:
    """Publish a fresh UPCOMING_DAYS of activities in the body's current term when none
    is open for sign-up any more (a demo database seeded weeks ago). Returns how many
    activities it added (0 when some are still open)."""
    now = now or timezone.now()
    open_ones = Activity.objects.filter(body=body, required_attendance=False).open_for_signup(now)
    term = Term.objects.select_related("body").filter(body=body, is_current=True).first()
    if term is None or open_ones.exists():
        return 0
    counts = DutyBuilder(seed=seed, now=now).build([term], history=False)
    return counts.get("activities", 0)
