"""One-off invoices (``POST /v1/invoices``) and changes to invoices (``POST /v1/invoices/:id``).

A draft is fully editable; a finalized invoice keeps its amounts and collection terms and takes
only a new description, footer, metadata or (while open) ``auto_advance``, as Stripe's does.
The services take an ``InvoiceDraft`` or ``InvoiceChanges``: the API parses them from Stripe's
wire format (apps.invoices.api.params), the dashboard's form builds them.
"""

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from decimal import Decimal

from django.db import transaction

from apps.accounts.audit import change_record, previous_of
from apps.accounts.models import Account
from apps.catalog.models import Price
from apps.catalog.selectors import tax_rates_applicable
from apps.core import clock
from apps.core.actor import Actor
from apps.core.api.params import metadata_merge
from apps.core.errors import InvalidRequestError, ResourceMissingError
from apps.core.ids import new_secret
from apps.core.locks import rows_lock
from apps.core.unset import UNSET, Unset
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
from apps.invoices.engine.staging import stages_recorded
from apps.invoices.invoice_terms import (
    INHERIT,
    DiscountChoice,
    Inherit,
    auto_finalize_terms,
    collection_terms,
    currency_of,
    discount_of,
)
from apps.invoices.models import Invoice, InvoiceItem
from apps.invoices.selectors import subscription_of_account
from apps.invoices.services import invoice_render
from apps.invoices.stage_choices import waived_stages_take

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


@dataclass(frozen=True)
class InvoiceDraft:
    """A new one-off draft. None: not given (the customer's currency, ``charge_automatically``,
    no auto-advance); ``discounts`` is ``INHERIT`` (the customer's discount in force), None (no
    discount) or a ``DiscountChoice``; ``include_pending`` takes the customer's pending items;
    ``items`` are new items (from the dashboard)."""

    customer_id: str
    subscription_id: str | None = None
    currency: str | None = None
    collection_method: str | None = None
    days_until_due: int | None = None
    due_date: datetime | None = None
    auto_advance: bool | None = None
    automatically_finalizes_at: datetime | None = None
    include_pending: bool = False
    discounts: DiscountChoice | Inherit | None = INHERIT
    description: str = ""
    footer: str = ""
    metadata: dict[str, str] | None = None
    items: Sequence[NewItem] = ()
    # Tax rate ids applying to every line without its own.
    default_tax_rates: list[str] | None = None


@dataclass(frozen=True)
class InvoiceChanges:
    """What an invoice update changes: each field left ``UNSET`` is not given. On a draft None
    keeps the value as not given does, but for ``discounts`` (None: no discount) and the
    ``metadata`` merge (``metadata_merge``); a finalized invoice refuses any given field but
    ``FINALIZED_EDITABLE``. Field names are the API's parameter names."""

    collection_method: str | None | Unset = UNSET
    days_until_due: int | None | Unset = UNSET
    due_date: datetime | None | Unset = UNSET
    auto_advance: bool | None | Unset = UNSET
    automatically_finalizes_at: datetime | None | Unset = UNSET
    discounts: DiscountChoice | None | Unset = UNSET
    description: str | Unset = UNSET
    footer: str | Unset = UNSET
    metadata: dict[str, str] | None | Unset = UNSET
    default_tax_rates: list[str] | None | Unset = UNSET


def _given(value):
    """``value``, or None when it is ``UNSET``."""
    return None if value is UNSET else value


# --- services ---


def _customer_and_subscription(account: Account, draft: InvoiceDraft):
    """The invoice's customer and, when named, the customer's subscription it belongs to."""
    customer_id = draft.customer_id
    customer = customer_get(account=account, customer_id=customer_id)
    if customer is None:
        raise ResourceMissingError("customer", customer_id, param="customer")
    subscription = None
    subscription_id = draft.subscription_id
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


def _new_terms(draft: InvoiceDraft, now: datetime) -> tuple:
    """A new draft's collection method and due date, ``auto_advance`` and when it finalizes."""
    method, due = collection_terms(
        method=draft.collection_method,
        days_until_due=draft.days_until_due,
        due_date=draft.due_date,
        now=now,
        start=now,
        current_method="charge_automatically",
        current_due=None,
    )
    # Stripe: one-off invoices made through the API do not auto-advance unless asked to.
    auto_advance, finalizes_at = auto_finalize_terms(
        wanted=draft.auto_advance,
        moment=draft.automatically_finalizes_at,
        now=now,
        auto_advance=False,
        at=None,
    )
    return method, due, auto_advance, finalizes_at


def invoice_create(*, account: Account, draft: InvoiceDraft, actor: Actor) -> Invoice:
    """A draft invoice for a customer (``billing_reason=manual``), with the customer's pending
    items if ``include_pending`` (those of the subscription when given, else those of no
    subscription) and the draft's new ``items``; nothing is written unless all of it is."""
    customer, subscription = _customer_and_subscription(account, draft)
    currency = currency_of(draft.currency, customer=customer, subscription=subscription)
    now = clock.now(test_clock_id=customer.test_clock_id)
    method, due, auto_advance, finalizes_at = _new_terms(draft, now)
    choice = draft.discounts
    # Items are priced before anything is written; an error leaves nothing behind.
    priced = _items_priced(draft.items, currency=currency, on=now)
    with transaction.atomic():
        include = draft.include_pending
        # The subscription's records before its pending items (the global lock order).
        waived = waived_stages_take(subscription) if include and subscription else {}
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
            description=draft.description,
            footer=draft.footer,
            metadata=draft.metadata or {},
            default_tax_rates=tax_rates_applicable(
                account=account, ids=draft.default_tax_rates or [], param="default_tax_rates"
            ),
            hosted_token=new_secret(32),
            created_at=now,
            stages=stages_recorded(
                [record for item in pending for record in item.stages.items()]
                + list(waived.items())
            ),
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
    *, account: Account, invoice_id: str, changes: InvoiceChanges, actor: Actor
) -> Invoice:
    """A draft takes any of the create fields but its customer, subscription and currency; a
    finalized invoice only ``FINALIZED_EDITABLE``, and ``auto_advance`` only while open."""
    with transaction.atomic():
        invoice = invoice_locked(account, invoice_id)
        before = invoice_render(invoice)
        now = clock.now(test_clock_id=invoice.customer.test_clock_id)
        if invoice.status != "draft":
            _finalized_check(invoice, changes)
        else:
            invoice.collection_method, invoice.due_date = collection_terms(
                method=_given(changes.collection_method),
                days_until_due=_given(changes.days_until_due),
                due_date=_given(changes.due_date),
                now=now,
                start=invoice.created_at,
                current_method=invoice.collection_method,
                current_due=invoice.due_date,
            )
            invoice.auto_advance, invoice.automatically_finalizes_at = auto_finalize_terms(
                wanted=_given(changes.auto_advance),
                moment=_given(changes.automatically_finalizes_at),
                now=now,
                auto_advance=invoice.auto_advance,
                at=invoice.automatically_finalizes_at,
            )
            if changes.discounts is not UNSET:
                invoice.discount = discount_of(
                    changes.discounts,
                    account=account,
                    customer=invoice.customer,
                    subscription=invoice.subscription,
                    currency=invoice.currency,
                    at=now,
                    current=invoice.discount,
                )
            if changes.default_tax_rates is not UNSET:
                invoice.default_tax_rates = tax_rates_applicable(
                    account=account,
                    ids=changes.default_tax_rates or [],
                    param="default_tax_rates",
                )
        if invoice.status == "open" and _given(changes.auto_advance) is not None:
            invoice.auto_advance = changes.auto_advance
        if changes.description is not UNSET:
            invoice.description = changes.description
        if changes.footer is not UNSET:
            invoice.footer = changes.footer
        invoice.metadata = metadata_merge(invoice.metadata, _given(changes.metadata))
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


def _finalized_check(invoice: Invoice, changes: InvoiceChanges) -> None:
    given = [field.name for field in fields(changes) if getattr(changes, field.name) is not UNSET]
    for name in given:
        if name not in FINALIZED_EDITABLE:
            raise InvalidRequestError(
                f"You can't change {name} of invoice {invoice.id}: it is {invoice.status}. "
                "A finalized invoice takes only description, footer, metadata and, while open, "
                "auto_advance.",
                param=name,
                code="invoice_not_editable",
            )
    if changes.auto_advance is not UNSET and invoice.status != "open":
        raise InvalidRequestError(
            f"auto_advance can't be changed on a {invoice.status} invoice.",
            param="auto_advance",
            code="invoice_not_editable",
        )
