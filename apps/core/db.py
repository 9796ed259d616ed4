"""Reports read from the PostgreSQL replica when one is configured (``DATABASE_REPLICA_URL``).

A reporting selector is wrapped in ``reporting_reads``; while it runs, ``ReplicaRouter`` sends
its reads to the ``replica`` alias. Everything else, every write, and every read when no replica
is configured go to ``default``. A report may therefore lag the primary by the replication
delay, which aggregate figures tolerate; a selector whose result feeds a write must not be
wrapped.
"""

import functools
from collections.abc import Callable
from contextvars import ContextVar
from typing import ParamSpec, TypeVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS

REPLICA = "replica"

P = ParamSpec("P")
R = TypeVar("R")

_reporting: ContextVar[bool] = ContextVar("reporting_reads", default=False)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


def reporting_reads(selector: Callable[P, R]) -> Callable[P, R]:
    """Run ``selector`` with its reads on the replica (it must evaluate its querysets itself:
    a lazy queryset returned from it would be read later, on ``default``)."""

    @functools.wraps(selector)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
        token = _reporting.set(True)
        try:
            return selector(*args, **kwargs)
        finally:
            _reporting.reset(token)

    return wrapped


class ReplicaRouter:
    def db_for_read(self, model, **hints) -> str | None:
        if _reporting.get() and replica_configured():
            return REPLICA
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints) -> str:
        # Explicit: without it Django saves a row back to the alias it was read from.
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        # Both aliases hold the same data.
        return True

    def allow_migrate(self, db: str, app_label: str, **hints) -> bool:
        # The replica follows the primary's schema through replication.
        return db != REPLICA
