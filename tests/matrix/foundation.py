"""Rows for the foundation: members, accounts, notices, the roster, organisation."""

from django.core.files.base import ContentFile

from members.services import long_leave_grant, notice_send
from tests import factories as f
from tests.matrix import Row

# The smallest valid PNG: one transparent pixel.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6300010000050001"
    "0d0a2db40000000049454e44ae426082"
)


def prepare(world):
    world.member.person.photo.save("p.png", ContentFile(PNG), save=True)
    world.long_leave = long_leave_grant(
        by=world.staff,
        member=world.member,
        starts_on=world.member.joined_on,
        ends_on=world.member.joined_on,
        reason="病假",
    )
    world.committee = f.CommitteeFactory(term=world.term, name="提案委员会")
    notice_send(persons=[world.member.person], key="matrix", title="测试通知")
    world.notice = world.member.person.notices.get()


# Each download of personal data is logged (members.services.export_log_record):
# GET only, so a HEAD never logs an export nobody received.
_GET_ONLY_NO_HEAD = "302 405 405 405 405 405 405 405 405"


def _member(w):
    return {"pk": w.member.pk}


def _term(w):
    return {"term_id": w.term.pk}


ROWS = {
    "home": Row(
        None, get="302 200 200 200 200 200 200 200 200", post="302 405 405 405 405 405 405 405 405"
    ),
    "members:list": Row(
        None, get="302 200 200 200 200 200 200 200 200", post="302 405 405 405 405 405 405 405 405"
    ),
    "members:detail": Row(
        _member,
        get="302 200 200 200 200 404 200 200 404",
        post="302 405 405 405 405 405 405 405 405",
    ),
    "members:edit": Row(
        _member,
        get="302 403 403 403 200 404 403 200 404",
        post="302 403 403 403 200 404 403 200 404",
    ),
    "members:leave": Row(
        _member,
        get="302 403 403 403 200 404 403 200 404",
        post="302 403 403 403 200 404 403 200 404",
    ),
    "members:contact_edit": Row(
        lambda w: {"pk": w.colleague.pk},
        get="302 403 403 200 200 404 403 200 404",
        post="302 403 403 200 200 404 403 200 404",
    ),
    "members:photo": Row(
        _member,
        get="302 200 200 200 200 404 200 200 404",
        post="302 405 405 405 405 405 405 405 405",
    ),
    "members:reinstate": Row(
        _member,
        get="302 405 405 405 405 405 405 405 405",
        post="302 403 403 403 302 404 403 302 404",
    ),
    # the form again on POST: the leave of the world's member overlaps
    "members:long_leave_add": Row(
        _member,
        get="302 403 403 403 200 404 403 200 404",
        post="302 403 403 403 200 404 403 200 404",
        data=lambda w: {
            "starts_on": w.member.joined_on,
            "ends_on": w.member.joined_on,
            "reason": "x",
        },
    ),
    "members:long_leave_withdraw": Row(
        lambda w: {"pk": w.member.pk, "leave_pk": w.long_leave.pk},
        get="302 405 405 405 405 405 405 405 405",
        post="302 403 403 403 302 404 403 302 404",
    ),
    "members:honour_add": Row(
        _member,
        get="302 403 403 403 200 404 403 200 404",
        post="302 403 403 403 200 404 403 200 404",
    ),
    "members:create": Row(
        _term, get="302 403 403 403 200 404 403 200 404", post="302 403 403 403 200 404 403 200 404"
    ),
    "members:carry_over": Row(
        _term, get="302 403 403 403 200 404 403 200 404", post="302 403 403 403 200 404 403 200 404"
    ),
    "members:accounts": Row(
        None, get="302 403 403 403 200 200 403 200 403", post="302 403 403 403 200 200 403 200 403"
    ),
    "members:roster_import": Row(
        None, get="302 403 403 403 200 200 403 200 403", post="302 403 403 403 200 200 403 200 403"
    ),
    "members:roster_import_confirm": Row(
        None, get="302 405 405 405 405 405 405 405 405", post="302 403 403 403 302 302 403 302 403"
    ),
    "members:roster_export": Row(
        None,
        get="302 403 403 403 200 200 200 200 403",
        post="302 405 405 405 405 405 405 405 405",
        other={"head": _GET_ONLY_NO_HEAD},
    ),
    "members:directory_export": Row(
        None,
        get="302 200 200 200 200 200 200 200 403",
        post="302 405 405 405 405 405 405 405 405",
        other={"head": _GET_ONLY_NO_HEAD},
    ),
    "members:notices": Row(
        None, get="302 200 200 200 200 200 200 200 200", post="302 405 405 405 405 405 405 405 405"
    ),
    "members:notice_read": Row(
        lambda w: {"pk": w.notice.pk},
        get="302 405 405 405 405 405 405 405 405",
        post="302 302 404 404 404 404 404 404 404",
    ),
    "members:notice_read_all": Row(
        None, get="302 405 405 405 405 405 405 405 405", post="302 302 302 302 302 302 302 302 302"
    ),
    # One body: straight to its page; an admin sees the list of every body.
    "sectors:bodies": Row(
        None, get="302 302 302 302 302 302 302 200 200", post="302 405 405 405 405 405 405 405 405"
    ),
    "sectors:body": Row(
        lambda w: {"pk": w.body.pk},
        get="302 200 200 200 200 404 200 200 404",
        post="302 405 405 405 405 405 405 405 405",
    ),
    "sectors:create": Row(
        lambda w: {"kind": "committee", "parent_pk": w.term.pk},
        get="302 403 403 403 200 404 403 200 404",
        post="302 403 403 403 200 404 403 200 404",
    ),
    "sectors:edit": Row(
        lambda w: {"kind": "committee", "pk": w.committee.pk},
        get="302 403 403 403 200 404 403 200 404",
        post="302 403 403 403 200 404 403 200 404",
    ),
    "sectors:delete": Row(
        lambda w: {"kind": "committee", "pk": w.committee.pk},
        get="302 405 405 405 405 405 405 405 405",
        post="302 403 403 403 302 404 403 302 404",
    ),
}
