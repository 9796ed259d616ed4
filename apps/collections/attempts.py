"""Payment attempts as ``apps.invoices.services.invoices_pay`` claims and records them.

Every payment of an invoice starts with a claim (``attempts_claim``, in the transaction that
locks the invoice): a ``pending`` attempt, unique per invoice, holding the id its charge will
have, so the processor's idempotency key (``charge:<id>``) derives from the attempt. A second
payment while one is in flight fails with ``invoice_payment_in_progress`` (409), and voiding,
marking uncollectible or crediting the invoice waits for the payment's outcome the same way
(``payment_in_progress_refuse``). A claim whose worker died is recovered by the retry sweep
(apps.collections.retries).

Before charging, ``skips_of`` says which invoices are not charged at all: no payment method, a
closed card, or a card whose last decline was a hard one (``HARD_DECLINES``) and that has not
changed since. Such an attempt is ``skipped``: it counts (when it would have), the schedule goes
on, and the customer's next payment method is charged (``apps.collections.consumers``).

In the payment's outcome transaction ``attempts_record`` writes the ``PaymentAttempt`` rows (one
multi-row insert; a claimed retry's pending row is completed instead) and sets each failed
invoice's ``next_payment_attempt`` from its retry policy (the plan ``payments.collection``
decided at finalizing, else the account's), before the invoice is rendered
into ``invoice.payment_failed``. A successful first attempt writes no row.

attempt_count (Stripe, ../shared/reference/stripe-semantics.md §4.2): the first attempt counts,
then only scheduled retries; a manual attempt, or one made because the payment method changed,
neither counts nor moves the schedule unless it pays the invoice.
"""

from datetime import datetime

from apps.collections.enums import AttemptOutcome, AttemptTrigger
from apps.collections.models import PaymentAttempt
from apps.collections.schedule import HARD_DECLINES, next_attempt_at
from apps.collections.selectors import collection_settings, retry_policy_for
from apps.collections.transitions import attempts_move
from apps.core import clock
from apps.core.bulk import rows_update
from apps.core.errors import ApplicationError, CardError, InvalidRequestError
from apps.core.ids import new_id
from apps.invoices.collecting import Tried
from apps.payments.models import Charge

# Triggers whose skipped attempts still count (and keep the schedule going).
COUNTING_SKIPS = (AttemptTrigger.AUTOMATIC, AttemptTrigger.RETRY)


def retried_automatically(invoice) -> bool:
    """Whether a failed payment of ``invoice`` is retried on the account's schedule: charged
    automatically and auto-advancing (Stripe retries neither ``send_invoice`` invoices nor those
    with ``auto_advance`` off), and not a subscription's first invoice (the subscription is
    ``incomplete`` and expires after 23 hours instead)."""
    return (
        invoice.collection_method == "charge_automatically"
        and invoice.auto_advance
        and invoice.billing_reason != "subscription_create"
    )


def counts(*, trigger: str, attempt_count: int, skipped: bool) -> bool:
    """Whether this attempt increments the invoice's attempt_count."""
    if skipped and trigger not in COUNTING_SKIPS:
        return False
    return attempt_count == 0 or trigger == AttemptTrigger.RETRY


def _last_declines(invoice_ids: list[str]) -> dict[str, tuple[PaymentAttempt, datetime | None]]:
    """Each invoice's last charged, failed attempt and when its charge was made (real time)."""
    last: dict[str, PaymentAttempt] = {}
    for attempt in PaymentAttempt.objects.filter(
        invoice_id__in=invoice_ids, outcome=AttemptOutcome.FAILED
    ).exclude(charge_id=""):
        if attempt.invoice_id not in last or attempt.pk > last[attempt.invoice_id].pk:
            last[attempt.invoice_id] = attempt
    made = dict(
        Charge.objects.filter(id__in=[a.charge_id for a in last.values()]).values_list(
            "id", "created_at"
        )
    )
    return {pk: (attempt, made.get(attempt.charge_id)) for pk, attempt in last.items()}


def _hard(attempt: PaymentAttempt) -> bool:
    return attempt.decline_code in HARD_DECLINES or attempt.failure_code in HARD_DECLINES


def skips_of(
    *, invoices: list, chosen: dict[str, str | None], methods: dict, trigger: str
) -> dict[str, ApplicationError]:
    """The invoices among ``invoices`` not to charge, each with the error it fails with.
    ``chosen``: the payment method invoices_pay would charge, by invoice id (None: none);
    ``methods``: those payment methods by id. A missing payment method stops every attempt; a
    closed card or an unchanged hard-declined one stops the attempts made without anyone asking
    (scheduled retries, a payment-method change). The first automatic attempt and staff's manual
    ones charge the card whatever its history (the processor declines a closed card)."""
    skips: dict[str, ApplicationError] = {}
    judged = trigger in (AttemptTrigger.RETRY, AttemptTrigger.PAYMENT_METHOD)
    declined_before = [i.id for i in invoices if i.attempt_count and judged]
    last = _last_declines(declined_before) if declined_before else {}
    for invoice in invoices:
        method_id = chosen[invoice.id]
        if method_id is None:
            skips[invoice.id] = InvalidRequestError(
                "The customer has no payment method to charge.", code="invoice_no_payment_method"
            )
            continue
        if not judged:
            continue
        method = methods[method_id]
        if method.closed_at is not None:
            skips[invoice.id] = CardError(
                "The card was closed by its issuer; the customer needs a new payment method.",
                code="card_declined",
                extra={"decline_code": "invalid_account"},
            )
            continue
        attempt, charged_at = last.get(invoice.id, (None, None))
        if (
            attempt is not None
            and _hard(attempt)
            and attempt.payment_method_id == method_id
            and (charged_at is None or method.updated_at <= charged_at)
        ):
            skips[invoice.id] = CardError(
                "The card was declined and cannot be charged again: the customer needs a new "
                "payment method.",
                code=attempt.failure_code or "card_declined",
                extra={"decline_code": attempt.decline_code or None},
            )
    return skips


def in_progress_error(invoice_id: str) -> InvalidRequestError:
    return InvalidRequestError(
        f"Invoice {invoice_id} has a payment in progress; try again when it has finished.",
        code="invoice_payment_in_progress",
        http_status=409,
    )


def payment_in_progress_refuse(invoice) -> None:
    """Inside the transaction that locks ``invoice``: refuse to change it while it is being
    charged (the charge's outcome is recorded against the invoice as it was)."""
    if PaymentAttempt.objects.filter(
        invoice_id=invoice.id, outcome=AttemptOutcome.PENDING
    ).exists():
        raise in_progress_error(invoice.id)


def attempts_claim(
    *, account, invoices: list, trigger: str, made: bool = False
) -> tuple[dict[str, PaymentAttempt], dict[str, ApplicationError]]:
    """Inside the transaction that locks the open ``invoices``: a pending attempt for each that
    no other payment holds, with the id its charge will have. Answers the claims and the
    invoices already in flight (``invoice_payment_in_progress``), by invoice id. ``made``: the
    invoices were made in this transaction, so no other payment holds them (not read)."""
    busy = (
        set()
        if made
        else set(
            PaymentAttempt.objects.filter(
                invoice_id__in=[invoice.id for invoice in invoices],
                outcome=AttemptOutcome.PENDING,
            ).values_list("invoice_id", flat=True)
        )
    )
    now = clock.now()  # real time: how old a pending claim is
    claims = {
        invoice.id: PaymentAttempt(
            account=account,
            invoice=invoice,
            customer_id=invoice.customer_id,
            number=invoice.attempt_count,
            trigger=trigger,
            scheduled_for=None,
            attempted_at=now,
            outcome=AttemptOutcome.PENDING,
            amount=invoice.amount_due,
            currency=invoice.currency,
            charge_id=new_id("ch"),
        )
        for invoice in invoices
        if invoice.id not in busy
    }
    PaymentAttempt.objects.bulk_create(claims.values())
    return claims, {invoice_id: in_progress_error(invoice_id) for invoice_id in busy}


def attempts_record(
    *, account, tried: list[Tried], trigger: str, claims: dict[str, PaymentAttempt]
) -> list[str]:
    """Inside the outcome transaction: the attempt rows and each invoice's next retry. Answers
    the invoices whose schedule this attempt spent (the after-last-retry actions are due)."""
    settings = None
    exhausted: list[str] = []
    inserts: list[PaymentAttempt] = []
    completed: list[PaymentAttempt] = []
    spent: list[int] = []
    moves: list[tuple[PaymentAttempt, str]] = []
    for t in tried:
        row = t.invoice
        at = clock.now(test_clock_id=row.customer.test_clock_id)
        if t.error is None:
            row.next_payment_attempt = None
        elif t.counted and retried_automatically(row):
            if settings is None:
                settings = collection_settings(account)
            row.next_payment_attempt = next_attempt_at(
                retry_policy_for(row, settings),
                attempt_count=row.attempt_count,
                last_attempt_at=at,
            )
            if row.next_payment_attempt is None:
                exhausted.append(row.id)
        elif t.counted:
            row.next_payment_attempt = None
        claim = claims.get(row.id)
        if t.error is None and t.before == 0:
            # A first attempt that paid: nothing to chase, no row (the hot path); its claim
            # has done its work.
            if claim is not None:
                spent.append(claim.pk)
            continue
        error = t.error
        if error is None:
            outcome = AttemptOutcome.SUCCEEDED
        else:
            outcome = AttemptOutcome.SKIPPED if t.skipped else AttemptOutcome.FAILED
        if claim is not None:
            attempt = claim
            moves.append((claim, outcome))
        else:  # recorded in its outcome
            attempt = PaymentAttempt(
                account=account,
                invoice_id=row.id,
                customer_id=row.customer_id,
                trigger=trigger,
                scheduled_for=None,
                outcome=outcome,
            )
        attempt.number = row.attempt_count
        attempt.attempted_at = at
        attempt.amount = row.amount_due
        attempt.currency = row.currency
        attempt.payment_method_id = t.method_id or ""
        attempt.charge_id = t.charge_id
        attempt.failure_code = (error.code or "") if error else ""
        attempt.decline_code = (error.extra.get("decline_code") or "") if error else ""
        attempt.failure_message = error.message[:500] if error else ""
        (completed if claim is not None else inserts).append(attempt)
    attempts_move(moves)
    PaymentAttempt.objects.bulk_create(inserts)
    rows_update(PaymentAttempt, completed, COMPLETION_FIELDS)
    if spent:
        PaymentAttempt.objects.filter(pk__in=spent).delete()
    return exhausted


def claims_release(claims: list[PaymentAttempt]) -> None:
    """Claims whose invoice was not attempted after all (settled before the outcome was
    recorded: only a stale claim's recovery can find that): removed, so the invoice is free."""
    if claims:
        PaymentAttempt.objects.filter(pk__in=[claim.pk for claim in claims]).delete()


# What completing a claimed (pending) attempt writes.
COMPLETION_FIELDS = [
    "number",
    "attempted_at",
    "outcome",
    "amount",
    "currency",
    "payment_method_id",
    "charge_id",
    "failure_code",
    "decline_code",
    "failure_message",
]
