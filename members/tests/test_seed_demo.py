from collections import defaultdict

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from bench.generator import GeneratorError, generate
from members.management.commands.seed_demo import CITY, COUNTY, HOUSING, PASSWORD, UNIT_LOGIN
from members.models import BodyRole, Honour, Member, Notice, Person
from members.permissions import viewer_for
from proposals import selectors as proposal_selectors
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
from proposals.permissions import proposals_visible_to, units_of
from proposals.services.handling import routings_overdue
from reports import selectors as report_selectors
from reports.models import (
    Level,
    ReportAdoption,
    ReportEvent,
    ReportInstruction,
    SocialInfoReport,
)
from reports.permissions import reports_visible_to
from scoring.models import Rulebook, Score, ScoreLine, ScorePeriod
from scoring.reference import quarter_to_date
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
        HandlingUnit,
        HandlingUnit.contacts.through,
        Topic,
        Proposal,
        Proposer,
        ProposalEvent,
        Routing,
        Reply,
        Rating,
        SocialInfoReport,
        ReportEvent,
        ReportAdoption,
        ReportInstruction,
        Notice,
        Rulebook,
        ScorePeriod,
        Score,
        ScoreLine,
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
    client.logout()
    assert client.login(username=UNIT_LOGIN, password=PASSWORD)
    contact = get_user_model().objects.get(username=UNIT_LOGIN)
    housing = HandlingUnit.objects.get(body__name=CITY, name=f"江城市{HOUSING}")
    assert units_of(contact) == {housing.pk}


@pytest.mark.django_db
def test_the_demo_convenor_convenes_a_group_of_the_city_body():
    seed_demo()

    group = SectorGroup.objects.get(convenor__person__user__username="demo-convenor")
    assert group.term.body.name == CITY and group.term.is_current
    assert group.convenor.group == group
    assert group.liaison is not None and group.liaison != group.convenor


def _user(username):
    return get_user_model().objects.get(username=username)


def _get(client, username, url) -> object:
    client.force_login(_user(username))
    response = client.get(url)
    assert response.status_code == 200, (username, url, response.status_code)
    return response


@pytest.mark.django_db
def test_the_demo_logins_find_proposals_and_reports_in_every_state(client):
    # one seeding for both: it is the slow part
    seed_demo()
    city = Body.objects.get(name=CITY)

    _the_proposals_are_there(client, city)
    _the_reports_are_there(client, city)


def _the_proposals_are_there(client, city):
    member, staff, unit = _user("demo-member"), _user("demo-staff"), _user(UNIT_LOGIN)

    # every state of the lifecycle is there (withdrawal is optional)
    statuses = set(Proposal.objects.filter(body=city).values_list("status", flat=True))
    assert set(Proposal.Status.values) - {Proposal.Status.WITHDRAWN} <= statuses
    key = proposals_visible_to(staff).filter(is_key=True).exclude(key_leader="")
    assert key.exists() and proposals_visible_to(staff).filter(is_excellent=True).exists()
    replies = Reply.objects.filter(routing__proposal__body=city)
    assert set(replies.values_list("result", flat=True)) == set(Reply.Result.values)
    ratings = Rating.objects.filter(proposal__body=city)
    assert set(ratings.values_list("satisfaction", flat=True)) == set(Rating.Satisfaction.values)
    assert Topic.objects.filter(session__term__body=city, status=Topic.Status.REGISTERED).exists()

    # demo-member proposes several, co-signs one, and is asked to co-sign another
    mine = proposal_selectors.proposals_mine(member)
    first = mine.filter(proposers__member__person__user=member, proposers__role="first")
    co = mine.filter(proposers__member__person__user=member, proposers__role="co")
    assert first.count() >= 5 and co.exists()
    assert {Proposal.Status.DRAFT, Proposal.Status.SUBMITTED, Proposal.Status.ROUTED} <= set(
        first.values_list("status", flat=True)
    )
    assert proposal_selectors.invitations_awaiting(member).exists()
    invited = _get(client, "demo-member", reverse("proposals:mine"))
    assert invited.context["invitations"]

    # numbers are gap-free in each session and kind, and the counters agree
    numbers = defaultdict(list)
    for session, kind, number in (
        Proposal.objects.filter(body=city).accepted().values_list("session", "kind", "number")
    ):
        numbers[session, kind].append(number)
    counters = {(c.session_id, c.kind): c.last for c in ProposalNumber.objects.all()}
    for (session, kind), taken in numbers.items():
        assert sorted(taken) == list(range(1, len(taken) + 1)), (session, kind)
        assert counters[session, kind] == len(taken)

    # the timelines read forward in time
    for proposal in first:
        times = list(proposal.events.order_by("pk").values_list("at", flat=True))
        assert times == sorted(times) and times[-1] <= timezone.now()

    # demo-unit's inbox: routings awaiting its reply, one of them overdue
    visible = proposals_visible_to(unit)
    assert visible.filter(status=Proposal.Status.ROUTED).count() >= 2
    inbox = _get(client, UNIT_LOGIN, reverse("proposals:inbox"))
    assert inbox.context["counts"]["pending"] >= 2 and inbox.context["counts"]["overdue"] >= 1
    assert routings_overdue().filter(unit_id__in=units_of(unit)).exists()
    overdue = _get(client, "demo-staff", reverse("proposals:overdue"))
    assert len(overdue.context["page"]) >= 1 and overdue.context["objected"]

    # and every page of each role opens with it
    own = first.filter(status=Proposal.Status.ROUTED).first()
    routing = Routing.objects.filter(proposal=own, unit_id__in=units_of(unit)).get()
    pages = {
        "demo-member": ["proposals:mine", "proposals:list", ("proposals:detail", own.pk)],
        "demo-convenor": ["proposals:mine", "proposals:list"],
        "demo-staff": [
            "proposals:review_queue",
            "proposals:overdue",
            "proposals:stats",
            "proposals:topics",
            "proposals:units",
            ("proposals:detail", key.first().pk),
        ],
        "demo-leader": ["proposals:stats", "proposals:overdue", "proposals:list"],
        UNIT_LOGIN: [
            "proposals:inbox",
            ("proposals:routing", routing.pk),
            ("proposals:detail", own.pk),
        ],
    }
    for username, names in pages.items():
        for name in names:
            url = reverse(name) if isinstance(name, str) else reverse(name[0], args=name[1:])
            _get(client, username, url)


def _the_reports_are_there(client, city):
    member, staff = _user("demo-member"), _user("demo-staff")

    reports = reports_visible_to(staff).filter(body=city)
    statuses = set(reports.values_list("status", flat=True))
    assert set(SocialInfoReport.Status.values) - {SocialInfoReport.Status.DRAFT} <= statuses
    mine = report_selectors.my_reports(user=member)
    assert mine.count() >= 5
    assert SocialInfoReport.Status.DRAFT in set(mine.values_list("status", flat=True))
    assert reports.filter(from_proposal__isnull=False).exists()
    used = reports.filter(status=SocialInfoReport.Status.USED)
    assert used.filter(bulletin_year__isnull=False, bulletin_issue__isnull=False).count() >= 3
    not_used = reports.filter(status=SocialInfoReport.Status.NOT_USED)
    assert not_used.exists() and not not_used.filter(not_used_reason="").exists()
    widest = max(
        ReportAdoption.objects.filter(report__in=mine)
        .values("report")
        .annotate(levels=Count("level"))
        .values_list("levels", flat=True)
    )
    assert widest >= 3
    levels = set(ReportAdoption.objects.filter(report__body=city).values_list("level", flat=True))
    assert {Level.CITY, Level.PROVINCE, Level.NATIONAL} <= levels
    assert ReportInstruction.objects.filter(report__in=mine).exists()

    one = used.filter(author_member__person__user=member).first()
    for username, name in (
        ("demo-member", "reports:mine"),
        ("demo-member", "reports:list"),
        ("demo-convenor", "reports:mine"),
        ("demo-staff", "reports:queue"),
        ("demo-staff", "reports:stats"),
        ("demo-leader", "reports:stats"),
    ):
        _get(client, username, reverse(name))
    _get(client, "demo-member", reverse("reports:detail", args=[one.pk]))
    _get(
        client,
        "demo-staff",
        reverse("reports:bulletin", args=[one.bulletin_year, one.bulletin_issue]),
    )


@pytest.mark.django_db
def test_the_demo_has_scores_in_every_state_of_the_review(client):
    seed_demo()
    city = Body.objects.get(name="江城市政协")
    year = timezone.localdate().year
    states = dict(ScorePeriod.objects.filter(body=city, year=year).values_list("quarter", "status"))
    ended = [q for q in (1, 2, 3) if quarter_to_date(year, q)[1] < timezone.now().date()]
    quarters = dict(zip(ended, ["final", "published", "draft"], strict=False))
    assert states == {**quarters, 0: "draft"}  # and the annual draft, with the six ones
    member = Member.objects.get(person__user__username="demo-member", term__body=city)
    assert Score.objects.filter(member=member, period__status="published").exists()
    page = _get(client, "demo-member", "/scoring/mine/")
    assert f"{year} 年第 1 季度通报" in page.content.decode()


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
