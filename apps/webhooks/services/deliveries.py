"""Delivering events: enqueueing, sending with retries and the sweeper (the outbox consumer
that creates deliveries is ``outbox``, a staff member's resend is ``replay``).

A send has three steps so that no transaction is open while a URL is called:

1. claim (short transaction): lock the due deliveries (``skip_locked``: rows another worker
   holds are left to it), start an attempt for each and push ``next_attempt_at`` to the end
   of a lease. Until the lease ends no other worker can claim them;
2. POST them, a few at a time, with no transaction open, and only until the sending time
   the lease was computed for (later ones are recorded as not sent and retried);
3. record (short transaction): lock them again and store each outcome; a failure is given its
   next attempt time (or the delivery fails once the 3-day window is over).

A worker that dies between 1 and 3 leaves an attempt without outcome; when the lease ends the
delivery is due again and the sweeper re-enqueues it: at least once, nothing lost.
"""

import json
import math
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F, Q

from apps.core import clock
from apps.core.events import event_render
from apps.core.locks import rows_lock
from apps.core.models import Event
from apps.core.queue import task_named
from apps.webhooks import schedule, transport
from apps.webhooks.enums import DeliveryStatus, EndpointStatus
from apps.webhooks.models import WebhookAttempt, WebhookDelivery
from apps.webhooks.signing import signature_header

# Deliveries per send task; the task posts them SEND_THREADS at a time.
BATCH_SIZE = 50
# A delivery still marked as enqueued after this long is assumed lost and enqueued again.
ENQUEUE_GRACE = timedelta(minutes=5)
# Most deliveries one sweep enqueues (the next sweep takes the rest).
SWEEP_LIMIT = 5000
# Added to the worst-case sending time of a batch to get its claim's lease.
LEASE_MARGIN = timedelta(seconds=60)
ABANDONED = "No outcome was recorded: the worker stopped before this attempt finished."
# apps.webhooks.tasks.webhook_deliveries_send_task
SEND_TASK = "webhooks.deliveries_send"


# --- enqueueing ------------------------------------------------------------------------------


class _EnqueueBuffer:
    """Delivery ids created in one transaction, sent to the queue in batches once it commits."""

    def __init__(self) -> None:
        self.ids: list[str] = []

    def flush(self) -> None:
        # Already on commit: the task is sent now, by name (apps.webhooks.tasks calls us).
        send_task = task_named(SEND_TASK)
        for start in range(0, len(self.ids), BATCH_SIZE):
            send_task.delay(delivery_ids=self.ids[start : start + BATCH_SIZE])


def deliveries_enqueue_on_commit(delivery_ids: list[str]) -> None:
    """Queue a send for ``delivery_ids`` when the current transaction commits.

    All the deliveries of one transaction share one buffer, so a transaction recording many
    events enqueues a few batch tasks instead of one task per event. ``robust``: if the broker
    is unreachable the committed change still stands and the sweeper enqueues them later.
    """
    if not delivery_ids:
        return
    connection = transaction.get_connection()
    buffer = getattr(connection, "_webhook_enqueue_buffer", None)
    # The buffer belongs to this transaction only while its flush is still scheduled in it
    # (a commit runs and clears the list, a rollback clears it).
    if buffer is None or not any(entry[1] == buffer.flush for entry in connection.run_on_commit):
        buffer = _EnqueueBuffer()
        connection._webhook_enqueue_buffer = buffer
        transaction.on_commit(buffer.flush, robust=True)
    buffer.ids.extend(delivery_ids)


# --- sending ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Claim:
    delivery_id: str
    attempt_id: int
    number: int
    outbound: transport.Outbound


def _sending_time(count: int) -> timedelta:
    """The longest a batch of ``count`` is given to post: every round of ``SEND_THREADS``
    timing out."""
    rounds = math.ceil(count / transport.SEND_THREADS)
    return timedelta(seconds=transport.TIMEOUT_SECONDS * rounds)


def _lease(count: int) -> timedelta:
    return _sending_time(count) + LEASE_MARGIN


def _outbound(delivery: WebhookDelivery, now: datetime) -> transport.Outbound:
    body = json.dumps(event_render(delivery.event), indent=2).encode("utf-8")
    header = signature_header(
        payload=body, secret=delivery.endpoint.secret, timestamp=clock.to_epoch(now)
    )
    return transport.Outbound(
        key=delivery.id,
        url=delivery.endpoint.url,
        body=body,
        headers={"Content-Type": "application/json; charset=utf-8", "Stripe-Signature": header},
    )


def _deliveries_claim(delivery_ids: list[str]) -> list[_Claim]:
    now = clock.now()
    with transaction.atomic():
        (deliveries,) = rows_lock(
            WebhookDelivery.objects.select_related("event", "endpoint").filter(
                pk__in=delivery_ids,
                status=DeliveryStatus.PENDING,
                next_attempt_at__lte=now,
                endpoint__status=EndpointStatus.ENABLED,
            ),
            skip_locked=True,
        )
        if not deliveries:
            return []
        claimed = [delivery.pk for delivery in deliveries]
        # An attempt without outcome (its worker died) can only exist for a delivery tried
        # before; a batch of first attempts skips the query.
        retried = [delivery.pk for delivery in deliveries if delivery.attempt_count]
        if retried:
            WebhookAttempt.objects.filter(delivery_id__in=retried, finished_at__isnull=True).update(
                finished_at=now, error=ABANDONED
            )
        WebhookDelivery.objects.filter(pk__in=claimed).update(
            attempt_count=F("attempt_count") + 1,
            next_attempt_at=now + _lease(len(claimed)),
            last_attempt_at=now,
            enqueued_at=None,
            replay_requested_at=None,
        )
        attempts = WebhookAttempt.objects.bulk_create(
            WebhookAttempt(
                delivery_id=delivery.pk,
                number=delivery.attempt_count + 1,
                attempted_at=now,
                manual=delivery.replay_requested_at is not None,
            )
            for delivery in deliveries
        )
    return [
        _Claim(delivery.pk, attempt.pk, attempt.number, _outbound(delivery, now))
        for delivery, attempt in zip(deliveries, attempts, strict=True)
    ]


_ATTEMPT_OUTCOME = ("finished_at", "status_code", "error", "latency_ms", "response_excerpt")
# Rows per UPDATE of attempt outcomes (6 parameters each, well under SQLite's limit).
_ROWS_PER_UPDATE = 500


def _attempts_finish(rows: list[tuple]) -> None:
    """Store attempt outcomes: ``rows`` of (attempt pk, *_ATTEMPT_OUTCOME values).

    One ``UPDATE … FROM (VALUES …)`` per batch on PostgreSQL and SQLite (Django's
    ``bulk_update`` builds a CASE expression per field and row: 2 ms of CPU per row here).
    """
    connection = transaction.get_connection()
    if connection.vendor not in ("postgresql", "sqlite"):
        WebhookAttempt.objects.bulk_update(
            [
                WebhookAttempt(pk=row[0], **dict(zip(_ATTEMPT_OUTCOME, row[1:], strict=True)))
                for row in rows
            ],
            list(_ATTEMPT_OUTCOME),
        )
        return
    meta = WebhookAttempt._meta
    fields = [meta.pk, *(meta.get_field(name) for name in _ATTEMPT_OUTCOME)]
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    columns = [quote(field.column) for field in fields]
    if connection.vendor == "postgresql":
        casts = [f"%s::{field.db_type(connection)}" for field in fields]
        placeholder = "(" + ", ".join(casts) + ")"
    else:
        placeholder = "(" + ", ".join(["%s"] * len(fields)) + ")"
    assignments = ", ".join(f"{column} = v.{column}" for column in columns[1:])
    key = f"{table}.{columns[0]} = v.{columns[0]}"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), _ROWS_PER_UPDATE):
            chunk = rows[start : start + _ROWS_PER_UPDATE]
            params = [
                field.get_db_prep_save(value, connection)
                for row in chunk
                for field, value in zip(fields, row, strict=True)
            ]
            values = ", ".join([placeholder] * len(chunk))
            cursor.execute(
                f"WITH v ({', '.join(columns)}) AS (VALUES {values}) "
                f"UPDATE {table} SET {assignments} FROM v WHERE {key}",
                params,
            )


def _outcomes_record(claims: list[_Claim], outcomes: list[transport.Outcome]) -> None:
    """Store every attempt's outcome and move its delivery on, in one short transaction of a
    few statements whatever the batch size: lock the deliveries, one UPDATE for the attempts,
    one UPDATE per distinct delivery change (usually one: all succeeded), one per distinct
    ``pending_webhooks`` decrement."""
    now = clock.now()
    attempt_rows = [
        (
            claim.attempt_id,
            now,
            outcome.status_code,
            outcome.error,
            outcome.latency_ms,
            outcome.excerpt[: WebhookAttempt.RESPONSE_EXCERPT],
        )
        for claim, outcome in zip(claims, outcomes, strict=True)
    ]
    with transaction.atomic():
        # Locked in pk order, like every other writer of these rows.
        (locked,) = rows_lock(
            WebhookDelivery.objects.filter(
                pk__in=[claim.delivery_id for claim in claims]
            ).values_list("pk", "status", "attempt_count", "event_id", "created_at")
        )
        deliveries = {
            pk: (status, attempt_count, event_id, created_at)
            for pk, status, attempt_count, event_id, created_at in locked
        }
        _attempts_finish(attempt_rows)
        # (status, next_attempt_at, last_status_code) -> delivery ids
        changes: dict[tuple, list[str]] = {}
        delivered_events: Counter[str] = Counter()
        for claim, outcome in zip(claims, outcomes, strict=True):
            current = deliveries.get(claim.delivery_id)
            if current is None or current[0] == DeliveryStatus.SUCCEEDED:
                continue  # deleted with its endpoint, or another attempt got through
            status, attempt_count, event_id, created_at = current
            if outcome.succeeded:
                change = (DeliveryStatus.SUCCEEDED, None, outcome.status_code)
                delivered_events[event_id] += 1
            elif attempt_count == claim.number and status == DeliveryStatus.PENDING:
                retry_at = schedule.next_attempt_at(
                    attempt_number=claim.number, failed_at=now, started_at=created_at
                )
                status = DeliveryStatus.PENDING if retry_at else DeliveryStatus.FAILED
                change = (status, retry_at, outcome.status_code)
            else:
                continue  # a later attempt took over after this one's lease ran out
            changes.setdefault(change, []).append(claim.delivery_id)
        for (status, next_attempt_at, last_status_code), ids in changes.items():
            WebhookDelivery.objects.filter(pk__in=ids).update(
                status=status,
                next_attempt_at=next_attempt_at,
                last_status_code=last_status_code,
                enqueued_at=None,
                updated_at=now,
            )
        by_count: dict[int, list[str]] = {}
        for event_id, count in delivered_events.items():
            by_count.setdefault(count, []).append(event_id)
        for count, event_ids in by_count.items():
            Event.objects.filter(pk__in=event_ids).update(
                pending_webhooks=F("pending_webhooks") - count
            )


def webhook_deliveries_send(*, delivery_ids: list[str]) -> int:
    """Attempt every delivery of ``delivery_ids`` that is due and not held by another worker.

    Returns the number of attempts made. Safe to run twice with the same ids: a delivery
    already claimed, finished or not yet due is skipped.
    """
    if transaction.get_connection().in_atomic_block:
        raise RuntimeError("webhook deliveries are sent outside any transaction")
    claims = _deliveries_claim(delivery_ids)
    if not claims:
        return 0
    # Posting stops at the sending time the lease was computed for, however long the batch
    # waited for the process's send threads: outcomes are recorded before the lease ends.
    deadline = time.monotonic() + _sending_time(len(claims)).total_seconds()
    outcomes = transport.post_many([claim.outbound for claim in claims], deadline=deadline)
    _outcomes_record(claims, outcomes)
    return len(claims)


def webhook_deliveries_sweep(*, limit: int = SWEEP_LIMIT) -> int:
    """Enqueue pending deliveries that are due and not on the queue: retries whose time has
    come, enqueues lost before reaching the broker, claims whose worker died."""
    now = clock.now()
    with transaction.atomic():
        due = list(
            WebhookDelivery.objects.filter(
                status=DeliveryStatus.PENDING,
                next_attempt_at__lte=now,
                endpoint__status=EndpointStatus.ENABLED,
            )
            .filter(Q(enqueued_at__isnull=True) | Q(enqueued_at__lte=now - ENQUEUE_GRACE))
            .order_by("next_attempt_at")
            .values_list("pk", flat=True)[:limit]
        )
        WebhookDelivery.objects.filter(pk__in=due).update(enqueued_at=now)
        deliveries_enqueue_on_commit(due)
    return len(due)
