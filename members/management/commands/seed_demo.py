"""A believable city body (江城市政协, about 450 members) and one of its district
bodies, with a login for every role. Safe to run again: it adds only what is missing."""

import datetime

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from bench.generator import DEFAULT_SEED, GeneratorError, generate
from members.models import BodyRole, Honour, Member, Person
from sectors.models import Body, SectorGroup

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
        try:
            summary = generate("demo", seed=seed)
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
        if summary["created"]:
            self.stdout.write(
                f"已生成 {summary['bodies']} 个政协、{summary['members']} 个委员席位"
                f"({summary['persons']} 人,其中 {summary['persons_in_several_bodies']} 人"
                "同时在两级政协任委员),"
                f"用时 {summary['seconds']} 秒。"
            )
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
