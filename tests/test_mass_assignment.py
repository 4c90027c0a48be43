"""Fields nobody may set by adding them to a POST.

Every form a member, a convenor, a handling unit's contact or staff can post
is sent valid data plus the fields the system or someone else owns (status,
score, owner, member, author, number, body, reviewed_by, is_staff,
signed_up_count, created_by, ...). The saved object must show the posted
values of its own fields and none of the extras. Choosing someone else as the
owner through a field that exists (a seat, an author, a proposer) is refused.

The world is the permission matrix's, built once for the module."""

import datetime

import pytest
from django import forms
from django.urls import reverse
from django.utils import timezone

from duties.models import Activity, Dispute, Participation, SelfReportedDuty
from members.models import Member
from proposals.models import Proposal
from reports.models import SocialInfoReport
from tests.matrix import world_once

TODAY = datetime.date.today


@pytest.fixture(scope="module")
def w(django_db_setup, django_db_blocker, tmp_path_factory):
    with django_db_blocker.unblock(), world_once(tmp_path_factory.mktemp("mass-media")) as world:
        yield world


def _post(client, user, name, kwargs=None, data=None, status=302):
    client.force_login(user)
    response = client.post(reverse(name, kwargs=kwargs), data or {})
    context = response.context or {}
    errors = [context[k].errors for k in ("form", "person_form", "seat_form") if k in context]
    assert response.status_code == status, (name, response.status_code, errors)
    return response


def _others(w) -> dict:
    """Extras naming someone else: another member, staff, another body. They
    come first in each POST, so a test's own fields win where names meet."""
    return {
        "member": w.colleague.pk,
        "member_id": w.colleague.pk,
        "person": w.colleague.person.pk,
        "owner": w.colleague.person.user.pk,
        "author": w.colleague.person.user.pk,
        "created_by": w.staff.pk,
        "reviewed_by": w.staff.pk,
        "resolved_by": w.staff.pk,
        "body": w.other_body.pk,
        "term": w.other_term.pk,
        "is_staff": "on",
        "is_superuser": "on",
        "score": "100",
        "points": "100",
        "total": "100",
        "number": "2099001",
    }


# Members ---------------------------------------------------------------------


def test_a_new_self_reported_duty_is_the_members_own_and_waits_for_review(db, client, w):
    # given a member reporting a good deed, with the reviewer's fields added
    data = {
        **_others(w),
        "kind": w.rec_duty.kind_id,
        "done_on": TODAY().isoformat(),
        "description": "社区义诊",
        "seat": w.colleague.pk,
        "status": SelfReportedDuty.Status.VERIFIED,
        "reviewed_at": timezone.now().isoformat(),
        "return_reason": "伪造",
    }

    # when it is posted
    _post(client, w.member.person.user, "duties:duty_new", data=data)

    # then it is theirs, pending, unreviewed
    duty = SelfReportedDuty.objects.latest("pk")
    assert duty.description == "社区义诊"
    assert duty.member == w.member
    assert duty.status == SelfReportedDuty.Status.SUBMITTED
    assert (duty.reviewed_by, duty.reviewed_at, duty.return_reason) == (None, None, "")


def test_editing_a_duty_cannot_verify_it_or_move_it(db, client, w):
    data = {
        **_others(w),
        "kind": w.rec_duty.kind_id,
        "done_on": "2025-06-02",
        "description": "改过的内容",
        "status": SelfReportedDuty.Status.VERIFIED,
    }

    _post(client, w.member.person.user, "duties:duty_edit", {"pk": w.rec_duty.pk}, data)

    duty = SelfReportedDuty.objects.get(pk=w.rec_duty.pk)
    assert duty.description == "改过的内容"
    assert duty.member == w.member
    assert duty.status == SelfReportedDuty.Status.SUBMITTED
    assert duty.reviewed_by is None


def test_a_new_duty_for_another_members_seat_is_refused(db, client, w):
    # the member has one seat: the form fixes it, so a posted seat is ignored
    count = SelfReportedDuty.objects.filter(member=w.colleague).count()

    _post(
        client,
        w.member.person.user,
        "duties:duty_new",
        data={
            "seat": w.colleague.pk,
            "kind": w.rec_duty.kind_id,
            "done_on": TODAY().isoformat(),
            "description": "替别人报",
        },
    )

    assert SelfReportedDuty.objects.filter(member=w.colleague).count() == count
    assert SelfReportedDuty.objects.latest("pk").member == w.member


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        (
            "duties:dispute_new",
            lambda w: {"model": "duties.participation", "object_id": w.rec_free_participation.pk},
        ),
        ("scoring:line_dispute", lambda w: {"pk": w.review_line.pk}),
    ],
)
def test_a_dispute_is_opened_not_decided(db, client, w, name, kwargs):
    data = {
        **_others(w),
        "reason": "我没有报名",
        "status": Dispute.Status.CORRECTED,
        "resolution": "已更正",
        "resolved_at": timezone.now().isoformat(),
        "summary": "伪造的摘要",
    }

    _post(client, w.member.person.user, name, kwargs(w), data)

    dispute = Dispute.objects.latest("pk")
    assert dispute.reason == "我没有报名"
    assert dispute.member == w.member
    assert dispute.status == Dispute.Status.OPEN
    assert (dispute.resolution, dispute.resolved_by, dispute.resolved_at) == ("", None, None)
    assert dispute.summary != "伪造的摘要"


def test_a_new_report_is_a_draft_of_its_author_in_their_body(db, client, w):
    data = {
        **_others(w),
        "author": f"m{w.member.pk}",
        "title": "路灯不亮",
        "content": "情况和建议",
        "status": SocialInfoReport.Status.ACCEPTED,
        "author_member": w.colleague.pk,
        "author_group": w.other_group.pk,
        "bulletin_year": "2025",
        "bulletin_issue": "1",
        "submitted_at": timezone.now().isoformat(),
    }

    _post(client, w.member.person.user, "reports:create", data=data)

    report = SocialInfoReport.objects.latest("pk")
    assert report.title == "路灯不亮"
    assert report.status == SocialInfoReport.Status.DRAFT
    assert (report.author_member, report.author_group) == (w.member, None)
    assert report.body == w.body
    assert report.created_by == w.member.person.user
    assert (report.bulletin_year, report.bulletin_issue, report.submitted_at) == (None, None, None)


def test_a_report_cannot_be_written_in_another_members_name(db, client, w):
    count = SocialInfoReport.objects.count()

    response = _post(
        client,
        w.member.person.user,
        "reports:create",
        data={"author": f"m{w.colleague.pk}", "title": "冒名", "content": "冒名"},
        status=200,
    )

    assert "author" in response.context["form"].errors
    assert SocialInfoReport.objects.count() == count


def test_editing_a_report_draft_keeps_it_a_draft_of_its_author(db, client, w):
    data = {
        **_others(w),
        "title": "改过的标题",
        "content": "改过的内容",
        "author": f"m{w.colleague.pk}",
        "status": SocialInfoReport.Status.ACCEPTED,
        "author_member": w.colleague.pk,
    }

    _post(client, w.member.person.user, "reports:edit", {"pk": w.draft.pk}, data)

    report = SocialInfoReport.objects.get(pk=w.draft.pk)
    assert report.title == "改过的标题"
    assert report.status == SocialInfoReport.Status.DRAFT
    assert report.author_member == w.member
    assert report.body == w.body


def _proposal_data(w, proposer):
    return {
        "session": w.p_session.pk,
        "kind": Proposal.Kind.REGULAR,
        "proposer": proposer,
        "title": "关于增设公交线路的建议",
        "category": "society",
        "content": "情况、问题、建议",
    }


def test_a_new_proposal_is_an_unnumbered_draft_of_its_proposer(db, client, w):
    data = {
        **_others(w),
        **_proposal_data(w, f"member:{w.member.pk}"),
        "status": Proposal.Status.ACCEPTED,
        "is_key": "on",
        "is_excellent": "on",
        "key_leader": "市长",
        "merged_into": w.p_submitted.pk,
        "proposer_group": w.other_group.pk,
        "accepted_at": timezone.now().isoformat(),
    }

    _post(client, w.member.person.user, "proposals:new", data=data)

    proposal = Proposal.objects.latest("pk")
    assert proposal.title == "关于增设公交线路的建议"
    assert proposal.status == Proposal.Status.DRAFT
    assert not proposal.number
    assert (proposal.is_key, proposal.is_excellent, proposal.key_leader) == (False, False, "")
    assert proposal.merged_into is None
    assert proposal.body == w.body
    assert proposal.created_by == w.member.person.user
    assert list(proposal.proposers.values_list("member", "role")) == [(w.member.pk, "first")]


def test_a_proposal_cannot_be_drafted_for_another_member(db, client, w):
    count = Proposal.objects.count()

    response = _post(
        client,
        w.member.person.user,
        "proposals:new",
        data=_proposal_data(w, f"member:{w.colleague.pk}"),
        status=200,
    )

    assert "proposer" in response.context["form"].errors
    assert Proposal.objects.count() == count


def test_editing_a_proposal_draft_keeps_its_status_and_number(db, client, w):
    data = {
        **_others(w),
        "title": "改过的案由",
        "category": "society",
        "content": "改过的内容",
        "status": Proposal.Status.ACCEPTED,
        "is_key": "on",
    }

    _post(client, w.member.person.user, "proposals:edit", {"pk": w.p_draft.pk}, data)

    proposal = Proposal.objects.get(pk=w.p_draft.pk)
    assert proposal.title == "改过的案由"
    assert proposal.status == Proposal.Status.DRAFT
    assert not proposal.number
    assert proposal.is_key is False


def test_signing_up_records_only_the_sign_up(db, client, w):
    # given the colleague's own sign-up with a leave request, and the extras naming them
    theirs = Participation.objects.get(pk=w.participation.pk)
    data = {
        **_others(w),
        "attendance": Participation.Attendance.ATTENDED,
        "signup": Participation.Signup.CONFIRMED,
        "leave": Participation.Leave.APPROVED,
        "role": Participation.Role.CONVENOR,
        "source": "staff",
    }

    _post(client, w.member.person.user, "duties:signup", {"pk": w.activity.pk}, data)

    mine = Participation.objects.get(activity=w.activity, member=w.member)
    assert mine.attendance == ""
    assert mine.leave == ""
    assert mine.role != Participation.Role.CONVENOR
    after = Participation.objects.get(pk=theirs.pk)
    assert (after.signup, after.leave, after.attendance) == (
        theirs.signup,
        theirs.leave,
        theirs.attendance,
    )
    activity = Activity.objects.get(pk=w.activity.pk)
    assert (
        activity.signed_up_count
        == Participation.objects.filter(
            activity=activity, signup=Participation.Signup.CONFIRMED
        ).count()
    )


# A convenor --------------------------------------------------------------------


def test_a_convenor_changes_only_contact_details(db, client, w):
    # a fresh copy: the module's world objects are shared by every test
    member = Member.objects.select_related("person__user").get(pk=w.colleague.pk)
    before = (member.person.name, member.number, member.group_id, member.sector_id, member.left_on)
    data = {
        **_others(w),
        "workplace": "新单位",
        "title": "新职务",
        "mobile": "13911112222",
        "email": "new@example.cn",
        "name": "改名",
        "group": w.other_group.pk,
        "sector": w.other_sector.pk,
        "left_on": "2025-01-01",
        "party": "无党派",
        "birth_date": "1960-01-01",
        "user": w.staff.pk,
    }

    _post(client, w.convenor.person.user, "members:contact_edit", {"pk": member.pk}, data)

    member.refresh_from_db()
    member.person.refresh_from_db()
    assert (member.person.workplace, member.person.mobile) == ("新单位", "13911112222")
    after = (member.person.name, member.number, member.group_id, member.sector_id, member.left_on)
    assert after == before
    assert member.person.birth_date != datetime.date(1960, 1, 1)
    assert member.person.user.is_staff is False
    assert member.person.user == w.colleague.person.user


def _activity_data(w, **fields):
    start = timezone.localtime() + datetime.timedelta(days=10)
    return {
        "kind": w.activity.kind_id,
        "theme": "调研养老服务",
        "venue_text": "市民中心",
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start + datetime.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "organiser": Activity.Organiser.OFFICE,
        "audience": Activity.Audience.ALL,
        "capacity": "20",
        **fields,
    }


def test_a_convenors_activity_is_their_groups_and_never_required(db, client, w):
    data = _activity_data(
        w,
        organiser=Activity.Organiser.GROUP,
        organiser_group=w.group.pk,
        required_attendance="on",
        status=Activity.Status.CONFIRMED,
        signed_up_count="5",
        created_by=w.staff.pk,
    )

    _post(client, w.convenor.person.user, "duties:activity_new", data=data)

    activity = Activity.objects.latest("pk")
    assert activity.theme == "调研养老服务"
    assert activity.organiser_group == w.group
    assert activity.required_attendance is False
    assert activity.status == Activity.Status.DRAFT
    assert activity.signed_up_count == 0
    assert activity.created_by == w.convenor.person.user


# Staff: the fields the system keeps --------------------------------------------


def test_staff_cannot_set_an_activitys_state_counts_or_body(db, client, w):
    data = _activity_data(
        w,
        status=Activity.Status.CONFIRMED,
        signed_up_count="99",
        created_by=w.other_staff.pk,
        body=w.other_body.pk,
        cancel_reason="x",
    )

    _post(client, w.staff, "duties:activity_new", data=data)

    activity = Activity.objects.latest("pk")
    assert activity.theme == "调研养老服务"
    assert activity.status == Activity.Status.DRAFT
    assert activity.signed_up_count == 0
    assert activity.created_by == w.staff
    assert (activity.body, activity.term) == (w.body, w.term)
    assert activity.cancel_reason == ""


def test_editing_an_activity_keeps_its_sign_up_count(db, client, w):
    before = Activity.objects.get(pk=w.activity.pk)
    data = _activity_data(
        w,
        theme="改过的主题",
        signed_up_count="0",
        status=Activity.Status.CANCELLED,
        created_by=w.other_staff.pk,
    )

    _post(client, w.staff, "duties:activity_edit", {"pk": w.activity.pk}, data)

    after = Activity.objects.get(pk=w.activity.pk)
    assert after.theme == "改过的主题"
    assert after.signed_up_count == before.signed_up_count
    assert after.status == before.status
    assert after.created_by == before.created_by


def test_an_adjustment_changes_the_score_by_its_points_only(db, client, w):
    score = w.review_score
    data = {
        **_others(w),
        "points": "2",
        "reason": "补录一次调研",
        "member": w.colleague.pk,
        "period": w.review_final.pk,
        "total": "100",
        "grade": "优秀",
    }

    _post(client, w.staff, "scoring:score_adjust", {"pk": score.pk}, data)

    after = type(score).objects.get(pk=score.pk)
    assert (after.member, after.period) == (score.member, score.period)
    line = after.lines.get(is_adjustment=True)
    assert (line.points, line.adjusted_by) == (2, w.staff)
    # the total is computed again from the lines, never taken from the POST
    assert after.total != 100


# A handling unit's contact -----------------------------------------------------


def test_a_units_reply_is_its_own_on_its_routing(db, client, w):
    from proposals.models import Reply, Routing

    routing = Routing.objects.get(pk=w.handled_routing.pk)
    data = {
        **_others(w),
        "result": Reply.Result.B,
        "text": "正在办理",
        "routing": w.handled_routing.pk + 1,
        "unit": w.spare_unit.pk,
        "by": w.staff.pk,
        "round": "5",
        "status": Routing.Status.WITHDRAWN,
        "at": "2000-01-01T00:00",
    }

    _post(client, w.unit_contact, "proposals:reply", {"pk": routing.pk}, data)

    reply = Reply.objects.latest("pk")
    assert reply.text == "正在办理"
    assert (reply.routing, reply.by, reply.round) == (routing, w.unit_contact, 1)
    assert reply.at.year != 2000
    after = Routing.objects.get(pk=routing.pk)
    assert after.unit == routing.unit
    assert after.status != Routing.Status.WITHDRAWN


# Staff: a member's seat ---------------------------------------------------------


def _as_posted(form) -> dict:
    """A bound copy of an unbound model form's current values, as a browser posts them."""
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if value is None or value == "" or isinstance(field, forms.FileField):
            continue  # an unchanged file is not posted again
        if isinstance(value, list | tuple):
            value = [getattr(v, "pk", v) for v in value]
        data[form.add_prefix(name)] = getattr(value, "pk", value)
    return data


def test_editing_a_member_cannot_move_the_seat_or_its_login(db, client, w):
    from members.forms import PersonForm, SeatForm

    member = Member.objects.select_related("person__user", "term").get(pk=w.member.pk)
    data = {
        **_as_posted(PersonForm(instance=member.person, prefix="p")),
        **_as_posted(SeatForm(instance=member, prefix="s", term=member.term)),
    }
    data.update(
        {
            "p-workplace": "市人民医院",
            "p-user": w.staff.pk,
            "p-is_staff": "on",
            "s-person": w.colleague.person.pk,
            "s-term": w.other_term.pk,
            "s-left_on": "2025-01-01",
            "s-left_reason": "伪造",
        }
    )

    _post(client, w.staff, "members:edit", {"pk": member.pk}, data)

    after = Member.objects.select_related("person__user").get(pk=member.pk)
    assert after.person.workplace == "市人民医院"
    assert (after.person_id, after.term_id) == (member.person_id, member.term_id)
    assert (after.left_on, after.left_reason) == (None, "")
    assert after.person.user == member.person.user
    assert after.person.user.is_staff is False
