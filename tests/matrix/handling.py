"""Rows for routing and handling: handling units and their contacts, routing,
the unit's inbox and routing page, replies, rating, closing and the overdue list.

prepare() adds the unit (world.unit) whose contact person is the matrix's
"unit" role (world.unit_contact)."""

import datetime

from django.utils import timezone

from proposals.models import Rating
from proposals.services import handling
from proposals.tests import handling_factories as hf
from tests.matrix import Row


def prepare(world):
    world.unit = hf.unit(world.body, "市住建局", contact="unitcontact")
    world.unit_contact = hf.contact_of(world.unit)
    world.spare_unit = hf.unit(world.body, "市交通局")
    world.routable = hf.accepted(member=world.member, title="待交办的提案")
    world.handled, [world.handled_routing] = hf.routed(
        member=world.member, by=world.staff, units=[world.unit]
    )
    world.answered, [answered_routing] = hf.routed(
        member=world.member, by=world.staff, units=[world.unit]
    )
    world.reply = handling.reply_submit(
        by=world.unit_contact,
        routing=answered_routing,
        result="A",
        text="已采纳",
        file=hf.pdf_upload(),
    )
    world.rated, [rated_routing] = hf.routed(
        member=world.member, by=world.staff, units=[world.spare_unit]
    )
    handling.reply_submit(by=world.staff, routing=rated_routing, result="B", text="列入计划")
    handling.rating_submit(
        by=world.member.person.user,
        proposal=world.rated,
        satisfaction=Rating.Satisfaction.SATISFIED,
    )


def _unit(w):
    return {"pk": w.unit.pk}


def _routing(w):
    return {"pk": w.handled_routing.pk}


def _later():
    return (timezone.localdate() + datetime.timedelta(days=30)).isoformat()


_NOT_GET = "302 405 405 405 405 405 405 405 405"
_NOT_POST = _NOT_GET
# A unit's contact person (the last role) does not manage units or route, and
# sees only the routings of its own unit.
_UNIT_MANAGE_GET = "302 403 403 403 200 404 403 200 404"
_UNIT_MANAGE_POST = "302 403 403 403 302 404 403 302 404"
_REVIEW_POST = "302 403 403 403 302 404 403 302 404"
# Only the unit's contacts act on a routing: staff read it, others get 403 / 404.
_UNIT_ACT = "302 403 403 403 403 404 403 403 302"

ROWS = {
    "proposals:units": Row(None, get="302 403 403 403 200 200 403 200 403", post=_NOT_POST),
    "proposals:unit_new": Row(
        None,
        get="302 403 403 403 200 200 403 200 403",
        post="302 403 403 403 302 200 403 302 403",
        data=lambda w: {"body": w.body.pk, "name": "市教育局", "is_active": "on"},
    ),
    "proposals:unit_edit": Row(
        _unit,
        get=_UNIT_MANAGE_GET,
        post=_UNIT_MANAGE_POST,
        data={"name": "市住房和城乡建设局", "is_active": "on"},
    ),
    "proposals:unit_contact_new": Row(
        _unit,
        get=_UNIT_MANAGE_GET,
        post=_UNIT_MANAGE_GET,  # the page with the set-password link
        data={"name": "李明", "username": "zjj-li"},
    ),
    "proposals:unit_contact_link": Row(
        _unit, get=_NOT_GET, post=_UNIT_MANAGE_GET, data=lambda w: {"user": w.unit_contact.pk}
    ),
    "proposals:unit_contact_remove": Row(
        _unit, get=_NOT_GET, post=_UNIT_MANAGE_POST, data=lambda w: {"user": w.unit_contact.pk}
    ),
    "proposals:inbox": Row(None, get="302 403 403 403 403 403 403 403 200", post=_NOT_POST),
    "proposals:overdue": Row(None, get="302 403 403 403 200 200 200 200 403", post=_NOT_POST),
    "proposals:routing": Row(_routing, get="302 403 403 403 200 404 403 200 200", post=_NOT_POST),
    "proposals:object": Row(
        _routing, get=_NOT_GET, post=_UNIT_ACT, data={"reason": "不属本单位职责"}
    ),
    "proposals:progress": Row(
        _routing, get=_NOT_GET, post=_UNIT_ACT, data={"text": "已召开协调会"}
    ),
    "proposals:reply": Row(
        _routing, get=_NOT_GET, post=_UNIT_ACT, data={"result": "A", "text": "已采纳"}
    ),
    "proposals:reassign": Row(
        _routing,
        get="302 403 403 403 200 404 403 200 403",
        post="302 403 403 403 302 404 403 302 403",
        data=lambda w: {"unit": w.spare_unit.pk, "deadline": _later()},
    ),
    "proposals:reply_file": Row(
        lambda w: {"pk": w.reply.pk}, get="302 200 200 200 200 404 200 200 200", post=_NOT_POST
    ),
    "proposals:route": Row(
        lambda w: {"pk": w.routable.pk},
        get="302 403 403 403 200 404 403 200 404",
        post=_REVIEW_POST,
        data=lambda w: {"lead_unit": w.unit.pk, "deadline": _later()},
    ),
    "proposals:rate": Row(
        lambda w: {"pk": w.answered.pk},
        get="302 200 403 403 200 404 403 200 403",  # staff record a paper rating (代录)
        post="302 302 403 403 302 404 403 302 403",
        data={"satisfaction": "satisfied"},
    ),
    "proposals:close": Row(lambda w: {"pk": w.rated.pk}, get=_NOT_GET, post=_REVIEW_POST),
}
