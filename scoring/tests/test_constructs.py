"""Every construct of the format on its own, through the reference evaluator."""

import datetime
from decimal import Decimal as D

from scoring.reference import evaluate, quarter_to_date, sector_group_score
from scoring.rulebook import Fact, PastYear

from .makers import (
    YEAR,
    absent,
    attended,
    book,
    day,
    excused,
    honour,
    member,
    proposal,
    report,
    verified,
)

M = member(1)


def research(on, m=M, **kw):
    return attended(m, on, "research", "research", **kw)


def item(code="i", **kw):
    return {"code": code, "name": code, "category": "c", **kw}


ATTENDED = {"kind": "activity.attended", "points": 2}
BANDS = [{"name": "优秀", "min": 85}, {"name": "合格", "min": 60}, {"name": "不合格"}]


# --- modes, categories, totals ------------------------------------------------------------


def test_add_mode_starts_from_zero():
    rb = book([item(**ATTENDED)])
    assert evaluate(rb, M, []).total == 0
    assert evaluate(rb, M, [research(day(3))]).total == 2


def test_deduct_mode_starts_at_the_base_and_stops_at_the_floor():
    rb = book(
        [item(kind="activity.absent", points=-30)],
        [{"code": "c", "name": "基本分", "mode": "deduct", "base": 70, "floor": 0}],
    )
    assert evaluate(rb, M, []).total == 70
    assert evaluate(rb, M, [absent(M, day(2), "plenary")]).total == 40
    three = [absent(M, day(m), "plenary") for m in (2, 3, 4)]
    result = evaluate(rb, M, three)
    assert (result.category("c").raw, result.total) == (-20, 0)
    assert result.category("c").limited_by == ("floor",)


def test_basic_plus_capped_bonus_with_a_capped_sub_category():
    rb = book(
        [
            {**item("absent", kind="activity.absent", points=-5), "category": "basic"},
            {
                **item("speech", kind="activity.attended", points=8),
                "where": {"activity_kind": "plenary_speech"},
                "category": "bonus",
            },
            {
                **item("act", kind="activity.attended", points=2),
                "where": {"category": "research"},
                "category": "activities",
            },
        ],
        [
            {"code": "basic", "name": "基本", "mode": "deduct", "base": 70, "floor": 0},
            {"code": "bonus", "name": "加分", "cap": 10},
            {"code": "activities", "name": "活动", "parent": "bonus", "cap": 4},
        ],
    )
    facts = [
        absent(M, day(1), "committee_meeting"),
        attended(M, day(1), "plenary_speech", "speech", role="speaker"),
        *[research(day(m)) for m in (2, 3, 4)],
    ]

    result = evaluate(rb, M, facts)

    assert result.line("act").after == 6  # lines are not capped by their category
    assert (result.category("activities").total, result.category("activities").limited_by) == (
        4,
        ("cap",),
    )
    assert (result.category("bonus").raw, result.category("bonus").total) == (12, 10)
    assert result.total == 65 + 10


def test_a_category_floor_in_add_mode_keeps_deductions_from_going_below_it():
    rb = book(
        [item("att", **ATTENDED), item("abs", kind="activity.absent", points=-3)],
        [{"code": "c", "name": "会议", "floor": 0}],
    )
    facts = [research(day(2)), *[absent(M, day(m), "group_meeting") for m in (3, 4)]]
    result = evaluate(rb, M, facts)
    assert (result.category("c").raw, result.total) == (-4, 0)


def test_total_cap_and_floor():
    rb = book([item(**ATTENDED)], total={"cap": 5, "floor": 1})
    assert evaluate(rb, M, []).total == 1
    result = evaluate(rb, M, [research(day(m)) for m in (1, 2, 3, 4)])
    assert (result.total, result.total_limited_by) == (5, ("cap",))


# --- matching ---------------------------------------------------------------------------


def test_where_equals_in_bool_and_not():
    rb = book(
        [
            item("eq", kind="activity.attended", where={"activity_kind": "research"}, points=1),
            item(
                "in",
                kind="activity.attended",
                where={"category": ["research", "inspection"]},
                points=1,
            ),
            item("bool", kind="proposal.accepted", where={"key": True}, points=1),
            item(
                "not",
                kind="activity.attended",
                where={"category": "meeting", "activity_kind": {"not": ["plenary"]}},
                points=1,
            ),
        ]
    )
    facts = [
        research(day(1)),
        attended(M, day(2), "inspection", "inspection"),
        attended(M, day(3), "plenary", "meeting"),
        attended(M, day(4), "group_meeting", "meeting"),
        *proposal(M, day(1), "K", accepted_on=day(2), key=True),
        *proposal(M, day(1), "N", accepted_on=day(2), key=False),
    ]
    result = evaluate(rb, M, facts)
    counts = {x.item: x.matched for x in result.lines}
    assert counts == {"eq": 1, "in": 2, "bool": 1, "not": 1}


def test_an_attribute_the_fact_does_not_carry_matches_nothing():
    rb = book([item(kind="proposal.accepted", where={"key": False}, points=1)])
    fact = Fact(M.id, day(2), "proposal.accepted", {"role": "first"}, ("p", "p", 1))
    assert evaluate(rb, M, [fact]).line("i").matched == 0


def test_a_bool_condition_does_not_match_a_number():
    rb = book([item(kind="proposal.accepted", where={"key": True}, points=1)])
    fact = Fact(M.id, day(2), "proposal.accepted", {"key": 1}, ("p", "p", 1))
    assert evaluate(rb, M, [fact]).line("i").matched == 0


def test_who_standing_and_flags():
    rb = book(
        [
            item("standing", kind="activity.absent", who={"standing": True}, points=-1),
            item("others", kind="activity.absent", who={"standing": False}, points=-2),
            item("flagged", kind="activity.absent", who={"flags": ["convenor"]}, points=-4),
        ]
    )
    fact = lambda m: [absent(m, day(2), "group_meeting")]  # noqa: E731
    standing = member(1, standing=True, flags=frozenset({"convenor"}))
    other = member(2)
    assert evaluate(rb, standing, fact(standing)).total == -5
    assert evaluate(rb, other, fact(other)).total == -2
    assert evaluate(rb, other, fact(other)).line("flagged").limited_by == ("not_applicable",)


def test_a_level_table_scores_each_level_and_ignores_levels_it_does_not_list():
    rb = book(
        [item(kind="honour.awarded", points={"by": "level", "values": {"city": 3, "national": 8}})]
    )
    facts = [honour(M, day(2), "city"), honour(M, day(3), "national"), honour(M, day(4), "county")]
    line = evaluate(rb, M, facts).line("i")
    assert (line.matched, line.after) == (2, 11)


def test_facts_of_other_members_and_outside_the_period_are_left_out():
    rb = book([item(**ATTENDED)])
    other = member(2)
    facts = [
        research(day(5)),
        research(day(12, 31, YEAR - 1)),
        research(day(1, 1, YEAR + 1)),
        research(day(5), m=other),
    ]
    assert evaluate(rb, M, facts).line("i").matched == 1


# --- sharing joint proposals ------------------------------------------------------------

ACCEPTED = {"kind": "proposal.accepted"}


def accepted(ref, role, proposers):
    return proposal(M, day(1), ref, role=role, proposers=proposers, accepted_on=day(2))[1]


def test_share_full_gives_every_proposer_the_whole():
    rb = book([item(**ACCEPTED, points=10)])
    assert evaluate(rb, M, [accepted("a", "co", 5)]).total == 10


def test_share_by_role_gives_fixed_points_per_role():
    rb = book(
        [
            item(
                **ACCEPTED,
                share="by_role",
                points={"by": "role", "values": {"first": 10, "co": 5}},
            )
        ]
    )
    assert evaluate(rb, M, [accepted("a", "first", 3), accepted("b", "co", 3)]).total == 15


def test_share_split_gives_the_first_a_fraction_and_the_co_proposers_the_rest_equally():
    rb = book([item(**ACCEPTED, points=10, share="split", first_share=0.5)])
    assert evaluate(rb, M, [accepted("a", "first", 3)]).total == 5
    assert evaluate(rb, M, [accepted("a", "co", 3)]).total == D("2.5")
    assert evaluate(rb, M, [accepted("a", "first", 1)]).total == 10  # alone: the whole


def test_a_line_is_shared_then_summed_then_rounded_once():
    """Two co-proposer shares of 10 × 0.4 / 3 = 1.333…: the line is 2.67, not 1.33 + 1.33."""
    rb = book([item(**ACCEPTED, points=10, share="split", first_share=0.6)])
    line = evaluate(rb, M, [accepted("a", "co", 4), accepted("b", "co", 4)]).line("i")
    assert str(line.before) == "2.67"


def test_rounding_is_half_up():
    rb = book([item(**ACCEPTED, points="0.25", share="split", first_share=0.5)])
    # 0.25 × 0.5 = 0.125 → 0.13 (half-up; banker's rounding would give 0.12)
    assert str(evaluate(rb, M, [accepted("a", "first", 2)]).total) == "0.13"


# --- count limits -----------------------------------------------------------------------


def test_first_n_counts_the_earliest_facts_whatever_order_they_come_in():
    rb = book([item(**ATTENDED, first=2)])
    facts = [
        research(day(9), activity="late"),
        research(day(2), activity="a"),
        research(day(5), activity="b"),
    ]
    line = evaluate(rb, M, facts).line("i")
    assert (line.matched, line.counted, line.after, line.limited_by) == (3, 2, 4, ("first",))
    assert [s[2] for s in line.sources] == ["a", "b"]


def test_first_n_breaks_ties_on_one_day_by_source():
    rb = book([item(**ATTENDED, first=1)])
    facts = [research(day(2), activity=9), research(day(2), activity=3)]
    assert evaluate(rb, M, facts).line("i").sources == (("duties", "activity", 3),)


def test_once_per_quarter():
    rb = book([item(**ATTENDED, first=1, per="quarter")])
    facts = [research(day(m)) for m in (1, 2, 4, 7, 8, 9)]
    assert evaluate(rb, M, facts).line("i").counted == 3


def test_deductions_only_from_the_nth_occurrence_on():
    rb = book([item(kind="activity.excused", points=-1, from_nth=3)])
    facts = [excused(M, day(m), "group_meeting") for m in (1, 2, 3, 4)]
    line = evaluate(rb, M, facts).line("i")
    assert (line.matched, line.counted, line.after, line.limited_by) == (4, 2, -2, ("from_nth",))


def test_item_cap_and_item_floor():
    rb = book(
        [
            item("capped", **ATTENDED, cap=3),
            item("floored", kind="activity.absent", points=-2, floor=-3),
        ]
    )
    facts = [research(day(m)) for m in (1, 2)] + [absent(M, day(m), "x") for m in (1, 2)]
    result = evaluate(rb, M, facts)
    assert (result.line("capped").before, result.line("capped").after) == (4, 3)
    assert (result.line("floored").before, result.line("floored").after) == (-4, -3)
    assert result.line("floored").limited_by == ("floor",)


# --- no stacking --------------------------------------------------------------------------


def test_take_highest_group_keeps_one_fact_per_record_across_items():
    rb = book(
        [
            item("adopted", kind="report.adopted", points=5, group="report"),
            item("instructed", kind="report.instructed", points=8, group="report"),
        ]
    )
    facts = [
        *report(M, day(1), "S1", adopted=[("city", day(2))], instructed=[("city", day(3))]),
        *report(M, day(1), "S2", adopted=[("city", day(2))]),
    ]
    result = evaluate(rb, M, facts)
    assert (result.line("adopted").counted, result.line("instructed").counted) == (1, 1)
    assert result.line("adopted").sources == (("reports", "socialinforeport", "S2"),)
    assert result.total == 13


def test_take_highest_comes_before_first_n():
    rb = book(
        [
            item(
                kind="report.adopted",
                points={"by": "level", "values": {"city": 5, "province": 10}},
                group="g",
                first=1,
            )
        ]
    )
    facts = report(M, day(1), "S1", adopted=[("city", day(2)), ("province", day(6))])
    line = evaluate(rb, M, facts).line("i")
    assert (line.counted, line.after) == (1, 10)


# --- marks --------------------------------------------------------------------------------


def test_marks_are_bounded_by_their_maximum():
    rb = book([item(kind="mark", max=6)])
    assert evaluate(rb, M, [], marks={}).line("i").after == 0
    assert evaluate(rb, M, [], marks={"i": D("5.5")}).total == D("5.5")
    over = evaluate(rb, M, [], marks={"i": D(9)}).line("i")
    assert (over.before, over.after, over.limited_by) == (9, 6, ("max",))
    assert evaluate(rb, M, [], marks={"i": D(-1)}).line("i").after == 0


# --- grades and what follows -----------------------------------------------------------------


def points_book(**extra):
    """One point per research visit, so a total is a count."""
    return book(
        [
            item("r", kind="activity.attended", points=1),
            item("abs", kind="activity.absent", points=0),
        ],
        grades=BANDS,
        **extra,
    )


def with_total(n, *extra, m=M):
    return [research(day(1 + i % 12, 1 + i // 12), m=m) for i in range(n)] + list(extra)


def test_bands_have_inclusive_lower_bounds():
    rb = points_book()
    assert evaluate(rb, M, with_total(85)).grade == "优秀"
    assert evaluate(rb, M, with_total(84)).grade == "合格"
    assert evaluate(rb, M, with_total(60)).grade == "合格"
    assert evaluate(rb, M, with_total(59)).grade == "不合格"


def test_a_veto_by_item_caps_the_grade_but_never_raises_it():
    rb = points_book(vetoes=[{"code": "v", "name": "缺席", "item": "abs", "cap_grade": "合格"}])
    miss = absent(M, day(3), "plenary")
    high, low = evaluate(rb, M, with_total(90, miss)), evaluate(rb, M, with_total(10, miss))
    assert (high.grade_before_veto, high.grade, high.vetoes) == ("优秀", "合格", ("v",))
    assert (low.grade, low.vetoes) == ("不合格", ("v",))


def test_a_veto_by_fact_filter_with_at_least():
    rb = points_book(
        vetoes=[
            {
                "code": "v",
                "name": "两次缺席",
                "match": {"kind": "activity.absent", "where": {"activity_kind": "group_meeting"}},
                "at_least": 2,
                "cap_grade": "不合格",
            }
        ]
    )
    once = with_total(90, absent(M, day(3), "group_meeting"))
    twice = [*once, absent(M, day(4), "group_meeting")]
    assert evaluate(rb, M, once).grade == "优秀"
    assert evaluate(rb, M, twice).grade == "不合格"


CHECKLIST = [
    {
        "code": "list",
        "name": "清单",
        "items": [
            {
                "code": "two_reports",
                "name": "两条信息",
                "match": {"kind": "report.submitted"},
                "at_least": 2,
            },
            {"code": "aim", "name": "力争", "required": False, "match": {"kind": "honour.awarded"}},
        ],
    }
]


def test_a_checklist_item_may_need_several_records():
    rb = points_book(checklists=CHECKLIST)
    one = evaluate(rb, M, report(M, day(2), "a")).checklist("list")
    two = evaluate(rb, M, [*report(M, day(2), "a"), *report(M, day(3), "b")]).checklist("list")
    assert (one.item("two_reports").met, one.item("two_reports").count) == (False, 1)
    assert two.item("two_reports").met and two.complete


def test_a_veto_by_an_incomplete_checklist():
    rb = points_book(
        checklists=CHECKLIST,
        vetoes=[{"code": "v", "name": "清单", "checklist_incomplete": "list", "cap_grade": "合格"}],
    )
    reports = [*report(M, day(2), "a"), *report(M, day(3), "b")]
    assert evaluate(rb, M, with_total(90)).grade == "合格"
    assert evaluate(rb, M, with_total(90, *reports)).grade == "优秀"


def test_follow_up_by_grade_and_by_consecutive_years():
    rb = points_book(
        follow_ups=[
            {"code": "talk", "name": "提醒谈话", "grades": ["不合格"]},
            {"code": "formal", "name": "约谈", "total_below": 70, "years": 3},
        ]
    )
    low = {YEAR - 1: PastYear(D(65), "合格"), YEAR - 2: PastYear(D(69), "合格")}
    assert evaluate(rb, M, with_total(50)).follow_ups == ("talk",)
    assert evaluate(rb, M, with_total(65), history=low).follow_ups == ("formal",)
    assert evaluate(rb, M, with_total(50), history=low).follow_ups == ("talk", "formal")
    gap = {YEAR - 1: PastYear(D(65), "合格")}  # the year before that is not on record
    assert evaluate(rb, M, with_total(65), history=gap).follow_ups == ()
    recovered = {**low, YEAR - 1: PastYear(D(70), "合格")}
    assert evaluate(rb, M, with_total(65), history=recovered).follow_ups == ()


def test_follow_up_by_grade_in_consecutive_years():
    rb = points_book(
        follow_ups=[{"code": "talk", "name": "约谈", "grades": ["不合格"], "years": 2}]
    )
    history = {YEAR - 1: PastYear(D(40), "不合格")}
    assert evaluate(rb, M, with_total(50), history=history).follow_ups == ("talk",)
    assert evaluate(rb, M, with_total(50)).follow_ups == ()


def test_outstanding_candidates():
    rb = points_book(
        checklists=CHECKLIST,
        vetoes=[{"code": "v", "name": "缺席", "item": "abs", "cap_grade": "合格"}],
        candidates=[
            {
                "code": "star",
                "name": "优秀委员候选人",
                "grades": ["优秀"],
                "total_at_least": 95,
                "no_veto": True,
                "checklist_complete": "list",
            }
        ],
    )
    reports = [*report(M, day(2), "a"), *report(M, day(3), "b")]
    assert evaluate(rb, M, with_total(95, *reports)).candidates == ("star",)
    assert evaluate(rb, M, with_total(94, *reports)).candidates == ()
    assert evaluate(rb, M, with_total(95)).candidates == ()
    vetoed = with_total(95, *reports, absent(M, day(3), "group_meeting"))
    assert evaluate(rb, M, vetoed).candidates == ()


# --- sector groups -------------------------------------------------------------------------


def test_sector_groups_by_average_or_sum_of_assessed_members():
    members = [member(i) for i in (1, 2, 3)]
    results = [
        evaluate(points_book(), m, with_total(n, m=m))
        for m, n in zip(members, (10, 20, 21), strict=True)
    ]
    exempt_book = points_book(assessed={"exempt_flags": ["chair"]})
    results.append(evaluate(exempt_book, member(4, flags=frozenset({"chair"})), []))
    assert str(sector_group_score(points_book(), results)) == "17.00"
    assert sector_group_score(points_book(sector_groups={"score": "sum"}), results) == 51
    assert sector_group_score(points_book(), results[3:]) is None


# --- periods ------------------------------------------------------------------------------


def test_quarter_to_date():
    assert quarter_to_date(2025, 1) == (day(1, 1), day(3, 31))
    assert quarter_to_date(2025, 2) == (day(1, 1), day(6, 30))
    assert quarter_to_date(2025, 4) == (day(1, 1), day(12, 31))


def test_quarter_boundary_31_march_and_1_april():
    rb = book([item(**ATTENDED)])
    facts = [research(day(3, 31)), research(day(4, 1))]
    assert evaluate(rb, M, facts, period=quarter_to_date(YEAR, 1)).total == 2
    assert evaluate(rb, M, facts, period=quarter_to_date(YEAR, 2)).total == 4


def test_caps_and_once_a_year_limits_apply_to_the_year_to_date():
    rb = book(
        [
            item("r", **ATTENDED, where={"category": "research"}),
            item("t", kind="activity.attended", points=5, first=1, where={"category": "training"}),
        ],
        [{"code": "c", "name": "c", "cap": 10}],
    )
    training = [attended(M, day(m), "training", "training") for m in (2, 5)]
    facts = [*training, research(day(2)), *[research(day(m, 10)) for m in (4, 5, 6)]]
    q1 = evaluate(rb, M, facts, period=quarter_to_date(YEAR, 1))
    q2 = evaluate(rb, M, facts, period=quarter_to_date(YEAR, 2))
    assert (q1.line("t").counted, q1.total) == (1, 7)
    assert (q2.line("t").counted, q2.line("r").after, q2.category("c").raw, q2.total) == (
        1,
        8,
        13,
        10,
    )


# --- who is assessed ------------------------------------------------------------------------


def test_exempt_by_flag_by_late_joining_and_by_long_leave():
    rb = book(
        [item(**ATTENDED)],
        assessed={
            "exempt_flags": ["chairs_meeting"],
            "exempt_joined_after": f"{YEAR}-10-01",
            "exempt_on_leave": True,
        },
    )
    chair = member(1, flags=frozenset({"chairs_meeting"}))
    late = member(2, joined_on=day(10, 2))
    on_time = member(3, joined_on=day(10, 1))
    away = member(4, leaves=((day(3), day(8)),))
    assert (evaluate(rb, chair, []).assessed, evaluate(rb, chair, []).exempt_reason) == (
        False,
        "flag",
    )
    assert evaluate(rb, late, []).exempt_reason == "joined_after"
    assert evaluate(rb, on_time, []).assessed
    assert evaluate(rb, away, []).exempt_reason == "on_leave"
    assert evaluate(rb, chair, []).total is None


def test_prorating_scales_earned_parts_to_a_full_year_and_leaves_deductions_as_they_are():
    rb = book(
        [
            {**item("abs", kind="activity.absent", points=-5), "category": "basic"},
            {**item("r", **ATTENDED), "category": "bonus"},
        ],
        [
            {"code": "basic", "name": "基本", "mode": "deduct", "base": 70, "floor": 0},
            {"code": "bonus", "name": "加分", "cap": 50},
        ],
        assessed={"prorate": True, "min_share": 0.25},
    )
    # joined on 2 July: 183 of 365 days present
    joined = member(1, joined_on=day(7, 2))
    after_joining = lambda n: [research(day(8 + i % 5, 1 + i), m=joined) for i in range(n)]  # noqa: E731
    facts = [absent(joined, day(8), "group_meeting"), *after_joining(10)]
    result = evaluate(rb, joined, facts, period=(day(1, 1), day(12, 31)))
    bonus = result.category("bonus")
    assert result.share == D("0.5014")
    assert (bonus.unprorated, str(bonus.total), bonus.limited_by) == (20, "39.89", ("prorate",))
    assert result.category("basic").total == 65
    assert str(result.total) == "104.89"

    capped = evaluate(rb, joined, after_joining(20)).category("bonus")  # 40 → 79.78 → 50
    assert (capped.total, capped.limited_by) == (50, ("prorate", "cap"))

    # approved long leave counts as away; under a quarter of the year present: not assessed
    away = member(2, joined_on=day(7, 2), leaves=((day(8, 1), day(11, 30)),))
    assert evaluate(rb, away, []).exempt_reason == "share"


def test_without_prorating_a_late_member_is_scored_as_is():
    rb = book([item(**ATTENDED)])
    late = member(1, joined_on=datetime.date(YEAR, 7, 1))
    result = evaluate(rb, late, [research(day(8), m=late)])
    assert (result.assessed, result.total) == (True, 2)


def test_verified_duties_and_honours_are_matched_like_any_fact():
    rb = book(
        [
            item("deed", kind="duty.verified", where={"category": "good_deed"}, points=3),
            item("honour", kind="honour.awarded", where={"level": "national"}, points=8),
        ]
    )
    facts = [verified(M, day(3), "good_deed", "good_deed"), honour(M, day(4), "national")]
    assert evaluate(rb, M, facts).total == 11
