"""Importing earlier years' final results (往年考核结果) from Excel: the dry run
row by row, every kind of bad row with its Chinese message, all rows or none,
importing the same file twice, years computed and made final here refused,
the pages, and what the history is for: a two-consecutive-years follow-up
(约谈) that appears in the first year the body is scored here."""

from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from scoring import history_import
from scoring.models import PastResult, Score
from tests import factories as f

from .annual_helpers import HEADERS, compute, finalise, load_haian, xlsx

THIS_YEAR = timezone.localdate().year
LAST_YEAR = THIS_YEAR - 1


def name(member):
    return member.person.name


@pytest.fixture
def people(world):
    return [world.member, world.colleague, world.other_member]


def _rows(people, year=LAST_YEAR, totals=(91.5, 72, 55)):
    grades = {91.5: "优秀", 72: "合格", 55: "基本合格"}
    return [
        (year, m.number, name(m), total, grades.get(total, "合格"))
        for m, total in zip(people, totals, strict=True)
    ]


def _issues(report):
    return [(i.row, i.column, i.message) for i in report.errors]


# The dry run -------------------------------------------------------------------------


def test_the_dry_run_lists_every_row_and_writes_nothing(world, people):
    preview = history_import.history_import_preview(term=world.term, file=xlsx(_rows(people)))

    assert preview.is_valid
    assert [(r.line.row, r.kind, r.member, r.total, r.grade) for r in preview.rows] == [
        (2, "new", world.member, Decimal("91.50"), "优秀"),
        (3, "new", world.colleague, Decimal("72.00"), "合格"),
        (4, "new", world.other_member, Decimal("55.00"), "基本合格"),
    ]
    assert (preview.new, preview.updated, preview.unchanged) == (3, 0, 0)
    assert preview.years == [LAST_YEAR]
    assert not PastResult.objects.exists()


def test_a_title_above_the_header_and_the_grade_column_are_optional(world, people):
    rows = [(LAST_YEAR, m.number, name(m), 80) for m in people]
    upload = xlsx(rows, headers=HEADERS[:4], before=[("江城市政协往年考核结果",)])

    preview = history_import.history_import_preview(term=world.term, file=upload)

    assert preview.is_valid
    assert [r.line.row for r in preview.rows] == [3, 4, 5]
    assert {r.grade for r in preview.rows} == {""}


def test_every_bad_row_is_reported_with_its_row_column_and_reason(world, people):
    load_haian(world, LAST_YEAR)  # so grades are checked against its bands
    rows = [
        (LAST_YEAR, "9999", "无此人", 80, "合格"),  # unknown number
        (LAST_YEAR, world.member.number, "张冠李", 80, "合格"),  # name disagrees
        (LAST_YEAR, world.colleague.number, name(world.colleague), "八十", "合格"),
        (LAST_YEAR, world.other_member.number, name(world.other_member), 80, "良好"),
        (LAST_YEAR, world.convenor.number, name(world.convenor), 80.125, "合格"),
        (THIS_YEAR, world.convenor.number, name(world.convenor), 80, "合格"),
        ("去年", world.convenor.number, name(world.convenor), 80, "合格"),
        (LAST_YEAR, world.convenor.number, name(world.convenor), "", "合格"),
        (LAST_YEAR, world.convenor.number, name(world.convenor), 70, "合格"),
    ]

    preview = history_import.history_import_preview(term=world.term, file=xlsx(rows))

    bands = "优秀、合格、基本合格、不合格"
    assert _issues(preview) == [
        (2, "委员编号", f"{world.term}没有委员编号为“9999”的委员"),
        (
            3,
            "姓名",
            f"委员编号“{world.member.number}”是“{name(world.member)}”,与本行姓名“张冠李”不一致",
        ),
        (4, "总分", "“八十”不是数字"),
        (5, "等次", f"“良好”不是 {LAST_YEAR} 年度计分规则的等次,可填:{bands}"),
        (6, "委员编号", "同一委员同一年度在文件中重复(另见第9、10行)"),
        (6, "总分", "总分最多保留两位小数"),
        (7, "年度", f"只能导入往年的结果({THIS_YEAR} 年以前),本年度由系统计算"),
        (8, "年度", "“去年”不是年份,请填写如 2024"),
        (9, "委员编号", "同一委员同一年度在文件中重复(另见第6、10行)"),
        (9, "总分", "不能为空"),
        (10, "委员编号", "同一委员同一年度在文件中重复(另见第6、9行)"),
    ]
    assert not preview.is_valid


def test_grades_are_free_text_when_the_year_has_no_rulebook(world):
    rows = [(2019, world.member.number, name(world.member), 66, "称职")]

    preview = history_import.history_import_preview(term=world.term, file=xlsx(rows))

    assert preview.is_valid
    assert preview.rows[0].grade == "称职"


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (
            lambda w: xlsx([(LAST_YEAR, w.member.number, "=A1", 80, "")]),
            "单元格含有公式,请改为直接填写数值后再导入",
        ),
        (lambda w: xlsx([], headers=("年度", "委员编号", "姓名", "总分")), "表格中没有数据行"),
        (
            lambda w: xlsx([(2020, "1", "x")], headers=("年度", "委员编号", "总分")),
            "缺少必需的列:姓名",
        ),
        (
            lambda w: xlsx([(2020,)], headers=("年份", "编号")),
            "未找到表头:前10行中应有“年度”“委员编号”“姓名”“总分”等列标题",
        ),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_as_a_whole(world, upload, message):
    preview = history_import.history_import_preview(term=world.term, file=upload(world))

    assert [i.message for i in preview.errors] == [message]
    assert preview.rows == []


def test_a_file_that_is_not_xlsx_is_refused(world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("结果.xlsx", "年度,委员编号\n2024,1\n".encode(), "text/csv")

    preview = history_import.history_import_preview(term=world.term, file=upload)

    assert "请上传 Excel 2007 及以上版本保存的 .xlsx 文件" in preview.errors[0].message


# Importing -------------------------------------------------------------------------


def test_importing_stores_each_row_by_person_and_importing_again_changes_nothing(world, people):
    first = history_import.history_import_apply(
        term=world.term, file=xlsx(_rows(people)), by=world.staff
    )

    assert first.applied and first.new == 3
    stored = {
        (r.person_id, r.member_id, r.year, r.total, r.grade, r.imported_by_id)
        for r in PastResult.objects.all()
    }
    assert stored == {
        (world.member.person_id, world.member.pk, LAST_YEAR, Decimal("91.50"), "优秀", world.staff.pk),
        (world.colleague.person_id, world.colleague.pk, LAST_YEAR, Decimal("72.00"), "合格", world.staff.pk),
        (world.other_member.person_id, world.other_member.pk, LAST_YEAR, Decimal("55.00"), "基本合格", world.staff.pk),
    }  # fmt: skip
    when = set(PastResult.objects.values_list("imported_at", flat=True))

    again = history_import.history_import_apply(
        term=world.term, file=xlsx(_rows(people)), by=world.staff
    )

    assert again.applied and (again.new, again.updated, again.unchanged) == (0, 0, 3)
    assert PastResult.objects.count() == 3
    assert set(PastResult.objects.values_list("imported_at", flat=True)) == when
    assert PastResult.history.count() == 3  # one audit row per result, none for the no-op


def test_a_corrected_file_updates_only_the_rows_that_changed(world, people):
    history_import.history_import_apply(term=world.term, file=xlsx(_rows(people)), by=world.staff)

    corrected = xlsx(_rows(people, totals=(91.5, 72, 58)))
    preview = history_import.history_import_preview(term=world.term, file=corrected)
    result = history_import.history_import_apply(term=world.term, file=corrected, by=world.staff)

    assert [r.kind for r in preview.rows] == ["unchanged", "unchanged", "update"]
    assert preview.rows[2].before.total == Decimal("55.00")
    assert (result.new, result.updated, result.unchanged) == (0, 1, 2)
    assert PastResult.objects.get(person=world.other_member.person).total == Decimal("58.00")


def test_a_file_with_one_bad_row_imports_nothing(world, people):
    rows = [*_rows(people), (LAST_YEAR, "9999", "无此人", 80, "合格")]

    result = history_import.history_import_apply(term=world.term, file=xlsx(rows), by=world.staff)

    assert not result.applied
    assert [(i.row, i.column) for i in result.errors] == [(5, "委员编号")]
    assert result.rows == []
    assert not PastResult.objects.exists()


def test_a_year_computed_and_made_final_here_is_refused(world, people):
    load_haian(world, LAST_YEAR)
    finalise(compute(world.body, LAST_YEAR))

    result = history_import.history_import_apply(
        term=world.term, file=xlsx(_rows(people)), by=world.staff
    )

    assert not result.applied
    assert {(i.column, i.message) for i in result.errors} == {
        ("年度", f"{LAST_YEAR} 年度考核已在本系统计算并定稿,不能再导入该年度的结果")
    }
    assert not PastResult.objects.exists()


def test_a_member_of_the_other_body_is_unknown_in_this_term(world):
    outsider = world.outsider_member
    rows = [(LAST_YEAR, outsider.number, name(outsider), 70, "")]

    preview = history_import.history_import_preview(term=world.term, file=xlsx(rows))

    assert [i.column for i in preview.errors] == ["委员编号"]


# What the history is for ---------------------------------------------------------------


def _idle_member(world):
    """A member who does nothing all year: 30 points of attendance, 不合格 under Hai'an."""
    return f.member_with_login(term=world.term, sector=world.sector, group=world.group)


def test_imported_history_raises_the_two_consecutive_years_talk_in_the_first_year(world):
    idle = _idle_member(world)
    load_haian(world, THIS_YEAR)

    before = Score.objects.get(period=compute(world.body, THIS_YEAR), member=idle)
    assert before.total < 60
    assert before.follow_ups == ["reminder_talk"]  # this year's grade alone

    history_import.history_import_apply(
        term=world.term,
        file=xlsx([(LAST_YEAR, idle.number, name(idle), 55, "基本合格")]),
        by=world.staff,
    )
    after = Score.objects.get(period=compute(world.body, THIS_YEAR), member=idle)

    assert after.follow_ups == ["reminder_talk", "formal_talk"]  # 连续两年低于 60 分: 约谈


def test_an_imported_year_above_the_line_raises_no_talk(world):
    idle = _idle_member(world)
    load_haian(world, THIS_YEAR)
    history_import.history_import_apply(
        term=world.term,
        file=xlsx([(LAST_YEAR, idle.number, name(idle), 75, "合格")]),
        by=world.staff,
    )

    score = Score.objects.get(period=compute(world.body, THIS_YEAR), member=idle)

    assert "formal_talk" not in score.follow_ups


def test_a_year_made_final_here_after_an_import_overrides_it(world):
    idle = _idle_member(world)
    load_haian(world, THIS_YEAR)
    history_import.history_import_apply(
        term=world.term,
        file=xlsx([(LAST_YEAR, idle.number, name(idle), 55, "基本合格")]),
        by=world.staff,
    )
    # Last year is computed here after all, and the idle member scores 30 there
    # too; then the imported 55 is replaced by it, and the talk still holds.
    # Lowering the line shows which number was read: 40 is above 30, below 55.
    text = load_haian(world, LAST_YEAR).source
    finalise(compute(world.body, LAST_YEAR))
    lower = load_haian(
        world,
        THIS_YEAR,
        text=text.replace(f"\nyear: {LAST_YEAR}\n", f"\nyear: {THIS_YEAR}\n").replace(
            "total_below: 60", "total_below: 40"
        ),
    )
    assert lower.status == "published"

    score = Score.objects.get(period=compute(world.body, THIS_YEAR), member=idle)

    assert score.total < 40
    assert "formal_talk" in score.follow_ups  # 30 last year (computed), not 55 (imported)


# The pages -------------------------------------------------------------------------------


@pytest.fixture
def staff(client, world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(world.staff)
    return client


def test_the_page_checks_then_imports_on_confirmation(staff, world, people):
    url = reverse("scoring:history_import")

    checked = staff.post(url, {"term": world.term.pk, "file": xlsx(_rows(people))})

    assert checked.status_code == 200
    page = checked.content.decode()
    assert 'data-testid="import-rows"' in page and name(world.member) in page
    assert "确认导入(3 条有变化)" in page
    assert not PastResult.objects.exists()
    token = checked.context["token"]

    done = staff.post(reverse("scoring:history_import_confirm"), {"token": token})

    assert done.status_code == 302
    assert done["Location"] == reverse("scoring:annual", args=[world.body.pk, LAST_YEAR])
    assert PastResult.objects.count() == 3
    assert "导入完成:新增 3 条,更新 0 条,未变化 0 条。" in [
        str(m) for m in get_messages(done.wsgi_request)
    ]
    # the stored upload is gone: confirming twice imports nothing more
    again = staff.post(reverse("scoring:history_import_confirm"), {"token": token})
    assert again.status_code == 302 and PastResult.objects.count() == 3


def test_the_page_shows_every_problem_and_offers_no_confirmation(staff, world):
    rows = [(LAST_YEAR, "9999", "无此人", "abc", "")]

    response = staff.post(
        reverse("scoring:history_import"), {"term": world.term.pk, "file": xlsx(rows)}
    )

    page = response.content.decode()
    assert "发现 2 处问题,未导入任何数据" in page
    assert "“abc”不是数字" in page and "没有委员编号为“9999”的委员" in page
    assert response.context["token"] is None


def test_the_annual_page_shows_imported_results_of_a_year_not_computed_here(staff, world, people):
    history_import.history_import_apply(term=world.term, file=xlsx(_rows(people)), by=world.staff)

    response = staff.get(reverse("scoring:annual", args=[world.body.pk, LAST_YEAR]))

    page = response.content.decode()
    assert 'data-testid="past-results"' in page
    assert "91.50" in page and name(world.other_member) in page


def test_the_check_costs_the_same_for_three_rows_or_thirty(
    staff, world, django_assert_max_num_queries
):
    few = [f.MemberFactory(term=world.term, sector=world.sector) for _ in range(3)]
    many = few + [f.MemberFactory(term=world.term, sector=world.sector) for _ in range(27)]
    url = reverse("scoring:history_import")
    counts = []
    for members in (few, many):
        rows = [(LAST_YEAR, m.number, m.person.name, 70, "") for m in members]
        # session, user, roles, seats, bodies; the terms four times (the form's
        # current one, its choice, the access check, the rendered options);
        # members; final years; rulebooks; results; base page: notices, person;
        # the savepoint pair and the session
        with django_assert_max_num_queries(18) as queries:
            response = staff.post(url, {"term": world.term.pk, "file": xlsx(rows)})
        assert response.context["preview"].new == len(members)
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_a_year_of_thousands_of_digits_is_refused_in_chinese(world):
    """Python refuses int() of over 4,300 digits with an English message: not shown."""
    preview = history_import.history_import_preview(
        term=world.term,
        file=xlsx([("9" * 5000, world.member.number, world.member.person.name, 80, "")]),
    )
    assert [(i.row, i.column) for i in preview.errors] == [(2, "年度")]
    assert "不是年份" in preview.errors[0].message
