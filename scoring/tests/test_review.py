"""The quarterly review's services: staff adjustments and their history,
publishing (the window and the notices), disputes of score lines in and out
of the window and their outcome, finalising (and what it locks), "changed
since final", reopening as a new version, and scores following a member's
records in the background at a fixed cost in queries."""

import datetime
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from duties import disputes
from duties import services as duties
from duties.models import Dispute
from members.models import Notice
from scoring import review, services
from scoring.models import Score, ScoreLine, ScorePeriod
from scoring.tasks import facts_refresh_task

from .review_makers import (
    YEAR,
    app_with_rules,
    at,
    computed,
    eager_tasks,
    final,
    inspection,
    line_dispute,
    line_of,
    published,
    score_of,
    window_passed,
)

S = ScorePeriod.Status


@pytest.fixture(autouse=True)
def eager():
    with eager_tasks():
        yield


@pytest.fixture
def app(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return app_with_rules(world)


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """`with committed():` runs what the block asked to run on commit (the
    ledger's refresh, then the scores following it), as a real commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


# Adjustments ---------------------------------------------------------------------


def test_an_adjustment_is_a_line_with_reason_who_and_when_and_moves_total_and_grade(app):
    m = app.world.member
    inspection(app, [m], at(4, 10))
    period = computed(app)
    assert (score_of(period, m).total, score_of(period, m).grade) == (D("12.00"), "合格")

    line = review.score_adjust(
        score=score_of(period, m), points="2.5", reason="补录市级调研一次", by=app.staff
    )

    assert (line.item_code, line.position, line.is_adjustment) == ("adjustment-1", 1001, True)
    assert (line.points, line.adjustment_reason, line.adjusted_by) == (
        D("2.50"),
        "补录市级调研一次",
        app.staff,
    )
    assert timezone.now() - line.adjusted_at < datetime.timedelta(seconds=5)
    score = score_of(period, m)
    assert (score.total, score.grade) == (D("14.50"), "优秀")
    # the other members were not touched
    assert score_of(period, app.world.colleague).total == D("10.00")


def test_adjustments_are_kept_as_history_and_survive_a_recompute(app):
    m = app.world.member
    period = computed(app)
    first = review.score_adjust(score=score_of(period, m), points=3, reason="甲", by=app.staff)
    second = review.score_adjust(score=score_of(period, m), points=-1, reason="乙", by=app.staff)

    services.period_compute(period=period)

    lines = list(score_of(period, m).lines.filter(is_adjustment=True).order_by("position"))
    assert [(x.pk, x.item_code, x.points, x.adjustment_reason) for x in lines] == [
        (first.pk, "adjustment-1", D(3), "甲"),
        (second.pk, "adjustment-2", D(-1), "乙"),
    ]
    assert score_of(period, m).total == D("12.00")


def test_the_same_adjustment_sent_twice_at_once_is_made_once(app):
    period = computed(app)
    score = score_of(period, app.world.member)

    first = review.score_adjust(score=score, points=1, reason="补录", by=app.staff)
    again = review.score_adjust(score=score, points=1, reason="补录", by=app.staff)

    assert again.pk == first.pk
    assert score.lines.filter(is_adjustment=True).count() == 1


@pytest.mark.parametrize(
    ("points", "reason", "errors"),
    [
        ("2", "  ", {"reason": ["请填写调整理由"]}),
        ("两分", "补录", {"points": ["请填写调整的分值,如 2 或 -1.5"]}),
        ("0", "补录", {"points": ["调整分值不能为 0"]}),
        ("1.234", "补录", {"points": ["分值最多保留两位小数"]}),
        ("1001", "补录", {"points": ["调整分值应在 -1000 到 1000 之间"]}),
        ("", "", {"reason": ["请填写调整理由"], "points": ["请填写调整的分值,如 2 或 -1.5"]}),
    ],
)
def test_an_adjustment_needs_a_reason_and_sensible_points(app, points, reason, errors):
    period = computed(app)

    with pytest.raises(ValidationError) as refused:
        review.score_adjust(
            score=score_of(period, app.world.member), points=points, reason=reason, by=app.staff
        )

    assert refused.value.message_dict == errors
    assert not ScoreLine.objects.filter(is_adjustment=True).exists()


def test_an_adjustment_is_refused_on_a_final_period_and_for_a_member_not_assessed(app):
    m = app.world.member
    period = computed(app)
    Score.objects.filter(period=period, member=app.world.colleague).update(
        assessed=False, exempt_reason="flag", total=None
    )
    with pytest.raises(ValidationError) as refused:
        review.score_adjust(
            score=score_of(period, app.world.colleague), points=1, reason="补录", by=app.staff
        )
    assert refused.value.messages == ["该委员本期不参加考核,不能调整得分"]

    period = final(app, period)
    with pytest.raises(ValidationError) as refused:
        review.score_adjust(score=score_of(period, m), points=1, reason="补录", by=app.staff)

    assert refused.value.messages == [
        f"{YEAR} 年第 2 季度通报已定稿,不能调整得分;如需更改请先重新打开"
    ]
    assert score_of(period, m).total == D("10.00")


# Publishing ----------------------------------------------------------------------


def test_publishing_opens_the_window_and_tells_each_assessed_member(app, settings):
    settings.SCORE_DISPUTE_DAYS = 3
    w = app.world
    period = computed(app)
    Score.objects.filter(period=period, member=w.colleague).update(assessed=False, total=None)

    period = published(app, period)

    assert (period.status, period.published_by) == (S.PUBLISHED, app.staff)
    assert abs(period.disputes_close_at - timezone.now() - datetime.timedelta(days=3)) < (
        datetime.timedelta(seconds=5)
    )
    notices = Notice.objects.filter(key=f"score-period:{period.pk}:published")
    assert {n.person_id for n in notices} == {
        w.member.person_id,
        w.other_member.person_id,
        w.convenor.person_id,
    }  # not the colleague, who is not assessed
    notice = notices.get(person=w.member.person)
    assert notice.title == f"{YEAR} 年第 2 季度通报已发布,请查看您的得分"
    assert notice.url == reverse("scoring:period_mine", args=[period.pk])
    assert review.local_text(period.disputes_close_at) in notice.text
    # a second click publishes nothing new and sends nothing twice
    again = published(app, period)
    assert again.disputes_close_at == period.disputes_close_at
    assert notices.count() == 3


def test_a_period_never_computed_cannot_be_published(app):
    period = services.period_open(body=app.body, year=YEAR, quarter=3)

    with pytest.raises(ValidationError) as refused:
        published(app, period)

    assert refused.value.messages == [f"{YEAR} 年第 3 季度通报尚未计算,不能发布"]
    period.refresh_from_db()
    assert period.status == S.DRAFT


# Disputes of score lines -----------------------------------------------------------


def test_a_member_disputes_a_line_while_the_window_is_open(app):
    m = app.world.member
    inspection(app, [m], at(4, 10))
    period = published(app, computed(app))

    dispute = line_dispute(m, line_of(period, m))

    assert dispute.status == Dispute.Status.OPEN
    assert dispute.summary == f"{YEAR} 年第 2 季度通报 · 参加视察 · 2.00 分"
    assert dispute.record == line_of(period, m)
    assert line_dispute(m, line_of(period, m), "再次提交").pk == dispute.pk  # one open per line


def test_a_line_cannot_be_disputed_on_a_draft_after_the_window_or_by_another_member(app):
    m, other = app.world.member, app.world.colleague
    period = computed(app)
    with pytest.raises(ValidationError) as refused:
        line_dispute(m, line_of(period, m))
    assert refused.value.messages == [f"{YEAR} 年第 2 季度通报不在异议期内,不能提出异议"]

    period = published(app, period)
    with pytest.raises(ValidationError) as refused:
        line_dispute(other, line_of(period, m))
    assert refused.value.messages == ["只能对本人的记录提出异议"]

    period = window_passed(period)
    with pytest.raises(ValidationError) as refused:
        line_dispute(m, line_of(period, m))
    assert refused.value.messages == [
        f"{YEAR} 年第 2 季度通报的异议期已于 {review.local_text(period.disputes_close_at)} 截止"
    ]
    assert not Dispute.objects.exists()


def test_staff_correct_the_record_behind_a_disputed_line_and_the_member_is_told(app, committed):
    m = app.world.member
    inspection(app, [m], at(4, 10))
    missed = inspection(app, [m], at(5, 20), attendance="absent")  # recorded wrongly
    period = published(app, computed(app))
    assert score_of(period, m).total == D("10.00")  # 10 − 2 absent + 2 inspection
    line = line_of(period, m)
    dispute = line_dispute(m, line)

    # staff correct the attendance; on commit the ledger and the score follow
    with committed():
        duties.attendance_record(activity=missed, member=m, attendance="attended", by=app.staff)
    with committed():
        disputes.dispute_resolve(
            dispute=dispute, correct=True, resolution="已更正为出席", by=app.staff
        )

    line.refresh_from_db()
    assert (line.matched, line.points) == (2, D("4.00"))  # the same line, recomputed
    assert score_of(period, m).total == D("14.00")
    assert score_of(period, m).grade == "优秀"
    notice = Notice.objects.get(person=m.person, key=f"dispute:{dispute.pk}:corrected")
    assert notice.title == f"您的异议已更正:{YEAR} 年第 2 季度通报 · 参加视察 · 2.00 分"
    assert notice.url == reverse("scoring:score_receipt", args=[line.score_id]) + f"#line-{line.pk}"


def test_staff_reject_a_disputed_line_with_a_reason_and_the_member_is_told(app, committed):
    m = app.world.member
    period = published(app, computed(app))
    dispute = line_dispute(m, line_of(period, m, "absent"), "我请过假")

    with committed():
        disputes.dispute_resolve(
            dispute=dispute, correct=False, resolution="未见请假记录", by=app.staff
        )

    notice = Notice.objects.get(person=m.person, key=f"dispute:{dispute.pk}:rejected")
    assert notice.title.startswith("您的异议未采纳:")
    assert notice.text == "未见请假记录"
    assert score_of(period, m).total == D("10.00")


# Finalising --------------------------------------------------------------------------


def test_finalising_waits_for_the_window_and_for_everydispute(app):
    m = app.world.member
    period = computed(app)
    with pytest.raises(ValidationError) as refused:
        review.period_finalise(period=period, by=app.staff)
    assert refused.value.messages == [f"{YEAR} 年第 2 季度通报尚未发布,发布并经过异议期后才能定稿"]

    period = published(app, period)
    with pytest.raises(ValidationError) as refused:
        review.period_finalise(period=period, by=app.staff)
    assert refused.value.messages == [
        f"异议期至 {review.local_text(period.disputes_close_at)} 截止,截止后才能定稿"
    ]

    dispute = line_dispute(m, line_of(period, m))
    period = window_passed(period)
    with pytest.raises(ValidationError) as refused:
        review.period_finalise(period=period, by=app.staff)
    assert refused.value.messages == ["还有 1 条异议待处理,请逐条处理后再定稿"]

    disputes.dispute_resolve(dispute=dispute, correct=False, resolution="无误", by=app.staff)
    period = review.period_finalise(period=period, by=app.staff)

    assert (period.status, period.finalised_by) == (S.FINAL, app.staff)
    assert period.finalised_at is not None


def test_a_final_period_is_locked(app):
    m = app.world.member
    period = final(app, computed(app))

    with pytest.raises(ValidationError) as refused:
        services.period_compute(period=period)
    assert refused.value.code == "final"
    with pytest.raises(ValidationError):
        published(app, period)
    with pytest.raises(ValidationError) as refused:
        line_dispute(m, line_of(period, m))
    assert refused.value.messages == [f"{YEAR} 年第 2 季度通报不在异议期内,不能提出异议"]
    assert review.period_finalise(period=period, by=app.staff).status == S.FINAL  # a double click


def test_a_record_changed_after_final_marks_the_score_instead_of_changing_it(app, committed):
    m = app.world.member
    activity = inspection(app, [m], at(4, 10))
    period = final(app, computed(app))

    with committed():
        duties.attendance_record(activity=activity, member=m, attendance="absent", by=app.staff)

    score = score_of(period, m)
    assert (score.total, line_of(period, m).points) == (D("12.00"), D("2.00"))  # as finalised
    assert score.changed_since_final_at is not None
    assert score_of(period, app.world.colleague).changed_since_final_at is None

    # and put back as it was, the mark goes
    with committed():
        duties.attendance_record(activity=activity, member=m, attendance="attended", by=app.staff)
    assert score_of(period, m).changed_since_final_at is None


def test_a_change_that_does_not_touch_the_final_score_marks_nothing(app, committed):
    m = app.world.member
    period = final(app, computed(app, quarter=1))

    with committed():
        inspection(app, [m], at(4, 10))  # in Q2: the Q1 bulletin is not concerned

    assert score_of(period, m).changed_since_final_at is None


# Reopening ------------------------------------------------------------------------------


def test_reopening_makes_version_2_from_the_records_and_keeps_version_1(app, committed):
    w = app.world
    m = w.member
    activity = inspection(app, [m, w.colleague], at(4, 10))
    period = computed(app)
    review.score_adjust(score=score_of(period, m), points=1, reason="补录", by=app.staff)
    period = final(app, period)
    v1_lines = list(
        ScoreLine.objects.filter(score__period=period).values_list("pk", "item_code", "points")
    )
    with committed():
        duties.attendance_record(activity=activity, member=m, attendance="absent", by=app.staff)

    v2 = review.period_reopen(period=period, reason="委员出席情况更正", by=app.staff)

    assert (v2.version, v2.status, v2.reopened_from, v2.reopened_by) == (
        2,
        S.PUBLISHED,
        period,
        app.staff,
    )
    assert v2.reopen_reason == "委员出席情况更正"
    assert v2.disputes_close_at > timezone.now()
    # version 2 follows the records, the adjustment kept with who and when
    assert score_of(v2, m).total == D("9.00")  # 10 − 2 absent + 1 adjustment
    adjustment = score_of(v2, m).lines.get(is_adjustment=True)
    assert (adjustment.adjustment_reason, adjustment.adjusted_by) == ("补录", app.staff)
    # version 1 stays as it was
    period.refresh_from_db()
    assert period.status == S.FINAL
    assert score_of(period, m).total == D("13.00")
    assert (
        list(
            ScoreLine.objects.filter(score__period=period).values_list("pk", "item_code", "points")
        )
        == v1_lines
    )
    # the member whose score changed is told; the colleague's did not change
    told = Notice.objects.filter(key=f"score-period:{v2.pk}:reopened")
    assert [n.person_id for n in told] == [m.person_id]
    assert told.get().title == f"{YEAR} 年第 2 季度通报(第 2 版)重新发布,您的得分有变化"
    # a second click gives the same version 2; the old version cannot be reopened again
    assert review.period_reopen(period=period, reason="再次", by=app.staff) == v2
    assert services.period_open(body=app.body, year=YEAR, quarter=2) == v2


def test_reopening_needs_a_reason_and_a_final_period(app):
    period = computed(app)
    with pytest.raises(ValidationError) as refused:
        review.period_reopen(period=period, reason=" ", by=app.staff)
    assert refused.value.message_dict == {"reason": ["请填写重新打开的理由"]}
    with pytest.raises(ValidationError) as refused:
        review.period_reopen(period=period, reason="更正", by=app.staff)
    assert refused.value.messages == [f"{YEAR} 年第 2 季度通报尚未定稿,无需重新打开"]
    assert ScorePeriod.objects.count() == 1


# Scores follow the records -------------------------------------------------------------------


def test_a_record_changed_recomputes_that_member_in_the_open_periods_it_falls_in(app, committed):
    w = app.world
    q1, q2 = computed(app, quarter=1), computed(app, quarter=2)
    q2 = published(app, q2)
    before = score_of(q1, w.member).computed_at

    with committed():
        inspection(app, [w.member], at(5, 20))

    assert score_of(q2, w.member).total == D("12.00")  # published: still follows
    assert score_of(q1, w.member).computed_at == before  # 20 May is not in Q1
    assert score_of(q2, w.colleague).total == D("10.00")


def test_following_the_records_costs_the_same_queries_for_1_or_4_members(app, committed):
    w = app.world
    computed(app, quarter=2)
    computed(app, quarter=3)
    one = [w.member]
    four = [w.colleague, w.other_member, w.convenor, app.member()]
    activity_one = inspection(app, one, at(5, 20))
    activity_four = inspection(app, four, at(5, 21))
    facts_refresh_task(member_ids=[m.pk for m in [*one, *four]])  # content types cached

    def cost(activity, members):
        # what the records' services leave for the worker: a changed attendance
        for member in members:
            duties.attendance_record(
                activity=activity, member=member, attendance="absent", by=app.staff
            )
        with CaptureQueriesContext(connection) as queries, committed():
            facts_refresh_task(member_ids=[m.pk for m in members])
        return len(queries.captured_queries)

    assert cost(activity_one, one) == cost(activity_four, four)
    q2 = ScorePeriod.objects.get(quarter=2)
    assert {score_of(q2, m).total for m in [*one, *four]} == {D("8.00")}


def test_a_period_never_computed_is_left_for_staff(app, committed):
    period = services.period_open(body=app.body, year=YEAR, quarter=2)

    with committed():
        inspection(app, [app.world.member], at(5, 20))

    assert not Score.objects.filter(period=period).exists()
