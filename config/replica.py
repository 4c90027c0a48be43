"""Reads of read-only pages from a PostgreSQL read replica.

With DATABASE_REPLICA_URL set, settings.READ_REPLICA names the replica's alias.
A view decorated with @replica_reads then reads from it while it answers a GET
or HEAD request; everything else reads and writes the primary: other views, POST
requests, the middleware around the view (session, user), any read inside a
transaction, and every read after the request's first write (a replica lags
the primary by a moment, and a page must see what it has just written). Without
the variable READ_REPLICA is None and the router changes nothing.
"""

from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

REPLICA_ALIAS = "replica"


class _Reads:
    def __init__(self):
        self.wrote = False


_reads: ContextVar[_Reads | None] = ContextVar("replica_reads", default=None)


@contextmanager
def reads_from_replica():
    """Send this block's reads to the replica (until it writes), if there is one."""
    token = _reads.set(_Reads())
    try:
        yield
    finally:
        _reads.reset(token)


def replica_reads(view):
    """Opt a read-only page in: its GET and HEAD requests read from the replica."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD") or not settings.READ_REPLICA:
            return view(request, *args, **kwargs)
        with reads_from_replica():
            return view(request, *args, **kwargs)

    return wrapped


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        reads = _reads.get()
        if reads is None or reads.wrote or not settings.READ_REPLICA:
            return None
        if connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return DEFAULT_DB_ALIAS  # a transaction reads what it may then write
        return settings.READ_REPLICA

    def db_for_write(self, model, **hints):
        reads = _reads.get()
        if reads is not None:
            reads.wrote = True
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        # The replica holds the primary's rows: an object read from one may
        # point at an object read from the other.
        aliases = {DEFAULT_DB_ALIAS, REPLICA_ALIAS}
        if obj1._state.db in aliases and obj2._state.db in aliases:
            return True
        return None

    def allow_migrate(self, db, app_label, **hints):
        return False if db == REPLICA_ALIAS else None
