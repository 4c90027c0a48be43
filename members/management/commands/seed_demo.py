"""A believable city body (江城市政协, about 450 members) and one of its district
bodies, with a login for every role, and their duty activities: the years so far with
attendance, the coming weeks open for sign-up (relative to the time it runs). Safe to
run again: it adds only what is missing (fresh coming activities when none is open
any more, demo-member's lists and self-reported duties)."""

import datetime

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from bench.generator import DEFAULT_SEED, GeneratorError, activities_top_up, generate
from duties import services
from duties.models import Activity, ActivityKind, Participation, SelfReportedDuty
from members.models import BodyRole, Honour, Member, Person
from sectors.models import Body, MemberHome, SectorGroup

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
        else:
            self.stdout.write("演示数据已存在,未重复生成。")
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
