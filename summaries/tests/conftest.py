import pytest
from django.db import transaction

from summaries.tests.helpers import assessed_body


@pytest.fixture(scope="module")
def body(django_db_setup, django_db_blocker):
    """A generated body of 40 seats with its last two years assessed, built once
    per module inside a transaction that is rolled back after the module (each
    test runs in a savepoint within it, as pytest-django's `db` does)."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield assessed_body("云山市政协", members=40)
        transaction.set_rollback(True)
