"""Rows for drafting, joint signing, review, the lists, export and statistics
of proposals (the routing and handling URLs have their own module)."""

import datetime

from django.utils import timezone

from proposals.models import ProposalAttachment
from proposals.services import drafting
from proposals.tests import factories as pf
from tests.matrix import Row


def prepare(world):
    world.p_session = pf.open_session(world.term)
    world.p_draft = pf.draft(
        member=world.member, session=world.p_session, attachments=[pf.png_upload()]
    )
    world.p_attachment = ProposalAttachment.objects.get(proposal=world.p_draft)
    world.p_inviting = pf.draft(member=world.colleague, session=world.p_session)
    drafting.cosigner_invite(
        proposal=world.p_inviting,
        members=[world.member],
        by=world.colleague.person.user,
        deadline=timezone.now() + datetime.timedelta(days=3),
    )
    world.p_submitted = pf.submitted(member=world.colleague, session=world.p_session)
    world.p_accepted = pf.accepted(
        member=world.colleague, session=world.p_session, staff=world.staff
    )
    future = pf.future_session(world.term)
    world.p_topic = drafting.topic_register(
        session=future,
        by=world.member.person.user,
        title="矩阵选题",
        category="society",
        member=world.member,
    )


def _pk(attr):
    return lambda w: {"pk": getattr(w, attr).pk}


_ALL_GET = "302 200 200 200 200 200 200 200 200"
_NOT = "302 405 405 405 405 405 405 405 405"
_DRAFTERS = "302 200 200 200 200 200 403 200 403"
_OFFICE = "302 403 403 403 200 200 200 200 403"
_STAFF = "302 403 403 403 200 200 403 200 403"
# a draft of world.member: private to its proposer and the body's office
_PRIVATE_READ = "302 200 404 404 200 404 200 200 404"
_OWNER_FORM = "302 200 404 404 403 404 403 403 404"
_OWNER_POST = "302 302 404 404 403 404 403 403 404"
# a submitted proposal: public to the body's members, reviewed by its staff
_REVIEW_FORM = "302 403 403 403 200 404 403 200 404"
_REVIEW_POST = "302 403 403 403 302 404 403 302 404"

ROWS = {
    "proposals:list": Row(None, get=_ALL_GET, post=_NOT),
    "proposals:mine": Row(None, get=_ALL_GET, post=_NOT),
    "proposals:new": Row(None, get=_DRAFTERS, post=_DRAFTERS),
    "proposals:export": Row(None, get=_OFFICE, post=_NOT),
    "proposals:stats": Row(None, get=_OFFICE, post=_NOT),
    "proposals:review_queue": Row(None, get=_STAFF, post=_NOT),
    "proposals:topics": Row(None, get=_ALL_GET, post=_NOT),
    # other_staff: their body has no sector groups, and parties register no topics
    "proposals:topic_new": Row(
        None, get="302 200 200 200 200 403 403 200 403", post="302 200 200 200 200 403 403 200 403"
    ),
    "proposals:topic_withdraw": Row(
        _pk("p_topic"), get=_NOT, post="302 302 403 403 403 404 403 403 404"
    ),
    "proposals:attachment": Row(_pk("p_attachment"), get=_PRIVATE_READ, post=_NOT),
    "proposals:detail": Row(_pk("p_draft"), get=_PRIVATE_READ, post=_NOT),
    "proposals:edit": Row(_pk("p_draft"), get=_OWNER_FORM, post=_OWNER_FORM),
    "proposals:invite": Row(_pk("p_draft"), get=_OWNER_FORM, post=_OWNER_FORM),
    "proposals:submit": Row(_pk("p_draft"), get=_NOT, post=_OWNER_POST),
    "proposals:withdraw": Row(_pk("p_draft"), get=_NOT, post=_OWNER_POST),
    "proposals:answer": Row(
        _pk("p_inviting"), get=_NOT, post=_OWNER_POST, data={"decision": "confirm"}
    ),
    "proposals:accept": Row(_pk("p_submitted"), get=_NOT, post=_REVIEW_POST),
    "proposals:reject": Row(_pk("p_submitted"), get=_REVIEW_FORM, post=_REVIEW_FORM),
    "proposals:merge": Row(_pk("p_submitted"), get=_REVIEW_FORM, post=_REVIEW_FORM),
    "proposals:convert": Row(_pk("p_submitted"), get=_REVIEW_FORM, post=_REVIEW_FORM),
    "proposals:flag": Row(_pk("p_accepted"), get=_REVIEW_FORM, post=_REVIEW_FORM),
}
