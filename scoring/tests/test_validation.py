"""Each kind of mistake in a rulebook file: the Chinese message and its place."""

import copy
import json

import pytest

from scoring.rulebook import RulebookInvalid, rulebook_parse

VALID = {
    "format": 1,
    "name": "测试",
    "year": 2025,
    "categories": [
        {"code": "basic", "name": "基本分", "mode": "deduct", "base": 70, "floor": 0},
        {"code": "bonus", "name": "加分", "cap": 50},
    ],
    "items": [
        {
            "code": "absent",
            "name": "缺席",
            "category": "basic",
            "kind": "activity.absent",
            "where": {"activity_kind": "plenary"},
            "points": -30,
        },
        {
            "code": "accepted",
            "name": "立案",
            "category": "bonus",
            "kind": "proposal.accepted",
            "share": "by_role",
            "points": {"by": "role", "values": {"first": 10, "co": 5}},
        },
    ],
    "grades": [{"name": "优秀", "min": 85}, {"name": "合格", "min": 60}, {"name": "不合格"}],
    "vetoes": [{"code": "v", "name": "缺席", "item": "absent", "cap_grade": "合格"}],
    "follow_ups": [{"code": "talk", "name": "提醒谈话", "grades": ["不合格"]}],
    "checklists": [
        {
            "code": "six",
            "name": "六个一",
            "items": [{"code": "p", "name": "提案", "match": {"kind": "proposal.submitted"}}],
        }
    ],
}


def errors(tree=None, *, text=None, **kwargs):
    """[(path, message)] of every problem found in a tree or a text."""
    if text is None:
        text = json.dumps(tree, ensure_ascii=False, indent=2)
    with pytest.raises(RulebookInvalid) as caught:
        rulebook_parse(text, **kwargs)
    return [(e.path, e.message) for e in caught.value.errors]


def changed(change):
    tree = copy.deepcopy(VALID)
    change(tree)
    return tree


def only_error(change):
    found = errors(changed(change))
    assert len(found) == 1, found
    return found[0]


def test_the_base_file_is_valid():
    rulebook_parse(json.dumps(VALID))


def test_a_syntax_error_gives_the_line():
    with pytest.raises(RulebookInvalid) as caught:
        rulebook_parse('{\n  "format": 1,\n  "name": ["x",\n  "year": 2025\n}')
    (error,) = caught.value.errors
    assert error.line in (4, 5)  # where the JSON (or, with PyYAML, the YAML) reader stops
    assert error.message.startswith(("JSON 格式错误", "YAML 格式错误"))


def test_the_whole_file_must_be_a_mapping():
    assert errors(text="[1, 2]") == [("", "应为键值表")]
    assert errors(text='{"a": [1, 2]}')[0] == ("a", "未知的字段 “a”")


def test_unsupported_format_version():
    assert only_error(lambda t: t.update(format=2)) == (
        "format",
        "不支持的格式版本 “2”(当前为 1)",
    )


def test_missing_required_field():
    assert only_error(lambda t: t["items"][0].pop("kind")) == (
        "items[0].kind",
        "缺少必填字段 “kind”",
    )


def test_unknown_field_catches_typos():
    assert only_error(lambda t: t["items"][0].update(pionts=3)) == (
        "items[0].pionts",
        "未知的字段 “pionts”",
    )


@pytest.mark.parametrize(
    ("change", "path", "message"),
    [
        (lambda t: t.update(name=3), "name", "应为文字"),
        (lambda t: t.update(year="2025"), "year", "应为整数"),
        (lambda t: t["items"][0].update(points="abc"), "items[0].points", "应为数字"),
        (lambda t: t["items"][0].update(points=True), "items[0].points", "应为数字"),
        (lambda t: t["categories"][1].update(cap=[50]), "categories[1].cap", "应为数字"),
        (lambda t: t.update(items={}), "items", "应为列表"),
        (lambda t: t["items"].append(7), "items[2]", "应为键值表"),
        (
            lambda t: t["items"][0].update(where=["plenary"]),
            "items[0].where",
            "应为键值表:属性: 值",
        ),
        (lambda t: t["items"][1].update(first=1.5), "items[1].first", "应为整数"),
        (
            lambda t: t.update(assessed={"exempt_on_leave": "yes"}),
            "assessed.exempt_on_leave",
            "应为 true 或 false",
        ),
        (
            lambda t: t.update(assessed={"exempt_joined_after": "2025-13-01"}),
            "assessed.exempt_joined_after",
            "应为日期,如 2025-10-01",
        ),
        (
            lambda t: t["items"][0].update(code="缺席"),
            "items[0].code",
            "代码 “缺席” 应以英文字母开头,只含英文字母、数字、_ . -,不超过 50 个字符",
        ),
    ],
)
def test_wrong_types(change, path, message):
    # (renaming an item or emptying the list also leaves the veto naming a missing item)
    assert (path, message) in errors(changed(change))


def test_unknown_fact_kind():
    path, message = only_error(lambda t: t["items"][0].update(kind="activity.missed"))
    assert path == "items[0].kind"
    assert message.startswith("未知的事实类型 “activity.missed”(可用:activity.attended、")


def test_unknown_attribute_for_a_kind():
    path, message = only_error(lambda t: t["items"][0]["where"].update(level="city"))
    assert path == "items[0].where.level"
    assert message == (
        "事实类型 “activity.absent” 没有属性 “level”"
        "(可用:activity_kind、category、role、organiser、audience)"
    )


def test_unknown_attribute_value_and_wrong_value_type():
    assert only_error(lambda t: t["items"][0]["where"].update(role="chair")) == (
        "items[0].where.role",
        "属性 “role” 没有取值 “chair”(可用:participant、speaker、convenor)",
    )
    assert only_error(lambda t: t["items"][1].update(where={"key": "yes"})) == (
        "items[1].where.key",
        "属性 “key” 的值应为true/false",
    )
    assert only_error(lambda t: t["items"][1]["points"]["values"].update(third=1)) == (
        "items[1].points.values.third",
        "属性 “role” 没有取值 “third”(可用:first、co)",
    )


def test_unknown_activity_kind_when_the_body_is_known():
    assert errors(changed(lambda t: None), activity_kinds={"standing_meeting"}) == [
        ("items[0].where.activity_kind", "本政协没有代码为 “plenary” 的活动类型")
    ]


def test_overlapping_bands():
    assert only_error(lambda t: t["grades"][1].update(min=85)) == (
        "grades[1].min",
        "等次 “优秀” 与 “合格” 的下限都是 85:区间重叠",
    )


def test_unordered_bands():
    assert only_error(lambda t: t["grades"][1].update(min=90)) == (
        "grades[1].min",
        "等次应按下限从高到低排列:“合格” 的下限 90 高于上一个 “优秀” 的 85",
    )


def test_every_band_but_the_last_has_a_lower_bound_and_the_last_has_none():
    assert only_error(lambda t: t["grades"][0].pop("min")) == (
        "grades[0].min",
        "除最后一个等次外,每个等次都须有下限 min",
    )
    assert only_error(lambda t: t["grades"][2].update(min=0)) == (
        "grades[2].min",
        "最后一个(最低的)等次不设下限,它收下所有更低的总分",
    )


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (lambda t: t["categories"][1].update(floor=60), "categories[1].cap"),
        (lambda t: t["items"][1].update(cap=1, floor=2), "items[1].cap"),
        (lambda t: t.update(total={"cap": 10, "floor": 20}), "total.cap"),
    ],
)
def test_a_cap_below_a_floor(change, path):
    found_path, message = only_error(change)
    assert found_path == path
    assert message.startswith("上限 ") and "低于下限" in message


def test_a_missing_category_referenced_by_an_item():
    assert only_error(lambda t: t["items"][1].update(category="extra")) == (
        "items[1].category",
        "类别 “extra” 不存在",
    )


def test_sub_categories_nest_only_once_and_name_an_existing_parent():
    def nested(t):
        t["categories"].append({"code": "act", "name": "活动", "parent": "bonus"})
        t["categories"].append({"code": "deep", "name": "更深", "parent": "act"})

    assert only_error(nested) == (
        "categories[3].parent",
        "子类别只能有一层:上级类别须是顶层类别",
    )
    assert only_error(
        lambda t: t["categories"].append({"code": "x", "name": "x", "parent": "nope"})
    ) == ("categories[2].parent", "类别 “nope” 不存在")


def test_unknown_sharing_mode():
    assert only_error(lambda t: t["items"][1].update(share="equal")) == (
        "items[1].share",
        "未知的分享方式 “equal”(可用:full、by_role、split)",
    )


def test_sharing_modes_need_what_they_share():
    path, message = only_error(lambda t: t["items"][0].update(share="split", first_share=0.5))
    assert (path, message.split("(")[0]) == (
        "items[0].share",
        "分享方式 “split” 只适用于带提案人身份的事实",
    )
    assert only_error(lambda t: t["items"][1].update(share="split")) == (
        "items[1].first_share",
        "分享方式 split 须给出第一提案人所得比例 first_share",
    )
    assert only_error(lambda t: t["items"][1].update(points=10)) == (
        "items[1].points",
        "分享方式 by_role 要求按身份给分:points: {by: role, values: …}",
    )
    assert only_error(
        lambda t: t["items"][1].update(share="split", points=10, first_share=1.5)
    ) == ("items[1].first_share", "应不大于 1")


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [("first", -1, "不能为负数"), ("from_nth", -3, "不能为负数"), ("first", 0, "应不小于 1")],
)
def test_negative_limits(key, value, message):
    assert only_error(lambda t: t["items"][1].update({key: value})) == (
        f"items[1].{key}",
        message,
    )


def test_negative_checklist_and_veto_counts():
    assert only_error(lambda t: t["vetoes"][0].update(at_least=-1)) == (
        "vetoes[0].at_least",
        "不能为负数",
    )
    assert only_error(lambda t: t["checklists"][0]["items"][0].update(at_least=-2)) == (
        "checklists[0].items[0].at_least",
        "不能为负数",
    )


def test_duplicate_codes():
    assert only_error(lambda t: t["items"][1].update(code="absent")) == (
        "items[1].code",
        "计分项代码 “absent” 重复",
    )
    assert errors(changed(lambda t: t["categories"][1].update(code="basic"))) == [
        ("categories[1].code", "类别代码 “basic” 重复"),
        ("items[1].category", "类别 “bonus” 不存在"),
    ]
    dup = {"code": "p", "name": "again", "match": {"kind": "report.submitted"}}
    assert only_error(lambda t: t["checklists"][0]["items"].append(dup)) == (
        "checklists[0].items[1].code",
        "清单项代码 “p” 重复",
    )


def test_duplicate_keys_in_one_mapping():
    text = json.dumps(VALID, ensure_ascii=False)
    text = text.replace('"name": "测试"', '"name": "测试", "name": "又一个"')
    assert errors(text=text) == [("name", "字段重复")]


def test_references_to_grades_items_and_checklists_that_do_not_exist():
    assert only_error(lambda t: t["vetoes"][0].update(cap_grade="良好")) == (
        "vetoes[0].cap_grade",
        "等次 “良好” 不存在",
    )
    assert only_error(lambda t: t["vetoes"][0].update(item="late")) == (
        "vetoes[0].item",
        "计分项 “late” 不存在",
    )
    assert only_error(lambda t: t["follow_ups"][0].update(grades=["差"])) == (
        "follow_ups[0].grades[0]",
        "等次 “差” 不存在",
    )
    assert only_error(
        lambda t: t.update(
            candidates=[{"code": "c", "name": "候选", "checklist_complete": "seven"}]
        )
    ) == ("candidates[0].checklist_complete", "清单 “seven” 不存在")


def test_a_veto_has_exactly_one_condition():
    assert only_error(lambda t: t["vetoes"][0].pop("item")) == (
        "vetoes[0]",
        "一票否决须有且只有一个条件:item、match 或 checklist_incomplete",
    )


def test_points_must_suit_the_mode():
    assert only_error(lambda t: t["items"][0].update(points=5)) == (
        "items[0].points",
        "扣分制类别中的计分项应为负数或零",
    )
    assert only_error(lambda t: t["categories"][0].pop("base")) == (
        "categories[0].base",
        "扣分制类别必须有基础分 base",
    )
    assert only_error(lambda t: t["categories"][1].update(base=10)) == (
        "categories[1].base",
        "加分制类别从零起算,不设基础分;请用 mode: deduct",
    )
    assert only_error(lambda t: t["categories"][1].update(mode="multiply"))[0] == (
        "categories[1].mode"
    )


def test_mark_items():
    mark = {"code": "m", "name": "述职", "category": "bonus", "kind": "mark"}
    assert only_error(lambda t: t["items"].append(mark)) == (
        "items[2].max",
        "工作人员评分项须给出最高分 max",
    )
    assert only_error(lambda t: t["items"].append({**mark, "max": 6, "points": 1})) == (
        "items[2].points",
        "工作人员评分项(kind: mark)不用 “points”",
    )
    assert only_error(lambda t: t["items"][1].update(max=3)) == (
        "items[1].max",
        "max 只用于工作人员评分项(kind: mark)",
    )


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("1e400", "数值过大(绝对值不超过 1000000)"),
        ("123456789012345678901234567890", "数值过大(绝对值不超过 1000000)"),
        ("0.001", "小数位数过多(最多 2 位)"),
    ],
)
def test_numbers_out_of_range(number, message):
    text = json.dumps(VALID).replace('"points": -30', f'"points": {number}')
    assert errors(text=text) == [("items[0].points", message)]


def test_nan_is_not_a_number():
    text = json.dumps(VALID).replace('"points": -30', '"points": NaN')
    (found,) = errors(text=text)
    # JSON refuses NaN; PyYAML reads the same text as the word "NaN"
    assert found[1].startswith("JSON 格式错误") or found == ("items[0].points", "应为有限的数字")


def test_every_problem_is_reported_at_once_in_file_order_with_lines():
    def many(t):
        t["items"][0]["kind"] = "nope"
        t["items"][1]["category"] = "gone"
        t["grades"][1]["min"] = 99
        t["categories"][1]["cap"] = -1
        t["categories"][1]["floor"] = 0

    text = json.dumps(changed(many), ensure_ascii=False, indent=2)
    with pytest.raises(RulebookInvalid) as caught:
        rulebook_parse(text)
    found = caught.value.errors
    assert [e.path for e in found] == [
        "categories[1].cap",
        "items[0].kind",
        "items[1].category",
        "grades[1].min",
    ]
    assert all(e.line for e in found)
    assert [e.line for e in found] == sorted(e.line for e in found)
    lines = text.splitlines()
    assert '"code": "bonus"' in lines[found[0].line] or "bonus" in "".join(
        lines[found[0].line - 1 : found[0].line + 3]
    )
    assert str(found[1]).startswith(f"items[0].kind(第 {found[1].line} 行):未知的事实类型")


def test_bytes_that_are_not_utf8():
    with pytest.raises(RulebookInvalid) as caught:
        rulebook_parse(b"\xff\xfe{")
    assert caught.value.errors[0].message == "文件不是 UTF-8 编码的文本"


def test_deep_nesting_and_huge_input():
    assert errors(text="[" * 100_000)[0][1] == "嵌套过深"
    assert errors(text='{"a":' * 50_000 + "1" + "}" * 50_000)[0][1] == "嵌套过深"
    assert errors(text="{" + " " * 600_000 + "}")[0][1] == "文件过大(超过 500000 个字符)"
