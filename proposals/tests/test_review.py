import sys

import pytest
from django.core.exceptions import ValidationError

from members.models import Notice
from proposals import selectors
from proposals.models import Proposal, ProposalNumber
from proposals.services import drafting, review
from proposals.tests import factories as pf

S = Proposal.Status


@pytest.fixture
def session(world):
    return pf.open_session(world.term)


@pytest.fixture
def joint(world, session):
    """A submitted proposal of world.member with world.colleague as co-proposer."""
    import datetime

    from django.utils import timezone

    proposal = pf.draft(member=world.member, session=session)
    drafting.cosigner_invite(
        proposal=proposal,
        members=[world.colleague],
        by=world.member.person.user,
        deadline=timezone.now() + datetime.timedelta(days=2),
    )
    row = proposal.proposers.get(member=world.colleague)
    drafting.cosigner_answer(proposer=row, by=world.colleague.person.user, confirm=True)
    return drafting.proposal_submit(proposal=proposal, by=world.member.person.user)


def test_accepting_numbers_proposals_per_session_and_kind(world, session):
    one = pf.accepted(member=world.member, session=session, staff=world.staff)
    two = pf.accepted(member=world.colleague, session=session, staff=world.staff)
    plenary = pf.submitted(member=world.member, session=session, kind=Proposal.Kind.PLENARY)
    plenary = review.proposal_accept(proposal=plenary, by=world.staff)
    assert (one.number, two.number, plenary.number) == (1, 2, 1)
    assert two.number_label == "第0002号"
    assert one.status == S.ACCEPTED and one.accepted_at is not None
    assert ProposalNumber.objects.get(session=session, kind="regular").last == 2


def test_accepting_twice_keeps_the_number_and_writes_one_event(world, session):
    proposal = pf.accepted(member=world.member, session=session, staff=world.staff)
    again = review.proposal_accept(proposal=proposal, by=world.staff)
    assert again.number == 1
    assert proposal.events.filter(verb="accepted").count() == 1
    assert ProposalNumber.objects.get().last == 1


def test_a_draft_cannot_be_accepted_and_takes_no_number(world, session):
    proposal = pf.draft(member=world.member, session=session)
    with pytest.raises(ValidationError, match="不能变为“已立案”"):
        review.proposal_accept(proposal=proposal, by=world.staff)
    assert not ProposalNumber.objects.filter(last__gt=0).exists()


def test_the_proposers_are_told_of_the_decision(world, joint):
    review.proposal_accept(proposal=joint, by=world.staff)
    for member in (world.member, world.colleague):
        assert Notice.objects.filter(person=member.person, title__contains="第0001号").exists()


def test_rejecting_needs_a_reason(world, session):
    proposal = pf.submitted(member=world.member, session=session)
    with pytest.raises(ValidationError) as error:
        review.proposal_reject(proposal=proposal, by=world.staff, reason=" ")
    assert error.value.message_dict == {"reason": ["请填写不立案理由"]}
    review.proposal_reject(proposal=proposal, by=world.staff, reason="不属于政协职能")
    review.proposal_reject(proposal=proposal, by=world.staff, reason="不属于政协职能")
    proposal.refresh_from_db()
    assert (proposal.status, proposal.decision_reason) == (S.REJECTED, "不属于政协职能")
    assert proposal.events.filter(verb="rejected").count() == 1
    assert Notice.objects.filter(person=world.member.person, text="不属于政协职能").exists()


def test_a_rejected_proposal_cannot_be_accepted(world, session):
    proposal = pf.submitted(member=world.member, session=session)
    review.proposal_reject(proposal=proposal, by=world.staff, reason="重复")
    with pytest.raises(ValidationError):
        review.proposal_accept(proposal=proposal, by=world.staff)


def test_merged_proposals_keep_their_proposers_who_count_for_the_target(world, joint, session):
    target = pf.accepted(member=world.other_member, session=session, staff=world.staff)
    review.proposal_merge(proposal=joint, into=target, by=world.staff, note="内容相近")
    review.proposal_merge(proposal=joint, into=target, by=world.staff)
    joint.refresh_from_db()
    assert (joint.status, joint.merged_into) == (S.MERGED, target)
    assert set(joint.proposers.values_list("member", flat=True)) == {
        world.member.pk,
        world.colleague.pk,
    }
    assert set(selectors.proposers_of(target)) == {
        world.other_member,
        world.member,
        world.colleague,
    }
    assert target.events.filter(verb="merged_from").count() == 1
    assert joint.events.filter(verb="merged").count() == 1


def test_merges_count_through_two_levels(world, session):
    a = pf.submitted(member=world.member, session=session)
    b = pf.submitted(member=world.colleague, session=session)
    c = pf.accepted(member=world.other_member, session=session, staff=world.staff)
    review.proposal_merge(proposal=a, into=b, by=world.staff)
    review.proposal_merge(proposal=b, into=c, by=world.staff)
    assert set(selectors.proposers_of(c)) == {world.member, world.colleague, world.other_member}


@pytest.mark.parametrize("target_state", ["draft", "rejected"])
def test_merging_into_a_proposal_not_submitted_or_accepted_is_refused(world, session, target_state):
    proposal = pf.submitted(member=world.member, session=session)
    target = pf.draft(member=world.colleague, session=session)
    if target_state == "rejected":
        drafting.proposal_submit(proposal=target, by=world.colleague.person.user)
        review.proposal_reject(proposal=target, by=world.staff, reason="x")
    with pytest.raises(ValidationError) as error:
        review.proposal_merge(proposal=proposal, into=target, by=world.staff)
    assert error.value.message_dict == {"into": ["只能并入待审查或已立案的提案"]}


def test_merging_into_itself_or_another_session_is_refused(world, session):
    proposal = pf.submitted(member=world.member, session=session)
    with pytest.raises(ValidationError, match="不能并入提案本身"):
        review.proposal_merge(proposal=proposal, into=proposal, by=world.staff)
    other = pf.open_session(world.term)
    elsewhere = pf.submitted(member=world.colleague, session=other)
    with pytest.raises(ValidationError, match="同一次会议"):
        review.proposal_merge(proposal=proposal, into=elsewhere, by=world.staff)


@pytest.mark.parametrize("to", ["opinion", "letter"])
def test_converting_to_an_opinion_or_a_letter(world, session, to):
    proposal = pf.submitted(member=world.member, session=session)
    review.proposal_convert(proposal=proposal, to=to, by=world.staff, note="更宜作为建议")
    review.proposal_convert(proposal=proposal, to=to, by=world.staff)
    proposal.refresh_from_db()
    assert (proposal.status, proposal.converted_to) == (S.CONVERTED, to)
    assert proposal.events.filter(verb="converted").count() == 1


def test_converting_to_a_report_creates_one_linked_to_the_proposal(world, session):
    reports = pytest.importorskip("reports.services")
    assert hasattr(reports, "report_create_from_proposal")
    proposal = pf.submitted(member=world.member, session=session)
    review.proposal_convert(proposal=proposal, to="report", by=world.staff)
    proposal.refresh_from_db()
    assert (proposal.status, proposal.converted_to) == (S.CONVERTED, "report")
    from reports.models import SocialInfoReport

    assert SocialInfoReport.objects.filter(from_proposal=proposal).count() == 1


def test_converting_to_a_report_without_the_reports_app_is_refused_cleanly(
    world, session, monkeypatch
):
    monkeypatch.setitem(sys.modules, "reports.services", None)  # import fails
    proposal = pf.submitted(member=world.member, session=session)
    with pytest.raises(ValidationError, match="社情民意信息功能尚未启用"):
        review.proposal_convert(proposal=proposal, to="report", by=world.staff)
    proposal.refresh_from_db()
    assert proposal.status == S.SUBMITTED


def test_a_key_proposal_names_its_supervising_leader(world, session):
    proposal = pf.accepted(member=world.member, session=session, staff=world.staff)
    with pytest.raises(ValidationError) as error:
        review.proposal_flag_key(proposal=proposal, by=world.staff, is_key=True, leader="")
    assert error.value.message_dict == {"key_leader": ["重点提案须填写督办领导"]}
    review.proposal_flag_key(proposal=proposal, by=world.staff, leader="王副主席")
    review.proposal_flag_key(proposal=proposal, by=world.staff, leader="王副主席")
    review.proposal_flag_excellent(proposal=proposal, by=world.staff)
    review.proposal_flag_excellent(proposal=proposal, by=world.staff)
    proposal.refresh_from_db()
    assert (proposal.is_key, proposal.key_leader, proposal.is_excellent) == (True, "王副主席", True)
    verbs = list(proposal.events.values_list("verb", flat=True))
    assert verbs.count("flag_key") == 1 and verbs.count("flag_excellent") == 1
    review.proposal_flag_key(proposal=proposal, by=world.staff, is_key=False)
    proposal.refresh_from_db()
    assert (proposal.is_key, proposal.key_leader) == (False, "")


def test_only_accepted_proposals_are_flagged(world, session):
    proposal = pf.submitted(member=world.member, session=session)
    with pytest.raises(ValidationError, match="只有已立案的提案可以标记"):
        review.proposal_flag_excellent(proposal=proposal, by=world.staff)


def test_facts_for_scoring_count_merged_proposers_as_co_proposers(world, joint, session):
    target = pf.accepted(member=world.other_member, session=session, staff=world.staff)
    review.proposal_flag_key(proposal=target, by=world.staff, leader="李主席")
    review.proposal_merge(proposal=joint, into=target, by=world.staff)
    year = session.year
    facts = selectors.proposal_facts_for([world.member, world.other_member, world.convenor], year)
    assert facts[world.convenor.pk] == []
    (mine,) = facts[world.member.pk]
    assert mine == {
        "proposal_id": target.pk,
        "role": "co",
        "status": "merged",
        "accepted": True,
        "is_key": True,
        "is_excellent": False,
        "merged": True,
    }
    (theirs,) = facts[world.other_member.pk]
    assert (theirs["role"], theirs["accepted"], theirs["merged"]) == ("first", True, False)
