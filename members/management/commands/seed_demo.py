"""A believable city body (江城市政协, about 450 members) and one of its district
bodies, with a login for every role, and their duty activities: the years so far with
attendance, the coming weeks open for sign-up (relative to the time it runs); the
year's proposals from draft to close, with handling units, and social-information
reports from draft to adoption. Safe to run again: it adds only what is missing
(fresh coming activities when none is open any more, demo-member's lists and
self-reported duties, the demo logins' proposals and reports when demo-member has
written none)."""

import datetime
import re
from dataclasses import dataclass, field
from pathlib import Path
from unittest import mock

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import F, Max, Q
from django.utils import timezone

from bench.generator import DEFAULT_SEED, GeneratorError, activities_top_up, generate
from duties import services
from duties.models import Activity, ActivityKind, Participation, SelfReportedDuty
from members.models import BodyRole, Honour, Member, Notice, Person
from members.services import accounts_create
from proposals.models import (
    Category,
    HandlingUnit,
    Proposal,
    ProposalEvent,
    Proposer,
    Rating,
    Routing,
    RoutingProgress,
    Topic,
)
from proposals.services import drafting, handling, review
from reports import services as reporting
from reports.models import (
    Level,
    ReportAdoption,
    ReportEvent,
    ReportInstruction,
    SocialInfoReport,
)
from sectors.models import Body, MemberHome, PlenarySession, SectorGroup

PASSWORD = "lvzhi-demo-2026"
CITY = "江城市政协"
COUNTY = "江城市临江区政协"
MEMBER_GROUP = "教育界小组"
CONVENOR_GROUP = "经济界小组"


class Command(BaseCommand):
    help = "生成演示数据:江城市政协(约450名委员)、临江区政协(约60名委员)及各角色的演示账号"

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED)

    def handle(self, *args, seed, **options):
        now = timezone.now()
        try:
            summary = generate("demo", seed=seed, now=now)
        except GeneratorError as error:
            raise CommandError(str(error)) from error
        with transaction.atomic():
            city = Body.objects.get(name=CITY)
            county = Body.objects.get(name=COUNTY)
            logins = [
                self._admin(),
                self._office("demo-staff", city, BodyRole.Role.STAFF),
                self._office("demo-leader", city, BodyRole.Role.LEADERSHIP),
                self._office("demo-county-staff", county, BodyRole.Role.STAFF),
                self._seat("demo-member", lambda: _ordinary_member(city)),
                self._seat("demo-convenor", lambda: _convenor(city)),
            ]
            topped_up = activities_top_up(city, now=now, seed=seed)
            staff = get_user_model().objects.get(username="demo-staff")
            member = Member.objects.current().get(
                person__user__username="demo-member", term__body=city
            )
            _member_lists(member, now)
            _member_duties(member, staff, now)
            _consultations(member, staff, now)
            units = _handling_units(city, staff)
            logins.append(self._unit_contact(UNIT_LOGIN, units[HOUSING]))
            proposals, reports = _proposals_and_reports(member, staff, units, now)
        scored = _scores(city, staff, now)
        if summary["created"]:
            self.stdout.write(
                f"已生成 {summary['bodies']} 个政协、{summary['members']} 个委员席位"
                f"({summary['persons']} 人,其中 {summary['persons_in_several_bodies']} 人"
                "同时在两级政协任委员),"
                f"{summary['activities']} 项履职活动、{summary['participations']} 条参加记录,"
                f"用时 {summary['seconds']} 秒。"
            )
        elif topped_up:
            self.stdout.write(f"演示数据已存在;已补充 {topped_up} 项近期可报名的活动。")
        elif not (proposals or reports):
            self.stdout.write("演示数据已存在,未重复生成。")
        if proposals or reports:
            self.stdout.write(
                f"已为演示账号生成 {proposals} 件提案(含交办、答复与测评)、{reports} 条社情民意信息。"
            )
        if scored:
            self.stdout.write(
                f"已载入 {now.year} 年度计分规则(海安示例),计算了 {scored} 个季度通报"
                "(第一季度已定稿,第二季度已发布,第三季度为草稿)和年度考核草稿。"
            )
        self.stdout.write(f"\n演示账号(密码均为 {PASSWORD};委员也可用手机号登录):")
        self.stdout.write(f"{'账号':<20}{'角色':<16}{'手机号':<14}说明")
        for username, role, mobile, note in logins:
            self.stdout.write(f"{username:<20}{role:<16}{mobile or '-':<14}{note}")

    def _user(self, username, **fields):
        user, created = get_user_model().objects.get_or_create(username=username, defaults=fields)
        if created:
            # Only a new account gets the demo password: a second run changes nothing.
            user.set_password(PASSWORD)
            user.save(update_fields=["password"])
        return user

    def _admin(self):
        self._user("demo-admin", is_superuser=True, is_staff=True)
        return "demo-admin", "admin", None, "系统管理员"

    def _office(self, username, body, role):
        user = self._user(username)
        BodyRole.objects.get_or_create(user=user, body=body, role=role)
        return username, role, None, f"{body.name} {BodyRole.Role(role).label}"

    def _unit_contact(self, username, unit):
        user = self._user(username, first_name=UNIT_LOGIN_NAME)
        unit.contacts.add(user)
        return username, "unit", None, f"{unit.name} 承办单位联系人"

    def _seat(self, username, pick):
        user = self._user(username)
        person = Person.objects.filter(user=user).first()
        if person is None:
            person = pick().person
            person.user = user
            person.save(update_fields=["user"])
            if username == "demo-member":
                Honour.objects.get_or_create(
                    person=person,
                    title="优秀政协委员",
                    level=Honour.Level.CITY,
                    awarded_on=datetime.date(2025, 12, 18),
                )
        seat = person.seats.select_related("group").filter(term__body__name=CITY).first()
        role = "convenor" if username == "demo-convenor" else "member"
        return (
            username,
            role,
            person.mobile,
            f"{person.name} {seat.group.name if seat and seat.group else ''}",
        )


def _scores(city, staff, now) -> int:
    """The Hai'an rulebook (scoring/rulebooks/haian.yaml) for this year, the
    quarters that have ended computed (the first final, the second published
    with its dispute window open, the third a draft) and the annual draft.
    Once only."""
    from scoring import facts as ledger
    from scoring import review
    from scoring import services as scoring
    from scoring.models import ScorePeriod

    year = now.year
    if ScorePeriod.objects.filter(body=city, year=year).exists():
        return 0
    text = (Path(scoring.__file__).parent / "rulebooks" / "haian.yaml").read_text(encoding="utf-8")
    # the example names its own body and year: this demo's instead
    text = re.sub(r"(?m)^(body|term): .*\n", "", text)
    text = re.sub(r"(?m)^year: \d+$", f"year: {year}", text)
    scoring.rulebook_load(body=city, year=year, text=text, by=staff, publish=True)
    ledger.facts_rebuild(body=city)
    ended = [q for q in (1, 2, 3) if reference_quarter_end(year, q) < now.date()]
    for quarter in ended:
        period = scoring.period_open(body=city, year=year, quarter=quarter)
        scoring.period_compute(period=period)
        if quarter <= 2:
            period = review.period_publish(period=period, by=staff)
        if quarter == 1:
            ScorePeriod.objects.filter(pk=period.pk).update(disputes_close_at=now)
            period.refresh_from_db()
            review.period_finalise(period=period, by=staff)
    # the year so far, as the nightly refresh keeps it: the annual draft and
    # with it every member's six-ones checklist
    scoring.period_compute(period=scoring.period_open(body=city, year=year, quarter=0))
    return len(ended)


def reference_quarter_end(year: int, quarter: int) -> datetime.date:
    from scoring.reference import quarter_to_date

    return quarter_to_date(year, quarter)[1]


def _ordinary_member(city) -> Member:
    """A sitting member of one group who runs no group and sits in no other body."""
    return (
        Member.objects.current()
        .filter(
            term__body=city, group__name=MEMBER_GROUP, person__user__isnull=True, is_standing=False
        )
        .filter(convened_groups__isnull=True, liaised_groups__isnull=True)
        .exclude(person__seats__term__body__name=COUNTY)
        .select_related("person")
        .order_by("number")
        .first()
    )


def _convenor(city) -> Member:
    group = SectorGroup.objects.select_related("convenor__person").get(
        term__body=city, term__is_current=True, name=CONVENOR_GROUP
    )
    return group.convenor


def _member_lists(member: Member, now) -> None:
    """demo-member attended, was excused and was absent before; is signed up for a
    coming activity and waitlisted on a full one. Changes only what is missing."""
    past = list(
        Participation.objects.filter(
            member=member,
            signup=Participation.Signup.CONFIRMED,
            activity__status=Activity.Status.CONFIRMED,
            activity__starts_at__lt=now,
        ).order_by("-activity__starts_at", "-pk")
    )
    have = {p.attendance for p in past}
    attended = [p for p in past if p.attendance == Participation.Attendance.ATTENDED]
    for state, leave, reason in (
        (Participation.Attendance.EXCUSED, Participation.Leave.APPROVED, "在外地学习培训"),
        (Participation.Attendance.ABSENT, Participation.Leave.NONE, ""),
    ):
        if state not in have and len(attended) > 1:
            p = attended.pop(0)
            p.attendance, p.leave, p.leave_reason, p.checked_in_at = state, leave, reason, None
            p.save(update_fields=["attendance", "leave", "leave_reason", "checked_in_at"])

    mine = Participation.objects.filter(
        member=member,
        activity__status=Activity.Status.PUBLISHED,
        activity__starts_at__gt=now,
        activity__required_attendance=False,
    )
    open_ones = (
        Activity.objects.filter(term_id=member.term_id, required_attendance=False)
        .open_for_signup(now)
        .exclude(participations__member=member)
        .order_by("starts_at", "pk")
    )
    if not mine.filter(signup=Participation.Signup.CONFIRMED).exists():
        free = open_ones.filter(Q(capacity__isnull=True) | Q(signed_up_count__lt=F("capacity")))
        _sign_up_first(free, member, now)
    if not mine.filter(signup=Participation.Signup.WAITLISTED).exists():
        full = open_ones.filter(capacity__isnull=False, signed_up_count__gte=F("capacity"))
        if not _sign_up_first(full, member, now):
            # No full one left that is open to demo-member: close the seats of one.
            for activity in open_ones.filter(capacity__isnull=False, signed_up_count__gt=0):
                if services.in_audience(activity, member):
                    Activity.objects.filter(pk=activity.pk).update(capacity=F("signed_up_count"))
                    services.signup(activity=activity, member=member, now=now)
                    break


def _sign_up_first(activities, member, now) -> bool:
    for activity in activities[:50]:
        if services.in_audience(activity, member):
            services.signup(activity=activity, member=member, now=now)
            return True
    return False


def _member_duties(member: Member, staff, now) -> None:
    """One verified and one submitted self-reported duty for demo-member."""
    kinds = ActivityKind.objects.filter(body_id=member.term.body_id, self_reportable=True)
    today = timezone.localdate(now)
    mine = SelfReportedDuty.objects.filter(member=member)
    if not mine.filter(status=SelfReportedDuty.Status.VERIFIED).exists():
        SelfReportedDuty.objects.create(
            member=member,
            kind=kinds.get(code="good_deed"),
            done_on=today - datetime.timedelta(days=40),
            description="走访社区困难学生家庭,协调落实助学金和课后托管 3 项",
            status=SelfReportedDuty.Status.VERIFIED,
            reviewed_by=staff,
            reviewed_at=now - datetime.timedelta(days=30),
            created_at=now - datetime.timedelta(days=38),
        )
    if not mine.filter(status=SelfReportedDuty.Status.SUBMITTED).exists():
        SelfReportedDuty.objects.create(
            member=member,
            kind=kinds.get(code="sector_liaison"),
            done_on=today - datetime.timedelta(days=5),
            description="联系教育界群众,收集关于中小学生心理健康的意见建议 6 条",
            created_at=now - datetime.timedelta(days=4),
        )


def _consultations(member: Member, staff, now) -> None:
    """One 有事好商量 session with its suggestions and follow-up, and one open
    online consultation with a comment, unless the body has them already."""
    from consultations import services as consult
    from consultations.models import Consultation, OnlineConsultation

    term = member.term
    if not Consultation.objects.filter(activity__term=term).exists():
        room = MemberHome.objects.filter(body_id=term.body_id).order_by("pk").first()
        convenor = SectorGroup.objects.get(term=term, name=CONVENOR_GROUP).convenor
        others = list(
            Member.objects.current()
            .filter(term=term, group=member.group)
            .exclude(pk=member.pk)
            .order_by("number")[:3]
        )
        start = timezone.localtime(now - datetime.timedelta(days=20)).replace(
            hour=14, minute=30, second=0, microsecond=0
        )
        session = consult.consultation_create(
            term=term,
            topic="老旧小区加装电梯费用分摊协商",
            room=room,
            starts_at=start,
            ends_at=start + datetime.timedelta(hours=2),
            member_convenor=convenor,
            official_convenor_name="王建平",
            official_convenor_unit="江城市住房和城乡建设局",
            members=[member, *others],
            by=staff,
        )
        consult.outside_participant_add(
            consultation=session, name="陈阿姨", unit="东湖街道居民", kind="resident", by=staff
        )
        consult.suggestion_add(
            consultation=session,
            text="按楼层分档分摊,低层住户少出或不出",
            raised_by_member=member,
            by=staff,
        )
        consult.outcome_set(
            consultation=session, outcome="住建局牵头制定分摊指导意见,街道逐楼协调", by=staff
        )
        consult.followup_add(
            consultation=session,
            date=(now - datetime.timedelta(days=5)).date(),
            text="指导意见征求意见稿已发布",
            by=staff,
            today=now.date(),
        )
    if not OnlineConsultation.objects.filter(term=term).exists():
        online = consult.online_consultation_create(
            term=term,
            topic="如何进一步优化营商环境",
            description="请委员围绕政务服务、要素保障等方面建言。",
            opens_at=now - datetime.timedelta(days=3),
            closes_at=now + datetime.timedelta(days=27),
            by=staff,
        )
        consult.comment_post(
            online=online, member=member, text="建议推行涉企事项“一件事一次办”。", now=now
        )


# Proposals and social-information reports ------------------------------------------

# Handling units, named after the body's place as bench.generator names them (its
# units are used when it made them): 江城市住房和城乡建设局 …
HOUSING = "住房和城乡建设局"
EDUCATION = "教育局"
TRANSPORT = "交通运输局"
ECOLOGY = "生态环境局"
UNIT_LOGIN = "demo-unit"
UNIT_LOGIN_NAME = "刘静"
# The other units' contacts when they have none: logins with no usable password, as
# staff make them.
UNIT_CONTACTS = {
    EDUCATION: ("jc-jiaoyuju", "赵敏"),
    TRANSPORT: ("jc-jiaotongju", "孙浩"),
    ECOLOGY: ("jc-shengtaiju", "周倩"),
}
PROPOSERS = 10  # members besides the demo logins who write proposals and reports
PLENARY, REGULAR = Proposal.Kind.PLENARY, Proposal.Kind.REGULAR
SATISFIED = Rating.Satisfaction.SATISFIED
FAIRLY = Rating.Satisfaction.FAIRLY
UNSATISFIED = Rating.Satisfaction.UNSATISFIED

# Rows whose time the services leave to a field default (the real time): each
# step dates the ones it wrote to its own day, so timelines read as a year.
_STAMPED = (
    (ProposalEvent, "at"),
    (Proposal, "created_at"),
    (Proposer, "invited_at"),
    (Topic, "created_at"),
    (RoutingProgress, "at"),
    (Rating, "at"),
    (ReportEvent, "at"),
    (SocialInfoReport, "created_at"),
    (ReportAdoption, "created_at"),
    (ReportInstruction, "created_at"),
)


def _handling_units(city, staff) -> dict[str, HandlingUnit]:
    place = city.name.removesuffix("政协")
    units = {
        name: handling.unit_create(by=staff, body=city, name=f"{place}{name}")
        for name in (HOUSING, EDUCATION, TRANSPORT, ECOLOGY)
    }
    for name, (username, person_name) in UNIT_CONTACTS.items():
        if not units[name].contacts.exists():
            handling.unit_contact_create(
                by=staff, unit=units[name], username=username, name=person_name
            )
    return units


def _content(situation: str, *suggestions: str) -> str:
    lines = ["一、基本情况", situation, "二、意见建议"]
    lines += [f"{n}. {text}" for n, text in enumerate(suggestions, 1)]
    return "\n".join(lines)


@dataclass
class _Ref:
    """A row one step makes and later steps use (steps run in date order)."""

    obj: object = None
    by: object = None


@dataclass
class _Timeline:
    """The year's proposals and reports as steps, each a service call on its own
    day. run() plays them in date order, with the clock of django.utils.timezone
    set to the step's moment, so the services check their windows and deadlines
    against that day and record it; numbers follow the dates of acceptance."""

    session: PlenarySession
    staff: object
    units: dict
    now: datetime.datetime
    steps: list = field(default_factory=list)

    def __post_init__(self):
        self.today = timezone.localdate(self.now)
        # The session's year so far (regular proposals belong to their year's session).
        self.late = min(self.today, datetime.date(self.session.year, 12, 20))

    def day(self, offset: int) -> datetime.date:
        """Days from the opening of the plenary session."""
        return self.session.starts_on + datetime.timedelta(days=offset)

    def ago(self, days: int) -> datetime.date:
        return self.late - datetime.timedelta(days=days)

    def add(self, day: datetime.date, hour: int, step) -> None:
        seq = len(self.steps)
        when = timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, seq % 50)))
        self.steps.append((min(when, self.now - datetime.timedelta(minutes=5)), seq, step))

    def run(self) -> None:
        for when, _seq, step in sorted(self.steps, key=lambda s: s[:2]):
            marks = {model: _last_pk(model) for model, _name in _STAMPED}
            notices = _last_pk(Notice)
            with mock.patch.object(timezone, "now", return_value=when):
                step(when)
            for model, name in _STAMPED:
                model.objects.filter(pk__gt=marks[model]).update(**{name: when})
            Proposer.objects.filter(pk__gt=marks[Proposer], role=Proposer.Role.FIRST).update(
                answered_at=when
            )
            if when < self.now - datetime.timedelta(days=7):
                # Old news has been read.
                Notice.objects.filter(pk__gt=notices).update(
                    read_at=when + datetime.timedelta(hours=20)
                )

    def contact(self, unit: str):
        """The unit's newest contact (demo-unit for the housing bureau)."""
        return self.units[unit].contacts.order_by("-pk").first()

    # Topics, proposals and their handling ---------------------------------------

    def topic(self, day, *, by, title, category, description, member=None, group=None) -> _Ref:
        ref = _Ref(by=by)

        def step(when):
            ref.obj = drafting.topic_register(
                session=self.session,
                by=by,
                title=title,
                category=category,
                description=description,
                member=member,
                group=group,
            )

        self.add(day, 9, step)
        return ref

    def proposal(
        self,
        *,
        title,
        category,
        content,
        drafted,
        member=None,
        group=None,
        party="",
        by=None,
        kind=REGULAR,
        topic=None,
        invited=None,
        submitted=None,
        accepted=None,
        rejected=None,
        merged=None,
        converted=None,
        key=None,
        routed=None,
        objected=None,
        progress=(),
        replies=(),
        ratings=(),
        closed=None,
        excellent=None,
    ) -> _Ref:
        """One proposal's life, each stage (day, details...) a step of its own."""
        ref = _Ref(by=by or member.person.user)
        units = routed[1] if routed else ()

        def draft(when):
            ref.obj = drafting.proposal_draft_create(
                session=self.session,
                by=ref.by,
                title=title,
                category=category,
                content=content,
                kind=kind,
                member=member,
                group=group,
                party=party,
                suggested_units=[self.units[u] for u in units],
                topic=topic.obj if topic else None,
            )

        self.add(drafted, 9, draft)
        if invited:
            day, deadline, confirming, pending, answered = invited
            self.add(
                day,
                10,
                lambda when: drafting.cosigner_invite(
                    proposal=ref.obj,
                    members=[*confirming, *pending],
                    by=ref.by,
                    deadline=deadline,
                    now=when,
                ),
            )
            for other in confirming:
                self.add(
                    answered,
                    15,
                    lambda when, other=other: drafting.cosigner_answer(
                        proposer=ref.obj.proposers.get(member=other),
                        by=other.person.user,
                        confirm=True,
                        now=when,
                    ),
                )
        if submitted:
            self.add(
                submitted,
                11,
                lambda when: drafting.proposal_submit(proposal=ref.obj, by=ref.by, now=when),
            )
        if accepted:
            self.add(
                accepted, 10, lambda when: review.proposal_accept(proposal=ref.obj, by=self.staff)
            )
        if rejected:
            day, reason = rejected
            self.add(
                day,
                10,
                lambda when: review.proposal_reject(proposal=ref.obj, by=self.staff, reason=reason),
            )
        if merged:
            day, into, note = merged
            self.add(
                day,
                10,
                lambda when: review.proposal_merge(
                    proposal=ref.obj, into=into.obj, by=self.staff, note=note
                ),
            )
        if converted:
            day, note = converted
            self.add(
                day,
                10,
                lambda when: review.proposal_convert(
                    proposal=ref.obj, to=Proposal.ConvertedTo.REPORT, by=self.staff, note=note
                ),
            )
        if key:
            day, leader = key
            self.add(
                day,
                16,
                lambda when: review.proposal_flag_key(
                    proposal=ref.obj, by=self.staff, leader=leader
                ),
            )
        if routed:
            roles = (
                [(units[0], Routing.Role.SOLE)]
                if len(units) == 1
                else [(units[0], Routing.Role.LEAD)] + [(u, Routing.Role.ASSIST) for u in units[1:]]
            )
            self.add(
                routed[0],
                14,
                lambda when: handling.routing_create(
                    by=self.staff,
                    proposal=ref.obj,
                    units=[(self.units[u], role) for u, role in roles],
                ),
            )
        if objected:
            day, unit, reason = objected
            self.add(
                day,
                10,
                lambda when: handling.routing_object(
                    by=self.contact(unit),
                    routing=self._routing(ref, unit),
                    reason=reason,
                    now=when,
                ),
            )
        for day, unit, text in progress:
            self.add(
                day,
                16,
                lambda when, unit=unit, text=text: handling.progress_add(
                    by=self.contact(unit), routing=self._routing(ref, unit), text=text
                ),
            )
        for day, unit, result, text in replies:
            self.add(
                day,
                15,
                lambda when, unit=unit, result=result, text=text: handling.reply_submit(
                    by=self.contact(unit),
                    routing=self._routing(ref, unit),
                    result=result,
                    text=text,
                    now=when,
                ),
            )
        for day, satisfaction, comment in ratings:
            self.add(
                day,
                20,
                lambda when, satisfaction=satisfaction, comment=comment: handling.rating_submit(
                    by=handling.rater_of(ref.obj),
                    proposal=ref.obj,
                    satisfaction=satisfaction,
                    comment=comment,
                ),
            )
        if closed:
            self.add(
                closed, 10, lambda when: handling.proposal_close(by=self.staff, proposal=ref.obj)
            )
        if excellent:
            self.add(
                excellent,
                16,
                lambda when: review.proposal_flag_excellent(proposal=ref.obj, by=self.staff),
            )
        return ref

    def _routing(self, ref: _Ref, unit: str) -> Routing:
        return (
            Routing.objects.filter(proposal=ref.obj, unit=self.units[unit])
            .exclude(status=Routing.Status.WITHDRAWN)
            .get()
        )

    # Social-information reports -----------------------------------------------------

    def _use(self, report: SocialInfoReport, when) -> None:
        """Into the year's next bulletin issue after those already out (bench.generator
        may have published weekly ones around the demo's)."""
        year = timezone.localdate(when).year
        last = SocialInfoReport.objects.filter(
            body_id=report.body_id,
            status=SocialInfoReport.Status.USED,
            bulletin_year=year,
            reviewed_at__lt=when,
        ).aggregate(last=Max("bulletin_issue"))["last"]
        reporting.report_use(
            report=report, by=self.staff, bulletin_year=year, bulletin_issue=(last or 0) + 1
        )

    def report(
        self,
        *,
        title,
        content,
        drafted,
        member=None,
        group=None,
        by=None,
        submitted=None,
        withdrawn=None,
        accepted=None,
        used=None,
        not_used=None,
        adoptions=(),
        instructions=(),
    ) -> _Ref:
        ref = _Ref(by=by or member.person.user)

        def draft(when):
            ref.obj = reporting.report_draft_create(
                by=ref.by, title=title, content=content, author_member=member, author_group=group
            )

        self.add(drafted, 9, draft)
        if submitted:
            self.add(submitted, 11, lambda when: reporting.report_submit(report=ref.obj, by=ref.by))
        if withdrawn:
            day, note = withdrawn
            self.add(
                day,
                17,
                lambda when: reporting.report_withdraw(report=ref.obj, by=ref.by, note=note),
            )
        if accepted:
            self.add(
                accepted, 10, lambda when: reporting.report_accept(report=ref.obj, by=self.staff)
            )
        if used:
            self.add(used, 15, lambda when: self._use(ref.obj, when))
        if not_used:
            day, reason = not_used
            self.add(
                day,
                15,
                lambda when: reporting.report_not_use(report=ref.obj, by=self.staff, reason=reason),
            )
        for day, level, mode, note in adoptions:
            self.add(
                day,
                10,
                lambda when, level=level, mode=mode, note=note: reporting.report_adoption_record(
                    report=ref.obj,
                    by=self.staff,
                    level=level,
                    mode=mode,
                    adopted_on=timezone.localdate(when),
                    note=note,
                ),
            )
        for day, level, leader, text in instructions:
            self.add(
                day,
                16,
                lambda when, level=level, leader=leader, text=text: (
                    reporting.report_instruction_record(
                        report=ref.obj,
                        by=self.staff,
                        level=level,
                        leader=leader,
                        instructed_on=timezone.localdate(when),
                        text=text,
                    )
                ),
            )
        return ref


def _last_pk(model) -> int:
    return model.objects.aggregate(last=Max("pk"))["last"] or 0


def _proposers(term, staff) -> list[Member]:
    """Sitting members of as many groups, not demo logins, with a login of their own
    (as members who propose have), so they sign, answer and rate themselves."""
    seats = (
        Member.objects.current()
        .filter(term=term, group__isnull=False)
        .exclude(person__user__username__startswith="demo-")
        .order_by("group__name", "number")
        .values_list("pk", "group_id")
    )
    picked = {}
    for pk, group_id in seats:
        picked.setdefault(group_id, pk)
        if len(picked) == PROPOSERS:
            break
    ids = list(picked.values())
    accounts_create(by=staff, members=Member.objects.filter(pk__in=ids))
    by_pk = Member.objects.select_related("person__user").in_bulk(ids)
    return [by_pk[pk] for pk in ids]


def _proposals_and_reports(member: Member, staff, units, now) -> tuple[int, int]:
    """The stories of the demo logins' proposals and reports in the year's session,
    unless demo-member has written some already (bench.generator may have filled the
    body's years around them). Returns how many of each were made."""
    term = member.term
    have_proposals = Proposal.objects.filter(created_by=member.person.user_id).exists()
    have_reports = SocialInfoReport.objects.filter(created_by=member.person.user_id).exists()
    session = (
        PlenarySession.objects.filter(term=term, starts_on__lte=timezone.localdate(now))
        .order_by("-starts_on")
        .first()
    )
    if (have_proposals and have_reports) or session is None:
        return 0, 0
    convenor = SectorGroup.objects.select_related("convenor__person__user").get(
        term=term, name=CONVENOR_GROUP
    )
    people = _Cast(
        member=member,
        convenor=convenor.convenor,
        group=convenor,
        others=_proposers(term, staff),
    )
    timeline = _Timeline(session=session, staff=staff, units=units, now=now)
    if not have_proposals:
        _proposal_plan(timeline, people)
    if not have_reports:
        _report_plan(timeline, people)
    proposals_before = Proposal.objects.count()
    reports_before = SocialInfoReport.objects.count()
    timeline.run()
    return (
        Proposal.objects.count() - proposals_before,
        SocialInfoReport.objects.count() - reports_before,
    )


@dataclass
class _Cast:
    member: Member  # demo-member
    convenor: Member  # demo-convenor
    group: SectorGroup  # demo-convenor's group
    others: list[Member]


def _proposal_plan(t: _Timeline, c: _Cast) -> None:
    """About thirty proposals of the year's session, in every state: the plenary's
    mostly handled and closed, the later ones in review and handling now."""
    m, cv, g, o = c.member, c.convenor, c.group, c.others
    d, ago = t.day, t.ago
    staff, convenor = t.staff, cv.person.user

    t.topic(
        d(-35),
        by=o[0].person.user,
        member=o[0],
        title="城市内河水环境综合治理",
        category=Category.ECOLOGY,
        description="拟围绕内河黑臭水体反弹、截污纳管不到位等问题开展调研,形成提案。",
    )
    t.topic(
        d(-38),
        by=convenor,
        group=g,
        title="优化民营企业融资环境",
        category=Category.ECONOMY,
        description="经济界小组拟就中小民营企业融资难、融资贵问题联合调研。",
    )
    after_school = t.topic(
        d(-40),
        by=m.person.user,
        member=m,
        title="推进中小学课后服务提质增效",
        category=Category.SOCIETY,
        description="围绕课后服务内容单一、师资不足、收费不规范等问题形成大会提案。",
    )

    # The plenary's proposals (大会提案): submitted during the session, handled by summer.
    t.proposal(
        title="关于推进中小学课后服务提质增效的建议",
        category=Category.SOCIETY,
        content=_content(
            "全市义务教育学校已全面开展课后服务,但部分学校服务内容以作业辅导为主,"
            "艺术、体育、科普类课程不足,教师负担较重。",
            "引入少年宫、科技馆、体育俱乐部等校外资源,建立课后服务资源库。",
            "完善教师参与课后服务的补助和弹性上下班制度。",
            "建立家长满意度评价机制,定期公布服务情况。",
        ),
        member=m,
        kind=PLENARY,
        topic=after_school,
        drafted=d(-12),
        invited=(d(-10), d(-3), [o[1]], [], d(-8)),
        submitted=d(1),
        accepted=d(20),
        routed=(d(40), [EDUCATION]),
        replies=[
            (
                d(95),
                EDUCATION,
                "A",
                "您的建议已采纳:我局已建立全市课后服务资源库,引入校外机构 86 家,"
                "并出台教师参与课后服务补助办法。",
            )
        ],
        ratings=[(d(105), SATISFIED, "")],
        closed=d(112),
        excellent=ago(30),
    )
    old_estates = t.proposal(
        title="关于加快老旧小区改造和加装电梯的建议",
        category=Category.SOCIETY,
        content=_content(
            "全市 2000 年以前建成的老旧小区 400 余个,多数无电梯,老年住户上下楼困难;"
            "改造资金以财政为主,居民参与不足。",
            "将加装电梯纳入老旧小区改造必选项目,简化审批流程。",
            "建立政府补助、居民出资、公积金提取相结合的资金分摊机制。",
            "推行“一梯一策”协商议事,化解低层住户顾虑。",
        ),
        member=o[0],
        kind=PLENARY,
        drafted=d(-14),
        invited=(d(-11), d(-4), [m, o[2]], [], d(-9)),
        submitted=d(1),
        accepted=d(18),
        key=(d(22), "副市长 周建华"),
        routed=(d(38), [HOUSING, TRANSPORT]),
        replies=[
            (d(80), TRANSPORT, "B", "我局将结合老旧小区改造同步优化周边公交站点设置。"),
            (
                d(110),
                HOUSING,
                "B",
                "已将加装电梯纳入年度改造计划,今年完成 120 台;资金分摊指导意见已起草,年内出台。",
            ),
        ],
        ratings=[(d(120), FAIRLY, "希望资金分摊指导意见尽快出台。")],
        closed=d(130),
    )
    t.proposal(
        title="关于老旧小区加装电梯资金分摊的建议",
        category=Category.SOCIETY,
        content=_content(
            "加装电梯费用分摊缺乏统一标准,低层住户意见大,不少项目因此搁置。",
            "出台按楼层分档分摊的指导标准。",
            "允许提取住房公积金用于加装电梯。",
        ),
        member=o[3],
        kind=PLENARY,
        drafted=d(-6),
        submitted=d(2),
        merged=(d(24), old_estates, "与老旧小区改造提案内容相近,并案办理"),
    )
    t.proposal(
        title="关于优化城区公交线网、打通断头路的建议",
        category=Category.ECONOMY,
        content=_content(
            "城区新建片区公交覆盖不足,部分道路断头,居民出行绕行严重。",
            "对新建片区开通微循环公交线路。",
            "将城东三条断头路纳入年度建设计划。",
        ),
        member=o[4],
        kind=PLENARY,
        drafted=d(-7),
        submitted=d(2),
        accepted=d(19),
        routed=(d(40), [TRANSPORT]),
        replies=[(d(100), TRANSPORT, "B", "已新开微循环线路 4 条,断头路打通项目列入明年计划。")],
        ratings=[(d(112), SATISFIED, "")],
        closed=d(120),
    )
    t.proposal(
        title="关于加快城市物流配送体系建设的建议",
        category=Category.ECONOMY,
        content=_content(
            "城市末端配送网点布局分散,货车进城通行受限,配送成本高。",
            "规划建设城市公共配送中心和社区共配网点。",
            "为新能源配送车辆发放通行证。",
        ),
        member=cv,
        kind=PLENARY,
        drafted=d(-9),
        submitted=d(1),
        accepted=d(21),
        routed=(d(42), [TRANSPORT, HOUSING]),
        replies=[
            (d(85), HOUSING, "A", "已在新建住宅小区配套规划中预留社区共配网点用房。"),
            (d(105), TRANSPORT, "B", "新能源配送车辆通行证办法已征求意见,下半年实施。"),
        ],
        ratings=[(d(115), FAIRLY, "")],
        closed=d(125),
    )
    t.proposal(
        title="关于加强城区噪声污染防治的建议",
        category=Category.ECOLOGY,
        content=_content(
            "夜间施工、商业街区噪声投诉逐年增加,执法取证难。",
            "在重点区域布设噪声自动监测点。",
            "严格夜间施工审批并公开许可信息。",
        ),
        member=o[5],
        kind=PLENARY,
        drafted=d(-8),
        submitted=d(2),
        accepted=d(20),
        routed=(d(41), [ECOLOGY]),
        replies=[
            (d(98), ECOLOGY, "C", "受经费限制,噪声自动监测点暂难全面布设,留作参考。"),
            (d(135), ECOLOGY, "B", "已争取专项资金,年内在 12 个重点区域布设噪声监测点。"),
        ],
        ratings=[
            (d(110), UNSATISFIED, "答复未提出具体措施,请重新研究办理。"),
            (d(145), FAIRLY, ""),
        ],
        closed=d(152),
    )
    t.proposal(
        title="关于推进义务教育优质均衡发展的建议",
        category=Category.SOCIETY,
        content=_content(
            "城乡、校际之间办学条件和师资水平差距仍然较大。",
            "推行集团化办学和城乡学校结对。",
            "建立县域内教师交流轮岗制度。",
        ),
        party="cdl",
        by=staff,
        kind=PLENARY,
        drafted=d(-5),
        submitted=d(1),
        accepted=d(19),
        routed=(d(39), [EDUCATION]),
        replies=[(d(90), EDUCATION, "A", "已组建教育集团 15 个,城乡学校结对实现全覆盖。")],
        ratings=[(d(100), SATISFIED, "")],
        closed=d(108),
    )
    t.proposal(
        title="关于支持建筑业企业转型升级的建议",
        category=Category.ECONOMY,
        content=_content(
            "本地建筑业企业以施工总承包为主,装配式建筑和智能建造能力不足。",
            "对装配式建筑项目给予容积率奖励。",
            "支持本地企业组建联合体参与重大项目。",
        ),
        group=g,
        by=convenor,
        kind=PLENARY,
        drafted=d(-10),
        submitted=d(2),
        accepted=d(23),
        routed=(d(43), [HOUSING]),
        replies=[(d(97), HOUSING, "B", "装配式建筑容积率奖励办法已列入今年立法计划。")],
        ratings=[(d(108), SATISFIED, "")],
        closed=d(116),
    )
    t.proposal(
        title="关于在城区增设新能源汽车充电设施的建议",
        category=Category.ECONOMY,
        content=_content(
            "全市新能源汽车保有量快速增长,老旧小区和公共停车场充电桩不足。",
            "在公共停车场按比例配建充电设施。",
            "简化居民小区充电桩报装流程。",
        ),
        member=o[6],
        kind=PLENARY,
        drafted=d(-6),
        submitted=d(3),
        accepted=d(24),
        routed=(d(44), [TRANSPORT, ECOLOGY]),
        replies=[
            (d(88), ECOLOGY, "A", "已将充电设施建设纳入大气污染防治年度任务。"),
            (d(118), TRANSPORT, "D", "充电桩报装由供电公司负责,我局已函请其简化流程。"),
        ],
    )
    t.proposal(
        title="关于建设江城国际机场的建议",
        category=Category.ECONOMY,
        content=_content(
            "我市距最近的国际机场车程两小时,不利于招商引资。",
            "启动江城国际机场前期研究。",
        ),
        member=o[7],
        kind=PLENARY,
        drafted=d(-4),
        submitted=d(3),
        rejected=(
            d(25),
            "所提事项不属于本市事权,且省级机场布局规划已作研究,不予立案,可作为意见建议转有关部门参考。",
        ),
    )
    t.proposal(
        title="关于加快推进海绵城市建设的建议",
        category=Category.ECOLOGY,
        content=_content(
            "汛期城区积水点多,雨水管网标准偏低。",
            "新建项目严格落实海绵城市建设指标。",
            "对积水点逐一制定改造方案。",
        ),
        member=o[9],
        kind=PLENARY,
        drafted=d(-5),
        submitted=d(2),
        accepted=d(22),
        routed=(d(42), [HOUSING]),
        replies=[(d(92), HOUSING, "A", "已完成 18 处积水点改造,新建项目海绵指标纳入施工图审查。")],
        ratings=[(d(104), SATISFIED, "")],
    )

    # Regular proposals (平时提案) through the year.
    t.proposal(
        title="关于小区电动自行车充电难的情况反映",
        category=Category.SOCIETY,
        content=_content(
            "不少小区没有集中充电设施,居民飞线充电、推车入户现象普遍,存在火灾隐患。",
            "建议有关部门关注。",
        ),
        member=o[8],
        drafted=d(60),
        submitted=d(62),
        converted=(d(70), "内容以反映情况为主,转为社情民意信息报送"),
    )
    t.proposal(
        title="关于在全市推行政务服务“一网通办”的建议",
        category=Category.POLITICS,
        content=_content(
            "部分事项仍需群众多头跑、重复交材料。",
            "推行政务服务“一网通办”。",
        ),
        member=o[7],
        drafted=d(100),
        submitted=d(102),
        rejected=(d(112), "所提建议市政府已组织实施并基本完成,不予立案。"),
    )
    t.proposal(
        title="关于加强饮用水水源地保护的建议",
        category=Category.ECOLOGY,
        content=_content(
            "江城水库一级保护区内仍有少量农家乐,面源污染风险较大。",
            "依法清理保护区内违规经营项目。",
            "建立水源地水质在线监测和信息公开制度。",
        ),
        member=o[0],
        drafted=d(90),
        submitted=d(92),
        accepted=d(100),
        routed=(d(108), [ECOLOGY]),
        replies=[(d(160), ECOLOGY, "A", "保护区内 9 家农家乐已全部关停,在线监测数据按月公开。")],
        ratings=[(d(170), SATISFIED, "")],
        closed=d(178),
    )
    t.proposal(
        title="关于解决老旧小区停车难问题的建议",
        category=Category.SOCIETY,
        content=_content(
            "老旧小区车位缺口大,车辆占用消防通道现象突出。",
            "利用小区周边闲置地块建设立体停车设施。",
            "推动机关企事业单位停车场夜间错时开放。",
        ),
        member=o[8],
        drafted=d(140),
        submitted=d(143),
        accepted=d(152),
        routed=(d(160), [HOUSING]),
        progress=[(d(200), HOUSING, "已会同街道摸排小区周边闲置地块 11 处。")],
    )
    t.proposal(
        title="关于校园周边交通安全综合治理的建议",
        category=Category.SOCIETY,
        content=_content(
            "上下学高峰时段学校周边车辆拥堵,学生过街安全隐患大。",
            "在学校周边设置限时停车接送区。",
            "增设过街天桥或信号灯。",
        ),
        member=m,
        drafted=d(150),
        submitted=d(152),
        accepted=d(160),
        routed=(d(168), [TRANSPORT]),
        replies=[(d(230), TRANSPORT, "C", "受道路条件限制,过街天桥暂不具备建设条件,留作参考。")],
        ratings=[(ago(12), UNSATISFIED, "答复未回应限时停车接送区的建议,请重新办理。")],
    )
    t.proposal(
        title="关于加强中小学生心理健康教育的建议",
        category=Category.SOCIETY,
        content=_content(
            "中小学生心理问题呈低龄化趋势,学校专职心理教师配备不足。",
            "按师生比配齐专职心理健康教师。",
            "建立学校、家庭、医院联动的心理危机干预机制。",
        ),
        member=m,
        drafted=d(200),
        submitted=d(203),
        accepted=d(212),
        routed=(d(220), [EDUCATION]),
        replies=[
            (
                ago(8),
                EDUCATION,
                "B",
                "明年起每年新招聘专职心理教师 40 名,三年内实现每校至少 1 名;"
                "正会同市卫健委制定心理危机干预联动办法。",
            )
        ],
    )
    t.proposal(
        title="关于推进城市生活垃圾分类提质增效的建议",
        category=Category.ECOLOGY,
        content=_content(
            "居民分类投放准确率不高,厨余垃圾处理能力不足。",
            "推行定时定点投放和督导员制度。",
            "加快厨余垃圾处理设施建设。",
        ),
        member=o[1],
        drafted=ago(60),
        submitted=ago(56),
        accepted=ago(45),
        routed=(ago(35), [ECOLOGY, HOUSING]),
    )
    t.proposal(
        title="关于加快城中村雨污分流管网改造的建议",
        category=Category.ECOLOGY,
        content=_content(
            "城中村雨污合流,汛期污水外溢,影响居民生活和河道水质。",
            "将城中村雨污分流改造纳入年度城建计划。",
            "同步实施道路修复,减少重复开挖。",
        ),
        member=m,
        drafted=ago(50),
        submitted=ago(46),
        accepted=ago(36),
        routed=(ago(28), [HOUSING]),
        progress=[(ago(6), HOUSING, "已完成 3 个城中村的现场踏勘,正在编制改造方案。")],
    )
    t.proposal(
        title="关于规范校外培训机构管理的建议",
        category=Category.SOCIETY,
        content=_content(
            "部分校外培训机构变相开展学科类培训,预收费风险突出。",
            "建立预收费资金监管制度。",
            "加强联合执法。",
        ),
        member=o[2],
        drafted=ago(40),
        submitted=ago(38),
        accepted=ago(30),
        routed=(ago(22), [EDUCATION]),
    )
    t.proposal(
        title="关于优化早晚高峰公交班次的建议",
        category=Category.SOCIETY,
        content=_content(
            "早晚高峰主要线路车辆满载,候车时间长。",
            "高峰时段加密主要线路班次。",
            "开通通勤定制公交。",
        ),
        member=o[4],
        drafted=ago(35),
        submitted=ago(33),
        accepted=ago(26),
        routed=(ago(18), [TRANSPORT]),
        objected=(
            ago(15),
            TRANSPORT,
            "公交线路运营调度由市公交集团负责,建议改由市国资委协调市公交集团办理。",
        ),
    )
    t.proposal(
        title="关于提高乡村学校教师待遇的建议",
        category=Category.SOCIETY,
        content=_content(
            "乡村学校教师流失较多,年轻教师留不住。",
            "提高乡村教师生活补助标准。",
            "职称评聘向乡村教师倾斜。",
        ),
        member=o[3],
        drafted=ago(25),
        submitted=ago(22),
        accepted=ago(10),
    )
    t.proposal(
        title="关于建设城市慢行交通系统的建议",
        category=Category.ECOLOGY,
        content=_content(
            "城区非机动车道被占用、断点多,绿道不成网。",
            "编制慢行交通专项规划。",
            "打通滨江绿道断点。",
        ),
        member=o[5],
        drafted=ago(20),
        submitted=ago(17),
        accepted=ago(8),
    )
    t.proposal(
        title="关于降低物流企业通行成本的建议",
        category=Category.ECONOMY,
        content=_content(
            "物流企业高速通行费用占运营成本比重较高。",
            "争取对本地物流企业实行差异化收费。",
        ),
        group=g,
        by=convenor,
        drafted=ago(12),
        submitted=ago(9),
    )
    t.proposal(
        title="关于完善中小微企业公共服务平台的建议",
        category=Category.ECONOMY,
        content=_content(
            "中小微企业获取政策、融资、人才信息渠道分散。",
            "整合建设全市统一的中小微企业公共服务平台。",
        ),
        member=cv,
        drafted=ago(9),
        submitted=ago(6),
    )
    t.proposal(
        title="关于推动职业教育产教融合的建议",
        category=Category.SOCIETY,
        content=_content(
            "职业院校专业设置与本地产业需求匹配度不高,企业参与办学积极性不足。",
            "建立职业院校专业动态调整机制。",
            "对参与产教融合的企业给予税收优惠。",
        ),
        member=m,
        drafted=ago(7),
        submitted=ago(4),
    )
    t.proposal(
        title="关于加强城区河道水质监测的建议",
        category=Category.ECOLOGY,
        content=_content(
            "城区部分河道水质不稳定,监测断面偏少。",
            "增设河道水质自动监测站并公开数据。",
        ),
        member=o[6],
        drafted=ago(5),
        submitted=ago(3),
    )
    t.proposal(
        title="关于建设城市书房、推进全民阅读的建议",
        category=Category.CULTURE,
        content=_content(
            "全市公共阅读空间分布不均,新建片区缺少就近阅读场所。",
            "在社区、公园建设 24 小时城市书房。",
            "鼓励社会力量参与运营。",
        ),
        member=o[2],
        drafted=ago(6),
        invited=(ago(4), t.today + datetime.timedelta(days=14), [o[4]], [m], ago(3)),
    )
    t.proposal(
        title="关于加强校园食品安全监管的建议",
        category=Category.SOCIETY,
        content=_content(
            "部分学校食堂外包后监管不到位。",
            "推行“明厨亮灶”和家长陪餐制度。",
        ),
        member=m,
        drafted=ago(2),
    )
    t.proposal(
        title="关于支持老字号企业传承发展的建议",
        category=Category.ECONOMY,
        content=_content("本市老字号企业经营困难,传承人断档。", "设立老字号发展专项资金。"),
        member=cv,
        drafted=ago(3),
    )


def _report_plan(t: _Timeline, c: _Cast) -> None:
    """About twenty reports: in the bulletin, adopted upward and instructed on by
    leaders, not used, and some still with the author or the staff."""
    m, g, o = c.member, c.group, c.others
    d, ago = t.day, t.ago
    convenor = c.convenor.person.user
    city, province, national = Level.CITY, Level.PROVINCE, Level.NATIONAL
    Mode = ReportAdoption.Mode
    single, combined, forwarded = Mode.SINGLE, Mode.COMBINED, Mode.FORWARDED

    t.report(
        title="春节后农民工返岗就业情况及建议",
        content=_content(
            "节后部分返乡农民工留乡意愿增强,本地企业招工难与农民工就业难并存。",
            "举办家门口招聘会,发布岗位清单。",
        ),
        member=o[8],
        drafted=d(15),
        submitted=d(16),
        accepted=d(20),
        used=d(28),
        adoptions=[(d(60), province, single, "")],
    )
    t.report(
        title="关于城市内涝点整治的建议",
        content=_content("汛前排查发现城区仍有易涝点 23 处。", "汛前完成重点易涝点改造。"),
        member=o[0],
        drafted=d(45),
        submitted=d(46),
        accepted=d(49),
        used=d(58),
        adoptions=[(d(65), city, single, "")],
    )
    t.report(
        title="中小学生近视率居高不下的情况反映及建议",
        content=_content(
            "抽样调查显示,本市初中生近视率超过 70%,户外活动时间普遍不足。",
            "保障学生每天校内外各 1 小时体育活动。",
            "严控电子产品进校园。",
        ),
        member=m,
        drafted=d(70),
        submitted=d(71),
        accepted=d(74),
        used=d(85),
        adoptions=[
            (d(92), city, single, ""),
            (d(120), province, single, "省政协《社情民意》第 46 期"),
            (d(160), national, combined, "全国政协综合采用"),
        ],
        instructions=[
            (d(130), province, "分管副省长", "请省教育厅会同省卫生健康委研究吸纳。"),
        ],
    )
    t.report(
        title="外卖骑手交通安全问题值得关注",
        content=_content("外卖骑手闯红灯、逆行现象多发,事故占比上升。", "压实平台企业安全责任。"),
        member=o[1],
        drafted=d(100),
        submitted=d(101),
        accepted=d(105),
        used=d(115),
    )
    t.report(
        title="关于农贸市场改造后摊位费上涨的反映",
        content=_content("部分农贸市场提升改造后摊位费上涨三成以上。", "加强摊位费价格监管。"),
        member=o[3],
        drafted=d(110),
        submitted=d(111),
        not_used=(d(118), "所反映问题已由市市场监管局专项整治,信息时效性不足,未采用。"),
    )
    t.report(
        title="民营企业账款拖欠问题仍较突出",
        content=_content(
            "经济界小组调研 32 家民营企业,近半数反映存在政府项目和国企账款拖欠。",
            "建立拖欠账款台账,限期清偿。",
        ),
        group=g,
        by=convenor,
        drafted=d(130),
        submitted=d(131),
        accepted=d(134),
        used=d(146),
        adoptions=[(d(175), province, combined, "")],
    )
    t.report(
        title="关于规范校外托管机构的建议",
        content=_content("校外托管机构缺乏准入标准,食品和消防安全隐患较多。", "明确主管部门。"),
        member=m,
        drafted=d(150),
        submitted=d(151),
        not_used=(d(158), "与此前已编报的民营企业账款拖欠信息内容相近,未单独采用。"),
    )
    t.report(
        title="基层医疗机构常用药品短缺的情况反映",
        content=_content(
            "部分乡镇卫生院降压、降糖等常用药品时有断供,群众只能到县城购药。",
            "建立县域医共体药品统一采购配送机制。",
        ),
        member=o[2],
        drafted=d(160),
        submitted=d(161),
        accepted=d(164),
        used=d(176),
        adoptions=[(d(182), city, single, ""), (d(210), province, single, "")],
        instructions=[(d(190), city, "分管副市长", "请市卫生健康委抓紧调研,拿出解决办法。")],
    )
    t.report(
        title="农村留守儿童课后看护难的问题及建议",
        content=_content(
            "农村留守儿童放学后无人看护,安全和学习问题突出。",
            "依托村级活动场所开设“四点半课堂”。",
        ),
        member=m,
        drafted=d(190),
        submitted=d(191),
        accepted=d(195),
        used=d(206),
        adoptions=[(d(212), city, single, "")],
        instructions=[(d(220), city, "市委副书记", "此建议很好,请团市委、市妇联牵头落实。")],
    )
    t.report(
        title="关于公共场所母婴室建设的建议",
        content=_content(
            "全市交通枢纽、商场母婴室配置率不足一半。", "将母婴室纳入公共建筑配建标准。"
        ),
        member=o[6],
        drafted=ago(40),
        submitted=ago(39),
        accepted=ago(36),
        used=ago(25),
    )
    t.report(
        title="小微企业用工成本上升的情况反映",
        content=_content("社保基数调整后小微企业用工成本明显上升。", "落实阶段性减负政策。"),
        group=g,
        by=convenor,
        drafted=ago(30),
        submitted=ago(29),
        accepted=ago(24),
    )
    t.report(
        title="乡村民宿消防安全隐患值得关注",
        content=_content("部分乡村民宿由农房改建,消防设施缺失。", "开展乡村民宿消防安全专项检查。"),
        member=o[5],
        drafted=ago(22),
        submitted=ago(21),
        accepted=ago(17),
        adoptions=[(ago(5), city, forwarded, "转市应急管理局参阅")],
    )
    t.report(
        title="关于职业院校实习学生权益保护的建议",
        content=_content("部分实习学生被安排从事与专业无关的简单劳动。", "加强对实习单位的监管。"),
        member=m,
        drafted=ago(16),
        submitted=ago(15),
        accepted=ago(10),
    )
    t.report(
        title="城郊结合部违章搭建反弹的情况反映",
        content=_content("城郊结合部违章搭建拆后反弹。", "建立常态化巡查机制。"),
        member=o[7],
        drafted=ago(9),
        submitted=ago(8),
    )
    t.report(
        title="老年人使用智能手机就医难的情况反映",
        content=_content(
            "医院推行线上预约挂号后,不少老年人不会使用智能手机,挂号难。",
            "保留人工窗口和电话预约渠道。",
        ),
        member=m,
        drafted=ago(7),
        submitted=ago(6),
    )
    t.report(
        title="电动自行车进楼入户的安全隐患",
        content=_content("高层住宅电动自行车进楼入户屡禁不止。", "推广电梯阻车装置。"),
        member=o[4],
        drafted=ago(4),
        submitted=ago(3),
    )
    t.report(
        title="关于春季森林防火的建议",
        content=_content("清明前后祭扫用火增多。", "加强林区入口管控。"),
        member=o[9],
        drafted=ago(20),
        submitted=ago(19),
        withdrawn=(ago(17), "信息已过时效,撤回"),
    )
    t.report(
        title="关于社区食堂可持续运营的思考",
        content=_content("部分社区食堂依赖补贴,运营难以为继。", "引入市场化运营主体。"),
        member=m,
        drafted=ago(2),
    )
