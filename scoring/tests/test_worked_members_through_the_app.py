"""The worked members of ../shared/RULEBOOKS.md (R1: A, B, B2, E, D; R2: C)
made the way the application makes them: activities and attendance through
duties.services, consultations through consultations.services, proposals and
reports through their services, verified duties through
duties.self_reported; then the ledger rebuilt, R1 or R2 loaded from
scoring/rulebooks/ with the loading service, the annual period computed, and
the stored lines, totals and grades compared exactly with RULEBOOKS.md (the
same receipts as the fact-level tests in test_worked_members.py).

Proposals and reports are dated today by their services, so the year here is
this year, and the rulebook files (written for 2025) are loaded for it."""

import datetime
from pathlib import Path

import pytest
from django.utils import timezone

from consultations import services as consultations
from duties import self_reported
from duties import services as duties
from duties.models import Activity, ActivityKind, Category, Participation
from proposals.services import drafting, review
from proposals.tests import factories as pf
from reports import services as reports
from reports.models import SocialInfoReport
from reports.tests import factories as rf
from scoring import facts as ledger
from scoring import receipts, services
from scoring.models import Score, ScorePeriod
from tests import factories as f

from .test_worked_members import R1_EMPTY

RULEBOOKS = Path(__file__).resolve().parent.parent / "rulebooks"
YEAR = timezone.localdate().year


def rulebook_text(name: str, year: int = YEAR) -> str:
    """An example rulebook file, for `year` (the files are written for 2025)."""
    text = (RULEBOOKS / name).read_text(encoding="utf-8")
    assert "\nyear: 2025\n" in text
    return text.replace("\nyear: 2025\n", f"\nyear: {year}\n", 1)


def at(month: int, day: int, year: int = YEAR, hour: int = 9) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, tzinfo=timezone.get_current_timezone())


class App:
    """Records of one body made through the services, for worked members."""

    def __init__(self, world):
        self.world, self.body, self.term, self.staff = world, world.body, world.term, world.staff
        duties.activity_kinds_ensure_defaults(body=self.body)
        # 书面发言被采用: a self-reportable kind (a default kind now; made if missing)
        f.ActivityKindFactory(
            body=self.body,
            code="plenary_speech_written",
            name="大会书面发言",
            category=Category.SPEECH,
            self_reportable=True,
        )
        self._session = None
        self._room = None

    def member(self, *, standing=False):
        return f.member_with_login(
            term=self.term, sector=self.world.sector, group=self.world.group, is_standing=standing
        )

    # activities ------------------------------------------------------------

    def activity(self, code: str, when: datetime.datetime) -> Activity:
        return f.ActivityFactory(
            term=self.term,
            kind=ActivityKind.objects.get(body=self.body, code=code),
            starts_at=when,
            ends_at=when + datetime.timedelta(hours=2),
            signup_deadline=when - datetime.timedelta(days=1),
        )

    def attend(self, member, code, when, attendance="attended", *, role=None) -> Participation:
        """The member's attendance of a new activity of this kind, recorded by staff."""
        return duties.attendance_record(
            activity=self.activity(code, when),
            member=member,
            attendance=attendance,
            reason="因公出差" if attendance == "excused" else "",
            role=role or "",
            by=self.staff,
        )

    def attend_many(self, member, n: int, codes=("inspection", "research")) -> None:
        for i in range(n):
            self.attend(member, codes[i % len(codes)], at(3 + i % 9, 1 + i))

    def consultation(self, *, convenor, members=(), when) -> Activity:
        """A 有事好商量 session, everyone listed marked present."""
        if self._room is None:
            self._room = f.MemberHomeFactory(body=self.body)
        session = consultations.consultation_create(
            term=self.term,
            topic="老旧小区加装电梯",
            room=self._room,
            starts_at=when,
            ends_at=when + datetime.timedelta(hours=2),
            member_convenor=convenor,
            official_convenor_name="王科长",
            official_convenor_unit="区住建局",
            members=list(members),
            by=self.staff,
        )
        return session

    def all_present(self, session) -> None:
        duties.attendance_mark_all_present(activity=session.activity, by=self.staff)

    # proposals and reports ------------------------------------------------

    @property
    def session(self):
        if self._session is None:
            self._session = pf.open_session(self.term)
        return self._session

    def proposal(self, first, *, co=(), accept=False, key=False, title="关于加快城市更新的建议"):
        proposal = pf.draft(member=first, session=self.session, title=title)
        if co:
            drafting.cosigner_invite(
                proposal=proposal,
                members=list(co),
                by=first.person.user,
                deadline=timezone.now() + datetime.timedelta(days=2),
            )
            for member in co:
                row = proposal.proposers.get(member=member)
                drafting.cosigner_answer(proposer=row, by=member.person.user, confirm=True)
        proposal = drafting.proposal_submit(proposal=proposal, by=first.person.user)
        if accept:
            proposal = review.proposal_accept(proposal=proposal, by=self.staff)
        if key:
            proposal = review.proposal_flag_key(proposal=proposal, by=self.staff, leader="李主席")
        return proposal

    def report(self, member, *, adopted=(), instructed=(), title="关于老旧小区停车难的情况反映"):
        report = rf.accepted(member, self.staff, title=title)
        self.adopt(report, *adopted)
        for level in instructed:
            reports.report_instruction_record(
                report=report,
                by=self.staff,
                level=level,
                leader=f"{level}领导",
                instructed_on=timezone.localdate(),
            )
        return report

    def adopt(self, report, *levels) -> None:
        for level in levels:
            reports.report_adoption_record(
                report=report,
                by=self.staff,
                level=level,
                mode="single",
                adopted_on=timezone.localdate(),
            )

    def verified(self, member, code, done_on=None):
        duty = self_reported.duty_submit(
            member=member,
            kind=ActivityKind.objects.get(body=self.body, code=code),
            done_on=done_on or timezone.localdate(),
            description="已完成",
            by=member.person.user,
        )
        return self_reported.duty_verify(duty=duty, by=self.staff)

    # scoring -----------------------------------------------------------------

    def compute(self, rulebook: str, *, quarter: int = 0, year: int = YEAR) -> ScorePeriod:
        """Rebuild the ledger, load and publish the rulebook, compute the period."""
        ledger.facts_rebuild(body=self.body)
        services.rulebook_load(
            body=self.body,
            year=year,
            text=rulebook_text(rulebook, year),
            by=self.staff,
            publish=True,
        )
        period = services.period_open(body=self.body, year=year, quarter=quarter)
        services.period_compute(period=period)
        return period


def receipt(period, member) -> tuple[Score, dict]:
    """The stored score and its lines as {item: (matched, counted, before, after)}."""
    score = Score.objects.get(period=period, member=member)
    lines = {
        line.item_code: (
            line.matched,
            line.counted,
            str(line.points_before_cap),
            str(line.points),
        )
        for line in score.lines.order_by("position")
    }
    return score, lines


def sources_of(score, item_code) -> list[tuple]:
    """The records a receipt line opens (scoring.receipts), as it shows them."""
    opened = receipts.receipt(score)
    assert not opened.changed
    return list(next(x for x in opened.lines if x.line.item_code == item_code).sources)


def category_totals(score) -> dict:
    return {c["code"]: (c["raw"], c["total"], tuple(c["limited_by"])) for c in score.categories}


@pytest.fixture
def app(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return App(world)


# R1 ---------------------------------------------------------------------------------


def test_r1_member_a_standing_member_capped_bonus(app):
    a = app.member(standing=True)
    partner = app.member()
    app.attend(a, "plenary", at(1, 15))
    for month in (2, 4, 7):
        app.attend(a, "standing_meeting", at(month, 10))
    app.attend(a, "standing_meeting", at(10, 10), "excused")
    app.attend(a, "committee_meeting", at(5, 20), "absent")
    app.proposal(a, co=[partner], accept=True, key=True, title="P1")
    app.proposal(partner, co=[a], accept=True, title="P2")
    app.proposal(a, title="P3")
    s1 = app.report(a, adopted=["city", "province"], instructed=["province"], title="S1")
    s2 = rf.submitted(a, title="S2")
    reports.report_not_use(report=s2, by=app.staff, reason="内容重复")
    app.attend(a, "plenary_speech", at(1, 17), role=Participation.Role.SPEAKER)
    app.attend_many(a, 12)

    period = app.compute("r1.yaml")

    score, lines = receipt(period, a)
    assert lines == {
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
    adopted = score.lines.get(item_code="report_adopted")
    assert adopted.limited_by == ["highest"]
    assert sources_of(score, "report_adopted") == [("reports", "socialinforeport", s1.pk)]
    assert category_totals(score) == {
        "basic": ("62.00", "62.00", ()),
        "bonus": ("68.00", "50.00", ("cap",)),
        "activities": ("24.00", "20.00", ("cap",)),
    }
    assert (str(score.total), score.grade, score.vetoes, score.follow_ups) == (
        "112.00",
        "优秀",
        [],
        [],
    )


def test_r1_member_b_plenary_absent_gets_a_reminder_talk(app):
    b = app.member()
    first = app.member()
    app.attend(b, "plenary", at(1, 15), "absent")
    app.proposal(first, co=[b], accept=True)
    app.attend_many(b, 3)

    period = app.compute("r1.yaml")

    score, lines = receipt(period, b)
    assert lines == {
        **R1_EMPTY,
        "plenary_absent": (1, 1, "-30.00", "-30.00"),
        "proposal_accepted": (1, 1, "5.00", "5.00"),
        "activity_attended": (3, 3, "6.00", "6.00"),
    }
    totals = category_totals(score)
    assert (totals["basic"][1], totals["bonus"][1]) == ("40.00", "11.00")
    assert (str(score.total), score.grade) == ("51.00", "不合格")
    assert score.vetoes == ["plenary_absent"]  # it held, but 不合格 is below its cap
    assert score.follow_ups == ["reminder_talk"]


def test_r1_member_b2_veto_caps_the_grade_at_pass(app):
    b2 = app.member()
    app.attend(b2, "plenary", at(1, 15), "absent")
    for title in ("Q1", "Q2", "Q3"):
        app.proposal(b2, accept=True, title=title)
    app.attend_many(b2, 25)

    period = app.compute("r1.yaml")

    score, lines = receipt(period, b2)
    assert lines == {
        **R1_EMPTY,
        "plenary_absent": (1, 1, "-30.00", "-30.00"),
        "proposal_accepted": (3, 3, "30.00", "30.00"),
        "activity_attended": (25, 25, "50.00", "50.00"),
    }
    totals = category_totals(score)
    assert (totals["activities"][1], totals["bonus"][1]) == ("20.00", "50.00")
    assert str(score.total) == "90.00"
    assert (score.grade_before_veto, score.grade) == ("优秀", "合格")
    assert (score.vetoes, score.follow_ups) == (["plenary_absent"], [])


def test_r1_member_e_bonus_under_the_cap_shows_every_line(app):
    e = app.member()
    app.attend(e, "plenary", at(1, 15))
    app.attend(e, "committee_meeting", at(4, 15))
    app.attend(e, "group_meeting", at(6, 15))
    app.proposal(e, accept=True, key=True, title="P4")
    app.report(e, adopted=["national"], instructed=["city"], title="S3")
    app.verified(e, "plenary_speech_written")
    app.attend(e, "research", at(5, 1))
    app.attend(e, "research", at(9, 1))

    period = app.compute("r1.yaml")

    score, lines = receipt(period, e)
    assert lines == {
        **R1_EMPTY,
        "proposal_accepted": (1, 1, "10.00", "10.00"),
        "proposal_key": (1, 1, "5.00", "5.00"),
        "report_adopted": (1, 1, "20.00", "20.00"),
        "report_instructed": (1, 1, "5.00", "5.00"),
        "speech_written": (1, 1, "3.00", "3.00"),
        "activity_attended": (2, 2, "4.00", "4.00"),
    }
    totals = category_totals(score)
    assert (totals["basic"][1], totals["bonus"]) == ("70.00", ("47.00", "47.00", ()))
    assert (str(score.total), score.grade) == ("117.00", "优秀")


def test_r1_member_d_basic_part_stops_at_its_floor(app):
    d = app.member(standing=True)
    app.attend(d, "plenary", at(1, 15), "absent")
    for month in (2, 4, 7, 10):
        app.attend(d, "standing_meeting", at(month, 10), "absent")
    app.attend(d, "committee_meeting", at(5, 20), "absent")
    app.attend(d, "committee_meeting", at(9, 20), "absent")

    period = app.compute("r1.yaml")

    score, lines = receipt(period, d)
    assert lines == {
        **R1_EMPTY,
        "plenary_absent": (1, 1, "-30.00", "-30.00"),
        "standing_absent": (4, 4, "-40.00", "-40.00"),
        "meeting_absent": (2, 2, "-10.00", "-10.00"),
    }
    assert category_totals(score)["basic"] == ("-10.00", "0.00", ("floor",))
    assert (str(score.total), score.grade, score.follow_ups) == (
        "0.00",
        "不合格",
        ["reminder_talk"],
    )


def test_r1_the_score_records_the_rulebook_version_that_made_it(app):
    a = app.member()
    app.attend(a, "plenary", at(1, 15))

    period = app.compute("r1.yaml")

    period.refresh_from_db()
    score = Score.objects.get(period=period, member=a)
    assert score.rulebook == period.rulebook
    assert (period.rulebook.version, period.rulebook.status) == (1, "published")
    assert period.computed_at is not None


# R2 ---------------------------------------------------------------------------------


def test_r2_member_c(app):
    c = app.member()
    other = app.member()
    app.attend(c, "plenary", at(1, 15))
    for i in range(7):
        app.attend(c, ("committee_meeting", "group_meeting")[i % 2], at(2 + i, 5))
    p1 = app.proposal(c, accept=True, title="P1")
    p2 = app.proposal(c, accept=True, title="P2")
    p3 = app.proposal(c, title="P3")
    review.proposal_reject(proposal=p3, by=app.staff, reason="不属于提案范围")
    app.proposal(c, title="P4")
    p5 = app.proposal(c, title="P5")
    review.proposal_convert(proposal=p5, to="report", by=app.staff)
    s0 = SocialInfoReport.objects.get(from_proposal=p5)
    reports.report_accept(report=s0, by=app.staff)
    app.adopt(s0, "city")
    app.report(c, adopted=["county", "province"], title="S1")
    rf.submitted(c, title="S2")
    app.attend(c, "training", at(4, 20))
    app.attend(c, "training", at(9, 20))
    # convenor of one consultation; speaker at a second; a participant at two more
    app.all_present(app.consultation(convenor=c, members=[other], when=at(3, 3)))
    second = app.consultation(convenor=other, when=at(5, 3))
    consultations.participant_add(consultation=second, member=c, role="speaker", by=app.staff)
    app.all_present(second)
    app.all_present(app.consultation(convenor=other, members=[c], when=at(6, 3)))
    app.attend(c, "online_consultation", at(8, 3))
    for i in range(6):
        app.verified(c, "good_deed", datetime.date(YEAR, 1, 1) + datetime.timedelta(days=i))

    period = app.compute("r2.yaml")

    score, lines = receipt(period, c)
    assert lines == {
        "plenary_attended": (1, 1, "10.00", "10.00"),
        "meeting_attended": (7, 7, "14.00", "10.00"),
        "proposal_submitted": (4, 3, "9.00", "9.00"),
        "proposal_accepted": (2, 2, "10.00", "10.00"),
        "report_submitted": (3, 3, "6.00", "6.00"),
        "report_adopted": (3, 2, "15.00", "15.00"),
        "training_attended": (2, 1, "5.00", "5.00"),
        # one participation per member and activity: the app keeps one role
        # (speaker) at the second session, so 4 facts match, not 5 as in the
        # fact-level test; the points are RULEBOOKS.md's 6 + 4 + 2 + 2
        "consultation_role": (4, 4, "14.00", "14.00"),
        "good_deed": (6, 6, "18.00", "18.00"),
    }
    submitted = score.lines.get(item_code="proposal_submitted")
    assert submitted.limited_by == ["first"]
    assert [source[2] for source in sources_of(score, "proposal_submitted")] == [
        p1.pk,
        p2.pk,
        p3.pk,
    ]
    assert {c["code"]: c["total"] for c in score.categories} == {
        "meetings": "20.00",
        "proposals": "19.00",
        "social_info": "21.00",
        "training": "5.00",
        "consultations": "12.00",
        "good_deeds": "15.00",
    }
    assert (str(score.total), score.grade) == ("92.00", "优秀")
