"""Rows for the leadership summaries (履职总结): the body's staff and
leadership read its summaries and the pack, and a group's convenor reads
that group's page; members and accounts without a seat get 403, staff of the
lower body learn nothing of the upper one (404). Every page is GET only.
The body's 2024 assessment (computed by the annual area's prepare) gives
the pages real rows."""

from tests.matrix import Row

YEAR = 2024


def _body_year(w):
    return {"body_pk": w.body.pk, "year": YEAR}


NO_POST = "302 405 405 405 405 405 405 405 405"
READ = "302 403 403 403 200 404 200 200 403"

ROWS = {
    # a convenor goes to their group's page; staff of the lower body pick their own
    "summaries:index": Row(None, get="302 403 403 302 200 200 200 200 403", post=NO_POST),
    "summaries:annual": Row(_body_year, get=READ, post=NO_POST),
    "summaries:quarter": Row(lambda w: {**_body_year(w), "quarter": 1}, get=READ, post=NO_POST),
    "summaries:sector": Row(
        lambda w: {**_body_year(w), "sector_pk": w.sector.pk}, get=READ, post=NO_POST
    ),
    # the convenor of world.group reads its page
    "summaries:group": Row(
        lambda w: {**_body_year(w), "group_pk": w.group.pk},
        get="302 403 403 200 200 404 200 200 403",
        post=NO_POST,
    ),
    "summaries:lower": Row(_body_year, get=READ, post=NO_POST),
    "summaries:annual_pack": Row(_body_year, get=READ, post=NO_POST),
    "summaries:annual_pack_pdf": Row(_body_year, get=READ, post=NO_POST),
}
