"""Every worked member of ../shared/RULEBOOKS.md, line by line and in total,
plus our own Hai'an member (scoring/rulebooks/haian.yaml, its notes).

Each receipt is compared whole: {item: (matched, counted, before cap, after cap)}."""

from decimal import Decimal as D

import pytest

from scoring.reference import evaluate
from scoring.rulebook import PastYear

from .makers import (
    absent,
    attended,
    day,
    excused,
    lines_of,
    load,
    member,
    proposal,
    report,
    verified,
)


@pytest.fixture(scope="module")
def r1():
    return load("r1.yaml")


@pytest.fixture(scope="module")
def r2():
    return load("r2.yaml")


@pytest.fixture(scope="module")
def haian():
    return load("haian.yaml")


def activities(m, n, start_month=3):
    """n inspections and research visits, spread over the year."""
    kinds = [("inspection", "inspection"), ("research", "research")]
    return [attended(m, day(start_month + i % 9, 1 + i), *kinds[i % 2]) for i in range(n)]


# --- R1 ------------------------------------------------------------------------------

R1_EMPTY = {
    "plenary_absent": (0, 0, "0.00", "0.00"),
    "plenary_excused": (0, 0, "0.00", "0.00"),
    "standing_absent": (0, 0, "0.00", "0.00"),
    "standing_excused": (0, 0, "0.00", "0.00"),
    "meeting_absent": (0, 0, "0.00", "0.00"),
    "meeting_excused": (0, 0, "0.00", "0.00"),
    "proposal_accepted": (0, 0, "0.00", "0.00"),
    "proposal_key": (0, 0, "0.00", "0.00"),
    "report_adopted": (0, 0, "0.00", "0.00"),
    "report_instructed": (0, 0, "0.00", "0.00"),
    "speech_delivered": (0, 0, "0.00", "0.00"),
    "speech_written": (0, 0, "0.00", "0.00"),
    "activity_attended": (0, 0, "0.00", "0.00"),
}


def test_r1_member_a_standing_member_capped_bonus(r1):
    a = member(1, standing=True)
    facts = [
        attended(a, day(1, 15), "plenary", "meeting"),
        attended(a, day(2, 10), "standing_meeting", "meeting"),
        attended(a, day(4, 10), "standing_meeting", "meeting"),
        attended(a, day(7, 10), "standing_meeting", "meeting"),
        excused(a, day(10, 10), "standing_meeting"),
        absent(a, day(5, 20), "committee_meeting"),
        *proposal(a, day(1, 16), "P1", role="first", proposers=2, accepted_on=day(3, 1), key=True),
        *proposal(a, day(1, 17), "P2", role="co", proposers=3, accepted_on=day(3, 1)),
        *proposal(a, day(1, 18), "P3", role="first"),
        *report(
            a,
            day(2, 1),
            "S1",
            adopted=[("city", day(3, 1)), ("province", day(4, 1))],
            instructed=[("province", day(5, 1))],
        ),
        *report(a, day(2, 2), "S2"),
        attended(a, day(1, 17), "plenary_speech", "speech", role="speaker"),
        *activities(a, 12),
    ]

    result = evaluate(r1, a, facts)

    assert lines_of(result) == {
        **R1_EMPTY,
        "standing_excused": (1, 1, "-3.00", "-3.00"),
        "meeting_absent": (1, 1, "-5.00", "-5.00"),
        "proposal_accepted": (2, 2, "15.00", "15.00"),
        "proposal_key": (1, 1, "5.00", "5.00"),
        "report_adopted": (2, 1, "10.00", "10.00"),
        "report_instructed": (1, 1, "10.00", "10.00"),
        "speech_delivered": (1, 1, "8.00", "8.00"),
        "activity_attended": (12, 12, "24.00", "24.00"),
    }
    assert result.line("report_adopted").limited_by == ("highest",)
    assert result.line("report_adopted").sources == (("reports", "socialinforeport", "S1"),)
    assert result.category("basic").total == D("62.00")
    activities_ = result.category("activities")
    assert (activities_.raw, activities_.total, activities_.limited_by) == (
        D(24),
        D(20),
        ("cap",),
    )
    bonus = result.category("bonus")
    assert (bonus.raw, bonus.total, bonus.limited_by) == (D(68), D(50), ("cap",))
    assert str(result.total) == "112.00"
    assert result.grade == "优秀"
    assert result.vetoes == () and result.follow_ups == ()


def test_r1_member_b_plenary_absent_gets_a_reminder_talk(r1):
    b = member(2)
    facts = [
        absent(b, day(1, 15), "plenary"),
        *proposal(b, day(1, 16), "P9", role="co", proposers=2, accepted_on=day(3, 1)),
        *activities(b, 3),
    ]

    result = evaluate(r1, b, facts)

    assert lines_of(result) == {
        **R1_EMPTY,
        "plenary_absent": (1, 1, "-30.00", "-30.00"),
        "proposal_accepted": (1, 1, "5.00", "5.00"),
        "activity_attended": (3, 3, "6.00", "6.00"),
    }
    assert result.category("basic").total == D(40)
    assert result.category("bonus").total == D(11)
    assert str(result.total) == "51.00"
    assert result.grade == "不合格"
    assert result.vetoes == ("plenary_absent",)  # it held, but 不合格 is below its cap
    assert result.follow_ups == ("reminder_talk",)


def test_r1_member_b2_veto_caps_the_grade_at_pass(r1):
    b2 = member(3)
    facts = [
        absent(b2, day(1, 15), "plenary"),
        *proposal(b2, day(1, 16), "Q1", accepted_on=day(3, 1)),
        *proposal(b2, day(1, 17), "Q2", accepted_on=day(3, 2)),
        *proposal(b2, day(1, 18), "Q3", accepted_on=day(3, 3)),
        *activities(b2, 25),
    ]

    result = evaluate(r1, b2, facts)

    assert lines_of(result) == {
        **R1_EMPTY,
        "plenary_absent": (1, 1, "-30.00", "-30.00"),
        "proposal_accepted": (3, 3, "30.00", "30.00"),
        "activity_attended": (25, 25, "50.00", "50.00"),
    }
    assert result.category("activities").total == D(20)
    assert result.category("bonus").total == D(50)
    assert str(result.total) == "90.00"
    assert (result.grade_before_veto, result.grade) == ("优秀", "合格")
    assert result.vetoes == ("plenary_absent",)
    assert result.follow_ups == ()


def test_r1_member_e_bonus_under_the_cap_shows_every_line(r1):
    e = member(4)
    facts = [
        attended(e, day(1, 15), "plenary", "meeting"),
        attended(e, day(4, 15), "committee_meeting", "meeting"),
        attended(e, day(6, 15), "group_meeting", "meeting"),
        *proposal(e, day(1, 16), "P4", accepted_on=day(3, 1), key=True),
        *report(
            e,
            day(2, 1),
            "S3",
            adopted=[("national", day(6, 1))],
            instructed=[("city", day(6, 10))],
        ),
        verified(e, day(1, 16), "plenary_speech_written", "speech"),
        attended(e, day(5, 1), "research", "research"),
        attended(e, day(9, 1), "research", "research"),
    ]

    result = evaluate(r1, e, facts)

    assert lines_of(result) == {
        **R1_EMPTY,
        "proposal_accepted": (1, 1, "10.00", "10.00"),
        "proposal_key": (1, 1, "5.00", "5.00"),
        "report_adopted": (1, 1, "20.00", "20.00"),
        "report_instructed": (1, 1, "5.00", "5.00"),
        "speech_written": (1, 1, "3.00", "3.00"),
        "activity_attended": (2, 2, "4.00", "4.00"),
    }
    assert result.category("basic").total == D(70)
    bonus = result.category("bonus")
    assert (bonus.total, bonus.limited_by) == (D(47), ())
    assert str(result.total) == "117.00"
    assert result.grade == "优秀"


def test_r1_member_d_basic_part_stops_at_its_floor(r1):
    d = member(5, standing=True)
    facts = [
        absent(d, day(1, 15), "plenary"),
        *[absent(d, day(m, 10), "standing_meeting") for m in (2, 4, 7, 10)],
        absent(d, day(5, 20), "committee_meeting"),
        absent(d, day(9, 20), "committee_meeting"),
    ]

    result = evaluate(r1, d, facts)

    assert lines_of(result) == {
        **R1_EMPTY,
        "plenary_absent": (1, 1, "-30.00", "-30.00"),
        "standing_absent": (4, 4, "-40.00", "-40.00"),
        "meeting_absent": (2, 2, "-10.00", "-10.00"),
    }
    basic = result.category("basic")
    assert (basic.raw, basic.total, basic.limited_by) == (D(-10), D(0), ("floor",))
    assert str(result.total) == "0.00"
    assert result.grade == "不合格"
    assert result.follow_ups == ("reminder_talk",)


def test_r1_standing_meetings_do_not_count_against_other_members(r1):
    b = member(6, standing=False)
    result = evaluate(r1, b, [absent(b, day(2, 10), "standing_meeting")])

    line = result.line("standing_absent")
    assert (line.matched, line.after, line.limited_by) == (0, 0, ("not_applicable",))
    assert result.total == D(70)


def test_r1_reminder_talk_after_two_consecutive_years_below_70(r1):
    m = member(7)
    facts = [excused(m, day(1, 15), "plenary"), *activities(m, 2)]  # 70 − 10 + 4 = 64, 合格

    alone = evaluate(r1, m, facts)
    after_a_low_year = evaluate(r1, m, facts, history={2024: PastYear(D("68.5"), "合格")})
    after_a_good_year = evaluate(r1, m, facts, history={2024: PastYear(D(70), "合格")})

    assert (alone.total, alone.grade, alone.follow_ups) == (D(64), "合格", ())
    assert after_a_low_year.follow_ups == ("reminder_talk",)
    assert after_a_good_year.follow_ups == ()


# --- R2 ------------------------------------------------------------------------------


def test_r2_member_c(r2):
    c = member(10)
    other_meetings = ["committee_meeting", "group_meeting"] * 4
    facts = [
        attended(c, day(1, 15), "plenary", "meeting"),
        *[attended(c, day(2 + i, 5), other_meetings[i], "meeting") for i in range(7)],
        *proposal(c, day(1, 10), "P1", accepted_on=day(3, 1)),
        *proposal(c, day(2, 10), "P2", accepted_on=day(3, 2)),
        *proposal(c, day(3, 10), "P3"),
        *proposal(c, day(4, 10), "P4"),
        *proposal(c, day(5, 10), "P5", converted_to="report"),
        *report(c, day(6, 1), "S0", adopted=[("city", day(7, 1))], from_proposal=True),
        *report(c, day(2, 1), "S1", adopted=[("county", day(3, 1)), ("province", day(5, 1))]),
        *report(c, day(3, 1), "S2"),
        attended(c, day(4, 20), "training", "training"),
        attended(c, day(9, 20), "training", "training"),
        attended(
            c, day(3, 3), "community_consultation", "consultation", role="convenor", activity="K1"
        ),
        attended(
            c, day(5, 3), "thematic_consultation", "consultation", role="speaker", activity="K2"
        ),
        attended(c, day(5, 3), "thematic_consultation", "consultation", activity="K2"),
        attended(c, day(6, 3), "community_consultation", "consultation", activity="K3"),
        attended(c, day(8, 3), "online_consultation", "consultation", activity="K4"),
        *[verified(c, day(2 + i, 12), "good_deed", "good_deed") for i in range(6)],
    ]

    result = evaluate(r2, c, facts)

    assert lines_of(result) == {
        "plenary_attended": (1, 1, "10.00", "10.00"),
        "meeting_attended": (7, 7, "14.00", "10.00"),
        "proposal_submitted": (4, 3, "9.00", "9.00"),
        "proposal_accepted": (2, 2, "10.00", "10.00"),
        "report_submitted": (3, 3, "6.00", "6.00"),
        "report_adopted": (3, 2, "15.00", "15.00"),
        "training_attended": (2, 1, "5.00", "5.00"),
        "consultation_role": (5, 4, "14.00", "14.00"),
        "good_deed": (6, 6, "18.00", "18.00"),
    }
    assert result.line("meeting_attended").limited_by == ("cap",)
    assert result.line("proposal_submitted").limited_by == ("first",)
    assert [s[2] for s in result.line("proposal_submitted").sources] == ["P1", "P2", "P3"]
    assert result.line("training_attended").limited_by == ("first",)
    assert result.line("consultation_role").limited_by == ("highest",)
    totals = {c.code: str(c.total) for c in result.categories}
    assert totals == {
        "meetings": "20.00",
        "proposals": "19.00",
        "social_info": "21.00",
        "training": "5.00",
        "consultations": "12.00",
        "good_deeds": "15.00",
    }
    assert result.category("consultations").limited_by == ("cap",)
    assert result.category("good_deeds").limited_by == ("cap",)
    assert str(result.total) == "92.00"
    assert result.grade == "优秀"


def test_r2_converted_proposal_is_left_out_before_the_first_three(r2):
    """Were P5 converted *first* in the year, P1-P3 would still be the three that count."""
    c = member(11)
    facts = [
        *proposal(c, day(1, 5), "P5", converted_to="report"),
        *proposal(c, day(1, 10), "P1"),
        *proposal(c, day(2, 10), "P2"),
        *proposal(c, day(3, 10), "P3"),
        *proposal(c, day(4, 10), "P4"),
    ]

    line = evaluate(r2, c, facts).line("proposal_submitted")

    assert (line.matched, line.counted, line.after) == (4, 3, D(9))
    assert [s[2] for s in line.sources] == ["P1", "P2", "P3"]


# --- the six ones --------------------------------------------------------------------


def six_ones(result):
    return result.checklist("six_ones")


def test_six_ones_a_joint_proposal_counts_for_every_proposer(haian):
    first, co = member(20), member(21)
    facts = [
        *proposal(first, day(3, 1), "J1", role="first", proposers=2),
        *proposal(co, day(3, 1), "J1", role="co", proposers=2),
    ]

    for m in (first, co):
        item = six_ones(evaluate(haian, m, facts)).item("proposal")
        assert (item.met, item.sources) == (True, (("proposals", "proposal", "J1"),))


def test_six_ones_any_submitted_proposal_counts_accepted_or_not_converted_or_not(haian):
    for facts_of in (
        lambda m: proposal(m, day(3, 1), "X", accepted_on=day(4, 1)),
        lambda m: proposal(m, day(3, 1), "X"),
        lambda m: proposal(m, day(3, 1), "X", converted_to="report"),
    ):
        m = member(22)
        assert six_ones(evaluate(haian, m, facts_of(m))).item("proposal").met


def six_ones_facts(m, *, skip=()):
    facts = {
        "research": [attended(m, day(4, 1), "research", "research")],
        "proposal": proposal(m, day(3, 1), "Y"),
        "report": report(m, day(3, 2), "R"),
        "consultation": [
            attended(m, day(5, 1), "community_consultation", "consultation", activity="K")
        ],
        "good_deed": [verified(m, day(6, 1), "good_deed", "good_deed")],
        "attraction": [verified(m, day(7, 1), "talent", "attraction")],
    }
    return [f for code, fs in facts.items() if code not in skip for f in fs]


def test_six_ones_the_rate_is_over_the_five_required_and_the_aim_shows_beside(haian):
    m = member(23)

    all_but_the_aim = six_ones(evaluate(haian, m, six_ones_facts(m, skip={"attraction"})))
    aim_but_no_report = six_ones(evaluate(haian, m, six_ones_facts(m, skip={"report"})))

    assert (all_but_the_aim.required_met, all_but_the_aim.required_total) == (5, 5)
    assert all_but_the_aim.complete
    assert all_but_the_aim.missing == ("attraction",)
    assert not all_but_the_aim.item("attraction").required
    assert (aim_but_no_report.required_met, aim_but_no_report.required_total) == (4, 5)
    assert not aim_but_no_report.complete
    assert aim_but_no_report.item("attraction").met
    assert aim_but_no_report.missing == ("report",)


def test_six_ones_shows_the_record_that_met_each_item(haian):
    m = member(24)
    result = six_ones(evaluate(haian, m, six_ones_facts(m)))

    assert result.item("research").sources[0][:2] == ("duties", "activity")
    assert result.item("report").sources == (("reports", "socialinforeport", "R"),)
    assert result.item("consultation").sources == (("duties", "activity", "K"),)


# --- Hai'an: our own worked member (haian.yaml, notes) ------------------------------


def member_h_facts(h, *, with_consultation=True):
    facts = [
        attended(h, day(1, 15), "plenary", "meeting"),
        absent(h, day(3, 20), "committee_meeting"),
        excused(h, day(2, 20), "group_meeting"),
        excused(h, day(5, 20), "group_meeting"),
        excused(h, day(8, 20), "group_meeting"),
        attended(h, day(4, 8), "research", "research"),
        attended(h, day(6, 8), "research", "research"),
        *[attended(h, day(m, 12), "inspection", "inspection") for m in (3, 5, 7, 9)],
        attended(h, day(2, 25), "training", "training"),
        attended(h, day(6, 25), "training", "training"),
        attended(h, day(11, 25), "training", "training"),
        *proposal(h, day(1, 16), "HP1", proposers=3, accepted_on=day(3, 1), excellent=True),
        *proposal(h, day(1, 17), "HP2", role="co", proposers=4, accepted_on=day(3, 1)),
        *proposal(h, day(1, 18), "HP3"),
        *proposal(h, day(1, 19), "HP4", converted_to="report"),
        *proposal(h, day(6, 1), "HP5"),
        *report(h, day(2, 1), "HS1", adopted=[("city", day(3, 5)), ("province", day(4, 5))]),
        *report(h, day(5, 1), "HS2"),
        *report(h, day(2, 10), "HS3", from_proposal=True),
        verified(h, day(4, 30), "good_deed", "good_deed"),
        verified(h, day(9, 30), "good_deed", "good_deed"),
        verified(h, day(10, 15), "investment", "attraction"),
    ]
    if with_consultation:
        facts += [
            attended(h, day(5, 9), "community_consultation", "consultation", role="convenor"),
            attended(h, day(8, 9), "online_consultation", "consultation"),
        ]
    return facts


H_MARKS = {"duty_report": D("5.5"), "democratic_review": D("3.5")}


def test_haian_member_h(haian):
    h = member(30)

    result = evaluate(haian, h, member_h_facts(h), marks=H_MARKS)

    assert lines_of(result) == {
        "plenary_absent": (0, 0, "0.00", "0.00"),
        "plenary_excused": (0, 0, "0.00", "0.00"),
        "standing_absent": (0, 0, "0.00", "0.00"),
        "standing_excused": (0, 0, "0.00", "0.00"),
        "meeting_absent": (1, 1, "-3.00", "-3.00"),
        "meeting_excused": (3, 1, "-1.00", "-1.00"),
        "field_work": (6, 6, "18.00", "18.00"),
        "consultation": (2, 2, "6.00", "6.00"),
        "training": (3, 2, "4.00", "4.00"),
        "proposal_submitted": (4, 3, "6.00", "6.00"),
        "proposal_accepted": (2, 2, "3.67", "3.67"),
        "proposal_excellent": (1, 1, "2.40", "2.40"),
        "report_submitted": (3, 3, "3.00", "3.00"),
        "report_adopted": (2, 1, "8.00", "8.00"),
        "report_instructed": (0, 0, "0.00", "0.00"),
        "speech_delivered": (0, 0, "0.00", "0.00"),
        "speech_written": (0, 0, "0.00", "0.00"),
        "good_deed": (2, 2, "4.00", "4.00"),
        "attraction": (1, 1, "5.00", "5.00"),
        "honour": (0, 0, "0.00", "0.00"),
        "duty_report": (1, 1, "5.50", "5.50"),
        "democratic_review": (1, 1, "3.50", "3.50"),
    }
    assert result.line("meeting_excused").limited_by == ("from_nth",)
    assert [s[2] for s in result.line("proposal_submitted").sources] == ["HP1", "HP2", "HP3"]
    totals = {c.code: (str(c.raw), str(c.total)) for c in result.categories}
    assert totals == {
        "meetings": ("26.00", "26.00"),
        "activities": ("28.00", "25.00"),
        "advice": ("23.07", "23.07"),
        "service": ("9.00", "9.00"),
        "review": ("9.00", "9.00"),
    }
    assert str(result.total) == "92.07"
    assert result.grade == "优秀"
    assert result.vetoes == ()
    checklist = result.checklist("six_ones")
    assert (checklist.required_met, checklist.required_total, checklist.missing) == (5, 5, ())
    assert result.candidates == ("outstanding",)
    assert result.follow_ups == ()


def test_haian_member_h_without_a_consultation_is_capped_at_pass(haian):
    h = member(31)

    result = evaluate(haian, h, member_h_facts(h, with_consultation=False), marks=H_MARKS)

    assert result.category("activities").total == D(22)
    assert str(result.total) == "89.07"
    assert (result.grade_before_veto, result.grade) == ("优秀", "合格")
    assert result.vetoes == ("six_ones",)
    assert result.checklist("six_ones").missing == ("consultation",)
    assert result.candidates == ()


def test_haian_who_is_not_assessed(haian):
    chair = member(40, flags=frozenset({"chairs_meeting"}))
    late = member(41, joined_on=day(10, 8))
    away = member(42, leaves=((day(2, 1), day(11, 30)),))  # 304 days of approved leave

    assert [evaluate(haian, m, []).exempt_reason for m in (chair, late, away)] == [
        "flag",
        "joined_after",
        "share",
    ]
    assert evaluate(haian, chair, []).checklists == ()
