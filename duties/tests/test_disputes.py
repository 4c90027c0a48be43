"""Disputes (异议) of any registered record: opening once, resolving either
way, the member told, the row kept as the history."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from duties import disputes
from duties.models import Activity, CheckInUse, Dispute, Participation, SelfReportedDuty
from duties.selectors import duty_record
from duties.self_reported import duty_return
from members.models import Notice
from tests.matrix.records import activity_make, duty_make, participation_make

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def absent(world):
    """The member marked absent at an inspection, recorded by staff a while ago."""
    activity = activity_make(world)
    recorded_at = timezone.now() - datetime.timedelta(days=30)
    return participation_make(
        activity,
        world.member,
        attendance=Participation.Attendance.ABSENT,
        recorded_by=world.staff,
        recorded_at=recorded_at,
    )


def _open(world, record, reason="我当天出席了,签到表上有名字"):
    return disputes.dispute_open(
        member=world.member, record=record, reason=reason, by=world.member.person.user
    )


def test_a_member_opens_a_dispute_with_the_record_as_it_reads(world, absent):
    dispute = _open(world, absent)
    assert dispute.status == Dispute.Status.OPEN
    assert dispute.record == absent
    assert "视察城市防汛工作" in dispute.summary and "缺席" in dispute.summary
    assert dispute.member == world.member


def test_a_double_submit_changes_nothing(world, absent):
    first = _open(world, absent)
    second = _open(world, absent, reason="再点一次")
    assert second.pk == first.pk
    assert second.reason == first.reason
    assert Dispute.objects.count() == 1


def test_the_unique_constraint_holds_when_the_check_is_raced(world, absent, monkeypatch):
    first = _open(world, absent)
    # As if the second request read "no open dispute" before the first committed.
    real_filter = Dispute.objects.filter

    def blind_filter(*args, **kwargs):
        qs = real_filter(*args, **kwargs)
        return qs.none() if kwargs.get("status") == Dispute.Status.OPEN else qs

    monkeypatch.setattr(Dispute.objects, "filter", blind_filter)
    second = _open(world, absent, reason="并发的第二次")
    monkeypatch.undo()
    assert second.pk == first.pk
    assert Dispute.objects.count() == 1


def test_a_double_post_of_the_form_creates_one_dispute(client, world, absent):
    client.force_login(world.member.person.user)
    url = reverse("duties:dispute_new", args=["duties.participation", absent.pk])
    for _ in range(2):
        response = client.post(url, {"reason": "我出席了"})
        assert response.status_code == 302
    assert Dispute.objects.count() == 1


def test_a_reason_is_required(world, absent):
    with pytest.raises(ValidationError):
        _open(world, absent, reason="   ")


def test_only_the_members_own_records_can_be_disputed(world, absent):
    with pytest.raises(ValidationError):
        disputes.dispute_open(
            member=world.colleague, record=absent, reason="x", by=world.colleague.person.user
        )


def test_records_of_unregistered_models_cannot_be_disputed(world, absent):
    with pytest.raises(ValidationError):
        disputes.dispute_open(
            member=world.member, record=absent.activity, reason="x", by=world.member.person.user
        )


def test_an_unregistered_model_in_the_url_is_404(client, world, absent):
    client.force_login(world.member.person.user)
    url = reverse("duties:dispute_new", args=["duties.activity", absent.activity.pk])
    assert client.get(url).status_code == 404


def test_staff_reject_with_a_reason_and_the_member_is_told(
    world, absent, django_capture_on_commit_callbacks
):
    dispute = _open(world, absent)
    with django_capture_on_commit_callbacks(execute=True):
        dispute = disputes.dispute_resolve(
            dispute=dispute, correct=False, resolution="签到表上无本人签名", by=world.staff
        )
    assert dispute.status == Dispute.Status.REJECTED
    assert dispute.resolution == "签到表上无本人签名"
    assert dispute.resolved_by == world.staff and dispute.resolved_at
    absent.refresh_from_db()
    assert absent.attendance == Participation.Attendance.ABSENT
    notice = Notice.objects.get(person=world.member.person)
    assert "未采纳" in notice.title
    assert notice.text == "签到表上无本人签名"
    assert notice.url == reverse("duties:record", args=[world.member.pk]) + "?year=2025"


def test_staff_correct_a_participation_and_the_recorder_is_kept(
    world, absent, django_capture_on_commit_callbacks
):
    recorded_at = absent.recorded_at
    dispute = _open(world, absent)
    with django_capture_on_commit_callbacks(execute=True):
        disputes.dispute_resolve(
            dispute=dispute,
            correct=True,
            resolution="核对签到表,确有出席",
            by=world.admin,
            correction={"attendance": Participation.Attendance.ATTENDED},
        )
    absent.refresh_from_db()
    assert absent.attendance == Participation.Attendance.ATTENDED
    assert absent.recorded_by == world.staff
    assert absent.recorded_at == recorded_at
    dispute.refresh_from_db()
    assert dispute.status == Dispute.Status.CORRECTED
    assert "缺席" in dispute.summary  # the record as it read when flagged
    assert "更正后" in dispute.resolution and "出席" in dispute.resolution.splitlines()[-1]
    assert dispute.resolved_by == world.admin
    assert "已更正" in Notice.objects.get(person=world.member.person).title


def test_a_correction_to_excused_clears_a_refused_leave(world, absent):
    Participation.objects.filter(pk=absent.pk).update(
        leave=Participation.Leave.REFUSED, leave_reason="出差"
    )
    dispute = _open(world, absent)
    disputes.dispute_resolve(
        dispute=dispute,
        correct=True,
        resolution="请假已补批",
        by=world.staff,
        correction={"attendance": Participation.Attendance.EXCUSED},
    )
    absent.refresh_from_db()
    assert absent.attendance == Participation.Attendance.EXCUSED


def test_resolving_needs_a_resolution(world, absent):
    dispute = _open(world, absent)
    with pytest.raises(ValidationError):
        disputes.dispute_resolve(dispute=dispute, correct=False, resolution=" ", by=world.staff)
    dispute.refresh_from_db()
    assert dispute.status == Dispute.Status.OPEN


def test_a_decided_dispute_is_not_decided_again(world, absent):
    dispute = _open(world, absent)
    disputes.dispute_resolve(dispute=dispute, correct=False, resolution="无误", by=world.staff)
    again = disputes.dispute_resolve(
        dispute=dispute,
        correct=True,
        resolution="改",
        by=world.admin,
        correction={"attendance": "attended"},
    )
    assert again.status == Dispute.Status.REJECTED
    absent.refresh_from_db()
    assert absent.attendance == Participation.Attendance.ABSENT


def test_after_a_decision_the_record_can_be_disputed_again_and_both_rows_stay(world, absent):
    first = _open(world, absent)
    disputes.dispute_resolve(dispute=first, correct=False, resolution="无误", by=world.staff)
    second = _open(world, absent, reason="补充证据:照片")
    assert second.pk != first.pk
    assert Dispute.objects.filter(object_id=absent.pk).count() == 2


def test_a_callable_applies_any_correction(world, absent):
    dispute = _open(world, absent)

    def mark_speaker(record):
        record.role = Participation.Role.SPEAKER
        record.save(update_fields=["role"])

    disputes.dispute_resolve(
        dispute=dispute, correct=True, resolution="改为发言", by=world.staff, apply=mark_speaker
    )
    absent.refresh_from_db()
    assert absent.role == Participation.Role.SPEAKER


def test_a_self_reported_duty_is_verified_through_a_dispute(world):
    duty = duty_make(world)
    duty_return(duty=duty, by=world.staff, reason="材料不全")
    dispute = _open(world, duty, reason="材料已在附件中")
    disputes.dispute_resolve(
        dispute=dispute,
        correct=True,
        resolution="复核后认定",
        by=world.staff,
        correction={"verify": True, "done_on": datetime.date(2025, 6, 3)},
    )
    duty.refresh_from_db()
    assert duty.status == SelfReportedDuty.Status.VERIFIED
    assert duty.done_on == datetime.date(2025, 6, 3)
    assert [e.record for e in duty_record(member=world.member, year=2025).entries] == [duty]


def test_a_correction_that_breaks_a_rule_is_refused(world):
    duty = duty_make(world, verify=True)
    dispute = _open(world, duty, reason="日期不对")
    with pytest.raises(ValidationError):
        disputes.dispute_resolve(
            dispute=dispute,
            correct=True,
            resolution="改到明天",
            by=world.staff,
            correction={"done_on": timezone.localdate() + datetime.timedelta(days=1)},
        )
    dispute.refresh_from_db()
    assert dispute.status == Dispute.Status.OPEN


def test_another_model_registers_and_is_disputed_the_same_way(world, absent):
    """What the scoring issue will do with its score lines."""
    use = CheckInUse.objects.create(activity=absent.activity, member=world.member, window=1)
    disputes.disputable_register(
        CheckInUse,
        summarise=lambda u: f"签到码 {u.window}",
        member_of=lambda u: u.member_id,
    )
    try:
        dispute = _open(world, use, reason="不是我扫的")
        assert dispute.summary == "签到码 1"
        disputes.dispute_resolve(dispute=dispute, correct=True, resolution="已删除", by=world.staff)
        assert Dispute.objects.get(pk=dispute.pk).status == Dispute.Status.CORRECTED
    finally:
        disputes._REGISTRY.pop("duties.checkinuse")


# Pages ------------------------------------------------------------------------


def test_the_resolve_page_asks_for_the_corrected_attendance(client, world, absent):
    dispute = _open(world, absent)
    client.force_login(world.staff)
    url = reverse("duties:dispute_resolve", args=[dispute.pk])
    response = client.post(url, {"decision": "correct", "resolution": "更正"})
    assert response.status_code == 200
    assert "更正时请选择出席情况" in response.content.decode()
    response = client.post(
        url, {"decision": "correct", "resolution": "更正", "attendance": "excused"}
    )
    assert response.status_code == 302
    absent.refresh_from_db()
    assert absent.attendance == Participation.Attendance.EXCUSED


def test_the_resolve_page_refuses_a_correction_with_nothing_to_change(client, world):
    duty = duty_make(world, verify=True)
    dispute = _open(world, duty, reason="x")
    client.force_login(world.staff)
    response = client.post(
        reverse("duties:dispute_resolve", args=[dispute.pk]),
        {"decision": "correct", "resolution": "改"},
    )
    assert response.status_code == 200
    assert Dispute.objects.get(pk=dispute.pk).status == Dispute.Status.OPEN


def test_a_decided_dispute_is_shown_read_only(client, world, absent):
    dispute = _open(world, absent)
    disputes.dispute_resolve(dispute=dispute, correct=False, resolution="无误", by=world.staff)
    client.force_login(world.staff)
    url = reverse("duties:dispute_resolve", args=[dispute.pk])
    html = client.get(url).content.decode()
    assert "无误" in html and "提交处理结果" not in html
    client.post(url, {"decision": "correct", "resolution": "x", "attendance": "attended"})
    absent.refresh_from_db()
    assert absent.attendance == Participation.Attendance.ABSENT


def test_staff_list_the_open_disputes_of_their_body(client, world, absent):
    mine = _open(world, absent)
    elsewhere_activity = activity_make(
        world, body=world.other_body, term=world.other_term, theme="区里的活动"
    )
    elsewhere = disputes.dispute_open(
        member=world.outsider_member,
        record=participation_make(elsewhere_activity, world.outsider_member),
        reason="x",
        by=world.outsider_member.person.user,
    )
    client.force_login(world.staff)
    listed = list(client.get(reverse("duties:dispute_list")).context["disputes"])
    assert listed == [mine]
    client.force_login(world.other_staff)
    assert list(client.get(reverse("duties:dispute_list")).context["disputes"]) == [elsewhere]
    client.force_login(world.colleague.person.user)
    assert list(client.get(reverse("duties:dispute_list")).context["disputes"]) == []
    client.force_login(world.member.person.user)
    assert list(client.get(reverse("duties:dispute_list")).context["disputes"]) == [mine]


def test_the_record_page_offers_a_dispute_only_where_none_is_open(client, world, absent):
    other = participation_make(activity_make(world, theme="另一次视察"), world.member)
    _open(world, absent)
    client.force_login(world.member.person.user)
    html = client.get(reverse("duties:record", args=[world.member.pk]) + "?year=2025").content
    html = html.decode()
    assert "异议处理中" in html
    assert reverse("duties:dispute_new", args=["duties.participation", other.pk]) in html
    assert reverse("duties:dispute_new", args=["duties.participation", absent.pk]) not in html


def test_a_dispute_keeps_its_summary_when_the_activity_changes(world):
    """A dispute keeps its summary even when the activity is cancelled later."""
    activity = activity_make(world, theme="后来取消的活动")
    p = participation_make(activity, world.member)
    dispute = _open(world, p, reason="x")
    Activity.objects.filter(pk=activity.pk).update(status=Activity.Status.CANCELLED)
    dispute.refresh_from_db()
    assert "后来取消的活动" in dispute.summary
