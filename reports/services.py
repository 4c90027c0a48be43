"""Writes on social-information reports. Keyword-only and atomic; each one
locks the report, returns early when a double click or a retried request
would change nothing, asks reports.states before moving, writes a timeline
event and notifies the author (members.services.notice_send, keyed so that a
retry sends nothing twice)."""

import datetime
import uuid

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from config.uploads import EXTENSIONS
from duties.self_reported import attachment_sniff
from members.models import Member, Person
from members.services import notice_send
from reports import states
from reports.models import (
    Level,
    ReportAdoption,
    ReportAttachment,
    ReportEvent,
    ReportInstruction,
    SocialInfoReport,
)
from scoring.facts import facts_changed
from sectors.models import SectorGroup

S = SocialInfoReport.Status
Verb = ReportEvent.Verb

ATTACHMENTS_MAX = 5
TITLE_MAX = 200


# Helpers ----------------------------------------------------------------------


def _locked(report: SocialInfoReport) -> SocialInfoReport:
    return SocialInfoReport.objects.select_for_update(of=("self",)).get(pk=report.pk)


def _required(value: str, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: message})
    return value


def _title(title: str) -> str:
    title = _required(title, "title", _("请填写标题"))
    if len(title) > TITLE_MAX:
        raise ValidationError({"title": _("标题不能超过 %(n)d 个字") % {"n": TITLE_MAX}})
    return title


def _event(report, *, by, verb, note="", from_status="", to_status="") -> ReportEvent:
    return ReportEvent.objects.create(
        report=report,
        by=by,
        verb=verb,
        note=note,
        from_status=from_status,
        to_status=to_status,
    )


def _move(report: SocialInfoReport, *, target: str, by, verb: str, note="", fields=()) -> None:
    """Change the status of a locked report, save it and write the event."""
    states.require_move(report, target)
    old = report.status
    report.status = target
    report.save(update_fields=["status", "updated_at", *fields])
    _event(report, by=by, verb=verb, note=note, from_status=old, to_status=target)


def _recipients(report: SocialInfoReport) -> list[Person]:
    """Who hears about a report: its member, or its group's convenor and liaison."""
    if report.author_member_id:
        return list(Person.objects.filter(seats__pk=report.author_member_id))
    if report.author_group_id:
        group = SectorGroup.objects.filter(pk=report.author_group_id)
        seat_ids = [i for i in group.values_list("convenor_id", "liaison_id").first() or () if i]
        return list(Person.objects.filter(seats__pk__in=seat_ids).distinct())
    return []


def _notify(report: SocialInfoReport, *, key: str, title: str, text: str = "") -> None:
    notice_send(
        persons=_recipients(report),
        key=f"report:{report.pk}:{key}",
        title=title,
        text=text,
        url=reverse("reports:detail", args=[report.pk]),
    )


def _check_uploads(uploads, *, have: int = 0) -> None:
    if have + len(uploads) > ATTACHMENTS_MAX:
        raise ValidationError(
            {"attachments": _("附件最多 %(n)d 个") % {"n": ATTACHMENTS_MAX}}, code="too_many"
        )
    errors = []
    for upload in uploads:
        try:
            attachment_sniff(upload)
        except ValidationError as error:
            errors.extend(error.messages)
    if errors:
        raise ValidationError({"attachments": errors})


def _attach(report: SocialInfoReport, uploads) -> list[ReportAttachment]:
    """Store checked uploads under a random name (the member's file name never reaches a path)."""
    stored = []
    for upload in uploads:
        content_type = attachment_sniff(upload)
        attachment = ReportAttachment(
            report=report,
            name=(upload.name or "附件")[-200:],
            content_type=content_type,
            size=upload.size,
        )
        attachment.file.save(f"{uuid.uuid4().hex}.{EXTENSIONS[content_type]}", upload, save=False)
        attachment.save()
        stored.append(attachment)
    return stored


def _check_date(value: datetime.date, field: str, report: SocialInfoReport) -> None:
    if value > timezone.localdate():
        raise ValidationError({field: _("日期不能晚于今天")})
    if report.submitted_at and value < timezone.localdate(report.submitted_at):
        raise ValidationError({field: _("日期不能早于信息报送日期")})


# The author's side -----------------------------------------------------------


@transaction.atomic
def report_draft_create(
    *,
    by,
    title: str,
    content: str,
    author_member: Member | None = None,
    author_group: SectorGroup | None = None,
    attachments=(),
) -> SocialInfoReport:
    """A draft by a member (their current seat) or by a sector group."""
    if (author_member is None) == (author_group is None):
        raise ValidationError({"author": _("请选择以委员本人或界别小组名义报送")})
    if author_member is not None:
        if author_member.left_on is not None or not author_member.term.is_current:
            raise ValidationError({"author": _("只有本届在任委员可以报送信息")})
        term = author_member.term
    else:
        if not author_group.term.is_current:
            raise ValidationError({"author": _("只有本届界别小组可以报送信息")})
        term = author_group.term
    title = _title(title)
    content = _required(content, "content", _("请填写内容"))
    attachments = list(attachments)
    _check_uploads(attachments)
    report = SocialInfoReport.objects.create(
        body_id=term.body_id,
        term=term,
        author_member=author_member,
        author_group=author_group,
        title=title,
        content=content,
        created_by=by,
    )
    _attach(report, attachments)
    _event(report, by=by, verb=Verb.CREATED, to_status=S.DRAFT)
    return report


@transaction.atomic
def report_draft_update(
    *,
    report: SocialInfoReport,
    by,
    title: str,
    content: str,
    attachments=(),
    remove_attachment_ids=(),
) -> SocialInfoReport:
    """Edit a draft. Once submitted the member's text is kept as it was sent."""
    report = _locked(report)
    if report.status != S.DRAFT:
        raise ValidationError(_("信息已报送,不能再修改"))
    report.title = _title(title)
    report.content = _required(content, "content", _("请填写内容"))
    attachments = list(attachments)
    removed = list(report.attachments.filter(pk__in=list(remove_attachment_ids)))
    _check_uploads(attachments, have=report.attachments.count() - len(removed))
    for attachment in removed:
        attachment.delete()
    _attach(report, attachments)
    report.save(update_fields=["title", "content", "updated_at"])
    # Files go from disk only once the rows are surely gone.
    transaction.on_commit(lambda: [a.file.delete(save=False) for a in removed])
    return report


@transaction.atomic
def report_submit(*, report: SocialInfoReport, by) -> SocialInfoReport:
    report = _locked(report)
    if report.status == S.SUBMITTED:
        return report  # a double click
    states.require_move(report, S.SUBMITTED)
    report.submitted_at = timezone.now()
    _move(report, target=S.SUBMITTED, by=by, verb=Verb.SUBMITTED, fields=["submitted_at"])
    facts_changed([report.author_member_id])
    return report


@transaction.atomic
def report_withdraw(*, report: SocialInfoReport, by, note: str = "") -> SocialInfoReport:
    """The author takes a report back before staff have acted on it; it is kept."""
    report = _locked(report)
    if report.status == S.WITHDRAWN:
        return report
    if report.status != S.SUBMITTED:
        raise ValidationError(
            _("该信息当前为“%(current)s”,只有尚未受理的信息可以撤回")
            % {"current": S(report.status).label}
        )
    _move(report, target=S.WITHDRAWN, by=by, verb=Verb.WITHDRAWN, note=(note or "").strip())
    facts_changed([report.author_member_id])
    return report


# The staff's side -------------------------------------------------------------


@transaction.atomic
def report_accept(*, report: SocialInfoReport, by) -> SocialInfoReport:
    report = _locked(report)
    if report.status == S.ACCEPTED:
        return report
    report.reviewed_at = timezone.now()
    _move(report, target=S.ACCEPTED, by=by, verb=Verb.ACCEPTED, fields=["reviewed_at"])
    _notify(report, key="accepted", title=_("您报送的信息已受理:%(t)s") % {"t": report.title})
    return report


@transaction.atomic
def report_use(
    *,
    report: SocialInfoReport,
    by,
    bulletin_year: int,
    bulletin_issue: int,
    bulletin_text: str = "",
) -> SocialInfoReport:
    """Edit an accepted report into the bulletin (编报): year, issue, and the text
    as printed (the member's original stays in `content`). On a used report this
    corrects the issue or the text."""
    if not bulletin_year or not 2000 <= bulletin_year <= 2100:
        raise ValidationError({"bulletin_year": _("请填写正确的年度")})
    if not bulletin_issue or bulletin_issue < 1:
        raise ValidationError({"bulletin_issue": _("期号应为正整数")})
    report = _locked(report)
    text = (bulletin_text or "").strip() or report.content
    label = _("编入%(y)d年第%(n)d期") % {"y": bulletin_year, "n": bulletin_issue}
    if report.status == S.USED:
        same = (report.bulletin_year, report.bulletin_issue, report.bulletin_text) == (
            bulletin_year,
            bulletin_issue,
            text,
        )
        if same:
            return report
        report.bulletin_year, report.bulletin_issue, report.bulletin_text = (
            bulletin_year,
            bulletin_issue,
            text,
        )
        report.save(
            update_fields=["bulletin_year", "bulletin_issue", "bulletin_text", "updated_at"]
        )
        _event(report, by=by, verb=Verb.BULLETIN_CHANGED, note=label)
        facts_changed([report.author_member_id])
        return report
    states.require_move(report, S.USED)
    report.bulletin_year, report.bulletin_issue, report.bulletin_text = (
        bulletin_year,
        bulletin_issue,
        text,
    )
    report.reviewed_at = timezone.now()
    _move(
        report,
        target=S.USED,
        by=by,
        verb=Verb.USED,
        note=label,
        fields=["bulletin_year", "bulletin_issue", "bulletin_text", "reviewed_at"],
    )
    facts_changed([report.author_member_id])
    _notify(
        report,
        key="used",
        title=_("您报送的信息已编报:%(t)s") % {"t": report.title},
        text=label,
    )
    return report


@transaction.atomic
def report_not_use(*, report: SocialInfoReport, by, reason: str) -> SocialInfoReport:
    reason = _required(reason, "reason", _("请填写未采用原因"))
    report = _locked(report)
    if report.status == S.NOT_USED:
        return report
    states.require_move(report, S.NOT_USED)
    report.not_used_reason = reason
    report.reviewed_at = timezone.now()
    _move(
        report,
        target=S.NOT_USED,
        by=by,
        verb=Verb.NOT_USED,
        note=reason,
        fields=["not_used_reason", "reviewed_at"],
    )
    _notify(
        report,
        key="not_used",
        title=_("您报送的信息未采用:%(t)s") % {"t": report.title},
        text=reason,
    )
    return report


@transaction.atomic
def report_adoption_record(
    *,
    report: SocialInfoReport,
    by,
    level: str,
    mode: str,
    adopted_on: datetime.date,
    note: str = "",
) -> ReportAdoption:
    """What a CPPCC at one level did with the report. Once per level: the same
    record again is a double click; a different one for a level already
    recorded is refused."""
    if level not in Level.values:
        raise ValidationError({"level": _("请选择采用级别")})
    if mode not in ReportAdoption.Mode.values:
        raise ValidationError({"mode": _("请选择采用方式")})
    note = (note or "").strip()[:300]
    report = _locked(report)
    existing = report.adoptions.filter(level=level).first()
    if existing is not None:
        if (existing.mode, existing.adopted_on, existing.note) == (mode, adopted_on, note):
            return existing
        raise ValidationError(
            {
                "level": _("已登记过%(level)s采用(%(date)s)")
                % {"level": Level(level).label, "date": f"{existing.adopted_on:%Y年%m月%d日}"}
            }
        )
    states.require_forwardable(report)
    _check_date(adopted_on, "adopted_on", report)
    adoption = ReportAdoption.objects.create(
        report=report, level=level, mode=mode, adopted_on=adopted_on, note=note, created_by=by
    )
    facts_changed([report.author_member_id])
    label = f"{Level(level).label}{ReportAdoption.Mode(mode).label}"
    _event(report, by=by, verb=Verb.ADOPTED, note=label + (f"。{note}" if note else ""))
    _notify(
        report,
        key=f"adopted:{level}",
        title=_("您报送的信息获%(label)s:%(t)s") % {"label": label, "t": report.title},
        text=note,
    )
    return adoption


@transaction.atomic
def report_instruction_record(
    *,
    report: SocialInfoReport,
    by,
    level: str,
    leader: str,
    instructed_on: datetime.date,
    text: str = "",
) -> ReportInstruction:
    """A leader's instruction (批示). The same one entered twice is kept once."""
    if level not in Level.values:
        raise ValidationError({"level": _("请选择领导级别")})
    leader = _required(leader, "leader", _("请填写批示领导的姓名或职务"))[:100]
    text = (text or "").strip()
    report = _locked(report)
    existing = report.instructions.filter(
        level=level, leader=leader, instructed_on=instructed_on, text=text
    ).first()
    if existing is not None:
        return existing
    states.require_forwardable(report)
    _check_date(instructed_on, "instructed_on", report)
    instruction = ReportInstruction.objects.create(
        report=report,
        level=level,
        leader=leader,
        instructed_on=instructed_on,
        text=text,
        created_by=by,
    )
    facts_changed([report.author_member_id])
    label = _("%(level)s领导(%(leader)s)批示") % {"level": Level(level).label, "leader": leader}
    _event(report, by=by, verb=Verb.INSTRUCTED, note=label + (f":{text}" if text else ""))
    _notify(
        report,
        key=f"instructed:{instruction.pk}",
        title=_("您报送的信息获%(label)s:%(t)s") % {"label": label, "t": report.title},
        text=text,
    )
    return instruction


# From the proposals committee -------------------------------------------------


def report_create_from_proposal(*, proposal, by) -> SocialInfoReport:
    """A proposal converted (转) to a social-information report arrives submitted,
    with its title and content, written by its first proposer (or its group, or
    its party), linked to the proposal. Called again for the same proposal (a
    retried request) it returns the report made the first time."""
    existing = SocialInfoReport.objects.filter(from_proposal_id=proposal.pk).first()
    if existing is not None:
        return existing
    from proposals.models import Proposal, Proposer

    author_member = author_group = None
    author_party = ""
    if proposal.proposer_kind == Proposal.ProposerKind.GROUP and proposal.proposer_group_id:
        author_group = proposal.proposer_group
    elif proposal.proposer_kind == Proposal.ProposerKind.PARTY:
        author_party = proposal.proposer_party
    else:
        first = (
            Proposer.objects.filter(proposal=proposal, role=Proposer.Role.FIRST)
            .select_related("member")
            .first()
        )
        author_member = first.member if first else None
    if author_member is None and author_group is None and not author_party:
        raise ValidationError(_("该提案没有第一提案人,不能转为社情民意信息"))
    now = timezone.now()
    try:
        with transaction.atomic():
            report = SocialInfoReport.objects.create(
                body_id=proposal.body_id,
                term_id=proposal.session.term_id,
                author_member=author_member,
                author_group=author_group,
                author_party=author_party,
                title=proposal.title[:TITLE_MAX],
                content=proposal.content,
                status=S.SUBMITTED,
                from_proposal=proposal,
                created_by=by,
                created_at=now,
                submitted_at=proposal.submitted_at or now,
            )
            _event(
                report,
                by=by,
                verb=Verb.CONVERTED,
                to_status=S.SUBMITTED,
                note=_("由提案“%(t)s”转来") % {"t": proposal.title},
            )
            facts_changed([report.author_member_id])
            _notify(
                report,
                key="converted",
                title=_("您的提案已转为社情民意信息:%(t)s") % {"t": report.title},
            )
    except IntegrityError:
        # A concurrent conversion of the same proposal won the race.
        return SocialInfoReport.objects.get(from_proposal_id=proposal.pk)
    return report
