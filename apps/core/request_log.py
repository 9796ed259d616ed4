"""The API request log, written in batches off the request path.

A request's log row is appended to a per-process buffer; the buffer is written with one
``bulk_create`` (one commit) when it holds ``API_REQUEST_LOG_BATCH_SIZE`` rows, or by a
background thread at most ``API_REQUEST_LOG_FLUSH_SECONDS`` after its oldest row, and when the
process exits. The log is diagnostics, not money: a process killed with ``SIGKILL`` loses at
most that last second of rows, and nothing else waits on them. With a batch size of 1 (the test
settings) every row is written inline before the response leaves.

Consumers registered with ``register_request_log_consumer`` run with each batch in the
transaction that writes it: the accounts app stamps ``ApiKey.last_used_at`` for its keys.
"""

import atexit
import logging
import os
import threading
import time
from collections.abc import Callable

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, connections, transaction

from apps.core.bulk import rows_insert
from apps.core.models import ApiRequestLog

logger = logging.getLogger(__name__)

# Rows kept while the database refuses them; beyond this the oldest are dropped (and logged).
_MAX_PENDING = 10_000
# How often the flusher looks at the buffer's age.
_TICK_SECONDS = 0.05

RequestLogConsumer = Callable[[list[ApiRequestLog]], None]
_consumers: list[RequestLogConsumer] = []


def register_request_log_consumer(consumer: RequestLogConsumer) -> None:
    """``consumer`` runs with every batch of log rows, inside the transaction that writes them."""
    if consumer not in _consumers:
        _consumers.append(consumer)


class _Buffer:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.rows: list[ApiRequestLog] = []
        self.oldest_at = 0.0  # time.monotonic() of the oldest buffered row
        self.pid = 0

    def append(self, row: ApiRequestLog) -> None:
        batch_size = settings.API_REQUEST_LOG_BATCH_SIZE
        with self.lock:
            if not self.rows:
                self.oldest_at = time.monotonic()
            self.rows.append(row)
            full = len(self.rows) >= batch_size
            if not full and self.pid != os.getpid():
                self._start_flusher()
        if full:
            self.flush()

    def _start_flusher(self) -> None:
        # Lazily, once per process: gunicorn forks its workers after import, and a thread
        # does not survive a fork.
        self.pid = os.getpid()
        threading.Thread(target=self._run, name="request-log-flusher", daemon=True).start()

    def _run(self) -> None:
        while True:
            time.sleep(_TICK_SECONDS)
            due = self.oldest_at + settings.API_REQUEST_LOG_FLUSH_SECONDS
            if self.rows and time.monotonic() >= due:
                self.flush()
                # The thread writes about once a second at most: no connection held between.
                connections.close_all()

    def flush(self) -> None:
        with self.lock:
            rows, self.rows = self.rows, []
        if not rows:
            return
        try:
            self._write(rows)
        except (IntegrityError, DatabaseError) as exc:
            if isinstance(exc, IntegrityError) or connection.is_usable():
                # A row the database refuses: write the others one by one, drop that one.
                self._write_each(rows)
                return
            # The database is unreachable: keep the rows for the next flush.
            logger.warning("API request log: database unavailable, %d rows kept", len(rows))
            connection.close()
            with self.lock:
                self.rows[:0] = rows
                self.oldest_at = time.monotonic()
                dropped = len(self.rows) - _MAX_PENDING
                if dropped > 0:
                    del self.rows[:dropped]
                    logger.error("API request log: dropped %d rows", dropped)

    @staticmethod
    @transaction.atomic
    def _write(rows: list[ApiRequestLog]) -> None:
        rows_insert(ApiRequestLog, rows)
        for consumer in _consumers:
            consumer(rows)

    @classmethod
    def _write_each(cls, rows: list[ApiRequestLog]) -> None:
        for row in rows:
            try:
                cls._write([row])
            except DatabaseError:
                logger.exception("API request log: dropped row %s", row.pk)


_buffer = _Buffer()
atexit.register(_buffer.flush)


def request_log_append(row: ApiRequestLog) -> None:
    _buffer.append(_storable(row))


def _storable(row: ApiRequestLog) -> ApiRequestLog:
    """NUL, which a PostgreSQL text column cannot hold, as U+FFFD in every text column: a
    request with one in its path or headers is logged, not dropped with its whole batch.
    (Parameters never hold one: the API refuses them before they are parsed into the row.)"""
    for field in row._meta.concrete_fields:
        value = getattr(row, field.attname)
        if isinstance(value, str) and "\x00" in value:
            setattr(row, field.attname, value.replace("\x00", "\ufffd"))
    return row


def request_log_flush() -> None:
    """Write every buffered row now (process exit, management commands, benchmarks)."""
    _buffer.flush()
