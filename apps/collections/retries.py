"""Scheduled retries: each slot claimed once, charged outside any transaction, then completed.

1. Claim (one short transaction): the due invoices are locked with ``skip_locked`` and re-checked
   (still open, still due); each gets a ``pending`` PaymentAttempt for its slot
   (``scheduled_for`` = its ``next_payment_attempt``, unique per invoice and slot, so two beats or
   workers cannot both claim it) with the id its charge will have, and its
   ``next_payment_attempt`` is cleared.
2. Charge: ``invoices_pay`` with trigger ``retry`` (no transaction open during the processor
   call); its outcome transaction completes the pending rows and sets the next slot.
3. A claim left pending (its worker died; retries and every other payment of an invoice claim
   alike, apps.collections.attempts) is recovered by the sweep after ``STALE_AFTER``: with
   the charge it made (its id was reserved at the claim) the outcome is recorded as if the
   worker had finished; without one, nothing was charged, so the claim is recorded lost and
   the invoice retried at the next sweep. A charge still pending (the worker died around the
   processor call: a subscription's first payment writes its claim and its pending charge in
   one transaction, and records the charge's outcome with the invoice's) is asked of the
   processor again under its idempotency key, which answers as it did (or charges it, once, if
   it never got the call), and both outcomes are recorded together; the slot is never charged
   twice.

Customers on test clocks are stepped by their clock (``retry_next_due``, registered as a
clock job: apps.subscriptions.clock_jobs).
"""

import logging
from collections import defaultdict
from datetime import timedelta

from django.db import transaction

from apps.accounts.audit import changes_batched
from apps.collections.enums import AttemptOutcome, AttemptTrigger
from apps.collections.models import PaymentAttempt
from apps.collections.transitions import attempts_move
from apps.core import clock
from apps.core.actor import SYSTEM, Actor
from apps.core.errors import CardError
from apps.core.ids import new_id
from apps.core.locks import row_lock, rows_lock
from apps.invoices.models import Invoice
from apps.invoices.services import invoices_outcomes_record, invoices_pay
from apps.invoices.services.locking import invoices_lock_current
from apps.invoices.services.payments import charges_judge
from apps.payments.models import Charge
from apps.payments.services import ChargeRequest, charges_authorize, charges_outcomes_record
from apps.subscriptions.enums import SubscriptionStatus

log = logging.getLogger(__name__)

# Longer than a retry task may run (its hard time limit), so a live worker's claim is never
# taken for a dead one's.
STALE_AFTER = timedelta(minutes=10)
BATCH = 500
# A subscription that ended stops the collection of its invoices (Stripe).
ENDED = (SubscriptionStatus.CANCELED, SubscriptionStatus.INCOMPLETE_EXPIRED)


def due_retry_ids(*, limit: int = 100_000) -> list[str]:
    """Open invoices whose next retry has come (customers on test clocks step their own)."""
    return list(
        Invoice.objects.filter(
            status="open",
            next_payment_attempt__lte=clock.now(),
            customer__test_clock_id__isnull=True,
        )
        .order_by("next_payment_attempt", "id")
        .values_list("id", flat=True)[:limit]
    )


def retry_next_due(*, customers, until) -> tuple:
    """A test clock's next payment retry among ``customers`` by ``until``: (when, invoice id)."""
    return (
        Invoice.objects.filter(
            customer_id__in=customers, status="open", next_payment_attempt__lte=until
        )
        .order_by("next_payment_attempt", "id")
        .values_list("next_payment_attempt", "id")
        .first()
    )


def retry_run(invoice_id: str) -> bool:
    """A test clock's retry of one invoice; False when it was claimed meanwhile."""
    return bool(invoices_retry(invoice_ids=[invoice_id]))


def retries_claim(invoice_ids: list[str]) -> tuple[list[Invoice], dict[str, PaymentAttempt]]:
    """Take the due slots of ``invoice_ids`` (rows another transaction holds are left to it):
    every due invoice (with customer, subscription and account) and the pending attempts
    claimed, by invoice id. An invoice whose subscription ended loses its slot without an
    attempt."""
    with transaction.atomic():
        (locked,) = rows_lock(
            Invoice.objects.select_related("customer", "subscription", "account").filter(
                id__in=invoice_ids, status="open", next_payment_attempt__isnull=False
            ),
            skip_locked=True,
        )
        due = [
            invoice
            for invoice in locked
            if invoice.next_payment_attempt
            <= clock.now(test_clock_id=invoice.customer.test_clock_id)
        ]
        if not due:
            return [], {}
        taken = set(
            PaymentAttempt.objects.filter(
                invoice_id__in=[invoice.id for invoice in due],
                trigger=AttemptTrigger.RETRY,
                scheduled_for__in={invoice.next_payment_attempt for invoice in due},
            ).values_list("invoice_id", "scheduled_for")
        )
        # An invoice being paid meanwhile (staff, the API) keeps its slot for the next sweep.
        in_flight = set(
            PaymentAttempt.objects.filter(
                invoice_id__in=[invoice.id for invoice in due], outcome=AttemptOutcome.PENDING
            ).values_list("invoice_id", flat=True)
        )
        due = [invoice for invoice in due if invoice.id not in in_flight]
        now = clock.now()  # real time: how old a pending claim is
        claims = {
            invoice.id: PaymentAttempt(
                account_id=invoice.account_id,
                invoice=invoice,
                customer_id=invoice.customer_id,
                number=invoice.attempt_count + 1,
                trigger=AttemptTrigger.RETRY,
                scheduled_for=invoice.next_payment_attempt,
                attempted_at=now,
                outcome=AttemptOutcome.PENDING,
                amount=invoice.amount_due,
                currency=invoice.currency,
                charge_id=new_id("ch"),
            )
            for invoice in due
            if (invoice.id, invoice.next_payment_attempt) not in taken
            and not (invoice.subscription_id and invoice.subscription.status in ENDED)
        }
        PaymentAttempt.objects.bulk_create(claims.values())
        Invoice.objects.filter(pk__in=[invoice.id for invoice in due]).update(
            next_payment_attempt=None, updated_at=now
        )
        for invoice in due:
            invoice.next_payment_attempt, invoice.updated_at = None, now
    return due, claims


def invoices_retry(*, invoice_ids: list[str], actor: Actor = SYSTEM) -> int:
    """Run the due retries among ``invoice_ids``: claim, charge, complete. How many due slots
    were taken (attempted, or dropped with their ended subscription)."""
    due, claims = retries_claim(invoice_ids)
    by_account = defaultdict(list)
    for invoice in due:
        if invoice.id in claims:
            by_account[invoice.account_id].append(invoice)
    for batch in by_account.values():
        invoices_pay(
            account=batch[0].account,
            invoices=batch,
            actor=actor,
            trigger=AttemptTrigger.RETRY,
            claims={invoice.id: claims[invoice.id] for invoice in batch},
        )
    return len(due)


def _charge_error(charge) -> CardError:
    return CardError(
        charge.failure_message or "Your card was declined.",
        code=charge.failure_code or "card_declined",
        extra={"decline_code": (charge.outcome or {}).get("reason"), "charge": charge.id},
    )


def stale_claims_recover(*, actor: Actor = SYSTEM) -> int:
    """Claims left pending longer than ``STALE_AFTER``: completed from their charge, or recorded
    lost and rescheduled when nothing was charged. How many were recovered."""
    cutoff = clock.now() - STALE_AFTER
    recovered = 0
    with transaction.atomic():
        oldest = PaymentAttempt.objects.filter(
            outcome=AttemptOutcome.PENDING, attempted_at__lte=cutoff
        ).order_by("id")
        (stale,) = rows_lock(
            PaymentAttempt.objects.filter(
                pk__in=list(oldest.values_list("pk", flat=True)[:BATCH]),
                outcome=AttemptOutcome.PENDING,
            ),
            skip_locked=True,
        )
        charges = Charge.objects.in_bulk([claim.charge_id for claim in stale])
        lost = [claim for claim in stale if claim.charge_id not in charges]
        if lost:
            _lost_record(lost)
            recovered += len(lost)
    charged = [claim for claim in stale if claim.charge_id in charges]
    invoices = Invoice.objects.select_related("customer", "subscription", "account").in_bulk(
        {claim.invoice_id for claim in charged}
    )
    for claim in charged:
        invoice, charge = invoices[claim.invoice_id], charges[claim.charge_id]
        results = None
        if charge.status == "pending":
            # The processor is asked again (no transaction open); unreachable, the claim
            # waits for the next sweep.
            try:
                results = _charge_asked_again(invoice, charge)
            except Exception:
                log.exception("claim %s: the processor did not answer for %s", claim.pk, charge.id)
                continue
        if _claim_complete(claim, invoice, charge, results, actor):
            recovered += 1
    return recovered


def _charge_asked_again(invoice: Invoice, charge: Charge) -> list:
    """The processor's answer for the pending ``charge`` of ``invoice``'s payment, asked as the
    payment asked it, under the same idempotency key."""
    return charges_authorize(
        account=invoice.account,
        requests=[
            ChargeRequest(
                amount=charge.amount,
                currency=charge.currency,
                payment_method=charge.payment_method,
                customer=invoice.customer,
                description=charge.description,
                charge_id=charge.id,
            )
        ],
        charges=[charge],
    )


def _claim_complete(claim, invoice: Invoice, charge: Charge, results, actor: Actor) -> bool:
    """One transaction completes the stale ``claim`` from its ``charge``, recording the
    charge's outcome first when it was pending (``results``: the processor's answer). False when
    another sweep completed it meanwhile."""
    account = invoice.account
    with transaction.atomic(), changes_batched(account=account, actor=actor):
        # Still pending under its lock: another sweep did not complete it meanwhile.
        (pending,) = rows_lock(
            PaymentAttempt.objects.filter(pk=claim.pk, outcome=AttemptOutcome.PENDING),
            skip_locked=True,
        )
        if not pending:
            return False
        if results is not None:
            # The invoice before its charge (the global lock order); the charge recorded
            # meanwhile (by a worker slower than STALE_AFTER) is completed from, not again.
            invoices_lock_current(account, [invoice], skip_locked=False)
            current = row_lock(Charge.objects.filter(pk=charge.pk))
            if current is None or current.status != "pending":
                charge, results = current or charge, None
        failures = {}
        if results is not None:
            charges_outcomes_record(account=account, charges=[charge], results=results, actor=actor)
            charges_judge([invoice], [(charge, results[0])], failures)
        elif charge.status != "succeeded":
            failures[invoice.id] = _charge_error(charge)
        invoices_outcomes_record(
            account=account,
            invoices=[invoice],
            charges={invoice.id: charge},
            failures=failures,
            methods={invoice.id: charge.payment_method_id},
            trigger=claim.trigger,
            claims={invoice.id: claim},
            actor=actor,
        )
    return True


def _lost_record(claims: list[PaymentAttempt]) -> None:
    """Claims whose worker stopped before charging: recorded failed (not counted), and their
    invoices, if still open and unscheduled, retried at the next sweep (a new slot)."""
    invoices = Invoice.objects.select_related("customer").in_bulk(
        {claim.invoice_id for claim in claims}
    )
    for claim in claims:
        invoice = invoices[claim.invoice_id]
        attempts_move([(claim, AttemptOutcome.FAILED)])
        claim.number = invoice.attempt_count
        claim.charge_id = ""
        claim.failure_code = "attempt_lost"
        claim.failure_message = "The payment stopped before the card was charged."
        claim.attempted_at = clock.now(test_clock_id=invoice.customer.test_clock_id)
        claim.save(
            update_fields=[
                "outcome",
                "number",
                "charge_id",
                "failure_code",
                "failure_message",
                "attempted_at",
            ]
        )
        if claim.trigger not in (AttemptTrigger.RETRY, AttemptTrigger.AUTOMATIC):
            continue  # asked for by staff or the API: asking again is theirs
        Invoice.objects.filter(pk=invoice.pk, status="open", next_payment_attempt=None).update(
            next_payment_attempt=clock.now(test_clock_id=invoice.customer.test_clock_id),
            updated_at=clock.now(),
        )
