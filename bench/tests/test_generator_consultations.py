"""The generator's 有事好商量 sessions: one for every held community consultation,
its convenor an attending member listed as convenor, suggestions by people who
were there, solved ones with a time no later than the generator's `now`."""

import pytest

from bench.generator import DutyBuilder, generate
from bench.generator_consultations import consultations_ensure
from consultations.models import Consultation, FollowUp, OutsideParticipant, Suggestion
from duties.models import Activity, Participation
from sectors.models import Body

BODY = "辛市政协"
NOW = DutyBuilder().now


@pytest.fixture
def body(db):
    generate("S", members=120, seed=17, body_name=BODY)
    return Body.objects.get(name=BODY)


def test_every_held_community_consultation_has_its_session(body):
    held = Activity.objects.filter(
        body=body,
        kind__code="community_consultation",
        status=Activity.Status.CONFIRMED,
        ends_at__lt=NOW,
        participations__attendance=Participation.Attendance.ATTENDED,
    ).distinct()
    sessions = Consultation.objects.filter(activity__body=body)

    assert held.count() > 0
    assert set(sessions.values_list("activity_id", flat=True)) == set(
        held.values_list("pk", flat=True)
    )
    assert not sessions.filter(activity__starts_at__gte=NOW).exists()


def test_the_member_convenor_attended_and_is_listed_as_convenor(body):
    for session in Consultation.objects.filter(activity__body=body):
        row = Participation.objects.get(activity=session.activity, member=session.member_convenor)
        assert row.attendance == Participation.Attendance.ATTENDED
        assert row.role == Participation.Role.CONVENOR


def test_suggestions_outsiders_and_follow_ups_come_in_realistic_proportions(body):
    sessions = Consultation.objects.filter(activity__body=body)
    n = sessions.count()
    suggestions = Suggestion.objects.filter(consultation__in=sessions)

    assert 2 * n <= suggestions.count() <= 5 * n
    assert 2 * n <= OutsideParticipant.objects.filter(consultation__in=sessions).count() <= 6 * n
    for suggestion in suggestions.filter(raised_by_member__isnull=False):
        assert Participation.objects.filter(
            activity=suggestion.consultation.activity,
            member=suggestion.raised_by_member,
            attendance=Participation.Attendance.ATTENDED,
        ).exists()
    solved = sessions.filter(status=Consultation.Status.SOLVED)
    assert 0 < solved.count() < n
    for session in solved:
        assert session.activity.ends_at < session.solved_at <= NOW
        for follow_up in FollowUp.objects.filter(consultation=session):
            assert session.activity.ends_at.date() <= follow_up.date <= session.solved_at.date()


def test_a_second_generate_adds_no_sessions(body):
    before = Consultation.objects.count()

    generate("S", members=120, seed=17, body_name=BODY)
    consultations_ensure([BODY], seed=17, now=NOW, user=None)

    assert Consultation.objects.count() == before
