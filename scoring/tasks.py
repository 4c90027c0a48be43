"""Celery entry points of scoring: thin wrappers that take ids."""

from celery import shared_task
from django.core.exceptions import ValidationError

from scoring import facts
from scoring.models import ScorePeriod
from scoring.services import period_compute


@shared_task(acks_late=True)
def facts_refresh_task(*, member_ids: list[int]) -> dict:
    # A refresh is a diff against the records: a redelivered message changes nothing.
    result = facts.facts_refresh(member_ids)
    return {"created": result.created, "deleted": result.deleted, "unchanged": result.unchanged}


@shared_task(acks_late=True, reject_on_worker_lost=True)
def period_compute_task(period_id: int) -> dict:
    # The service locks the period and replaces its rows in one transaction: a
    # redelivered message recomputes the same rows, and one that arrives while
    # the first still runs is refused (the first one finishes the job).
    period = ScorePeriod.objects.filter(pk=period_id).first()
    if period is None:
        return {"refused": ["gone"]}
    try:
        done = period_compute(period=period)
    except ValidationError as e:
        return {"refused": e.messages}
    return {"members": done.members, "assessed": done.assessed, "lines": done.lines}
