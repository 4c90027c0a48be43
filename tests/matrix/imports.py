"""Rows for the history imports (导入历史数据, summaries.import_views): staff of
any body (and admins) use them for the bodies they manage; leadership,
convenors, members and unit contacts never (403). A body the user does not
manage is 404 when they cannot read it."""

from tests.matrix import Row

NO_POST = "302 405 405 405 405 405 405 405 405"
NO_GET = NO_POST
STAFF_ONLY = "302 403 403 403 200 200 403 200 403"
ACTIVITIES = {"slug": "activities"}

ROWS = {
    "summaries:imports": Row(None, get=STAFF_ONLY, post=NO_POST),
    "summaries:import_template": Row(lambda w: ACTIVITIES, get=STAFF_ONLY, post=NO_POST),
    # No file: the form again with the field's error; another body's staff: 404.
    "summaries:import": Row(
        lambda w: ACTIVITIES,
        get=STAFF_ONLY,
        post="302 403 403 403 200 404 403 200 403",
        data=lambda w: {"body": w.body.pk},
    ),
    # A stale token: back to the upload with a message.
    "summaries:import_confirm": Row(
        lambda w: ACTIVITIES,
        get=NO_GET,
        post="302 403 403 403 302 302 403 302 403",
        data={"token": "stale"},
    ),
}
