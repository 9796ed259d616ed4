"""Paying invoices: claimed, charged outside any transaction (apps.payments two-phase charges),
then every outcome recorded in one transaction.

What collections does around the charge (the claim, the invoices not charged, the attempt rows
and next retry, the after-attempt actions) is reached through apps.invoices.collecting, which
apps.collections fills at start-up.
"""

from django.db import transaction

from apps.accounts.audit import changes_record
from apps.core import clock
from apps.core.actor import SYSTEM, Actor
from apps.core.bulk import rows_update
from apps.core.errors import ApplicationError, CardError, InvalidRequestError
from apps.customers.models import PaymentMethod
from apps.invoices.collecting import Tried, payment_collection
from apps.invoices.enums import InvoiceStatus
from apps.invoices.lines_render import invoices_render_prepare
from apps.invoices.models import Invoice
from apps.invoices.payment_choice import invoice_charged_method_id
from apps.invoices.render import invoice_render
from apps.invoices.services.locking import invoices_lock_current
from apps.invoices.transitions import invoices_move
from apps.payments.services import ChargeRequest, charges_attempt
from apps.payments.services.charges import card_error

# What recording a payment's outcome writes on an invoice.
_OUTCOME_FIELDS = [
    "attempt_count",
    "status",
    "amount_paid",
    "charge_id",
    "paid_at",
    "next_payment_attempt",
    "updated_at",
]


def invoice_pay(
    *, invoice_id: str, account, actor: Actor = SYSTEM, trigger: str = "manual"
) -> Invoice:
    """Charge the invoice's customer (subscription default, then the customer's defaults): a
    manual attempt (``POST /v1/invoices/:id/pay``, the dashboard)."""
    invoice = Invoice.objects.select_related("customer", "subscription").get(
        account=account, id=invoice_id
    )
    paid, failures = invoices_pay(account=account, invoices=[invoice], actor=actor, trigger=trigger)
    if invoice.id in failures:
        raise failures[invoice.id]
    return paid[0]


def _payments_claim(
    account, invoices: list[Invoice], trigger: str
) -> tuple[list[Invoice], dict, dict[str, ApplicationError]]:
    """One transaction locks ``invoices`` and claims each still open one that no other payment
    holds (apps.collections.attempts.attempts_claim). Answers the invoices as locked, the
    claims and the failures (not open, or a payment in flight), by invoice id."""
    with transaction.atomic():
        locked = invoices_lock_current(account, invoices, skip_locked=False)
        failures: dict[str, ApplicationError] = {
            invoice.id: InvalidRequestError(
                f"Invoice {invoice.id} is {invoice.status}, not open.", code="invoice_not_open"
            )
            for invoice in locked
            if invoice.status != "open"
        }
        claims, busy = payment_collection().claim(
            account=account,
            invoices=[invoice for invoice in locked if invoice.id not in failures],
            trigger=trigger,
        )
    failures.update(busy)
    return locked, claims, failures


def methods_chosen(invoices: list[Invoice], claims: dict) -> dict[str, str | None]:
    """The payment method each claimed invoice is charged to, by invoice id: the subscription's
    default, else the customer's (None: none)."""
    return {
        invoice.id: invoice_charged_method_id(invoice)
        for invoice in invoices
        if invoice.id in claims
    }


def charge_requests(
    charging: list[Invoice], *, chosen: dict[str, str | None], methods: dict, claims: dict
) -> list[ChargeRequest]:
    return [
        ChargeRequest(
            amount=invoice.amount_due,
            currency=invoice.currency,
            payment_method=methods[chosen[invoice.id]],
            customer=invoice.customer,
            description=f"Invoice {invoice.number}",
            charge_id=claims[invoice.id].charge_id,
        )
        for invoice in charging
    ]


def charges_judge(charging: list[Invoice], outcomes, failures: dict[str, ApplicationError]) -> dict:
    """The charges of ``charging`` by invoice id, from their ``outcomes`` (charge, result) in
    the same order; a declined charge's error goes into ``failures``."""
    charges = {}
    for invoice, (charge, result) in zip(charging, outcomes, strict=True):
        charges[invoice.id] = charge
        if result.status == "requires_action":
            failures[invoice.id] = CardError(
                "Your card was declined. This transaction requires authentication: use a "
                "PaymentIntent to complete it.",
                code="authentication_required",
                extra={"decline_code": "authentication_required"},
            )
        elif charge.status == "failed":
            failures[invoice.id] = card_error(result, charge=charge)
    return charges


def _charges_make(
    account,
    charging: list[Invoice],
    *,
    chosen: dict[str, str | None],
    methods: dict,
    claims: dict,
    failures: dict[str, ApplicationError],
    actor: Actor,
) -> dict:
    """Charge ``charging`` in one batch (no transaction open while the processor is called);
    a declined charge's error goes into ``failures``. Answers the charges by invoice id."""
    outcomes = (
        charges_attempt(
            account=account,
            requests=charge_requests(charging, chosen=chosen, methods=methods, claims=claims),
            actor=actor,
        )
        if charging
        else []
    )
    return charges_judge(charging, outcomes, failures)


def invoices_pay(
    *,
    account,
    invoices: list[Invoice],
    actor: Actor = SYSTEM,
    trigger: str = "automatic",
    claims: dict | None = None,
) -> tuple[list[Invoice], dict[str, ApplicationError]]:
    """Charge open invoices of one account, each to the subscription's default payment method,
    else the customer's: the charges in one batch (``charges_attempt``: no transaction open
    while the processor is called), then one transaction records every invoice's outcome, its
    payment attempt and next retry (apps.collections.attempts). Answers the invoices as recorded
    and the failures by invoice id (an invoice not open fails before any charge).

    Each invoice is claimed first (``_payments_claim``: a pending PaymentAttempt, one per
    invoice), so no two payments of one invoice ever run at once; ``claims``: the pending
    attempts the caller claimed already, by invoice id (scheduled retries).

    ``trigger``: ``automatic`` (the first collection), ``retry`` (a scheduled retry),
    ``manual`` or ``payment_method``.
    Invoices not charged (apps.collections.attempts.skips_of) fail without a charge; the
    after-last-retry actions and the return of a paid subscription to active follow the
    transaction (apps.collections.services.invoices_after_attempts)."""
    if claims is None:
        invoices, claims, failures = _payments_claim(account, invoices, trigger)
    else:
        failures = {}
    chosen = methods_chosen(invoices, claims)
    attempted = [invoice for invoice in invoices if invoice.id in chosen]
    if not attempted:
        return [], failures
    methods = PaymentMethod.objects.in_bulk({pk for pk in chosen.values() if pk})
    skips = payment_collection().skips(
        invoices=attempted, chosen=chosen, methods=methods, trigger=trigger
    )
    failures.update(skips)
    charges = _charges_make(
        account,
        [invoice for invoice in attempted if invoice.id not in skips],
        chosen=chosen,
        methods=methods,
        claims=claims,
        failures=failures,
        actor=actor,
    )
    return invoices_outcomes_record(
        account=account,
        invoices=attempted,
        charges=charges,
        failures=failures,
        methods=chosen,
        trigger=trigger,
        claims=claims,
        actor=actor,
    ), failures


def _outcome_apply(row: Invoice, tried: Tried, customer) -> bool:
    """Write ``tried``'s outcome on the locked ``row`` (a payment's status move is
    ``_outcomes_write``'s); False when nothing happened to it (an attempt that neither counted
    nor charged: no event, no change)."""
    if tried.error is not None and not tried.counted and tried.skipped:
        return False
    row.attempt_count += int(tried.counted)
    row.updated_at = clock.now()
    if tried.error is not None:
        row.charge_id = tried.charge_id or row.charge_id
    else:
        row.amount_paid = row.amount_due
        row.charge_id = tried.charge_id
        row.paid_at = clock.now(test_clock_id=customer.test_clock_id)
    return True


def _outcomes_write(account, rows: list[Invoice], paid: list[Invoice], actor: Actor) -> None:
    """The outcome transaction's writes: the ``paid`` invoices moved to paid (their events),
    every other row's ``invoice.payment_failed``, and the rows."""
    invoices_render_prepare(rows)
    invoices_move(account=account, moves=[(row, InvoiceStatus.PAID) for row in paid], actor=actor)
    failed = [row for row in rows if row.status != InvoiceStatus.PAID]
    if failed:
        changes_record(
            account=account,
            actor=actor,
            changes=[
                ("invoice.payment_failed", "invoice", invoice_render(row), None) for row in failed
            ],
        )
    rows_update(Invoice, rows, _OUTCOME_FIELDS)


def invoices_outcomes_record(
    *,
    account,
    invoices: list[Invoice],
    charges: dict,
    failures: dict[str, ApplicationError],
    methods: dict[str, str | None],
    trigger: str,
    claims: dict,
    actor: Actor,
) -> list[Invoice]:
    """One transaction records what attempting ``invoices`` did: paid by their charge (by
    invoice id) or failed (``failures``; without a charge: not charged at all). Also what
    reconciles a claimed retry whose worker stopped after the charge
    (apps.collections.retries)."""
    with transaction.atomic(savepoint=False):
        rows, exhausted = outcomes_locked_record(
            account,
            invoices,
            charges=charges,
            failures=failures,
            methods=methods,
            trigger=trigger,
            claims=claims,
            actor=actor,
        )
    outcomes_follow(account, rows, exhausted, actor)
    return rows


def outcomes_locked_record(
    account,
    invoices: list[Invoice],
    *,
    charges: dict,
    failures: dict[str, ApplicationError],
    methods: dict[str, str | None],
    trigger: str,
    claims: dict,
    actor: Actor,
    locked: list[Invoice] | None = None,
) -> tuple[list[Invoice], list[str]]:
    """``invoices_outcomes_record``'s transaction (the caller's): the rows recorded, and the
    invoices whose retry schedule was spent. ``locked``: the invoices as the caller locked
    them in this transaction (``invoices_lock_current``), before the charges it recorded."""
    collection = payment_collection()
    if locked is None:
        locked = invoices_lock_current(account, invoices, skip_locked=False)
    locked = {invoice.id: invoice for invoice in locked}
    rows, paid, tried, released = [], [], [], []
    for invoice in invoices:
        row = locked.get(invoice.id)
        if row is None:
            continue
        if row.status != "open":
            # Settled meanwhile: only a stale claim's recovery finds this (a claimed
            # invoice cannot be paid, voided or credited by anyone else).
            if row.id in claims:
                released.append(claims[row.id])
            continue
        charge = charges.get(invoice.id)
        skipped = invoice.id not in charges
        before = row.attempt_count
        attempt = Tried(
            row,
            before,
            collection.counts(trigger=trigger, attempt_count=before, skipped=skipped),
            methods.get(row.id),
            charge.id if charge is not None and charge.pk else "",
            failures.get(row.id),
            skipped,
        )
        tried.append(attempt)
        if _outcome_apply(row, attempt, invoice.customer):
            rows.append(row)
            if attempt.error is None:
                paid.append(row)
    exhausted = collection.record(account=account, tried=tried, trigger=trigger, claims=claims)
    collection.release(released)
    _outcomes_write(account, rows, paid, actor)
    return rows, exhausted


def outcomes_follow(account, rows: list[Invoice], exhausted: list[str], actor: Actor) -> None:
    """After the outcome transaction: a paid subscription's return to active, the
    after-last-retry actions (apps.collections.services.invoices_after_attempts)."""
    recovered = [
        row
        for row in rows
        if row.status == InvoiceStatus.PAID
        and row.subscription_id
        and row.subscription.status in ("past_due", "unpaid", "incomplete")
    ]
    if recovered or exhausted:
        payment_collection().after(
            account=account,
            paid=recovered,
            exhausted=[row for row in rows if row.id in set(exhausted)],
            actor=actor,
        )


def payment_in_progress_refuse(invoice: Invoice) -> None:
    """Inside the transaction that locks ``invoice``: refuse to change it while it is being
    charged (apps.collections.attempts.payment_in_progress_refuse)."""
    payment_collection().refuse(invoice)
