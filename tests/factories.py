"""Factories for the foundation's models, shared by every app's tests."""

import datetime

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from duties.models import Activity, ActivityKind, Category
from members.models import BodyRole, Honour, Member, Person
from sectors.models import Body, Committee, MemberHome, PlenarySession, Sector, SectorGroup, Term


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("pass-word-123")


class BodyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Body

    name = factory.Sequence(lambda n: f"测试市政协{n}")
    short_name = factory.Sequence(lambda n: f"测试{n}")
    level = Body.Level.CITY


class TermFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Term

    body = factory.SubFactory(BodyFactory)
    number = 15
    starts_on = datetime.date(2022, 1, 1)
    is_current = True


class PlenarySessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PlenarySession

    term = factory.SubFactory(TermFactory)
    number = factory.Sequence(lambda n: n + 1)
    year = 2026
    starts_on = datetime.date(2026, 1, 10)
    ends_on = datetime.date(2026, 1, 13)


class SectorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Sector

    term = factory.SubFactory(TermFactory)
    name = factory.Sequence(lambda n: f"界别{n}")


class SectorGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SectorGroup

    term = factory.SubFactory(TermFactory)
    name = factory.Sequence(lambda n: f"第{n}界别小组")


class CommitteeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Committee

    term = factory.SubFactory(TermFactory)
    name = factory.Sequence(lambda n: f"专委会{n}")


class MemberHomeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MemberHome

    body = factory.SubFactory(BodyFactory)
    name = factory.Sequence(lambda n: f"委员之家{n}")


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    name = factory.Sequence(lambda n: f"委员{n}")
    gender = Person.Gender.MALE
    party = "non_party"
    workplace = "某单位"
    mobile = factory.Sequence(lambda n: f"139{n:08d}")


class MemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Member

    person = factory.SubFactory(PersonFactory)
    term = factory.SubFactory(TermFactory)
    number = factory.Sequence(lambda n: f"{n:04d}")
    sector = factory.LazyAttribute(lambda m: SectorFactory(term=m.term))
    joined_on = datetime.date(2022, 1, 1)


class HonourFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Honour

    person = factory.SubFactory(PersonFactory)
    title = "优秀政协委员"
    level = Honour.Level.CITY
    awarded_on = datetime.date(2025, 12, 1)


class ActivityKindFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ActivityKind
        django_get_or_create = ("body", "code")

    body = factory.SubFactory(BodyFactory)
    code = "inspection"
    name = factory.LazyAttribute(
        lambda k: {"inspection": "视察", "plenary": "全体会议"}.get(k.code, k.code)
    )
    category = Category.INSPECTION


class ActivityFactory(factory.django.DjangoModelFactory):
    """A published activity a week ahead, sign-up open for five days."""

    class Meta:
        model = Activity

    term = factory.SubFactory(TermFactory)
    body = factory.LazyAttribute(lambda a: a.term.body)
    kind = factory.LazyAttribute(lambda a: ActivityKindFactory(body=a.term.body))
    theme = factory.Sequence(lambda n: f"视察活动{n}")
    venue_text = "市民中心"
    starts_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=7))
    ends_at = factory.LazyAttribute(lambda a: a.starts_at + datetime.timedelta(hours=3))
    signup_deadline = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=5))
    status = Activity.Status.PUBLISHED
    created_by = factory.SubFactory(UserFactory)


def member_with_login(*, term, sector=None, group=None, username=None, **kwargs) -> Member:
    """A member whose person has a login (password 'pass-word-123')."""
    user = UserFactory(username=username) if username else UserFactory()
    person = PersonFactory(user=user)
    return MemberFactory(
        person=person, term=term, sector=sector or SectorFactory(term=term), group=group, **kwargs
    )


def office_user(*, body, role, username=None) -> "get_user_model()":
    user = UserFactory(username=username) if username else UserFactory()
    BodyRole.objects.create(user=user, body=body, role=role)
    return user


def member_form_data(member, **extra) -> dict:
    """The member edit form (members:edit) as posted unchanged, plus `extra`."""
    person = member.person
    data = {
        "p-name": person.name,
        "p-gender": person.gender,
        "p-ethnicity": person.ethnicity,
        "p-party": person.party,
        "p-mobile": person.mobile,
        "s-number": member.number,
        "s-sector": member.sector_id,
        "s-joined_on": member.joined_on.isoformat(),
        "s-join_kind": member.join_kind,
    }
    data.update(extra)
    return data
