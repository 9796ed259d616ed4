"""What each advance of a test clock did, read back from the events.

An advance is the window between the clock's ``test_helpers.test_clock.advancing`` event and
the next ``…ready`` one (ids sort in creation order, apps.core.ids); what happened in it is every
event of the clock's customers in between: invoices created, finalized, paid or failed,
subscriptions renewed or changed, charges. Nothing is stored for the history itself, so an
advance made through the API shows the same as one made from the dashboard.
"""

from dataclasses import dataclass, field
from datetime import datetime

from apps.accounts.models import Account, TestClock
from apps.core import clock, money
from apps.core.models import Event
from apps.customers.models import Customer

ADVANCING = "test_helpers.test_clock.advancing"
READY = "test_helpers.test_clock.ready"
# At most this many advances are shown, newest first; each lists at most MAX_EVENTS events.
MAX_ADVANCES = 20
MAX_EVENTS = 200
# Counted in each advance's summary, in this order.
COUNTED = (
    ("invoice.created", "invoice created", "invoices created"),
    ("invoice.paid", "invoice paid", "invoices paid"),
    ("invoice.payment_failed", "payment failed", "payments failed"),
    ("subscription.renewed", "subscription renewed", "subscriptions renewed"),
    ("subscription.changed", "subscription changed", "subscriptions changed"),
)


@dataclass(frozen=True)
class Happening:
    """One event as the history shows it."""

    event_id: str
    type: str
    kind: str  # the event type, or subscription.renewed / subscription.changed
    object_id: str
    text: str


@dataclass
class Advance:
    started: Event
    ready: Event | None
    moved_from: datetime
    moved_to: datetime
    happenings: list[Happening] = field(default_factory=list)

    @property
    def status(self) -> str:
        return "ready" if self.ready is not None else "advancing"

    @property
    def summary(self) -> list[str]:
        counts = {}
        for happening in self.happenings:
            counts[happening.kind] = counts.get(happening.kind, 0) + 1
        return [
            f"{counts[kind]} {one if counts[kind] == 1 else many}"
            for kind, one, many in COUNTED
            if counts.get(kind)
        ]


def _amount(data: dict, key: str) -> str:
    value = data.get(key)
    return money.format_amount(value, data["currency"]) if value is not None else ""


def _subscription_kind(event: Event) -> str:
    previous = event.previous_attributes or {}
    if event.type == "customer.subscription.updated" and "current_period_start" in previous:
        return "subscription.renewed"
    if event.type == "customer.subscription.updated":
        return "subscription.changed"
    return event.type


def happening(event: Event) -> Happening:
    data = event.data_object or {}
    name = data.get("number") or data.get("id", "")
    if event.type.startswith("invoice."):
        verb = event.type.removeprefix("invoice.").replace("_", " ")
        amount = _amount(data, "amount_paid" if event.type == "invoice.paid" else "total")
        reason = data.get("billing_reason") if event.type == "invoice.created" else None
        text = f"Invoice {name} {verb}" + (f" ({reason.replace('_', ' ')})" if reason else "")
        text += f": {amount}" if amount else ""
        kind = event.type
    elif event.type.startswith("customer.subscription."):
        kind = _subscription_kind(event)
        if kind == "subscription.renewed":
            start = clock.from_epoch(data["current_period_start"])
            end = clock.from_epoch(data["current_period_end"])
            text = f"Subscription {name} renewed for {start:%Y-%m-%d} → {end:%Y-%m-%d}"
        else:
            changed = ", ".join(sorted(event.previous_attributes or {})) or "created"
            text = f"Subscription {name} {event.type.rsplit('.', 1)[1]} ({changed})"
    elif event.type.startswith("charge."):
        verb = event.type.removeprefix("charge.")
        text = f"Charge {name} {verb}: {_amount(data, 'amount')}"
        kind = event.type
    else:
        text, kind = f"{event.type} {name}", event.type
    return Happening(event.id, event.type, kind, str(data.get("id", "")), text)


def test_clock_advances(*, account: Account, test_clock: TestClock) -> list[Advance]:
    """The clock's advances, newest first, each with what it did."""
    marks = list(
        Event.objects.filter(account=account, object_id=test_clock.id, type__in=(ADVANCING, READY))
        .order_by("-id")
        .only("id", "type", "data_object")[: 2 * MAX_ADVANCES + 1]
    )
    marks.reverse()
    advances: list[Advance] = []
    for mark in marks:
        if mark.type == ADVANCING:
            data = mark.data_object
            target = data["status_details"]["advancing"]["target_frozen_time"]
            advances.append(
                Advance(mark, None, clock.from_epoch(data["frozen_time"]), clock.from_epoch(target))
            )
        elif advances and advances[-1].ready is None:
            advances[-1].ready = mark
    customers = list(
        Customer.objects.filter(account=account, test_clock_id=test_clock.id).values_list(
            "id", flat=True
        )
    )
    for advance in advances:
        events = Event.objects.filter(
            account=account, customer_id__in=customers, id__gt=advance.started.id
        )
        if advance.ready is not None:
            events = events.filter(id__lt=advance.ready.id)
        advance.happenings = [happening(e) for e in events.order_by("id")[:MAX_EVENTS]]
    advances.reverse()
    return advances[:MAX_ADVANCES]
