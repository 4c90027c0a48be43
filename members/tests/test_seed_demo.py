import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import Count

from bench.generator import GeneratorError, generate
from members.management.commands.seed_demo import CITY, COUNTY, PASSWORD
from members.models import BodyRole, Honour, Member, Person
from members.permissions import viewer_for
from sectors.models import Body, Committee, PlenarySession, Sector, SectorGroup, Term

DEMO_ROLES = {
    "demo-admin": "admin",
    "demo-staff": "staff",
    "demo-leader": "leadership",
    "demo-county-staff": "staff",
    "demo-member": "member",
    "demo-convenor": "convenor",
}


def seed_demo():
    call_command("seed_demo", stdout=_Sink())


class _Sink:
    def write(self, text):
        pass

    def flush(self):
        pass


def row_counts():
    models = (
        Body,
        Term,
        PlenarySession,
        Sector,
        SectorGroup,
        Committee,
        Person,
        Member,
        Honour,
        BodyRole,
        get_user_model(),
        Member.committees.through,
        SectorGroup.sectors.through,
    )
    return {model.__name__: model.objects.count() for model in models}


@pytest.mark.django_db
def test_seed_demo_builds_a_city_and_a_district_body():
    seed_demo()

    city = Body.objects.get(name=CITY)
    county = Body.objects.get(name=COUNTY)
    assert (city.short_name, city.level, county.level, county.parent) == (
        "江城",
        "city",
        "county",
        city,
    )
    term = city.current_term()
    assert (term.number, term.starts_on.year) == (15, 2022)
    assert list(term.sessions.values_list("year", flat=True)) == [2022, 2023, 2024, 2025, 2026]
    assert 420 <= Member.objects.current().filter(term__body=city).count() <= 450
    assert 50 <= Member.objects.current().filter(term__body=county).count() <= 60
    assert 25 <= term.sectors.count() <= 30
    assert term.committees.count() == 10
    assert 3 <= city.member_homes.count() <= 5
    in_both = Person.objects.annotate(bodies=Count("seats__term__body", distinct=True)).filter(
        bodies=2
    )
    assert 3 <= in_both.count() <= 10
    assert Honour.objects.filter(level=Honour.Level.CITY, title="优秀政协委员").exists()


@pytest.mark.django_db
def test_every_demo_user_logs_in_with_the_printed_password(client):
    seed_demo()

    for username, role in DEMO_ROLES.items():
        assert client.login(username=username, password=PASSWORD), username
        assert viewer_for(get_user_model().objects.get(username=username)).role_label() == role
        client.logout()
    member = Person.objects.get(user__username="demo-member")
    assert client.login(username=member.mobile, password=PASSWORD)


@pytest.mark.django_db
def test_the_demo_convenor_convenes_a_group_of_the_city_body():
    seed_demo()

    group = SectorGroup.objects.get(convenor__person__user__username="demo-convenor")
    assert group.term.body.name == CITY and group.term.is_current
    assert group.convenor.group == group
    assert group.liaison is not None and group.liaison != group.convenor


@pytest.mark.django_db
def test_running_it_twice_changes_nothing():
    seed_demo()
    before = row_counts()
    passwords = dict(get_user_model().objects.values_list("username", "password"))

    seed_demo()

    assert row_counts() == before
    assert dict(get_user_model().objects.values_list("username", "password")) == passwords


@pytest.mark.django_db
def test_the_generator_builds_a_small_body_to_order():
    summary = generate("S", members=40, seed=7, body_name="甲市政协")

    assert summary["created"] and summary["members"] == 40
    term = Term.objects.get(body__name="甲市政协")
    assert all(term.sectors.annotate(n=Count("members")).values_list("n", flat=True))
    mobiles = list(Person.objects.values_list("mobile", flat=True))
    assert len(set(mobiles)) == len(mobiles) == 40
    assert all(len(m) == 11 and m[:2] in ("13", "15", "18", "19") for m in mobiles)
    parties = Member.objects.filter(sector__name__in=["中共", "民革"])
    assert set(parties.values_list("sector__name", "person__party")) <= {
        ("中共", "cpc"),
        ("民革", "rcck"),
    }


@pytest.mark.django_db
def test_the_same_seed_gives_the_same_people():
    def people(body_name):
        return list(
            Member.objects.filter(term__body__name=body_name)
            .order_by("number")
            .values_list(
                "person__name",
                "person__gender",
                "person__birth_date",
                "person__party",
                "sector__name",
            )
        )

    generate("S", members=40, seed=7, body_name="甲市政协")
    generate("S", members=40, seed=7, body_name="乙市政协")

    assert people("甲市政协") == people("乙市政协")


@pytest.mark.django_db
def test_a_plan_already_there_is_not_built_again_and_half_of_one_is_refused():
    generate("S", members=40)
    assert generate("S", members=40)["created"] is False

    with pytest.raises(GeneratorError):
        generate("demo")


@pytest.mark.django_db
def test_ten_years_carry_people_over_between_terms():
    generate("L", members=1500, seed=3)

    city = Body.objects.get(name="海川市政协")
    older, current = city.terms.order_by("number")
    assert not older.members.filter(left_on__isnull=True).exists()
    assert older.members.filter(left_reason=Member.LeftReason.TERM_ENDED).exists()
    carried = current.members.filter(person__seats__term=older).count()
    assert 0.3 * current.members.count() < carried < 0.7 * current.members.count()
    assert Body.objects.filter(parent=city).count() == 15
    assert Term.objects.filter(is_current=True).count() == 16
