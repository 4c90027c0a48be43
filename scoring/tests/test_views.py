"""The rulebook pages: the list and a version for staff and leadership,
loading from pasted text and from a file, every error of an invalid file with
its place (and nothing saved), editing a published version (a new version,
the old one intact), publishing, and the list's cost in queries."""

from pathlib import Path

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from duties.services import activity_kinds_ensure_defaults
from scoring import services
from scoring.models import Rulebook

R1 = (Path(services.__file__).parent / "rulebooks" / "r1.yaml").read_text(encoding="utf-8")

EDITED = R1.replace("name: R1 基本分", "name: R1 修订 基本分", 1)

# Three mistakes on three lines: an unknown category, an unknown fact kind and
# a misspelt key.
INVALID = """\
format: 1
name: 有错的规则
year: 2025
categories:
- {code: c, name: 类别}
items:
- code: a
  name: 甲
  category: nope
  kind: activity.attended
  points: 1
- code: b
  name: 乙
  category: c
  kind: no.such_kind
  points: 1
- code: d
  name: 丁
  category: c
  kind: activity.attended
  pionts: 1
"""


@pytest.fixture
def body(world):
    activity_kinds_ensure_defaults(body=world.body)
    return world.body


def _published(world, body, text=R1, year=2025) -> Rulebook:
    text = text.replace("year: 2025", f"year: {year}")
    return services.rulebook_load(body=body, year=year, text=text, by=world.staff, publish=True)


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_the_list_shows_every_version_with_its_status_to_staff(client, world, body):
    first = _published(world, body)
    second = services.rulebook_edit(rulebook=first, text=EDITED, by=world.staff)
    client.force_login(world.staff)

    response = client.get(reverse("scoring:rulebooks"))

    assert response.status_code == 200
    page = response.content.decode()
    assert reverse("scoring:rulebook_detail", args=[first.pk]) in page
    assert reverse("scoring:rulebook_detail", args=[second.pk]) in page
    assert "已发布" in page and "草稿" in page
    assert "导入规则" in page


def test_leadership_reads_the_list_and_a_version_but_cannot_change_it(client, world, body):
    rulebook = _published(world, body)
    client.force_login(world.leader)

    listed = client.get(reverse("scoring:rulebooks"))
    shown = client.get(reverse("scoring:rulebook_detail", args=[rulebook.pk]))

    assert reverse("scoring:rulebook_detail", args=[rulebook.pk]) in listed.content.decode()
    assert "导入规则" not in listed.content.decode()
    page = shown.content.decode()
    assert "R1 基本分" in page and "修改" not in page
    assert client.get(reverse("scoring:rulebook_edit", args=[rulebook.pk])).status_code == 403


def test_leadership_find_the_scoring_pages_in_their_menu(client, world):
    client.force_login(world.leader)
    menu = client.get(reverse("home")).content.decode()
    assert "履职考核" in menu
    for name in ("scoring:annual_index", "scoring:periods", "scoring:rulebooks"):
        assert f'href="{reverse(name)}"' in menu
        assert client.get(reverse(name), follow=True).status_code == 200
    client.force_login(world.member.person.user)
    assert "履职考核" not in client.get(reverse("home")).content.decode()


def test_the_detail_shows_the_text_a_summary_and_a_download(client, world, body):
    rulebook = _published(world, body)
    client.force_login(world.staff)

    page = client.get(reverse("scoring:rulebook_detail", args=[rulebook.pk])).content.decode()
    download = client.get(reverse("scoring:rulebook_download", args=[rulebook.pk]))

    assert "plenary_absent" in page  # the text
    assert "从 70 分起扣" in page and "参加活动" in page  # categories with caps
    assert "优秀" in page and "≥ 85" in page  # grade bands
    assert reverse("scoring:rulebook_edit", args=[rulebook.pk]) in page
    assert reverse("scoring:rulebook_publish", args=[rulebook.pk]) not in page  # not a draft
    assert download["Content-Disposition"].startswith("attachment")
    assert download.content.decode() == R1


def test_staff_load_a_draft_from_pasted_text(client, world, body):
    client.force_login(world.staff)

    response = client.post(
        reverse("scoring:rulebook_new"), {"body": body.pk, "year": 2025, "text": R1}
    )

    rulebook = Rulebook.objects.get()
    assert response.url == reverse("scoring:rulebook_detail", args=[rulebook.pk])
    assert (rulebook.version, rulebook.status, rulebook.created_by) == (1, "draft", world.staff)
    assert _messages(response) == ["已导入第 1 版(草稿)"]


def test_staff_load_and_publish_from_an_uploaded_file(client, world, body):
    client.force_login(world.staff)
    upload = SimpleUploadedFile("r1.yaml", R1.encode("utf-8"), content_type="application/yaml")

    response = client.post(
        reverse("scoring:rulebook_new"),
        {"body": body.pk, "year": 2025, "file": upload, "publish": "on"},
    )

    rulebook = Rulebook.objects.get()
    assert response.status_code == 302
    assert (rulebook.source, rulebook.status) == (R1, "published")


def test_an_invalid_file_shows_every_error_with_its_place_and_saves_nothing(client, world, body):
    client.force_login(world.staff)
    upload = SimpleUploadedFile("bad.yml", INVALID.encode("utf-8"))

    response = client.post(
        reverse("scoring:rulebook_new"), {"body": body.pk, "year": 2025, "file": upload}
    )

    assert response.status_code == 200
    assert Rulebook.objects.count() == 0
    errors = response.context["form"].errors["text"]
    assert len(errors) >= 3
    for path, line in (("items[0].category", 9), ("items[1].kind", 15), ("items[2]", 21)):
        assert any(e.startswith(path) and f"第 {line} 行" in e for e in errors), (path, errors)
    page = response.content.decode()
    assert all(e in page for e in errors)


def test_a_file_that_is_not_utf8_is_refused_in_chinese(client, world, body):
    client.force_login(world.staff)
    upload = SimpleUploadedFile("r1.yaml", R1.encode("gbk"))

    response = client.post(
        reverse("scoring:rulebook_new"), {"body": body.pk, "year": 2025, "file": upload}
    )

    assert response.status_code == 200
    assert "UTF-8" in response.context["form"].errors["file"][0]
    assert Rulebook.objects.count() == 0


def test_editing_a_published_version_makes_version_2_and_keeps_version_1(client, world, body):
    first = _published(world, body)
    client.force_login(world.staff)

    form = client.get(reverse("scoring:rulebook_edit", args=[first.pk]))
    response = client.post(reverse("scoring:rulebook_edit", args=[first.pk]), {"text": EDITED})

    assert "plenary_absent" in form.context["form"]["text"].value()
    second = Rulebook.objects.get(version=2)
    assert response.url == reverse("scoring:rulebook_detail", args=[second.pk])
    assert (second.status, second.source) == ("draft", EDITED)
    first.refresh_from_db()
    assert (first.status, first.source) == ("published", R1)
    assert "第 2 版" in _messages(response)[0]


def test_an_invalid_edit_lists_the_errors_and_changes_nothing(client, world, body):
    first = _published(world, body)
    client.force_login(world.staff)

    response = client.post(reverse("scoring:rulebook_edit", args=[first.pk]), {"text": INVALID})

    assert response.status_code == 200
    assert len(response.context["form"].errors["text"]) >= 3
    assert Rulebook.objects.count() == 1


def test_publishing_a_draft_retires_the_version_in_force(client, world, body):
    first = _published(world, body)
    draft = services.rulebook_edit(rulebook=first, text=EDITED, by=world.staff)
    client.force_login(world.staff)

    page = client.get(reverse("scoring:rulebook_detail", args=[draft.pk])).content.decode()
    response = client.post(reverse("scoring:rulebook_publish", args=[draft.pk]))

    assert reverse("scoring:rulebook_publish", args=[draft.pk]) in page
    assert response.url == reverse("scoring:rulebook_detail", args=[draft.pk])
    first.refresh_from_db()
    draft.refresh_from_db()
    assert (first.status, draft.status) == ("retired", "published")
    assert services.rulebook_in_force(body_id=body.pk, year=2025) == draft


def test_the_list_does_not_grow_with_rulebooks(client, world, body, django_assert_num_queries):
    _published(world, body, year=2022)
    client.force_login(world.staff)
    # session, user, the viewer's roles and seats, the rulebooks with their body
    # and importer (select_related), the notices badge, the user's name, and
    # the session saved in a savepoint (3)
    with django_assert_num_queries(10):
        assert client.get(reverse("scoring:rulebooks")).status_code == 200
    for year in (2023, 2024, 2025, 2026):
        _published(world, body, year=year)
    with django_assert_num_queries(10):
        assert client.get(reverse("scoring:rulebooks")).status_code == 200
