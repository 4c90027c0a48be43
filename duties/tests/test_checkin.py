import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from duties.checkin import (
    CheckInRefused,
    checkin_record,
    checkin_token,
    checkin_window,
)
from duties.models import Activity, CheckInUse, Participation
from duties.services import activity_publish, attendance_record, signup
from tests import factories as f

NOW = datetime.datetime(2026, 5, 12, 9, 0, 30, tzinfo=datetime.UTC)


def _activity(world, *, starts_at=NOW, **kwargs):
    activity = f.ActivityFactory(
        term=world.term,
        status=Activity.Status.DRAFT,
        starts_at=starts_at,
        ends_at=starts_at + datetime.timedelta(hours=3),
        signup_deadline=None,
        created_by=world.staff,
        **kwargs,
    )
    return activity_publish(activity=activity, by=world.staff)


def _code(activity, at=NOW):
    window = checkin_window(at)
    return {"window": window, "token": checkin_token(activity_id=activity.pk, window=window)}


def _url(activity, at):
    code = _code(activity, at)
    return reverse("duties:checkin", args=[activity.pk, code["window"], code["token"]])


def test_a_fresh_code_marks_an_unlisted_member_attended(world):
    # given
    activity = _activity(world)
    # when
    result = checkin_record(activity=activity, member=world.member, now=NOW, **_code(activity))
    # then
    p = result.participation
    assert not result.already
    assert p.attendance == Participation.Attendance.ATTENDED
    assert p.checked_in_at == NOW
    assert p.source == Participation.Source.CHECKIN
    assert p.signup == Participation.Signup.CONFIRMED
    activity.refresh_from_db()
    assert activity.signed_up_count == 1


def test_a_signed_up_member_keeps_their_source(world):
    activity = _activity(world, starts_at=timezone.now() + datetime.timedelta(days=2))
    signup(activity=activity, member=world.member)
    at = activity.starts_at - datetime.timedelta(minutes=5)
    p = checkin_record(activity=activity, member=world.member, now=at, **_code(activity, at))
    assert p.participation.source == Participation.Source.SIGNUP
    assert p.participation.attendance == Participation.Attendance.ATTENDED


def test_the_previous_minutes_code_is_still_good(world):
    activity = _activity(world)
    code = _code(activity, NOW - datetime.timedelta(seconds=60))
    assert checkin_record(activity=activity, member=world.member, now=NOW, **code).participation


def test_an_older_code_has_expired(world):
    activity = _activity(world)
    code = _code(activity, NOW - datetime.timedelta(seconds=120))
    with pytest.raises(CheckInRefused, match="过期") as refused:
        checkin_record(activity=activity, member=world.member, now=NOW, **code)
    assert refused.value.status == 410
    assert not Participation.objects.filter(activity=activity).exists()


def test_a_code_from_the_future_is_refused(world):
    activity = _activity(world)
    code = _code(activity, NOW + datetime.timedelta(seconds=60))
    with pytest.raises(CheckInRefused):
        checkin_record(activity=activity, member=world.member, now=NOW, **code)


def test_a_forged_code_is_refused(world):
    activity = _activity(world)
    code = _code(activity)
    forged = "a" * 16 if code["token"] != "a" * 16 else "b" * 16
    with pytest.raises(CheckInRefused, match="无效") as refused:
        checkin_record(
            activity=activity, member=world.member, now=NOW, window=code["window"], token=forged
        )
    assert refused.value.status == 403


def test_another_activitys_code_is_refused(world):
    activity, other = _activity(world), _activity(world)
    code = _code(other)
    with pytest.raises(CheckInRefused, match="无效"):
        checkin_record(activity=activity, member=world.member, now=NOW, **code)


def test_checking_in_twice_changes_nothing(world):
    activity = _activity(world)
    first = checkin_record(activity=activity, member=world.member, now=NOW, **_code(activity))
    later = NOW + datetime.timedelta(minutes=5)
    again = checkin_record(
        activity=activity, member=world.member, now=later, **_code(activity, later)
    )
    same = checkin_record(activity=activity, member=world.member, now=NOW, **_code(activity))
    assert again.already and same.already
    assert again.participation.checked_in_at == first.participation.checked_in_at == NOW
    assert Participation.objects.filter(activity=activity).count() == 1


def test_a_used_code_cannot_undo_a_staff_correction(world):
    # given: checked in, then staff record the member absent (they left)
    activity = _activity(world)
    code = _code(activity)
    checkin_record(activity=activity, member=world.member, now=NOW, **code)
    attendance_record(activity=activity, member=world.member, attendance="absent", by=world.staff)
    # when the same minute's code is used again
    with pytest.raises(CheckInRefused, match="已使用") as refused:
        checkin_record(activity=activity, member=world.member, now=NOW, **code)
    # then
    assert refused.value.status == 410
    p = Participation.objects.get(activity=activity, member=world.member)
    assert p.attendance == Participation.Attendance.ABSENT
    assert CheckInUse.objects.filter(activity=activity, member=world.member).count() == 1


@pytest.mark.parametrize(
    ("offset", "accepted"),
    [
        (datetime.timedelta(minutes=-31), False),
        (datetime.timedelta(minutes=-30), True),
        (datetime.timedelta(hours=3), True),
        (datetime.timedelta(hours=3, minutes=1), False),
    ],
)
def test_check_in_opens_half_an_hour_before_and_closes_at_the_end(world, offset, accepted):
    activity = _activity(world)
    at = NOW + offset
    code = _code(activity, at)
    if accepted:
        checkin_record(activity=activity, member=world.member, now=at, **code)
    else:
        with pytest.raises(CheckInRefused, match="不在签到时间内"):
            checkin_record(activity=activity, member=world.member, now=at, **code)


def test_a_member_outside_the_audience_is_refused(world):
    activity = _activity(world, audience=Activity.Audience.GROUP, audience_group=world.group)
    with pytest.raises(CheckInRefused, match="参加对象"):
        checkin_record(activity=activity, member=world.other_member, now=NOW, **_code(activity))
    assert not Participation.objects.filter(activity=activity).exists()


def test_a_cancelled_activity_refuses_check_in(world):
    from duties.services import activity_cancel

    activity = activity_cancel(activity=_activity(world), by=world.staff, reason="天气")
    with pytest.raises(CheckInRefused, match="取消"):
        checkin_record(activity=activity, member=world.member, now=NOW, **_code(activity))


# ------------------------------------------------------------------ views


def test_not_logged_in_the_member_logs_in_and_comes_back_checked_in(client, world):
    activity = _activity(world, starts_at=timezone.now())
    url = _url(activity, timezone.now())
    # when: scanned without a session
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    # then: the login page sends the member back to the code
    response = client.post(
        response["Location"],
        {"login": "member", "password": "pass-word-123"},
        follow=True,
    )
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == url
    assert "签到成功" in response.content.decode()
    p = Participation.objects.get(activity=activity, member=world.member)
    assert p.attendance == Participation.Attendance.ATTENDED


def test_a_slow_login_after_a_fresh_scan_is_still_accepted(client, world, monkeypatch):
    activity = _activity(world, starts_at=timezone.now())
    scanned = timezone.now()
    url = _url(activity, scanned)
    client.get(url)
    client.force_login(world.member.person.user)
    # Five minutes typing a password: the code itself is stale by now.
    later = scanned + datetime.timedelta(minutes=5)
    monkeypatch.setattr("duties.checkin_views.timezone.now", lambda: later)
    response = client.get(url)
    assert response.status_code == 200
    assert "签到成功" in response.content.decode()


def test_a_stale_code_gets_a_clear_page(client, world):
    activity = _activity(world, starts_at=timezone.now())
    client.force_login(world.member.person.user)
    response = client.get(_url(activity, timezone.now() - datetime.timedelta(minutes=3)))
    assert response.status_code == 410
    assert "二维码已过期" in response.content.decode()


def test_a_forged_code_gets_a_clear_page(client, world):
    activity = _activity(world, starts_at=timezone.now())
    client.force_login(world.member.person.user)
    window = checkin_window(timezone.now())
    response = client.get(reverse("duties:checkin", args=[activity.pk, window, "x" * 16]))
    assert response.status_code == 403
    assert "二维码无效" in response.content.decode()


def test_staff_without_a_seat_are_told_they_need_not_check_in(client, world):
    activity = _activity(world, starts_at=timezone.now())
    client.force_login(world.staff)
    response = client.get(_url(activity, timezone.now()))
    assert response.status_code == 403
    assert "不是本届委员" in response.content.decode()


def test_the_screen_shows_a_qr_code_and_the_count(client, world):
    activity = _activity(world, starts_at=timezone.now())
    checkin_record(
        activity=activity,
        member=world.colleague,
        now=timezone.now(),
        **_code(activity, timezone.now()),
    )
    client.force_login(world.staff)
    response = client.get(reverse("duties:checkin_screen", args=[activity.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "<svg" in body and "<script>" not in body
    assert 'hx-get="' + reverse("duties:checkin_qr", args=[activity.pk]) in body
    assert "已签到 1 人" in body
    window = checkin_window(timezone.now())
    assert f"http://testserver/duties/{activity.pk}/checkin/" in body
    assert str(window) in body or str(window - 1) in body


def test_the_polled_partial_has_the_current_code(client, world):
    activity = _activity(world, starts_at=timezone.now())
    client.force_login(world.staff)
    response = client.get(reverse("duties:checkin_qr", args=[activity.pk]))
    assert response.status_code == 200
    assert "<svg" in response.content.decode()
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_members_cannot_open_the_screen(client, world):
    activity = _activity(world, starts_at=timezone.now())
    client.force_login(world.member.person.user)
    assert client.get(reverse("duties:checkin_screen", args=[activity.pk])).status_code == 403
