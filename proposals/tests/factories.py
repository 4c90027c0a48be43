"""Proposals in each state for tests, made through the services so that the
proposers, numbers and events are what the application would have made."""

import datetime
import io

import factory
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from proposals.models import Category, HandlingUnit, Proposal
from proposals.services import drafting, review
from tests import factories as f


def open_session(term, **kwargs):
    """A plenary session of this year open today (its window around today)."""
    today = timezone.localdate()
    defaults = {
        "year": today.year,
        "starts_on": today - datetime.timedelta(days=1),
        "ends_on": today + datetime.timedelta(days=2),
    }
    return f.PlenarySessionFactory(term=term, **{**defaults, **kwargs})


def future_session(term, **kwargs):
    """A session of this year that opens in ten days (topics may be registered)."""
    today = timezone.localdate()
    defaults = {
        "year": today.year,
        "starts_on": today + datetime.timedelta(days=10),
        "ends_on": today + datetime.timedelta(days=13),
    }
    return f.PlenarySessionFactory(term=term, **{**defaults, **kwargs})


class HandlingUnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HandlingUnit

    body = factory.SubFactory(f.BodyFactory)
    name = factory.Sequence(lambda n: f"承办单位{n}")


def png_upload(name="photo.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def draft(*, member, session, title="关于加快城市更新的建议", **kwargs) -> Proposal:
    return drafting.proposal_draft_create(
        session=session,
        by=member.person.user,
        title=title,
        category=kwargs.pop("category", Category.ECONOMY),
        content=kwargs.pop("content", "一、现状。二、问题。三、建议。"),
        member=member,
        **kwargs,
    )


def submitted(*, member, session, **kwargs) -> Proposal:
    proposal = draft(member=member, session=session, **kwargs)
    return drafting.proposal_submit(proposal=proposal, by=member.person.user)


def accepted(*, member, session, staff, **kwargs) -> Proposal:
    proposal = submitted(member=member, session=session, **kwargs)
    return review.proposal_accept(proposal=proposal, by=staff)
