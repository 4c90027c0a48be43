import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from members.models import Notice
from proposals.models import Proposal, ProposalEvent, Proposer, Topic
from proposals.services import drafting
from proposals.tests import factories as pf
from tests import factories as f

S = Proposal.Status


@pytest.fixture
def session(world):
    return pf.open_session(world.term)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _invite(proposal, world, *members, days=3):
    return drafting.cosigner_invite(
        proposal=proposal,
        members=members or [world.colleague],
        by=world.member.person.user,
        deadline=timezone.now() + datetime.timedelta(days=days),
    )


def test_a_draft_records_its_first_proposer_and_an_event(world, session):
    proposal = pf.draft(member=world.member, session=session, attachments=[pf.png_upload()])
    first = proposal.proposers.get()
    assert (first.member, first.role, first.status) == (world.member, "first", "confirmed")
    assert proposal.body == world.body and proposal.status == S.DRAFT
    assert proposal.attachments.get().content_type == "image/png"
    assert list(proposal.events.values_list("verb", "to_status")) == [("created", "draft")]


def test_a_draft_needs_a_title_and_content_in_chinese(world, session):
    with pytest.raises(ValidationError) as error:
        pf.draft(member=world.member, session=session, title=" ", content="")
    assert error.value.message_dict == {"title": ["请填写案由"], "content": ["请填写提案内容"]}


def test_an_attachment_is_checked_by_its_content_not_its_name(world, session):
    fake = SimpleUploadedFile("report.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    with pytest.raises(ValidationError) as error:
        pf.draft(member=world.member, session=session, attachments=[fake])
    assert "不是 JPEG、PNG 图片或 PDF 文件" in error.value.message_dict["attachments"][0]
    assert not Proposal.objects.exists()


def test_a_member_of_another_term_cannot_propose_in_this_session(world, session):
    with pytest.raises(ValidationError):
        pf.draft(member=world.outsider_member, session=session)


def test_a_group_and_a_party_can_be_the_proposer(world, session):
    group = drafting.proposal_draft_create(
        session=session,
        by=world.convenor.person.user,
        title="小组提案",
        category="economy",
        content="内容",
        group=world.group,
    )
    party = drafting.proposal_draft_create(
        session=session,
        by=world.staff,
        title="党派提案",
        category="economy",
        content="内容",
        party="cdl",
    )
    assert (group.proposer_kind, group.proposer_group) == ("group", world.group)
    assert (party.proposer_kind, party.proposer_party) == ("party", "cdl")
    assert not group.proposers.exists()


def test_a_draft_from_a_topic_uses_the_topic_once(world, session):
    topic = Topic.objects.create(
        session=session,
        member=world.member,
        title="选题",
        category="economy",
        created_by=world.member.person.user,
    )
    proposal = pf.draft(member=world.member, session=session, topic=topic)
    topic.refresh_from_db()
    assert proposal.topic == topic and topic.status == Topic.Status.USED
    with pytest.raises(ValidationError, match="该选题不可用"):
        pf.draft(member=world.member, session=session, topic=topic)


def test_only_a_draft_can_be_edited(world, session):
    proposal = pf.draft(member=world.member, session=session)
    drafting.proposal_update(
        proposal=proposal,
        by=world.member.person.user,
        title="新案由",
        category="culture",
        content="新内容",
    )
    proposal.refresh_from_db()
    assert (proposal.title, proposal.category) == ("新案由", "culture")
    drafting.proposal_submit(proposal=proposal, by=world.member.person.user)
    with pytest.raises(ValidationError, match="只有草稿可以修改"):
        drafting.proposal_update(
            proposal=proposal,
            by=world.member.person.user,
            title="x",
            category="culture",
            content="y",
        )


# Co-proposers ----------------------------------------------------------------------


def test_inviting_asks_each_member_once_and_sends_a_notice(world, session):
    proposal = pf.draft(member=world.member, session=session)
    new = _invite(proposal, world, world.colleague, world.other_member)
    again = _invite(proposal, world, world.colleague)
    proposal.refresh_from_db()
    assert proposal.status == S.INVITING and len(new) == 2 and again == []
    rows = proposal.proposers.filter(role="co")
    assert set(rows.values_list("status", flat=True)) == {"invited"}
    assert list(rows.values_list("order", flat=True)) == [1, 2]
    assert Notice.objects.filter(person=world.colleague.person, title__contains="联名").count() == 1


def test_invitees_must_be_current_members_of_the_same_term(world, session):
    proposal = pf.draft(member=world.member, session=session)
    with pytest.raises(ValidationError) as error:
        _invite(proposal, world, world.outsider_member)
    assert error.value.message_dict == {"members": ["联名提案人应为本届在任委员"]}


def test_the_deadline_must_be_ahead(world, session):
    proposal = pf.draft(member=world.member, session=session)
    with pytest.raises(ValidationError) as error:
        _invite(proposal, world, days=-1)
    assert "deadline" in error.value.message_dict


def test_confirming_twice_is_harmless_and_changing_ones_mind_is_refused(world, session):
    proposal = pf.draft(member=world.member, session=session)
    _invite(proposal, world, world.colleague, world.other_member)
    row = proposal.proposers.get(member=world.colleague)
    user = world.colleague.person.user
    drafting.cosigner_answer(proposer=row, by=user, confirm=True)
    drafting.cosigner_answer(proposer=row, by=user, confirm=True)
    assert proposal.events.filter(verb="cosign_confirmed").count() == 1
    with pytest.raises(ValidationError, match="您已答复过该邀请"):
        drafting.cosigner_answer(proposer=row, by=user, confirm=False)
    # the first proposer is told
    assert Notice.objects.filter(person=world.member.person, title__contains="已确认联名").exists()


def test_when_everyone_answered_the_proposal_is_a_draft_again(world, session):
    proposal = pf.draft(member=world.member, session=session)
    _invite(proposal, world)
    row = proposal.proposers.get(member=world.colleague)
    drafting.cosigner_answer(proposer=row, by=world.colleague.person.user, confirm=False)
    proposal.refresh_from_db()
    assert proposal.status == S.DRAFT
    row.refresh_from_db()
    assert row.status == Proposer.Status.DECLINED


def test_a_late_answer_is_refused_and_the_invitation_expires(world, session):
    proposal = pf.draft(member=world.member, session=session)
    _invite(proposal, world, days=1)
    row = proposal.proposers.get(member=world.colleague)
    later = timezone.now() + datetime.timedelta(days=2)
    with pytest.raises(ValidationError, match="联名确认已过截止时间"):
        drafting.cosigner_answer(
            proposer=row, by=world.colleague.person.user, confirm=True, now=later
        )
    row.refresh_from_db()
    proposal.refresh_from_db()
    assert row.status == Proposer.Status.EXPIRED and proposal.status == S.DRAFT


def test_submission_waits_for_invitees_until_the_deadline(world, session):
    proposal = pf.draft(member=world.member, session=session)
    _invite(proposal, world, days=1)
    user = world.member.person.user
    with pytest.raises(ValidationError, match="还有联名提案人未答复"):
        drafting.proposal_submit(proposal=proposal, by=user)
    later = timezone.now() + datetime.timedelta(days=1, hours=1)
    proposal = drafting.proposal_submit(proposal=proposal, by=user, now=later)
    assert proposal.status == S.SUBMITTED
    assert proposal.proposers.get(member=world.colleague).status == "expired"


def test_proposers_expire_for_the_beat_task(world, session):
    proposal = pf.draft(member=world.member, session=session)
    _invite(proposal, world, world.colleague, world.other_member, days=1)
    assert drafting.proposers_expire(timezone.now()) == 0
    assert drafting.proposers_expire(timezone.now() + datetime.timedelta(days=2)) == 2
    assert drafting.proposers_expire(timezone.now() + datetime.timedelta(days=2)) == 0
    proposal.refresh_from_db()
    assert proposal.status == S.DRAFT


# Submission ------------------------------------------------------------------------


def test_submitting_twice_is_harmless(world, session):
    proposal = pf.draft(member=world.member, session=session)
    user = world.member.person.user
    first = drafting.proposal_submit(proposal=proposal, by=user)
    second = drafting.proposal_submit(proposal=proposal, by=user)
    assert first.submitted_at == second.submitted_at
    assert ProposalEvent.objects.filter(proposal=proposal, verb="submitted").count() == 1


def test_a_plenary_proposal_is_submitted_only_during_the_plenary(world):
    today = timezone.localdate()
    closed = f.PlenarySessionFactory(
        term=world.term,
        year=today.year,
        starts_on=today - datetime.timedelta(days=20),
        ends_on=today - datetime.timedelta(days=17),
    )
    proposal = pf.draft(member=world.member, session=closed, kind=Proposal.Kind.PLENARY)
    with pytest.raises(ValidationError, match="大会提案只能在全体会议期间"):
        drafting.proposal_submit(proposal=proposal, by=world.member.person.user)
    inside = pf.open_session(world.term)
    ok = pf.draft(member=world.member, session=inside, kind=Proposal.Kind.PLENARY)
    assert drafting.proposal_submit(proposal=ok, by=world.member.person.user).status == S.SUBMITTED


def test_a_regular_proposal_belongs_to_the_session_of_its_year(world):
    last_year = f.PlenarySessionFactory(term=world.term, year=timezone.localdate().year - 1)
    proposal = pf.draft(member=world.member, session=last_year)
    with pytest.raises(ValidationError, match="平时提案应归入本年度"):
        drafting.proposal_submit(proposal=proposal, by=world.member.person.user)


def test_withdrawal_is_a_state_and_nothing_is_deleted(world, session):
    proposal = pf.submitted(member=world.member, session=session)
    user = world.member.person.user
    drafting.proposal_withdraw(proposal=proposal, by=user)
    drafting.proposal_withdraw(proposal=proposal, by=user)
    proposal.refresh_from_db()
    assert proposal.status == S.WITHDRAWN
    assert proposal.events.filter(verb="withdrawn").count() == 1


def test_an_accepted_proposal_cannot_be_withdrawn(world, session):
    proposal = pf.accepted(member=world.member, session=session, staff=world.staff)
    with pytest.raises(ValidationError, match="提案已审查,不能撤回"):
        drafting.proposal_withdraw(proposal=proposal, by=world.member.person.user)


# Topics -------------------------------------------------------------------------------


def test_topics_are_registered_before_the_plenary_once_per_title(world):
    future = pf.future_session(world.term)
    topic = drafting.topic_register(
        session=future,
        by=world.member.person.user,
        title="养老服务",
        category="society",
        member=world.member,
    )
    assert topic.status == Topic.Status.REGISTERED
    with pytest.raises(ValidationError) as error:
        drafting.topic_register(
            session=future,
            by=world.colleague.person.user,
            title="养老服务",
            category="society",
            member=world.colleague,
        )
    assert error.value.message_dict == {"title": ["该选题已有人登记"]}
    drafting.topic_withdraw(topic=topic, by=world.member.person.user)
    again = drafting.topic_register(
        session=future,
        by=world.colleague.person.user,
        title="养老服务",
        category="society",
        member=world.colleague,
    )
    assert again.pk != topic.pk


def test_no_topics_once_the_plenary_has_opened(world, session):
    with pytest.raises(ValidationError) as error:
        drafting.topic_register(
            session=session,
            by=world.member.person.user,
            title="x",
            category="society",
            member=world.member,
        )
    assert error.value.message_dict == {"session": ["全体会议已开幕,选题登记已截止"]}


def test_a_used_topic_cannot_be_withdrawn(world):
    future = pf.future_session(world.term)
    topic = drafting.topic_register(
        session=future,
        by=world.member.person.user,
        title="t",
        category="society",
        member=world.member,
    )
    pf.draft(member=world.member, session=future, topic=topic)
    with pytest.raises(ValidationError, match="已形成提案"):
        drafting.topic_withdraw(topic=topic, by=world.member.person.user)
