"""The advanced-group construct of the rulebook format
(`sector_groups.candidates`): parsed, refused with its place in Chinese,
written back, and applied to group scores with ties at the Nth place."""

import copy
import json
from decimal import Decimal

import pytest

from scoring.annual import group_candidates
from scoring.rulebook import RulebookInvalid, rulebook_dump, rulebook_parse
from scoring.rulebook.types import GroupCandidates

from .test_validation import VALID


def _tree(groups):
    tree = copy.deepcopy(VALID)
    tree["sector_groups"] = groups
    return tree


def _parse(groups):
    return rulebook_parse(json.dumps(_tree(groups), ensure_ascii=False))


def _errors(groups):
    with pytest.raises(RulebookInvalid) as caught:
        _parse(groups)
    return [(e.path, e.message) for e in caught.value.errors]


def test_top_and_at_least_are_read():
    parsed = _parse(
        {"score": "sum", "candidates": {"top": 3, "at_least": 80.5, "note": "不超过三个"}}
    )

    assert parsed.group_score == "sum"
    assert parsed.group_candidates == GroupCandidates(
        top=3, at_least=Decimal("80.5"), name="", note="不超过三个"
    )


def test_a_rulebook_without_the_construct_has_no_group_candidates():
    assert _parse({"score": "average"}).group_candidates is None


@pytest.mark.parametrize(
    ("candidates", "expected"),
    [
        ({}, [("sector_groups.candidates", "先进界别小组候选须有条件:top 和/或 at_least")]),
        (
            {"note": "只有说明"},
            [("sector_groups.candidates", "先进界别小组候选须有条件:top 和/或 at_least")],
        ),
        ({"top": 0}, [("sector_groups.candidates.top", "应不小于 1")]),
        ({"top": -2}, [("sector_groups.candidates.top", "不能为负数")]),
        ({"top": "三"}, [("sector_groups.candidates.top", "应为整数")]),
        ({"at_least": "高"}, [("sector_groups.candidates.at_least", "应为数字")]),
        ({"at_least": 80.123}, [("sector_groups.candidates.at_least", "小数位数过多(最多 2 位)")]),
        ({"top": 3, "rank": 1}, [("sector_groups.candidates.rank", "未知的字段 “rank”")]),
        ([3], [("sector_groups.candidates", "应为键值表")]),
    ],
)
def test_mistakes_are_reported_at_their_place(candidates, expected):
    assert _errors({"score": "average", "candidates": candidates}) == expected


def test_candidates_still_need_the_score():
    assert ("sector_groups.score", "缺少必填字段 “score”") in _errors({"candidates": {"top": 3}})


def test_the_construct_is_written_back():
    parsed = _parse(
        {"score": "average", "candidates": {"name": "先进小组", "top": 2, "at_least": 75}}
    )

    text = rulebook_dump(parsed)

    assert "candidates:" in text and "top: 2" in text and "at_least: 75" in text
    assert rulebook_parse(text) == parsed
    assert rulebook_parse(rulebook_dump(parsed, fmt="json")) == parsed


def test_the_top_n_take_every_group_tied_at_the_nth_place():
    scores = {"a": Decimal("90"), "b": Decimal("85"), "c": Decimal("85"), "d": Decimal("70")}

    assert group_candidates(GroupCandidates(top=2), scores) == {"a", "b", "c"}
    assert group_candidates(GroupCandidates(top=1), scores) == {"a"}
    assert group_candidates(GroupCandidates(top=4), scores) == {"a", "b", "c", "d"}


def test_at_least_and_both_conditions():
    scores = {"a": Decimal("90"), "b": Decimal("80.00"), "c": Decimal("79.99"), "d": None}

    assert group_candidates(GroupCandidates(at_least=Decimal(80)), scores) == {"a", "b"}
    assert group_candidates(GroupCandidates(top=3, at_least=Decimal(85)), scores) == {"a"}
    # a group without assessed members has no score and is never a candidate
    assert "d" not in group_candidates(GroupCandidates(top=10), scores)
    assert group_candidates(None, scores) == set()
