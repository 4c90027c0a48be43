"""The Django side of the load test: the data it drives and the checks after it.

`load_prepare` runs in the orchestrating process (any settings, the load's
database) before the server starts; it returns the plan the driver reads.
`load_check` runs after the server has stopped."""

import datetime

PASSWORD = "lvzhi-load-2026"
CAPACITY = 50
REVIEW_YEAR = 2025
REVIEW_QUARTER = 3


def load_prepare(
    *, scale: str, members: int, generator_members: int | None = None, capacity: int = CAPACITY
) -> dict:
    """The scale's data (generated unless present), `members` member logins
    and a staff login of the biggest body with a known password, a fresh
    capacity-limited activity open for sign-up, a fresh activity in its
    check-in time and a computed quarterly review of that body."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import PBKDF2PasswordHasher
    from django.db import transaction
    from django.utils import timezone
    from django.utils.crypto import get_random_string

    from bench.generator import analyze_filled_tables, generate
    from duties import services as duties
    from duties.models import Activity, ActivityKind
    from members.models import BodyRole, Member, Person
    from sectors.models import Term

    summary = generate(scale, members=generator_members)
    analyze_filled_tables()
    name = max(summary["current_members_by_body"], key=summary["current_members_by_body"].get)
    term = Term.objects.select_related("body").get(body__name=name, is_current=True)
    body = term.body
    User = get_user_model()
    # One PBKDF2 hash for every load login: production's hasher (the server checks
    # it at each login), computed once here rather than once per user.
    encoded = PBKDF2PasswordHasher().encode(PASSWORD, get_random_string(22))
    now = timezone.now()
    with transaction.atomic():
        staff, _ = User.objects.get_or_create(username=f"load-staff-{body.pk}")
        BodyRole.objects.get_or_create(user=staff, body=body, role=BodyRole.Role.STAFF)
        taken = list(
            Member.objects.filter(
                term=term, left_on__isnull=True, person__user__username__startswith="load-member-"
            ).order_by("pk")[:members]
        )
        if len(taken) < members:
            seats = list(
                Member.objects.filter(term=term, left_on__isnull=True, person__user__isnull=True)
                .select_related("person")
                .order_by("pk")[: members - len(taken)]
            )
            for seat in seats:
                user = User.objects.create(username=f"load-member-{seat.pk}")
                Person.objects.filter(pk=seat.person_id).update(user=user)
            taken += seats
        usernames = [f"load-member-{seat.pk}" for seat in taken]
        User.objects.filter(username__in=[*usernames, staff.username]).update(
            password=encoded, is_active=True
        )
        kind = ActivityKind.objects.get(body=body, code="inspection")
        common = {
            "body": body,
            "term": term,
            "kind": kind,
            "organiser": Activity.Organiser.OFFICE,
            "audience": Activity.Audience.ALL,
            "created_by": staff,
            "status": Activity.Status.DRAFT,
        }
        stamp = timezone.localtime(now).strftime("%m-%d %H:%M")
        signup = Activity.objects.create(
            theme=f"负载测试·限额报名 {stamp}",
            starts_at=now + datetime.timedelta(days=7),
            ends_at=now + datetime.timedelta(days=7, hours=3),
            signup_deadline=now + datetime.timedelta(days=6),
            capacity=capacity,
            **common,
        )
        checkin = Activity.objects.create(
            theme=f"负载测试·扫码签到 {stamp}",
            starts_at=now - datetime.timedelta(minutes=10),
            ends_at=now + datetime.timedelta(hours=6),
            **common,
        )
        for activity in (signup, checkin):
            duties.activity_publish(activity=activity, by=staff)
    period = _review_period(body, term, staff)
    return {
        "scale": scale,
        "body": body.name,
        "term": term.pk,
        "seats": summary["members"],
        "password": PASSWORD,
        "members": usernames,
        "records": {f"load-member-{seat.pk}": f"/duties/records/{seat.pk}/" for seat in taken},
        "staff": [staff.username],
        "signup_activity": signup.pk,
        "capacity": capacity,
        "checkin_activity": checkin.pk,
        "review_period": period.pk,
    }


def _review_period(body, term, by):
    """The body's quarterly review of REVIEW_YEAR Q3 with the Hai'an rulebook,
    computed once (the duty-fact ledger built first if it is empty)."""
    from bench.generator import analyze_filled_tables
    from bench.summaries import haian_text
    from scoring import services
    from scoring.facts import facts_rebuild
    from scoring.models import DutyFact, ScorePeriod
    from sectors.models import Term

    done = (
        ScorePeriod.objects.filter(
            body=body, year=REVIEW_YEAR, quarter=REVIEW_QUARTER, computed_at__isnull=False
        )
        .order_by("-version")
        .first()
    )
    if done:
        return done
    if not DutyFact.objects.exists():
        facts_rebuild()
        analyze_filled_tables()
    year_term = (
        Term.objects.filter(body=body, starts_on__year__lte=REVIEW_YEAR)
        .order_by("-starts_on")
        .first()
    ) or term
    services.rulebook_load(
        body=body,
        year=REVIEW_YEAR,
        text=haian_text(body, REVIEW_YEAR, year_term.number),
        by=by,
        publish=True,
    )
    period = services.period_open(body=body, year=REVIEW_YEAR, quarter=REVIEW_QUARTER)
    services.period_compute(period=period)
    period.refresh_from_db()
    return period


def load_check(plan: dict, signed_up: list[str], checked_in: list[str]) -> dict:
    """After the run: the capacity-limited activity holds no more confirmed
    sign-ups than its capacity and its counter matches its rows; every member
    the server answered a sign-up or a check-in for has the row to show it."""
    from duties.models import Activity, Participation

    activity = Activity.objects.get(pk=plan["signup_activity"])
    rows = Participation.objects.filter(activity=activity)
    confirmed = rows.filter(signup=Participation.Signup.CONFIRMED).count()
    waitlisted = rows.filter(signup=Participation.Signup.WAITLISTED).count()
    users_with_rows = set(
        rows.filter(
            signup__in=(Participation.Signup.CONFIRMED, Participation.Signup.WAITLISTED)
        ).values_list("member__person__user__username", flat=True)
    )
    attended = set(
        Participation.objects.filter(
            activity_id=plan["checkin_activity"],
            attendance=Participation.Attendance.ATTENDED,
            checked_in_at__isnull=False,
        ).values_list("member__person__user__username", flat=True)
    )
    missing_signups = sorted(set(signed_up) - users_with_rows)
    missing_checkins = sorted(set(checked_in) - attended)
    return {
        "capacity": activity.capacity,
        "planned_capacity": plan["capacity"],
        "confirmed": confirmed,
        "waitlisted": waitlisted,
        "signed_up_count": activity.signed_up_count,
        "overfilled": confirmed > plan["capacity"] or activity.capacity != plan["capacity"],
        "count_matches": activity.signed_up_count == confirmed,
        "missing_signups": missing_signups,
        "missing_checkins": missing_checkins,
        "ok": (
            confirmed <= plan["capacity"]
            and activity.capacity == plan["capacity"]
            and activity.signed_up_count == confirmed
            and not missing_signups
            and not missing_checkins
        ),
    }
