"""What each customer email says (apps.collections.emails sends them).

A batch of events is drafted from a few set-based reads (``EmailBatch``): the customers, the
invoices, the cards of their last attempts, the charges and the subscriptions of the whole
batch, one query each, whatever the batch's size. Every row read is checked against its event's
account before it is used.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from apps.accounts.models import Account
from apps.collections.email_templates import Kind
from apps.collections.models import CollectionSettings, PaymentAttempt
from apps.collections.payment_method_page import (
    current_payment_method,
    update_payment_method_links,
)
from apps.collections.schedule import is_last_retry
from apps.collections.selectors import retry_policy_for
from apps.core import clock
from apps.core.models import Event
from apps.core.money import format_amount
from apps.customers.models import Customer, PaymentMethod
from apps.customers.payment_method_render import brand_name
from apps.invoices.documents import hosted_invoice_url
from apps.invoices.models import Invoice
from apps.payments.models import Charge
from apps.subscriptions.models import Subscription

FAILED, PAID = "invoice.payment_failed", "invoice.paid"
UPCOMING, EXPIRING = "invoice.upcoming", "customer.source.expiring"


# The fields the drafters read: the batch's rows are read with these only (``only``), which
# halves the cost of reading them.
CARD_FIELDS = (
    "id",
    "account_id",
    "type",
    "brand",
    "last4",
    "exp_month",
    "exp_year",
    "detached_at",
)
INVOICE_FIELDS = ("id", "account_id", "status", "number", "hosted_token", "charge_id", "retry_plan")


@dataclass(frozen=True)
class Draft:
    kind: str
    customer: Customer
    object_id: str
    context: dict[str, str]


def _ids(events: list[Event], *types: str, key: str = "id") -> set[str]:
    return {
        event.data_object.get(key)
        for event in events
        if event.type in types and event.data_object.get(key)
    }


def _owned(rows, events: list[Event]) -> dict:
    """``rows`` by id, for the accounts of ``events`` only."""
    accounts = {event.account_id for event in events}
    return {row.id: row for row in rows if row.account_id in accounts}


class EmailBatch:
    """The rows the emails of ``events`` are drafted from, each kind read once."""

    def __init__(self, events: list[Event]) -> None:
        accounts = {event.account_id for event in events}
        self.update_payment_method_url = update_payment_method_links()
        self.customers = _owned(
            Customer.objects.select_related("default_payment_method", "default_source")
            .filter(
                account_id__in=accounts,
                id__in={event.customer_id for event in events},
                deleted_at__isnull=True,
            )
            .only(
                "id",
                "account_id",
                "email",
                "name",
                *(f"default_payment_method__{name}" for name in CARD_FIELDS),
                *(f"default_source__{name}" for name in CARD_FIELDS),
            ),
            events,
        )
        self.invoices = _owned(
            Invoice.objects.filter(account_id__in=accounts, id__in=_ids(events, FAILED, PAID)).only(
                *INVOICE_FIELDS
            ),
            events,
        )
        self.attempt_cards = self._attempt_cards(events)
        self.cards = _owned(
            PaymentMethod.objects.filter(
                account_id__in=accounts,
                id__in={*self.attempt_cards.values(), *_ids(events, EXPIRING)},
            ).only(*CARD_FIELDS, "customer_id", "closed_at"),
            events,
        )
        self.charges = _owned(
            Charge.objects.select_related("payment_method")
            .filter(
                account_id__in=accounts,
                id__in={
                    invoice.charge_id for invoice in self.invoices.values() if invoice.charge_id
                },
            )
            .only("id", "account_id", *(f"payment_method__{name}" for name in CARD_FIELDS)),
            events,
        )
        self.subscriptions = _owned(
            Subscription.objects.select_related("default_payment_method").filter(
                account_id__in=accounts,
                id__in=_ids(events, UPCOMING, key="subscription"),
                canceled_at__isnull=True,
                cancel_at_period_end=False,
            ),
            events,
        )

    def _attempt_cards(self, events: list[Event]) -> dict[str, str]:
        """The card each failed invoice's last attempt used, by invoice id."""
        failed = {
            event.data_object["id"]
            for event in events
            if event.type == FAILED and event.data_object["id"] in self.invoices
        }
        found: dict[str, str] = {}
        attempts = (
            PaymentAttempt.objects.filter(invoice_id__in=failed)
            .exclude(payment_method_id="")
            .order_by("invoice_id", "-attempted_at", "-id")
            .values_list("invoice_id", "payment_method_id")
        )
        for invoice_id, payment_method_id in attempts:
            found.setdefault(invoice_id, payment_method_id)
        return found

    def get(self, rows: dict, event: Event, row_id: str | None):
        row = rows.get(row_id) if row_id else None
        return row if row is not None and row.account_id == event.account_id else None


def _date(moment: datetime | int | None) -> str:
    if moment is None:
        return ""
    if isinstance(moment, int):
        moment = clock.from_epoch(moment)
    return f"{moment:%B} {moment.day}, {moment.year}"


def _card_context(card: PaymentMethod | None) -> dict[str, str]:
    if card is None or not card.last4:
        return {"card_brand": "", "card_last4": "", "card_expiry": ""}
    expiry = f"{card.exp_month:02d}/{card.exp_year}" if card.exp_month and card.exp_year else ""
    return {"card_brand": brand_name(card), "card_last4": card.last4, "card_expiry": expiry}


def _base_context(batch: EmailBatch, account: Account, customer: Customer) -> dict[str, str]:
    return {
        "customer_name": customer.name or customer.email,
        "account_name": account.name,
        "update_payment_method_url": batch.update_payment_method_url(customer),
    }


def _payment_failed(batch, event, account, customer, settings_row) -> Draft | None:
    data = event.data_object
    invoice = batch.get(batch.invoices, event, data["id"])
    if invoice is None or invoice.status != "open":  # paid, voided or written off since
        return None
    next_attempt = data.get("next_payment_attempt")
    last = next_attempt is None or is_last_retry(
        retry_policy_for(invoice, settings_row), attempt_count=data.get("attempt_count") or 0
    )
    attempted = batch.attempt_cards.get(invoice.id)
    card = batch.get(batch.cards, event, attempted) if attempted else None
    return Draft(
        kind=Kind.FINAL_NOTICE if last else Kind.PAYMENT_FAILED,
        customer=customer,
        object_id=invoice.id,
        context={
            **_base_context(batch, account, customer),
            **_card_context(card if attempted else current_payment_method(customer)),
            "amount": format_amount(data["amount_remaining"], data["currency"]),
            "invoice_number": invoice.number or invoice.id,
            "hosted_invoice_url": hosted_invoice_url(invoice) or "",
            "next_retry_date": _date(next_attempt),
        },
    )


def _receipt(batch, event, account, customer, settings_row) -> Draft | None:
    data = event.data_object
    invoice = batch.get(batch.invoices, event, data["id"])
    if invoice is None:
        return None
    charge = batch.get(batch.charges, event, invoice.charge_id)
    return Draft(
        kind=Kind.RECEIPT,
        customer=customer,
        object_id=invoice.id,
        context={
            **_base_context(batch, account, customer),
            **_card_context(charge.payment_method if charge else None),
            "amount": format_amount(data["amount_paid"], data["currency"]),
            "invoice_number": invoice.number or invoice.id,
            "hosted_invoice_url": hosted_invoice_url(invoice) or "",
        },
    )


def _upcoming_renewal(batch, event, account, customer, settings_row) -> Draft | None:
    data = event.data_object
    if (data.get("amount_due") or 0) <= 0:
        return None
    subscription = batch.get(batch.subscriptions, event, data.get("subscription"))
    if subscription is None:
        return None
    card = subscription.default_payment_method or current_payment_method(customer)
    return Draft(
        kind=Kind.UPCOMING_RENEWAL,
        customer=customer,
        object_id=subscription.id,
        context={
            **_base_context(batch, account, customer),
            **_card_context(card),
            "amount": format_amount(data["amount_due"], data["currency"]),
            "renewal_date": _date(data.get("period_end")),
        },
    )


def _card_expiring(batch, event, account, customer, settings_row) -> Draft | None:
    card = batch.get(batch.cards, event, event.data_object["id"])
    if (
        card is None
        or card.customer_id != customer.id
        or card.detached_at is not None
        or card.closed_at is not None
    ):
        return None
    return Draft(
        kind=Kind.CARD_EXPIRING,
        customer=customer,
        object_id=card.id,
        context={**_base_context(batch, account, customer), **_card_context(card)},
    )


DRAFTERS: dict[
    str,
    Callable[[EmailBatch, Event, Account, Customer, CollectionSettings], Draft | None],
] = {
    FAILED: _payment_failed,
    PAID: _receipt,
    UPCOMING: _upcoming_renewal,
    EXPIRING: _card_expiring,
}
