import pytest
from django.urls import reverse

from sectors.models import Committee, PlenarySession, SectorGroup, Term
from tests import factories as f


@pytest.fixture
def staff_client(client, world):
    client.force_login(world.staff)
    return client


def test_staff_sees_their_body_organisation(world, staff_client):
    html = staff_client.get(reverse("sectors:body", args=[world.body.pk])).content.decode()
    assert world.group.name in html
    assert world.sector.name in html


def test_staff_of_another_body_gets_404(world, client):
    client.force_login(world.other_staff)
    assert client.get(reverse("sectors:body", args=[world.body.pk])).status_code == 404


def test_leadership_reads_but_cannot_write(world, client):
    client.force_login(world.leader)
    assert client.get(reverse("sectors:body", args=[world.body.pk])).status_code == 200
    response = client.post(
        reverse("sectors:create", args=["committee", world.term.pk]), {"name": "提案委员会"}
    )
    assert response.status_code == 403
    assert not Committee.objects.filter(name="提案委员会").exists()


def test_members_read_their_body_organisation_but_not_another(world, client):
    client.force_login(world.member.person.user)
    assert client.get(reverse("sectors:body", args=[world.body.pk])).status_code == 200
    assert client.get(reverse("sectors:body", args=[world.other_body.pk])).status_code == 404


def test_staff_adds_a_committee_and_a_session(world, staff_client):
    response = staff_client.post(
        reverse("sectors:create", args=["committee", world.term.pk]),
        {"name": "提案委员会", "order": 1},
    )
    assert response.status_code == 302
    assert Committee.objects.filter(term=world.term, name="提案委员会").exists()
    response = staff_client.post(
        reverse("sectors:create", args=["session", world.term.pk]),
        {"number": 5, "year": 2026, "starts_on": "2026-01-10", "ends_on": "2026-01-13"},
    )
    assert response.status_code == 302
    assert PlenarySession.objects.filter(term=world.term, number=5).exists()


def test_session_ending_before_it_starts_is_refused(world, staff_client):
    response = staff_client.post(
        reverse("sectors:create", args=["session", world.term.pk]),
        {"number": 6, "year": 2026, "starts_on": "2026-01-10", "ends_on": "2026-01-01"},
    )
    assert response.status_code == 200
    assert "闭幕日期不能早于开幕日期" in response.content.decode()


def test_duplicate_names_and_second_current_term_are_refused(world, staff_client):
    response = staff_client.post(
        reverse("sectors:create", args=["sector", world.term.pk]),
        {"name": world.sector.name, "order": 0},
    )
    assert "本届已有同名的界别" in response.content.decode()
    response = staff_client.post(
        reverse("sectors:create", args=["term", world.body.pk]),
        {"number": 16, "starts_on": "2027-01-01", "is_current": "on"},
    )
    assert "本政协已有一届标为本届" in response.content.decode()
    assert not Term.objects.filter(body=world.body, number=16).exists()


def test_group_covers_sectors_and_has_convenor_and_liaison(world, staff_client):
    response = staff_client.post(
        reverse("sectors:edit", args=["group", world.group.pk]),
        {
            "name": world.group.name,
            "sectors": [world.sector.pk, world.other_sector.pk],
            "convenor": world.convenor.pk,
            "liaison": world.colleague.pk,
            "order": 0,
        },
    )
    assert response.status_code == 302
    group = SectorGroup.objects.get(pk=world.group.pk)
    assert set(group.sectors.all()) == {world.sector, world.other_sector}
    assert group.liaison == world.colleague


def test_sector_with_members_cannot_be_deleted(world, staff_client):
    response = staff_client.post(
        reverse("sectors:delete", args=["sector", world.sector.pk]), follow=True
    )
    assert "不能删除" in response.content.decode()


def test_member_home_is_kept_per_body(world, staff_client):
    staff_client.post(
        reverse("sectors:create", args=["home", world.body.pk]),
        {"name": "城东委员之家", "address": "东大街1号"},
    )
    html = staff_client.get(reverse("sectors:body", args=[world.body.pk])).content.decode()
    assert "城东委员之家" in html


def test_unknown_kind_is_404(world, staff_client):
    assert (
        staff_client.get(reverse("sectors:create", args=["planet", world.term.pk])).status_code
        == 404
    )


def test_body_page_query_count_is_constant(world, staff_client, django_assert_max_num_queries):
    for _ in range(10):
        f.SectorGroupFactory(term=world.term)
        f.CommitteeFactory(term=world.term)
    with django_assert_max_num_queries(17):
        assert staff_client.get(reverse("sectors:body", args=[world.body.pk])).status_code == 200
