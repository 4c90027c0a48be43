"""Review (审查) by the staff of the proposals committee: accept with a
gap-free number (立案), reject with a reason (不立案), merge into another
proposal (并案), convert (转) to a social-information report, an opinion or a
letter; and the key (重点) and excellent (优秀) flags.

Each service locks the proposal, returns early when the decision is already
recorded, moves the status through proposal_move and tells the proposers."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from members.models import Person
from members.services import notice_send
from proposals.models import Proposal, ProposalNumber
from proposals.selectors import proposers_of
from proposals.services import proposal_event_create, proposal_locked, proposal_move
from proposals.states import require_move
from scoring.facts import facts_changed

S = Proposal.Status
MERGE_TARGETS = (S.SUBMITTED, S.ACCEPTED)


def _notify_proposers(proposal: Proposal, *, key: str, title: str, text: str = "") -> int:
    """The proposers (merged ones too), the convenor of a proposing group and
    whoever entered the proposal."""
    from proposals.selectors import proposer_person_ids

    person_ids = proposer_person_ids(proposal)
    return notice_send(
        persons=Person.objects.filter(pk__in=person_ids),
        key=f"proposals:{key}:{proposal.pk}",
        title=title,
        text=text,
        url=reverse("proposals:detail", args=[proposal.pk]),
    )


def _number_next(*, session_id: int, kind: str) -> int:
    """The next number of (session, kind), under the counter's row lock. The
    caller's transaction holds the lock until it commits, so a rolled-back
    accept gives its number back and numbers stay gap-free."""
    counter = ProposalNumber.objects.select_for_update().filter(session_id=session_id, kind=kind)
    row = counter.first()
    if row is None:
        try:
            with transaction.atomic():  # a savepoint: losing the race is not an error
                ProposalNumber.objects.create(session_id=session_id, kind=kind, last=0)
        except IntegrityError:
            pass
        row = counter.get()
    row.last += 1
    row.save(update_fields=["last"])
    return row.last


@transaction.atomic
def proposal_accept(*, proposal: Proposal, by, note: str = "") -> Proposal:
    proposal = proposal_locked(proposal)
    if proposal.status == S.ACCEPTED:
        return proposal  # a double click or a retried request: nothing to do
    require_move(proposal, S.ACCEPTED)  # before a number is taken
    proposal.number = _number_next(session_id=proposal.session_id, kind=proposal.kind)
    proposal.accepted_at = timezone.now()
    proposal_move(
        proposal=proposal,
        target=S.ACCEPTED,
        by=by,
        verb="accepted",
        note=note,
        fields=["number", "accepted_at"],
    )
    facts_changed(proposers_of(proposal).values_list("pk", flat=True))
    _notify_proposers(
        proposal,
        key="accepted",
        title=_("提案已立案:%(label)s") % {"label": proposal.number_label},
        text=proposal.title,
    )
    return proposal


@transaction.atomic
def proposal_reject(*, proposal: Proposal, by, reason: str) -> Proposal:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请填写不立案理由")})
    proposal = proposal_locked(proposal)
    if proposal.status == S.REJECTED:
        return proposal
    proposal.decision_reason = reason
    proposal_move(
        proposal=proposal,
        target=S.REJECTED,
        by=by,
        verb="rejected",
        note=reason,
        fields=["decision_reason"],
    )
    facts_changed(proposers_of(proposal).values_list("pk", flat=True))
    _notify_proposers(
        proposal, key="rejected", title=_("提案不予立案:%(t)s") % {"t": proposal.title}, text=reason
    )
    return proposal


@transaction.atomic
def proposal_merge(*, proposal: Proposal, into: Proposal, by, note: str = "") -> Proposal:
    """Merge into another submitted or accepted proposal of the same session.
    The merged proposal keeps its proposers, who count as proposers of the
    target (proposals.selectors.proposers_of)."""
    if proposal.pk == into.pk:
        raise ValidationError({"into": _("不能并入提案本身")})
    # Lock both rows in id order: two merges of the same pair cannot deadlock.
    locked = {
        p.pk: p
        for p in Proposal.objects.select_for_update()
        .filter(pk__in=[proposal.pk, into.pk])
        .order_by("pk")
    }
    proposal, into = locked[proposal.pk], locked[into.pk]
    if proposal.status == S.MERGED and proposal.merged_into_id == into.pk:
        return proposal
    if into.status not in MERGE_TARGETS:
        raise ValidationError({"into": _("只能并入待审查或已立案的提案")})
    if into.session_id != proposal.session_id:
        raise ValidationError({"into": _("只能并入同一次会议的提案")})
    proposal.merged_into = into
    proposal.decision_reason = note
    label = into.number_label or into.title
    proposal_move(
        proposal=proposal,
        target=S.MERGED,
        by=by,
        verb="merged",
        note=_("并入%(label)s") % {"label": label} + (f"。{note}" if note else ""),
        fields=["merged_into", "decision_reason"],
    )
    proposal_event_create(
        proposal=into,
        by=by,
        verb="merged_from",
        note=_("并入:%(title)s") % {"title": proposal.title},
    )
    facts_changed(proposers_of(into).values_list("pk", flat=True))  # the merged ones too
    _notify_proposers(
        proposal,
        key="merged",
        title=_("提案已并案:%(t)s") % {"t": proposal.title},
        text=_("并入%(label)s") % {"label": label},
    )
    return proposal


def _report_create(proposal: Proposal, by):
    try:
        from reports.services import report_create_from_proposal
    except ImportError:
        raise ValidationError(_("社情民意信息功能尚未启用,暂不能转为社情民意信息")) from None
    return report_create_from_proposal(proposal=proposal, by=by)


@transaction.atomic
def proposal_convert(*, proposal: Proposal, to: str, by, note: str = "") -> Proposal:
    """Convert to a social-information report (created in reports, keeping its
    link to the proposal), an opinion/suggestion or a letter."""
    if to not in Proposal.ConvertedTo.values:
        raise ValidationError({"to": _("请选择转为何种形式")})
    proposal = proposal_locked(proposal)
    if proposal.status == S.CONVERTED and proposal.converted_to == to:
        return proposal
    proposal.converted_to = to
    proposal.decision_reason = note
    label = Proposal.ConvertedTo(to).label
    proposal_move(
        proposal=proposal,
        target=S.CONVERTED,
        by=by,
        verb="converted",
        note=_("转为%(label)s") % {"label": label} + (f"。{note}" if note else ""),
        fields=["converted_to", "decision_reason"],
    )
    facts_changed(proposers_of(proposal).values_list("pk", flat=True))
    if to == Proposal.ConvertedTo.REPORT:
        _report_create(proposal, by)
    _notify_proposers(
        proposal,
        key="converted",
        title=_("提案已转为%(label)s:%(t)s") % {"label": label, "t": proposal.title},
        text=note,
    )
    return proposal


def _require_accepted(proposal: Proposal) -> None:
    if proposal.number is None:
        raise ValidationError(_("只有已立案的提案可以标记"))


@transaction.atomic
def proposal_flag_key(*, proposal: Proposal, by, is_key: bool = True, leader: str = "") -> Proposal:
    """Mark (or unmark) a key proposal, supervised by a named leader."""
    leader = (leader or "").strip()
    if is_key and not leader:
        raise ValidationError({"key_leader": _("重点提案须填写督办领导")})
    proposal = proposal_locked(proposal)
    _require_accepted(proposal)
    leader = leader if is_key else ""
    if proposal.is_key == is_key and proposal.key_leader == leader:
        return proposal
    proposal.is_key, proposal.key_leader = is_key, leader
    proposal.save(update_fields=["is_key", "key_leader"])
    facts_changed(proposers_of(proposal).values_list("pk", flat=True))
    proposal_event_create(
        proposal=proposal,
        by=by,
        verb="flag_key" if is_key else "unflag_key",
        note=_("督办领导:%(leader)s") % {"leader": leader} if is_key else "",
    )
    if is_key:
        _notify_proposers(
            proposal,
            key=f"key-{leader}",
            title=_("提案列为重点提案:%(t)s") % {"t": proposal.title},
            text=_("督办领导:%(leader)s") % {"leader": leader},
        )
    return proposal


@transaction.atomic
def proposal_flag_excellent(*, proposal: Proposal, by, is_excellent: bool = True) -> Proposal:
    proposal = proposal_locked(proposal)
    _require_accepted(proposal)
    if proposal.is_excellent == is_excellent:
        return proposal
    proposal.is_excellent = is_excellent
    proposal.save(update_fields=["is_excellent"])
    facts_changed(proposers_of(proposal).values_list("pk", flat=True))
    proposal_event_create(
        proposal=proposal, by=by, verb="flag_excellent" if is_excellent else "unflag_excellent"
    )
    if is_excellent:
        _notify_proposers(
            proposal, key="excellent", title=_("提案评为优秀提案:%(t)s") % {"t": proposal.title}
        )
    return proposal
