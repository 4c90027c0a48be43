"""Approved long leave (长期请假): recorded by staff with its refusals, shown on
the member's page, withdrawn with history kept, and read by scoring."""

import datetime
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from members import services
from members.models import LongLeave
from scoring import facts as ledger
from scoring import services as scoring
from scoring.models import Score

YEAR = 2025


def grant(world, starts_on, ends_on, reason="病休"):
    return services.long_leave_grant(
        by=world.staff, member=world.member, starts_on=starts_on, ends_on=ends_on, reason=reason
    )


def test_leave_is_recorded_and_refused_when_wrong(world):
    leave = grant(world, datetime.date(YEAR, 3, 1), datetime.date(YEAR, 8, 31))
    assert (leave.approved_by, leave.history.get().history_user) == (world.staff, world.staff)

    with pytest.raises(ValidationError) as overlap:
        grant(world, datetime.date(YEAR, 8, 1), datetime.date(YEAR, 9, 30))
    assert overlap.value.message_dict == {"starts_on": ["与已登记的长期请假时间重叠"]}
    with pytest.raises(ValidationError) as backwards:
        grant(world, datetime.date(YEAR, 10, 2), datetime.date(YEAR, 10, 1), reason=" ")
    assert backwards.value.message_dict == {
        "reason": ["请填写请假事由"],
        "ends_on": ["结束日期不能早于开始日期"],
    }
    with pytest.raises(ValidationError) as before_seat:
        grant(world, world.member.joined_on - datetime.timedelta(days=1), world.member.joined_on)
    assert before_seat.value.message_dict == {"starts_on": ["开始日期不能早于任职日期"]}
    assert LongLeave.objects.count() == 1


def test_staff_record_and_withdraw_leave_on_the_member_page(client, world):
    client.force_login(world.staff)
    url = reverse("members:long_leave_add", args=[world.member.pk])
    refused = client.post(url, {"starts_on": "2025-05-02", "ends_on": "2025-05-01", "reason": "x"})
    assert "结束日期不能早于开始日期" in refused.content.decode()

    done = client.post(url, {"starts_on": "2025-05-01", "ends_on": "2025-06-30", "reason": "援外"})
    assert done.status_code == 302
    page = client.get(reverse("members:detail", args=[world.member.pk])).content.decode()
    assert "长期请假" in page and "援外" in page

    leave = LongLeave.objects.get()
    withdraw = reverse("members:long_leave_withdraw", args=[world.member.pk, leave.pk])
    assert client.post(withdraw).status_code == 302
    assert not LongLeave.objects.exists()
    assert LongLeave.history.filter(history_type="-").count() == 1  # the history keeps it


def test_members_may_not_record_leave(client, world):
    client.force_login(world.member.person.user)
    url = reverse("members:long_leave_add", args=[world.member.pk])
    assert client.get(url).status_code == 403


RULEBOOK = """
format: 1
name: 请假测试
year: {year}
assessed:
  exempt_on_leave: {exempt}
  prorate: {prorate}
categories:
- {{code: c, name: 类别}}
items:
- {{code: review, name: 述职会评分, category: c, kind: mark, max: 10}}
"""


@pytest.mark.parametrize(
    ("exempt", "prorate", "expected"),
    [
        ("true", "false", (False, "on_leave", None)),
        # 184 of 365 days present, a mark of 5: scaled to a full year
        ("false", "true", (True, "", D("9.92"))),
    ],
)
def test_scoring_reads_leave(world, exempt, prorate, expected):
    text = RULEBOOK.format(year=YEAR, exempt=exempt, prorate=prorate)
    scoring.rulebook_load(body=world.body, year=YEAR, text=text, by=world.staff, publish=True)
    scoring.mark_set(member=world.member, year=YEAR, item_code="review", value=5, by=world.staff)
    grant(world, datetime.date(YEAR, 1, 1), datetime.date(YEAR, 6, 30))  # 181 days
    ledger.facts_rebuild(body=world.body)
    period = scoring.period_open(body=world.body, year=YEAR, quarter=0)
    scoring.period_compute(period=period)

    score = Score.objects.get(period=period, member=world.member)
    assert (score.assessed, score.exempt_reason, score.total) == expected
    colleague = Score.objects.get(period=period, member=world.colleague)
    assert colleague.assessed and colleague.exempt_reason == ""
