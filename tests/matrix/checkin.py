"""Rows for QR check-in, the sign-in sheet import and the calendar feed."""

import datetime

from django.utils import timezone

from duties.calendar import calendar_feed_reset
from duties.checkin import checkin_token, checkin_window
from duties.models import Activity
from duties.services import activity_publish
from tests import factories as f
from tests.matrix import Row


def prepare(world):
    # Under way now (check-in is open), for the whole body's members.
    now = timezone.now()
    activity = f.ActivityFactory(
        term=world.term,
        status=Activity.Status.DRAFT,
        theme="扫码签到测试活动",
        starts_at=now - datetime.timedelta(minutes=10),
        ends_at=now + datetime.timedelta(hours=2),
        signup_deadline=None,
        created_by=world.staff,
    )
    world.checkin_activity = activity_publish(activity=activity, by=world.staff)
    world.calendar_feed = calendar_feed_reset(person=world.member.person)


def _activity(w):
    return {"pk": w.checkin_activity.pk}


def _code(w):
    window = checkin_window(timezone.now())
    pk = w.checkin_activity.pk
    return {"pk": pk, "window": window, "token": checkin_token(activity_id=pk, window=window)}


STAFF_ONLY = "302 403 403 403 200 404 403 200 404"
LOGGED_IN_405 = "302 405 405 405 405 405 405 405 405"

ROWS = {
    "duties:checkin_screen": Row(_activity, get=STAFF_ONLY, post=LOGGED_IN_405),
    "duties:checkin_qr": Row(_activity, get=STAFF_ONLY, post=LOGGED_IN_405),
    # Members of the term check in (200); office users hold no seat: a refusal page (403).
    # GET records the attendance: HEAD is refused like every other method.
    "duties:checkin": Row(
        _code,
        get="302 200 200 200 403 404 403 403 404",
        post="405 405 405 405 405 405 405 405 405",
        other={"head": "405 405 405 405 405 405 405 405 405"},
    ),
    "duties:sheet_import": Row(_activity, get=STAFF_ONLY, post=STAFF_ONLY),
    "duties:sheet_import_confirm": Row(
        _activity, get=LOGGED_IN_405, post="302 403 403 403 302 404 403 302 404"
    ),
    "duties:calendar": Row(None, get="302 200 200 200 200 200 200 200 200", post=LOGGED_IN_405),
    "duties:calendar_reset": Row(
        None, get=LOGGED_IN_405, post="302 302 302 302 403 403 403 403 403"
    ),
    "duties:calendar_feed": Row(
        lambda w: {"token": w.calendar_feed.token},
        get="200 200 200 200 200 200 200 200 200",
        post="405 405 405 405 405 405 405 405 405",
    ),
}
