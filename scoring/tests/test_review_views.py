"""The review pages: the period's table (filters, order, change since the
previous quarter, badges, the buttons of each status, versions), the
adjustment form with its errors beside the fields, publish / finalise /
reopen, the receipt (lines, records, adjustments, disputes, the form while
the window is open) for staff and for its member, the member's periods and
where a notice sends them; what each one may see; the cost in queries."""

from decimal import Decimal as D

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from duties import disputes
from duties import services as duties
from duties.models import Dispute
from members.models import Notice
from scoring import review, services
from scoring.models import Score, ScoreLine, ScorePeriod

from .review_makers import (
    RULES,
    YEAR,
    app_with_rules,
    at,
    computed,
    eager_tasks,
    final,
    inspection,
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
    return lambda: django_capture_on_commit_callbacks(execute=True)


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _page(client, user, url, **params):
    client.force_login(user)
    response = client.get(url, params)
    assert response.status_code == 200
    return response.content.decode()


def _table(period):
    return reverse("scoring:period_detail", args=[period.pk])


# The review table ----------------------------------------------------------------


@pytest.fixture
def quarter(app):
    """Q1 and Q2 of this year: the member gains two inspections in Q2, the
    colleague one in Q1; the other member is a standing member of another sector."""
    w = app.world
    inspection(app, [w.colleague], at(2, 10))
    inspection(app, [w.member], at(4, 10))
    inspection(app, [w.member], at(5, 10))
    w.other_member.is_standing = True
    w.other_member.save()
    computed(app, quarter=1)
    return computed(app, quarter=2)


def _names(html, world, *members) -> list[str]:
    """The members of `members` in the order the table shows them."""
    found = [(html.find(f'data-member="{m.pk}"'), m.person.name) for m in members]
    return [name for at_, name in sorted(found) if at_ >= 0]


def test_the_table_shows_each_member_with_totals_grade_and_change(client, app, quarter):
    w = app.world

    html = _page(client, w.staff, _table(quarter))

    assert f"{YEAR} 年第 2 季度通报" in html and "草稿" in html
    assert _names(html, w, w.member, w.colleague, w.convenor) == [
        w.member.person.name,  # 14: first by total
        w.colleague.person.name,  # 12
        w.convenor.person.name,  # 10 (then by name)
    ]
    row = html[html.find(f'data-member="{w.member.pk}"') :]
    row = row[: row.find("</tr>")]
    assert "14.00" in row and "优秀" in row and "+4.00" in row  # Q1: 10
    assert "基本分" in html and "加分" in html  # the category columns
    assert "较第 1 季度" in html
    assert 'action="' + reverse("scoring:period_publish", args=[quarter.pk]) in html
    assert reverse("scoring:score_adjust", args=[score_of(quarter, w.member).pk]) in html


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"grade": "优秀"}, ["member"]),
        ({"min_total": "11", "max_total": "13"}, ["colleague"]),
        ({"standing": "yes"}, ["other_member"]),
        ({"sort": "total"}, ["convenor", "other_member", "colleague", "member"]),
        ({"sort": "change"}, ["colleague", "convenor", "other_member", "member"]),
    ],
)
def test_the_table_filters_and_sorts(client, app, quarter, params, expected):
    w = app.world
    everyone = [w.member, w.colleague, w.other_member, w.convenor]
    if "sort" in params:
        # ties (10.00) go by name: name them so the order is known
        for name, m in zip(["D 丁", "A 甲", "C 丙", "B 乙"], everyone, strict=True):
            m.person.name = name
            m.person.save()

    html = _page(client, w.staff, _table(quarter), **params)

    assert _names(html, w, *everyone) == [getattr(w, role).person.name for role in expected]


def test_the_table_filters_by_sector_and_group(client, app, quarter):
    w = app.world

    by_sector = _page(client, w.staff, _table(quarter), sector=w.other_sector.pk)
    by_group = _page(client, w.staff, _table(quarter), group=w.group.pk)

    assert _names(by_sector, w, w.member, w.other_member) == [w.other_member.person.name]
    assert w.other_member.person.name not in _names(by_group, w, w.member, w.other_member)


def test_a_bad_filter_is_shown_beside_its_field_and_left_out(client, app, quarter):
    w = app.world

    html = _page(client, w.staff, _table(quarter), min_total="十", max_total="12")

    assert 'id="id_min_total_errors"' in html
    assert _names(html, w, w.member, w.colleague) == [w.colleague.person.name]  # ≤ 12 still
    html = _page(client, w.staff, _table(quarter), min_total="13", max_total="12")
    assert "最高分不能低于最低分" in html


def test_the_table_marks_adjusted_disputed_and_changed_since_final(client, app, committed):
    w = app.world
    activity = inspection(app, [w.convenor], at(4, 1))
    period = computed(app)
    review.score_adjust(score=score_of(period, w.member), points=1, reason="补录", by=w.staff)
    period = published(app, period)
    dispute = disputes.dispute_open(
        member=w.colleague,
        record=line_of(period, w.colleague, "absent"),
        reason="我请过假",
        by=w.colleague.person.user,
    )

    html = _page(client, w.staff, _table(period))
    assert "已调整" in html and "异议待处理" in html and "1 条异议待处理" in html
    adjusted = _page(client, w.staff, _table(period), flag="adjusted")
    assert _names(adjusted, w, w.member, w.colleague) == [w.member.person.name]

    disputes.dispute_resolve(dispute=dispute, correct=False, resolution="无误", by=w.staff)
    period = final(app, period)
    with committed():
        duties.attendance_record(
            activity=activity, member=w.convenor, attendance="absent", by=w.staff
        )

    html = _page(client, w.staff, _table(period))
    assert "有异议" in html and 'data-testid="changed-since-final"' in html
    assert "定稿后记录变动 1 人" in html
    changed = _page(client, w.staff, _table(period), flag="changed")
    assert _names(changed, w, w.member, w.convenor) == [w.convenor.person.name]
    assert reverse("scoring:period_reopen", args=[period.pk]) in html
    assert reverse("scoring:score_adjust", args=[score_of(period, w.member).pk]) not in html


def test_leadership_reads_the_table_without_buttons(client, app, quarter):
    html = _page(client, app.world.leader, _table(quarter))

    assert app.world.member.person.name in html
    assert reverse("scoring:period_publish", args=[quarter.pk]) not in html
    assert (
        reverse("scoring:score_adjust", args=[score_of(quarter, app.world.member).pk]) not in html
    )


def test_the_table_costs_the_same_queries_for_4_or_24_members(
    client, app, django_assert_max_num_queries
):
    w = app.world
    period = computed(app)
    client.force_login(w.staff)
    client.get(_table(period))  # content types and the parsed rulebook cached

    # session, user, the period with who published it, the viewer's roles
    # and seats; the previous quarter; the count; the page of scores with
    # their badges; versions; the counts per grade; the disputes waiting;
    # unread notices and the person for the menu; sectors and groups for the
    # filters; the session saved (3)
    with django_assert_max_num_queries(18) as few:
        client.get(_table(period))
    for _ in range(20):
        app.member()
    services.period_compute(period=period)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(_table(period))
    assert response.content.decode().count("data-member=") == 24


# Publish, finalise, reopen ---------------------------------------------------------


def test_staff_publish_then_finalise_after_the_window(client, app, quarter):
    client.force_login(app.staff)

    response = client.post(reverse("scoring:period_publish", args=[quarter.pk]))

    assert response.status_code == 302
    assert _messages(response)[0].startswith("已发布并通知委员;异议截止于 ")
    client.get(response["Location"])  # the message shown
    response = client.post(reverse("scoring:period_finalise", args=[quarter.pk]))
    assert _messages(response)[0].startswith("异议期至 ")
    client.get(response["Location"])
    window_passed(quarter)
    response = client.post(reverse("scoring:period_finalise", args=[quarter.pk]))
    assert _messages(response) == ["已定稿,本期得分不再变动"]
    quarter.refresh_from_db()
    assert quarter.status == S.FINAL


def test_reopening_asks_for_a_reason_beside_the_field_then_opens_version_2(client, app, quarter):
    period = final(app, quarter)
    client.force_login(app.staff)
    url = reverse("scoring:period_reopen", args=[period.pk])

    response = client.post(url, {"reason": "  "})
    assert response.status_code == 200
    assert 'id="id_reason_errors"' in response.content.decode()
    assert "请填写重新打开的理由" in response.content.decode()

    response = client.post(url, {"reason": "出席情况更正"})

    v2 = ScorePeriod.objects.get(version=2, quarter=2)
    assert response["Location"] == _table(v2)
    assert _messages(response) == ["已重新打开为第 2 版并发布;第 1 版原样保留"]
    html = _page(client, app.staff, _table(v2))
    assert "出席情况更正" in html and "第 1 版" in html
    assert _table(period) in html  # version 1 is linked


# Adjusting -------------------------------------------------------------------------------


def test_the_adjustment_form_shows_errors_beside_its_fields(client, app, quarter):
    score = score_of(quarter, app.world.member)
    client.force_login(app.staff)
    url = reverse("scoring:score_adjust", args=[score.pk])

    response = client.post(url, {"points": "0", "reason": " "})

    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_reason_errors"' in html and "请填写调整理由" in html
    response = client.post(url, {"points": "0", "reason": "补录"})
    assert 'id="id_points_errors"' in response.content.decode()
    assert "调整分值不能为 0" in response.content.decode()
    assert not ScoreLine.objects.filter(is_adjustment=True).exists()


def test_an_adjustment_made_on_the_form_shows_on_the_receipt(client, app, quarter):
    score = score_of(quarter, app.world.member)
    client.force_login(app.staff)

    response = client.post(
        reverse("scoring:score_adjust", args=[score.pk]),
        {"points": "-1.5", "reason": "一次活动迟到早退"},
    )

    assert response["Location"] == reverse("scoring:score_receipt", args=[score.pk])
    html = _page(client, app.staff, response["Location"])
    assert "人工调整" in html and "一次活动迟到早退" in html and "-1.50" in html
    assert "12.50" in html  # 14 − 1.5


# The receipt -------------------------------------------------------------------------------


def _receipt(score):
    return reverse("scoring:score_receipt", args=[score.pk])


def test_a_member_reads_the_receipt_with_the_records_of_eachline_of(client, app, quarter):
    w = app.world
    period = published(app, quarter)
    score = score_of(period, w.member)

    html = _page(client, w.member.person.user, _receipt(score))

    assert "14.00" in html and "优秀" in html
    assert "参加视察" in html and "4.00" in html and "符合 2 条,计分 2 条" in html
    assert html.count('data-testid="records"') >= 1
    assert "视察" in html and f"{YEAR}年4月10日" in html and f"{YEAR}年5月10日" in html
    # the member opens the activity, not the staff's attendance page
    assert "/attendance/" not in html
    assert html.count('data-testid="dispute-form"') == 2  # each line, while the window is open
    assert "调整得分" not in html


def test_the_receipt_says_what_limited_a_line_in_chinese(client, app):
    text = RULES.format(year=YEAR).replace("points: 2\n", "points: 2\n  cap: 3\n")
    services.rulebook_load(body=app.body, year=YEAR, text=text, by=app.staff, publish=True)
    inspection(app, [app.world.member], at(4, 10))
    inspection(app, [app.world.member], at(4, 11))
    period = computed(app)

    html = _page(client, app.staff, _receipt(score_of(period, app.world.member)))

    assert "封顶前 4.00 分" in html and "达到上限" in html


def test_the_receipt_shows_a_lines_disputes_and_hides_the_form_once_disputed(client, app, quarter):
    w = app.world
    period = published(app, quarter)
    line = line_of(period, w.member)
    client.force_login(w.member.person.user)

    response = client.post(
        reverse("scoring:line_dispute", args=[line.pk]), {"reason": "少计了一次视察"}
    )

    assert response["Location"] == _receipt(line.score) + f"#line-{line.pk}"
    assert _messages(response) == ["异议已提交,工作人员将核对处理"]
    html = _page(client, w.member.person.user, _receipt(line.score))
    assert "少计了一次视察" in html and "异议待处理" in html
    assert html.count('data-testid="dispute-form"') == 1  # not on the disputed line
    dispute = Dispute.objects.get()
    # staff find it in the one dispute list, with a link back to the receipt
    staff_html = _page(client, w.staff, reverse("duties:dispute_resolve", args=[dispute.pk]))
    assert f"{YEAR} 年第 2 季度通报 · 参加视察 · 4.00 分" in staff_html
    assert _receipt(line.score) in staff_html


def test_a_dispute_without_a_reason_or_after_the_window_is_refused_on_the_form(
    client, app, quarter
):
    w = app.world
    period = published(app, quarter)
    line = line_of(period, w.member)
    client.force_login(w.member.person.user)
    url = reverse("scoring:line_dispute", args=[line.pk])

    response = client.post(url, {"reason": ""})
    assert response.status_code == 200 and 'id="id_reason_errors"' in response.content.decode()

    window_passed(period)
    response = client.post(url, {"reason": "少计了一次视察"})
    assert response.status_code == 200
    assert "的异议期已于" in response.content.decode()
    assert not Dispute.objects.exists()
    html = _page(client, w.member.person.user, _receipt(line.score))
    assert 'data-testid="dispute-form"' not in html


def test_members_see_only_their_own_published_scores(client, app, quarter):
    w = app.world
    mine = score_of(quarter, w.member)
    client.force_login(w.member.person.user)

    assert client.get(_receipt(mine)).status_code == 404  # a draft
    published(app, quarter)
    assert client.get(_receipt(mine)).status_code == 200
    assert client.get(_receipt(score_of(quarter, w.colleague))).status_code == 404
    client.force_login(w.convenor.person.user)
    assert client.get(_receipt(mine)).status_code == 404


def test_the_receipt_costs_the_same_queries_for_2_or_8_records(
    client, app, django_assert_max_num_queries
):
    w = app.world
    inspection(app, [w.member], at(4, 1))
    inspection(app, [w.member], at(4, 2), attendance="absent")
    period = published(app, computed(app))
    score = score_of(period, w.member)
    review.score_adjust(score=score, points=1, reason="补录", by=w.staff)
    client.force_login(w.member.person.user)
    client.get(_receipt(score))

    with django_assert_max_num_queries(20) as few:
        client.get(_receipt(score))
    for day in range(3, 9):
        inspection(app, [w.member], at(4, day), attendance="attended" if day % 2 else "absent")
    review.score_adjust(score=score, points=2, reason="再补录", by=w.staff)
    services.period_compute(period=period)
    disputes.dispute_open(
        member=w.member, record=line_of(period, w.member), reason="核对", by=w.member.person.user
    )
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(_receipt(score))
    assert response.content.decode().count(f"{YEAR}年4月") == 8


# The member's periods and the notices --------------------------------------------------


def test_my_scores_list_the_latest_published_version_of_each_period(client, app, quarter):
    w = app.world
    q1 = ScorePeriod.objects.get(quarter=1)
    final(app, q1)
    v2 = review.period_reopen(period=q1, reason="更正", by=w.staff)

    html = _page(client, w.member.person.user, reverse("scoring:mine"))

    assert _receipt(score_of(v2, w.member)) in html
    assert _receipt(score_of(q1, w.member)) not in html  # version 1: reached from version 2
    assert _receipt(score_of(quarter, w.member)) not in html  # Q2 is a draft
    assert f"{YEAR} 年第 1 季度通报(第 2 版)" in html


def test_the_members_home_shows_their_latest_published_score(client, app, quarter):
    w = app.world
    home = reverse("home")
    assert _receipt(score_of(quarter, w.member)) not in _page(client, w.member.person.user, home)

    published(app, quarter)

    html = _page(client, w.member.person.user, home)
    assert _receipt(score_of(quarter, w.member)) in html
    assert f"{YEAR} 年第 2 季度通报" in html
    assert f"{score_of(quarter, w.member).total} 分" in html


def test_the_notice_of_a_published_period_opens_the_members_receipt(client, app, quarter):
    w = app.world
    period = published(app, quarter)
    notice = Notice.objects.get(person=w.member.person, key__startswith="score-period:")
    client.force_login(w.member.person.user)

    response = client.get(notice.url)

    assert response["Location"] == _receipt(score_of(period, w.member))
    client.force_login(w.staff)
    assert client.get(notice.url).status_code == 404


def test_changed_since_final_shows_on_the_members_receipt(client, app, quarter, committed):
    w = app.world
    period = final(app, quarter)
    activity = inspection(app, [w.colleague], at(6, 1))
    with committed():
        duties.attendance_record(
            activity=activity, member=w.colleague, attendance="absent", by=w.staff
        )

    html = _page(client, w.colleague.person.user, _receipt(score_of(period, w.colleague)))

    assert 'data-testid="changed-since-final"' in html
    assert Score.objects.get(pk=score_of(period, w.colleague).pk).total == D("12.00")


def test_the_first_quarter_has_nothing_to_compare_with_and_still_sorts_by_change(client, app):
    period = computed(app, quarter=1)

    html = _page(client, app.staff, _table(period), sort="-change")

    assert "较上季度" in html
    assert html.count("data-member=") == 4
