"""The what-if (试算): a draft for this year tried on last year's records.
Its totals agree with the reference evaluator run member by member; the
rulebook in force changes nothing; the draft's dates move to the records'
year; "before" is last year's assessment or the imported results; nothing
is written; the page sorts and costs the same for more members."""

import dataclasses
import datetime
import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from duties.services import activity_kinds_ensure_defaults
from scoring import facts as ledger
from scoring import history_import, reference, services, whatif
from scoring.models import DutyFact, Rulebook, Score, ScoreLine, ScorePeriod
from scoring.rulebook import Fact, rulebook_parse
from scoring.rulebook import Member as MemberInput
from tests import factories as f

from .annual_helpers import compute, xlsx
from .test_annual import rulebook_text
from .test_worked_members_through_the_app import App, at

THIS_YEAR = timezone.localdate().year
LAST_YEAR = THIS_YEAR - 1

# The draft for this year: field work scores 8 (not 10), a training counts
# 5, and the bands move: 优秀 from 25, 合格 from 8.
DRAFT = (
    rulebook_text(THIS_YEAR)
    .replace("  points: 10\n", "  points: 8\n", 1)
    .replace(
        "grades:\n",
        "- code: training\n  name: 学习培训\n  category: work\n  kind: activity.attended\n"
        "  where: {category: training}\n  points: 5\ngrades:\n",
        1,
    )
    .replace("{name: 优秀, min: 20}", "{name: 优秀, min: 25}")
    .replace("{name: 合格, min: 10}", "{name: 合格, min: 8}")
)


@pytest.fixture
def last_year(world, settings, tmp_path):
    """Last year under the rules then in force: the member 3 research and a
    training (30, 优秀), the colleague 2 inspections (20, 优秀), the convenor
    one research (10, 合格), the other group's member nothing (0, 不合格)."""
    settings.MEDIA_ROOT = tmp_path
    app = App(world)
    for month in (3, 4, 5):
        app.attend(world.member, "research", at(month, 10, LAST_YEAR))
    app.attend(world.member, "training", at(6, 1, LAST_YEAR))
    app.attend(world.colleague, "inspection", at(3, 11, LAST_YEAR))
    app.attend(world.colleague, "inspection", at(4, 11, LAST_YEAR))
    app.attend(world.convenor, "research", at(6, 1, LAST_YEAR))
    services.rulebook_load(
        body=world.body, year=LAST_YEAR, text=rulebook_text(LAST_YEAR), by=world.staff, publish=True
    )
    compute(world.body, LAST_YEAR)
    return app


@pytest.fixture
def draft(world):
    activity_kinds_ensure_defaults(body=world.body)
    return services.rulebook_load(body=world.body, year=THIS_YEAR, text=DRAFT, by=world.staff)


def _rows(result):
    return {
        row.member: (row.before_total, row.before_grade, row.after_total, row.after_grade)
        for row in result.rows
    }


def test_the_draft_on_last_years_records(world, last_year, draft):
    result = whatif.whatif_evaluate(rulebook=draft, year=LAST_YEAR)

    assert draft.status == Rulebook.Status.DRAFT
    assert _rows(result) == {
        world.member: (Decimal("30.00"), "优秀", Decimal("29.00"), "优秀"),
        world.colleague: (Decimal("20.00"), "优秀", Decimal("16.00"), "合格"),
        world.convenor: (Decimal("10.00"), "合格", Decimal("8.00"), "合格"),
        world.other_member: (Decimal("0.00"), "不合格", Decimal("0.00"), "不合格"),
    }
    assert result.grades == [("优秀", 2, 1, -1), ("合格", 1, 2, 1), ("不合格", 1, 1, 0)]
    assert [row.change for row in result.rows] == [
        Decimal("-1.00"),
        Decimal("-4.00"),
        Decimal("-2.00"),
        Decimal("0.00"),
    ]
    assert result.changed == 3
    assert result.before_label == f"{LAST_YEAR} 年度考核(第 1 版,草稿)"
    assert (result.before_average, result.after_average) == (Decimal("15.00"), Decimal("13.25"))


def test_the_totals_agree_with_the_reference_evaluator_member_by_member(world, last_year, draft):
    result = whatif.whatif_evaluate(rulebook=draft, year=LAST_YEAR)

    parsed = dataclasses.replace(rulebook_parse(DRAFT), year=LAST_YEAR)
    period = (datetime.date(LAST_YEAR, 1, 1), datetime.date(LAST_YEAR, 12, 31))
    for row in result.rows:
        member = row.member
        facts = [
            Fact(x.member_id, x.on, x.kind, x.attrs, x.source)
            for x in DutyFact.objects.filter(member=member)
        ]
        direct = reference.evaluate(
            parsed,
            MemberInput(member.pk, member.is_standing, member.joined_on, member.left_on),
            facts,
            period=period,
        )
        assert (row.after_total, row.after_grade) == (direct.total, direct.grade), member


def test_the_rulebook_in_force_changes_nothing(world, last_year):
    in_force = services.rulebook_in_force(body_id=world.body.pk, year=LAST_YEAR)

    result = whatif.whatif_evaluate(rulebook=in_force, year=LAST_YEAR)

    assert result.changed == 0
    assert all(row.change == 0 for row in result.rows)
    assert all(before == after for _name, before, after, _diff in result.grades)


def test_nothing_is_written(world, last_year, draft):
    def counts():
        return [m.objects.count() for m in (Score, ScoreLine, ScorePeriod, Rulebook, DutyFact)]

    before = counts()
    scores = list(Score.objects.values_list("pk", "total", "grade", "computed_at"))

    whatif.whatif_evaluate(rulebook=draft, year=LAST_YEAR)

    assert counts() == before
    assert list(Score.objects.values_list("pk", "total", "grade", "computed_at")) == scores


def test_the_drafts_dates_move_to_the_records_year(world, last_year):
    # joined on 1 November last year: the draft exempts members who join after
    # 1 October of its year, which for last year's records is last October
    late = f.member_with_login(
        term=world.term, sector=world.sector, joined_on=datetime.date(LAST_YEAR, 11, 1)
    )
    ledger.facts_rebuild(body=world.body)
    text = DRAFT.replace(
        "categories:", f"assessed: {{exempt_joined_after: '{THIS_YEAR}-10-01'}}\ncategories:"
    )
    draft = services.rulebook_load(body=world.body, year=THIS_YEAR, text=text, by=world.staff)

    result = whatif.whatif_evaluate(rulebook=draft, year=LAST_YEAR)

    row = next(r for r in result.rows if r.member == late)
    assert (row.after_total, row.after_exempt) == (None, "joined_after")
    moved = whatif.rulebook_as_of(draft, year=LAST_YEAR, term=world.term).parsed()
    assert moved.year == LAST_YEAR
    assert moved.assessed.exempt_joined_after == datetime.date(LAST_YEAR, 10, 1)


def test_before_is_the_imported_result_when_the_year_was_not_computed_here(world, draft):
    app = App(world)
    app.attend(world.member, "research", at(5, 5, LAST_YEAR))
    ledger.facts_rebuild(body=world.body)
    history_import.history_import_apply(
        term=world.term,
        file=xlsx([(LAST_YEAR, world.member.number, world.member.person.name, 77.5, "良好")]),
        by=world.staff,
    )

    result = whatif.whatif_evaluate(rulebook=draft, year=LAST_YEAR)

    assert result.before_label == f"{LAST_YEAR} 年导入的往年考核结果"
    rows = _rows(result)
    assert rows[world.member] == (Decimal("77.50"), "良好", Decimal("8.00"), "合格")
    assert rows[world.colleague] == (None, "", Decimal("0.00"), "不合格")
    assert ("良好", 1, 0, -1) in result.grades


def test_a_year_without_a_sitting_term_is_refused_at_the_field(world, draft):
    with pytest.raises(ValidationError) as refused:
        whatif.whatif_evaluate(rulebook=draft, year=2010)

    assert refused.value.message_dict == {"year": [f"{world.body.name}没有 2010 年在任的届次"]}


def test_rows_sort_by_any_column(world, last_year, draft):
    result = whatif.whatif_evaluate(rulebook=draft, year=LAST_YEAR)

    by_change = whatif.sort_rows(result.rows, "change", descending=False)
    by_name = whatif.sort_rows(result.rows, "name", descending=False)

    assert [r.member for r in by_change] == [
        world.colleague,
        world.convenor,
        world.member,
        world.other_member,
    ]
    assert [r.member.person.name for r in by_name] == sorted(
        r.member.person.name for r in result.rows
    )


def test_the_page(client, world, last_year, draft, django_assert_max_num_queries):
    client.force_login(world.staff)
    url = reverse("scoring:whatif")
    query = {"rulebook": draft.pk, "year": LAST_YEAR, "sort": "change", "dir": "asc"}

    response = client.get(url, query)

    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="whatif-rows"' in page and 'data-grade="优秀"' in page
    assert response.context["result"].rows[0].member == world.colleague
    assert "-4.00" in page
    other = re.search(rf'<tr data-person="{world.other_member.person_id}">(.*?)</tr>', page, re.S)
    assert other.group(1).count("0.00") == 3  # before, after and the change: zero, not missing
    # session, user, roles, seats; the rulebook (may the user name it, the
    # form's choice); the term; last year's period and its scores; the
    # evaluation (members, their long leave once merged with main, marks,
    # history imported and computed, staff adjustments, facts by item,
    # checklist records); the members shown; base page; the form's options
    # (two); the session saved
    with django_assert_max_num_queries(25) as few:
        client.get(url, query)
    for _ in range(15):
        member = last_year.member()
        last_year.attend(member, "research", at(8, 8, LAST_YEAR))
    ledger.facts_rebuild(body=world.body)
    with django_assert_max_num_queries(25) as many:
        response = client.get(url, query)
    assert len(many) == len(few)
    assert len(response.context["result"].rows) == 19


def test_the_year_defaults_to_the_one_before_the_rulebooks(client, world, last_year, draft):
    client.force_login(world.staff)

    response = client.get(reverse("scoring:whatif"), {"rulebook": draft.pk})

    assert response.context["result"].year == LAST_YEAR
