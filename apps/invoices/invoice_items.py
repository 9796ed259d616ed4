"""Invoice items: one-off charges (or credits, when negative) waiting for the customer's next
invoice, or added straight to a draft. An item on a draft changes, and leaves, with the draft's
totals recomputed; an item on a finalized invoice is fixed."""

from datetime import datetime
from decimal import Decimal

from django.db import transaction

from apps.accounts.audit import change_record, previous_of
from apps.accounts.models import Account
from apps.catalog.models import Price
from apps.catalog.selectors import tax_rates_applicable
from apps.core import clock, money
from apps.core.actor import Actor
from apps.core.api.params import metadata_merge
from apps.core.errors import ApplicationError, InvalidRequestError, ResourceMissingError
from apps.core.locks import row_lock
from apps.customers.models import Customer
from apps.invoices.drafts import (
    draft_changed,
    invoice_item_record,
    invoice_locked,
    item_terms,
    lines_limit_check,
)
from apps.invoices.models import Invoice, InvoiceItem
from apps.invoices.services import invoice_item_render, invoice_render


def _editable_draft(invoice: Invoice) -> None:
    if invoice.status != "draft":
        raise InvalidRequestError(
            f"Invoice {invoice.id} is {invoice.status}; items can be added to, changed on or "
            "removed from drafts only.",
            param="invoice",
            code="invoice_not_editable",
        )


def _draft_locked(account: Account, invoice_id: str, *, customer, subscription, currency):
    """The draft a new item goes on, locked: the given customer's, subscription's and currency's
    (when given), editable and with room for one more line."""
    invoice = invoice_locked(account, invoice_id, param="invoice")
    if customer is not None and invoice.customer_id != customer.id:
        raise InvalidRequestError(
            f"Invoice {invoice.id} belongs to another customer.", param="invoice"
        )
    if subscription is not None and subscription.id != invoice.subscription_id:
        raise InvalidRequestError(
            f"Invoice {invoice.id} is not an invoice of {subscription.id}.",
            param="subscription",
        )
    if currency and currency != invoice.currency:
        raise InvalidRequestError(
            f"Invoice {invoice.id} is in {invoice.currency}.", param="currency"
        )
    _editable_draft(invoice)
    lines_limit_check(invoice, 1)
    return invoice


def invoice_item_create(
    *,
    account: Account,
    actor: Actor,
    customer: Customer | None = None,
    invoice_id: str | None = None,
    amount: int | None = None,
    unit_amount: Decimal | None = None,
    price: Price | None = None,
    quantity: int = 1,
    currency: str | None = None,
    description: str = "",
    subscription=None,
    metadata: dict | None = None,
    tax_rates: list[str] | None = None,
) -> InvoiceItem:
    """An item for the customer's next invoice (of ``subscription``'s, when given), or on the
    draft ``invoice_id`` (its customer's, in its currency), whose totals are recomputed; its
    own ``tax_rates`` (the account's active rates) override the invoice's defaults."""
    tax_rates = tax_rates_applicable(account=account, ids=tax_rates or [], param="tax_rates")
    if customer is None and not invoice_id:
        raise InvalidRequestError(
            "Missing required param: customer.", param="customer", code="parameter_missing"
        )
    if currency:
        try:
            currency = money.currency_normalize(currency)
        except money.MoneyError as exc:
            raise InvalidRequestError("Invalid currency.", param="currency") from exc
    with transaction.atomic():
        invoice = None
        before = None
        if invoice_id:
            invoice = _draft_locked(
                account, invoice_id, customer=customer, subscription=subscription, currency=currency
            )
            before = invoice_render(invoice)
            customer = invoice.customer
            currency = invoice.currency
            subscription_id = invoice.subscription_id
        else:
            currency = currency or (price.currency if price is not None else None)
            if not currency:
                raise InvalidRequestError(
                    "Missing required param: currency.", param="currency", code="parameter_missing"
                )
            if subscription is not None and subscription.currency != currency:
                raise InvalidRequestError(
                    "The item's currency must be the subscription's.", param="currency"
                )
            subscription_id = subscription.id if subscription else None
        now = clock.now(test_clock_id=customer.test_clock_id)
        terms = item_terms(
            currency=currency,
            on=now,
            price=price,
            quantity=quantity,
            amount=amount,
            unit_amount=unit_amount,
        )
        item = InvoiceItem.objects.create(
            account=account,
            customer=customer,
            subscription_id=subscription_id,
            price_id=terms.price_id,
            amount=terms.amount,
            currency=currency,
            quantity=terms.quantity,
            period_start=now,
            period_end=now,
            description=description or terms.description,
            invoice=invoice,
            metadata=metadata or {},
            tax_rates=tax_rates,
            created_at=now,
        )
        invoice_item_record(item, "invoiceitem.created", actor)
        if invoice is not None:
            draft_changed(invoice, before=before, actor=actor)
    return item


def _item_locked(account: Account, item_id: str) -> tuple[InvoiceItem, Invoice | None]:
    """The item and its draft (if on one), locked draft first, as every draft change does."""
    found = list(
        InvoiceItem.objects.filter(account=account, id=item_id).values_list("invoice_id", flat=True)
    )
    if not found:
        raise ResourceMissingError("invoiceitem", item_id)
    invoice = invoice_locked(account, found[0], param="invoice") if found[0] else None
    item = row_lock(
        InvoiceItem.objects.select_related("account", "customer").filter(
            account=account, id=item_id
        )
    )
    if item is None:
        raise ResourceMissingError("invoiceitem", item_id)
    if item.invoice_id != (invoice.id if invoice else None):
        raise ApplicationError(
            "The invoice item changed while this request ran; retry it.",
            code="lock_timeout",
            http_status=409,
        )
    if invoice is not None:
        _editable_draft(invoice)
    return item, invoice


def _repriced(
    item: InvoiceItem,
    *,
    on: datetime,
    amount: int | None,
    unit_amount: Decimal | None,
    price: Price | None,
    quantity: int | None,
):
    """The item's new terms: a new amount (one unit), unit amount or price, or only a new
    quantity of its price or of its unit amount."""
    if item.proration:
        raise InvalidRequestError(
            "A proration's amount and quantity can't be changed.", param="amount"
        )
    if amount is None and unit_amount is None and price is None:
        if item.price_id:
            price = (
                Price.objects.select_related("product", "account")
                .filter(account_id=item.account_id, id=item.price_id)
                .first()
            )
        elif item.amount % item.quantity:
            raise InvalidRequestError(
                "This item's amount is not a whole number of units; pass its new amount.",
                param="quantity",
            )
        else:
            unit_amount = Decimal(item.amount // item.quantity)
    if quantity is None:
        quantity = 1 if amount is not None else item.quantity
    return item_terms(
        currency=item.currency,
        on=on,
        price=price,
        quantity=quantity,
        amount=amount,
        unit_amount=unit_amount,
    )


def invoice_item_update(
    *,
    account: Account,
    item_id: str,
    actor: Actor,
    amount: int | None = None,
    unit_amount: Decimal | None = None,
    price: Price | None = None,
    quantity: int | None = None,
    description: str | None = None,
    metadata: dict | None = None,
    tax_rates: list[str] | None = None,
) -> InvoiceItem:
    """Change a pending item, or an item on a draft (whose totals follow). ``None`` leaves a
    field as it is; ``amount`` makes the item a single unit of that amount; ``tax_rates`` (the
    account's active rates, [] for none) replace the item's own."""
    if tax_rates is not None:
        tax_rates = tax_rates_applicable(account=account, ids=tax_rates, param="tax_rates")
    with transaction.atomic():
        item, invoice = _item_locked(account, item_id)
        before = invoice_item_render(item)
        invoice_before = invoice_render(invoice) if invoice is not None else None
        if any(value is not None for value in (amount, unit_amount, price, quantity)):
            terms = _repriced(
                item,
                on=clock.now(test_clock_id=item.customer.test_clock_id),
                amount=amount,
                unit_amount=unit_amount,
                price=price,
                quantity=quantity,
            )
            item.amount, item.quantity, item.price_id = terms.amount, terms.quantity, terms.price_id
        if description is not None:
            item.description = description
        if tax_rates is not None:
            item.tax_rates = tax_rates
        item.metadata = metadata_merge(item.metadata, metadata)
        item.save()
        previous = previous_of(before, invoice_item_render(item))
        if previous:
            invoice_item_record(item, "invoiceitem.updated", actor, previous=previous)
        if invoice is not None:
            draft_changed(invoice, before=invoice_before, actor=actor)
    return item


def invoice_item_delete(*, account: Account, item_id: str, actor: Actor) -> str:
    """A pending item, or one on a draft (which is recomputed), is deleted."""
    with transaction.atomic():
        item, invoice = _item_locked(account, item_id)
        invoice_before = invoice_render(invoice) if invoice is not None else None
        data = invoice_item_render(item)
        item.delete()
        change_record(
            account=account,
            actor=actor,
            type="invoiceitem.deleted",
            object_type="invoiceitem",
            data_object=data,
        )
        if invoice is not None:
            draft_changed(invoice, before=invoice_before, actor=actor)
    return item_id
