"""Celery entry points of scoring: thin wrappers that take ids."""

from celery import shared_task

from scoring import facts


@shared_task(acks_late=True)
def facts_refresh_task(*, member_ids: list[int]) -> dict:
    # A refresh is a diff against the records: a redelivered message changes nothing.
    result = facts.facts_refresh(member_ids)
    return {"created": result.created, "deleted": result.deleted, "unchanged": result.unchanged}
