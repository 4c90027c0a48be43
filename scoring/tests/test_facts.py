"""The duty-fact ledger: every kind of fact from records made through the apps'
own services, the refresh the services trigger on commit, the rebuild, and
the cost of the projection."""

import contextlib
import datetime
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from consultations import services as consultations
from duties import disputes, self_reported
from duties import services as duties
from duties.models import ActivityKind, Participation, SelfReportedDuty
from members import services as members
from members.models import Honour
from proposals.models import Proposal
from proposals.services import drafting, review
from proposals.tests import factories as pf
from reports import services as reports
from reports.models import SocialInfoReport
from reports.tests import factories as rf
from scoring import facts as ledger
from scoring.models import DutyFact
from tests import factories as f

K = DutyFact.Kind


@pytest.fixture(autouse=True)
def eager_tasks():
    """The refresh task runs in the test, whatever the broker (CI has Redis)."""
    from config.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """`with committed():` runs what the block asked to run on commit, the
    ledger's refresh among it, as a real commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def activity(world):
    kind = f.ActivityKindFactory(body=world.body, code="inspection")
    return f.ActivityFactory(term=world.term, kind=kind)


@pytest.fixture
def session(world):
    return pf.open_session(world.term)


@pytest.fixture
def today():
    return timezone.localdate()


def projected(member, kind=None) -> list[DutyFact]:
    rows = [fact for fact in ledger.facts_for_members([member.pk]) if kind in (None, fact.kind)]
    return sorted(rows, key=lambda fact: (fact.kind, fact.source_id, fact.detail))


def stored(member, kind=None) -> list[DutyFact]:
    rows = DutyFact.objects.filter(member=member)
    if kind is not None:
        rows = rows.filter(kind=kind)
    return list(rows.order_by("kind", "source_id", "detail"))


def as_rows(facts) -> set[tuple]:
    """Facts as comparable values (the ids of the fact rows left out)."""
    return {
        (
            f.member_id,
            str(f.kind),
            f.source_type_id,
            f.source_id,
            f.detail,
            f.body_id,
            f.on,
            json.dumps(f.attrs, sort_keys=True),
            *(getattr(f, column) for column in DutyFact.COLUMNS),
        )
        for f in facts
    }


def rows() -> set[tuple]:
    return as_rows(DutyFact.objects.all())


def start_date(activity) -> datetime.date:
    return timezone.localdate(activity.starts_at)


def joint_proposal(world, session, *cosigners):
    """Submitted by world.member with the cosigners confirmed, through the services."""
    proposal = pf.draft(member=world.member, session=session)
    drafting.cosigner_invite(
        proposal=proposal,
        members=list(cosigners),
        by=world.member.person.user,
        deadline=timezone.now() + datetime.timedelta(days=2),
    )
    for member in cosigners:
        row = proposal.proposers.get(member=member)
        drafting.cosigner_answer(proposer=row, by=member.person.user, confirm=True)
    return drafting.proposal_submit(proposal=proposal, by=world.member.person.user)


def good_deed(body) -> ActivityKind:
    duties.activity_kinds_ensure_defaults(body=body)
    return ActivityKind.objects.get(body=body, code="good_deed")


# Activities ---------------------------------------------------------------------


def test_attendance_gives_attended_excused_and_absent_and_nothing_unmarked(world, activity):
    # given four members on the list of an inspection
    duties.attendance_record(
        activity=activity, member=world.member, attendance="attended", by=world.staff
    )
    duties.attendance_record(
        activity=activity,
        member=world.colleague,
        attendance="excused",
        reason="出差",
        by=world.staff,
    )
    duties.attendance_record(
        activity=activity, member=world.other_member, attendance="absent", by=world.staff
    )
    duties.signup(activity=activity, member=world.convenor)  # on the list, nothing recorded
    # then
    (attended,) = projected(world.member)
    assert (attended.kind, attended.on) == (K.ACTIVITY_ATTENDED, start_date(activity))
    assert attended.attrs == {
        "activity_kind": "inspection",
        "category": "inspection",
        "role": "participant",
        "organiser": "office",
        "audience": "all",
    }
    assert (attended.activity_kind, attended.category, attended.role, attended.level) == (
        "inspection",
        "inspection",
        "participant",
        "",
    )
    assert attended.record == Participation.objects.get(activity=activity, member=world.member)
    assert attended.source == ("duties", "participation", attended.record.pk)
    assert attended.body_id == world.body.pk
    assert [x.kind for x in projected(world.colleague)] == [K.ACTIVITY_EXCUSED]
    assert [x.kind for x in projected(world.other_member)] == [K.ACTIVITY_ABSENT]
    assert projected(world.convenor) == []


def test_approved_leave_is_excused_until_staff_record_otherwise(world, activity):
    duties.signup(activity=activity, member=world.member)
    p = duties.leave_request(activity=activity, member=world.member, reason="出国考察")
    assert projected(world.member) == []  # asked, not yet approved
    p = duties.leave_decide(participation=p, approve=True, by=world.staff)
    assert [x.kind for x in projected(world.member)] == [K.ACTIVITY_EXCUSED]

    # a correction through a dispute clears the attendance: the approved leave still excuses
    dispute = disputes.dispute_open(
        member=world.member, record=p, reason="我没有请假", by=world.member.person.user
    )
    disputes.dispute_resolve(
        dispute=dispute,
        correct=True,
        resolution="改为未登记",
        by=world.staff,
        correction={"attendance": ""},
    )
    assert [x.kind for x in projected(world.member)] == [K.ACTIVITY_EXCUSED]

    # they came after all: what staff record wins
    duties.attendance_record(
        activity=activity, member=world.member, attendance="attended", by=world.staff
    )
    assert [x.kind for x in projected(world.member)] == [K.ACTIVITY_ATTENDED]


def test_refused_leave_with_nothing_recorded_is_no_fact(world, activity):
    duties.signup(activity=activity, member=world.member)
    p = duties.leave_request(activity=activity, member=world.member, reason="家中有事")
    duties.leave_decide(participation=p, approve=False, by=world.staff)
    assert projected(world.member) == []


def test_removed_withdrawn_and_waiting_participations_are_no_facts(world):
    activity = f.ActivityFactory(term=world.term, capacity=1)
    duties.signup(activity=activity, member=world.member)
    waiting = duties.signup(activity=activity, member=world.colleague)
    assert waiting.signup == "waitlisted"
    duties.attendance_record(
        activity=activity, member=world.other_member, attendance="attended", by=world.staff
    )
    duties.list_remove(activity=activity, member=world.other_member, by=world.staff)
    assert Participation.objects.get(member=world.other_member).attendance == "attended"
    duties.withdraw(activity=activity, member=world.member)
    assert projected(world.member) == []
    assert projected(world.colleague) == []  # moved up, but nothing recorded
    assert projected(world.other_member) == []  # removed: the attendance stays, no fact


def test_cancelling_an_activity_takes_its_facts_away(world, activity, committed):
    with committed():
        duties.attendance_record(
            activity=activity, member=world.member, attendance="attended", by=world.staff
        )
    assert len(stored(world.member)) == 1
    with committed():
        duties.activity_cancel(activity=activity, by=world.staff, reason="天气原因")
    assert stored(world.member) == []


def test_moving_an_activity_to_another_day_moves_its_facts(world, activity, committed):
    from duties.forms import ActivityForm

    with committed():
        duties.attendance_record(
            activity=activity, member=world.member, attendance="attended", by=world.staff
        )
    later = activity.starts_at + datetime.timedelta(days=40)
    data = {
        field.name: field.value() for field in ActivityForm(instance=activity, term=activity.term)
    }
    data.update(
        starts_at=timezone.localtime(later).strftime("%Y-%m-%dT%H:%M"),
        ends_at=timezone.localtime(later + datetime.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        signup_deadline="",
    )
    form = ActivityForm(data, instance=activity, term=activity.term)
    assert form.is_valid(), form.errors
    with committed():
        duties.activity_update(form=form)
    [fact] = stored(world.member)
    assert fact.on == timezone.localdate(later)


def test_the_role_at_a_consultation_is_an_attribute(world, committed):
    room = f.MemberHomeFactory(body=world.body)
    start = timezone.now() - datetime.timedelta(days=2)
    with committed():
        session = consultations.consultation_create(
            term=world.term,
            topic="老旧小区加装电梯",
            room=room,
            starts_at=start,
            ends_at=start + datetime.timedelta(hours=2),
            member_convenor=world.convenor,
            official_convenor_name="王科长",
            official_convenor_unit="区住建局",
            members=[world.member],
            by=world.staff,
        )
        duties.attendance_mark_all_present(activity=session.activity, by=world.staff)
    assert [(x.kind, x.role) for x in stored(world.convenor)] == [(K.ACTIVITY_ATTENDED, "convenor")]
    assert stored(world.member)[0].category == "consultation"
    with committed():
        consultations.participant_add(
            consultation=session, member=world.member, role="speaker", by=world.staff
        )
    assert [x.role for x in stored(world.member)] == ["speaker"]


# Self-reported duties and honours ---------------------------------------------


def test_only_verified_self_reported_duties_are_facts(world):
    kind = good_deed(world.body)
    today = timezone.localdate()

    def submit():
        return self_reported.duty_submit(
            member=world.member,
            kind=kind,
            done_on=today,
            description="为社区老人义诊",
            by=world.member.person.user,
        )

    verified, returned, waiting = submit(), submit(), submit()
    self_reported.duty_verify(duty=verified, by=world.staff)
    self_reported.duty_return(duty=returned, by=world.staff, reason="请补充照片")
    assert waiting.status == SelfReportedDuty.Status.SUBMITTED
    (fact,) = projected(world.member)
    assert (fact.kind, fact.on, fact.record) == (K.DUTY_VERIFIED, today, verified)
    assert fact.attrs == {"activity_kind": "good_deed", "category": "good_deed"}


def test_an_honour_counts_on_every_seat_of_the_person(world, committed):
    second_seat = f.MemberFactory(person=world.member.person, term=world.other_term)
    with committed():
        honour = members.honour_add(
            by=world.staff,
            person=world.member.person,
            title="优秀政协委员",
            level=Honour.Level.CITY,
            awarded_on=datetime.date(2026, 1, 20),
        )
    for seat, body in ((world.member, world.body), (second_seat, world.other_body)):
        (fact,) = stored(seat)
        assert (fact.kind, fact.on, fact.level, fact.body_id) == (
            K.HONOUR_AWARDED,
            datetime.date(2026, 1, 20),
            "city",
            body.pk,
        )
        assert fact.record == honour


# Proposals --------------------------------------------------------------------


def test_a_joint_proposal_gives_one_fact_per_proposer_with_role_and_count(world, session):
    proposal = joint_proposal(world, session, world.colleague, world.other_member)
    review.proposal_accept(proposal=proposal, by=world.staff)
    review.proposal_flag_key(proposal=proposal, by=world.staff, leader="李主席")
    today = timezone.localdate()
    for member, role in (
        (world.member, "first"),
        (world.colleague, "co"),
        (world.other_member, "co"),
    ):
        accepted, submitted = projected(member)  # by kind
        assert (submitted.kind, submitted.on, submitted.source_id) == (
            K.PROPOSAL_SUBMITTED,
            today,
            proposal.pk,
        )
        assert submitted.attrs == {
            "role": role,
            "proposers": 3,
            "proposal_kind": "regular",
            "converted_to": "",
            "accepted": True,
        }
        assert (accepted.kind, accepted.on) == (K.PROPOSAL_ACCEPTED, today)
        assert accepted.attrs == {"role": role, "proposers": 3, "key": True, "excellent": False}
        assert accepted.role == role
    assert projected(world.convenor) == []


def test_a_declined_invitation_and_a_withdrawn_proposal_give_nothing(world, session):
    proposal = pf.draft(member=world.member, session=session)
    drafting.cosigner_invite(
        proposal=proposal,
        members=[world.colleague],
        by=world.member.person.user,
        deadline=timezone.now() + datetime.timedelta(days=2),
    )
    row = proposal.proposers.get(member=world.colleague)
    drafting.cosigner_answer(proposer=row, by=world.colleague.person.user, confirm=False)
    assert projected(world.member) == []  # a draft is not submitted
    proposal = drafting.proposal_submit(proposal=proposal, by=world.member.person.user)
    assert [x.attrs["proposers"] for x in projected(world.member)] == [1]
    assert projected(world.colleague) == []
    drafting.proposal_withdraw(proposal=proposal, by=world.member.person.user)
    assert projected(world.member) == []


def test_merged_proposals_proposers_count_for_the_proposal_they_were_merged_into(world, session):
    # given the colleague's own proposal merged into the member's, which is accepted
    target = pf.submitted(member=world.member, session=session)
    theirs = pf.submitted(member=world.colleague, session=session, title="关于城市更新的建议")
    review.proposal_merge(proposal=theirs, into=target, by=world.staff)
    review.proposal_accept(proposal=target, by=world.staff)
    # then the colleague is a co-proposer of the accepted one, counted once
    accepted, submitted = projected(world.colleague)  # by kind
    assert (submitted.kind, submitted.source_id, submitted.role) == (
        K.PROPOSAL_SUBMITTED,
        target.pk,
        "co",
    )
    assert submitted.on == timezone.localdate(theirs.submitted_at)
    assert submitted.attrs["proposers"] == 2 and submitted.attrs["accepted"] is True
    assert (accepted.kind, accepted.source_id) == (K.PROPOSAL_ACCEPTED, target.pk)
    assert accepted.attrs == {"role": "co", "proposers": 2, "key": False, "excellent": False}
    # and the first proposer of the target sees two proposers too
    assert [(x.kind, x.role, x.attrs["proposers"]) for x in projected(world.member)] == [
        (K.PROPOSAL_ACCEPTED, "first", 2),
        (K.PROPOSAL_SUBMITTED, "first", 2),
    ]


def test_merges_two_deep_and_a_member_on_both_sides_count_once(world, session):
    a = pf.submitted(member=world.colleague, session=session, title="甲")
    b = pf.submitted(member=world.other_member, session=session, title="乙")
    c = joint_proposal(world, session, world.colleague)  # the colleague is on c as well
    review.proposal_merge(proposal=a, into=b, by=world.staff)
    review.proposal_merge(proposal=b, into=c, by=world.staff)
    review.proposal_accept(proposal=c, by=world.staff)
    mine = {(x.kind, x.source_id, x.role, x.attrs["proposers"]) for x in projected(world.colleague)}
    assert mine == {(K.PROPOSAL_SUBMITTED, c.pk, "co", 3), (K.PROPOSAL_ACCEPTED, c.pk, "co", 3)}
    assert {x.source_id for x in projected(world.other_member)} == {c.pk}


def test_a_converted_proposal_carries_converted_to_and_its_report_scores(world, session):
    proposal = pf.submitted(member=world.member, session=session)
    review.proposal_convert(proposal=proposal, to=Proposal.ConvertedTo.REPORT, by=world.staff)
    report = SocialInfoReport.objects.get(from_proposal=proposal)
    today = timezone.localdate()
    by_kind = {x.kind: x for x in projected(world.member)}
    assert set(by_kind) == {K.PROPOSAL_SUBMITTED, K.PROPOSAL_CONVERTED, K.REPORT_SUBMITTED}
    assert by_kind[K.PROPOSAL_SUBMITTED].attrs["converted_to"] == "report"
    assert by_kind[K.PROPOSAL_SUBMITTED].attrs["accepted"] is False
    converted = by_kind[K.PROPOSAL_CONVERTED]
    assert (converted.on, converted.source_id) == (today, proposal.pk)
    assert converted.attrs == {"role": "first", "proposers": 1, "converted_to": "report"}
    assert by_kind[K.REPORT_SUBMITTED].record == report
    assert by_kind[K.REPORT_SUBMITTED].attrs == {"from_proposal": True}


def test_a_group_proposal_gives_no_member_facts(world, session):
    proposal = drafting.proposal_draft_create(
        session=session,
        by=world.convenor.person.user,
        title="界别小组提案",
        category="economy",
        content="内容",
        group=world.group,
    )
    drafting.proposal_submit(proposal=proposal, by=world.convenor.person.user)
    assert projected(world.convenor) == []


# Reports ----------------------------------------------------------------------


def test_a_report_gives_submitted_used_adopted_per_level_and_instructed(world, today):
    report = rf.used(world.member, world.staff, issue=7)
    for level in ("city", "province"):
        reports.report_adoption_record(
            report=report, by=world.staff, level=level, mode="single", adopted_on=today
        )
    for leader in ("张市长", "李副市长"):
        reports.report_instruction_record(
            report=report, by=world.staff, level="city", leader=leader, instructed_on=today
        )
    got = [(x.kind, x.detail, x.level, x.attrs) for x in projected(world.member)]
    instructions = list(report.instructions.order_by("pk").values_list("pk", flat=True))
    assert got == sorted(
        [
            (K.REPORT_SUBMITTED, "", "", {"from_proposal": False}),
            (K.REPORT_USED, "", "", {"issue": f"{today.year}-7"}),
            (K.REPORT_ADOPTED, "city", "city", {"level": "city", "how": "single"}),
            (K.REPORT_ADOPTED, "province", "province", {"level": "province", "how": "single"}),
            *[(K.REPORT_INSTRUCTED, str(pk), "city", {"level": "city"}) for pk in instructions],
        ],
        key=lambda row: (row[0], row[1]),
    )
    assert {x.source_id for x in projected(world.member)} == {report.pk}


def test_group_and_withdrawn_reports_give_no_member_facts(world):
    group_report = reports.report_draft_create(
        by=world.convenor.person.user, title="界别信息", content="内容", author_group=world.group
    )
    reports.report_submit(report=group_report, by=world.convenor.person.user)
    mine = rf.submitted(world.member)
    reports.report_withdraw(report=mine, by=world.member.person.user)
    rf.draft(world.member)
    assert projected(world.convenor) == [] and projected(world.member) == []


# Keeping the ledger current ---------------------------------------------------


def test_each_service_change_refreshes_the_members_facts(world, activity, session, committed):
    # marking attendance makes the fact appear, correcting it changes its kind
    with committed():
        duties.attendance_record(
            activity=activity, member=world.member, attendance="attended", by=world.staff
        )
    assert [x.kind for x in stored(world.member)] == [K.ACTIVITY_ATTENDED]
    with committed():
        duties.attendance_record(
            activity=activity, member=world.member, attendance="absent", by=world.staff
        )
    assert [x.kind for x in stored(world.member)] == [K.ACTIVITY_ABSENT]
    with committed():
        duties.list_remove(activity=activity, member=world.member, by=world.staff)
    assert stored(world.member) == []

    # marking everyone present at once (a queryset update) refreshes all of them
    with committed():
        duties.list_add(
            activity=activity, members=[world.colleague, world.convenor], by=world.staff
        )
        duties.attendance_mark_all_present(activity=activity, by=world.staff)
    assert [x.kind for x in stored(world.colleague)] == [K.ACTIVITY_ATTENDED]
    assert [x.kind for x in stored(world.convenor)] == [K.ACTIVITY_ATTENDED]

    # submitting, then accepting a joint proposal: every proposer
    with committed():
        proposal = joint_proposal(world, session, world.other_member)
    assert [x.kind for x in stored(world.other_member)] == [K.PROPOSAL_SUBMITTED]
    with committed():
        review.proposal_accept(proposal=proposal, by=world.staff)
    for member in (world.member, world.other_member):
        assert K.PROPOSAL_ACCEPTED in {x.kind for x in stored(member)}
        assert stored(member, K.PROPOSAL_SUBMITTED)[0].attrs["accepted"] is True
    with committed():
        review.proposal_flag_excellent(proposal=proposal, by=world.staff)
    assert stored(world.other_member, K.PROPOSAL_ACCEPTED)[0].attrs["excellent"] is True

    # merging another proposal into it raises everyone's count of proposers
    with committed():
        other = pf.submitted(member=world.colleague, session=session, title="另一件")
        review.proposal_merge(proposal=other, into=proposal, by=world.staff)
    for member in (world.member, world.other_member, world.colleague):
        assert stored(member, K.PROPOSAL_ACCEPTED)[0].attrs["proposers"] == 3

    # a verified duty, and a report used and adopted
    with committed():
        duty = self_reported.duty_submit(
            member=world.colleague,
            kind=good_deed(world.body),
            done_on=timezone.localdate(),
            description="义诊",
            by=world.colleague.person.user,
        )
        self_reported.duty_verify(duty=duty, by=world.staff)
    assert len(stored(world.colleague, K.DUTY_VERIFIED)) == 1
    with committed():
        report = rf.used(world.convenor, world.staff)
        reports.report_adoption_record(
            report=report,
            by=world.staff,
            level="province",
            mode="combined",
            adopted_on=timezone.localdate(),
        )
    assert [x.kind for x in stored(world.convenor) if x.kind.startswith("report")] == [
        K.REPORT_ADOPTED,
        K.REPORT_SUBMITTED,
        K.REPORT_USED,
    ]
    # and what the refreshes stored is what a rebuild computes
    before = rows()
    assert ledger.facts_rebuild().created == 0
    assert rows() == before


def test_leave_disputes_withdrawals_and_conversions_refresh_too(
    world, activity, session, committed
):
    # approving leave excuses; a dispute corrected to absent makes it absent
    with committed():
        duties.signup(activity=activity, member=world.member)
        p = duties.leave_request(activity=activity, member=world.member, reason="出差")
        p = duties.leave_decide(participation=p, approve=True, by=world.staff)
    assert [x.kind for x in stored(world.member)] == [K.ACTIVITY_EXCUSED]
    with committed():
        dispute = disputes.dispute_open(
            member=world.member, record=p, reason="实际未请假", by=world.member.person.user
        )
        disputes.dispute_resolve(
            dispute=dispute,
            correct=True,
            resolution="更正为缺席",
            by=world.staff,
            correction={"attendance": "absent"},
        )
    assert [x.kind for x in stored(world.member)] == [K.ACTIVITY_ABSENT]

    # a proposal withdrawn before review takes its fact away; a converted one
    # gains the conversion and its report
    with committed():
        withdrawn = pf.submitted(member=world.colleague, session=session, title="撤回的")
    assert len(stored(world.colleague)) == 1
    with committed():
        drafting.proposal_withdraw(proposal=withdrawn, by=world.colleague.person.user)
    assert stored(world.colleague) == []
    with committed():
        converted = pf.submitted(member=world.colleague, session=session, title="转信息的")
        review.proposal_convert(proposal=converted, to="report", by=world.staff)
    assert {x.kind for x in stored(world.colleague)} == {
        K.PROPOSAL_SUBMITTED,
        K.PROPOSAL_CONVERTED,
        K.REPORT_SUBMITTED,
    }

    # a report withdrawn, an instruction recorded
    with committed():
        report = rf.submitted(world.other_member)
    assert len(stored(world.other_member)) == 1
    with committed():
        reports.report_withdraw(report=report, by=world.other_member.person.user)
    assert stored(world.other_member) == []
    with committed():
        report = rf.accepted(world.other_member, world.staff)
        reports.report_instruction_record(
            report=report,
            by=world.staff,
            level="province",
            leader="省领导",
            instructed_on=timezone.localdate(),
        )
    assert {x.kind for x in stored(world.other_member)} == {
        K.REPORT_SUBMITTED,
        K.REPORT_INSTRUCTED,
    }


def test_a_change_rolled_back_is_not_refreshed_but_the_rest_is(
    world, activity, committed, monkeypatch
):
    sent = []
    from scoring import tasks

    monkeypatch.setattr(
        tasks.facts_refresh_task, "apply_async", lambda kwargs, **_: sent.append(kwargs)
    )
    with committed():
        with contextlib.suppress(RuntimeError), transaction.atomic():
            duties.attendance_record(
                activity=activity, member=world.member, attendance="attended", by=world.staff
            )
            raise RuntimeError
        duties.attendance_record(
            activity=activity, member=world.colleague, attendance="attended", by=world.staff
        )
    assert sent == [{"member_ids": [world.colleague.pk]}]


def test_one_transaction_makes_one_refresh_task(world, activity, committed, monkeypatch):
    sent = []
    from scoring import tasks

    monkeypatch.setattr(
        tasks.facts_refresh_task, "apply_async", lambda kwargs, **_: sent.append(kwargs)
    )
    with committed():
        for member in (world.member, world.colleague, world.other_member):
            duties.attendance_record(
                activity=activity, member=member, attendance="attended", by=world.staff
            )
    assert sent == [
        {"member_ids": sorted([world.member.pk, world.colleague.pk, world.other_member.pk])}
    ]


def test_a_refresh_twice_changes_nothing_and_keeps_the_rows(world, activity):
    duties.attendance_record(
        activity=activity, member=world.member, attendance="attended", by=world.staff
    )
    first = ledger.facts_refresh([world.member.pk])
    ids = set(DutyFact.objects.values_list("pk", flat=True))
    again = ledger.facts_refresh([world.member.pk])
    assert (first.created, again.created, again.deleted, again.unchanged) == (1, 0, 0, 1)
    assert set(DutyFact.objects.values_list("pk", flat=True)) == ids


def _history(world, session, today):
    """A year of everything, made through the services, with no refresh run."""
    old = f.ActivityFactory(
        term=world.term,
        kind=f.ActivityKindFactory(body=world.body, code="research", category="research"),
        starts_at=datetime.datetime(2025, 6, 3, 9, tzinfo=timezone.get_current_timezone()),
        ends_at=datetime.datetime(2025, 6, 3, 12, tzinfo=timezone.get_current_timezone()),
    )
    new = f.ActivityFactory(term=world.term)
    for activity in (old, new):
        duties.attendance_record(
            activity=activity, member=world.member, attendance="attended", by=world.staff
        )
        duties.attendance_record(
            activity=activity, member=world.colleague, attendance="absent", by=world.staff
        )
    proposal = joint_proposal(world, session, world.colleague)
    review.proposal_accept(proposal=proposal, by=world.staff)
    report = rf.used(world.other_member, world.staff)
    reports.report_adoption_record(
        report=report, by=world.staff, level="city", mode="single", adopted_on=today
    )
    members.honour_add(
        by=world.staff,
        person=world.convenor.person,
        title="优秀委员",
        level="province",
        awarded_on=datetime.date(2025, 12, 30),
    )


def test_rebuild_gives_the_same_rows_as_the_refreshes(world, session, today, committed):
    with committed():
        _history(world, session, today)
    incremental = rows()
    assert len(incremental) > 10
    DutyFact.objects.all().delete()
    result = ledger.facts_rebuild(body=world.body, chunk=2)
    assert rows() == incremental
    assert (result.created, result.deleted) == (len(incremental), 0)
    assert ledger.facts_rebuild(body=world.body).unchanged == len(incremental)


def test_a_rebuild_of_one_year_leaves_the_other_years_alone(world, session, today):
    _history(world, session, today)
    ledger.facts_rebuild(year=2025)
    assert {fact.on.year for fact in DutyFact.objects.all()} == {2025}
    assert DutyFact.objects.count() == 3  # attended, absent, the honour
    ledger.facts_rebuild(year=today.year)
    everything = rows()
    assert ledger.facts_rebuild(year=2025).unchanged == 3
    assert rows() == everything
    # the yearly rebuilds together store what the projection of every year says
    member_ids = {fact.member_id for fact in DutyFact.objects.all()}
    assert everything == as_rows(ledger.facts_for_members(member_ids))


def test_the_command_prints_the_counts(world, session, today):
    _history(world, session, today)
    out = StringIO()
    call_command("facts_rebuild", "--body", str(world.body.pk), stdout=out)
    total = DutyFact.objects.count()
    assert f"事实 {total} 条:新增 {total},删除 0,未变 0" in out.getvalue()
    out = StringIO()
    call_command("facts_rebuild", "--year", "2025", stdout=out)
    assert "新增 0,删除 0,未变 3" in out.getvalue()


# Cost -------------------------------------------------------------------------


def _busy_member(world, session, staff, index, activities, kind):
    """A member with attendance, a verified duty, a joint proposal accepted, a
    proposal merged into it, a report used, adopted and instructed, an honour."""
    member = f.member_with_login(term=world.term, sector=world.sector)
    partner = f.member_with_login(term=world.term, sector=world.sector)
    for i, activity in enumerate(activities):
        duties.attendance_record(
            activity=activity,
            member=member,
            attendance=("attended", "absent", "excused")[i % 3],
            reason="请假",
            by=staff,
        )
    duty = self_reported.duty_submit(
        member=member,
        kind=kind,
        done_on=timezone.localdate(),
        description="义诊",
        by=member.person.user,
    )
    self_reported.duty_verify(duty=duty, by=staff)
    proposal = pf.draft(member=member, session=session, title=f"提案{index}")
    drafting.cosigner_invite(
        proposal=proposal,
        members=[partner],
        by=member.person.user,
        deadline=timezone.now() + datetime.timedelta(days=2),
    )
    row = proposal.proposers.get(member=partner)
    drafting.cosigner_answer(proposer=row, by=partner.person.user, confirm=True)
    drafting.proposal_submit(proposal=proposal, by=member.person.user)
    merged = pf.submitted(member=partner, session=session, title=f"并入{index}")
    review.proposal_merge(proposal=merged, into=proposal, by=staff)
    review.proposal_accept(proposal=proposal, by=staff)
    report = rf.used(member, staff)
    today = timezone.localdate()
    reports.report_adoption_record(
        report=report, by=staff, level="city", mode="single", adopted_on=today
    )
    reports.report_instruction_record(
        report=report, by=staff, level="city", leader="市长", instructed_on=today
    )
    members.honour_add(
        by=staff, person=member.person, title="优秀委员", level="city", awarded_on=today
    )
    return member


def test_the_projection_costs_the_same_queries_for_2_or_20_members(world, session):
    activities = [f.ActivityFactory(term=world.term) for _ in range(6)]
    kind = good_deed(world.body)
    busy = [_busy_member(world, session, world.staff, i, activities, kind).pk for i in range(20)]
    ledger.facts_for_members(busy[:1])  # content types into Django's cache

    def cost(ids):
        with CaptureQueriesContext(connection) as queries:
            facts = ledger.facts_for_members(ids)
        return len(queries), facts

    few, few_facts = cost(busy[:2])
    many, many_facts = cost(busy)
    # members' bodies; participations; verified duties; proposals: proposer
    # rows, merges, proposals, their proposers; reports, adoptions,
    # instructions; honours
    assert few == many == 11
    assert len(many_facts) == 10 * len(few_facts) == 10 * 2 * 14
