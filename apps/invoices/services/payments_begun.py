"""Paying invoices made in the caller's transaction: the claims and the pending charges are
written in that transaction, the processor is called once it has committed, then one
transaction records the charges' outcomes and what they paid.

The two phases of every payment (apps.invoices.services.payments) with two transactions
instead of four: the claim and the pending charge are committed together before the processor
is called, and the charge's outcome is recorded with the invoice's. A worker that dies after
the first commits leaves a claim and its charge pending; the stale-claim sweep asks the
processor again under the charge's idempotency key and records both outcomes
(apps.collections.retries).
"""

from dataclasses import dataclass, field

from django.db import transaction

from apps.accounts.audit import changes_batched
from apps.core.actor import SYSTEM, Actor
from apps.core.errors import ApplicationError
from apps.customers.models import Customer, PaymentMethod
from apps.invoices.collecting import payment_collection
from apps.invoices.models import Invoice
from apps.invoices.services.locking import invoices_lock_current
from apps.invoices.services.payments import (
    charge_requests,
    charges_judge,
    methods_chosen,
    outcomes_follow,
    outcomes_locked_record,
)
from apps.payments.models import Charge
from apps.payments.services import (
    ChargeRequest,
    charges_authorize,
    charges_outcomes_record,
    charges_pending_write,
)


@dataclass
class PaymentsBegun:
    """What ``invoices_payments_begin`` wrote for ``invoices_payments_complete``."""

    account: object
    trigger: str
    # The invoices with a payment method chosen (the attempted ones), and those charged.
    attempted: list[Invoice] = field(default_factory=list)
    charging: list[Invoice] = field(default_factory=list)
    requests: list[ChargeRequest] = field(default_factory=list)
    charges: list[Charge] = field(default_factory=list)
    claims: dict = field(default_factory=dict)
    chosen: dict[str, str | None] = field(default_factory=dict)
    failures: dict[str, ApplicationError] = field(default_factory=dict)


def _methods_loaded(invoices: list[Invoice], chosen: dict[str, str | None]) -> dict:
    """The ``chosen`` payment methods the invoices' customers were loaded with (their default
    payment method and source, ``customer_get(with_defaults=True)``), by id: not read again."""
    loaded = {}
    for invoice in invoices:
        for name in ("default_payment_method", "default_source"):
            field = Customer._meta.get_field(name)
            row = field.get_cached_value(invoice.customer, None)
            if row is not None:
                loaded[row.id] = row
    return {pk: loaded[pk] for pk in chosen.values() if pk in loaded}


def invoices_payments_begin(
    *, account, invoices: list[Invoice], trigger: str = "automatic"
) -> PaymentsBegun:
    """Inside the transaction that made the open ``invoices`` (one account's, loaded with
    customer and subscription): each claimed (no other payment can hold one yet), the ones not
    to charge judged (apps.collections.attempts.skips_of), and the charges of the others
    written pending, as ``invoices_pay`` does in its first two transactions."""
    collection = payment_collection()
    claims, failures = collection.claim(
        account=account, invoices=invoices, trigger=trigger, made=True
    )
    begun = PaymentsBegun(account=account, trigger=trigger, claims=claims, failures=failures)
    begun.chosen = methods_chosen(invoices, claims)
    begun.attempted = [invoice for invoice in invoices if invoice.id in begun.chosen]
    if not begun.attempted:
        return begun
    methods = _methods_loaded(begun.attempted, begun.chosen)
    missing = {pk for pk in begun.chosen.values() if pk and pk not in methods}
    if missing:
        methods.update(PaymentMethod.objects.in_bulk(missing))
    failures.update(
        collection.skips(
            invoices=begun.attempted, chosen=begun.chosen, methods=methods, trigger=trigger
        )
    )
    begun.charging = [invoice for invoice in begun.attempted if invoice.id not in failures]
    begun.requests = charge_requests(
        begun.charging, chosen=begun.chosen, methods=methods, claims=claims
    )
    begun.charges = charges_pending_write(account=account, requests=begun.requests)
    return begun


def invoices_payments_complete(
    begun: PaymentsBegun, *, actor: Actor = SYSTEM
) -> tuple[list[Invoice], dict[str, ApplicationError]]:
    """After the transaction of ``invoices_payments_begin`` committed: the processor charges
    the pending charges, then one transaction records their outcomes and the invoices' (as
    ``invoices_outcomes_record``), the events and audit entries of both in one write each.
    Answers as ``invoices_pay``."""
    account, failures = begun.account, begun.failures
    if not begun.attempted:
        return [], failures
    results = charges_authorize(account=account, requests=begun.requests, charges=begun.charges)
    with transaction.atomic(), changes_batched(account=account, actor=actor):
        # The invoices first, then their charges: the global lock order (apps.core.locks).
        locked = invoices_lock_current(account, begun.attempted, skip_locked=False)
        charges_outcomes_record(
            account=account, charges=begun.charges, results=results, actor=actor
        )
        charges = charges_judge(
            begun.charging, list(zip(begun.charges, results, strict=True)), failures
        )
        rows, exhausted = outcomes_locked_record(
            account,
            begun.attempted,
            charges=charges,
            failures=failures,
            methods=begun.chosen,
            trigger=begun.trigger,
            claims=begun.claims,
            actor=actor,
            locked=locked,
        )
    outcomes_follow(account, rows, exhausted, actor)
    return rows, failures
