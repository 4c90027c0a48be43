"""Rows for social-information reports.

The member persona wrote `report` (submitted, for acceptance, withdrawal and
not-used), `handled` (accepted, for the bulletin, adoptions and instructions)
and `draft`; the convenor persona convenes the member's group but is not the
author of a member's report, so sees none of them."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from reports import services
from reports.models import ReportAttachment
from reports.tests import factories as rf
from tests.matrix import Row


def prepare(world):
    world.report = rf.submitted(world.member, title="停车难")
    world.handled = rf.accepted(world.member, world.staff, title="公交线路")
    world.draft = rf.draft(world.member, title="草稿")
    world.report_attachment = ReportAttachment.objects.create(
        report=world.report, name="说明.pdf", content_type="application/pdf", size=9
    )
    world.report_attachment.file.save("x.pdf", SimpleUploadedFile("x.pdf", b"%PDF-1.4\n"))
    services.report_use(
        report=rf.accepted(world.member, world.staff, title="已编报"),
        by=world.staff,
        bulletin_year=timezone.localdate().year,
        bulletin_issue=1,
    )


def _report(w):
    return {"pk": w.report.pk}


def _handled(w):
    return {"pk": w.handled.pk}


def _draft(w):
    return {"pk": w.draft.pk}


GET_ONLY = "302 405 405 405 405 405 405 405 405"
POST_ONLY = GET_ONLY
EVERYONE = "302 200 200 200 200 200 200 200 200"
# The author, the body's staff and leadership, admins; nobody else learns it exists.
READ = "302 200 404 404 200 404 200 200 404"
# The author's own actions: office roles who see the report may not act for the author.
OWN_ACTION = "302 302 404 404 403 404 403 403 404"
OWN_DRAFT_FORM = "302 200 404 404 404 404 404 404 404"
OWN_DRAFT_ACTION = "302 302 404 404 404 404 404 404 404"
STAFF_FORM = "302 403 404 404 200 404 403 200 404"
STAFF_ACTION = "302 403 404 404 302 404 403 302 404"
# Pages of the office roles: staff (of any body: their own body's) read and handle.
OFFICE_READ = "302 403 403 403 200 200 200 200 403"
STAFF_PAGE = "302 403 403 403 200 200 403 200 403"


def _today(w):
    return timezone.localdate().isoformat()


ROWS = {
    "reports:mine": Row(None, get=EVERYONE, post=GET_ONLY),
    # Members write for themselves, convenors also for their group, staff for
    # their body's groups (the other body has none); leadership writes nothing.
    # The posted author is the member's seat: only the member saves it.
    "reports:create": Row(
        None,
        get="302 200 200 200 200 403 403 200 403",
        post="302 302 200 200 200 403 403 200 403",
        data=lambda w: {"author": f"m{w.member.pk}", "title": "新信息", "content": "内容"},
    ),
    "reports:list": Row(None, get=EVERYONE, post=GET_ONLY),
    "reports:export": Row(None, get=OFFICE_READ, post=GET_ONLY),
    "reports:queue": Row(None, get=STAFF_PAGE, post=GET_ONLY),
    "reports:stats": Row(None, get=OFFICE_READ, post=GET_ONLY),
    "reports:bulletin": Row(
        lambda w: {"year": timezone.localdate().year, "issue": 1}, get=OFFICE_READ, post=GET_ONLY
    ),
    "reports:detail": Row(_report, get=READ, post=GET_ONLY),
    "reports:edit": Row(
        _draft, get=OWN_DRAFT_FORM, post=OWN_DRAFT_ACTION, data={"title": "改", "content": "改"}
    ),
    "reports:submit": Row(_draft, get=POST_ONLY, post=OWN_DRAFT_ACTION),
    "reports:withdraw": Row(_report, get=POST_ONLY, post=OWN_ACTION),
    "reports:accept": Row(_report, get=POST_ONLY, post=STAFF_ACTION),
    "reports:use": Row(
        _handled,
        get=STAFF_FORM,
        post=STAFF_ACTION,
        data=lambda w: {"bulletin_year": timezone.localdate().year, "bulletin_issue": 2},
    ),
    "reports:not_used": Row(_report, get=STAFF_FORM, post=STAFF_ACTION, data={"reason": "重复"}),
    "reports:adoption_add": Row(
        _handled,
        get=STAFF_FORM,
        post=STAFF_ACTION,
        data=lambda w: {"level": "city", "mode": "single", "adopted_on": _today(w)},
    ),
    "reports:instruction_add": Row(
        _handled,
        get=STAFF_FORM,
        post=STAFF_ACTION,
        data=lambda w: {"level": "city", "leader": "市长", "instructed_on": _today(w)},
    ),
    "reports:attachment": Row(lambda w: {"pk": w.report_attachment.pk}, get=READ, post=GET_ONLY),
}
