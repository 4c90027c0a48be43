"""View tests of handling: the unit contact's role (not in the matrix), the
forms round-trip, downloads, the panel on the proposal page and query counts."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from proposals.models import Proposal, Rating, Reply, Routing
from proposals.services import handling
from proposals.tests import handling_factories as hf

S = Proposal.Status
RS = Routing.Status


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def unit(world):
    return hf.unit(world.body, "市住建局", contact="zjj")


@pytest.fixture
def other_unit(world):
    return hf.unit(world.body, "市交通局", contact="jtj")


def later(days=30) -> str:
    return (timezone.localdate() + datetime.timedelta(days=days)).isoformat()


# --- staff: units, contacts, routing ------------------------------------------


def test_staff_add_a_unit_and_a_contact_who_gets_a_set_password_link(client, world):
    client.force_login(world.staff)
    response = client.post(
        reverse("proposals:unit_new"),
        {"body": world.body.pk, "name": "市住建局", "is_active": "on"},
    )
    unit = world.body.handling_units.get(name="市住建局")
    assert response.url == reverse("proposals:unit_edit", args=[unit.pk])

    response = client.post(
        reverse("proposals:unit_contact_new", args=[unit.pk]),
        {"name": "李明", "username": "zjj-li"},
    )
    assert response.status_code == 200
    assert "/accounts/password/reset/key/" in response.content.decode()
    contact = unit.contacts.get()
    assert (contact.username, contact.first_name) == ("zjj-li", "李明")
    assert not contact.has_usable_password()


def test_a_taken_username_is_a_field_error(client, world, unit):
    client.force_login(world.staff)
    response = client.post(
        reverse("proposals:unit_contact_new", args=[unit.pk]),
        {"name": "李明", "username": "member"},
    )
    assert response.status_code == 200
    assert "该用户名已被使用" in response.content.decode()


def test_a_removed_contact_loses_the_units_proposals(client, world, unit):
    proposal, _ = hf.routed(member=world.member, by=world.staff, units=[unit])
    contact = hf.contact_of(unit)
    client.force_login(world.staff)
    client.post(reverse("proposals:unit_contact_remove", args=[unit.pk]), {"user": contact.pk})
    client.force_login(contact)
    assert client.get(reverse("proposals:detail", args=[proposal.pk])).status_code == 404


def test_staff_route_an_accepted_proposal_to_a_lead_and_an_assisting_unit(
    client, world, unit, other_unit
):
    proposal = hf.accepted(member=world.member)
    client.force_login(world.staff)
    form = client.get(reverse("proposals:route", args=[proposal.pk]))
    assert form.status_code == 200
    assert handling.default_deadline().isoformat() in form.content.decode()
    response = client.post(
        reverse("proposals:route", args=[proposal.pk]),
        {"lead_unit": unit.pk, "assisting_units": [other_unit.pk], "deadline": later(60)},
    )
    assert response.url == reverse("proposals:detail", args=[proposal.pk])
    proposal.refresh_from_db()
    assert proposal.status == S.ROUTED
    assert sorted(proposal.routings.values_list("role", flat=True)) == ["assist", "lead"]


def test_the_lead_unit_cannot_also_assist(client, world, unit):
    proposal = hf.accepted(member=world.member)
    client.force_login(world.staff)
    response = client.post(
        reverse("proposals:route", args=[proposal.pk]),
        {"lead_unit": unit.pk, "assisting_units": [unit.pk], "deadline": later()},
    )
    assert response.status_code == 200
    assert "主办单位不能同时为协办单位" in response.content.decode()


def test_the_route_page_of_a_routed_proposal_sends_staff_back(client, world, unit):
    proposal, _ = hf.routed(member=world.member, by=world.staff, units=[unit])
    client.force_login(world.staff)
    response = client.get(reverse("proposals:route", args=[proposal.pk]))
    assert response.url == reverse("proposals:detail", args=[proposal.pk])


# --- the unit contact ---------------------------------------------------------


def test_a_contact_sees_only_proposals_routed_to_their_unit(client, world, unit, other_unit):
    mine, [my_routing] = hf.routed(member=world.member, by=world.staff, units=[unit])
    theirs, [their_routing] = hf.routed(member=world.member, by=world.staff, units=[other_unit])
    not_routed = hf.accepted(member=world.member)
    client.force_login(hf.contact_of(unit))

    inbox = client.get(reverse("proposals:inbox"))
    assert inbox.status_code == 200
    assert mine.title in inbox.content.decode()
    assert list(inbox.context["page"]) == [my_routing]

    assert client.get(reverse("proposals:detail", args=[mine.pk])).status_code == 200
    assert client.get(reverse("proposals:routing", args=[my_routing.pk])).status_code == 200
    for pk in (theirs.pk, not_routed.pk):
        assert client.get(reverse("proposals:detail", args=[pk])).status_code == 404
    assert client.get(reverse("proposals:routing", args=[their_routing.pk])).status_code == 404
    for name in ("reply", "progress", "object"):
        url = reverse(f"proposals:{name}", args=[their_routing.pk])
        assert client.post(url, {"result": "A", "text": "x", "reason": "x"}).status_code == 404
    assert not Reply.objects.exists()
    # staff pages are not theirs
    assert client.get(reverse("proposals:units")).status_code == 403
    assert client.get(reverse("proposals:overdue")).status_code == 403
    assert client.get(reverse("proposals:route", args=[not_routed.pk])).status_code == 404
    assert client.get(reverse("proposals:reassign", args=[my_routing.pk])).status_code == 403
    assert client.post(reverse("proposals:close", args=[mine.pk])).status_code == 403
    assert client.get(reverse("proposals:rate", args=[mine.pk])).status_code == 403


def test_a_contact_records_progress_and_replies_with_a_letter(client, world, unit, media):
    proposal, [routing] = hf.routed(member=world.member, by=world.staff, units=[unit])
    client.force_login(hf.contact_of(unit))
    page = client.get(reverse("proposals:routing", args=[routing.pk]))
    assert 'data-testid="reply-form"' in page.content.decode()

    response = client.post(
        reverse("proposals:progress", args=[routing.pk]), {"text": "已召开协调会"}
    )
    assert response.url == reverse("proposals:routing", args=[routing.pk])
    response = client.post(
        reverse("proposals:reply", args=[routing.pk]),
        {"result": "B", "text": "已列入明年计划", "file": hf.pdf_upload()},
    )
    assert response.url == reverse("proposals:routing", args=[routing.pk])
    proposal.refresh_from_db()
    assert proposal.status == S.REPLIED
    reply = Reply.objects.get()

    # the first proposer downloads the letter; another body's staff cannot
    client.force_login(world.member.person.user)
    download = client.get(reverse("proposals:reply_file", args=[reply.pk]))
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert download["X-Content-Type-Options"] == "nosniff"
    client.force_login(world.other_staff)
    assert client.get(reverse("proposals:reply_file", args=[reply.pk])).status_code == 404


def test_a_letter_that_is_not_what_it_says_is_refused_on_the_form(client, world, unit, media):
    _, [routing] = hf.routed(member=world.member, by=world.staff, units=[unit])
    client.force_login(hf.contact_of(unit))
    response = client.post(
        reverse("proposals:reply", args=[routing.pk]),
        {"result": "A", "text": "答复", "file": hf.fake_pdf()},
    )
    assert response.status_code == 200
    assert "不是 JPEG、PNG 图片或 PDF 文件" in response.content.decode()
    assert not Reply.objects.exists()


def test_a_contact_objects_and_staff_reassign(client, world, unit, other_unit):
    proposal, [routing] = hf.routed(member=world.member, by=world.staff, units=[unit])
    client.force_login(hf.contact_of(unit))
    response = client.post(
        reverse("proposals:object", args=[routing.pk]), {"reason": "不属本单位职责"}
    )
    assert response.url == reverse("proposals:routing", args=[routing.pk])

    client.force_login(world.staff)
    overdue = client.get(reverse("proposals:overdue"))
    assert "不属本单位职责" in overdue.content.decode()
    response = client.post(
        reverse("proposals:reassign", args=[routing.pk]),
        {"unit": other_unit.pk, "deadline": later()},
    )
    assert response.url == reverse("proposals:detail", args=[proposal.pk])

    # the old unit no longer sees it; the new one does
    client.force_login(hf.contact_of(unit))
    assert client.get(reverse("proposals:detail", args=[proposal.pk])).status_code == 404
    assert client.get(reverse("proposals:routing", args=[routing.pk])).status_code == 404
    client.force_login(hf.contact_of(other_unit))
    assert client.get(reverse("proposals:detail", args=[proposal.pk])).status_code == 200


def test_an_objection_after_the_window_shows_no_form_and_is_refused(client, world, unit, settings):
    settings.PROPOSAL_OBJECTION_DAYS = 7
    _, [routing] = hf.routed(member=world.member, by=world.staff, units=[unit])
    Routing.objects.filter(pk=routing.pk).update(
        routed_at=timezone.now() - datetime.timedelta(days=8)
    )
    client.force_login(hf.contact_of(unit))
    page = client.get(reverse("proposals:routing", args=[routing.pk]))
    assert reverse("proposals:object", args=[routing.pk]) not in page.content.decode()
    response = client.post(reverse("proposals:object", args=[routing.pk]), {"reason": "理由"})
    assert response.status_code == 200
    assert "异议期" in response.content.decode()
    routing.refresh_from_db()
    assert routing.status == RS.ROUTED


# --- the first proposer and closing -------------------------------------------


def test_the_first_proposer_rates_unsatisfied_and_the_unit_sees_it_come_back(client, world, unit):
    proposal, [routing] = hf.replied(
        member=world.member, co=[world.colleague], by=world.staff, units=[unit]
    )
    # the co-proposer may not rate
    client.force_login(world.colleague.person.user)
    assert (
        client.post(
            reverse("proposals:rate", args=[proposal.pk]), {"satisfaction": "satisfied"}
        ).status_code
        == 403
    )
    # the panel offers the first proposer the rating form
    client.force_login(world.member.person.user)
    detail = client.get(reverse("proposals:detail", args=[proposal.pk]))
    assert 'data-testid="rate-form"' in detail.content.decode()
    response = client.post(
        reverse("proposals:rate", args=[proposal.pk]),
        {"satisfaction": "unsatisfied", "comment": "未解决停车难"},
    )
    assert response.url == reverse("proposals:detail", args=[proposal.pk])
    proposal.refresh_from_db()
    assert proposal.status == S.REHANDLING

    client.force_login(hf.contact_of(unit))
    page = client.get(reverse("proposals:routing", args=[routing.pk]))
    body = page.content.decode()
    assert "未解决停车难" in body
    assert 'data-testid="reply-form"' in body


def test_unsatisfied_without_a_comment_is_a_field_error(client, world, unit):
    proposal, _ = hf.replied(member=world.member, by=world.staff, units=[unit])
    client.force_login(world.member.person.user)
    response = client.post(
        reverse("proposals:rate", args=[proposal.pk]), {"satisfaction": "unsatisfied"}
    )
    assert response.status_code == 200
    assert "不满意时请写明意见" in response.content.decode()


def test_staff_close_from_the_panel_and_a_refusal_is_a_message(client, world, unit):
    proposal, _ = hf.replied(member=world.member, by=world.staff, units=[unit])
    client.force_login(world.staff)
    detail = client.get(reverse("proposals:detail", args=[proposal.pk]))
    assert 'data-testid="waiting-rating"' in detail.content.decode()
    response = client.post(reverse("proposals:close", args=[proposal.pk]), follow=True)
    assert "尚未对答复测评" in response.content.decode()

    handling.rating_submit(
        by=world.member.person.user, proposal=proposal, satisfaction=Rating.Satisfaction.SATISFIED
    )
    detail = client.get(reverse("proposals:detail", args=[proposal.pk]))
    assert 'data-testid="close-form"' in detail.content.decode()
    client.post(reverse("proposals:close", args=[proposal.pk]), {"note": "已落实"})
    proposal.refresh_from_db()
    assert proposal.status == S.CLOSED


def test_the_panel_offers_staff_the_route_link(client, world):
    proposal = hf.accepted(member=world.member)
    client.force_login(world.staff)
    detail = client.get(reverse("proposals:detail", args=[proposal.pk]))
    assert reverse("proposals:route", args=[proposal.pk]) in detail.content.decode()
    client.force_login(world.member.person.user)
    detail = client.get(reverse("proposals:detail", args=[proposal.pk]))
    assert reverse("proposals:route", args=[proposal.pk]) not in detail.content.decode()


# --- query counts -------------------------------------------------------------


def _overdue_routings(world, unit, n):
    for _ in range(n):
        _, [routing] = hf.routed(member=world.member, by=world.staff, units=[unit])
        Routing.objects.filter(pk=routing.pk).update(
            deadline=timezone.localdate() - datetime.timedelta(days=2)
        )


@pytest.mark.parametrize("rows", [1, 12])
def test_the_inbox_runs_a_constant_number_of_queries(
    client, world, unit, rows, django_assert_num_queries
):
    _overdue_routings(world, unit, rows)
    client.force_login(hf.contact_of(unit))
    # session, user, the user's units, tab counts, page count, page rows with
    # proposal and unit; the navigation's roles (2), unread notices and the
    # user's person (none for a unit contact); the session save (3, with savepoints)
    for tab in ("pending", "overdue"):
        with django_assert_num_queries(13):
            response = client.get(reverse("proposals:inbox"), {"show": tab})
        assert len(response.context["page"]) == rows


@pytest.mark.parametrize("rows", [1, 12])
def test_the_overdue_list_runs_a_constant_number_of_queries(
    client, world, unit, rows, django_assert_num_queries
):
    _overdue_routings(world, unit, rows)
    client.force_login(world.staff)
    # session, user, roles (2), page count, page rows, objected rows, unread
    # notices, the user's person; the session save (3, with savepoints)
    with django_assert_num_queries(12):
        response = client.get(reverse("proposals:overdue"))
    assert len(response.context["page"]) == rows


def test_a_unit_contact_finds_the_inbox_in_the_navigation_and_on_the_home_page(client, world, unit):
    client.force_login(hf.contact_of(unit))
    html = client.get(reverse("home")).content.decode()
    inbox = reverse("proposals:inbox")
    assert html.count(f'href="{inbox}"') == 2  # the navigation and the home card
    assert reverse("duties:menu") not in html  # no member pages for a unit's contact


def test_members_get_no_unit_inbox_link_and_no_query_for_it(client, world, unit):
    client.force_login(world.member.person.user)
    with CaptureQueriesContext(connection) as queries:
        html = client.get(reverse("home")).content.decode()
    assert reverse("proposals:inbox") not in html
    assert reverse("proposals:mine") in html
    assert not [q for q in queries if "handlingunit_contacts" in q["sql"]]
