"""Rows for consultations: 有事好商量 sessions and 云协商.

The group's convenor persona is also the member convenor of the session, so
the "convenor" column shows what a session's convenor may record; the member
persona takes part in the session and has commented online."""

import datetime

from django.utils import timezone

from consultations import services
from tests import factories as f
from tests.matrix import Row


def prepare(world):
    now = timezone.now()
    world.room = f.MemberHomeFactory(body=world.body, name="东坡社区议事室")
    world.consultation = services.consultation_create(
        term=world.term,
        topic="老旧小区加装电梯",
        room=world.room,
        starts_at=now - datetime.timedelta(days=2),
        ends_at=now - datetime.timedelta(days=2) + datetime.timedelta(hours=2),
        member_convenor=world.convenor,
        official_convenor_name="王科长",
        official_convenor_unit="区住建局",
        members=[world.member],
        by=world.staff,
    )
    world.outsider = services.outside_participant_add(
        consultation=world.consultation,
        name="李阿姨",
        unit="东坡小区",
        kind="resident",
        by=world.staff,
    )
    world.online = services.online_consultation_create(
        term=world.term,
        topic="城市公园夜间开放",
        opens_at=now - datetime.timedelta(days=1),
        closes_at=now + datetime.timedelta(days=7),
        by=world.staff,
    )
    world.comment = services.comment_post(online=world.online, member=world.member, text="赞成")


def _session(w):
    return {"pk": w.consultation.pk}


def _online(w):
    return {"pk": w.online.pk}


READ = "302 200 200 200 200 404 200 200 404"
READ_ALL = "302 200 200 200 200 200 200 200 200"
GET_ONLY = "302 405 405 405 405 405 405 405 405"
POST_ONLY = GET_ONLY
# Forms for staff of the body; other staff start their own in their body.
NEW = "302 403 403 403 200 200 403 200 403"
STAFF_FORM = "302 403 403 403 200 404 403 200 404"
STAFF_ACTION = "302 403 403 403 302 404 403 302 404"
# The session's member convenor records suggestions, the outcome and follow-up.
RECORD_FORM = "302 403 403 200 200 404 403 200 404"

ROWS = {
    "consultations:list": Row(None, get=READ_ALL, post=GET_ONLY),
    "consultations:create": Row(None, get=NEW, post=NEW),
    "consultations:detail": Row(_session, get=READ, post=GET_ONLY),
    "consultations:edit": Row(_session, get=STAFF_FORM, post=STAFF_FORM),
    "consultations:participant_add": Row(_session, get=STAFF_FORM, post=STAFF_FORM),
    "consultations:participant_remove": Row(
        lambda w: {"pk": w.consultation.pk, "member_pk": w.member.pk},
        get=POST_ONLY,
        post=STAFF_ACTION,
    ),
    "consultations:outsider_add": Row(_session, get=STAFF_FORM, post=STAFF_FORM),
    "consultations:outsider_remove": Row(
        lambda w: {"pk": w.outsider.pk}, get=POST_ONLY, post=STAFF_ACTION
    ),
    "consultations:suggestion_add": Row(_session, get=RECORD_FORM, post=RECORD_FORM),
    "consultations:outcome": Row(_session, get=RECORD_FORM, post=RECORD_FORM),
    "consultations:followup_add": Row(_session, get=RECORD_FORM, post=RECORD_FORM),
    "consultations:solve": Row(_session, get=POST_ONLY, post=STAFF_ACTION),
    "consultations:online_list": Row(None, get=READ_ALL, post=GET_ONLY),
    "consultations:online_create": Row(None, get=NEW, post=NEW),
    "consultations:online_detail": Row(_online, get=READ, post=GET_ONLY),
    "consultations:online_edit": Row(_online, get=STAFF_FORM, post=STAFF_FORM),
    # Members of the body's term comment; office roles hold no seat to comment from.
    "consultations:comment_post": Row(
        _online,
        get=POST_ONLY,
        post="302 302 302 302 403 404 403 403 404",
        data={"text": "建议延长开放时间"},
    ),
    "consultations:comment_hide": Row(
        lambda w: {"pk": w.comment.pk},
        get=STAFF_FORM,
        post=STAFF_ACTION,
        data={"reason": "与议题无关"},
    ),
}
