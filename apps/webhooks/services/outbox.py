"""The outbox consumer: an event's webhook deliveries, created in the event's transaction and
enqueued once it commits (``deliveries.deliveries_enqueue_on_commit``)."""

from apps.core import clock
from apps.core.locks import rows_key_share
from apps.core.models import Event
from apps.webhooks.enums import EndpointStatus
from apps.webhooks.models import WebhookDelivery, WebhookEndpoint
from apps.webhooks.services.deliveries import deliveries_enqueue_on_commit


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
