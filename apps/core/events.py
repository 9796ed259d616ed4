"""The event outbox: ``event_record`` writes an Event inside the caller's transaction.

Consumers (webhook delivery, later workflows and reports) register a callback that runs in the
same transaction, so what they need to do later is written together with the change itself.
"""

from collections.abc import Callable
from typing import Any

from django.db import transaction

from apps.core import clock
from apps.core.actor import SYSTEM, Actor
from apps.core.bulk import values_insert
from apps.core.event_types import event_type_check
from apps.core.ids import new_id
from apps.core.models import Event

EventConsumer = Callable[[Event], None]
BatchConsumer = Callable[[list[Event]], None]
_consumers: list[EventConsumer] = []
# A consumer's set-based variant, used by ``events_record`` for many events at once.
_batch_consumers: dict[EventConsumer, BatchConsumer] = {}


def register_event_consumer(consumer: EventConsumer, *, batch: BatchConsumer | None = None) -> None:
    """``consumer`` runs for each event in the event's transaction; ``batch``, when given, takes
    a list of events instead (``events_record``) and must do for them what ``consumer`` does."""
    if consumer not in _consumers:
        _consumers.append(consumer)
    if batch is not None:
        _batch_consumers[consumer] = batch


def event_record(
    *,
    account: Any,
    type: str,
    data_object: dict[str, Any],
    previous_attributes: dict[str, Any] | None = None,
    actor: Actor = SYSTEM,
    created_at: Any = None,
) -> Event:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("event_record must run inside the transaction of the change")
    event_type_check(type)
    event = Event.objects.create(
        account=account,
        type=type,
        livemode=account.livemode,
        api_version=account.api_version,
        data_object=data_object,
        previous_attributes=previous_attributes or None,
        request_id=actor.request_id if actor.kind == "api_key" else None,
        idempotency_key=actor.idempotency_key if actor.kind == "api_key" else None,
        object_id=str(data_object.get("id", "")),
        customer_id=_customer_of(data_object),
        created_at=created_at or clock.now(),
    )
    for consumer in _consumers:
        consumer(event)
    return event


def events_record(
    *,
    account: Any,
    changes: list[tuple[str, dict[str, Any], dict[str, Any] | None]],
    actor: Actor = SYSTEM,
) -> list[Event]:
    """``event_record`` for many events of one account at once: ``(type, data_object,
    previous_attributes)`` in order; one multi-row insert and each consumer called once with the
    list (ids are made in order, so the events of one object keep their order)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("events_record must run inside the transaction of the change")
    if not changes:
        return []
    for type, _, _ in changes:
        event_type_check(type)
    api_key = actor.kind == "api_key"
    now = clock.now()
    common = {
        "created_at": now,
        "updated_at": now,
        "account_id": account.id,
        "livemode": account.livemode,
        "api_version": account.api_version,
        "request_id": actor.request_id if api_key else None,
        "idempotency_key": actor.idempotency_key if api_key else None,
        "pending_webhooks": 0,
        "fanned_out_at": None,
    }
    names = [field.attname for field in Event._meta.concrete_fields]
    given = (
        {
            **common,
            "id": new_id("evt"),
            "type": type,
            "data_object": data_object,
            "previous_attributes": previous or None,
            "object_id": str(data_object.get("id", "")),
            "customer_id": _customer_of(data_object),
        }
        for type, data_object, previous in changes
    )
    rows = [[values[name] for name in names] for values in given]
    values_insert(Event, rows)
    events = [Event(*row) for row in rows]
    for consumer in _consumers:
        batch = _batch_consumers.get(consumer)
        if batch is not None:
            batch(events)
        else:
            for event in events:
                consumer(event)
    return events


def _customer_of(data_object: dict[str, Any]) -> str | None:
    if data_object.get("object") == "customer":
        return data_object.get("id")
    customer = data_object.get("customer")
    if isinstance(customer, dict):
        customer = customer.get("id")
    return customer if isinstance(customer, str) else None


def event_render(event: Event) -> dict[str, Any]:
    """The Stripe wire shape of an event."""
    data: dict[str, Any] = {"object": event.data_object}
    if event.previous_attributes:
        data["previous_attributes"] = event.previous_attributes
    return {
        "id": event.id,
        "object": "event",
        "api_version": event.api_version,
        "created": clock.to_epoch(event.created_at),
        "data": data,
        "livemode": event.livemode,
        "pending_webhooks": event.pending_webhooks,
        "request": {"id": event.request_id, "idempotency_key": event.idempotency_key},
        "type": event.type,
    }
