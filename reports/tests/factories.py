"""Reports in each state for tests, made through the services."""

import datetime
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from proposals.models import Category, Proposal, Proposer
from reports import services
from tests import factories as f


def png_upload(name="photo.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def draft(member, *, title="关于老旧小区停车难的情况反映", **kwargs):
    return services.report_draft_create(
        by=member.person.user,
        title=title,
        content=kwargs.pop("content", "一、情况。二、问题。三、建议。"),
        author_member=member,
        **kwargs,
    )


def submitted(member, **kwargs):
    report = draft(member, **kwargs)
    return services.report_submit(report=report, by=member.person.user)


def accepted(member, staff, **kwargs):
    return services.report_accept(report=submitted(member, **kwargs), by=staff)


def used(member, staff, *, issue=3, **kwargs):
    return services.report_use(
        report=accepted(member, staff, **kwargs),
        by=staff,
        bulletin_year=timezone.localdate().year,
        bulletin_issue=issue,
        bulletin_text="",
    )


def proposal_for(world, *, member=None, group=None, title="关于优化公交线路的建议"):
    """A submitted proposal made directly (not through the proposals services)."""
    session = f.PlenarySessionFactory(term=world.term, year=timezone.localdate().year)
    proposal = Proposal.objects.create(
        body=world.body,
        session=session,
        title=title,
        category=Category.SOCIETY,
        content="公交线路覆盖不足,建议优化。",
        proposer_kind=Proposal.ProposerKind.GROUP if group else Proposal.ProposerKind.MEMBER,
        proposer_group=group,
        status=Proposal.Status.CONVERTED,
        converted_to=Proposal.ConvertedTo.REPORT,
        created_by=world.staff,
        submitted_at=timezone.now() - datetime.timedelta(days=2),
    )
    if member is not None:
        Proposer.objects.create(
            proposal=proposal,
            member=member,
            role=Proposer.Role.FIRST,
            status=Proposer.Status.CONFIRMED,
        )
    return proposal
