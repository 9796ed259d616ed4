"""The outbox relay: an event's webhook deliveries are made once its transaction has committed.

The event row is the outbox. In the recording transaction the consumer (``webhook_event_consume``)
only notes the new events' ids, without a query; when the transaction commits, one
``webhooks.events_fan_out`` task (queue ``webhooks``) per transaction makes their deliveries
(``webhook_events_fan_out``) and marks each event fanned out (``Event.fanned_out_at``). If the
process stops between the commit and the enqueue, or the broker refuses the message, the beat
sweep (``webhook_events_fan_out_sweep``) finds the events still unmarked after ``FAN_OUT_GRACE``
and fans them out: none is lost. The mark is claimed by one update that also answers the events
it marked (``rows_claim``: events another fan-out holds are skipped, not waited for), so of two
fan-outs of one event (the task and the sweep, a redelivered message) only one makes its
deliveries: none is doubled (and a delivery is unique per endpoint and event besides).

Who gets an event: the account's endpoints enabled at the fan-out that subscribe to its type and
were created no later than the event. One deleted or disabled before the fan-out gets nothing
new; one created after the event does not get it. The endpoints are held (``rows_key_share``)
until the fan-out commits, so an endpoint deleted meanwhile waits for it and then takes the new
deliveries with it, instead of leaving them pointing at nothing.
"""

from datetime import datetime, timedelta

from django.db import transaction

from apps.core import clock
from apps.core.locks import rows_claim, rows_key_share
from apps.core.models import Event
from apps.core.queue import task_named
from apps.webhooks.enums import EndpointStatus
from apps.webhooks.models import WebhookDelivery, WebhookEndpoint
from apps.webhooks.services.deliveries import deliveries_enqueue_on_commit

# Events per fan-out task and per fan-out transaction.
FAN_OUT_BATCH = 500
# An event still not fanned out this long after it was recorded lost its enqueue.
FAN_OUT_GRACE = timedelta(minutes=1)
# Most events one sweep fans out (the next sweep takes the rest).
FAN_OUT_SWEEP_LIMIT = 5000
# apps.webhooks.tasks.webhook_events_fan_out_task
FAN_OUT_TASK = "webhooks.events_fan_out"


# --- in the recording transaction: note the events, enqueue their fan-out at commit ----------


class _FanOutBuffer:
    """The ids of the events one transaction recorded, sent to the queue once it commits."""

    def __init__(self) -> None:
        self.ids: list[str] = []

    def flush(self) -> None:
        task = task_named(FAN_OUT_TASK)
        for start in range(0, len(self.ids), FAN_OUT_BATCH):
            task.delay(event_ids=self.ids[start : start + FAN_OUT_BATCH])


def _fan_out_on_commit(event_ids: list[str]) -> None:
    """One buffer per transaction: its flush is scheduled once, at the first event. ``robust``:
    a broker that refuses the message leaves the committed change standing (the sweep fans the
    events out later). An event recorded in a savepoint rolled back afterwards stays in the
    buffer; the fan-out finds no such row and skips it."""
    connection = transaction.get_connection()
    buffer = getattr(connection, "_webhook_fan_out_buffer", None)
    # Ours while its flush is still to run in this transaction (a commit runs and clears the
    # list, a rollback clears it).
    if buffer is None or not any(entry[1] == buffer.flush for entry in connection.run_on_commit):
        buffer = _FanOutBuffer()
        connection._webhook_fan_out_buffer = buffer
        transaction.on_commit(buffer.flush, robust=True)
    buffer.ids.extend(event_ids)


def webhook_event_consume(event: Event) -> None:
    """Outbox consumer, inside the transaction that recorded ``event``: no query; the event is
    fanned out after the commit."""
    _fan_out_on_commit([event.id])


def webhook_events_consume(events: list[Event]) -> None:
    """``webhook_event_consume`` for many events of one transaction."""
    _fan_out_on_commit([event.id for event in events])


# --- after the commit: the fan-out ----------------------------------------------------------


def _events_claim(event_ids: list[str], now: datetime) -> list[tuple[str, str, str, datetime]]:
    """Mark the events of ``event_ids`` not fanned out yet; answers (id, account id, type,
    created_at) of those this call marked, in id order (the order they were recorded). An
    event another fan-out is claiming is left to it (it commits its deliveries, or rolls back
    and the sweep takes the event later)."""
    rows = rows_claim(
        Event.objects.filter(pk__in=event_ids, fanned_out_at__isnull=True),
        {"fanned_out_at": now},
        ["id", "account_id", "type", "created_at"],
    )
    return sorted(rows)


def _receivers(account_id: str, newest: datetime) -> list[WebhookEndpoint]:
    """The account's enabled endpoints created by ``newest``, held until the fan-out commits."""
    return rows_key_share(
        WebhookEndpoint.objects.filter(
            account_id=account_id, status=EndpointStatus.ENABLED, created_at__lte=newest
        )
        .only("id", "enabled_events", "created_at")
        .order_by("pk")
    )


def _fan_out(event_ids: list[str]) -> list[str]:
    """One transaction: claim, one endpoints query per account, one insert for the
    deliveries, one ``pending_webhooks`` update per distinct count. Answers the deliveries."""
    now = clock.now()
    with transaction.atomic():
        claimed = _events_claim(event_ids, now)
        by_account: dict[str, list[WebhookEndpoint]] = {}
        for account_id in sorted({row[1] for row in claimed}):
            newest = max(row[3] for row in claimed if row[1] == account_id)
            by_account[account_id] = _receivers(account_id, newest)
        deliveries: list[WebhookDelivery] = []
        counts: dict[int, list[str]] = {}
        for event_id, account_id, type, created_at in claimed:
            endpoints = [
                endpoint
                for endpoint in by_account[account_id]
                if endpoint.created_at <= created_at and endpoint.receives(type)
            ]
            if not endpoints:
                continue
            deliveries += [
                WebhookDelivery(
                    account_id=account_id,
                    endpoint_id=endpoint.id,
                    event_id=event_id,
                    next_attempt_at=now,
                    enqueued_at=now,
                    # The retry window opens when the event was recorded.
                    created_at=created_at,
                )
                for endpoint in endpoints
            ]
            counts.setdefault(len(endpoints), []).append(event_id)
        if deliveries:
            WebhookDelivery.objects.bulk_create(deliveries)
            for count, ids in counts.items():
                Event.objects.filter(pk__in=ids).update(pending_webhooks=count)
            deliveries_enqueue_on_commit([delivery.id for delivery in deliveries])
    return [delivery.id for delivery in deliveries]


def webhook_events_fan_out(*, event_ids: list[str]) -> int:
    """Make the deliveries of the committed events of ``event_ids`` that were not fanned out
    yet, and enqueue their sends once that commits; answers how many deliveries were made.
    Safe to run twice with the same ids: an event fanned out already is skipped."""
    if transaction.get_connection().in_atomic_block:
        raise RuntimeError("events are fanned out after their transaction, outside any other")
    made = 0
    for start in range(0, len(event_ids), FAN_OUT_BATCH):
        made += len(_fan_out(event_ids[start : start + FAN_OUT_BATCH]))
    return made


def webhook_events_fan_out_sweep(*, limit: int = FAN_OUT_SWEEP_LIMIT) -> int:
    """Fan out the committed events whose fan-out was never enqueued (the process stopped
    after the commit, the broker refused the message): those still unmarked ``FAN_OUT_GRACE``
    after they were recorded. Answers how many events it fanned out."""
    due = list(
        Event.objects.filter(
            fanned_out_at__isnull=True, created_at__lte=clock.now() - FAN_OUT_GRACE
        )
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    if due:
        webhook_events_fan_out(event_ids=sorted(due))
    return len(due)
