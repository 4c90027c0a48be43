"""The six ones (六个一) under the Hai'an rulebook, with records made through
the services: the nightly refresh of this year's annual draft (drafts only,
every body with a rulebook in force, again and again the same rows), a
member's checklist with the records that met each item, the committee's
compliance table and who misses what, and reminders on the dates staff set,
sent once however often the task runs."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from members.models import Notice
from scoring import annual, checklists
from scoring import annual_selectors as selectors
from scoring import facts as ledger
from scoring.models import ChecklistReminder, Score, ScorePeriod
from scoring.tasks import (
    ANNUAL_BEAT_SCHEDULE,
    annual_drafts_refresh_task,
    checklist_reminders_send_task,
)
from tests import factories as f

from .annual_helpers import finalise, haian_text, load_haian
from .test_worked_members_through_the_app import App, at

TODAY = timezone.localdate()
THIS_YEAR = TODAY.year
SIX_ONES = ["research", "proposal", "report", "consultation", "good_deed", "attraction"]


@pytest.fixture
def app(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return App(world)


@pytest.fixture
def records(app, world):
    """The member meets all five required items and the aim; the colleague
    only the research; the rest nothing. Rulebook in force; ledger built."""
    member = world.member
    app.attend(member, "research", at(3, 2))
    app.proposal(member, co=[world.colleague], title="关于加强老旧小区改造的建议")
    app.report(member, title="关于菜市场噪声的情况反映")
    app.attend(member, "community_consultation", at(4, 8))
    app.verified(member, "good_deed", TODAY.replace(month=1, day=5))
    app.verified(member, "investment", TODAY.replace(month=1, day=6))
    app.attend(world.colleague, "research", at(3, 2))
    load_haian(world, THIS_YEAR)
    ledger.facts_rebuild(body=world.body)
    return world


def _period(world):
    return ScorePeriod.objects.get(body=world.body, year=THIS_YEAR, quarter=0)


def _met(world, member):
    score = Score.objects.get(period=_period(world), member=member)
    (six,) = score.checklists
    return {i["code"]: i["met"] for i in six["items"]}


# The nightly refresh --------------------------------------------------------------------


def test_the_refresh_computes_this_years_draft_of_every_body_with_a_rulebook(world, records):
    other = load_haian(
        world,
        THIS_YEAR,
        body=world.other_body,
        text=haian_text(world.other_body, THIS_YEAR).replace("\nterm: 15\n", "\n"),
    )
    assert other.status == "published"
    quiet = f.BodyFactory()  # no rulebook: nothing to compute

    done = annual.annual_drafts_refresh()

    assert {(d.body_id, d.skipped) for d in done} == {
        (world.body.pk, ""),
        (world.other_body.pk, ""),
    }
    assert not ScorePeriod.objects.filter(body=quiet).exists()
    assert _met(world, world.member) == dict.fromkeys(SIX_ONES, True)
    assert _met(world, world.colleague) == {
        "research": True,
        "proposal": True,  # a co-proposer of the member's proposal
        "report": False,
        "consultation": False,
        "good_deed": False,
        "attraction": False,
    }


def test_the_refresh_again_gives_the_same_rows(world, records):
    annual.annual_drafts_refresh()
    before = sorted(Score.objects.values_list("pk", "member_id", "total", "checklists"))

    annual.annual_drafts_refresh()

    assert sorted(Score.objects.values_list("pk", "member_id", "total", "checklists")) == before


def test_the_refresh_leaves_published_and_final_periods_alone(world, records):
    annual.annual_drafts_refresh()
    period = _period(world)
    ScorePeriod.objects.filter(pk=period.pk).update(status=ScorePeriod.Status.PUBLISHED)
    computed_at = period.computed_at

    done = annual.annual_drafts_refresh()

    assert [(d.body_id, d.skipped) for d in done] == [(world.body.pk, "published")]
    period.refresh_from_db()
    assert period.computed_at == computed_at
    finalise(period)
    assert [d.skipped for d in annual.annual_drafts_refresh()] == ["final"]


def test_the_task_runs_the_refresh_and_beat_knows_both_tasks(world, records):
    done = annual_drafts_refresh_task()

    assert done == [
        {"body_id": world.body.pk, "period_id": _period(world).pk, "members": 4, "skipped": ""}
    ]
    names = {entry["task"] for entry in ANNUAL_BEAT_SCHEDULE.values()}
    assert names == {annual_drafts_refresh_task.name, checklist_reminders_send_task.name}


# The member's checklist ---------------------------------------------------------------------


def test_the_member_sees_each_item_met_with_its_records(client, world, records):
    annual.annual_drafts_refresh()
    client.force_login(world.member.person.user)

    response = client.get(reverse("scoring:my_checklist"))

    assert response.status_code == 200
    (six,) = response.context["checklists"]
    assert six.complete and six.required_met == 5
    by_code = {item.code: item for item in six.items}
    assert [r.text for r in by_code["proposal"].records] == ["提案:关于加强老旧小区改造的建议"]
    assert by_code["proposal"].records[0].url.startswith("/proposals/")
    assert by_code["report"].records[0].text == "社情民意信息:关于菜市场噪声的情况反映"
    research = by_code["research"].records[0]
    assert research.text.startswith(f"{THIS_YEAR}年03月02日 专题调研:")
    assert research.url.startswith("/duties/")
    assert "为群众办实事(自报,已核实)" in by_code["good_deed"].records[0].text
    assert not any(item.changed for item in six.items)
    page = response.content.decode()
    assert "必做项已全部完成" in page and "关于加强老旧小区改造的建议" in page


def test_a_member_missing_items_sees_what_is_missing(client, world, records):
    annual.annual_drafts_refresh()
    client.force_login(world.colleague.person.user)

    response = client.get(reverse("scoring:my_checklist"))

    (six,) = response.context["checklists"]
    assert six.required_met == 2 and not six.complete
    assert [i.code for i in six.items if not i.met] == [
        "report",
        "consultation",
        "good_deed",
        "attraction",
    ]
    page = response.content.decode()
    assert "必做项完成 2/5" in page
    assert page.count('data-met="0"') == 4


def test_a_record_added_since_the_night_is_flagged_until_the_next_refresh(client, world, records):
    annual.annual_drafts_refresh()
    App(world).report(world.colleague, title="新的信息")
    ledger.facts_rebuild(body=world.body)
    client.force_login(world.colleague.person.user)

    (six,) = client.get(reverse("scoring:my_checklist")).context["checklists"]

    report = next(i for i in six.items if i.code == "report")
    assert not report.met and report.changed
    assert [r.text for r in report.records] == ["社情民意信息:新的信息"]


def test_before_the_first_refresh_the_page_says_so(client, world, records):
    client.force_login(world.member.person.user)

    response = client.get(reverse("scoring:my_checklist"))

    assert response.context["score"] is None
    assert 'data-testid="no-score"' in response.content.decode()


def test_the_member_page_does_not_grow_with_records(
    client, app, world, records, django_assert_max_num_queries
):
    annual.annual_drafts_refresh()
    client.force_login(world.member.person.user)
    url = reverse("scoring:my_checklist")
    # session, user, roles, seats; the seat; its body, the period and the
    # score; the receipt (members, their long leave once merged with main,
    # marks, history imported and computed, facts, lines); each kind of
    # record (participations, proposals, reports, duties) and what summaries
    # read (activities, their kinds, duty kinds); base page; the session saved
    with django_assert_max_num_queries(27) as few:
        client.get(url)
    for i in range(12):
        app.attend(world.member, "research", at(5 + i % 6, 1 + i))
        app.report(world.member, title=f"信息{i}")
        app.verified(world.member, "good_deed", TODAY.replace(month=2, day=1 + i))
    ledger.facts_rebuild(body=world.body)
    annual.annual_drafts_refresh()
    with django_assert_max_num_queries(27) as many:
        response = client.get(url)
    assert len(many) == len(few)
    research = next(i for i in response.context["checklists"][0].items if i.code == "research")
    assert len(research.records) == 13


# The committee's compliance ----------------------------------------------------------------


def test_the_compliance_table_counts_required_items_and_shows_aims_apart(world, records):
    annual.annual_drafts_refresh()
    period = _period(world)
    scores = list(selectors.period_scores(period=period, assessed_only=True))
    (six,) = period.rulebook.parsed().checklists

    table = checklists.compliance(scores, six)

    total = table.total
    assert (total.members, total.complete, total.rate) == (4, 1, "25.0%")
    # required items met: member 5, colleague 2, the others 0: 7 of 4 × 5
    assert (total.required_met, total.required_total, total.item_rate) == (7, 20, "35.0%")
    assert [i.code for i in table.aims] == ["attraction"]
    assert total.met == {
        "research": 2,
        "proposal": 2,
        "report": 1,
        "consultation": 1,
        "good_deed": 1,
        "attraction": 1,
    }
    assert [(r.label, r.members, r.complete, r.rate) for r in table.sectors] == [
        ("经济界", 3, 1, "33.3%"),
        ("教育界", 1, 0, "0.0%"),
    ]
    assert [(r.label, r.members, r.complete) for r in table.groups] == [
        ("经济界小组", 3, 1),
        ("教育界小组", 1, 0),
    ]
    assert {m.score.member for m in table.missing} == {
        world.colleague,
        world.convenor,
        world.other_member,
    }
    colleague = next(m for m in table.missing if m.score.member == world.colleague)
    assert colleague.required == [
        "报送一条社情民意信息",
        "至少参加一次“有事好商量”协商议事活动",
        "为群众做一件实事好事",
    ]
    assert colleague.aims == ["力争招引一个项目或一个高层次人才"]


def test_who_misses_what_filters_by_item_sector_and_group(world, records):
    annual.annual_drafts_refresh()
    period = _period(world)
    scores = list(selectors.period_scores(period=period, assessed_only=True))
    (six,) = period.rulebook.parsed().checklists

    def who(**filters):
        return {m.score.member for m in checklists.compliance(scores, six, **filters).missing}

    assert who(item="research") == {world.convenor, world.other_member}
    assert who(item="attraction") == {world.colleague, world.convenor, world.other_member}
    assert who(sector_id=world.other_sector.pk) == {world.other_member}
    assert who(group_id=world.group.pk) == {world.colleague, world.convenor}
    assert who(item="report", group_id=world.group.pk) == {world.colleague, world.convenor}


def test_the_compliance_page_for_staff_and_leadership(
    client, app, world, records, django_assert_max_num_queries
):
    annual.annual_drafts_refresh()
    url = reverse("scoring:checklists", args=[world.body.pk, THIS_YEAR])
    client.force_login(world.leader)

    response = client.get(url, {"item": "research"})

    page = response.content.decode()
    assert 'data-testid="compliance"' in page and "25.0%" in page
    assert f'data-member="{world.convenor.pk}"' in page
    assert f'data-member="{world.colleague.pk}"' not in page
    # the cost does not grow with members
    client.force_login(world.staff)
    # session, user, roles, seats; the body; the period with its rulebook;
    # the scores with members, people, sectors and groups; sectors and groups
    # for the filters; bodies for the switch; base page; the session saved
    with django_assert_max_num_queries(15) as few:
        client.get(url)
    for _ in range(20):
        app.member()
    ledger.facts_rebuild(body=world.body)
    annual.annual_drafts_refresh()
    with django_assert_max_num_queries(15) as many:
        response = client.get(url)
    assert len(many) == len(few)
    assert response.context["table"].total.members == 24


# Reminders ----------------------------------------------------------------------------------


def _remind(world, on=TODAY, message="请抓紧完成“六个一”。"):
    return annual.checklist_reminder_set(
        body=world.body,
        year=THIS_YEAR,
        checklist_code="six_ones",
        on=on,
        message=message,
        by=world.staff,
    )


def test_a_reminder_goes_to_members_missing_required_items_naming_them(world, records):
    annual.annual_drafts_refresh()
    reminder = _remind(world)

    sent = annual.checklist_reminders_send()

    assert sent == 3
    notices = {n.person_id: n for n in Notice.objects.filter(key__startswith="scoring:checklist")}
    assert set(notices) == {
        world.colleague.person_id,
        world.convenor.person_id,
        world.other_member.person_id,
    }
    colleague = notices[world.colleague.person_id]
    assert colleague.title == "履职提醒:“六个一”还有未完成的项目"
    assert colleague.text == (
        "请抓紧完成“六个一”。\n"
        f"{THIS_YEAR} 年度“六个一”尚未完成:报送一条社情民意信息、"
        "至少参加一次“有事好商量”协商议事活动、为群众做一件实事好事。"
    )
    assert colleague.url == reverse("scoring:my_checklist")
    reminder.refresh_from_db()
    assert reminder.sent_at is not None and reminder.sent_count == 3


def test_a_reminder_is_sent_once_however_often_the_task_runs(world, records):
    annual.annual_drafts_refresh()
    _remind(world)

    assert checklist_reminders_send_task() == 3
    assert checklist_reminders_send_task() == 0
    assert annual.checklist_reminders_send(today=TODAY + datetime.timedelta(days=1)) == 0
    assert Notice.objects.filter(key__startswith="scoring:checklist").count() == 3


def test_a_reminder_waits_for_its_date_and_for_a_computed_year(world, records):
    later = _remind(world, on=TODAY + datetime.timedelta(days=2))

    assert annual.checklist_reminders_send(today=TODAY + datetime.timedelta(days=2)) == 0
    later.refresh_from_db()
    assert later.sent_at is None  # not computed yet: tried again the next day

    annual.annual_drafts_refresh()
    assert annual.checklist_reminders_send(today=TODAY) == 0  # not due yet
    assert annual.checklist_reminders_send(today=TODAY + datetime.timedelta(days=3)) == 3


def test_members_who_left_are_not_reminded(world, records):
    annual.annual_drafts_refresh()
    world.other_member.left_on = TODAY - datetime.timedelta(days=1)
    world.other_member.left_reason = "resigned"
    world.other_member.save()
    _remind(world)

    assert annual.checklist_reminders_send() == 2
    assert not Notice.objects.filter(person=world.other_member.person).exists()


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"on": TODAY - datetime.timedelta(days=1)}, {"on": ["提醒日期不能早于今天"]}),
        (
            {"on": datetime.date(THIS_YEAR + 1, 1, 5)},
            {"on": [f"提醒日期应在 {THIS_YEAR} 年内"]},
        ),
        (
            {"checklist_code": "eight_ones"},
            {"checklist_code": [f"{THIS_YEAR} 年度计分规则中没有代码为“eight_ones”的清单"]},
        ),
    ],
)
def test_a_reminder_that_cannot_be_sent_is_refused(world, records, kwargs, error):
    values = {"on": TODAY, "checklist_code": "six_ones", **kwargs}

    with pytest.raises(ValidationError) as refused:
        annual.checklist_reminder_set(
            body=world.body, year=THIS_YEAR, message="", by=world.staff, **values
        )

    assert refused.value.message_dict == error
    assert not ChecklistReminder.objects.exists()


def test_a_sent_reminder_can_be_neither_changed_nor_deleted(world, records):
    annual.annual_drafts_refresh()
    reminder = _remind(world)
    annual.checklist_reminders_send()

    with pytest.raises(ValidationError, match="已经发出"):
        _remind(world, message="改一下")
    with pytest.raises(ValidationError, match="已经发出"):
        annual.checklist_reminder_delete(reminder=reminder, by=world.staff)


def test_staff_set_and_delete_reminders_on_their_page(client, world, records):
    client.force_login(world.staff)
    url = reverse("scoring:checklist_reminders", args=[world.body.pk, THIS_YEAR])

    created = client.post(
        url, {"checklist_code": "six_ones", "on": TODAY.isoformat(), "message": "第四季度开始了"}
    )

    assert created.status_code == 302
    reminder = ChecklistReminder.objects.get()
    assert (reminder.on, reminder.message, reminder.created_by) == (
        TODAY,
        "第四季度开始了",
        world.staff,
    )
    page = client.get(url).content.decode()
    assert "第四季度开始了" in page and "待发送" in page

    refused = client.post(url, {"checklist_code": "six_ones", "on": "2001-01-01"})
    assert refused.context["form"].errors == {"on": ["提醒日期不能早于今天"]}

    deleted = client.post(reverse("scoring:checklist_reminder_delete", args=[reminder.pk]))
    assert deleted.status_code == 302 and not ChecklistReminder.objects.exists()
