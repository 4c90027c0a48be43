"""Every transition of a report and every refusal, conversion from a proposal,
attachments and notices."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from members.models import Notice
from reports import services
from reports.models import Level, ReportAdoption, ReportEvent, SocialInfoReport
from reports.tests import factories as rf

S = SocialInfoReport.Status
pytestmark = pytest.mark.django_db


def _notices(member):
    return list(Notice.objects.filter(person=member.person).values_list("title", flat=True))


# Drafting and submitting --------------------------------------------------------


def test_a_member_drafts_and_submits_a_report(world):
    # given
    report = rf.draft(world.member)
    assert report.status == S.DRAFT
    assert report.body == world.body and report.term == world.term
    # when
    report = services.report_submit(report=report, by=world.member.person.user)
    # then
    report.refresh_from_db()
    assert report.status == S.SUBMITTED
    assert report.submitted_at is not None
    assert list(report.events.values_list("verb", flat=True)) == ["created", "submitted"]


def test_submitting_twice_is_harmless(world):
    report = rf.submitted(world.member)
    again = services.report_submit(report=report, by=world.member.person.user)
    assert again.status == S.SUBMITTED
    assert report.events.filter(verb="submitted").count() == 1


def test_a_group_report_is_written_by_its_convenor(world):
    report = services.report_draft_create(
        by=world.convenor.person.user,
        title="界别小组调研:小微企业融资",
        content="调研情况如下。",
        author_group=world.group,
    )
    assert report.author_group == world.group and report.author_member is None
    assert report.author_name == "经济界小组"


def test_a_draft_needs_a_title_content_and_one_author(world):
    with pytest.raises(ValidationError) as error:
        services.report_draft_create(
            by=world.staff, title=" ", content="x", author_member=world.member
        )
    assert "title" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.report_draft_create(
            by=world.staff, title="t", content=" ", author_member=world.member
        )
    assert error.value.message_dict["content"] == ["请填写内容"]
    with pytest.raises(ValidationError) as error:
        services.report_draft_create(
            by=world.staff,
            title="t",
            content="c",
            author_member=world.member,
            author_group=world.group,
        )
    assert "author" in error.value.message_dict


def test_a_member_who_left_cannot_write(world):
    world.member.left_on = datetime.date(2025, 1, 1)
    world.member.left_reason = "resigned"
    world.member.save()
    with pytest.raises(ValidationError) as error:
        rf.draft(world.member)
    assert error.value.message_dict["author"] == ["只有本届在任委员可以报送信息"]


def test_a_draft_is_edited_but_a_submitted_report_is_kept_as_sent(world):
    report = rf.draft(world.member)
    services.report_draft_update(
        report=report, by=world.member.person.user, title="新标题", content="新内容"
    )
    report.refresh_from_db()
    assert (report.title, report.content) == ("新标题", "新内容")
    services.report_submit(report=report, by=world.member.person.user)
    with pytest.raises(ValidationError, match="信息已报送,不能再修改"):
        services.report_draft_update(
            report=report, by=world.member.person.user, title="x", content="y"
        )


def test_withdrawal_before_review_keeps_the_report(world):
    report = rf.submitted(world.member)
    services.report_withdraw(report=report, by=world.member.person.user)
    services.report_withdraw(report=report, by=world.member.person.user)  # a double click
    report.refresh_from_db()
    assert report.status == S.WITHDRAWN
    assert report.events.filter(verb="withdrawn").count() == 1
    assert SocialInfoReport.objects.filter(pk=report.pk).exists()


def test_withdrawal_after_acceptance_is_refused(world):
    report = rf.accepted(world.member, world.staff)
    with pytest.raises(ValidationError, match="只有尚未受理的信息可以撤回"):
        services.report_withdraw(report=report, by=world.member.person.user)


def test_a_draft_cannot_be_withdrawn_or_accepted(world):
    report = rf.draft(world.member)
    with pytest.raises(ValidationError, match="只有尚未受理的信息可以撤回"):
        services.report_withdraw(report=report, by=world.member.person.user)
    with pytest.raises(ValidationError, match="不能变为“已受理”"):
        services.report_accept(report=report, by=world.staff)


def test_a_withdrawn_report_cannot_be_submitted_again(world):
    report = rf.submitted(world.member)
    services.report_withdraw(report=report, by=world.member.person.user)
    with pytest.raises(ValidationError, match="该信息当前为“已撤回”,不能变为“已报送”"):
        services.report_submit(report=report, by=world.member.person.user)


# Handling -----------------------------------------------------------------------


def test_staff_accept_once_and_the_member_is_told(world):
    report = rf.submitted(world.member)
    services.report_accept(report=report, by=world.staff)
    services.report_accept(report=report, by=world.staff)
    report.refresh_from_db()
    assert report.status == S.ACCEPTED
    assert report.events.filter(verb="accepted").count() == 1
    assert _notices(world.member) == ["您报送的信息已受理:关于老旧小区停车难的情况反映"]


def test_used_in_a_bulletin_keeps_the_members_original(world, today):
    report = rf.accepted(world.member, world.staff, content="委员原文")
    services.report_use(
        report=report,
        by=world.staff,
        bulletin_year=today.year,
        bulletin_issue=5,
        bulletin_text="编辑后文本",
    )
    report.refresh_from_db()
    assert report.status == S.USED
    assert (report.bulletin_year, report.bulletin_issue) == (today.year, 5)
    assert (report.content, report.bulletin_text) == ("委员原文", "编辑后文本")
    assert report.bulletin_label == f"{today.year}年第5期"
    assert report.events.get(verb="used").note == f"编入{today.year}年第5期"
    assert "您报送的信息已编报:关于老旧小区停车难的情况反映" in _notices(world.member)


def test_using_twice_is_harmless_and_a_new_issue_corrects_it(world, today):
    report = rf.used(world.member, world.staff, issue=3)
    services.report_use(report=report, by=world.staff, bulletin_year=today.year, bulletin_issue=3)
    assert report.events.filter(verb__in=["used", "bulletin_changed"]).count() == 1
    services.report_use(report=report, by=world.staff, bulletin_year=today.year, bulletin_issue=4)
    report.refresh_from_db()
    assert report.bulletin_issue == 4
    assert report.events.filter(verb="bulletin_changed").count() == 1


def test_a_submitted_report_is_accepted_before_the_bulletin(world, today):
    report = rf.submitted(world.member)
    with pytest.raises(ValidationError, match="该信息当前为“已报送”,不能变为“已编报”"):
        services.report_use(
            report=report, by=world.staff, bulletin_year=today.year, bulletin_issue=1
        )


def test_the_bulletin_needs_a_year_and_an_issue(world):
    report = rf.accepted(world.member, world.staff)
    with pytest.raises(ValidationError) as error:
        services.report_use(report=report, by=world.staff, bulletin_year=2026, bulletin_issue=0)
    assert error.value.message_dict == {"bulletin_issue": ["期号应为正整数"]}


def test_not_used_needs_a_reason_and_tells_the_member(world):
    report = rf.submitted(world.member)
    with pytest.raises(ValidationError) as error:
        services.report_not_use(report=report, by=world.staff, reason="  ")
    assert error.value.message_dict == {"reason": ["请填写未采用原因"]}
    services.report_not_use(report=report, by=world.staff, reason="内容与上期重复")
    services.report_not_use(report=report, by=world.staff, reason="内容与上期重复")
    report.refresh_from_db()
    assert report.status == S.NOT_USED and report.not_used_reason == "内容与上期重复"
    assert report.events.filter(verb="not_used").count() == 1
    assert "您报送的信息未采用:关于老旧小区停车难的情况反映" in _notices(world.member)


def test_a_used_report_cannot_become_not_used(world):
    report = rf.used(world.member, world.staff)
    with pytest.raises(ValidationError, match="不能变为“未采用”"):
        services.report_not_use(report=report, by=world.staff, reason="x")


def test_nothing_follows_not_used_or_withdrawn(world, today):
    report = rf.submitted(world.member)
    services.report_not_use(report=report, by=world.staff, reason="重复")
    for call in (
        lambda: services.report_accept(report=report, by=world.staff),
        lambda: services.report_use(
            report=report, by=world.staff, bulletin_year=today.year, bulletin_issue=1
        ),
        lambda: services.report_withdraw(report=report, by=world.member.person.user),
    ):
        with pytest.raises(ValidationError):
            call()


# Adoption and instructions --------------------------------------------------------


def test_adoptions_are_recorded_once_per_level(world, today):
    report = rf.used(world.member, world.staff)
    first = services.report_adoption_record(
        report=report,
        by=world.staff,
        level=Level.CITY,
        mode=ReportAdoption.Mode.SINGLE,
        adopted_on=today,
    )
    again = services.report_adoption_record(
        report=report,
        by=world.staff,
        level=Level.CITY,
        mode=ReportAdoption.Mode.SINGLE,
        adopted_on=today,
    )
    assert first.pk == again.pk
    with pytest.raises(ValidationError) as error:
        services.report_adoption_record(
            report=report,
            by=world.staff,
            level=Level.CITY,
            mode=ReportAdoption.Mode.COMBINED,
            adopted_on=today,
        )
    assert error.value.message_dict["level"][0].startswith("已登记过市级采用")
    services.report_adoption_record(
        report=report,
        by=world.staff,
        level=Level.PROVINCE,
        mode=ReportAdoption.Mode.COMBINED,
        adopted_on=today,
    )
    assert report.adoptions.count() == 2
    assert report.events.filter(verb="adopted").count() == 2
    assert "您报送的信息获省级综合采用:关于老旧小区停车难的情况反映" in _notices(world.member)


def test_adoption_of_a_report_not_handled_is_refused(world, today):
    report = rf.submitted(world.member)
    with pytest.raises(ValidationError, match="只有已受理或已编报的信息可以登记采用或批示"):
        services.report_adoption_record(
            report=report, by=world.staff, level=Level.CITY, mode="single", adopted_on=today
        )


def test_adoption_dates_are_checked(world, today):
    report = rf.accepted(world.member, world.staff)
    with pytest.raises(ValidationError) as error:
        services.report_adoption_record(
            report=report,
            by=world.staff,
            level=Level.CITY,
            mode="single",
            adopted_on=today + datetime.timedelta(days=1),
        )
    assert error.value.message_dict == {"adopted_on": ["日期不能晚于今天"]}
    with pytest.raises(ValidationError) as error:
        services.report_adoption_record(
            report=report,
            by=world.staff,
            level=Level.CITY,
            mode="single",
            adopted_on=today - datetime.timedelta(days=30),
        )
    assert error.value.message_dict == {"adopted_on": ["日期不能早于信息报送日期"]}


def test_instructions_are_kept_and_a_double_entry_is_one(world, today):
    report = rf.used(world.member, world.staff)
    kwargs = {
        "level": Level.PROVINCE,
        "leader": "省政府副省长",
        "instructed_on": today,
        "text": "请研究",
    }
    one = services.report_instruction_record(report=report, by=world.staff, **kwargs)
    two = services.report_instruction_record(report=report, by=world.staff, **kwargs)
    assert one.pk == two.pk
    services.report_instruction_record(
        report=report, by=world.staff, level=Level.CITY, leader="市长", instructed_on=today
    )
    assert report.instructions.count() == 2
    assert report.events.filter(verb="instructed").count() == 2
    with pytest.raises(ValidationError) as error:
        services.report_instruction_record(
            report=report, by=world.staff, level=Level.CITY, leader=" ", instructed_on=today
        )
    assert error.value.message_dict == {"leader": ["请填写批示领导的姓名或职务"]}


def test_a_group_reports_news_goes_to_its_convenor(world):
    report = services.report_draft_create(
        by=world.convenor.person.user, title="小组信息", content="c", author_group=world.group
    )
    services.report_submit(report=report, by=world.convenor.person.user)
    services.report_accept(report=report, by=world.staff)
    assert _notices(world.convenor) == ["您报送的信息已受理:小组信息"]
    assert _notices(world.member) == []


# Conversion from a proposal -------------------------------------------------------


def test_a_converted_proposal_arrives_submitted_with_its_link(world):
    proposal = rf.proposal_for(world, member=world.member)
    report = services.report_create_from_proposal(proposal=proposal, by=world.staff)
    assert report.status == S.SUBMITTED
    assert report.from_proposal == proposal
    assert report.author_member == world.member
    assert (report.title, report.content) == (proposal.title, proposal.content)
    assert report.submitted_at == proposal.submitted_at
    assert report.events.get().verb == ReportEvent.Verb.CONVERTED
    assert _notices(world.member) == ["您的提案已转为社情民意信息:关于优化公交线路的建议"]


def test_converting_again_creates_nothing(world):
    proposal = rf.proposal_for(world, member=world.member)
    first = services.report_create_from_proposal(proposal=proposal, by=world.staff)
    second = services.report_create_from_proposal(proposal=proposal, by=world.staff)
    assert first.pk == second.pk
    assert SocialInfoReport.objects.filter(from_proposal=proposal).count() == 1
    assert Notice.objects.filter(person=world.member.person).count() == 1


def test_a_group_proposal_becomes_the_groups_report(world):
    proposal = rf.proposal_for(world, group=world.group)
    report = services.report_create_from_proposal(proposal=proposal, by=world.staff)
    assert report.author_group == world.group and report.author_member is None


def test_a_proposal_without_a_proposer_is_refused(world):
    proposal = rf.proposal_for(world)
    with pytest.raises(ValidationError, match="没有第一提案人"):
        services.report_create_from_proposal(proposal=proposal, by=world.staff)


def test_a_converted_report_is_handled_like_any_other(world, today):
    proposal = rf.proposal_for(world, member=world.member)
    report = services.report_create_from_proposal(proposal=proposal, by=world.staff)
    services.report_accept(report=report, by=world.staff)
    services.report_use(report=report, by=world.staff, bulletin_year=today.year, bulletin_issue=1)
    report.refresh_from_db()
    assert report.status == S.USED


# Attachments ------------------------------------------------------------------------


def test_attachments_are_checked_by_content(world, media):
    report = rf.draft(world.member, attachments=[rf.png_upload("现场.png")])
    attachment = report.attachments.get()
    assert (attachment.name, attachment.content_type) == ("现场.png", "image/png")
    assert not attachment.file.name.endswith("现场.png")  # a random name on disk
    fake = SimpleUploadedFile("报告.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    with pytest.raises(ValidationError) as error:
        rf.draft(world.member, attachments=[fake])
    assert error.value.message_dict["attachments"] == [
        "附件“报告.pdf”不是 JPEG、PNG 图片或 PDF 文件"
    ]


def test_at_most_five_attachments(world, media):
    report = rf.draft(world.member, attachments=[rf.png_upload() for _ in range(5)])
    with pytest.raises(ValidationError) as error:
        services.report_draft_update(
            report=report,
            by=world.member.person.user,
            title=report.title,
            content=report.content,
            attachments=[rf.png_upload()],
        )
    assert error.value.message_dict["attachments"] == ["附件最多 5 个"]
    removed = report.attachments.first()
    services.report_draft_update(
        report=report,
        by=world.member.person.user,
        title=report.title,
        content=report.content,
        attachments=[rf.png_upload()],
        remove_attachment_ids=[removed.pk],
    )
    assert report.attachments.count() == 5


def test_another_bodys_member_counts_nowhere_here(world):
    # A report belongs to the body of its author's seat.
    report = rf.draft(world.outsider_member)
    assert report.body == world.other_body
