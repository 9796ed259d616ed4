"""A new or changed payment method pays the customer's failed invoices at once (issue #5).

An event consumer (registered in apps.collections.apps) watches, in the event's transaction,
for ``payment_method.attached``, ``customer.source.created`` and ``customer.updated`` whose
``previous_attributes`` name ``default_source`` or ``invoice_settings.default_payment_method``.
It runs no query there: once the transaction commits it enqueues (once per customer and
transaction) ``collections.customer_invoices_retry``, which looks in a worker for the
customer's open invoices that failed before and tries them with trigger ``payment_method``
(apps.collections.attempts: it counts for nothing and leaves the schedule unless it pays). A
customer without such an invoice costs that one query in the worker, none in the request.
"""

from django.db import transaction

from apps.collections.enums import AttemptOutcome, AttemptTrigger
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


def _enqueue(customer_id: str) -> None:
    # Once per customer and transaction: attaching a default card records two events.
    connection = transaction.get_connection()
    if any(
        getattr(func, "collections_customer", None) == customer_id
        for _, func, *_ in connection.run_on_commit
    ):
        return

    def enqueue() -> None:
        task_named("collections.customer_invoices_retry").delay(customer_id=customer_id)

    enqueue.collections_customer = customer_id
    # robust: a broker that refuses the message leaves the committed change standing; the
    # scheduled retries still try the invoices.
    transaction.on_commit(enqueue, robust=True)


def payment_method_changes_consume(event: Event) -> None:
    customer_id = _changed_customer(event)
    if customer_id:
        _enqueue(customer_id)


def payment_method_changes_consume_batch(events: list[Event]) -> None:
    for customer_id in sorted({pk for pk in map(_changed_customer, events) if pk}):
        _enqueue(customer_id)


def customer_invoices_retry(*, customer_id: str, actor: Actor = SYSTEM) -> int:
    """Try the customer's open, failed invoices now (trigger ``payment_method``); an invoice
    whose scheduled retry is under way is left to it. How many were paid."""
    invoices = list(
        _failed_open([customer_id])
        .exclude(payment_attempts__outcome=AttemptOutcome.PENDING)
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
