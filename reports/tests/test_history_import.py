"""Earlier years' social-information reports with adoptions and instructions."""

import io

import pytest
from openpyxl import Workbook

from reports.history_import import HEADERS, reports_history_apply, reports_history_preview
from reports.models import ReportAdoption, ReportInstruction, SocialInfoReport
from scoring.models import DutyFact


def workbook(rows) -> io.BytesIO:
    wb = Workbook()
    ws = wb.active
    ws.title = "2024年"
    ws.append(list(HEADERS))
    for row in rows:
        ws.append(list(row))
    buffer = io.BytesIO()
    wb.save(buffer)
    buffer.seek(0)
    return buffer


def row(member, *, title="关于电梯加装的建议", day="2024-03-12", issue="2024年第3期",
        adopted="市级、省级", adopted_on="2024-04-20", mode="", level="省级", leader="张副省长",
        instructed_on="2024-05-06"):  # fmt: skip
    return (title, day, member.person.name, "", issue, adopted, adopted_on, mode, level, leader,
            instructed_on)  # fmt: skip


@pytest.fixture
def eager_tasks():
    from config.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before


def test_reports_with_adoptions_and_an_instruction_become_facts(
    world, eager_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        result = reports_history_apply(
            body=world.body,
            file=workbook(
                [
                    row(world.member),
                    row(
                        world.colleague,
                        title="另一条",
                        issue="",
                        adopted="",
                        level="",
                        leader="",
                        instructed_on="",
                    ),
                ]
            ),
            by=world.staff,
        )
    assert result.errors == [] and (result.new, result.updated, result.unchanged) == (2, 0, 0)
    used = SocialInfoReport.objects.get(title="关于电梯加装的建议")
    assert (used.status, used.bulletin_year, used.bulletin_issue) == ("used", 2024, 3)
    assert sorted(used.adoptions.values_list("level", "mode")) == [
        ("city", "single"),
        ("province", "single"),
    ]
    assert list(used.instructions.values_list("level", "leader")) == [("province", "张副省长")]
    assert SocialInfoReport.objects.get(title="另一条").status == "accepted"
    kinds = sorted(DutyFact.objects.filter(member=world.member).values_list("kind", "detail"))
    assert [k for k, _d in kinds] == [
        "report.adopted",
        "report.adopted",
        "report.instructed",
        "report.submitted",
        "report.used",
    ]


def test_reimporting_changes_nothing_and_a_new_level_is_added(world):
    reports_history_apply(body=world.body, file=workbook([row(world.member)]), by=world.staff)
    again = reports_history_apply(
        body=world.body, file=workbook([row(world.member)]), by=world.staff
    )
    assert (again.new, again.updated, again.unchanged) == (0, 0, 1)
    assert ReportAdoption.objects.count() == 2 and ReportInstruction.objects.count() == 1
    more = reports_history_apply(
        body=world.body,
        file=workbook([row(world.member, adopted="市级、省级、国家级")]),
        by=world.staff,
    )
    assert (more.new, more.updated, more.unchanged) == (0, 1, 0)
    assert ReportAdoption.objects.count() == 3 and SocialInfoReport.objects.count() == 1


def test_report_rows_with_problems_are_listed_and_nothing_is_written(world):
    rows = [
        row(world.member),
        row(world.member, title="b", issue="第三期", adopted="乡级"),
        row(world.member, title="c", leader="", adopted_on="不知道"),
        ("d", "2024-03-12", "查无此人", "", "", "", "", "", "", "", ""),
        row(world.member),
    ]
    report = reports_history_preview(body=world.body, file=workbook(rows))
    assert [(i.row, i.column) for i in report.errors] == [
        (2, "标题"),
        (3, "编报期号"),
        (3, "采用级别"),
        (4, "采用日期"),
        (4, "批示领导"),
        (5, "报送人"),
        (6, "标题"),
    ]
    assert (
        reports_history_apply(body=world.body, file=workbook(rows), by=world.staff).applied is False
    )
    assert SocialInfoReport.objects.count() == 0
