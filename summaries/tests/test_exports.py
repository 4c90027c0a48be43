"""Every export of the export page, opened with openpyxl: title with the body
and period, frozen header, widths, number formats, A4 landscape, sheet names,
values, formula escaping; who may run which, on which bodies; the log."""

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from members.models import ExportLog
from members.permissions import ROLE_PERMISSIONS
from proposals.tests import factories as pf
from reports import services as report_services
from reports.tests import factories as rf
from scoring.models import Score
from summaries.exports import KINDS, attendance_sheet
from summaries.xlsx import DATE_CN, write_workbook

from .conftest import YEAR, at, attend, past_activity


def run(client, user, kind, data):
    client.force_login(user)
    return client.post(
        reverse("summaries:export_run", args=[kind]), {f"{kind}-{k}": v for k, v in data.items()}
    )


def workbook(response):
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def rows_of(ws, start=4):
    return [list(r) for r in ws.iter_rows(min_row=start, values_only=True)]


def assert_printable(ws, columns):
    assert ws.freeze_panes == "A4"
    assert ws.print_title_rows == "$1:$3"
    assert ws.page_setup.orientation == "landscape"
    assert int(ws.page_setup.paperSize) == 9  # A4
    assert int(ws.page_setup.fitToWidth) == 1
    assert f"A1:{columns}1" in {str(r) for r in ws.merged_cells.ranges}
    assert ws["A1"].font.b
    assert all(c.font.b for c in ws[3])


# The quarterly bulletin -------------------------------------------------------------


def test_the_bulletin_has_a_column_per_category_total_rank_and_change(client, world, year):
    # given Q1 and Q2 computed; when staff export Q2
    response = run(
        client, world.staff, "bulletin", {"body": world.body.pk, "year": YEAR, "quarter": 2}
    )

    # then
    ws = workbook(response)["季度通报"]
    assert ws["A1"].value == f"江城市政协{YEAR}年第2季度委员履职情况通报"
    assert ws["A2"].value.startswith(f"统计期间:{YEAR}年1月1日至{YEAR}年6月30日")
    categories = [c.name for c in year[2].rulebook.parsed().categories if c.parent is None]
    headers = [c.value for c in ws[3]]
    assert headers == [
        "排名",
        "委员编号",
        "姓名",
        "界别",
        "界别小组",
        *categories,
        "总分",
        "较上季度",
        "备注",
    ]
    assert_printable(ws, ws.cell(3, len(headers)).column_letter)
    data = rows_of(ws)
    scores = {
        s.member.number: s for s in Score.objects.filter(period=year[2]).select_related("member")
    }
    assert len(data) == len(scores) == 4
    total_col = headers.index("总分")
    for row in data:
        score = scores[row[1]]
        assert row[2] == score.member.person.name
        assert row[total_col] == pytest.approx(float(score.total))
        q1 = Score.objects.get(period=year[1], member=score.member).total
        assert row[total_col + 1] == pytest.approx(float(score.total - q1))
    assert [r[0] for r in data] == sorted(r[0] for r in data)  # best first, ties share a rank
    assert data[0][0] == 1
    total_cell = ws.cell(4, total_col + 1)
    assert total_cell.number_format == "0.00"
    assert ws.cell(4, total_col + 2).number_format == "+0.00;-0.00;0.00"
    assert ws.column_dimensions["F"].width == 12
    log = ExportLog.objects.get()
    assert (log.user, log.what, log.rows) == (world.staff, "季度通报", 4)
    assert log.filters == f"江城市政协 {year[2].label}"


def test_a_quarter_not_computed_is_a_message_not_a_file(client, world, year):
    response = run(
        client, world.staff, "bulletin", {"body": world.body.pk, "year": YEAR, "quarter": 3}
    )

    assert response.status_code == 200
    assert "尚未计算" in response.content.decode()
    assert not ExportLog.objects.exists()


# The annual score sheet and the six-ones -------------------------------------------


def test_the_annual_sheet_has_grades_ranks_and_follow_ups(client, world, year):
    response = run(client, world.leader, "annual", {"body": world.body.pk, "year": YEAR})

    ws = workbook(response)["年度考核表"]
    assert ws["A1"].value == f"江城市政协{YEAR}年度委员履职考核表"
    headers = [c.value for c in ws[3]]
    assert headers == [
        "排名", "委员编号", "姓名", "界别", "界别小组", "总分", "等次", "一票否决", "后续处理", "推荐候选", "备注",
    ]  # fmt: skip
    assert_printable(ws, "K")
    by_number = {r[1]: r for r in rows_of(ws)}
    for score in Score.objects.filter(period=year[0]).select_related("member"):
        row = by_number[score.member.number]
        assert row[5] == pytest.approx(float(score.total))
        assert row[6] == score.grade
        follow_ups = {"reminder_talk": "提醒谈话", "formal_talk": "约谈"}
        assert row[8] == "、".join(follow_ups[c] for c in score.follow_ups)
    assert ws["F4"].number_format == "0.00"
    assert ExportLog.objects.get().user == world.leader  # leadership exports, reading


def test_the_six_ones_list_who_misses_what_and_the_rates(client, world, year):
    response = run(client, world.staff, "compliance", {"body": world.body.pk, "year": YEAR})

    book = workbook(response)
    assert book.sheetnames == ["六个一未完成名单", "六个一落实率"]
    missing = book["六个一未完成名单"]
    assert missing["A1"].value == f"江城市政协{YEAR}年度委员“六个一”落实情况"
    assert [c.value for c in missing[3]] == [
        "委员编号", "姓名", "界别", "界别小组", "未完成必做项数", "未完成的必做项", "未达成的争取项",
    ]  # fmt: skip
    rows = rows_of(missing)
    assert len(rows) == 4  # nobody did anything this year
    assert rows[0][4] == 5
    assert rows[0][5].startswith("开展一次专题调研、提交一件提案")
    assert rows[0][6] == "力争招引一个项目或一个高层次人才"
    rates = book["六个一落实率"]
    assert [c.value for c in rates[3]][:5] == [
        "范围",
        "名称",
        "委员人数",
        "必做项全部完成",
        "完成率",
    ]
    assert rows_of(rates)[0][:5] == ["全体", "全体", 4, 0, 0]
    assert rates["E4"].number_format == "0.0%"
    assert_printable(rates, rates.cell(3, rates.max_column).column_letter)


# Proposals and reports ---------------------------------------------------------------


def test_the_proposal_list_keeps_a_formula_looking_title_as_text(client, world):
    session = pf.open_session(world.term)
    pf.accepted(
        member=world.member,
        session=session,
        staff=world.staff,
        title='=HYPERLINK("http://x","点我")',
    )
    pf.accepted(
        member=world.colleague, session=session, staff=world.staff, title="关于加快城市更新的建议"
    )

    response = run(client, world.staff, "proposals", {"body": world.body.pk, "year": session.year})

    ws = workbook(response)["提案"]
    assert ws["A1"].value == f"江城市政协{session.year}年提案办理情况"
    headers = [c.value for c in ws[3]]
    assert headers[:8] == [
        "案号",
        "案由",
        "类型",
        "类别",
        "提案者",
        "联名人数",
        "办理状态",
        "承办单位",
    ]
    titles = {ws.cell(r, 2).value: ws.cell(r, 2) for r in range(4, ws.max_row + 1)}
    cell = titles['=HYPERLINK("http://x","点我")']
    assert cell.data_type == "s" and cell.quotePrefix
    assert ws.cell(cell.row, 7).value == "已立案"
    assert ws.cell(cell.row, 13).number_format == DATE_CN
    assert len(titles) == 2


def test_the_report_list_shows_adoptions_and_instructions(client, world):
    report = rf.used(world.member, world.staff, title="=1+1 危险标题")
    today = timezone.localdate()
    report_services.report_adoption_record(
        report=report, by=world.staff, level="province", mode="single", adopted_on=today
    )
    report_services.report_instruction_record(
        report=report, by=world.staff, level="city", leader="王市长", instructed_on=today
    )

    response = run(client, world.staff, "reports", {"body": world.body.pk, "year": today.year})

    ws = workbook(response)["社情民意信息"]
    headers = [c.value for c in ws[3]]
    row = dict(zip(headers, [c.value for c in ws[4]], strict=True))
    assert row["标题"] == "=1+1 危险标题" and ws["B4"].data_type == "s"
    assert row["最高采用级别"] == "省级"
    assert row["采用情况"].startswith("省级")
    assert "王市长" in row["批示情况"]
    assert ws["A4"].number_format == "yyyy-mm-dd hh:mm"


def test_the_proposals_page_export_uses_the_same_sheet(client, world):
    session = pf.open_session(world.term)
    pf.accepted(member=world.member, session=session, staff=world.staff, title="=1+2")
    client.force_login(world.leader)

    ws = workbook(client.get(reverse("proposals:export")))["提案"]

    assert [c.value for c in ws[3]][7] == "承办单位"
    assert ws["B4"].value == "=1+2" and ws["B4"].data_type == "s"


# Attendance --------------------------------------------------------------------------


def test_the_attendance_of_one_activity(client, world, attendance):
    first, _second = attendance

    response = run(client, world.staff, "attendance", {"body": world.body.pk, "activity": first.pk})

    ws = workbook(response)["出席情况"]
    assert ws["A1"].value == "视察老旧小区改造出席情况"
    assert ws["A2"].value.startswith(f"江城市政协,活动日期:{YEAR}年3月5日")
    assert [c.value for c in ws[3]] == [
        "委员编号", "姓名", "界别", "界别小组", "活动", "活动类型", "日期", "出席情况", "请假事由", "签到时间", "角色",
    ]  # fmt: skip
    assert_printable(ws, "K")
    rows = {r[1]: r for r in rows_of(ws)}
    assert set(rows) == {
        world.member.person.name,
        world.colleague.person.name,
        world.other_member.person.name,
    }
    mine = rows[world.member.person.name]
    assert mine[7] == "出席" and mine[5] == "视察" and mine[3] == "经济界小组"
    assert mine[9] == at(3, 5, 8).astimezone(timezone.get_current_timezone()).replace(tzinfo=None)
    assert rows[world.colleague.person.name][7:9] == ["请假", "因公出差"]
    assert rows[world.other_member.person.name][7] == "缺席"
    assert ws["G4"].number_format == DATE_CN
    assert ws["J4"].number_format == "yyyy-mm-dd hh:mm"


def test_the_attendance_of_a_period_leaves_out_cancelled_and_other_bodies(
    client, world, attendance
):
    response = run(
        client,
        world.staff,
        "attendance",
        {"body": world.body.pk, "date_from": f"{YEAR}-01-01", "date_to": f"{YEAR}-12-31"},
    )

    ws = workbook(response)["出席情况"]
    assert ws["A1"].value == "江城市政协委员参加履职活动出席情况"
    themes = [r[4] for r in rows_of(ws)]
    assert themes == ["视察老旧小区改造"] * 3 + ["专题调研养老服务"]
    log = ExportLog.objects.get()
    assert (log.what, log.rows, log.filters) == (
        "出席情况",
        4,
        f"江城市政协 {YEAR}-01-01–{YEAR}-12-31",
    )


def test_attendance_needs_an_activity_or_both_dates(client, world, attendance):
    response = run(
        client, world.staff, "attendance", {"body": world.body.pk, "date_from": f"{YEAR}-03-01"}
    )

    assert response.status_code == 200
    assert "请选择一次活动,或填写起止日期" in response.content.decode()


def test_the_attendance_export_does_not_query_per_row(
    world, attendance, django_assert_max_num_queries
):
    first, _ = attendance
    sheet = attendance_sheet(body=world.body, activity=first)
    with CaptureQueriesContext(connection) as few:
        write_workbook(io.BytesIO(), sheets=[sheet])
    for n in range(30):
        attend(first, _new_member(world, n), "attended")
    # the same queries for 3 rows and for 33
    with django_assert_max_num_queries(len(few)):
        write_workbook(io.BytesIO(), sheets=[attendance_sheet(body=world.body, activity=first)])


def _new_member(world, n):
    from tests import factories as f

    return f.MemberFactory(term=world.term, sector=world.sector, number=f"9{n:03d}")


def test_a_long_sheet_continues_on_a_second_sheet_with_the_same_header(world, attendance, tmp_path):
    first, _ = attendance
    path = tmp_path / "a.xlsx"

    # 3 head rows + 2 data rows per sheet
    written = write_workbook(
        path, sheets=[attendance_sheet(body=world.body, activity=first)], max_rows=5
    )

    book = load_workbook(path)
    assert written == 3
    assert book.sheetnames == ["出席情况", "出席情况(2)"]
    second = book["出席情况(2)"]
    assert second["A1"].value == "视察老旧小区改造出席情况"
    assert second["A3"].value == "委员编号"
    assert second.freeze_panes == "A4"
    assert second.max_row == 4


# Who may export what -------------------------------------------------------------------


def test_staff_of_another_body_get_none_of_its_rows(client, world, attendance, year):
    for kind, data in (
        (
            "attendance",
            {"body": world.body.pk, "date_from": f"{YEAR}-01-01", "date_to": f"{YEAR}-12-31"},
        ),
        ("annual", {"body": world.body.pk, "year": YEAR}),
    ):
        response = run(client, world.other_staff, kind, data)
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/html")
        assert "选择一个有效的选项" in response.content.decode()
    assert not ExportLog.objects.exists()


def test_an_activity_of_another_body_is_refused(client, world, attendance):
    other = past_activity(world, theme="别处的活动", when=at(6, 1), term=world.other_term)

    response = run(client, world.staff, "attendance", {"body": world.body.pk, "activity": other.pk})

    assert response.status_code == 200
    assert "选择一个有效的选项" in response.content.decode()


@pytest.mark.parametrize("who", ["member", "convenor"])
def test_members_and_convenors_may_not_export(client, world, who, attendance):
    user = getattr(world, who).person.user
    client.force_login(user)
    assert client.get(reverse("summaries:exports")).status_code == 403
    response = run(
        client, user, "attendance", {"body": world.body.pk, "activity": attendance[0].pk}
    )
    assert response.status_code == 403


def test_leadership_holds_the_export_codes_and_no_write_code():
    exports = {c for c in ROLE_PERMISSIONS["staff"] if c.startswith("summaries.export_")}
    assert exports == {kind.permission for kind in KINDS.values()}
    assert exports <= ROLE_PERMISSIONS["leadership"]
    # reading the summaries is the one code leadership holds besides exports
    assert all(
        ".export_" in code or code == "summaries.view" for code in ROLE_PERMISSIONS["leadership"]
    )
    assert "summaries.import_history" not in ROLE_PERMISSIONS["leadership"]


def test_the_page_lists_the_exports_with_their_filters(client, world, attendance):
    client.force_login(world.leader)

    page = client.get(reverse("summaries:exports"))

    html = page.content.decode()
    for kind in KINDS.values():
        assert f'data-testid="export-{kind.code}"' in html
    assert 'name="bulletin-quarter"' in html
    assert 'name="attendance-activity"' in html and "视察老旧小区改造" in html
    assert 'name="annual-quarter"' not in html
