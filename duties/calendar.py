"""A member's private iCalendar feed of the activities they are on the list for.

Written by hand (RFC 5545) rather than with a library: one VEVENT per
activity, times in UTC, lines folded at 75 octets. The token in the URL is the
only key, so a person can replace it at any time and the old link stops."""

import datetime
import secrets
from collections.abc import Callable, Iterable

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from duties.models import Activity, CalendarFeed, Participation
from members.models import Person

PRODID = "-//Lvzhi//Lvzhi duty calendar//ZH"
# Older activities drop out of the feed: a calendar app has them already.
HISTORY = datetime.timedelta(days=400)


def calendar_feed_get(*, person: Person) -> CalendarFeed | None:
    return CalendarFeed.objects.filter(person=person).first()


@transaction.atomic
def calendar_feed_reset(*, person: Person) -> CalendarFeed:
    """A new secret token for the person's feed; the old URL stops working."""
    token = secrets.token_urlsafe(32)
    feed, created = CalendarFeed.objects.select_for_update().get_or_create(
        person=person, defaults={"token": token}
    )
    if not created:
        feed.token = token
        feed.created_at = timezone.now()
        feed.save(update_fields=["token", "created_at"])
    return feed


def calendar_activities(*, person: Person, now: datetime.datetime | None = None):
    """The person's activities in any seat: on the final list, published (cancelled ones too)."""
    now = now or timezone.now()
    listed = Participation.objects.filter(
        member__person=person, signup=Participation.Signup.CONFIRMED
    ).values("activity_id")
    return (
        Activity.objects.filter(pk__in=listed, starts_at__gte=now - HISTORY)
        .exclude(status=Activity.Status.DRAFT)
        .select_related("kind", "venue_home")
        .order_by("starts_at", "pk")
    )


def ics_escape(text: str) -> str:
    """TEXT value escaping (RFC 5545 3.3.11)."""
    return (
        str(text)
        .replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\n")
        .replace("\r", "\n")
        .replace("\n", "\\n")
    )


def ics_fold(line: str) -> str:
    """Fold a content line into pieces of at most 75 octets, never inside a
    UTF-8 character; continuation lines start with one space (RFC 5545 3.1)."""
    pieces, current, size, limit = [], [], 0, 75
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            pieces.append("".join(current))
            current, size, limit = [" "], 1, 75
        current.append(char)
        size += width
    pieces.append("".join(current))
    return "\r\n".join(pieces)


def ics_time(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")


def calendar_ics(
    *,
    activities: Iterable[Activity],
    url_for: Callable[[Activity], str],
    name: str,
    now: datetime.datetime | None = None,
) -> str:
    """The feed as text with CRLF line ends. `url_for` gives an activity's absolute URL."""
    stamp = ics_time(now or timezone.now())
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{ics_escape(name)}",
    ]
    for activity in activities:
        cancelled = activity.status == Activity.Status.CANCELLED
        description = "\n".join(
            part
            for part in (
                activity.kind.name,
                activity.form,
                activity.goal,
                _("取消原因:%(reason)s") % {"reason": activity.cancel_reason}
                if cancelled and activity.cancel_reason
                else "",
            )
            if part
        )
        url = url_for(activity)
        lines += [
            "BEGIN:VEVENT",
            # Stable, so a calendar app updates the event in place when it changes.
            f"UID:lvzhi-activity-{activity.pk}@lvzhi",
            f"DTSTAMP:{stamp}",
            f"DTSTART:{ics_time(activity.starts_at)}",
            f"DTEND:{ics_time(activity.ends_at)}",
            f"SUMMARY:{ics_escape(activity.theme)}",
        ]
        if activity.venue:
            lines.append(f"LOCATION:{ics_escape(activity.venue)}")
        if description:
            lines.append(f"DESCRIPTION:{ics_escape(description)}")
        lines += [
            f"URL:{url}",
            f"STATUS:{'CANCELLED' if cancelled else 'CONFIRMED'}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(ics_fold(line) + "\r\n" for line in lines)
