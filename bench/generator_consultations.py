"""有事好商量 sessions for the generated data: every past, held community
consultation (activity kind community_consultation, which the duty generator
already puts in a member home with its list and attendance) gets its
consultations.Consultation row, as staff would have entered it after the
session:

- the member convenor: the attending member listed as convenor, else the first
  attending member (their participation then gets the convenor role);
- a convenor from a department of the body (a handling unit's name when the
  body has them);
- 2–6 outside participants (residents, and one or two officials), 2–5
  suggestions (two in three by attending members, the rest by residents), an
  outcome written for 85 %;
- 60 % solved 10–120 days after the session (never after `now`), with 1–3
  follow-ups dated before that; of the open ones, half with one follow-up.

Rows go in with bulk_create, body by body; no simple_history rows (as for the
rest of the generated data)."""

import datetime
import random
from collections import defaultdict

from django.db import transaction

from consultations.models import Consultation, FollowUp, OutsideParticipant, Suggestion
from duties.models import Activity, Participation
from proposals.models import HandlingUnit
from sectors.models import Body

KIND = "community_consultation"
SOLVED_SHARE = 0.6
OUTCOME_SHARE = 0.85
OFFICIAL_TITLES = ("副局长", "科长", "主任", "副主任", "所长")
RESIDENT_NAMES = ("张", "王", "李", "赵", "刘", "陈", "杨", "黄", "周", "吴", "徐", "孙")
SUGGESTIONS = (
    "建议先摸清底数,分类施策",
    "建议由街道牵头建立协调机制,定期通报进展",
    "建议增加资金投入,优先解决群众反映最集中的问题",
    "建议听取周边居民意见后再确定方案",
    "建议明确责任单位和完成时限",
    "建议引入社会力量参与,形成长效管理",
)
FOLLOW_UPS = (
    "已将协商意见书面转交责任单位",
    "责任单位来函说明办理进展",
    "委员回访现场,问题已有改善",
    "召开推进会,明确完成时限",
)
OUTCOMES = "形成协商意见{n}条,责任单位当场认领{k}条,其余会后研究落实。"


def consultations_build(bodies, *, seed: int, now: datetime.datetime, user) -> dict:
    """Consultation rows for the bodies' held community consultations that have none."""
    rng = random.Random(f"{seed}-consultations")
    counts = defaultdict(int)
    for body in sorted(bodies, key=lambda b: b.pk):
        with transaction.atomic():
            _body(body, rng, now, user, counts)
    return dict(counts)


def consultations_ensure(body_names, *, seed: int, now: datetime.datetime, user) -> dict:
    """For data generated before this step existed: build the sessions of the bodies
    that have none yet (a body that has some is left as it is)."""
    bodies = Body.objects.filter(name__in=body_names).exclude(
        pk__in=Consultation.objects.values("activity__body_id")
    )
    return consultations_build(list(bodies), seed=seed, now=now, user=user)


def _body(body, rng, now, user, counts):
    activities = list(
        Activity.objects.filter(
            body=body,
            kind__code=KIND,
            status=Activity.Status.CONFIRMED,
            ends_at__lt=now,
            consultation__isnull=True,
        ).order_by("starts_at", "pk")
    )
    if not activities:
        return
    attended = defaultdict(list)  # activity id -> [(participation id, member id, role)]
    for pk, activity_id, member_id, role in (
        Participation.objects.filter(
            activity__in=activities, attendance=Participation.Attendance.ATTENDED
        )
        .order_by("activity_id", "pk")
        .values_list("pk", "activity_id", "member_id", "role")
    ):
        attended[activity_id].append((pk, member_id, role))
    units = list(HandlingUnit.objects.filter(body=body).values_list("name", flat=True)) or [
        f"{body.short_name}住房和城乡建设局",
        f"{body.short_name}民政局",
    ]
    consultations, convenor_rows, extras = [], [], []
    for activity in activities:
        present = attended.get(activity.pk)
        if not present:
            continue  # nobody attended: staff would not have written it up
        convenor = next((p for p in present if p[2] == Participation.Role.CONVENOR), present[0])
        if convenor[2] != Participation.Role.CONVENOR:
            convenor_rows.append(convenor[0])
        held = activity.ends_at
        solved = rng.random() < SOLVED_SHARE
        solved_at = min(held + datetime.timedelta(days=rng.randint(10, 120)), now)
        n = rng.randint(2, 5)
        consultations.append(
            Consultation(
                activity=activity,
                topic=activity.theme[:200],
                member_convenor_id=convenor[1],
                official_convenor_name=rng.choice(RESIDENT_NAMES)
                + rng.choice("明华军丽敏强")
                + rng.choice(OFFICIAL_TITLES),
                official_convenor_unit=rng.choice(units)[:100],
                outcome=OUTCOMES.format(n=n, k=rng.randint(1, n))
                if rng.random() < OUTCOME_SHARE
                else "",
                status=Consultation.Status.SOLVED if solved else Consultation.Status.OPEN,
                solved_at=solved_at if solved else None,
                solved_by=user if solved else None,
                created_by=user,
                created_at=held + datetime.timedelta(hours=rng.randint(2, 48)),
            )
        )
        extras.append((present, n, solved, solved_at))
    Consultation.objects.bulk_create(consultations, batch_size=2000)
    Participation.objects.filter(pk__in=convenor_rows).update(role=Participation.Role.CONVENOR)
    outside, suggestions, follow_ups = [], [], []
    for consultation, (present, n, solved, solved_at) in zip(consultations, extras, strict=True):
        held = consultation.activity.ends_at
        for i in range(rng.randint(2, 6)):
            official = i < rng.randint(1, 2)
            outside.append(
                OutsideParticipant(
                    consultation=consultation,
                    name=rng.choice(RESIDENT_NAMES) + rng.choice("建国秀英志强桂兰海燕"),
                    unit=consultation.official_convenor_unit if official else "附近居民",
                    kind=OutsideParticipant.Kind.OFFICIAL
                    if official
                    else OutsideParticipant.Kind.RESIDENT,
                )
            )
        for i in range(n):
            by_member = rng.random() < 2 / 3
            suggestions.append(
                Suggestion(
                    consultation=consultation,
                    text=rng.choice(SUGGESTIONS),
                    raised_by_member_id=rng.choice(present)[1] if by_member else None,
                    raised_by_name="" if by_member else rng.choice(RESIDENT_NAMES) + "女士",
                    created_by=consultation.created_by,
                    created_at=consultation.created_at + datetime.timedelta(minutes=i),
                )
            )
        last = solved_at if solved else now
        days = max((last - held).days, 1)
        for _ in range(rng.randint(1, 3) if solved else rng.randint(0, 1)):
            day = held + datetime.timedelta(days=rng.randint(1, days))
            follow_ups.append(
                FollowUp(
                    consultation=consultation,
                    date=day.date(),
                    text=rng.choice(FOLLOW_UPS),
                    by=consultation.created_by,
                    created_at=min(day, last),
                )
            )
    OutsideParticipant.objects.bulk_create(outside, batch_size=2000)
    Suggestion.objects.bulk_create(suggestions, batch_size=2000)
    FollowUp.objects.bulk_create(follow_ups, batch_size=2000)
    counts["consultations"] += len(consultations)
    counts["consultation_suggestions"] += len(suggestions)
    counts["consultation_follow_ups"] += len(follow_ups)
    counts["consultation_outside_participants"] += len(outside)
