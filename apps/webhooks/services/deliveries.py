"""Delivering events: the outbox consumer, sending with retries, the sweeper and replay.

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

from apps.accounts import roles
from apps.accounts.audit import audit_record
from apps.accounts.models import Account
from apps.core import clock
from apps.core.actor import Actor
from apps.core.errors import InvalidRequestError, ResourceMissingError
from apps.core.events import event_render
from apps.core.locks import rows_key_share
from apps.core.models import Event
from apps.webhooks import schedule, transport
from apps.webhooks.enums import DeliveryStatus, EndpointStatus
from apps.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
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


# --- enqueueing ------------------------------------------------------------------------------


class _EnqueueBuffer:
    """Delivery ids created in one transaction, sent to the queue in batches once it commits."""

    def __init__(self) -> None:
        self.ids: list[str] = []

    def flush(self) -> None:
        from apps.webhooks.tasks import webhook_deliveries_send_task

        for start in range(0, len(self.ids), BATCH_SIZE):
            webhook_deliveries_send_task.delay(delivery_ids=self.ids[start : start + BATCH_SIZE])


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


def _enabled_endpoints(account_id: str) -> list[WebhookEndpoint]:
    """The account's enabled endpoints, held until the event's transaction commits: an endpoint
    deleted meanwhile waits for it (and then takes the new deliveries with it), instead of
    leaving them pointing at nothing."""
    return rows_key_share(
        WebhookEndpoint.objects.filter(account_id=account_id, status=EndpointStatus.ENABLED)
        .only("id", "enabled_events")
        .order_by("pk")
    )


def webhook_event_consume(event: Event) -> None:
    """Outbox consumer: runs inside the transaction that recorded ``event``.

    One query for the account's enabled endpoints, one insert for the deliveries, one update of
    ``pending_webhooks``; nothing is sent before the transaction commits.
    """
    endpoints = [
        endpoint
        for endpoint in _enabled_endpoints(event.account_id)
        if endpoint.receives(event.type)
    ]
    if not endpoints:
        return
    now = clock.now()
    deliveries = [
        WebhookDelivery(
            account_id=event.account_id,
            endpoint_id=endpoint.id,
            event_id=event.id,
            next_attempt_at=now,
            enqueued_at=now,
            created_at=now,
        )
        for endpoint in endpoints
    ]
    WebhookDelivery.objects.bulk_create(deliveries)
    Event.objects.filter(pk=event.pk).update(pending_webhooks=len(deliveries))
    event.pending_webhooks = len(deliveries)
    deliveries_enqueue_on_commit([delivery.id for delivery in deliveries])


def webhook_events_consume(events: list[Event]) -> None:
    """``webhook_event_consume`` for many events of one transaction: one endpoints query per
    account, one insert for all deliveries, one update per distinct delivery count."""
    by_account: dict[str, list[WebhookEndpoint]] = {}
    for account_id in {event.account_id for event in events}:
        by_account[account_id] = _enabled_endpoints(account_id)
    now = clock.now()
    deliveries: list[WebhookDelivery] = []
    counts: dict[int, list[str]] = {}
    for event in events:
        endpoints = [e for e in by_account[event.account_id] if e.receives(event.type)]
        if not endpoints:
            continue
        deliveries += [
            WebhookDelivery(
                account_id=event.account_id,
                endpoint_id=endpoint.id,
                event_id=event.id,
                next_attempt_at=now,
                enqueued_at=now,
                created_at=now,
            )
            for endpoint in endpoints
        ]
        event.pending_webhooks = len(endpoints)
        counts.setdefault(len(endpoints), []).append(event.id)
    if not deliveries:
        return
    WebhookDelivery.objects.bulk_create(deliveries)
    for count, ids in counts.items():
        Event.objects.filter(pk__in=ids).update(pending_webhooks=count)
    deliveries_enqueue_on_commit([delivery.id for delivery in deliveries])


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
        deliveries = list(
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("event", "endpoint")
            .filter(
                pk__in=delivery_ids,
                status=DeliveryStatus.PENDING,
                next_attempt_at__lte=now,
                endpoint__status=EndpointStatus.ENABLED,
            )
            .order_by("pk")
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
        deliveries = {
            pk: (status, attempt_count, event_id, created_at)
            for pk, status, attempt_count, event_id, created_at in (
                WebhookDelivery.objects.select_for_update()
                .filter(pk__in=[claim.delivery_id for claim in claims])
                .order_by("pk")
                .values_list("pk", "status", "attempt_count", "event_id", "created_at")
            )
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


# --- replay ----------------------------------------------------------------------------------


@transaction.atomic
def webhook_delivery_replay(*, account: Account, delivery_id: str, actor: Actor) -> WebhookDelivery:
    """Send a delivery again now, whatever its status; the attempt is marked manual. If it
    fails inside the 3-day window the automatic retries carry on."""
    roles.actor_require(actor, roles.DEVELOPERS)
    delivery = (
        WebhookDelivery.objects.select_for_update(of=("self",))
        .select_related("endpoint")
        .filter(account=account, pk=delivery_id)
        .first()
    )
    if delivery is None:
        raise ResourceMissingError("webhook delivery", delivery_id)
    if delivery.endpoint.status != EndpointStatus.ENABLED:
        raise InvalidRequestError(
            "The endpoint is disabled; enable it before resending.", code="endpoint_disabled"
        )
    before = delivery.status
    now = clock.now()
    if before == DeliveryStatus.SUCCEEDED:
        Event.objects.filter(pk=delivery.event_id).update(
            pending_webhooks=F("pending_webhooks") + 1
        )
    delivery.status = DeliveryStatus.PENDING
    delivery.next_attempt_at = now
    delivery.enqueued_at = now
    delivery.replay_requested_at = now
    delivery.save(
        update_fields=[
            "status",
            "next_attempt_at",
            "enqueued_at",
            "replay_requested_at",
            "updated_at",
        ]
    )
    audit_record(
        account=account,
        actor=actor,
        action="webhook_delivery.replayed",
        object_type="webhook_delivery",
        object_id=delivery.id,
        changes={"status": [before, DeliveryStatus.PENDING]},
    )
    deliveries_enqueue_on_commit([delivery.id])
    return delivery
