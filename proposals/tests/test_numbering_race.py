"""Staff accepting proposals at the same moment, on PostgreSQL (real threads,
each with its own connection): numbers are unique and gap-free."""

import threading

import pytest
from django.db import connection, connections

from proposals.models import Proposal, ProposalNumber
from proposals.services import review
from proposals.tests import factories as pf

pytestmark = pytest.mark.postgres


@pytest.fixture
def queue(transactional_db, world):
    if connection.vendor != "postgresql":
        pytest.skip("row locks are tested on PostgreSQL")
    session = pf.open_session(world.term)
    members = [world.member, world.colleague, world.other_member, world.convenor]
    return [pf.submitted(member=members[i % 4], session=session) for i in range(20)]


def test_twenty_concurrent_accepts_get_numbers_one_to_twenty(queue, world):
    start = threading.Barrier(len(queue))
    errors = []

    def accept(proposal):
        try:
            start.wait()
            review.proposal_accept(proposal=Proposal.objects.get(pk=proposal.pk), by=world.staff)
        except Exception as error:  # reported by the assertion below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=accept, args=(p,)) for p in queue]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert errors == []
    numbers = sorted(Proposal.objects.values_list("number", flat=True))
    assert numbers == list(range(1, 21))
    assert ProposalNumber.objects.get().last == 20


def test_double_clicks_racing_on_one_proposal_take_one_number(queue, world):
    proposal = queue[0]
    start = threading.Barrier(5)

    def accept():
        try:
            start.wait()
            review.proposal_accept(proposal=Proposal.objects.get(pk=proposal.pk), by=world.staff)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=accept) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    proposal.refresh_from_db()
    assert proposal.number == 1
    assert ProposalNumber.objects.get().last == 1
    assert proposal.events.filter(verb="accepted").count() == 1
