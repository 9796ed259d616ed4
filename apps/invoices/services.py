"""Invoices: built from the planner's lines, numbered gaplessly, finalized, paid.

Payment happens outside any transaction (apps.payments two-phase charges); every state change
records its event in the transaction that makes it.
"""

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction

from apps.accounts.audit import change_record, changes_record
from apps.catalog.models import Price
from apps.catalog.selectors import price_amount
from apps.core import clock
from apps.core.actor import SYSTEM, Actor
from apps.core.bulk import rows_insert, rows_update
from apps.core.errors import (
    ApplicationError,
    CardError,
    InvalidRequestError,
    ResourceMissingError,
)
from apps.core.ids import new_secret
from apps.core.locks import row_lock, rows_lock
from apps.customers.models import Customer, CustomerBalanceTransaction
from apps.customers.selectors import customer_balance
from apps.customers.services import customer_balance_adjust
from apps.invoices.discounts import (
    coupon_terms,
    discount_amounts,
    discount_in_force,
    discount_used,
)
from apps.invoices.documents import hosted_invoice_url, invoice_pdf_url
from apps.invoices.engine.discounts import proration_rate
from apps.invoices.engine.planner import TRIAL_REMAINDER, ItemTerms, Line
from apps.invoices.engine.settlement import invoice_settle
from apps.invoices.models import (
    Discount,
    Invoice,
    InvoiceItem,
    InvoiceLine,
    InvoiceNumberSequence,
)
from apps.subscriptions.models import BillingSettings, Subscription, SubscriptionItem


def line_discounts_of(discount, lines: list[tuple[int, str, str | None]]) -> list[int]:
    """Per-line discounts of (amount, kind, price id) lines: the coupon's products are matched
    through the prices' products (one query)."""
    if discount is None:
        return [0] * len(lines)
    products = dict(
        Price.objects.filter(id__in={price for _, _, price in lines if price}).values_list(
            "id", "product_id"
        )
    )
    return discount_amounts(
        discount, [(amount, kind, products.get(price)) for amount, kind, price in lines]
    )


def billing_settings(account) -> BillingSettings:
    settings, _ = BillingSettings.objects.get_or_create(account=account)
    return settings


class AlreadyInvoiced(Exception):
    """The period's lines exist already: the renewal ran before (idempotent)."""


def item_terms(
    item: SubscriptionItem, *, currency: str, on: datetime, discount: Discount | None = None
) -> ItemTerms:
    """What the planner needs of an item: its whole-period amount at its quantity, and, with
    the ``discount`` in force at a change, the share its prorations bill."""
    price = item.price
    recurring = price.recurring or {}
    metered = recurring.get("usage_type") == "metered"
    amount = (
        0
        if metered
        else price_amount(
            price,
            quantity=item.quantity,
            currency=currency,
            on=on.date(),
            custom_amount=item.custom_unit_amount,
        )
    )
    return ItemTerms(
        item_id=item.id,
        price_id=price.id,
        quantity=item.quantity,
        period_amount=amount,
        usage_type="metered" if metered else "licensed",
        trial_end=item.trial_end,
        description=price.product.name if price.product_id else price.id,
        proration_rate=proration_rate(
            coupon_terms(discount) if discount is not None else None, price.product_id
        ),
    )


def invoice_render(invoice: Invoice) -> dict:
    return {
        "id": invoice.id,
        "object": "invoice",
        "amount_due": invoice.amount_due,
        "amount_paid": invoice.amount_paid,
        "amount_remaining": invoice.amount_due - invoice.amount_paid,
        # Counted attempts: the first, then only scheduled retries (apps.collections.attempts).
        "attempt_count": invoice.attempt_count,
        "attempted": invoice.attempt_count > 0,
        "auto_advance": invoice.auto_advance,
        # Only a draft finalizes automatically; the time is history once it is finalized.
        "automatically_finalizes_at": clock.to_epoch(
            invoice.automatically_finalizes_at if invoice.status == "draft" else None
        ),
        "billing_reason": invoice.billing_reason,
        "collection_method": invoice.collection_method,
        "created": clock.to_epoch(invoice.created_at),
        "currency": invoice.currency,
        "customer": invoice.customer_id,
        "description": invoice.description or None,
        "discounts": [invoice.discount_id] if invoice.discount_id else [],
        "due_date": clock.to_epoch(invoice.due_date),
        "ending_balance": invoice.ending_balance,
        "footer": invoice.footer or None,
        "hosted_invoice_url": hosted_invoice_url(invoice),
        "invoice_pdf": invoice_pdf_url(invoice),
        # A draft charged automatically is first attempted when it finalizes; then the retry
        # schedule's next slot (null once spent, and for send_invoice invoices).
        "next_payment_attempt": clock.to_epoch(
            invoice.automatically_finalizes_at
            if invoice.status == "draft" and invoice.collection_method == "charge_automatically"
            else invoice.next_payment_attempt
        ),
        "number": invoice.number,
        "paid": invoice.status == "paid",
        "period_end": clock.to_epoch(invoice.period_end),
        "period_start": clock.to_epoch(invoice.period_start),
        "starting_balance": invoice.starting_balance,
        "status": invoice.status,
        "subscription": invoice.subscription_id,
        "subtotal": invoice.subtotal,
        "total_discount_amounts": (
            [{"amount": invoice.total_discount, "discount": invoice.discount_id}]
            if invoice.total_discount
            else []
        ),
        "total": invoice.total,
        "metadata": invoice.metadata,
    }


def _record(invoice: Invoice, type: str, actor: Actor) -> None:
    change_record(
        account=invoice.account,
        actor=actor,
        type=type,
        object_type="invoice",
        data_object=invoice_render(invoice),
    )


def invoice_line_rows(
    *,
    invoice: Invoice,
    currency: str,
    lines: list[Line],
    pending: list[InvoiceItem],
    discounts: list[int],
) -> list[InvoiceLine]:
    """The unsaved rows of an invoice: the planner's lines, then the pending invoice items, each
    with its share of the discount (``discounts`` in the same order)."""
    rows = [
        InvoiceLine(
            account_id=invoice.account_id,
            invoice=invoice,
            subscription_item_id=line.item_id,
            price_id=line.price_id,
            kind=line.kind,
            period_start=line.period_start,
            period_end=line.period_end,
            amount=line.amount,
            currency=currency,
            quantity=line.quantity,
            proration=line.proration,
            description=line.description,
        )
        for line in lines
    ] + [
        InvoiceLine(
            account_id=invoice.account_id,
            invoice=invoice,
            subscription_item_id=None,
            price_id=item.price_id,
            kind=item.kind,
            period_start=item.period_start,
            period_end=item.period_end,
            amount=item.amount,
            currency=item.currency,
            quantity=item.quantity,
            proration=item.proration,
            description=item.description,
        )
        for item in pending
    ]
    for row, amount in zip(rows, discounts, strict=True):
        row.discount_amount = amount
    return rows


def invoice_from_lines(
    *,
    subscription: Subscription,
    lines: list[Line],
    period: tuple[datetime, datetime],
    billing_reason: str,
    actor: Actor = SYSTEM,
    include_pending: bool = True,
    finalizes_at: datetime | None = None,
) -> Invoice | None:
    """A draft invoice of the planner's lines plus the customer's pending items.

    Runs inside the caller's transaction (which locked the subscription). A zero-total invoice
    is not created unless the account asks for them. Raises AlreadyInvoiced when a line's key
    was billed before. ``finalizes_at``: when the auto-advancing draft is finalized by the sweep
    (a renewal's); None for an invoice its caller finalizes at once."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("invoice_from_lines runs in the caller's transaction")
    account = subscription.account
    # A trial remainder may have been invoiced already, when its trial ended (account setting).
    billed = set(
        InvoiceLine.objects.filter(
            subscription_item_id__in=[
                line.item_id for line in lines if line.kind == TRIAL_REMAINDER
            ],
            kind=TRIAL_REMAINDER,
        ).values_list("subscription_item_id", "period_start", "period_end")
    )
    lines = [
        line
        for line in lines
        if line.kind != TRIAL_REMAINDER
        or (line.item_id, line.period_start, line.period_end) not in billed
    ]
    pending = (
        list(
            InvoiceItem.objects.select_for_update().filter(
                account=account,
                customer_id=subscription.customer_id,
                invoice__isnull=True,
                subscription_id=subscription.id,
            )
        )
        if include_pending
        else []
    )
    if not lines and not pending:
        return None
    now = clock.now(test_clock_id=subscription.customer.test_clock_id)
    discount = discount_in_force(customer=subscription.customer, subscription=subscription, at=now)
    discounts = line_discounts_of(
        discount,
        [(line.amount, line.kind, line.price_id) for line in lines]
        + [(item.amount, item.kind, item.price_id) for item in pending],
    )
    subtotal = sum(line.amount for line in lines) + sum(item.amount for item in pending)
    total = subtotal - sum(discounts)
    if total == 0 and not billing_settings(account).zero_total_invoices:
        return None
    invoice = Invoice.objects.create(
        account=account,
        customer=subscription.customer,
        subscription=subscription,
        status="draft",
        billing_reason=billing_reason,
        currency=subscription.currency,
        period_start=period[0],
        period_end=period[1],
        subtotal=subtotal,
        total_discount=sum(discounts),
        total=total,
        amount_due=total,
        discount=discount if any(discounts) else None,
        collection_method=subscription.collection_method,
        automatically_finalizes_at=finalizes_at,
        hosted_token=new_secret(32),
        created_at=now,
    )
    rows = invoice_line_rows(
        invoice=invoice,
        currency=subscription.currency,
        lines=lines,
        pending=pending,
        discounts=discounts,
    )
    try:
        with transaction.atomic():
            InvoiceLine.objects.bulk_create(rows)
    except IntegrityError as exc:
        raise AlreadyInvoiced(subscription.id) from exc
    InvoiceItem.objects.filter(pk__in=[item.pk for item in pending]).update(invoice=invoice)
    subscription.latest_invoice_id = invoice.id
    subscription.save(update_fields=["latest_invoice_id", "updated_at"])
    if invoice.discount_id:
        discount_used(discount, now)
    _record(invoice, "invoice.created", actor)
    return invoice


def _numbers_take(account, count: int) -> list[str]:
    """``count`` consecutive invoice numbers of the account, taken as one block under the
    sequence's row lock (held to the end of the caller's transaction, so gapless)."""
    sequence, _ = InvoiceNumberSequence.objects.select_for_update().get_or_create(account=account)
    first = sequence.next_number
    sequence.next_number += count
    sequence.save(update_fields=["next_number"])
    prefix = account.id.split("_", 1)[1][:8].upper()
    return [f"{prefix}-{number:04d}" for number in range(first, first + count)]


def customers_with_balance(account, customer_ids: set[str]) -> set[str]:
    """Of ``customer_ids``, the customers with a balance ledger (few): finalizing their invoices
    reads and adjusts the balance, one invoice at a time."""
    return set(
        CustomerBalanceTransaction.objects.filter(
            account_id=account.id, customer_id__in=customer_ids
        )
        .values_list("customer_id", flat=True)
        .distinct()
    )


# What finalizing writes on an invoice.
_FINALIZED_FIELDS = [
    "number",
    "starting_balance",
    "ending_balance",
    "amount_due",
    "status",
    "finalized_at",
    "automatically_finalizes_at",
    "due_date",
    "paid_at",
    "updated_at",
]


def _finalized_set(account, invoices: list[Invoice], with_balance: set[str], actor: Actor) -> None:
    """Finalize drafts of one account in memory, in their order: settle each with its customer's
    balance (apps.invoices.engine.settlement; only customers in ``with_balance`` have one), then
    number them in one block. The caller writes the rows and the events (``_finalized_changes``)
    in the same transaction, which holds the sequence's lock from here to its end."""
    if not invoices:
        return
    for invoice in invoices:
        # Customers with a ledger (few) are read and adjusted one invoice at a time.
        balance = customer_balance(invoice.customer) if invoice.customer_id in with_balance else 0
        settled = invoice_settle(total=invoice.total, balance=balance, currency=invoice.currency)
        for entry in settled.entries:
            customer_balance_adjust(
                account=account,
                customer=invoice.customer,
                amount=entry.amount,
                currency=invoice.currency,
                actor=actor,
                type=entry.type,
                description=entry.description,
                invoice_id=invoice.id,
            )
            with_balance.add(invoice.customer_id)
        invoice.starting_balance = settled.starting_balance
        invoice.ending_balance = settled.ending_balance
        invoice.amount_due = settled.amount_due
        invoice.status = "paid" if invoice.amount_due == 0 else "open"
        invoice.finalized_at = clock.now(test_clock_id=invoice.customer.test_clock_id)
        invoice.automatically_finalizes_at = None  # only a draft waits to be finalized
        # A one-off invoice got its due date when it was made (days_until_due or due_date).
        if (
            invoice.collection_method == "send_invoice"
            and invoice.subscription_id
            and invoice.due_date is None
        ):
            days = invoice.subscription.days_until_due or 0
            invoice.due_date = invoice.finalized_at + timedelta(days=days)
        if invoice.status == "paid":
            invoice.paid_at = invoice.finalized_at
        invoice.updated_at = clock.now()
    # Numbers last: the sequence's lock is held only for the writes that follow.
    for invoice, number in zip(invoices, _numbers_take(account, len(invoices)), strict=True):
        invoice.number = number


def _finalized_changes(invoices: list[Invoice]) -> list[tuple]:
    """invoice.finalized of each finalized invoice (and invoice.paid when nothing was due)."""
    changes = []
    for invoice in invoices:
        data = invoice_render(invoice)
        changes.append(("invoice.finalized", "invoice", data, None))
        if invoice.status == "paid":
            changes.append(("invoice.paid", "invoice", data, None))
    return changes


def _finalize_locked(account, invoices: list[Invoice], actor: Actor) -> None:
    """Finalize drafts of one account, locked by the caller, in their order: settled, numbered
    (``_finalized_set``), invoice.finalized (and invoice.paid when nothing is due) recorded —
    multi-row writes for the invoices, events and audit."""
    if not invoices:
        return
    with_balance = customers_with_balance(account, {invoice.customer_id for invoice in invoices})
    _finalized_set(account, invoices, with_balance, actor)
    rows_update(Invoice, invoices, _FINALIZED_FIELDS)
    changes_record(account=account, actor=actor, changes=_finalized_changes(invoices))


def invoices_insert(
    *, account, invoices: list[Invoice], finalizing: list[Invoice], actor: Actor = SYSTEM
) -> None:
    """Inside the transaction that makes them: insert new drafts of one account (one multi-row
    insert), the ones in ``finalizing`` finalized as they are written instead of inserted and
    then updated — a renewal past its auto-advance hour. Their customers have no balance (the
    caller checks: adjusting one locks the customer, out of the lock order here). Numbered last
    (``_finalized_set``), so the sequence's lock is held for the insert and the events only."""
    _finalized_set(account, finalizing, set(), actor)
    rows_insert(Invoice, invoices)
    changes_record(account=account, actor=actor, changes=_finalized_changes(finalizing))


def invoice_lock_with_customer(account, invoice_id: str, *, param: str = "id") -> Invoice:
    """Inside a transaction: the invoice and its customer locked, the customer first (the global
    lock order), for the writes that move the customer's balance with the invoice."""
    customer_id = (
        Invoice.objects.filter(account=account, id=invoice_id)
        .values_list("customer_id", flat=True)
        .first()
    )
    _, invoices = rows_lock(
        Customer.objects.filter(account=account, id=customer_id),
        Invoice.objects.select_related("customer", "account", "subscription").filter(
            account=account, id=invoice_id
        ),
    )
    if not invoices:
        raise ResourceMissingError("invoice", invoice_id, param=param)
    return invoices[0]


def invoice_finalize(*, invoice_id: str, account, actor: Actor = SYSTEM) -> Invoice:
    """Number the invoice (gapless, under a lock) and apply the customer's credit balance."""
    with transaction.atomic():
        # Finalizing may apply the customer's balance.
        invoice = invoice_lock_with_customer(account, invoice_id)
        if invoice.status != "draft":
            raise InvalidRequestError(
                f"Invoice {invoice.id} is {invoice.status}; only drafts can be finalized.",
                code="invoice_not_editable",
            )
        _finalize_locked(account, [invoice], actor)
    return invoice


def _locked_current(
    account, invoices: list[Invoice], *, skip_locked: bool, **filters
) -> list[Invoice]:
    """Lock the rows of ``invoices`` (loaded with customer and subscription) that still match
    ``filters``, in id order; an invoice changed since it was loaded is loaded again (the lock
    reads only ids and ``updated_at``, so a batch is not read twice)."""
    (ids,) = rows_lock(
        Invoice.objects.filter(
            account=account, id__in=[invoice.id for invoice in invoices], **filters
        ).values_list("id", "updated_at"),
        skip_locked=skip_locked,
    )
    current = dict(ids)
    stale = [i.id for i in invoices if i.id in current and i.updated_at != current[i.id]]
    fresh = (
        Invoice.objects.select_related("customer", "subscription").in_bulk(stale) if stale else {}
    )
    locked = sorted(
        (fresh.get(invoice.id, invoice) for invoice in invoices if invoice.id in current),
        key=lambda invoice: invoice.id,
    )
    for invoice in locked:
        invoice.account = account
    return locked


def invoices_finalize(
    *, account, invoices: list[Invoice], actor: Actor = SYSTEM, due_only: bool = False
) -> list[Invoice]:
    """Finalize the drafts among ``invoices`` (one account, loaded with customer and
    subscription) in one transaction; rows another transaction holds are skipped (it is
    finalizing or editing them). ``due_only``: only auto-advancing drafts whose
    ``automatically_finalizes_at`` has come. Answers the invoices this call finalized, in id
    order."""
    with transaction.atomic():
        invoices = _locked_current(account, invoices, skip_locked=True, status="draft")
        if due_only:
            invoices = [
                invoice
                for invoice in invoices
                if invoice.auto_advance
                and invoice.automatically_finalizes_at is not None
                and invoice.automatically_finalizes_at
                <= clock.now(test_clock_id=invoice.customer.test_clock_id)
            ]
        _finalize_locked(account, invoices, actor)
    return invoices


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
    from apps.collections.attempts import attempts_claim

    with transaction.atomic():
        locked = _locked_current(account, invoices, skip_locked=False)
        failures: dict[str, ApplicationError] = {
            invoice.id: InvalidRequestError(
                f"Invoice {invoice.id} is {invoice.status}, not open.", code="invoice_not_open"
            )
            for invoice in locked
            if invoice.status != "open"
        }
        claims, busy = attempts_claim(
            account=account,
            invoices=[invoice for invoice in locked if invoice.id not in failures],
            trigger=trigger,
        )
    failures.update(busy)
    return locked, claims, failures


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
    from apps.collections.attempts import skips_of
    from apps.customers.models import PaymentMethod
    from apps.payments.services import ChargeRequest, charges_attempt
    from apps.payments.services.charges import card_error

    if claims is None:
        invoices, claims, failures = _payments_claim(account, invoices, trigger)
    else:
        failures = {}
    chosen: dict[str, str | None] = {}
    for invoice in invoices:
        if invoice.id not in claims:
            continue
        chosen[invoice.id] = (
            (invoice.subscription.default_payment_method_id if invoice.subscription else None)
            or invoice.customer.default_payment_method_id
            or invoice.customer.default_source_id
        )
    attempted = [invoice for invoice in invoices if invoice.id in chosen]
    if not attempted:
        return [], failures
    methods = PaymentMethod.objects.in_bulk({pk for pk in chosen.values() if pk})
    skips = skips_of(invoices=attempted, chosen=chosen, methods=methods, trigger=trigger)
    failures.update(skips)
    charging = [invoice for invoice in attempted if invoice.id not in skips]
    outcomes = (
        charges_attempt(
            account=account,
            requests=[
                ChargeRequest(
                    amount=invoice.amount_due,
                    currency=invoice.currency,
                    payment_method=methods[chosen[invoice.id]],
                    customer=invoice.customer,
                    description=f"Invoice {invoice.number}",
                    charge_id=claims[invoice.id].charge_id,
                )
                for invoice in charging
            ],
            actor=actor,
        )
        if charging
        else []
    )
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
    from apps.collections.attempts import Tried, attempts_record, claims_release, counts
    from apps.collections.services import invoices_after_attempts

    with transaction.atomic():
        locked = {
            invoice.id: invoice for invoice in _locked_current(account, invoices, skip_locked=False)
        }
        rows, changes, tried, released = [], [], [], []
        for invoice in invoices:
            row = locked.get(invoice.id)
            if row is None:
                continue
            charge = charges.get(invoice.id)
            if row.status != "open":
                # Settled meanwhile: only a stale claim's recovery finds this (a claimed
                # invoice cannot be paid, voided or credited by anyone else).
                if row.id in claims:
                    released.append(claims[row.id])
                continue
            charge_id = charge.id if charge is not None and charge.pk else ""
            skipped = invoice.id not in charges
            before = row.attempt_count
            counted = counts(trigger=trigger, attempt_count=before, skipped=skipped)
            error = failures.get(row.id)
            tried.append(
                Tried(row, before, counted, methods.get(row.id), charge_id, error, skipped)
            )
            if error is not None and not counted and skipped:
                continue  # nothing happened to the invoice: no event, no change
            row.attempt_count += int(counted)
            row.updated_at = clock.now()
            if error is not None:
                row.charge_id = charge_id or row.charge_id
            else:
                row.status = "paid"
                row.amount_paid = row.amount_due
                row.charge_id = charge_id
                row.paid_at = clock.now(test_clock_id=invoice.customer.test_clock_id)
            rows.append(row)
        exhausted = attempts_record(account=account, tried=tried, trigger=trigger, claims=claims)
        claims_release(released)
        for row in rows:
            data = invoice_render(row)
            if row.status == "paid":
                changes.append(("invoice.paid", "invoice", data, None))
                changes.append(("invoice.payment_succeeded", "invoice", data, None))
            else:
                changes.append(("invoice.payment_failed", "invoice", data, None))
        rows_update(
            Invoice,
            rows,
            [
                "attempt_count",
                "status",
                "amount_paid",
                "charge_id",
                "paid_at",
                "next_payment_attempt",
                "updated_at",
            ],
        )
        changes_record(account=account, actor=actor, changes=changes)
    recovered = [
        row
        for row in rows
        if row.status == "paid"
        and row.subscription_id
        and row.subscription.status in ("past_due", "unpaid", "incomplete")
    ]
    if recovered or exhausted:
        invoices_after_attempts(
            account=account,
            paid=recovered,
            exhausted=[row for row in rows if row.id in set(exhausted)],
            actor=actor,
        )
    return rows


def payment_in_progress_refuse(invoice: Invoice) -> None:
    from apps.collections.attempts import payment_in_progress_refuse as refuse

    refuse(invoice)


def _locked_invoice(account, invoice_id: str) -> Invoice:
    invoice = row_lock(
        Invoice.objects.select_related("account").filter(account=account, id=invoice_id)
    )
    if invoice is None:
        raise ResourceMissingError("invoice", invoice_id)
    return invoice


def invoice_void(*, account, invoice_id: str, actor: Actor) -> Invoice:
    """An open (or uncollectible) invoice is voided: it stays, numbered, and is never collected."""
    with transaction.atomic():
        invoice = _locked_invoice(account, invoice_id)
        payment_in_progress_refuse(invoice)
        if invoice.status not in ("open", "uncollectible"):
            raise InvalidRequestError(
                f"Only an open or uncollectible invoice can be voided; it is {invoice.status}.",
                code="invoice_not_open",
            )
        invoice.status = "void"
        invoice.voided_at = clock.now()
        invoice.save(update_fields=["status", "voided_at", "updated_at"])
        _record(invoice, "invoice.voided", actor)
    return invoice


def invoice_mark_uncollectible(*, account, invoice_id: str, actor: Actor) -> Invoice:
    with transaction.atomic():
        invoice = _locked_invoice(account, invoice_id)
        payment_in_progress_refuse(invoice)
        if invoice.status != "open":
            raise InvalidRequestError(
                f"Only an open invoice can be marked uncollectible; this one is {invoice.status}.",
                code="invoice_not_open",
            )
        invoice.status = "uncollectible"
        invoice.save(update_fields=["status", "updated_at"])
        _record(invoice, "invoice.marked_uncollectible", actor)
    return invoice


def invoice_delete_draft(*, account, invoice_id: str, actor: Actor) -> str:
    """A draft disappears; its pending items go back to waiting for the next invoice."""
    with transaction.atomic():
        invoice = _locked_invoice(account, invoice_id)
        if invoice.status != "draft":
            raise InvalidRequestError(
                "Only draft invoices can be deleted; void a finalized one instead.",
                code="invoice_not_editable",
            )
        InvoiceItem.objects.filter(invoice=invoice).update(invoice=None)
        data = invoice_render(invoice)
        invoice.delete()
        change_record(
            account=account,
            actor=actor,
            type="invoice.deleted",
            object_type="invoice",
            data_object=data,
        )
    return invoice_id


def invoice_item_render(item: InvoiceItem) -> dict:
    return {
        "id": item.id,
        "object": "invoiceitem",
        "amount": item.amount,
        "currency": item.currency,
        "customer": item.customer_id,
        "date": clock.to_epoch(item.created_at),
        "description": item.description or None,
        "invoice": item.invoice_id,
        "metadata": item.metadata,
        "period": {
            "start": clock.to_epoch(item.period_start),
            "end": clock.to_epoch(item.period_end),
        },
        "pricing": (
            {"price_details": {"price": item.price_id}, "type": "price_details"}
            if item.price_id
            else None
        ),
        "proration": item.proration,
        "quantity": item.quantity,
        "subscription": item.subscription_id,
    }
