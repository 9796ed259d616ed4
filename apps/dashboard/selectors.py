"""The dashboard's global search (Ctrl+K): one account's customers, invoices, subscriptions,
payments and any object by its id.

Every lookup is scoped to the account and answered from an index: an id is an exact primary-key
probe in the one table its prefix names; customers match on an email or name prefix, case
ignored (the ``customer_*_iprefix`` indexes, apps/customers/migrations/0005); invoices on their
number (the unique ``(account, number)`` index).
"""

from dataclasses import dataclass

from django.db import models

from apps.accounts.models import Account, TestClock
from apps.catalog.models import Price, Product
from apps.core.models import Event
from apps.customers.models import Customer, PaymentMethod
from apps.invoices.models import CreditNote, Invoice
from apps.payments.models import Charge, PaymentIntent, Refund
from apps.subscriptions.models import Subscription, SubscriptionItem
from apps.webhooks.models import WebhookEndpoint

PER_KIND = 5
MAX_TERM = 200

# An id's prefix names its table; "kind" is what the dashboard shows the row as.
ID_PREFIXES: dict[str, tuple[str, type[models.Model]]] = {
    "cus": ("customer", Customer),
    "in": ("invoice", Invoice),
    "sub": ("subscription", Subscription),
    "si": ("subscription_item", SubscriptionItem),
    "ch": ("charge", Charge),
    "pi": ("payment_intent", PaymentIntent),
    "re": ("refund", Refund),
    "pm": ("payment_method", PaymentMethod),
    "card": ("payment_method", PaymentMethod),
    "src": ("payment_method", PaymentMethod),
    "ba": ("payment_method", PaymentMethod),
    "prod": ("product", Product),
    "price": ("price", Price),
    "cn": ("credit_note", CreditNote),
    "evt": ("event", Event),
    "we": ("webhook_endpoint", WebhookEndpoint),
    "clock": ("test_clock", TestClock),
}


@dataclass(frozen=True)
class Hit:
    kind: str
    row: models.Model


def _by_id(account: Account, term: str) -> list[Hit]:
    prefix = term.split("_", 1)[0]
    if prefix not in ID_PREFIXES or "_" not in term:
        return []
    kind, model = ID_PREFIXES[prefix]
    row = model.objects.filter(account=account, pk=term).first()
    return [Hit(kind, row)] if row is not None else []


def _customers(account: Account, term: str) -> list[Customer]:
    """Up to PER_KIND customers whose email or name starts with ``term`` (the first of each
    index's range, in its order), shown newest first.

    One bounded range scan per index, unordered in SQL so that each stops after PER_KIND rows:
    ordered by id, the planner may walk the account's customers newest first and filter, which
    on a large account with few matches reads them all."""
    rows = Customer.objects.filter(account=account, deleted_at__isnull=True).order_by()
    found = {
        row.pk: row
        for lookup in ("email__istartswith", "name__istartswith")
        for row in rows.filter(**{lookup: term})[:PER_KIND]
    }
    return sorted(found.values(), key=lambda row: row.pk, reverse=True)[:PER_KIND]


def _invoices(account: Account, term: str) -> list[Invoice]:
    numbers = {term, term.upper()}
    return list(
        Invoice.objects.filter(account=account, number__in=numbers).select_related("customer")
    )


def dashboard_search(*, account: Account, term: str) -> list[Hit]:
    """What ``term`` finds in ``account``: the object an id names, then customers by email or
    name prefix with their subscriptions and latest payments, then invoices by number."""
    term = (term or "").strip()[:MAX_TERM]
    if not term:
        return []
    hits = _by_id(account, term)
    if hits:
        return hits
    customers = _customers(account, term)
    hits = [Hit("customer", customer) for customer in customers]
    if customers:
        subscriptions = Subscription.objects.filter(
            account=account, customer__in=customers
        ).select_related("customer")
        hits += [Hit("subscription", row) for row in subscriptions.order_by("-id")[:PER_KIND]]
        charges = Charge.objects.filter(account=account, customer__in=customers).select_related(
            "customer"
        )
        hits += [Hit("charge", row) for row in charges.order_by("-id")[:PER_KIND]]
    hits += [Hit("invoice", row) for row in _invoices(account, term)]
    return hits
