"""A new or changed payment method pays the customer's failed invoices at once (issue #5).

An event consumer (registered in apps.collections.apps) watches, in the event's transaction,
for ``payment_method.attached``, ``customer.source.created`` and ``customer.updated`` whose
``previous_attributes`` name ``default_source`` or ``invoice_settings.default_payment_method``.
It runs no query there: once the transaction commits it enqueues (once per customer and
transaction, with the time of the change) ``collections.customer_invoices_retry``, which looks
in a worker for the customer's open invoices that had failed by then and tries them with
trigger ``payment_method`` (apps.collections.attempts: it counts for nothing and leaves the
schedule unless it pays). A customer without such an invoice costs that one query in the
worker, none in the request.
"""

from datetime import datetime

from django.db import transaction
from django.db.models import Exists, OuterRef

from apps.collections.enums import AttemptOutcome, AttemptTrigger
from apps.collections.models import PaymentAttempt
from apps.core.actor import SYSTEM, Actor
from apps.core.models import Event
from apps.core.queue import task_named
from apps.invoices.models import Invoice
from apps.invoices.services import invoices_pay

ADDED = ("payment_method.attached", "customer.source.created")


def _changed_customer(event: Event) -> str | None:
    if event.type in ADDED:
        return event.customer_id
    if event.type == "customer.updated":
        previous = event.previous_attributes or {}
        settings = previous.get("invoice_settings")
        if "default_source" in previous or (
            isinstance(settings, dict) and "default_payment_method" in settings
        ):
            return event.object_id
    return None


def _failed_open(customer_ids):
    return Invoice.objects.filter(
        customer_id__in=customer_ids,
        status="open",
        attempt_count__gt=0,
        collection_method="charge_automatically",
    )


class _Retry:
    """The retry queued for one customer when a transaction commits, however many of its events
    changed the customer's payment methods (attaching a default card records two)."""

    def __init__(self, customer_id: str, changed_at: datetime) -> None:
        self.customer_id = customer_id
        self.changed_at = changed_at
        self.sent = False

    def send(self) -> None:
        if self.sent:
            return
        self.sent = True
        task_named("collections.customer_invoices_retry").delay(
            customer_id=self.customer_id, changed_at=self.changed_at.isoformat()
        )


def _enqueue(customer_id: str, changed_at: datetime) -> None:
    connection = transaction.get_connection()
    retry = next(
        (
            func.__self__
            for _, func, *_ in connection.run_on_commit
            if isinstance(getattr(func, "__self__", None), _Retry)
            and func.__self__.customer_id == customer_id
            and not func.__self__.sent
        ),
        None,
    )
    if retry is None:
        retry = _Retry(customer_id, changed_at)
    else:
        retry.changed_at = max(retry.changed_at, changed_at)
    # One callback per event, sharing the retry (the first to run sends it): one recorded in a
    # savepoint that rolls back goes with it, the others still send. ``robust``: a broker
    # that refuses the message leaves the committed change standing; the scheduled retries
    # still try the invoices.
    transaction.on_commit(retry.send, robust=True)


def payment_method_changes_consume(event: Event) -> None:
    customer_id = _changed_customer(event)
    if customer_id:
        _enqueue(customer_id, event.created_at)


def payment_method_changes_consume_batch(events: list[Event]) -> None:
    changed: dict[str, datetime] = {}
    for event in events:
        customer_id = _changed_customer(event)
        if customer_id:
            changed[customer_id] = max(changed.get(customer_id, event.created_at), event.created_at)
    for customer_id in sorted(changed):
        _enqueue(customer_id, changed[customer_id])


def customer_invoices_retry(
    *, customer_id: str, changed_at: datetime | None = None, actor: Actor = SYSTEM
) -> int:
    """Try the customer's open, failed invoices now (trigger ``payment_method``); an invoice
    whose scheduled retry is under way is left to it. ``changed_at``: when the payment method
    changed; only invoices that had failed by then are tried (this runs in a worker after the
    change's commit; a failure after it is the schedule's to retry). How many were paid."""
    failed = _failed_open([customer_id])
    if changed_at is not None:
        failed = failed.filter(
            Exists(
                PaymentAttempt.objects.filter(
                    invoice_id=OuterRef("pk"),
                    outcome__in=[AttemptOutcome.FAILED, AttemptOutcome.SKIPPED],
                    attempted_at__lte=changed_at,
                )
            )
        )
    invoices = list(
        failed.exclude(payment_attempts__outcome=AttemptOutcome.PENDING)
        .select_related("customer", "subscription", "account")
        .order_by("id")
    )
    if not invoices:
        return 0
    paid, failures = invoices_pay(
        account=invoices[0].account,
        invoices=invoices,
        actor=actor,
        trigger=AttemptTrigger.PAYMENT_METHOD,
    )
    return sum(1 for row in paid if row.id not in failures)
