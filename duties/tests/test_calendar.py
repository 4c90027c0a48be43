import datetime

from django.urls import reverse

from duties.calendar import calendar_feed_reset, ics_escape, ics_fold
from duties.models import Activity, CalendarFeed
from duties.services import activity_cancel, activity_publish, list_add, signup, withdraw
from tests import factories as f

STARTS = datetime.datetime(2030, 6, 3, 1, 30, tzinfo=datetime.UTC)


def _activity(world, **kwargs):
    kwargs.setdefault("starts_at", STARTS)
    activity = f.ActivityFactory(
        term=world.term,
        status=Activity.Status.DRAFT,
        ends_at=kwargs["starts_at"] + datetime.timedelta(hours=2),
        signup_deadline=None,
        created_by=world.staff,
        **kwargs,
    )
    return activity_publish(activity=activity, by=world.staff)


def unfold(text: str) -> list[str]:
    assert "\r\n" in text
    assert "\n" not in text.replace("\r\n", "")
    return text.replace("\r\n ", "").split("\r\n")[:-1]


def events(lines):
    out, current = [], None
    for line in lines:
        if line == "BEGIN:VEVENT":
            current = {}
        elif line == "END:VEVENT":
            out.append(current)
            current = None
        elif current is not None:
            key, value = line.split(":", 1)
            current[key] = value
    return out


def test_escape_and_fold():
    assert ics_escape("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"
    line = "SUMMARY:" + "关于推进城乡融合发展的专题调研" * 5
    folded = ics_fold(line)
    parts = folded.split("\r\n")
    assert len(parts) > 1
    assert all(len(p.encode()) <= 75 for p in parts)
    assert all(p.startswith(" ") for p in parts[1:])
    assert folded.replace("\r\n ", "") == line


def test_the_feed_lists_the_members_activities(client, world):
    # given: signed up to one, put on the list of another (then cancelled),
    # withdrew from a third, a draft and one of someone else
    mine = _activity(world, theme="视察,城东; 新区\n第二站", venue_text="市民中心")
    signup(activity=mine, member=world.member)
    cancelled = _activity(world, starts_at=STARTS + datetime.timedelta(days=3))
    list_add(activity=cancelled, members=[world.member], by=world.staff)
    activity_cancel(activity=cancelled, by=world.staff, reason="天气原因")
    left = _activity(world)
    signup(activity=left, member=world.member)
    withdraw(activity=left, member=world.member)
    f.ActivityFactory(term=world.term, status=Activity.Status.DRAFT, created_by=world.staff)
    theirs = _activity(world)
    signup(activity=theirs, member=world.colleague)
    feed = calendar_feed_reset(person=world.member.person)
    # when: fetched without a login
    response = client.get(reverse("duties:calendar_feed", args=[feed.token]))
    # then
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    lines = unfold(response.content.decode())
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-1] == "END:VCALENDAR"
    assert "VERSION:2.0" in lines
    assert any(line.startswith("PRODID:") for line in lines)
    found = events(lines)
    assert [e["UID"] for e in found] == [
        f"lvzhi-activity-{mine.pk}@lvzhi",
        f"lvzhi-activity-{cancelled.pk}@lvzhi",
    ]
    first, second = found
    assert first["DTSTART"] == "20300603T013000Z"
    assert first["DTEND"] == "20300603T033000Z"
    assert first["SUMMARY"] == "视察\\,城东\\; 新区\\n第二站"
    assert first["LOCATION"] == "市民中心"
    assert first["STATUS"] == "CONFIRMED"
    assert first["URL"] == f"http://testserver/duties/{mine.pk}/"
    assert first["DTSTAMP"].endswith("Z")
    assert second["STATUS"] == "CANCELLED"
    assert "天气原因" in second["DESCRIPTION"]
    raw = response.content.decode().split("\r\n")
    assert all(len(line.encode()) <= 75 for line in raw)


def test_the_uid_is_stable_between_fetches(client, world):
    activity = _activity(world)
    signup(activity=activity, member=world.member)
    feed = calendar_feed_reset(person=world.member.person)
    url = reverse("duties:calendar_feed", args=[feed.token])
    uids = [[e["UID"] for e in events(unfold(client.get(url).content.decode()))] for _ in range(2)]
    assert uids[0] == uids[1] == [f"lvzhi-activity-{activity.pk}@lvzhi"]


def test_an_unknown_token_is_404(client, db):
    assert client.get(reverse("duties:calendar_feed", args=["nope"])).status_code == 404


def test_a_new_link_revokes_the_old_one(client, world):
    client.force_login(world.member.person.user)
    # the page offers to make a link
    response = client.get(reverse("duties:calendar"))
    assert response.status_code == 200
    assert response.context["feed"] is None
    assert client.post(reverse("duties:calendar_reset")).status_code == 302
    old = CalendarFeed.objects.get(person=world.member.person).token
    response = client.get(reverse("duties:calendar"))
    assert response.context["feed_url"] == f"http://testserver/duties/calendar/{old}.ics"
    # when: a new one is made
    client.post(reverse("duties:calendar_reset"))
    new = CalendarFeed.objects.get(person=world.member.person).token
    # then
    assert new != old
    assert client.get(reverse("duties:calendar_feed", args=[old])).status_code == 404
    assert client.get(reverse("duties:calendar_feed", args=[new])).status_code == 200


def test_staff_without_a_seat_have_no_feed(client, world):
    client.force_login(world.staff)
    response = client.get(reverse("duties:calendar"))
    assert response.status_code == 200
    assert "没有对应的委员" in response.content.decode()
    assert client.post(reverse("duties:calendar_reset")).status_code == 403
