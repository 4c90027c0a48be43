"""Rulebooks survive being written back; nothing a user can upload raises
anything but RulebookInvalid; the reference evaluator keeps its invariants on
random records."""

import copy
import datetime
import json
import os
from decimal import Decimal

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoring.reference import evaluate
from scoring.rulebook import (
    Fact,
    Member,
    Rulebook,
    RulebookInvalid,
    rulebook_dump,
    rulebook_parse,
)
from scoring.rulebook.dump import rulebook_tree
from scoring.rulebook.types import (
    ACTIVITY_CATEGORIES,
    ACTIVITY_ROLES,
    CONVERTED_TO,
    FACT_KINDS,
    LEVELS,
    PROPOSER_ROLES,
)

from .makers import RULEBOOKS

EXAMPLES = ["r1.yaml", "r2.yaml", "haian.yaml"]
# SCORING_FUZZ_EXAMPLES=5000 for a longer hunt.
EXAMPLES_PER_TEST = int(os.environ.get("SCORING_FUZZ_EXAMPLES", "150"))
FUZZ = settings(
    max_examples=EXAMPLES_PER_TEST, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def example_tree(name):
    return yaml.safe_load((RULEBOOKS / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", EXAMPLES)
def test_examples_round_trip(name):
    rulebook = rulebook_parse((RULEBOOKS / name).read_text(encoding="utf-8"))
    assert rulebook_parse(rulebook_dump(rulebook)) == rulebook
    assert rulebook_parse(rulebook_dump(rulebook, fmt="json")) == rulebook


@pytest.mark.parametrize("name", EXAMPLES)
def test_dump_writes_the_file_back_as_it_was_written(name):
    """The example files use no defaults explicitly, so the tree comes back whole."""
    tree = example_tree(name)
    assert rulebook_tree(rulebook_parse(json.dumps(tree))) == tree


def test_yaml_round_trip():
    rulebook = rulebook_parse((RULEBOOKS / "haian.yaml").read_text(encoding="utf-8"))
    text = rulebook_dump(rulebook, fmt="yaml")
    assert not text.lstrip().startswith("{")
    assert rulebook_parse(text) == rulebook


def test_the_fact_vocabularies_match_the_models():
    from duties.models import Category, Participation
    from proposals.models import Proposal, Proposer
    from reports.models import Level

    assert set(ACTIVITY_CATEGORIES) == set(Category.values)
    assert set(ACTIVITY_ROLES) == set(Participation.Role.values)
    assert set(PROPOSER_ROLES) == set(Proposer.Role.values)
    assert set(CONVERTED_TO) == {"", *Proposal.ConvertedTo.values}
    assert set(LEVELS) == set(Level.values)


# --- fuzzing the parser ------------------------------------------------------------------


def parses_or_refuses(text):
    try:
        result = rulebook_parse(text)
    except RulebookInvalid as e:
        assert e.errors
        assert all(isinstance(x.message, str) and x.message for x in e.errors)
        return None
    assert isinstance(result, Rulebook)
    assert rulebook_parse(rulebook_dump(result)) == result
    return result


@FUZZ
@given(st.text())
def test_random_text(text):
    parses_or_refuses(text)


@FUZZ
@given(st.binary())
def test_random_bytes(data):
    parses_or_refuses(data)


scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(10**400), max_value=10**400)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
    | st.sampled_from(
        ["activity.absent", "proposal.accepted", "mark", "role", "level", "2025-01-01", "合格"]
    )
)
trees = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=12), inner, max_size=5)
    ),
    max_leaves=40,
)


@FUZZ
@given(trees)
def test_random_json_trees(tree):
    parses_or_refuses(json.dumps(tree))


def _replace(tree, path, value):
    node = tree
    for part in path[:-1]:
        node = node[part]
    if value is _DELETE:
        del node[path[-1]]
    else:
        node[path[-1]] = value


_DELETE = object()


def _paths(node, path=()):
    yield path
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, (*path, i))


@FUZZ
@given(st.data())
def test_mutated_examples(data):
    """Change one to three places of a real rulebook: it parses (and round-trips) or is refused."""
    tree = copy.deepcopy(example_tree(data.draw(st.sampled_from(EXAMPLES))))
    for _ in range(data.draw(st.integers(1, 3))):
        paths = [p for p in _paths(tree) if p]
        path = data.draw(st.sampled_from(paths))
        value = data.draw(st.just(_DELETE) | trees)
        _replace(tree, path, value)
    parses_or_refuses(json.dumps(tree, ensure_ascii=False))


@pytest.mark.parametrize(
    "text",
    [
        "[" * 50_000,
        "{" * 50_000,
        '{"a": ' * 2_000 + "1" + "}" * 2_000,
        "[" * 2_000 + "]" * 2_000,
        '{"format": 1e999999999}',
        '{"format": ' + "9" * 5_000 + "}",
        '{"format": -0.0, "year": 1E+400}',
        '{"format": Infinity}',
        '{"": {"": {"": []}}}',
        "\x00\x01",
        "",
        "   ",
        '{"format": 1, "name": "x", "year": 2025, "categories": [], "items": []}',
    ],
)
def test_hostile_inputs(text):
    parses_or_refuses(text)


def test_yaml_hostile_inputs():
    for text in [
        "a: &a [*a, *a]\n",
        "a: &x [1,2]\nb: &y [*x,*x,*x,*x,*x,*x,*x,*x,*x]\nc: &z [*y,*y,*y,*y,*y,*y,*y,*y,*y]\n"
        "d: [*z,*z,*z,*z,*z,*z,*z,*z,*z,*z,*z,*z,*z,*z,*z,*z,*z,*z,*z,*z,*z,*z,*z,*z,*z,*z,*z]\n",
        "!!python/object:os.system ls\n",
        "format: !!binary aGVsbG8=\n",
        "? [a, b]\n: 1\n",
        "--- 1\n--- 2\n",
        "<<: 5\n",
        "year: 2025-01-01 10:00:00\n",
        "- " * 5_000 + "1\n",
    ]:
        parses_or_refuses(text)


# --- the evaluator on random records -------------------------------------------------------


def _attrs_strategy(kind):
    values = {
        "activity_kind": st.sampled_from(
            [
                "plenary",
                "standing_meeting",
                "committee_meeting",
                "research",
                "good_deed",
                "community_consultation",
                "plenary_speech",
                "plenary_speech_written",
                "investment",
            ]
        ),
        "category": st.sampled_from(ACTIVITY_CATEGORIES),
        "role": st.sampled_from(
            ACTIVITY_ROLES if kind.startswith(("activity", "duty")) else PROPOSER_ROLES
        ),
        "proposers": st.integers(1, 6),
        "level": st.sampled_from(LEVELS),
        "converted_to": st.sampled_from(CONVERTED_TO),
    }
    spec = FACT_KINDS[kind]
    return st.fixed_dictionaries(
        {
            name: values.get(
                name, st.booleans() if attr.type is bool else st.sampled_from(attr.values or ("x",))
            )
            for name, attr in spec.items()
        }
    )


@st.composite
def facts(draw):
    kind = draw(st.sampled_from(sorted(FACT_KINDS)))
    return Fact(
        member_id=draw(st.sampled_from([1, 2])),
        on=draw(st.dates(datetime.date(2024, 12, 1), datetime.date(2026, 1, 31))),
        kind=kind,
        attrs=draw(_attrs_strategy(kind)),
        source=("x", kind.split(".")[0], draw(st.integers(1, 8))),
    )


RULEBOOK_OBJECTS = {
    name: rulebook_parse((RULEBOOKS / name).read_text(encoding="utf-8")) for name in EXAMPLES
}


@settings(max_examples=EXAMPLES_PER_TEST, deadline=None)
@given(
    st.sampled_from(EXAMPLES),
    st.lists(facts(), max_size=40),
    st.booleans(),
    st.dictionaries(
        st.sampled_from(["duty_report", "democratic_review"]),
        st.decimals(-2, 12, places=2),
    ),
)
def test_the_reference_evaluator_keeps_its_invariants(name, fact_list, standing, marks):
    rb = RULEBOOK_OBJECTS[name]
    member = Member(id=1, standing=standing)

    result = evaluate(rb, member, fact_list, marks=marks)

    for line in result.lines:
        item = rb.item(line.item)
        assert line.counted <= line.matched or item.kind == "mark"
        assert item.cap is None or line.after <= item.cap
        assert item.floor is None or line.after >= item.floor
        assert line.after == line.after.quantize(Decimal("0.01"))
    for cat in result.categories:
        c = rb.category(cat.code)
        if "prorate" not in cat.limited_by:
            assert c.cap is None or cat.total <= c.cap
            assert c.floor is None or cat.total >= c.floor
    top = sum((c.total for c in result.categories if c.parent is None), Decimal(0))
    expected = top
    if rb.total_cap is not None:
        expected = min(expected, rb.total_cap)
    if rb.total_floor is not None:
        expected = max(expected, rb.total_floor)
    assert result.total == expected
    assert result.grade in {b.name for b in rb.grades}
    # the other member's facts never change this member's result
    assert evaluate(rb, member, [f for f in fact_list if f.member_id == 1], marks=marks) == result


@pytest.mark.parametrize("name", EXAMPLES)
def test_the_examples_name_only_activity_kinds_every_body_gets(name):
    from duties.services import DEFAULT_KINDS

    codes = {code for _name, code, *_rest in DEFAULT_KINDS}
    text = (RULEBOOKS / name).read_text(encoding="utf-8")
    assert rulebook_parse(text, activity_kinds=codes) is not None
