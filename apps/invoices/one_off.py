"""One-off invoices (``POST /v1/invoices``) and changes to invoices (``POST /v1/invoices/:id``).

A draft is fully editable; a finalized invoice keeps its amounts and collection terms and takes
only a new description, footer, metadata or (while open) ``auto_advance``, as Stripe's does.
Parameters arrive in Stripe's shape, from the API or built by the dashboard's forms.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction

from apps.accounts.audit import change_record, previous_of
from apps.accounts.models import Account
from apps.catalog.models import Price
from apps.core import clock
from apps.core.actor import Actor
from apps.core.api.params import (
    get_bool,
    get_metadata,
    get_str,
    metadata_merge,
)
from apps.core.errors import InvalidRequestError, ResourceMissingError
from apps.core.ids import new_secret
from apps.core.locks import rows_lock
from apps.customers.models import Customer
from apps.customers.selectors import customer_get
from apps.invoices.discounts import discount_used
from apps.invoices.drafts import (
    MAX_LINES,
    draft_changed,
    invoice_item_record,
    invoice_locked,
    invoice_totals_recompute,
    item_terms,
)
from apps.invoices.invoice_params import (
    INHERIT,
    auto_finalize_params,
    collection_params,
    currency_of,
    discount_of,
    discount_param,
)
from apps.invoices.models import Invoice, InvoiceItem
from apps.invoices.selectors import subscription_of_account
from apps.invoices.services import invoice_render

# What a finalized invoice still takes; ``auto_advance`` only while it is open.
FINALIZED_EDITABLE = frozenset({"description", "footer", "metadata", "auto_advance"})


@dataclass(frozen=True)
class NewItem:
    """An item the dashboard's new-invoice form adds: a unit amount or a one-time price, and a
    quantity of it."""

    description: str = ""
    unit_amount: int | None = None
    price: Price | None = None
    quantity: int = 1


# --- services ---


def _customer_and_subscription(account: Account, params: dict[str, Any]):
    """The invoice's customer and, when named, the customer's subscription it belongs to."""
    customer_id = get_str(params, "customer", required=True, max_length=64)
    customer = customer_get(account=account, customer_id=customer_id)
    if customer is None:
        raise ResourceMissingError("customer", customer_id, param="customer")
    subscription = None
    subscription_id = get_str(params, "subscription", max_length=64)
    if subscription_id:
        subscription = subscription_of_account(
            account=account, subscription_id=subscription_id, customer=customer
        )
        if subscription is None:
            raise ResourceMissingError("subscription", subscription_id, param="subscription")
    return customer, subscription


def _items_priced(items: Sequence[NewItem], *, currency: str, on: datetime) -> list[tuple]:
    """The new items priced (terms, description), before anything is written."""
    return [
        (
            item_terms(
                price=item.price,
                quantity=item.quantity,
                unit_amount=None if item.unit_amount is None else Decimal(item.unit_amount),
                currency=currency,
                on=on,
                param=f"items[{index}]",
            ),
            item.description,
        )
        for index, item in enumerate(items)
    ]


def _pending_locked(customer: Customer, subscription, currency: str) -> list[InvoiceItem]:
    """The customer's pending items in ``currency`` (of ``subscription``, else of none),
    locked until the new draft takes them."""
    (items,) = rows_lock(
        InvoiceItem.objects.filter(
            account_id=customer.account_id,
            customer=customer,
            invoice__isnull=True,
            currency=currency,
            subscription_id=subscription.id if subscription else None,
        )
    )
    return items


def _items_create(invoice: Invoice, priced: list[tuple], *, at: datetime, actor: Actor) -> None:
    """The priced new items, on the new draft."""
    for terms, description in priced:
        item = InvoiceItem.objects.create(
            account=invoice.account,
            customer=invoice.customer,
            subscription_id=invoice.subscription_id,
            price_id=terms.price_id,
            amount=terms.amount,
            currency=invoice.currency,
            quantity=terms.quantity,
            period_start=at,
            period_end=at,
            description=description or terms.description,
            invoice=invoice,
            created_at=at,
        )
        invoice_item_record(item, "invoiceitem.created", actor)


def invoice_create(
    *, account: Account, params: dict[str, Any], actor: Actor, items: Sequence[NewItem] = ()
) -> Invoice:
    """A draft invoice for a customer (``billing_reason=manual``), with the customer's pending
    items if ``pending_invoice_items_behavior=include`` (those of ``subscription`` when given,
    else those of no subscription) and, from the dashboard, new ``items``; nothing is written
    unless all of it is."""
    customer, subscription = _customer_and_subscription(account, params)
    currency = currency_of(params, customer=customer, subscription=subscription)
    now = clock.now(test_clock_id=customer.test_clock_id)
    method, due = collection_params(
        params, now=now, start=now, method="charge_automatically", due=None
    )
    # Stripe: one-off invoices made through the API do not auto-advance unless asked to.
    auto_advance, finalizes_at = auto_finalize_params(params, now=now, auto_advance=False, at=None)
    include = (
        get_str(params, "pending_invoice_items_behavior", choices=["exclude", "include"])
        == "include"
    )
    choice = discount_param(params)
    # Items are priced before anything is written; an error leaves nothing behind.
    priced = _items_priced(items, currency=currency, on=now)
    with transaction.atomic():
        pending = _pending_locked(customer, subscription, currency) if include else []
        if len(pending) + len(priced) > MAX_LINES:
            raise InvalidRequestError(
                f"An invoice has at most {MAX_LINES} lines.", code="invoice_too_large"
            )
        discount = discount_of(
            choice,
            account=account,
            customer=customer,
            subscription=subscription,
            currency=currency,
            at=now,
        )
        invoice = Invoice.objects.create(
            account=account,
            customer=customer,
            subscription=subscription,
            status="draft",
            billing_reason="manual",
            currency=currency,
            period_start=min([now, *(item.created_at for item in pending)]),
            period_end=now,
            discount=discount,
            collection_method=method,
            due_date=due,
            auto_advance=auto_advance,
            automatically_finalizes_at=finalizes_at,
            description=get_str(params, "description", max_length=1500) or "",
            footer=get_str(params, "footer", max_length=5000) or "",
            metadata=get_metadata(params) or {},
            hosted_token=new_secret(32),
            created_at=now,
        )
        InvoiceItem.objects.filter(pk__in=[item.pk for item in pending]).update(invoice=invoice)
        _items_create(invoice, priced, at=now, actor=actor)
        invoice_totals_recompute(invoice)
        if discount is not None and choice == INHERIT:
            discount_used(discount, now)
        change_record(
            account=account,
            actor=actor,
            type="invoice.created",
            object_type="invoice",
            data_object=invoice_render(invoice),
        )
    return invoice


def invoice_update(
    *, account: Account, invoice_id: str, params: dict[str, Any], actor: Actor
) -> Invoice:
    """A draft takes any of the create fields but its customer, subscription and currency; a
    finalized invoice only ``FINALIZED_EDITABLE``, and ``auto_advance`` only while open."""
    with transaction.atomic():
        invoice = invoice_locked(account, invoice_id)
        before = invoice_render(invoice)
        now = clock.now(test_clock_id=invoice.customer.test_clock_id)
        if invoice.status != "draft":
            _finalized_check(invoice, params)
        else:
            invoice.collection_method, invoice.due_date = collection_params(
                params,
                now=now,
                start=invoice.created_at,
                method=invoice.collection_method,
                due=invoice.due_date,
            )
            invoice.auto_advance, invoice.automatically_finalizes_at = auto_finalize_params(
                params,
                now=now,
                auto_advance=invoice.auto_advance,
                at=invoice.automatically_finalizes_at,
            )
            choice = discount_param(params)
            if choice != INHERIT:
                invoice.discount = discount_of(
                    choice,
                    account=account,
                    customer=invoice.customer,
                    subscription=invoice.subscription,
                    currency=invoice.currency,
                    at=now,
                    current=invoice.discount,
                )
        if invoice.status == "open" and "auto_advance" in params:
            invoice.auto_advance = get_bool(params, "auto_advance", default=invoice.auto_advance)
        if "description" in params:
            invoice.description = get_str(params, "description", max_length=1500) or ""
        if "footer" in params:
            invoice.footer = get_str(params, "footer", max_length=5000) or ""
        invoice.metadata = metadata_merge(invoice.metadata, get_metadata(params))
        invoice.save()
        if invoice.status == "draft":
            draft_changed(invoice, before=before, actor=actor)
            return invoice
        after = invoice_render(invoice)
        previous = previous_of(before, after)
        if previous:
            change_record(
                account=account,
                actor=actor,
                type="invoice.updated",
                object_type="invoice",
                data_object=after,
                previous=previous,
            )
    return invoice


def _finalized_check(invoice: Invoice, params: dict[str, Any]) -> None:
    for name in params:
        if name == "expand":
            continue
        if name not in FINALIZED_EDITABLE:
            raise InvalidRequestError(
                f"You can't change {name} of invoice {invoice.id}: it is {invoice.status}. "
                "A finalized invoice takes only description, footer, metadata and, while open, "
                "auto_advance.",
                param=name,
                code="invoice_not_editable",
            )
    if "auto_advance" in params and invoice.status != "open":
        raise InvalidRequestError(
            f"auto_advance can't be changed on a {invoice.status} invoice.",
            param="auto_advance",
            code="invoice_not_editable",
        )
