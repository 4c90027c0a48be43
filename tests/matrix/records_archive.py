"""Rows for the member's annual duty record (年度履职档案), as a page and as a
PDF made on the server. The year is the annual area's 2024, computed under
the Hai'an rulebook, so the record shows real scores.

The member, their group's convenor, the body's staff and leadership and
admins read it; a member of another group, the staff of a lower body and a
handling unit learn nothing (404). Read-only: POST is refused."""

from tests.matrix import Row

YEAR = 2024


def _record(w):
    return {"member_id": w.member.pk, "year": YEAR}


READ = "302 200 404 200 200 404 200 200 404"
NO_POST = "302 405 405 405 405 405 405 405 405"

ROWS = {
    "summaries:member_record": Row(_record, get=READ, post=NO_POST),
    "summaries:member_record_pdf": Row(_record, get=READ, post=NO_POST),
}
