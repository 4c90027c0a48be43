"""Proposals of earlier sessions with proposers, units and satisfaction."""

import datetime
import io

import pytest
from django.urls import reverse
from openpyxl import Workbook

from proposals.history_import import HEADERS, proposals_history_apply, proposals_history_preview
from proposals.models import Proposal, Proposer, Rating, Routing
from proposals.tests import factories as pf
from scoring.models import DutyFact
from tests import factories as f


def workbook(rows) -> io.BytesIO:
    wb = Workbook()
    ws = wb.active
    ws.title = "2024年"
    ws.append(list(HEADERS))
    for values in rows:
        ws.append(list(values))
    buffer = io.BytesIO()
    wb.save(buffer)
    buffer.seek(0)
    return buffer


@pytest.fixture
def setup(world):
    f.PlenarySessionFactory(
        term=world.term, number=3, year=2024,
        starts_on=datetime.date(2024, 1, 6), ends_on=datetime.date(2024, 1, 9),
    )  # fmt: skip
    world.housing = pf.HandlingUnitFactory(body=world.body, name="市住建局")
    world.finance = pf.HandlingUnitFactory(body=world.body, name="市财政局")
    return world


def row(w, *, number="12", status="已办结", first=None, cosigners=None, lead="市住建局",
        assist="市财政局", satisfaction="满意", title="关于推进老旧小区改造的建议"):  # fmt: skip
    first = first or w.member
    cosigners = w.colleague.person.name if cosigners is None else cosigners
    return ("2024", "", number, title, "社会建设", "2024-01-08", first.person.name, "", cosigners,
            status, "2024-01-20", lead, assist, satisfaction)  # fmt: skip


@pytest.fixture
def eager_tasks():
    from config.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before


def test_a_closed_proposal_with_proposers_units_and_satisfaction(
    setup, eager_tasks, django_capture_on_commit_callbacks
):
    w = setup
    with django_capture_on_commit_callbacks(execute=True):
        result = proposals_history_apply(body=w.body, file=workbook([row(w)]), by=w.staff)
    assert result.errors == [] and result.new == 1
    p = Proposal.objects.get()
    assert (p.status, p.number, p.kind, p.category) == ("closed", 12, "plenary", "society")
    assert sorted(p.proposers.values_list("member_id", "role", "status")) == sorted(
        [(w.member.pk, "first", "confirmed"), (w.colleague.pk, "co", "confirmed")]
    )
    assert sorted(p.routings.values_list("unit__name", "role", "status")) == [
        ("市住建局", "lead", "done"),
        ("市财政局", "assist", "done"),
    ]
    assert p.ratings.get().satisfaction == "satisfied"
    assert result.records == [
        ("关于推进老旧小区改造的建议", reverse("proposals:detail", args=[p.pk]))
    ]
    facts = DutyFact.objects.filter(member=w.colleague).values_list("kind", "on")
    assert sorted(facts) == [
        ("proposal.accepted", datetime.date(2024, 1, 20)),
        ("proposal.submitted", datetime.date(2024, 1, 8)),
    ]


def test_reimporting_changes_nothing_and_a_new_status_updates(setup):
    w = setup
    proposals_history_apply(
        body=w.body, file=workbook([row(w, status="已交办", satisfaction="")]), by=w.staff
    )
    again = proposals_history_apply(
        body=w.body, file=workbook([row(w, status="已交办", satisfaction="")]), by=w.staff
    )
    assert (again.new, again.updated, again.unchanged) == (0, 0, 1)
    later = proposals_history_apply(body=w.body, file=workbook([row(w)]), by=w.staff)
    assert (later.new, later.updated, later.unchanged) == (0, 1, 0)
    p = Proposal.objects.get()
    assert p.status == "closed" and p.ratings.count() == 1
    assert Proposer.objects.count() == 2 and Routing.objects.count() == 2


def test_proposal_rows_with_problems_are_listed(setup):
    w = setup
    rows = [
        row(w, lead="市交通局"),
        row(w, number="", status="已立案", lead="", assist="", satisfaction=""),
        row(w, number="13", status="不立案", lead="", assist="", satisfaction="满意"),
        (
            "2019",
            "",
            "1",
            "x",
            "",
            "2019-01-01",
            w.member.person.name,
            "",
            "",
            "已立案",
            "",
            "",
            "",
            "",
        ),
        row(
            w,
            number="14",
            status="已交办",
            lead="",
            assist="",
            satisfaction="",
            cosigners="查无此人",
        ),
        row(w, number="15", status="作废", lead="", assist="", satisfaction=""),
        row(w, number="16", status="已立案", lead="", assist="", satisfaction=""),
        row(w, number="16", status="已立案", lead="", assist="", satisfaction=""),
    ]
    report = proposals_history_preview(body=w.body, file=workbook(rows))
    assert [(i.row, i.column) for i in report.errors] == [
        (2, "主办单位"),
        (3, "案号"),
        (4, "案号"),
        (4, "满意度"),
        (5, "年度"),
        (6, "联名提案人"),
        (6, "主办单位"),
        (7, "状态"),
        (8, "案号"),
        (9, "案号"),
    ]
    assert proposals_history_apply(body=w.body, file=workbook(rows), by=w.staff).applied is False
    assert Proposal.objects.count() == Rating.objects.count() == 0


@pytest.mark.parametrize("number", [10**20, "99999999999999999999999999999", 1e308, "9" * 5000])
def test_a_number_too_large_for_the_column_is_refused_on_its_row(setup, number):
    """Found by the fuzz test (tests/test_fuzz_excel.py): it used to fail the write."""
    w = setup
    result = proposals_history_apply(
        body=w.body, file=workbook([row(w, number=number)]), by=w.staff
    )
    assert [(i.row, i.column) for i in result.errors] == [(2, "案号")]
    assert "案号过大" in result.errors[0].message
    assert not result.applied and Proposal.objects.count() == 0
