"""Drafting a proposal: the draft itself, its attachments, co-proposers invited
to sign it jointly (联名) before a deadline, pre-registered topics (选题),
submission and withdrawal.

Every service locks the proposal row, returns early when nothing would change
(a double click, a retried request) and moves the status only through
proposal_move. Who may call which service is decided by the views."""

import datetime
import uuid

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from config.uploads import EXTENSIONS
from duties.self_reported import attachment_sniff
from members.models import Member, Party
from members.services import notice_send
from proposals.models import Proposal, ProposalAttachment, Proposer, Topic
from proposals.selectors import proposers_of
from proposals.services import proposal_event_create, proposal_locked, proposal_move
from scoring.facts import facts_changed
from sectors.models import PlenarySession, SectorGroup

S = Proposal.Status
ATTACHMENTS_MAX = 5
EDITABLE = (S.DRAFT,)
PRE_SUBMISSION = (S.DRAFT, S.INVITING)


# Drafts -----------------------------------------------------------------------


def _clean_text(*, title: str, content: str) -> tuple[str, str]:
    errors = {}
    if not (title or "").strip():
        errors["title"] = _("请填写案由")
    if not (content or "").strip():
        errors["content"] = _("请填写提案内容")
    if errors:
        raise ValidationError(errors)
    return title.strip(), content.strip()


def _check_units(session: PlenarySession, units) -> list:
    units = list(units or [])
    if any(u.body_id != session.term.body_id or not u.is_active for u in units):
        raise ValidationError({"suggested_units": _("建议承办单位不属于本政协")})
    return units


def _attach(proposal: Proposal, uploads) -> list[ProposalAttachment]:
    """Store content-checked uploads under random names (the row is locked)."""
    uploads = list(uploads or [])
    if not uploads:
        return []
    if proposal.attachments.count() + len(uploads) > ATTACHMENTS_MAX:
        raise ValidationError(
            {"attachments": _("附件最多 %(n)d 个") % {"n": ATTACHMENTS_MAX}}, code="too_many"
        )
    try:
        types = [attachment_sniff(upload) for upload in uploads]
    except ValidationError as error:
        raise ValidationError({"attachments": error.messages}) from None
    stored = []
    for upload, content_type in zip(uploads, types, strict=True):
        item = ProposalAttachment(
            proposal=proposal,
            name=(upload.name or "附件")[-200:],
            content_type=content_type,
            size=upload.size,
        )
        item.file.save(f"{uuid.uuid4().hex}.{EXTENSIONS[content_type]}", upload, save=False)
        item.save()
        stored.append(item)
    return stored


def _proposer_of_kind(*, session, member, group, party) -> tuple[str, dict]:
    given = [x for x in (member, group, party) if x]
    if len(given) != 1:
        raise ValidationError(_("请选择一个提案者:委员本人、界别小组或党派"))
    if member is not None:
        if member.term_id != session.term_id or member.left_on is not None:
            raise ValidationError({"session": _("该委员不是本届会议的在任委员")})
        return Proposal.ProposerKind.MEMBER, {}
    if group is not None:
        if group.term_id != session.term_id:
            raise ValidationError({"session": _("该界别小组不属于本届")})
        return Proposal.ProposerKind.GROUP, {"proposer_group": group}
    if party not in Party.values:
        raise ValidationError({"proposer_party": _("请选择党派")})
    return Proposal.ProposerKind.PARTY, {"proposer_party": party}


@transaction.atomic
def proposal_draft_create(
    *,
    session: PlenarySession,
    by,
    title: str,
    category: str,
    content: str,
    kind: str = Proposal.Kind.REGULAR,
    member: Member | None = None,
    group: SectorGroup | None = None,
    party: str = "",
    suggested_units=(),
    attachments=(),
    topic: Topic | None = None,
) -> Proposal:
    """A new draft by a member (the first proposer), a sector group or a party,
    optionally from a pre-registered topic (which becomes used)."""
    title, content = _clean_text(title=title, content=content)
    proposer_kind, extra = _proposer_of_kind(
        session=session, member=member, group=group, party=party
    )
    units = _check_units(session, suggested_units)
    if topic is not None:
        topic = Topic.objects.select_for_update().get(pk=topic.pk)
        if topic.session_id != session.pk or topic.status != Topic.Status.REGISTERED:
            raise ValidationError({"topic": _("该选题不可用(已使用、已撤回或不属于本次会议)")})
    proposal = Proposal.objects.create(
        body_id=session.term.body_id,
        session=session,
        kind=kind,
        topic=topic,
        title=title,
        category=category,
        content=content,
        proposer_kind=proposer_kind,
        created_by=by,
        **extra,
    )
    proposal.suggested_units.set(units)
    if member is not None:
        Proposer.objects.create(
            proposal=proposal,
            member=member,
            role=Proposer.Role.FIRST,
            status=Proposer.Status.CONFIRMED,
            order=0,
            answered_at=proposal.created_at,
        )
    if topic is not None:
        topic.status = Topic.Status.USED
        topic.save(update_fields=["status"])
    _attach(proposal, attachments)
    proposal_event_create(proposal=proposal, by=by, verb="created", to_status=S.DRAFT)
    return proposal


@transaction.atomic
def proposal_update(
    *,
    proposal: Proposal,
    by,
    title: str,
    category: str,
    content: str,
    suggested_units=None,
    attachments=(),
    remove_attachments=(),
) -> Proposal:
    """Change a draft. Once co-proposers are being asked, or it is submitted, the
    text is what they signed and stays."""
    proposal = proposal_locked(proposal)
    if proposal.status not in EDITABLE:
        raise ValidationError(_("只有草稿可以修改"))
    title, content = _clean_text(title=title, content=content)
    proposal.title, proposal.category, proposal.content = title, category, content
    proposal.save(update_fields=["title", "category", "content"])
    if suggested_units is not None:
        proposal.suggested_units.set(_check_units(proposal.session, suggested_units))
    remove = [a.pk for a in remove_attachments or []]
    if remove:
        for item in proposal.attachments.filter(pk__in=remove):
            item.file.delete(save=False)
            item.delete()
    _attach(proposal, attachments)
    return proposal


# Co-proposers -----------------------------------------------------------------


def _deadline_end_of_day(deadline) -> datetime.datetime:
    if isinstance(deadline, datetime.datetime):
        return deadline
    return timezone.make_aware(datetime.datetime.combine(deadline, datetime.time(23, 59, 59)))


@transaction.atomic
def cosigner_invite(*, proposal: Proposal, members, by, deadline, now=None) -> list[Proposer]:
    """Invite members of the same term to sign jointly, answering by `deadline`
    (a date: the end of that day, or a datetime). Members already asked are
    skipped; each new invitee gets a notice."""
    now = now or timezone.now()
    proposal = proposal_locked(proposal)
    if proposal.proposer_kind != Proposal.ProposerKind.MEMBER:
        raise ValidationError(_("界别小组或党派提案不邀请联名提案人"))
    if proposal.status not in PRE_SUBMISSION:
        raise ValidationError(_("提案已提交,不能再邀请联名提案人"))
    deadline = _deadline_end_of_day(deadline)
    if deadline <= now:
        raise ValidationError({"deadline": _("截止时间应晚于现在")})
    members = list(members)
    if not members:
        raise ValidationError({"members": _("请选择联名提案人")})
    wrong = [m for m in members if m.term_id != proposal.session.term_id or m.left_on is not None]
    if wrong:
        raise ValidationError({"members": _("联名提案人应为本届在任委员")})
    have = dict(proposal.proposers.values_list("member_id", "order"))
    next_order = max(have.values(), default=0) + 1
    new = []
    for member in members:
        if member.pk in have:
            continue
        new.append(
            Proposer.objects.create(
                proposal=proposal,
                member=member,
                role=Proposer.Role.CO,
                status=Proposer.Status.INVITED,
                order=next_order,
                invited_at=now,
            )
        )
        have[member.pk] = next_order
        next_order += 1
    if not new:
        # Everyone was asked already: at most the deadline moves (while asking).
        if proposal.status == S.INVITING and proposal.cosign_deadline != deadline:
            proposal.cosign_deadline = deadline
            proposal.save(update_fields=["cosign_deadline"])
            proposal_event_create(proposal=proposal, by=by, verb="cosign_deadline")
        return []
    proposal.cosign_deadline = deadline
    if proposal.status == S.DRAFT:
        proposal_move(
            proposal=proposal,
            target=S.INVITING,
            by=by,
            verb="invited",
            note="、".join(p.member.person.name for p in new),
            fields=["cosign_deadline"],
        )
    else:
        proposal.save(update_fields=["cosign_deadline"])
        proposal_event_create(
            proposal=proposal,
            by=by,
            verb="invited",
            note="、".join(p.member.person.name for p in new),
        )
    url = reverse("proposals:detail", args=[proposal.pk])
    local = timezone.localtime(deadline)
    for row in new:
        notice_send(
            persons=[row.member.person],
            key=f"proposals:invite:{row.pk}",
            title=_("联名提案邀请:%(title)s") % {"title": proposal.title},
            text=_("请于%(deadline)s前确认是否联名") % {"deadline": f"{local:%Y年%m月%d日 %H:%M}"},
            url=url,
        )
    return new


def _close_invitations_if_done(proposal: Proposal, *, by) -> None:
    """Back to a draft once nobody is left to answer (the row is locked)."""
    if proposal.status == S.INVITING and not proposal.proposers.filter(
        status=Proposer.Status.INVITED
    ):
        proposal_move(proposal=proposal, target=S.DRAFT, by=by, verb="cosign_closed")


def _expire_locked(proposal: Proposal, *, now, by=None) -> int:
    if proposal.cosign_deadline is None or proposal.cosign_deadline > now:
        return 0
    expired = proposal.proposers.filter(status=Proposer.Status.INVITED).update(
        status=Proposer.Status.EXPIRED
    )
    if expired:
        proposal_event_create(proposal=proposal, by=by, verb="cosign_expired", note=str(expired))
    _close_invitations_if_done(proposal, by=by)
    return expired


def cosigner_answer(*, proposer: Proposer, by, confirm: bool, now=None) -> Proposer:
    """The invitee confirms or declines. Answering twice the same way is
    harmless; changing one's mind, or answering after the deadline, is refused
    (and a late answer lets the expiry it found stay recorded)."""
    now = now or timezone.now()
    with transaction.atomic():
        row = _answer(proposer=proposer, by=by, confirm=confirm, now=now)
    if row is None:
        raise ValidationError(_("联名确认已过截止时间"))
    return row


def _answer(*, proposer: Proposer, by, confirm: bool, now) -> Proposer | None:
    proposal = proposal_locked(proposer.proposal)
    row = Proposer.objects.select_for_update().select_related("member__person").get(pk=proposer.pk)
    wanted = Proposer.Status.CONFIRMED if confirm else Proposer.Status.DECLINED
    if row.status == wanted:
        return row
    if row.status != Proposer.Status.INVITED:
        raise ValidationError(
            _("您已答复过该邀请(%(status)s)") % {"status": row.get_status_display()}
        )
    if proposal.status != S.INVITING:
        raise ValidationError(_("该提案已不在征集联名阶段"))
    if proposal.cosign_deadline and proposal.cosign_deadline <= now:
        _expire_locked(proposal, now=now)
        return None
    row.status, row.answered_at = wanted, now
    row.save(update_fields=["status", "answered_at"])
    facts_changed([row.member_id])
    proposal_event_create(
        proposal=proposal,
        by=by,
        verb="cosign_confirmed" if confirm else "cosign_declined",
        note=row.member.person.name,
    )
    first = proposal.proposers.filter(role=Proposer.Role.FIRST).select_related("member__person")
    notice_send(
        persons=[p.member.person for p in first],
        key=f"proposals:answer:{row.pk}",
        title=(_("%(name)s已确认联名") if confirm else _("%(name)s谢绝联名"))
        % {"name": row.member.person.name},
        text=proposal.title,
        url=reverse("proposals:detail", args=[proposal.pk]),
    )
    _close_invitations_if_done(proposal, by=by)
    return row


def proposers_expire(now=None) -> int:
    """Invitations past their deadline stop counting; a proposal left with
    nobody to answer is a draft again. For the beat task; returns how many
    invitations expired."""
    now = now or timezone.now()
    due = list(
        Proposal.objects.filter(status=S.INVITING, cosign_deadline__lte=now).values_list(
            "pk", flat=True
        )
    )
    expired = 0
    for pk in due:
        with transaction.atomic():
            proposal = Proposal.objects.select_for_update().get(pk=pk)
            expired += _expire_locked(proposal, now=now)
    return expired


# Submission and withdrawal -----------------------------------------------------


def _check_window(proposal: Proposal, today: datetime.date) -> None:
    session = proposal.session
    if proposal.kind == Proposal.Kind.PLENARY:
        if not session.starts_on <= today <= session.ends_on:
            raise ValidationError(
                _("大会提案只能在全体会议期间(%(start)s至%(end)s)提交")
                % {
                    "start": f"{session.starts_on:%Y年%m月%d日}",
                    "end": f"{session.ends_on:%Y年%m月%d日}",
                }
            )
    elif session.year != today.year:
        raise ValidationError(
            _("平时提案应归入本年度(%(year)d年)的全体会议") % {"year": today.year}
        )


@transaction.atomic
def proposal_submit(*, proposal: Proposal, by, now=None) -> Proposal:
    """Submit for review: plenary proposals only inside the plenary window,
    regular ones under the session of the year; not while invitees may still
    answer."""
    now = now or timezone.now()
    proposal = proposal_locked(proposal)
    if proposal.status == S.SUBMITTED:
        return proposal
    if proposal.status not in PRE_SUBMISSION:
        raise ValidationError(
            _("提案当前为“%(status)s”,不能提交") % {"status": proposal.get_status_display()}
        )
    _expire_locked(proposal, now=now, by=by)
    if proposal.proposers.filter(status=Proposer.Status.INVITED).exists():
        raise ValidationError(_("还有联名提案人未答复,请等其答复或确认截止后再提交"))
    _check_window(proposal, timezone.localdate(now))
    proposal.submitted_at = now
    facts_changed(proposers_of(proposal).values_list("pk", flat=True))
    return proposal_move(
        proposal=proposal, target=S.SUBMITTED, by=by, verb="submitted", fields=["submitted_at"]
    )


@transaction.atomic
def proposal_withdraw(*, proposal: Proposal, by, note: str = "") -> Proposal:
    """Withdraw before review; the proposal stays, as withdrawn. Open invitations
    lapse with it."""
    proposal = proposal_locked(proposal)
    if proposal.status == S.WITHDRAWN:
        return proposal
    if proposal.status not in (*PRE_SUBMISSION, S.SUBMITTED):
        raise ValidationError(_("提案已审查,不能撤回"))
    proposal.proposers.filter(status=Proposer.Status.INVITED).update(status=Proposer.Status.EXPIRED)
    facts_changed(proposers_of(proposal).values_list("pk", flat=True))
    return proposal_move(proposal=proposal, target=S.WITHDRAWN, by=by, verb="withdrawn", note=note)


# Topics -----------------------------------------------------------------------


@transaction.atomic
def topic_register(
    *,
    session: PlenarySession,
    by,
    title: str,
    category: str,
    description: str = "",
    member: Member | None = None,
    group: SectorGroup | None = None,
    today=None,
) -> Topic:
    """Pre-register a topic before the plenary opens. The same title twice in a
    session is refused, so two proposals do not duplicate one another."""
    today = today or timezone.localdate()
    title = (title or "").strip()
    if not title:
        raise ValidationError({"title": _("请填写选题")})
    if (member is None) == (group is None):
        raise ValidationError(_("请选择委员本人或界别小组"))
    owner_term = (member or group).term_id
    if owner_term != session.term_id:
        raise ValidationError({"session": _("只能为本届的全体会议登记选题")})
    if today >= session.starts_on:
        raise ValidationError({"session": _("全体会议已开幕,选题登记已截止")})
    # Lock the session row: two people registering the same title at once.
    PlenarySession.objects.select_for_update().get(pk=session.pk)
    taken = Topic.objects.filter(session=session, title=title).exclude(
        status=Topic.Status.WITHDRAWN
    )
    if taken.exists():
        raise ValidationError({"title": _("该选题已有人登记")})
    return Topic.objects.create(
        session=session,
        member=member,
        group=group,
        title=title,
        description=(description or "").strip(),
        category=category,
        created_by=by,
    )


@transaction.atomic
def topic_withdraw(*, topic: Topic, by) -> Topic:
    topic = Topic.objects.select_for_update().get(pk=topic.pk)
    if topic.status == Topic.Status.WITHDRAWN:
        return topic
    if topic.status == Topic.Status.USED:
        raise ValidationError(_("该选题已形成提案,不能撤回"))
    topic.status = Topic.Status.WITHDRAWN
    topic.save(update_fields=["status"])
    return topic
