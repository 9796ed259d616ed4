"""Invoices: built from the planner's lines, numbered gaplessly, finalized, paid.

Payment happens outside any transaction (apps.payments two-phase charges); every state change
records its event in the transaction that makes it.
"""

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction

from apps.accounts.audit import change_record
from apps.catalog.models import Price
from apps.catalog.selectors import price_amount
from apps.core import clock, money
from apps.core.actor import SYSTEM, Actor
from apps.core.errors import ApplicationError, InvalidRequestError, ResourceMissingError
from apps.core.ids import new_secret
from apps.customers.enums import BalanceTransactionType
from apps.customers.selectors import customer_balance
from apps.customers.services import customer_balance_adjust
from apps.invoices.discounts import discount_amounts, discount_in_force, discount_used
from apps.invoices.documents import hosted_invoice_url, invoice_pdf_url
from apps.invoices.engine.planner import TRIAL_REMAINDER, ItemTerms, Line
from apps.invoices.models import Invoice, InvoiceItem, InvoiceLine, InvoiceNumberSequence
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


def item_terms(item: SubscriptionItem, *, currency: str, on: datetime) -> ItemTerms:
    """What the planner needs of an item: its whole-period amount at its quantity."""
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
    )


def invoice_render(invoice: Invoice) -> dict:
    return {
        "id": invoice.id,
        "object": "invoice",
        "amount_due": invoice.amount_due,
        "amount_paid": invoice.amount_paid,
        "amount_remaining": invoice.amount_due - invoice.amount_paid,
        "billing_reason": invoice.billing_reason,
        "collection_method": invoice.collection_method,
        "created": clock.to_epoch(invoice.created_at),
        "currency": invoice.currency,
        "customer": invoice.customer_id,
        "due_date": clock.to_epoch(invoice.due_date),
        "ending_balance": invoice.ending_balance,
        "hosted_invoice_url": hosted_invoice_url(invoice),
        "invoice_pdf": invoice_pdf_url(invoice),
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


def invoice_from_lines(
    *,
    subscription: Subscription,
    lines: list[Line],
    period: tuple[datetime, datetime],
    billing_reason: str,
    actor: Actor = SYSTEM,
    include_pending: bool = True,
) -> Invoice | None:
    """A draft invoice of the planner's lines plus the customer's pending items.

    Runs inside the caller's transaction (which locked the subscription). A zero-total invoice
    is not created unless the account asks for them. Raises AlreadyInvoiced when a line's key
    was billed before."""
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
        hosted_token=new_secret(32),
        created_at=now,
    )
    rows = [
        InvoiceLine(
            account=account,
            invoice=invoice,
            subscription_item_id=line.item_id,
            price_id=line.price_id,
            kind=line.kind,
            period_start=line.period_start,
            period_end=line.period_end,
            amount=line.amount,
            currency=subscription.currency,
            quantity=line.quantity,
            proration=line.proration,
            description=line.description,
        )
        for line in lines
    ] + [
        InvoiceLine(
            account=account,
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


def _next_number(account) -> str:
    sequence, _ = InvoiceNumberSequence.objects.select_for_update().get_or_create(account=account)
    number = sequence.next_number
    sequence.next_number += 1
    sequence.save(update_fields=["next_number"])
    prefix = account.id.split("_", 1)[1][:8].upper()
    return f"{prefix}-{number:04d}"


def invoice_finalize(*, invoice_id: str, account, actor: Actor = SYSTEM) -> Invoice:
    """Number the invoice (gapless, under a lock) and apply the customer's credit balance."""
    with transaction.atomic():
        invoice = (
            Invoice.objects.select_for_update(of=("self",))
            .select_related("customer", "account", "subscription")
            .get(account=account, id=invoice_id)
        )
        if invoice.status != "draft":
            raise InvalidRequestError(
                f"Invoice {invoice.id} is {invoice.status}; only drafts can be finalized.",
                code="invoice_not_editable",
            )
        invoice.number = _next_number(account)
        balance = customer_balance(invoice.customer)
        invoice.starting_balance = balance
        applied = 0
        if balance < 0 and invoice.total > 0:
            applied = min(-balance, invoice.total)
            customer_balance_adjust(
                account=account,
                customer=invoice.customer,
                amount=applied,
                currency=invoice.currency,
                actor=actor,
                type=BalanceTransactionType.APPLIED_TO_INVOICE,
                invoice_id=invoice.id,
            )
        invoice.ending_balance = balance + applied
        invoice.amount_due = invoice.total - applied
        invoice.status = "paid" if invoice.amount_due == 0 else "open"
        invoice.finalized_at = clock.now(test_clock_id=invoice.customer.test_clock_id)
        if invoice.collection_method == "send_invoice" and invoice.subscription_id:
            days = invoice.subscription.days_until_due or 0
            invoice.due_date = invoice.finalized_at + timedelta(days=days)
        if invoice.status == "paid":
            invoice.paid_at = invoice.finalized_at
        invoice.save()
        _record(invoice, "invoice.finalized", actor)
        if invoice.status == "paid":
            _record(invoice, "invoice.paid", actor)
    return invoice


def invoice_pay(*, invoice_id: str, account, actor: Actor = SYSTEM) -> Invoice:
    """Charge the invoice's customer (subscription default, then the customer's defaults)."""
    from apps.payments.services import ChargeRequest, charge_create

    invoice = Invoice.objects.select_related("customer", "subscription").get(
        account=account, id=invoice_id
    )
    if invoice.status != "open":
        raise InvalidRequestError(
            f"Invoice {invoice.id} is {invoice.status}, not open.", code="invoice_not_open"
        )
    customer = invoice.customer
    method = (
        (invoice.subscription.default_payment_method if invoice.subscription else None)
        or customer.default_payment_method
        or customer.default_source
    )
    if method is None:
        raise InvalidRequestError(
            "The customer has no payment method to charge.", code="invoice_no_payment_method"
        )
    failure = None
    charge = None
    try:
        charge = charge_create(
            account=account,
            request=ChargeRequest(
                amount=invoice.amount_due,
                currency=invoice.currency,
                payment_method=method,
                customer=customer,
                description=f"Invoice {invoice.number}",
            ),
            actor=actor,
        )
    except ApplicationError as error:
        failure = error
    with transaction.atomic():
        invoice = (
            Invoice.objects.select_for_update(of=("self",))
            .select_related("account")
            .get(pk=invoice.pk)
        )
        invoice.attempt_count += 1
        if failure is None:
            invoice.status = "paid"
            invoice.amount_paid = invoice.amount_due
            invoice.charge_id = charge.id
            invoice.paid_at = clock.now(test_clock_id=customer.test_clock_id)
            invoice.save()
            _record(invoice, "invoice.paid", actor)
            _record(invoice, "invoice.payment_succeeded", actor)
        else:
            invoice.charge_id = failure.extra.get("charge") or invoice.charge_id
            invoice.save()
            _record(invoice, "invoice.payment_failed", actor)
    if failure is not None:
        raise failure
    return invoice


def _locked_invoice(account, invoice_id: str) -> Invoice:
    invoice = (
        Invoice.objects.select_for_update(of=("self",))
        .select_related("account")
        .filter(account=account, id=invoice_id)
        .first()
    )
    if invoice is None:
        raise ResourceMissingError("invoice", invoice_id)
    return invoice


def invoice_void(*, account, invoice_id: str, actor: Actor) -> Invoice:
    """An open (or uncollectible) invoice is voided: it stays, numbered, and is never collected."""
    with transaction.atomic():
        invoice = _locked_invoice(account, invoice_id)
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
        "proration": item.proration,
        "quantity": item.quantity,
        "subscription": item.subscription_id,
    }


def invoice_item_create(
    *,
    account,
    customer,
    amount: int,
    currency: str,
    description: str,
    actor: Actor,
    subscription: Subscription | None = None,
    metadata: dict | None = None,
) -> InvoiceItem:
    """A one-off charge (or credit, when negative) waiting for the customer's next invoice."""
    try:
        currency = money.currency_normalize(currency)
    except money.MoneyError as exc:
        raise InvalidRequestError("Missing or invalid currency.", param="currency") from exc
    if subscription is not None and subscription.currency != currency:
        raise InvalidRequestError(
            "The item's currency must be the subscription's.", param="currency"
        )
    now = clock.now(test_clock_id=customer.test_clock_id)
    with transaction.atomic():
        item = InvoiceItem.objects.create(
            account=account,
            customer=customer,
            subscription_id=subscription.id if subscription else None,
            amount=amount,
            currency=currency,
            period_start=now,
            period_end=now,
            description=description,
            metadata=metadata or {},
            created_at=now,
        )
        change_record(
            account=account,
            actor=actor,
            type="invoiceitem.created",
            object_type="invoiceitem",
            data_object=invoice_item_render(item),
        )
    return item


def invoice_item_delete(*, account, item_id: str, actor: Actor) -> str:
    with transaction.atomic():
        item = InvoiceItem.objects.select_for_update().filter(account=account, id=item_id).first()
        if item is None:
            raise ResourceMissingError("invoiceitem", item_id)
        if item.invoice_id is not None:
            raise InvalidRequestError(
                "This invoice item is already on an invoice.", code="invoice_not_editable"
            )
        data = invoice_item_render(item)
        item.delete()
        change_record(
            account=account,
            actor=actor,
            type="invoiceitem.deleted",
            object_type="invoiceitem",
            data_object=data,
        )
    return item_id
