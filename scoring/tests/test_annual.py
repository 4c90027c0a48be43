"""The annual assessment as staff and leadership read it: ranking, grade
counts, the reminder-talk and outstanding-candidate lists with their
reasons (a consecutive-years talk naming both years' numbers), sector-group
scores by average or sum with the advanced-group candidates; and members'
annual duty reports (述职): written, replaced, refused once the year is
final, read by staff, with the pages' cost in queries."""

import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from scoring import annual, history_import
from scoring.models import AnnualDutyReport, Score
from tests.matrix.records import PDF, PNG

from .annual_helpers import compute, finalise, xlsx
from .test_worked_members_through_the_app import App, at

THIS_YEAR = timezone.localdate().year
LAST_YEAR = THIS_YEAR - 1

RULEBOOK = """\
format: 1
name: 测试年度考核
year: {year}
categories:
- {{code: work, name: 履职}}
items:
- code: field
  name: 参加调研视察
  category: work
  kind: activity.attended
  where: {{category: [research, inspection]}}
  points: 10
grades:
- {{name: 优秀, min: 20}}
- {{name: 合格, min: 10}}
- {{name: 不合格}}
vetoes:
- code: plenary_absent
  name: 无故缺席全体会议
  match: {{kind: activity.absent, where: {{activity_kind: plenary}}}}
  cap_grade: 合格
follow_ups:
- {{code: reminder_talk, name: 提醒谈话, grades: [不合格]}}
- {{code: reminder_talk, name: 提醒谈话, total_below: 15, years: 2}}
candidates:
- {{code: outstanding, name: 优秀委员候选人, grades: [优秀], total_at_least: 20, no_veto: true}}
checklists:
- code: basics
  name: 基本要求
  items:
  - {{code: research, name: 参加一次专题调研, match: {{kind: activity.attended, where: {{category: research}}}}}}
sector_groups: {{score: {score}, candidates: {{top: 1}}}}
"""


def rulebook_text(year=THIS_YEAR, score="average"):
    return RULEBOOK.format(year=year, score=score)


@pytest.fixture
def app(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return App(world)


@pytest.fixture
def year(app, world):
    """The body's year: the member 30 (优秀), the colleague 20 but absent from
    the plenary (合格 by the veto), the convenor 10 after 12 last year (a talk
    for two years below 15), the other group's member 0 (不合格)."""
    for month in (3, 4, 5):
        app.attend(world.member, "research", at(month, 10))
    app.attend(world.colleague, "inspection", at(3, 11))
    app.attend(world.colleague, "inspection", at(4, 11))
    app.attend(world.colleague, "plenary", at(1, 15), "absent")
    app.attend(world.convenor, "research", at(6, 1))
    history_import.history_import_apply(
        term=world.term,
        file=xlsx([(LAST_YEAR, world.convenor.number, world.convenor.person.name, 12, "合格")]),
        by=world.staff,
    )
    from scoring import services

    services.rulebook_load(
        body=world.body, year=THIS_YEAR, text=rulebook_text(), by=world.staff, publish=True
    )
    return compute(world.body, THIS_YEAR)


# The assessment -------------------------------------------------------------------------


def test_the_assessment_ranks_counts_and_lists_with_reasons(world, year):
    read = annual.assessment_read(period=year)

    assert [(s.member, s.total, s.grade, s.rank) for s in read.assessed] == [
        (world.member, Decimal("30.00"), "优秀", 1),
        (world.colleague, Decimal("20.00"), "合格", 2),
        (world.convenor, Decimal("10.00"), "合格", 3),
        (world.other_member, Decimal("0.00"), "不合格", 4),
    ]
    assert read.grade_counts == [("优秀", 1), ("合格", 2), ("不合格", 1)]
    (talks,) = read.follow_ups
    assert talks.name == "提醒谈话"
    assert talks.conditions == "等次为不合格;或连续 2 年总分低于 15.00 分"
    reasons = {listed.score.member: listed.reasons for listed in talks.members}
    assert reasons == {
        world.convenor: [
            f"连续 2 年总分低于 15.00 分({LAST_YEAR} 年 12.00 分(合格)、{THIS_YEAR} 年 10.00 分(合格))"
        ],
        # no result on record for last year: never assumed low
        world.other_member: ["等次为不合格(不合格,0.00 分)"],
    }
    (candidates,) = read.candidates
    assert candidates.conditions == "等次为优秀,总分不低于 20.00 分,无一票否决情形"
    assert [listed.score.member for listed in candidates.members] == [world.member]
    colleague = next(s for s in read.scores if s.member == world.colleague)
    assert colleague.grade_before_veto == "优秀" and colleague.veto_names == ["无故缺席全体会议"]


def test_members_not_assessed_are_counted_apart_without_a_rank(client, world, year):
    from scoring import services

    services.rulebook_load(
        body=world.body,
        year=THIS_YEAR,
        text=rulebook_text().replace(
            "categories:", "assessed: {exempt_flags: [convenor]}\ncategories:"
        ),
        by=world.staff,
        publish=True,
    )
    period = compute(world.body, THIS_YEAR)

    read = annual.assessment_read(period=period)

    assert world.convenor not in [s.member for s in read.assessed]
    assert read.exempt == 1
    assert [listed.score.member for listed in read.follow_ups[0].members] == [world.other_member]
    client.force_login(world.staff)
    page = client.get(reverse("scoring:annual", args=[world.body.pk, THIS_YEAR])).content.decode()
    assert "不参加考核:按身份不参加考核" in page


def test_the_annual_page_for_staff_and_leadership(client, world, year):
    annual.duty_report_save(
        member=world.member, year=THIS_YEAR, text="一年来……", by=world.member.person.user
    )
    for user in (world.staff, world.leader):
        client.force_login(user)

        response = client.get(reverse("scoring:annual", args=[world.body.pk, THIS_YEAR]))

        assert response.status_code == 200
        page = response.content.decode()
        assert 'data-testid="ranking"' in page
        assert '<span data-grade="合格">2</span>' in page
        assert 'data-testid="follow-up-reminder_talk"' in page
        assert 'data-testid="candidate-outstanding"' in page
        report = AnnualDutyReport.objects.get(member=world.member)
        assert reverse("scoring:duty_report", args=[report.pk]) in page
        assert ("导入往年结果" in page) == (user == world.staff)


def test_the_index_sends_staff_to_their_body_and_latest_year(client, world, year):
    client.force_login(world.staff)

    response = client.get(reverse("scoring:annual_index"))

    assert response["Location"] == reverse("scoring:annual", args=[world.body.pk, THIS_YEAR])


def test_a_year_not_computed_says_so(client, world):
    client.force_login(world.staff)

    response = client.get(reverse("scoring:annual", args=[world.body.pk, 2020]))

    assert 'data-testid="not-computed"' in response.content.decode()


def test_the_annual_page_does_not_grow_with_members(
    client, app, world, year, django_assert_max_num_queries
):
    client.force_login(world.staff)
    url = reverse("scoring:annual", args=[world.body.pk, THIS_YEAR])
    # session, user, roles, seats; the body; the period with its rulebook and
    # body; the scores with members, people, sectors and groups; the earlier
    # years (imported, computed); the duty reports; the years (computed,
    # imported); bodies for the switch; base page: notices, person; the
    # session saved in its savepoint
    with django_assert_max_num_queries(18) as few:
        assert client.get(url).status_code == 200
    for i in range(25):
        member = app.member()
        app.attend(member, "research", at(2 + i % 9, 1 + i))
        annual.duty_report_save(member=member, year=THIS_YEAR, text="述职", by=world.staff)
    compute(world.body, THIS_YEAR)
    with django_assert_max_num_queries(18) as many:
        response = client.get(url)
    assert len(many) == len(few)
    assert len(response.context["assessment"].scores) == 29


# Sector groups -----------------------------------------------------------------------------


def test_sector_groups_are_scored_by_average_and_the_top_one_is_a_candidate(world, year):
    rows, how, rule = annual.sector_groups_read(period=year)

    assert [(r.group, r.members, r.assessed, r.score, r.rank, r.candidate) for r in rows] == [
        (world.group, 3, 3, Decimal("20.00"), 1, True),
        (world.other_group, 1, 1, Decimal("0.00"), 2, False),
    ]
    assert how == "小组内参加考核委员的平均分"
    assert rule == "先进界别小组候选:排名前 1 位(并列的一并列入)"


def test_sector_groups_by_sum(world, year):
    from scoring import services

    services.rulebook_load(
        body=world.body,
        year=THIS_YEAR,
        text=rulebook_text(score="sum"),
        by=world.staff,
        publish=True,
    )
    period = compute(world.body, THIS_YEAR)

    rows, how, _rule = annual.sector_groups_read(period=period)

    assert [(r.group, r.score) for r in rows] == [
        (world.group, Decimal("60.00")),
        (world.other_group, Decimal("0.00")),
    ]
    assert how == "小组内参加考核委员总分之和"


def test_the_groups_page(client, world, year):
    client.force_login(world.leader)

    response = client.get(reverse("scoring:annual_groups", args=[world.body.pk, THIS_YEAR]))

    page = response.content.decode()
    rows = dict(re.findall(r'<tr data-group="(\d+)">(.*?)</tr>', page, re.S))
    assert "20.00" in rows[str(world.group.pk)]
    assert 'data-testid="group-candidate"' in rows[str(world.group.pk)]
    assert "0.00" in rows[str(world.other_group.pk)]  # a score of zero is a score
    assert 'data-testid="group-candidate"' not in rows[str(world.other_group.pk)]


# Duty reports (述职) -------------------------------------------------------------------


def _pdf(name="述职报告.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def _docx(name="述职报告.docx"):
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return SimpleUploadedFile(name, out.getvalue())


def test_a_member_writes_then_replaces_the_file_of_their_report(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    user = world.member.person.user

    report = annual.duty_report_save(
        member=world.member, year=THIS_YEAR, text="述职正文", file=_pdf(), by=user
    )

    assert (report.text, report.file_name, report.content_type) == (
        "述职正文",
        "述职报告.pdf",
        "application/pdf",
    )
    first_file = report.file.name
    assert report.file.storage.exists(first_file)
    assert first_file.startswith(f"duty_reports/{THIS_YEAR}/") and "述职" not in first_file

    report = annual.duty_report_save(
        member=world.member, year=THIS_YEAR, text="述职正文", file=_docx(), by=user
    )

    assert report.content_type == annual.DOCX and report.file_name == "述职报告.docx"
    assert AnnualDutyReport.objects.count() == 1


def test_saving_the_same_text_again_changes_nothing(world):
    user = world.member.person.user
    first = annual.duty_report_save(member=world.member, year=THIS_YEAR, text="正文", by=user)

    again = annual.duty_report_save(member=world.member, year=THIS_YEAR, text="正文\r\n", by=user)

    assert again.updated_at == first.updated_at


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"text": "  "}, "text", "请填写述职报告,或上传述职报告文件"),
        (
            {"file": SimpleUploadedFile("照片.png", PNG)},
            "file",
            "“照片.png”不是 PDF 或 Word(.docx)文件;.doc 请另存为 .docx 或 PDF",
        ),
        (
            {"file": SimpleUploadedFile("旧.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"0" * 64)},
            "file",
            "“旧.doc”不是 PDF 或 Word(.docx)文件;.doc 请另存为 .docx 或 PDF",
        ),
        (
            {"file": SimpleUploadedFile("大.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024))},
            "file",
            "文件“大.pdf”超过 10 MB",
        ),
        ({"text": "字" * 20001}, "text", "述职报告不能超过 20000 字"),
    ],
)
def test_bad_reports_are_refused_at_their_field(world, kwargs, field, message):
    with pytest.raises(ValidationError) as refused:
        annual.duty_report_save(
            member=world.member, year=THIS_YEAR, by=world.member.person.user, **kwargs
        )

    assert refused.value.message_dict == {field: [message]}
    assert not AnnualDutyReport.objects.exists()


def test_a_report_cannot_change_once_the_year_is_final(world, year):
    user = world.member.person.user
    annual.duty_report_save(member=world.member, year=THIS_YEAR, text="初稿", by=user)
    finalise(year)

    with pytest.raises(ValidationError) as refused:
        annual.duty_report_save(member=world.member, year=THIS_YEAR, text="改稿", by=user)

    assert refused.value.messages == [f"{THIS_YEAR} 年度考核已定稿,述职报告不能再提交或修改"]
    assert AnnualDutyReport.objects.get().text == "初稿"


def test_a_report_for_a_future_year_is_refused(world):
    with pytest.raises(ValidationError) as refused:
        annual.duty_report_save(
            member=world.member, year=THIS_YEAR + 1, text="x", by=world.member.person.user
        )

    assert refused.value.messages == ["不能提交以后年度的述职报告"]


def test_a_report_for_a_year_before_the_member_sat_is_refused(world):
    year = world.member.joined_on.year - 1

    with pytest.raises(ValidationError) as refused:
        annual.duty_report_save(member=world.member, year=year, text="x", by=world.staff)

    assert refused.value.messages == [f"{year} 年您尚未任职"]


def test_removing_the_file_keeps_the_text(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    user = world.member.person.user
    annual.duty_report_save(member=world.member, year=THIS_YEAR, text="正文", file=_pdf(), by=user)

    report = annual.duty_report_save(
        member=world.member, year=THIS_YEAR, text="正文", remove_file=True, by=user
    )

    assert not report.file and report.file_name == "" and report.text == "正文"
    with pytest.raises(ValidationError):
        annual.duty_report_save(
            member=world.member, year=THIS_YEAR, text="", remove_file=True, by=user
        )


def test_the_member_page_saves_and_shows_the_report(client, world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(world.member.person.user)
    url = reverse("scoring:my_duty_report")

    response = client.post(url, {"text": "今年参加调研三次。", "file": _pdf()})

    assert response.status_code == 302
    report = AnnualDutyReport.objects.get(member=world.member, year=THIS_YEAR)
    assert report.text == "今年参加调研三次。" and report.file_name == "述职报告.pdf"
    page = client.get(url).content.decode()
    assert "今年参加调研三次。" in page
    assert reverse("scoring:duty_report_file", args=[report.pk]) in page


def test_the_member_page_shows_a_refusal_next_to_the_field(client, world):
    client.force_login(world.member.person.user)

    response = client.post(reverse("scoring:my_duty_report"), {"text": ""})

    assert response.status_code == 200
    assert response.context["form"].errors == {"text": ["请填写述职报告,或上传述职报告文件"]}


def test_the_member_page_is_read_only_once_final(client, world, year):
    annual.duty_report_save(
        member=world.member, year=THIS_YEAR, text="定稿前", by=world.member.person.user
    )
    finalise(year)
    client.force_login(world.member.person.user)

    page = client.get(reverse("scoring:my_duty_report")).content.decode()
    posted = client.post(reverse("scoring:my_duty_report"), {"text": "定稿后"})

    assert 'data-testid="report-form"' not in page and "定稿前" in page
    assert posted.status_code == 200
    assert AnnualDutyReport.objects.get().text == "定稿前"


def test_staff_read_a_report_and_download_its_file(client, world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    report = annual.duty_report_save(
        member=world.member,
        year=THIS_YEAR,
        text="正文",
        file=_pdf(),
        by=world.member.person.user,
    )
    client.force_login(world.staff)

    page = client.get(reverse("scoring:duty_report", args=[report.pk])).content.decode()
    download = client.get(reverse("scoring:duty_report_file", args=[report.pk]))

    assert "正文" in page and world.member.person.name in page
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert "attachment" in download["Content-Disposition"]
    assert b"".join(download.streaming_content) == PDF


def test_scores_of_the_year_are_untouched_by_reports(world, year):
    before = list(Score.objects.values_list("pk", "total"))

    annual.duty_report_save(
        member=world.member, year=THIS_YEAR, text="述职", by=world.member.person.user
    )

    assert list(Score.objects.values_list("pk", "total")) == before
