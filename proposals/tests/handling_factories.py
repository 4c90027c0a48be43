"""Proposals ready for handling, made directly (status accepted, number set)
so these tests do not lean on the drafting and review services; and handling
units with a contact login."""

import io
import itertools

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from proposals.models import Category, HandlingUnit, Proposal, Proposer, Routing
from proposals.services import handling
from tests import factories as f

_numbers = itertools.count(1)


def unit(body, name=None, *, contact=None) -> HandlingUnit:
    """A handling unit of `body`; with contact="username", a contact login too."""
    row = HandlingUnit.objects.create(body=body, name=name or f"承办单位{next(_numbers)}")
    if contact:
        row.contacts.add(f.UserFactory(username=contact, first_name="联系人"))
    return row


def contact_of(row: HandlingUnit):
    return row.contacts.order_by("pk").first()


def accepted(*, member, co=(), session=None, title="关于加快城市更新的建议") -> Proposal:
    """An accepted proposal of `member`'s body, first proposer `member`, the
    members in `co` as confirmed co-proposers."""
    session = session or f.PlenarySessionFactory(term=member.term)
    proposal = Proposal.objects.create(
        body=member.term.body,
        session=session,
        title=title,
        category=Category.ECONOMY,
        content="一、现状。二、问题。三、建议。",
        status=Proposal.Status.ACCEPTED,
        number=next(_numbers),
        created_by=member.person.user,
        submitted_at=timezone.now(),
        accepted_at=timezone.now(),
    )
    Proposer.objects.create(
        proposal=proposal,
        member=member,
        role=Proposer.Role.FIRST,
        status=Proposer.Status.CONFIRMED,
    )
    for order, other in enumerate(co, start=1):
        Proposer.objects.create(
            proposal=proposal,
            member=other,
            role=Proposer.Role.CO,
            status=Proposer.Status.CONFIRMED,
            order=order,
        )
    return proposal


def routed(*, member, by, units, co=(), **kwargs) -> tuple[Proposal, list[Routing]]:
    """Accepted and routed: one unit is sole; several are lead + assisting."""
    proposal = accepted(member=member, co=co)
    roles = (
        [(units[0], Routing.Role.SOLE)]
        if len(units) == 1
        else [(units[0], Routing.Role.LEAD)] + [(u, Routing.Role.ASSIST) for u in units[1:]]
    )
    routings = handling.routing_create(by=by, proposal=proposal, units=roles, **kwargs)
    proposal.refresh_from_db()
    return proposal, routings


def replied(*, member, by, units, result="A", **kwargs) -> tuple[Proposal, list[Routing]]:
    proposal, routings = routed(member=member, by=by, units=units, **kwargs)
    for routing in routings:
        handling.reply_submit(
            by=contact_of(routing.unit), routing=routing, result=result, text="已采纳,正在落实。"
        )
    proposal.refresh_from_db()
    return proposal, routings


def pdf_upload(name="答复函.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")


def png_upload(name="photo.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def fake_pdf(name="答复函.pdf") -> SimpleUploadedFile:
    """A file named .pdf that is not one."""
    return SimpleUploadedFile(name, b"MZ\x90\x00 not a pdf", content_type="application/pdf")
