"""Rows for the activity menu, sign-up, the final list and attendance, and kinds."""

from duties import services
from tests import factories as f
from tests.matrix import Row


def prepare(world):
    world.activity = f.ActivityFactory(term=world.term, capacity=10)
    services.signup(activity=world.activity, member=world.colleague)
    services.leave_request(activity=world.activity, member=world.colleague, reason="出差")
    world.participation = world.activity.participations.get(member=world.colleague)
    world.kind = world.activity.kind


def _activity(w):
    return {"pk": w.activity.pk}


_SEATED_POST = "302 302 302 302 403 404 403 403 404"
_MANAGE_POST = "302 403 403 403 302 404 403 302 404"
_MANAGE_GET = "302 403 403 403 200 404 403 200 404"
_NOT_GET = "302 405 405 405 405 405 405 405 405"
_NOT_POST = _NOT_GET

ROWS = {
    "duties:menu": Row(None, get="302 200 200 200 200 200 200 200 200", post=_NOT_POST),
    "duties:activity_new": Row(
        None, get="302 403 403 200 200 200 403 200 403", post="302 403 403 200 200 200 403 200 403"
    ),
    "duties:activity": Row(_activity, get="302 200 200 200 200 404 200 200 404", post=_NOT_POST),
    "duties:activity_edit": Row(_activity, get=_MANAGE_GET, post=_MANAGE_GET),
    "duties:publish": Row(_activity, get=_NOT_GET, post=_MANAGE_POST),
    "duties:cancel": Row(_activity, get=_NOT_GET, post=_MANAGE_POST),
    "duties:confirm": Row(_activity, get=_NOT_GET, post=_MANAGE_POST),
    "duties:signup": Row(_activity, get=_NOT_GET, post=_SEATED_POST),
    "duties:withdraw": Row(_activity, get=_NOT_GET, post=_SEATED_POST),
    "duties:leave": Row(_activity, get=_NOT_GET, post=_SEATED_POST),
    "duties:attendance": Row(_activity, get=_MANAGE_GET, post=_MANAGE_POST),
    "duties:mark_all_present": Row(_activity, get=_NOT_GET, post=_MANAGE_POST),
    "duties:list_add": Row(_activity, get=_NOT_GET, post=_MANAGE_POST),
    "duties:list_remove": Row(
        _activity, get=_NOT_GET, post=_MANAGE_POST, data=lambda w: {"member": w.colleague.pk}
    ),
    "duties:leave_decide": Row(
        lambda w: {"pk": w.participation.pk},
        get=_NOT_GET,
        post=_MANAGE_POST,
        data={"decision": "approve"},
    ),
    "duties:kinds": Row(
        None, get="302 404 404 404 200 200 404 200 404", post="302 404 404 404 302 302 404 302 404"
    ),
    "duties:kind_new": Row(
        None, get="302 404 404 404 200 200 404 200 404", post="302 404 404 404 200 200 404 200 404"
    ),
    "duties:kind_edit": Row(
        lambda w: {"pk": w.kind.pk},
        get="302 403 403 403 200 404 403 200 404",
        post="302 403 403 403 200 404 403 200 404",
    ),
}
