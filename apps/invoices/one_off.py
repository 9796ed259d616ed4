"""One-off invoices (``POST /v1/invoices``) and changes to invoices (``POST /v1/invoices/:id``).

A draft is fully editable; a finalized invoice keeps its amounts and collection terms and takes
only a new description, footer, metadata or (while open) ``auto_advance``, as Stripe's does.
Parameters arrive in Stripe's shape, from the API or built by the dashboard's forms.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q

from apps.accounts.audit import change_record, previous_of
from apps.accounts.models import Account
from apps.catalog.models import Price
from apps.core import clock, money
from apps.core.actor import Actor
from apps.core.api.params import (
    get_bool,
    get_int,
    get_metadata,
    get_str,
    get_timestamp,
    metadata_merge,
)
from apps.core.errors import ApplicationError, InvalidRequestError, ResourceMissingError
from apps.core.ids import new_secret
from apps.customers.models import Customer
from apps.customers.selectors import customer_get
from apps.invoices.discounts import discount_for_invoice, discount_in_force, discount_used
from apps.invoices.drafts import (
    MAX_LINES,
    draft_changed,
    invoice_item_record,
    invoice_locked,
    invoice_totals_recompute,
    item_terms,
)
from apps.invoices.models import Discount, Invoice, InvoiceItem
from apps.invoices.selectors import subscription_of_account
from apps.invoices.services import invoice_render

# Stripe finalizes an auto-advancing draft an hour after it is created.
AUTO_FINALIZE_DELAY = timedelta(hours=1)
AUTO_FINALIZE_LIMIT = timedelta(days=5 * 365)
COLLECTION_METHODS = ["charge_automatically", "send_invoice"]
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


def _collection(
    params: dict[str, Any], *, now: datetime, start: datetime, method: str, due: datetime | None
) -> tuple[str, datetime | None]:
    """The collection method and due date after ``params``: ``send_invoice`` needs
    ``days_until_due`` (counted from ``start``, the invoice's creation) or a future ``due_date``;
    ``charge_automatically`` takes neither."""
    method = get_str(params, "collection_method", choices=COLLECTION_METHODS) or method
    days = get_int(params, "days_until_due", minimum=0, maximum=3650)
    due_date = get_timestamp(params, "due_date")
    if days is not None and due_date is not None:
        raise InvalidRequestError(
            "You may only specify one of these parameters: days_until_due, due_date.",
            param="due_date",
        )
    if method == "charge_automatically":
        for name, value in (("days_until_due", days), ("due_date", due_date)):
            if value is not None:
                raise InvalidRequestError(
                    f"{name} can only be set when collection_method is send_invoice.", param=name
                )
        return method, None
    if days is not None:
        return method, start + timedelta(days=days)
    if due_date is not None:
        if due_date <= now:
            raise InvalidRequestError("due_date must be in the future.", param="due_date")
        return method, due_date
    if due is None:
        raise InvalidRequestError(
            "Invoices with collection_method send_invoice need days_until_due or due_date.",
            param="days_until_due",
            code="parameter_missing",
        )
    return method, due


def _auto_finalize(
    params: dict[str, Any], *, now: datetime, auto_advance: bool, at: datetime | None
) -> tuple[bool, datetime | None]:
    """``auto_advance`` and when the draft finalizes: an hour from now unless a time is given;
    never once ``auto_advance`` is false."""
    wanted = get_bool(params, "auto_advance")
    moment = get_timestamp(params, "automatically_finalizes_at")
    if moment is not None:
        if wanted is False:
            raise InvalidRequestError(
                "automatically_finalizes_at needs auto_advance; it is false.",
                param="automatically_finalizes_at",
            )
        if not now < moment <= now + AUTO_FINALIZE_LIMIT:
            raise InvalidRequestError(
                "automatically_finalizes_at must be in the future, at most 5 years away.",
                param="automatically_finalizes_at",
            )
        return True, moment
    auto_advance = auto_advance if wanted is None else wanted
    if not auto_advance:
        return False, None
    return True, at or now + AUTO_FINALIZE_DELAY


_INHERIT = "inherit"


def _discount_param(params: dict[str, Any]) -> dict[str, str] | str | None:
    """``discounts``: absent → the customer's discount is inherited (``_INHERIT``); ``""`` →
    none; one entry ``coupon``, ``promotion_code`` or an existing ``discount`` of the customer."""
    if "discounts" not in params:
        return _INHERIT
    raw = params["discounts"]
    if raw in ("", [], {}):
        return None
    if isinstance(raw, dict) and all(str(k).isdigit() for k in raw):
        raw = [raw[k] for k in sorted(raw, key=int)]
    if not isinstance(raw, list) or not all(isinstance(entry, dict) for entry in raw):
        raise InvalidRequestError("Invalid array: discounts", param="discounts")
    if len(raw) > 1:
        raise InvalidRequestError("One discount per invoice.", param="discounts")
    entry = {
        name: get_str(raw[0], name, max_length=500)
        for name in ("coupon", "promotion_code", "discount")
    }
    given = {name: value for name, value in entry.items() if value}
    if len(given) != 1:
        raise InvalidRequestError(
            "Each discount takes one of coupon, promotion_code or discount.",
            param="discounts[0]",
        )
    return given


def _discount_of(
    choice: dict[str, str] | str | None,
    *,
    account: Account,
    customer: Customer,
    subscription,
    currency: str,
    at: datetime,
    current: Discount | None = None,
) -> Discount | None:
    """The invoice's discount for a ``_discount_param`` choice; a new coupon or code is redeemed
    (in the caller's transaction). An existing discount is reused if it is the invoice's
    (``current``) or one of the customer's (or the subscription's) in force."""
    if choice == _INHERIT:
        return discount_in_force(customer=customer, subscription=subscription, at=at)
    if choice is None:
        return None
    if "discount" in choice:
        found = (
            Discount.objects.select_related("coupon")
            .filter(account=account, customer=customer, id=choice["discount"])
            .filter(
                Q(id=current.id if current else None)
                | Q(
                    Q(subscription__isnull=True) | Q(subscription=subscription),
                    Q(end__isnull=True) | Q(end__gt=at),
                    removed_at__isnull=True,
                    start__lte=at,
                )
            )
            .first()
        )
        if found is None:
            raise ResourceMissingError(
                "discount", choice["discount"], param="discounts[0][discount]"
            )
        return found
    try:
        return discount_for_invoice(
            account=account,
            customer=customer,
            currency=currency,
            coupon_id=choice.get("coupon"),
            promotion_code=choice.get("promotion_code"),
        )
    except ApplicationError as error:
        error.param = f"discounts[0][{error.param or 'coupon'}]"
        raise


def _currency(params: dict[str, Any], *, customer: Customer, subscription) -> str:
    given = get_str(params, "currency", max_length=3)
    try:
        currency = money.currency_normalize(
            given
            or (subscription.currency if subscription else "")
            or customer.currency
            or customer.account.default_currency
        )
    except money.MoneyError as exc:
        raise InvalidRequestError("Invalid currency.", param="currency") from exc
    if subscription is not None and currency != subscription.currency:
        raise InvalidRequestError(
            f"The subscription bills in {subscription.currency}.", param="currency"
        )
    return currency


# --- services ---


def invoice_create(
    *, account: Account, params: dict[str, Any], actor: Actor, items: Sequence[NewItem] = ()
) -> Invoice:
    """A draft invoice for a customer (``billing_reason=manual``), with the customer's pending
    items if ``pending_invoice_items_behavior=include`` (those of ``subscription`` when given,
    else those of no subscription) and, from the dashboard, new ``items``; nothing is written
    unless all of it is."""
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
    currency = _currency(params, customer=customer, subscription=subscription)
    now = clock.now(test_clock_id=customer.test_clock_id)
    method, due = _collection(params, now=now, start=now, method="charge_automatically", due=None)
    # Stripe: one-off invoices made through the API do not auto-advance unless asked to.
    auto_advance, finalizes_at = _auto_finalize(params, now=now, auto_advance=False, at=None)
    include = (
        get_str(params, "pending_invoice_items_behavior", choices=["exclude", "include"])
        == "include"
    )
    choice = _discount_param(params)
    # Items are priced before anything is written; an error leaves nothing behind.
    priced = [
        (
            item_terms(
                price=item.price,
                quantity=item.quantity,
                unit_amount=None if item.unit_amount is None else Decimal(item.unit_amount),
                currency=currency,
                on=now,
                param=f"items[{index}]",
            ),
            item.description,
        )
        for index, item in enumerate(items)
    ]
    with transaction.atomic():
        pending = (
            list(
                InvoiceItem.objects.select_for_update()
                .filter(
                    account=account,
                    customer=customer,
                    invoice__isnull=True,
                    currency=currency,
                    subscription_id=subscription.id if subscription else None,
                )
                .order_by("id")
            )
            if include
            else []
        )
        if len(pending) + len(priced) > MAX_LINES:
            raise InvalidRequestError(
                f"An invoice has at most {MAX_LINES} lines.", code="invoice_too_large"
            )
        discount = _discount_of(
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
        for terms, description in priced:
            item = InvoiceItem.objects.create(
                account=account,
                customer=customer,
                subscription_id=subscription.id if subscription else None,
                price_id=terms.price_id,
                amount=terms.amount,
                currency=currency,
                quantity=terms.quantity,
                period_start=now,
                period_end=now,
                description=description or terms.description,
                invoice=invoice,
                created_at=now,
            )
            invoice_item_record(item, "invoiceitem.created", actor)
        invoice_totals_recompute(invoice)
        if discount is not None and choice == _INHERIT:
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
            invoice.collection_method, invoice.due_date = _collection(
                params,
                now=now,
                start=invoice.created_at,
                method=invoice.collection_method,
                due=invoice.due_date,
            )
            invoice.auto_advance, invoice.automatically_finalizes_at = _auto_finalize(
                params,
                now=now,
                auto_advance=invoice.auto_advance,
                at=invoice.automatically_finalizes_at,
            )
            choice = _discount_param(params)
            if choice != _INHERIT:
                invoice.discount = _discount_of(
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
