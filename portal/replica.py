"""Statistics read from a replica of the database (``DATABASE_REPLICA_URL``).

The reports (statistics, their drill-downs and exports, the public transparency pages) only
read, over many rows, and may be a few seconds behind: they are the reads worth moving off the
primary. They run inside ``reading_reports()`` — the report views are wrapped in
``@reads_reports``, which takes GET and HEAD only — and while it holds, ``ReplicaRouter`` sends
the reads of the portal's own models to the ``replica`` alias. Everything else reads the
primary: sign-in, sessions, the cache table, every page that writes, a report asked by POST.
Writes always go to the primary, inside the context too, and a query inside a transaction on the
primary stays there (it may have to see its own writes). Without ``DATABASE_REPLICA_URL`` there
is no ``replica`` alias and nothing changes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.http import HttpRequest, HttpResponse

REPLICA = "replica"
# The apps whose tables the reports read; Django's own (auth, sessions, the cache) never move.
REPORTED_APPS = frozenset({"intake", "procedures", "portal"})

_reading_reports: ContextVar[bool] = ContextVar("reading_reports", default=False)


def reports_database() -> str:
    """The alias the reports read now: the replica inside ``reading_reports()`` when there is
    one and no transaction is open on the primary, else the primary."""
    if (
        _reading_reports.get()
        and REPLICA in settings.DATABASES
        and not connections[DEFAULT_DB_ALIAS].in_atomic_block
    ):
        return REPLICA
    return DEFAULT_DB_ALIAS


def reports_connection() -> BaseDatabaseWrapper:
    """The connection for a report's raw SQL (the ORM's reads are routed by ``ReplicaRouter``)."""
    return connections[reports_database()]


@contextmanager
def reading_reports() -> Iterator[None]:
    token = _reading_reports.set(True)
    try:
        yield
    finally:
        _reading_reports.reset(token)


def reads_reports(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A report view: its GET and HEAD read from the replica."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            return view(request, *args, **kwargs)
        with reading_reports():
            return view(request, *args, **kwargs)

    return wrapper


class ReplicaRouter:
    """Named in ``DATABASE_ROUTERS`` when ``DATABASE_REPLICA_URL`` is set."""

    def db_for_read(self, model, **hints) -> str | None:
        if model._meta.app_label in REPORTED_APPS and reports_database() == REPLICA:
            return REPLICA
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        return True  # the replica holds the same rows as the primary

    def allow_migrate(self, db: str, app_label: str, **hints) -> bool:
        return db == DEFAULT_DB_ALIAS
