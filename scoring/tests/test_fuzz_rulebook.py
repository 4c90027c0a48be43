"""Rulebook files fuzzed through the real upload and edit pages and through
rulebook_load and rulebook_edit (issue 8, point 8). The parser alone is
fuzzed in test_roundtrip_and_fuzz.py; here every example also goes through
the form, the service, the database and the pages that show the result.

For every generated file: no server error; a refusal says why in Chinese and
writes nothing (every table of our apps keeps its row count); an accepted
file is stored whole (the stored source is the text, and it parses) and
loading it again stores nothing new. The budget: tests/fuzz.py."""

import copy
import json
import math

import pytest
import yaml
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from duties.services import activity_kinds_ensure_defaults
from scoring import services
from scoring.models import Rulebook
from scoring.rulebook import rulebook_parse
from tests.fuzz import Tally, assert_chinese, changed_tables, fuzz_settings, table_counts

from .makers import RULEBOOKS

YEAR = 2025
EXAMPLES = ["r1.yaml", "r2.yaml", "haian.yaml"]


@pytest.fixture
def staff(world):
    activity_kinds_ensure_defaults(body=world.body)
    return world


def example_tree(name, body):
    tree = yaml.safe_load((RULEBOOKS / name).read_text(encoding="utf-8"))
    tree["year"] = YEAR
    if "body" in tree:
        tree["body"] = body.name
    tree.pop("term", None)
    return tree


# Strategies ---------------------------------------------------------------------------------

hostile_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(10**400), max_value=10**400),
    st.floats(),  # NaN and infinities included
    st.decimals(allow_nan=True).map(str),
    st.text(max_size=30),
    st.sampled_from(
        [
            "activity.attended",
            "activity.absent",
            "proposal.accepted",
            "duty.verified",
            "mark",
            "basic",
            "bonus",
            "-5",
            "1e999",
            ".nan",
            "合格",
            "2025-01-01",
            "",
            "\u202e",
            "𠀀" * 20,
        ]
    ),
    st.just("长" * 100_000),
)
trees = st.recursive(
    hostile_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=25,
)


def _paths(node, path=()):
    yield path
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*path, index))


def _at(tree, path):
    for part in path:
        tree = tree[part]
    return tree


@st.composite
def mutated_trees(draw, body):
    """A real rulebook changed in up to four places: keys dropped or replaced,
    items duplicated (the same code twice), points made negative, NaN or huge,
    a value nested deep."""
    tree = example_tree(draw(st.sampled_from(EXAMPLES)), body)
    for _ in range(draw(st.integers(0, 4))):
        path = draw(st.sampled_from([p for p in _paths(tree) if p]))
        parent, key = _at(tree, path[:-1]), path[-1]
        op = draw(st.sampled_from(["drop", "replace", "replace", "duplicate", "points", "deep"]))
        if op == "drop":
            del parent[key]
        elif op == "replace":
            parent[key] = draw(trees)
        elif op == "duplicate" and isinstance(parent, list):
            parent.append(copy.deepcopy(parent[key]))
        elif op == "points" and isinstance(tree.get("items"), list) and tree["items"]:
            item = draw(st.sampled_from(tree["items"]))
            if isinstance(item, dict):
                field = draw(st.sampled_from(["points", "cap", "floor", "per"]))
                item[field] = draw(
                    st.sampled_from([-1, -(10**30), 10**30, math.nan, math.inf, 0.1, "五"])
                )
        elif op == "deep":
            value = draw(hostile_scalars)
            for _depth in range(draw(st.integers(10, 400))):
                value = [value] if draw(st.booleans()) else {"a": value}
            parent[key] = value
        if not isinstance(tree, dict):
            break
    return tree


def _yaml(tree) -> str:
    return yaml.safe_dump(tree, allow_unicode=True, sort_keys=False)


@st.composite
def texts(draw, body):
    """The file's bytes: mostly a mutated real rulebook in YAML or JSON, else anything."""
    kind = draw(
        st.sampled_from(["mutated", "mutated", "mutated", "example", "tree", "text", "bytes"])
    )
    if kind in ("mutated", "example"):
        tree = (
            draw(mutated_trees(body))
            if kind == "mutated"
            else example_tree(draw(st.sampled_from(EXAMPLES)), body)
        )
        as_json = draw(st.booleans())
        try:
            text = json.dumps(tree, ensure_ascii=False) if as_json else _yaml(tree)
        except (RecursionError, ValueError):
            text = json.dumps(tree, ensure_ascii=False, check_circular=False)
        return text.encode("utf-8")
    if kind == "tree":
        return json.dumps(draw(trees)).encode("utf-8")
    if kind == "text":
        return draw(st.text(max_size=300)).encode("utf-8")
    return draw(st.binary(max_size=600))


# The checks ---------------------------------------------------------------------------------


def _form_errors(response) -> list:
    form = response.context["form"]
    return [m for messages in form.errors.values() for m in messages]


def _load_or_refuse(w, text):
    """rulebook_load: stored whole, or refused in Chinese with nothing written."""
    before = table_counts()
    try:
        with transaction.atomic():
            rulebook = services.rulebook_load(body=w.body, year=YEAR, text=text, by=w.staff)
    except ValidationError as error:
        assert_chinese(error.messages)
        assert changed_tables(before, table_counts()) == {}
        return None
    assert rulebook.source == text and rulebook_parse(rulebook.source) is not None
    return rulebook


def check_upload(client, w, data: bytes, how: str, publish: bool, tally):
    with transaction.atomic():
        before = table_counts()
        latest = Rulebook.objects.order_by("-pk").first()
        post = {"body": w.body.pk, "year": YEAR}
        if publish:
            post["publish"] = "on"
        if how == "text":
            post["text"] = data.decode("utf-8", errors="replace")
        else:
            post["file"] = SimpleUploadedFile(f"规则{how}", data)
        response = client.post(reverse("scoring:rulebook_new"), post)
        assert response.status_code in (200, 302)
        tally("refused" if response.status_code == 200 else "stored")
        if response.status_code == 200:
            assert_chinese(_form_errors(response))
            assert changed_tables(before, table_counts()) == {}
        else:
            rulebook = Rulebook.objects.order_by("-pk").first()
            assert rulebook != latest
            assert rulebook_parse(rulebook.source) is not None
            # the pages that show it render
            for name in ("scoring:rulebook_detail", "scoring:rulebook_edit"):
                assert client.get(reverse(name, args=[rulebook.pk])).status_code == 200
            after = table_counts()
            # loading the same text again stores nothing new
            again = services.rulebook_load(
                body=w.body, year=YEAR, text=rulebook.source, by=w.staff, publish=publish
            )
            assert again.pk == rulebook.pk
            assert changed_tables(after, table_counts()) == {}

        # the plain function, on the same text
        text = data.decode("utf-8-sig", errors="replace").replace("\r\n", "\n")
        _load_or_refuse(w, text)
        transaction.set_rollback(True)


def test_fuzzed_rulebook_uploads_never_fail_or_half_write(staff, client):
    w = staff
    client.force_login(w.staff)

    @fuzz_settings()
    @given(
        st.data(),
        st.sampled_from([".yaml", ".yml", ".json", ".txt", ".yaml.exe", ""]),
        st.booleans(),
    )
    def run(data, how, publish):
        payload = data.draw(texts(w.body), label="file")
        check_upload(
            client, w, payload, how if data.draw(st.booleans()) else "text", publish, tally
        )

    tally = Tally("rulebook upload")
    run()
    tally.report()


def test_fuzzed_edits_of_a_draft_never_fail_or_half_write(staff, client):
    """Editing a draft changes it in place or is refused: never a second row,
    never a half-changed one."""
    w = staff
    client.force_login(w.staff)
    draft = services.rulebook_load(
        body=w.body,
        year=YEAR,
        text=_yaml(example_tree("r1.yaml", w.body)),
        by=w.staff,
    )

    @fuzz_settings(0.5)
    @given(st.data())
    def run(data):
        text = data.draw(texts(w.body), label="file").decode("utf-8", errors="replace")
        with transaction.atomic():
            before = table_counts()
            response = client.post(
                reverse("scoring:rulebook_edit", args=[draft.pk]), {"text": text}
            )
            assert response.status_code in (200, 302)
            stored = Rulebook.objects.get(pk=draft.pk)
            assert changed_tables(before, table_counts()) == {}
            tally("refused" if response.status_code == 200 else "saved")
            if response.status_code == 200:
                assert_chinese(_form_errors(response))
                assert stored.source == draft.source
            else:
                assert stored.source == text.replace("\r\n", "\n")
                assert rulebook_parse(stored.source) is not None
            transaction.set_rollback(True)

    tally = Tally("rulebook edit")
    run()
    tally.report()
