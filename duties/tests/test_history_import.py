"""Past activities with attendance imported from a workbook with one sheet per year."""

import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import Workbook

from duties.history_import import (
    HEADERS,
    activities_history_apply,
    activities_history_preview,
)
from duties.models import Activity, Participation
from scoring.models import DutyFact
from summaries.imports import NEW, UNCHANGED, UPDATE
from tests import factories as f


def workbook(sheets: dict, headers=HEADERS) -> io.BytesIO:
    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        ws.append(list(headers))
        for values in rows:
            ws.append(list(values))
    buffer = io.BytesIO()
    wb.save(buffer)
    buffer.seek(0)
    return buffer


def line(
    member,
    *,
    title="经济运行专题调研",
    kind="视察",
    day="2024-05-16",
    status="出席",
    organiser="",
    place="市发改委",
    mobile="",
):
    return (title, kind, day, organiser, place, member.person.name, mobile, status)


@pytest.fixture
def eager_tasks():
    """The facts refresh runs in the test, whatever the broker."""
    from config.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before


@pytest.fixture
def kinds(world):
    f.ActivityKindFactory(body=world.body, code="inspection")
    f.ActivityKindFactory(body=world.body, code="plenary", name="全体会议")
    return world


def messages(report) -> list[tuple]:
    return [(i.sheet, i.row, i.column, i.message) for i in report.errors]


# Importing ---------------------------------------------------------------------------


def test_a_workbook_of_two_years_creates_confirmed_past_activities_and_attendance(kinds):
    w = kinds
    # given: one sheet per year, an activity per (date, title), a row per member
    file = workbook(
        {
            "2024年": [
                line(w.member),
                line(w.colleague, status="请假"),
                line(w.member, title="十五届三次全体会议", kind="全体会议", day="2024年1月10日"),
            ],
            "2023年": [line(w.other_member, title="民主监督", day="2023-09-08", status="缺席")],
        }
    )
    # when
    report = activities_history_apply(body=w.body, file=file, by=w.staff)
    # then
    assert report.errors == []
    assert (report.new, report.updated, report.unchanged) == (4, 0, 0)
    activities = Activity.objects.filter(body=w.body).order_by("starts_at")
    assert [
        (a.theme, a.starts_at.date().isoformat(), a.status, a.kind.name) for a in activities
    ] == [
        ("民主监督", "2023-09-08", Activity.Status.CONFIRMED, "视察"),
        ("十五届三次全体会议", "2024-01-10", Activity.Status.CONFIRMED, "全体会议"),
        ("经济运行专题调研", "2024-05-16", Activity.Status.CONFIRMED, "视察"),
    ]
    research = activities.get(theme="经济运行专题调研")
    assert research.signed_up_count == 2
    assert research.term == w.term
    assert dict(research.participations.values_list("member_id", "attendance")) == {
        w.member.pk: Participation.Attendance.ATTENDED,
        w.colleague.pk: Participation.Attendance.EXCUSED,
    }
    assert set(Participation.objects.values_list("source", flat=True)) == {"history"}


def test_reimporting_the_same_file_writes_nothing(kinds):
    w = kinds
    rows = {"2024年": [line(w.member), line(w.colleague, status="缺席")]}
    activities_history_apply(body=w.body, file=workbook(rows), by=w.staff)
    before = list(Participation.objects.values_list("pk", "attendance", "recorded_at"))
    # when: the same file again
    preview = activities_history_preview(body=w.body, file=workbook(rows))
    report = activities_history_apply(body=w.body, file=workbook(rows), by=w.staff)
    # then
    assert (preview.new, preview.updated, preview.unchanged) == (0, 0, 2)
    assert (report.new, report.updated, report.unchanged) == (0, 0, 2)
    assert list(Participation.objects.values_list("pk", "attendance", "recorded_at")) == before
    assert Activity.objects.count() == 1


def test_a_changed_status_updates_that_participation_only(kinds):
    w = kinds
    activities_history_apply(
        body=w.body, file=workbook({"2024年": [line(w.member), line(w.colleague)]}), by=w.staff
    )
    report = activities_history_apply(
        body=w.body,
        file=workbook({"2024年": [line(w.member), line(w.colleague, status="缺席")]}),
        by=w.staff,
    )
    assert [r.kind for r in report.rows] == [UNCHANGED, UPDATE]
    assert Participation.objects.get(member=w.colleague).attendance == "absent"


def test_an_activity_made_in_the_app_is_matched_by_date_and_title(kinds):
    w = kinds
    activity = f.ActivityFactory(
        term=w.term,
        theme="经济运行专题调研",
        status=Activity.Status.CONFIRMED,
        starts_at=datetime.datetime(2024, 5, 16, 14, tzinfo=datetime.UTC),
        ends_at=datetime.datetime(2024, 5, 16, 16, tzinfo=datetime.UTC),
        venue_text="市发改委",
    )
    Participation.objects.create(activity=activity, member=w.member, attendance="attended")
    report = activities_history_apply(
        body=w.body, file=workbook({"2024": [line(w.member), line(w.colleague)]}), by=w.staff
    )
    assert [r.kind for r in report.rows] == [UNCHANGED, NEW]
    assert Activity.objects.count() == 1
    assert activity.participations.count() == 2


def test_a_member_is_told_apart_by_mobile(kinds):
    w = kinds
    namesake = f.MemberFactory(term=w.term, person=f.PersonFactory(name=w.member.person.name))
    ambiguous = activities_history_preview(body=w.body, file=workbook({"2024": [line(w.member)]}))
    assert messages(ambiguous) == [
        (
            "2024",
            2,
            "姓名",
            f"{w.term}有 2 位名为“{w.member.person.name}”的委员,请填写手机号码以区分",
        )
    ]
    report = activities_history_apply(
        body=w.body,
        file=workbook({"2024": [line(namesake, mobile=namesake.person.mobile)]}),
        by=w.staff,
    )
    assert report.errors == []
    assert Participation.objects.get().member == namesake


def test_every_row_problem_is_listed_by_sheet_row_and_column(kinds):
    w = kinds
    file = workbook(
        {
            "2024": [
                line(w.member, kind="茶话会"),
                line(w.member, title="", day="2024-13-40"),
                ("某活动", "视察", "2024-03-01", "", "", "查无此人", "", "出席"),
                line(w.colleague, status="迟到"),
                line(w.member, title="另一活动", mobile="12345"),
                line(w.member, title="再一活动", organiser="宣传部"),
                line(w.member, title="未来活动", day="2099-01-01"),
                line(w.member, title="太早", day="2001-01-01"),
                line(w.member, title="第二次", mobile=w.colleague.person.mobile),
            ],
        }
    )
    report = activities_history_preview(body=w.body, file=file)
    found = {(row, column) for _s, row, column, _m in messages(report)}
    assert found == {
        (2, "活动类型"),
        (3, "活动名称"),
        (3, "日期"),
        (4, "姓名"),
        (5, "出席情况"),
        (6, "手机号码"),
        (7, "组织方"),
        (8, "日期"),
        (9, "日期"),
        (10, "姓名"),
    }
    assert "本会没有名为“茶话会”的活动类型,可填:视察、全体会议" in [
        m for *_x, m in messages(report)
    ]
    assert "无法识别“迟到”,可填:出席、请假、缺席" in [m for *_x, m in messages(report)]
    assert Activity.objects.count() == 0


def test_rows_of_one_activity_must_agree_and_a_member_comes_once(kinds):
    w = kinds
    file = workbook(
        {
            "2024": [line(w.member), line(w.colleague, kind="全体会议"), line(w.member)],
        }
    )
    report = activities_history_preview(body=w.body, file=file)
    assert messages(report) == [
        ("2024", 2, "姓名", "同一活动同一委员在文件中重复(另见[2024]第4行)"),
        ("2024", 3, "活动类型", "与同一活动(同日期、同名称)的[2024]第2行不一致"),
        ("2024", 4, "姓名", "同一活动同一委员在文件中重复(另见[2024]第2行)"),
    ]


def test_an_error_in_the_last_row_writes_nothing(kinds):
    w = kinds
    rows = [line(w.member, title=f"活动{i}") for i in range(30)] + [line(w.member, status="?")]
    report = activities_history_apply(body=w.body, file=workbook({"2024": rows}), by=w.staff)
    assert [(i.row, i.column) for i in report.errors] == [(32, "出席情况")]
    assert report.applied is False
    assert Activity.objects.count() == Participation.objects.count() == 0


def test_a_sheet_without_the_header_is_skipped_and_a_missing_column_refused(kinds):
    w = kinds
    wb = Workbook()
    wb.active.title = "说明"
    wb.active.append(["每年一个工作表"])
    ws = wb.create_sheet("2024")
    ws.append(["活动名称", "姓名", "日期"])
    ws.append(["调研", w.member.person.name, "2024-01-01"])
    buffer = io.BytesIO()
    wb.save(buffer)
    report = activities_history_preview(body=w.body, file=io.BytesIO(buffer.getvalue()))
    assert messages(report) == [("2024", None, "", "缺少必需的列:活动类型、出席情况")]


# Scores follow, and the queries ----------------------------------------------------------


def test_imported_attendance_becomes_duty_facts_once_per_import(
    kinds, eager_tasks, django_capture_on_commit_callbacks
):
    w = kinds
    file = workbook({"2024": [line(w.member), line(w.colleague, status="缺席")]})
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        activities_history_apply(body=w.body, file=file, by=w.staff)
    # one refresh for the whole import (the refresh itself then asks scores to follow)
    assert [type(c).__name__ for c in callbacks].count("_Refresh") == 1
    facts = DutyFact.objects.filter(member__in=[w.member, w.colleague])
    assert sorted(
        (f.member_id, f.kind, f.activity_kind, f.on.isoformat()) for f in facts
    ) == sorted(
        [
            (w.member.pk, "activity.attended", "inspection", "2024-05-16"),
            (w.colleague.pk, "activity.absent", "inspection", "2024-05-16"),
        ]
    )


def _attendance_file(members, rows: int):
    """`rows` attendance rows: each member at rows / len(members) activities over two years."""
    sheets = {"2023年": [], "2024年": []}
    for i in range(rows):
        member = members[i % len(members)]
        activity = i // len(members)
        year = 2023 + activity % 2
        sheets[f"{year}年"].append(
            line(
                member,
                title=f"活动{activity}",
                day=f"{year}-{activity % 12 + 1:02d}-{activity % 27 + 1:02d}",
                mobile=member.person.mobile,
                status=("出席", "请假", "缺席")[i % 3],
            )
        )
    return workbook(sheets)


def _queries(body, file, by) -> int:
    with CaptureQueriesContext(connection) as captured:
        report = activities_history_apply(body=body, file=file, by=by)
    assert report.errors == []
    return len(captured)


@pytest.mark.parametrize("rows", [500, 5000])
def test_the_import_takes_a_fixed_number_of_queries_per_batch(
    kinds, settings, rows, django_assert_max_num_queries
):
    w = kinds
    settings.IMPORT_BATCH_SIZE = 500
    members = [f.MemberFactory(term=w.term, sector=w.sector) for _ in range(100)]
    batches = rows // settings.IMPORT_BATCH_SIZE
    # savepoint, body lock, kinds, terms, committees, groups, members, activities
    # of the file, their participations, the recount, release; per batch: the
    # activities and the participations inserted
    fixed, per_batch = 11, 2
    with django_assert_max_num_queries(fixed + per_batch * batches):
        activities_history_apply(body=w.body, file=_attendance_file(members, rows), by=w.staff)
    assert Participation.objects.count() == rows


def test_ten_times_the_rows_add_only_the_extra_batches(kinds, settings):
    w = kinds
    settings.IMPORT_BATCH_SIZE = 500
    members = [f.MemberFactory(term=w.term, sector=w.sector) for _ in range(100)]
    small = _queries(w.body, _attendance_file(members[:10], 500), w.staff)
    Participation.objects.all().delete()
    Activity.objects.all().delete()
    large = _queries(w.body, _attendance_file(members, 5000), w.staff)
    # 500 rows: 1 batch of participations; 5,000 rows: 10 (activities: 1 batch each)
    assert large - small == 9
