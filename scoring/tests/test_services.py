"""The scoring services: loading, editing and publishing rulebooks, marks,
computing a period (refusals, quarter boundaries, replacing a draft, staff
adjustments kept, earlier years' results, the cost in queries, two
computations at once) and the Celery task around it."""

import datetime
import threading
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from duties import services as duties
from members.models import BodyRole
from scoring import facts as ledger
from scoring import receipts, services
from scoring.models import Mark, Rulebook, Score, ScoreLine, ScorePeriod
from scoring.tasks import period_compute_task
from tests import factories as f

from .test_worked_members_through_the_app import YEAR, App, at, rulebook_text

SMALL = """\
format: 1
name: 测试规则
year: {year}
assessed:
  exempt_flags: [chairs_meeting]
categories:
- {{code: c, name: 类别}}
items:
- code: inspections
  name: 参加视察
  category: c
  kind: activity.attended
  where: {{activity_kind: inspection}}
  points: 2
- {{code: review, name: 述职会评分, category: c, kind: mark, max: 6}}
grades:
- {{name: 合格, min: 5}}
- {{name: 不合格}}
follow_ups:
- {{code: talk, name: 提醒谈话, total_below: 5, years: 2}}
"""


def small(year: int = YEAR) -> str:
    return SMALL.format(year=year)


@pytest.fixture
def app(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return App(world)


def published(app, text=None, year=YEAR) -> Rulebook:
    return services.rulebook_load(
        body=app.body, year=year, text=text or small(year), by=app.staff, publish=True
    )


def inspections(app, members, *whens) -> None:
    """Each member attended an inspection on each date (one activity per date)."""
    for when in whens:
        activity = app.activity("inspection", when)
        duties.list_add(activity=activity, members=list(members), by=app.staff)
        duties.attendance_mark_all_present(activity=activity, by=app.staff)


def compute(app, quarter=0, year=YEAR) -> ScorePeriod:
    ledger.facts_rebuild(body=app.body)
    period = services.period_open(body=app.body, year=year, quarter=quarter)
    services.period_compute(period=period)
    return period


def total_of(period, member):
    return Score.objects.get(period=period, member=member).total


# Loading rulebooks ---------------------------------------------------------------


def test_loading_stores_the_text_as_a_draft_version_of_the_term(app):
    text = rulebook_text("r1.yaml")

    rulebook = services.rulebook_load(body=app.body, year=YEAR, text=text, by=app.staff)

    assert (rulebook.version, rulebook.status, rulebook.year) == (1, "draft", YEAR)
    assert (rulebook.body, rulebook.term, rulebook.created_by) == (app.body, app.term, app.staff)
    assert rulebook.source == text
    assert rulebook.name == "R1 基本分 70(扣分)+ 加分封顶 50"
    assert rulebook.published_at is None
    assert len(rulebook.parsed().items) == 13


def test_loading_refuses_an_invalid_file_with_every_error_and_its_place(app):
    text = small().replace("kind: activity.attended", "kind: activity.attend")
    text = text.replace("points: 2", "points: 2\n  cap: 1\n  floor: 3")
    text = text.replace("category: c\n  kind", "category: missing\n  kind")
    text = text.replace(f"year: {YEAR}", "year: 2019")

    with pytest.raises(ValidationError) as refused:
        services.rulebook_load(body=app.body, year=YEAR, text=text, by=app.staff)

    messages = refused.value.messages
    assert len(messages) == 4, messages
    assert messages[0] == f"year(第 3 行):文件写明的年度为 2019,与导入的年度 {YEAR} 不一致"
    assert messages[1].startswith("items[0].category(第 11 行):")
    assert "missing" in messages[1]
    assert messages[2].startswith("items[0].kind(第 12 行):")
    assert "activity.attend" in messages[2]
    assert messages[3].startswith("items[0].cap(第 15 行):")
    assert not Rulebook.objects.exists()


def test_loading_checks_activity_kinds_against_the_body(world):
    # a body without the kinds R1 names (only inspection exists)
    f.ActivityKindFactory(body=world.body, code="inspection")

    with pytest.raises(ValidationError) as refused:
        services.rulebook_load(
            body=world.body, year=YEAR, text=rulebook_text("r1.yaml"), by=world.staff
        )

    places = [m.split("(")[0] for m in refused.value.messages]
    assert places == [
        "items[0].where.activity_kind",
        "items[1].where.activity_kind",
        "items[2].where.activity_kind",
        "items[3].where.activity_kind",
        "items[4].where.activity_kind[0]",
        "items[4].where.activity_kind[1]",
        "items[5].where.activity_kind[0]",
        "items[5].where.activity_kind[1]",
        "items[10].where.activity_kind",
        "items[11].where.activity_kind",
    ]
    assert "plenary" in refused.value.messages[0]
    assert not Rulebook.objects.exists()


def test_loading_refuses_a_file_naming_another_body_or_a_missing_term(app):
    text = "body: 海安市政协\nterm: 9\n" + small()

    with pytest.raises(ValidationError) as refused:
        services.rulebook_load(body=app.body, year=YEAR, text=text, by=app.staff)

    assert refused.value.messages == [
        "body(第 1 行):文件写明的政协为“海安市政协”,与导入的政协“江城市政协”不一致",
        "term(第 2 行):江城市政协没有第 9 届",
    ]


def test_loading_the_same_text_again_stores_nothing_new(app):
    first = services.rulebook_load(body=app.body, year=YEAR, text=small(), by=app.staff)
    again = services.rulebook_load(
        body=app.body, year=YEAR, text=small(), by=app.staff, publish=True
    )

    assert again.pk == first.pk
    assert (again.version, again.status) == (1, "published")
    assert Rulebook.objects.count() == 1


def test_editing_a_published_rulebook_makes_a_new_version(app):
    v1 = published(app)
    edited = small().replace("points: 2", "points: 3")

    v2 = services.rulebook_edit(rulebook=v1, text=edited, by=app.staff)

    v1.refresh_from_db()
    assert (v1.version, v1.status, v1.source) == (1, "published", small())
    assert (v2.version, v2.status, v2.source) == (2, "draft", edited)
    # a draft is edited in place
    again = edited.replace("points: 3", "points: 4")
    assert services.rulebook_edit(rulebook=v2, text=again, by=app.staff).pk == v2.pk
    # publishing it retires the version in force
    services.rulebook_publish(rulebook=v2, by=app.staff)
    v1.refresh_from_db()
    v2.refresh_from_db()
    assert (v1.status, v2.status) == ("retired", "published")
    assert services.rulebook_in_force(body_id=app.body.pk, year=YEAR) == v2
    # and a loaded edit is the next version too
    v3 = services.rulebook_load(body=app.body, year=YEAR, text=small(), by=app.staff)
    assert (v3.version, v3.status) == (3, "draft")


def test_an_edit_that_breaks_the_file_is_refused_and_changes_nothing(app):
    draft = services.rulebook_load(body=app.body, year=YEAR, text=small(), by=app.staff)

    with pytest.raises(ValidationError):
        services.rulebook_edit(rulebook=draft, text=small().replace("max: 6", "max: -6"), by=None)

    draft.refresh_from_db()
    assert draft.source == small()


# Marks ----------------------------------------------------------------------------


def test_a_mark_is_bounded_by_the_items_max(app):
    published(app)
    m = app.world.member

    mark = services.mark_set(member=m, year=YEAR, item_code="review", value="5.5", by=app.staff)

    assert (mark.value, mark.entered_by) == (D("5.50"), app.staff)
    for value, message in (
        ("6.01", "“述职会评分”的评分应在 0 到 6 之间"),
        (-1, "“述职会评分”的评分应在 0 到 6 之间"),
        ("5.555", "评分最多保留两位小数"),
        ("五分", "请填写数字"),
    ):
        with pytest.raises(ValidationError) as refused:
            services.mark_set(member=m, year=YEAR, item_code="review", value=value, by=app.staff)
        assert refused.value.messages == [message]
    with pytest.raises(ValidationError, match="按履职记录计分"):
        services.mark_set(member=m, year=YEAR, item_code="inspections", value=1, by=app.staff)
    with pytest.raises(ValidationError, match="没有代码为“nope”的项目"):
        services.mark_set(member=m, year=YEAR, item_code="nope", value=1, by=app.staff)
    with pytest.raises(ValidationError, match="尚未导入"):
        services.mark_set(member=m, year=YEAR - 1, item_code="review", value=1, by=app.staff)
    # changed once, kept once, with the history of who entered what
    services.mark_set(member=m, year=YEAR, item_code="review", value=6, by=app.world.admin)
    services.mark_set(member=m, year=YEAR, item_code="review", value=6, by=app.world.admin)
    mark = Mark.objects.get()
    assert (mark.value, mark.entered_by) == (D(6), app.world.admin)
    history = mark.history.order_by("history_date")
    assert [(h.value, h.history_user) for h in history] == [
        (D("5.5"), app.staff),
        (D(6), app.world.admin),
    ]


# Computing a period ---------------------------------------------------------------


def test_compute_scores_every_member_of_the_term_with_marks_and_exemptions(app):
    published(app)
    world = app.world
    inspections(app, [world.member, world.colleague], at(2, 1), at(3, 1))
    services.mark_set(member=world.member, year=YEAR, item_code="review", value=3, by=app.staff)
    chair = app.member()
    BodyRole.objects.create(user=chair.person.user, body=app.body, role=BodyRole.Role.LEADERSHIP)
    gone = app.member()
    gone.left_on, gone.left_reason = datetime.date(YEAR - 1, 6, 1), "resigned"
    gone.save()

    period = compute(app)

    scores = {s.member_id: s for s in Score.objects.filter(period=period)}
    assert set(scores) == {
        world.member.pk,
        world.colleague.pk,
        world.other_member.pk,
        world.convenor.pk,
        chair.pk,
    }  # not the member who left last year, nor the other body's member
    assert (scores[world.member.pk].total, scores[world.member.pk].grade) == (D(7), "合格")
    assert (scores[world.colleague.pk].total, scores[world.colleague.pk].grade) == (D(4), "不合格")
    review = ScoreLine.objects.get(score=scores[world.member.pk], item_code="review")
    assert (review.matched, review.points) == (1, D(3))
    assert (scores[chair.pk].assessed, scores[chair.pk].exempt_reason) == (False, "flag")
    assert scores[chair.pk].total is None and not scores[chair.pk].lines.exists()
    # the receipt opens the line's records: the two participations
    opened = receipts.receipt(scores[world.member.pk])
    line = next(x for x in opened.lines if x.line.item_code == "inspections")
    assert [source[:2] for source in line.sources] == [("duties", "participation")] * 2
    assert not opened.changed


def test_compute_is_refused_for_a_final_period(app):
    published(app)
    period = services.period_open(body=app.body, year=YEAR, quarter=1)
    period.status = ScorePeriod.Status.FINAL
    period.save()

    with pytest.raises(ValidationError) as refused:
        services.period_compute(period=period)

    assert refused.value.messages == [
        f"{YEAR} 年第 1 季度通报已定稿,不能重新计算;如需更改请先重新打开"
    ]
    assert not Score.objects.exists()


def test_compute_is_refused_without_a_published_rulebook(app):
    services.rulebook_load(body=app.body, year=YEAR, text=small(), by=app.staff)  # a draft
    published(app, year=YEAR - 1)  # another year's
    period = services.period_open(body=app.body, year=YEAR, quarter=0)

    with pytest.raises(ValidationError) as refused:
        services.period_compute(period=period)

    assert refused.value.messages == [f"{YEAR} 年度还没有已发布的计分规则,请先导入并发布"]


def test_a_record_on_31_march_is_in_q1_and_one_on_1_april_only_from_q2(app):
    published(app)
    m = app.world.member
    inspections(app, [m], at(3, 31, hour=23), at(4, 1, hour=0))

    q1, q2 = compute(app, quarter=1), compute(app, quarter=2)

    assert (total_of(q1, m), total_of(q2, m)) == (D(2), D(4))  # Q2 is the year to date
    assert q1.dates == (datetime.date(YEAR, 1, 1), datetime.date(YEAR, 3, 31))


def test_caps_apply_to_the_year_to_date(app):
    text = small().replace("points: 2", "points: 2\n  cap: 5")
    published(app, text)
    m = app.world.member
    inspections(app, [m], at(1, 10), at(2, 10), at(5, 10))

    q1, q2 = compute(app, quarter=1), compute(app, quarter=2)

    assert (total_of(q1, m), total_of(q2, m)) == (D(4), D(5))
    assert ScoreLine.objects.get(score__period=q2, score__member=m, item_code="inspections")


def test_computing_again_gives_the_same_rows_with_the_same_ids(app):
    published(app)
    inspections(app, [app.world.member], at(2, 1))
    period = compute(app)

    def rows():
        return list(
            ScoreLine.objects.filter(score__period=period)
            .order_by("score__member_id", "position")
            .values_list("pk", "score_id", "score__member_id", "item_code", "matched", "points")
        )

    before = rows()
    services.period_compute(period=period)
    services.period_compute(period=period)

    # a dispute or an adjustment pointing at a score or a line still finds it
    assert rows() == before
    assert Score.objects.filter(period=period).count() == 4


def test_a_recompute_follows_the_records_and_drops_who_left(app):
    published(app)
    m, colleague = app.world.member, app.world.colleague
    period = compute(app)
    score = Score.objects.get(period=period, member=m)
    line = score.lines.get(item_code="inspections")
    assert (line.matched, line.points) == (0, D(0))

    inspections(app, [m], at(2, 1))
    colleague.joined_on = datetime.date(YEAR + 1, 1, 1)  # a correction: joined next year
    colleague.save()
    ledger.facts_rebuild(body=app.body)
    services.period_compute(period=period)

    line.refresh_from_db()
    assert (line.matched, line.points) == (1, D(2))
    assert Score.objects.get(period=period, member=m).pk == score.pk
    assert not Score.objects.filter(period=period, member=colleague).exists()
    assert not ScoreLine.objects.filter(score__member=colleague).exists()


def test_a_recompute_keeps_staff_adjustments_in_the_total_and_grade(app):
    published(app)
    m = app.world.member
    inspections(app, [m], at(2, 1))  # 2 points: 不合格
    period = compute(app)
    score = Score.objects.get(period=period, member=m)
    ScoreLine.objects.create(
        score=score,
        position=99,
        category="c",
        item_code="adjustment",
        item_name="人工调整",
        points_before_cap=D(3),
        points=D(3),
        is_adjustment=True,
        adjustment_reason="补录一次视察",
        adjusted_by=app.staff,
        adjusted_at=timezone.now(),
    )

    services.period_compute(period=period)

    score = Score.objects.get(period=period, member=m)
    adjustment = score.lines.get(is_adjustment=True)
    assert (adjustment.points, adjustment.adjustment_reason, adjustment.adjusted_by) == (
        D(3),
        "补录一次视察",
        app.staff,
    )
    assert adjustment.position == 99  # left as it was
    assert (score.total, score.grade, score.follow_ups) == (D(5), "合格", [])


def test_earlier_final_years_feed_the_consecutive_years_follow_ups(app):
    published(app, year=YEAR - 1)
    published(app)
    m, colleague = app.world.member, app.world.colleague
    inspections(app, [m, colleague], at(2, 1, year=YEAR - 1), at(2, 1))
    last_year = compute(app, year=YEAR - 1)  # both 2 points
    # a final, then a reopened version: the latest final version counts
    last_year.status = ScorePeriod.Status.FINAL
    last_year.save()
    Score.objects.filter(period=last_year, member=colleague).update(total=D(9))

    this_year = compute(app)

    assert Score.objects.get(period=this_year, member=m).follow_ups == ["talk"]
    assert Score.objects.get(period=this_year, member=colleague).follow_ups == []
    # a draft of last year does not count
    ScorePeriod.objects.filter(pk=last_year.pk).update(status=ScorePeriod.Status.DRAFT)
    services.period_compute(period=this_year)
    assert Score.objects.get(period=this_year, member=m).follow_ups == []


def test_the_computation_costs_the_same_queries_for_3_or_30_members(app):
    published(app)
    world = app.world
    activity = app.activity("inspection", at(2, 1))
    period = services.period_open(body=app.body, year=YEAR, quarter=0)

    def members(n):
        added = [app.member() for _ in range(n)]
        duties.list_add(activity=activity, members=added, by=app.staff)
        duties.attendance_mark_all_present(activity=activity, by=app.staff)
        for m in added:
            services.mark_set(member=m, year=YEAR, item_code="review", value=1, by=app.staff)
        ledger.facts_rebuild(body=app.body)
        return added

    def cost():
        with CaptureQueriesContext(connection) as queries:
            done = services.period_compute(period=period)
        sql = [q["sql"] for q in queries.captured_queries]
        return done.members, [s for s in sql if not s.lstrip().startswith("INSERT")], sql

    added = members(3)  # and the world's four
    services.period_compute(period=period)  # content types into Django's cache
    few, few_other, few_all = cost()
    members(27)
    many, many_other, many_all = cost()

    assert (few, many) == (7, 34)
    # savepoint; the period, locked; the rulebook in force; members with their
    # flags; their long leave; marks; earlier years' results (imported, computed); the adjustments'
    # sums; the facts grouped by member and item; delete the lines of items the
    # rulebook no longer has, the lines of members no longer in the period and
    # their scores; the period saved; release savepoint. And the two upserts.
    if connection.vendor == "postgresql":
        # plus the two temporary tables (dropped if left, created), each filled
        # by a COPY (on the raw cursor, not counted here) for its upsert
        assert len(few_other) == len(many_other) == 18
        assert len(few_all) == len(many_all) == 20
    else:
        assert len(few_other) == len(many_other) == 15
        # SQLite takes at most 999 parameters a statement: Django splits the
        # bulk inserts into batches, the only part that grows with members
        assert len(few_all) == 17 <= len(many_all)
    assert added[0].scores.get(period=period).total == D(3)  # an inspection and a mark
    assert world.member.scores.get(period=period).total == D(0)


def test_the_task_computes_and_reports_a_refusal(app):
    published(app)
    period = services.period_open(body=app.body, year=YEAR, quarter=0)

    assert period_compute_task(period.pk) == {"members": 4, "assessed": 4, "lines": 8}
    ScorePeriod.objects.filter(pk=period.pk).update(status=ScorePeriod.Status.FINAL)
    assert period_compute_task(period.pk)["refused"][0].endswith(
        "已定稿,不能重新计算;如需更改请先重新打开"
    )
    assert period_compute_task(0) == {"refused": ["gone"]}


def test_a_computation_is_enqueued_once_the_transaction_commits(
    app, django_capture_on_commit_callbacks
):
    from config.celery import app as celery

    published(app)
    period = services.period_open(body=app.body, year=YEAR, quarter=0)
    eager, celery.conf.task_always_eager = celery.conf.task_always_eager, True
    try:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            services.period_compute_enqueue(period=period)
            assert not Score.objects.exists()  # nothing before the commit
    finally:
        celery.conf.task_always_eager = eager
    assert len(callbacks) == 1
    assert Score.objects.filter(period=period).count() == 4


def test_opening_a_period_twice_gives_the_same_draft(app):
    first = services.period_open(body=app.body, year=YEAR, quarter=2)
    assert services.period_open(body=app.body, year=YEAR, quarter=2) == first
    assert (first.version, first.status, str(first)) == (1, "draft", f"{YEAR} 年第 2 季度通报")
    with pytest.raises(ValidationError):
        services.period_open(body=app.body, year=YEAR, quarter=5)


# Two computations of one period (PostgreSQL) --------------------------------------


@pytest.mark.postgres
def test_a_second_computation_of_a_running_period_is_refused(transactional_db, world, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("row locks are tested on PostgreSQL")
    app = App(world)
    published(app)
    period = services.period_open(body=app.body, year=YEAR, quarter=0)
    started, release = threading.Event(), threading.Event()
    evaluate = services.evaluate_members

    def slow(*args, **kwargs):
        if threading.current_thread().name == "first":
            started.set()
            assert release.wait(30)
        return evaluate(*args, **kwargs)

    monkeypatch.setattr(services, "evaluate_members", slow)
    outcome = {}

    def first():
        try:
            outcome["first"] = services.period_compute(period=period).members
        finally:
            connections.close_all()

    thread = threading.Thread(target=first, name="first")
    thread.start()
    try:
        assert started.wait(30)
        with pytest.raises(ValidationError) as refused:
            services.period_compute(period=period)
        assert refused.value.code == "running"
        assert refused.value.messages == [f"{YEAR} 年度考核正在计算中,请等这次计算完成"]
    finally:
        release.set()
        thread.join(60)
    assert outcome == {"first": 4}
    # once it is done, the period computes again
    assert services.period_compute(period=period).members == 4
    assert Score.objects.filter(period=period).count() == 4


@pytest.mark.postgres
def test_the_copy_writer_writes_what_the_orm_writer_writes(app):
    if connection.vendor != "postgresql":
        pytest.skip("COPY is PostgreSQL's")
    published(app)
    inspections(app, [app.world.member, app.world.colleague], at(2, 1), at(3, 1))
    period = compute(app)  # COPY into temporary tables, then upserts

    def rows():
        scores = list(
            Score.objects.filter(period=period)
            .order_by("member_id")
            .values_list("member_id", "total", "grade", "categories", "checklists", "share")
        )
        lines = list(
            ScoreLine.objects.filter(score__period=period)
            .order_by("score__member_id", "position")
            .values_list("score__member_id", "item_code", "matched", "points", "limited_by")
        )
        return scores, lines

    by_copy = rows()
    ScoreLine.objects.filter(score__period=period).delete()
    Score.objects.filter(period=period).delete()
    rulebook = services.rulebook_in_force(body_id=app.body.pk, year=YEAR)
    results = services.period_evaluate(
        body_id=app.body.pk, year=YEAR, dates=period.dates, rulebook=rulebook
    )
    services._upsert_by_orm(period, rulebook, results, timezone.now())

    assert rows() == by_copy
    assert any(total == D(4) for _m, total, *_rest in by_copy[0])
