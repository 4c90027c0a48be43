"""Service tests of handling: routing, objection and reassignment, progress,
replies, rating, the one re-handling round, closing and the daily reminder."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from members.models import Notice
from proposals.models import Proposal, ProposalEvent, Rating, Reply, Routing
from proposals.services import handling
from proposals.tests import handling_factories as hf
from tests import factories as f

S = Proposal.Status
RS = Routing.Status
SOLE, LEAD, ASSIST = Routing.Role.SOLE, Routing.Role.LEAD, Routing.Role.ASSIST
UNSATISFIED = Rating.Satisfaction.UNSATISFIED
SATISFIED = Rating.Satisfaction.SATISFIED


@pytest.fixture
def units(world):
    return [hf.unit(world.body, f"单位{i}", contact=f"unit{i}") for i in range(3)]


def verbs(proposal):
    return list(ProposalEvent.objects.filter(proposal=proposal).values_list("verb", flat=True))


def contact(unit):
    return hf.contact_of(unit)


# --- dates ------------------------------------------------------------------


def test_add_months_keeps_the_day_or_takes_the_months_last():
    assert handling.add_months(datetime.date(2026, 1, 31), 1) == datetime.date(2026, 2, 28)
    assert handling.add_months(datetime.date(2026, 11, 15), 3) == datetime.date(2027, 2, 15)
    assert handling.add_months(datetime.date(2028, 11, 30), 3) == datetime.date(2029, 2, 28)


def test_the_default_deadline_follows_the_setting(settings):
    settings.PROPOSAL_REPLY_MONTHS = 2
    assert handling.default_deadline(datetime.date(2026, 3, 1)) == datetime.date(2026, 5, 1)


# --- routing ----------------------------------------------------------------


def test_routing_to_a_sole_unit_moves_the_proposal_and_writes_the_event(world, units):
    # given
    proposal = hf.accepted(member=world.member)
    # when
    [routing] = handling.routing_create(by=world.staff, proposal=proposal, units=[(units[0], SOLE)])
    # then
    proposal.refresh_from_db()
    assert proposal.status == S.ROUTED
    assert (routing.unit, routing.role, routing.status) == (units[0], SOLE, RS.ROUTED)
    assert routing.deadline == handling.default_deadline()
    event = ProposalEvent.objects.get(proposal=proposal, verb="routed")
    assert (event.from_status, event.to_status, event.by) == (S.ACCEPTED, S.ROUTED, world.staff)
    assert "单位0" in event.note


def test_routing_to_a_lead_unit_with_assisting_units(world, units):
    proposal = hf.accepted(member=world.member)
    deadline = timezone.localdate() + datetime.timedelta(days=40)
    routings = handling.routing_create(
        by=world.staff,
        proposal=proposal,
        units=[(units[0], LEAD), (units[1], ASSIST), (units[2], ASSIST)],
        deadline=deadline,
    )
    assert [(r.unit, r.role) for r in routings] == [
        (units[0], LEAD),
        (units[1], ASSIST),
        (units[2], ASSIST),
    ]
    assert {r.deadline for r in routings} == {deadline}


def test_routing_twice_is_harmless(world, units):
    proposal = hf.accepted(member=world.member)
    first = handling.routing_create(by=world.staff, proposal=proposal, units=[(units[0], SOLE)])
    again = handling.routing_create(by=world.staff, proposal=proposal, units=[(units[0], SOLE)])
    assert [r.pk for r in again] == [r.pk for r in first]
    assert verbs(proposal).count("routed") == 1


def test_a_proposal_not_accepted_cannot_be_routed(world, units):
    proposal = hf.accepted(member=world.member)
    Proposal.objects.filter(pk=proposal.pk).update(status=S.SUBMITTED)
    with pytest.raises(ValidationError, match="不能变为"):
        handling.routing_create(by=world.staff, proposal=proposal, units=[(units[0], SOLE)])
    assert not Routing.objects.exists()


def test_a_routed_proposal_cannot_be_routed_again_elsewhere(world, units):
    proposal, _ = hf.routed(member=world.member, by=world.staff, units=units[:1])
    with pytest.raises(ValidationError):
        handling.routing_create(by=world.staff, proposal=proposal, units=[(units[1], SOLE)])


@pytest.mark.parametrize(
    "roles",
    [
        [LEAD, LEAD],  # two lead units
        [LEAD],  # a lead unit alone: that is sole handling
        [SOLE, ASSIST],  # sole handling with helpers
        [ASSIST, ASSIST],  # no lead unit
    ],
)
def test_the_roles_must_be_one_sole_or_one_lead_with_assisting(world, units, roles):
    proposal = hf.accepted(member=world.member)
    with pytest.raises(ValidationError) as error:
        handling.routing_create(
            by=world.staff, proposal=proposal, units=list(zip(units, roles, strict=False))
        )
    assert "lead_unit" in error.value.message_dict
    proposal.refresh_from_db()
    assert proposal.status == S.ACCEPTED


def test_a_unit_appears_once_per_routing(world, units):
    proposal = hf.accepted(member=world.member)
    with pytest.raises(ValidationError):
        handling.routing_create(
            by=world.staff, proposal=proposal, units=[(units[0], LEAD), (units[0], ASSIST)]
        )


def test_units_of_another_body_or_inactive_ones_are_refused(world, units):
    proposal = hf.accepted(member=world.member)
    foreign = hf.unit(world.other_body, "区住建局")
    with pytest.raises(ValidationError):
        handling.routing_create(by=world.staff, proposal=proposal, units=[(foreign, SOLE)])
    units[0].is_active = False
    units[0].save()
    with pytest.raises(ValidationError):
        handling.routing_create(by=world.staff, proposal=proposal, units=[(units[0], SOLE)])


def test_the_deadline_must_be_after_today(world, units):
    proposal = hf.accepted(member=world.member)
    with pytest.raises(ValidationError) as error:
        handling.routing_create(
            by=world.staff,
            proposal=proposal,
            units=[(units[0], SOLE)],
            deadline=timezone.localdate(),
        )
    assert "deadline" in error.value.message_dict


def test_contacts_with_a_person_are_told_of_a_new_routing(world, units):
    person = f.PersonFactory(user=contact(units[0]))
    hf.routed(member=world.member, by=world.staff, units=units[:1])
    assert Notice.objects.filter(person=person, title__startswith="新交办提案").count() == 1


# --- objection and reassignment ---------------------------------------------


def test_a_unit_objects_within_the_window_and_staff_are_told(world, units):
    # given: a staff member with a person, so a notice can reach them
    f.PersonFactory(user=world.staff)
    proposal, [routing] = hf.routed(member=world.member, by=world.staff, units=units[:1])
    # when
    routing = handling.routing_object(
        by=contact(units[0]), routing=routing, reason="不属本单位职责"
    )
    # then
    assert routing.status == RS.OBJECTED
    assert routing.objection == "不属本单位职责"
    assert Notice.objects.filter(person__user=world.staff, title__contains="异议").exists()
    assert "objected" in verbs(proposal)
    proposal.refresh_from_db()
    assert proposal.status == S.ROUTED


def test_objecting_twice_is_harmless(world, units):
    proposal, [routing] = hf.routed(member=world.member, by=world.staff, units=units[:1])
    handling.routing_object(by=contact(units[0]), routing=routing, reason="不属本单位职责")
    handling.routing_object(by=contact(units[0]), routing=routing, reason="不属本单位职责")
    assert verbs(proposal).count("objected") == 1


def test_an_objection_after_the_window_is_refused(world, units, settings):
    settings.PROPOSAL_OBJECTION_DAYS = 7
    _proposal, [routing] = hf.routed(member=world.member, by=world.staff, units=units[:1])
    last_day = routing.routed_at + datetime.timedelta(days=7)
    handling.routing_object(
        by=contact(units[0]), routing=routing, reason="理由", now=last_day
    )  # the last day still counts
    Routing.objects.filter(pk=routing.pk).update(status=RS.ROUTED)
    with pytest.raises(ValidationError, match="异议期"):
        handling.routing_object(
            by=contact(units[0]),
            routing=routing,
            reason="理由",
            now=last_day + datetime.timedelta(days=1),
        )


def test_an_objection_needs_a_reason(world, units):
    _, [routing] = hf.routed(member=world.member, by=world.staff, units=units[:1])
    with pytest.raises(ValidationError) as error:
        handling.routing_object(by=contact(units[0]), routing=routing, reason="  ")
    assert "reason" in error.value.message_dict


def test_a_replied_routing_cannot_be_objected_to(world, units):
    _proposal, [_lead, assist] = hf.routed(member=world.member, by=world.staff, units=units[:2])
    handling.reply_submit(by=contact(units[1]), routing=assist, result="A", text="已配合")
    with pytest.raises(ValidationError):
        handling.routing_object(by=contact(units[1]), routing=assist, reason="理由")


def test_staff_reassign_an_objected_routing(world, units):
    # given
    proposal, [routing] = hf.routed(member=world.member, by=world.staff, units=units[:1])
    handling.routing_object(by=contact(units[0]), routing=routing, reason="不属本单位职责")
    # when
    new = handling.routing_reassign(by=world.staff, routing=routing, unit=units[1])
    # then
    routing.refresh_from_db()
    proposal.refresh_from_db()
    assert routing.status == RS.WITHDRAWN
    assert (new.unit, new.role, new.status) == (units[1], SOLE, RS.ROUTED)
    assert new.deadline == handling.default_deadline()
    assert proposal.status == S.ROUTED
    assert verbs(proposal)[-1] == "reassigned"


def test_reassigning_twice_is_harmless(world, units):
    proposal, [routing] = hf.routed(member=world.member, by=world.staff, units=units[:1])
    first = handling.routing_reassign(by=world.staff, routing=routing, unit=units[1])
    again = handling.routing_reassign(by=world.staff, routing=routing, unit=units[1])
    assert first.pk == again.pk
    assert verbs(proposal).count("reassigned") == 1


def test_reassigning_to_a_unit_already_on_the_proposal_is_refused(world, units):
    _, [lead, _assist] = hf.routed(member=world.member, by=world.staff, units=units[:2])
    with pytest.raises(ValidationError) as error:
        handling.routing_reassign(by=world.staff, routing=lead, unit=units[1])
    assert "unit" in error.value.message_dict


def test_a_replied_routing_cannot_be_reassigned(world, units):
    _, [routing] = hf.replied(member=world.member, by=world.staff, units=units[:1])
    with pytest.raises(ValidationError):
        handling.routing_reassign(by=world.staff, routing=routing, unit=units[1])


def test_an_objected_lead_holds_the_proposal_until_reassigned_and_replied(world, units):
    proposal, [lead, _assist] = hf.routed(member=world.member, by=world.staff, units=units[:2])
    handling.routing_object(by=contact(units[0]), routing=lead, reason="理由")
    new = handling.routing_reassign(by=world.staff, routing=lead, unit=units[2])
    assert new.role == LEAD
    handling.reply_submit(by=contact(units[2]), routing=new, result="B", text="列入计划")
    proposal.refresh_from_db()
    assert proposal.status == S.REPLIED


# --- progress and replies -----------------------------------------------------


def test_progress_notes_are_kept_and_a_double_click_adds_one(world, units):
    _, [routing] = hf.routed(member=world.member, by=world.staff, units=units[:1])
    handling.progress_add(by=contact(units[0]), routing=routing, text="已召开协调会")
    handling.progress_add(by=contact(units[0]), routing=routing, text="已召开协调会")
    handling.progress_add(by=contact(units[0]), routing=routing, text="已现场调研")
    assert list(routing.progress.values_list("text", flat=True)) == ["已召开协调会", "已现场调研"]


def test_progress_is_refused_once_replied(world, units):
    _, [routing] = hf.replied(member=world.member, by=world.staff, units=units[:1])
    with pytest.raises(ValidationError):
        handling.progress_add(by=contact(units[0]), routing=routing, text="补充")


def test_the_sole_units_reply_moves_the_proposal_and_tells_the_first_proposer(world, units):
    proposal, [routing] = hf.routed(member=world.member, by=world.staff, units=units[:1])
    reply = handling.reply_submit(by=contact(units[0]), routing=routing, result="A", text="已采纳")
    proposal.refresh_from_db()
    routing.refresh_from_db()
    assert (reply.round, reply.result) == (1, "A")
    assert routing.status == RS.REPLIED
    assert proposal.status == S.REPLIED
    assert verbs(proposal)[-2:] == ["unit_replied", "replied"]
    assert Notice.objects.filter(person=world.member.person, title__contains="已答复").count() == 1


def test_assisting_replies_are_optional_and_the_lead_reply_completes(world, units):
    proposal, [lead, assist, third] = hf.routed(member=world.member, by=world.staff, units=units)
    handling.reply_submit(by=contact(units[1]), routing=assist, result="A", text="协办意见")
    proposal.refresh_from_db()
    assert proposal.status == S.ROUTED  # the lead unit has not replied yet
    handling.reply_submit(by=contact(units[0]), routing=lead, result="B", text="主办答复")
    proposal.refresh_from_db()
    assert proposal.status == S.REPLIED
    # an assisting unit may still reply afterwards; its reply is shown
    late = handling.reply_submit(
        by=contact(units[2]), routing=third, result="C", text="迟到的协办意见"
    )
    assert late.round == 1
    proposal.refresh_from_db()
    assert proposal.status == S.REPLIED


def test_replying_twice_is_harmless(world, units):
    proposal, [routing] = hf.routed(member=world.member, by=world.staff, units=units[:1])
    first = handling.reply_submit(by=contact(units[0]), routing=routing, result="A", text="已采纳")
    again = handling.reply_submit(by=contact(units[0]), routing=routing, result="A", text="已采纳")
    assert first.pk == again.pk
    assert Reply.objects.count() == 1
    assert verbs(proposal).count("replied") == 1


def test_a_withdrawn_or_objected_routing_cannot_reply(world, units):
    _, [routing] = hf.routed(member=world.member, by=world.staff, units=units[:1])
    handling.routing_object(by=contact(units[0]), routing=routing, reason="理由")
    with pytest.raises(ValidationError):
        handling.reply_submit(by=contact(units[0]), routing=routing, result="A", text="答复")
    handling.routing_reassign(by=world.staff, routing=routing, unit=units[1])
    with pytest.raises(ValidationError):
        handling.reply_submit(by=contact(units[0]), routing=routing, result="A", text="答复")


def test_a_reply_needs_a_class_and_text(world, units):
    _, [routing] = hf.routed(member=world.member, by=world.staff, units=units[:1])
    with pytest.raises(ValidationError) as error:
        handling.reply_submit(by=contact(units[0]), routing=routing, result="E", text=" ")
    assert set(error.value.message_dict) == {"result", "text"}


def test_a_reply_letter_is_checked_by_content_and_stored_under_a_random_name(
    world, units, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    _, [routing] = hf.routed(member=world.member, by=world.staff, units=units[:1])
    with pytest.raises(ValidationError) as error:
        handling.reply_submit(
            by=contact(units[0]), routing=routing, result="A", text="答复", file=hf.fake_pdf()
        )
    assert "file" in error.value.message_dict
    reply = handling.reply_submit(
        by=contact(units[0]), routing=routing, result="A", text="答复", file=hf.pdf_upload()
    )
    assert reply.file.name.endswith(".pdf")
    assert "答复函" not in reply.file.name
    assert handling.reply_content_type(reply) == "application/pdf"


# --- rating, re-handling, close -------------------------------------------------


def test_a_co_proposer_cannot_rate(world, units):
    proposal, _ = hf.replied(
        member=world.member, co=[world.colleague], by=world.staff, units=units[:1]
    )
    with pytest.raises(PermissionDenied):
        handling.rating_submit(
            by=world.colleague.person.user, proposal=proposal, satisfaction=SATISFIED
        )


def test_staff_record_a_paper_rating_for_a_proposer_without_a_login(world, units):
    # given a replied proposal whose first proposer has no login (any more)
    proposal, _ = hf.replied(member=world.member, by=world.staff, units=units[:1])
    world.member.person.user = None
    world.member.person.save()
    assert handling.rater_of(proposal) is None
    # when staff record the rating from the paper form, then close
    rating = handling.rating_submit(
        by=world.staff, proposal=proposal, satisfaction=SATISFIED, comment="纸质测评表"
    )
    handling.proposal_close(by=world.staff, proposal=proposal)
    # then the rating is the staff member's, marked as recorded on the proposer's behalf
    proposal.refresh_from_db()
    assert (rating.by, proposal.status) == (world.staff, S.CLOSED)
    event = proposal.events.get(verb="rated")
    assert "机关代录" in event.note


def test_leadership_and_other_bodies_staff_cannot_rate(world, units):
    proposal, _ = hf.replied(member=world.member, by=world.staff, units=units[:1])
    for user in (world.leader, world.other_staff):
        with pytest.raises((PermissionDenied, Http404)):
            handling.rating_submit(by=user, proposal=proposal, satisfaction=SATISFIED)


def test_a_proposal_not_yet_replied_cannot_be_rated(world, units):
    proposal, _ = hf.routed(member=world.member, by=world.staff, units=units[:1])
    with pytest.raises(ValidationError):
        handling.rating_submit(
            by=world.member.person.user, proposal=proposal, satisfaction=SATISFIED
        )


def test_unsatisfied_needs_a_comment(world, units):
    proposal, _ = hf.replied(member=world.member, by=world.staff, units=units[:1])
    with pytest.raises(ValidationError) as error:
        handling.rating_submit(
            by=world.member.person.user, proposal=proposal, satisfaction=UNSATISFIED
        )
    assert "comment" in error.value.message_dict


def test_a_satisfied_rating_then_staff_close(world, units):
    # given
    proposal, _routings = hf.replied(member=world.member, by=world.staff, units=units[:2])
    # when
    rating = handling.rating_submit(
        by=world.member.person.user, proposal=proposal, satisfaction=SATISFIED, comment="很好"
    )
    handling.proposal_close(by=world.staff, proposal=proposal)
    # then
    proposal.refresh_from_db()
    assert (rating.round, rating.satisfaction) == (1, SATISFIED)
    assert proposal.status == S.CLOSED
    assert proposal.closed_at is not None
    assert set(Routing.objects.values_list("status", flat=True)) == {RS.DONE}
    assert verbs(proposal)[-2:] == ["rated", "closed"]


def test_rating_twice_is_harmless_but_a_change_of_mind_is_refused(world, units):
    proposal, _ = hf.replied(member=world.member, by=world.staff, units=units[:1])
    user = world.member.person.user
    first = handling.rating_submit(by=user, proposal=proposal, satisfaction=SATISFIED)
    again = handling.rating_submit(by=user, proposal=proposal, satisfaction=SATISFIED)
    assert first.pk == again.pk
    with pytest.raises(ValidationError, match="已测评"):
        handling.rating_submit(
            by=user, proposal=proposal, satisfaction=UNSATISFIED, comment="改主意"
        )


def test_the_rehandling_loop_runs_once(world, units, settings):
    settings.PROPOSAL_REHANDLING_MONTHS = 1
    user = world.member.person.user
    proposal, [lead, assist] = hf.replied(member=world.member, by=world.staff, units=units[:2])

    # round 1: 不满意 sends it back to both units with a new deadline
    handling.rating_submit(by=user, proposal=proposal, satisfaction=UNSATISFIED, comment="未落实")
    proposal.refresh_from_db()
    lead.refresh_from_db()
    assist.refresh_from_db()
    assert proposal.status == S.REHANDLING
    assert {lead.status, assist.status} == {RS.REHANDLING}
    assert lead.deadline == handling.add_months(timezone.localdate(), 1)
    assert "rehandling" in verbs(proposal)

    # round 2: the lead's second reply completes it again
    second = handling.reply_submit(by=contact(units[0]), routing=lead, result="B", text="再次答复")
    proposal.refresh_from_db()
    assert second.round == 2
    assert proposal.status == S.REPLIED

    # a second 不满意 is recorded but does not loop
    rating = handling.rating_submit(
        by=user, proposal=proposal, satisfaction=UNSATISFIED, comment="仍不满意"
    )
    proposal.refresh_from_db()
    assert rating.round == 2
    assert proposal.status == S.REPLIED
    assert verbs(proposal).count("rehandling") == 1

    # no third round
    with pytest.raises(ValidationError):
        handling.rating_submit(by=user, proposal=proposal, satisfaction=SATISFIED)

    handling.proposal_close(by=world.staff, proposal=proposal)
    proposal.refresh_from_db()
    assert proposal.status == S.CLOSED


def test_after_the_second_reply_staff_may_close_without_a_rating(world, units):
    user = world.member.person.user
    proposal, [routing] = hf.replied(member=world.member, by=world.staff, units=units[:1])
    handling.rating_submit(by=user, proposal=proposal, satisfaction=UNSATISFIED, comment="未落实")
    handling.reply_submit(by=contact(units[0]), routing=routing, result="B", text="再次答复")
    handling.proposal_close(by=world.staff, proposal=proposal)
    proposal.refresh_from_db()
    assert proposal.status == S.CLOSED


def test_closing_before_the_replies_is_refused(world, units):
    proposal, _ = hf.routed(member=world.member, by=world.staff, units=units[:1])
    with pytest.raises(ValidationError, match="不能变为"):
        handling.proposal_close(by=world.staff, proposal=proposal)


def test_closing_before_the_first_rating_is_refused(world, units):
    proposal, _ = hf.replied(member=world.member, by=world.staff, units=units[:1])
    with pytest.raises(ValidationError, match="尚未"):
        handling.proposal_close(by=world.staff, proposal=proposal)


def test_closing_twice_is_harmless(world, units):
    proposal, _ = hf.replied(member=world.member, by=world.staff, units=units[:1])
    handling.rating_submit(
        by=world.member.person.user, proposal=proposal, satisfaction=Rating.Satisfaction.FAIRLY
    )
    handling.proposal_close(by=world.staff, proposal=proposal)
    handling.proposal_close(by=world.staff, proposal=proposal)
    assert verbs(proposal).count("closed") == 1


def test_a_group_proposal_is_rated_by_whoever_entered_it(world, units):
    proposal, _ = hf.replied(member=world.member, by=world.staff, units=units[:1])
    Proposal.objects.filter(pk=proposal.pk).update(
        proposer_kind=Proposal.ProposerKind.GROUP,
        proposer_group=world.group,
        created_by=world.convenor.person.user,
    )
    proposal.refresh_from_db()
    assert handling.is_rater(world.convenor.person.user, proposal)
    assert not handling.is_rater(world.member.person.user, proposal)


# --- 催办 ---------------------------------------------------------------------


def _at(day: datetime.date, hour=8) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def test_overdue_routings_are_reminded_once_a_day(world, units):
    # given: two overdue routings, one replied routing past its deadline, one in time
    person = f.PersonFactory(user=contact(units[0]))
    today = timezone.localdate()
    late, [late_routing] = hf.routed(member=world.member, by=world.staff, units=units[:1])
    _, [other_late] = hf.routed(member=world.member, by=world.staff, units=units[1:2])
    _, [done] = hf.replied(member=world.member, by=world.staff, units=units[2:3])
    hf.routed(member=world.member, by=world.staff, units=units[:1])  # in time
    Routing.objects.filter(pk__in=[late_routing.pk, other_late.pk, done.pk]).update(
        deadline=today - datetime.timedelta(days=3)
    )
    # when / then: the first run of the day reminds both, the second nobody
    assert handling.routings_overdue_remind(now=_at(today)) == 2
    assert handling.routings_overdue_remind(now=_at(today, 17)) == 0
    late_routing.refresh_from_db()
    assert late_routing.last_reminded_on == today
    assert verbs(late).count("reminded") == 1
    assert Notice.objects.filter(person=person, title__startswith="催办").count() == 1
    # the next day, again once
    tomorrow = today + datetime.timedelta(days=1)
    assert handling.routings_overdue_remind(now=_at(tomorrow)) == 2
    assert handling.routings_overdue_remind(now=_at(tomorrow, 9)) == 0
    assert verbs(late).count("reminded") == 2
    assert Notice.objects.filter(person=person, title__startswith="催办").count() == 2


def test_objected_routings_are_not_reminded(world, units):
    _, [routing] = hf.routed(member=world.member, by=world.staff, units=units[:1])
    handling.routing_object(by=contact(units[0]), routing=routing, reason="理由")
    Routing.objects.filter(pk=routing.pk).update(
        deadline=timezone.localdate() - datetime.timedelta(days=1)
    )
    assert handling.routings_overdue_remind() == 0


def test_the_task_calls_the_service(world, units):
    from proposals.tasks import BEAT_SCHEDULE, routings_overdue_remind_task

    _, [routing] = hf.routed(member=world.member, by=world.staff, units=units[:1])
    Routing.objects.filter(pk=routing.pk).update(
        deadline=timezone.localdate() - datetime.timedelta(days=1)
    )
    assert routings_overdue_remind_task() == 1
    assert any(
        job["task"] == "proposals.tasks.routings_overdue_remind_task"
        for job in BEAT_SCHEDULE.values()
    )


# --- units and contacts -------------------------------------------------------


def test_unit_names_are_unique_in_a_body(world):
    unit = handling.unit_create(by=world.staff, body=world.body, name="市住建局")
    assert handling.unit_create(by=world.staff, body=world.body, name=" 市住建局 ") == unit
    handling.unit_create(by=world.staff, body=world.other_body, name="市住建局")
    other = handling.unit_create(by=world.staff, body=world.body, name="市交通局")
    with pytest.raises(ValidationError) as error:
        handling.unit_update(by=world.staff, unit=other, name="市住建局", is_active=True)
    assert "name" in error.value.message_dict


def test_a_contact_login_has_no_password_until_the_link_is_used(world):
    unit = handling.unit_create(by=world.staff, body=world.body, name="市住建局")
    user = handling.unit_contact_create(by=world.staff, unit=unit, username="zjj-li", name="李明")
    assert not user.has_usable_password()
    assert list(unit.contacts.all()) == [user]
    again = handling.unit_contact_create(by=world.staff, unit=unit, username="zjj-li", name="李明")
    assert again == user
    with pytest.raises(ValidationError) as error:
        handling.unit_contact_create(by=world.staff, unit=unit, username="member", name="王")
    assert "username" in error.value.message_dict
