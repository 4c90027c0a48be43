"""The read replica (config/replica.py): opted-in read-only pages read from
it on GET; POSTs, other pages, transactions and reads after a write read the
primary. In tests the "replica" alias mirrors the test database (TEST MIRROR),
so it is a second connection to the same data, and each connection's query log
shows which one a page used."""

import pytest
from django.db import connections, transaction
from django.http import HttpResponse
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from config.replica import reads_from_replica, replica_reads
from members.models import Member, Notice
from tests import factories as f

YEAR = 2025
pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica"])


@pytest.fixture
def replica(settings):
    settings.READ_REPLICA = "replica"


class Logs:
    """The queries each connection ran inside the block."""

    def __enter__(self):
        self.primary = CaptureQueriesContext(connections["default"]).__enter__()
        self.replica = CaptureQueriesContext(connections["replica"]).__enter__()
        return self

    def __exit__(self, *exc):
        self.replica.__exit__(*exc)
        self.primary.__exit__(*exc)

    @staticmethod
    def sql(log) -> str:
        return "\n".join(q["sql"] for q in log.captured_queries)


@replica_reads
def count_members(request):
    if request.method == "POST":
        Notice.objects.create(person=Member.objects.first().person, key="replica", title="写入")
    return HttpResponse(str(Member.objects.count()))


def test_an_opted_in_page_reads_from_the_replica(client, world, replica):
    client.force_login(world.leader)
    with Logs() as logs:
        page = client.get(reverse("summaries:index"))
    assert page.status_code == 200
    assert "江城市政协" in page.content.decode()
    # the page's own reads ran on the replica ...
    assert '"sectors_body"' in Logs.sql(logs.replica)
    # ... the session and the user (middleware, before the view) on the primary
    assert '"sectors_body"' not in Logs.sql(logs.primary)
    assert '"django_session"' in Logs.sql(logs.primary)


def test_without_a_replica_nothing_changes(client, world):
    client.force_login(world.leader)
    with Logs() as logs:
        assert client.get(reverse("summaries:index")).status_code == 200
    assert logs.replica.captured_queries == []
    assert '"sectors_body"' in Logs.sql(logs.primary)


def test_a_page_that_did_not_opt_in_reads_the_primary(client, world, replica):
    client.force_login(world.member.person.user)
    with Logs() as logs:
        assert client.get(reverse("home")).status_code == 200
    assert logs.replica.captured_queries == []


def test_a_post_reads_and_writes_only_the_primary(world, replica):
    members = str(Member.objects.count()).encode()
    request = RequestFactory().post("/count/")
    with Logs() as logs:
        assert count_members(request).content == members
    assert logs.replica.captured_queries == []
    assert Notice.objects.filter(key="replica").count() == 1
    # the same view on GET reads from the replica
    with Logs() as logs:
        assert count_members(RequestFactory().get("/count/")).content == members
    assert '"members_member"' in Logs.sql(logs.replica)
    assert '"members_member"' not in Logs.sql(logs.primary)


def test_reads_after_a_write_and_inside_a_transaction_go_to_the_primary(world, replica):
    with reads_from_replica():
        assert Member.objects.get(pk=world.member.pk)._state.db == "replica"
        with transaction.atomic():
            assert Member.objects.get(pk=world.member.pk)._state.db == "default"
        Notice.objects.create(person=world.member.person, key="write", title="写入")
        # a replica that lags would not have it yet: the primary answers from now on
        assert Notice.objects.get(key="write")._state.db == "default"
        assert Member.objects.get(pk=world.member.pk)._state.db == "default"
    assert Member.objects.get(pk=world.member.pk)._state.db == "default"


def test_the_opted_in_pages_work_on_the_replica(client, world, replica):
    f.MemberFactory.create_batch(3, term=world.term, sector=world.sector)
    client.force_login(world.staff)
    pages = [
        reverse("members:list"),
        reverse("summaries:index"),
        reverse("summaries:annual", args=[world.body.pk, YEAR]),
        reverse("summaries:quarter", args=[world.body.pk, YEAR, 1]),
        reverse("summaries:sector", args=[world.body.pk, YEAR, world.sector.pk]),
        reverse("summaries:group", args=[world.body.pk, YEAR, world.group.pk]),
        reverse("summaries:lower", args=[world.body.pk, YEAR]),
    ]
    for url in pages:
        with Logs() as logs:
            page = client.get(url)
        assert page.status_code == 200, url
        assert logs.replica.captured_queries, url
    assert world.colleague.person.name in client.get(reverse("members:list")).content.decode()
