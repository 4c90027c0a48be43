"""Superusers see the messages waiting for the broker in the admin, and
nobody can edit or delete one there (that would lose the work)."""

from django.urls import reverse

from scoring.models import PendingTask


def test_a_superuser_sees_the_waiting_messages_and_cannot_change_them(client, world):
    row = PendingTask.objects.create(
        task="scoring.tasks.facts_refresh",
        kwargs={"member_ids": [world.member.pk]},
        attempts=3,
        last_error="Error 111 connecting to 127.0.0.1:6379. Connection refused.",
    )
    client.force_login(world.admin)

    listing = client.get(reverse("admin:scoring_pendingtask_changelist"))

    assert listing.status_code == 200
    html = listing.content.decode()
    assert "scoring.tasks.facts_refresh" in html
    assert "Connection refused" in html
    assert reverse("admin:scoring_pendingtask_add") not in html
    assert "delete_selected" not in html
    detail = client.get(reverse("admin:scoring_pendingtask_change", args=[row.pk]))
    assert detail.status_code == 200
    assert 'name="_save"' not in detail.content.decode()  # a view, not a form
    refused = client.post(
        reverse("admin:scoring_pendingtask_delete", args=[row.pk]), {"post": "yes"}
    )
    assert refused.status_code == 403
    assert PendingTask.objects.filter(pk=row.pk).exists()


def test_staff_without_the_superuser_flag_do_not_see_them(client, world):
    world.staff.is_staff = True
    world.staff.save(update_fields=["is_staff"])
    client.force_login(world.staff)

    assert client.get(reverse("admin:index")).status_code == 200
    assert "pendingtask" not in client.get(reverse("admin:index")).content.decode()
    assert client.get(reverse("admin:scoring_pendingtask_changelist")).status_code == 403
