"""Celery entry points of the members app: thin wrappers that take ids."""

from celery import shared_task

from members import services
from members.models import Person


@shared_task(acks_late=True)
def notice_send_task(
    *, person_ids: list[int], key: str, title: str, text: str = "", url: str = ""
) -> int:
    # Idempotent by key: a redelivered message sends nothing twice.
    return services.notice_send(
        persons=Person.objects.filter(pk__in=person_ids), key=key, title=title, text=text, url=url
    )
