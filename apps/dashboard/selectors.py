"""The dashboard's reads for one account: the home page's figures and the global search
(Ctrl+K).

Amounts are integers of minor units per currency (``{"usd": 2500, "jpy": 1250}``); currencies
are added together only by ``in_currency``, and only when the account has a rate for each.

The search finds the account's customers, invoices, subscriptions, payments and any object by
its id. Every lookup is scoped to the account and answered from an index: an id is an exact
primary-key probe in the one table its prefix names; customers match on an email or name prefix,
case ignored (the ``customer_*_iprefix`` indexes, apps/customers/migrations/0005); invoices on
their number (the unique ``(account, number)`` index).
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.db import models
from django.db.models import Count, F, Prefetch, Sum

from apps.accounts.models import Account, TestClock
from apps.catalog.models import Price, Product
from apps.catalog.pricing import convert
from apps.catalog.selectors import fx_rate_on, price_amount
from apps.core.models import Event
from apps.customers.models import Customer, PaymentMethod
from apps.dashboard.mrr import COUNTED_STATUSES, RecurringAmount, mrr_by_currency
from apps.invoices.discounts import discount_among, discount_amounts
from apps.invoices.engine.planner import SUBSCRIPTION
from apps.invoices.models import CreditNote, Discount, Invoice
from apps.invoices.selectors import invoice_past_due_list
from apps.payments.enums import ChargeStatus
from apps.payments.models import Charge, PaymentIntent, Refund
from apps.subscriptions.enums import SubscriptionItemState, SubscriptionStatus
from apps.subscriptions.models import Subscription, SubscriptionItem
from apps.subscriptions.selectors import subscription_renewing_list
from apps.subscriptions.transitions import item_state
from apps.webhooks.models import WebhookEndpoint

Amounts = dict[str, int]


def _recurring_amount(subscription: Subscription, discounts: list[Discount], at: datetime):
    lines = []
    for item in subscription.items.all():
        recurring = item.price.recurring or {}
        if item_state(item) != SubscriptionItemState.ACTIVE:
            continue
        if recurring.get("usage_type") == "metered":
            continue
        amount = price_amount(
            item.price,
            quantity=item.quantity,
            currency=subscription.currency,
            on=at.date(),
            custom_amount=item.custom_unit_amount,
        )
        lines.append((amount, SUBSCRIPTION, item.price.product_id))
    discount = discount_among(discounts, subscription, at)
    if discount is not None and discount.coupon.duration != "forever":
        discount = None
    net = sum(amount for amount, _, _ in lines) - sum(discount_amounts(discount, lines))
    return RecurringAmount(
        currency=subscription.currency,
        amount=net,
        interval=subscription.interval,
        interval_count=subscription.interval_count,
    )


def mrr(*, account: Account, at: datetime) -> Amounts:
    """Monthly recurring revenue per currency at ``at`` (apps.dashboard.mrr): three queries,
    however many subscriptions."""
    items = SubscriptionItem.objects.select_related("price").order_by("id")
    subscriptions = list(
        Subscription.objects.filter(account=account, status__in=COUNTED_STATUSES).prefetch_related(
            Prefetch("items", queryset=items)
        )
    )
    discounts: dict[str, list[Discount]] = defaultdict(list)
    customer_ids = {subscription.customer_id for subscription in subscriptions}
    rows = (
        Discount.objects.select_related("coupon")
        .filter(account=account, customer_id__in=customer_ids, removed_at__isnull=True)
        .order_by("-id")
    )
    for discount in rows:
        discounts[discount.customer_id].append(discount)
    return mrr_by_currency(
        _recurring_amount(subscription, discounts[subscription.customer_id], at)
        for subscription in subscriptions
    )


def in_currency(*, account: Account, amounts: Amounts, currency: str, on: date) -> int | None:
    """``amounts`` added up in ``currency`` at the account's rates for ``on``; None when a
    currency has no rate (the figures are then shown per currency only)."""
    total = 0
    for code, amount in amounts.items():
        if code == currency:
            total += amount
            continue
        rate = fx_rate_on(account=account, base=code, quote=currency, on=on)
        if rate is None:
            return None
        total += convert(amount, source=code, target=currency, rate=rate)
    return total


def active_subscription_count(*, account: Account) -> int:
    return Subscription.objects.filter(account=account, status=SubscriptionStatus.ACTIVE).count()


def _charges_since(account: Account, since: datetime):
    return Charge.objects.filter(account=account, created_at__gte=since)


def revenue(*, account: Account, since: datetime) -> Amounts:
    """What succeeded charges created since ``since`` captured, less what was refunded of them."""
    rows = (
        _charges_since(account, since)
        .filter(status__exact=ChargeStatus.SUCCEEDED, captured=True)
        .values("currency")
        .annotate(net=Sum(F("amount_captured") - F("amount_refunded")))
        .order_by("currency")
    )
    return {row["currency"]: row["net"] for row in rows}


@dataclass(frozen=True)
class CountedAmounts:
    count: int
    amounts: Amounts


def failed_payments(*, account: Account, since: datetime) -> CountedAmounts:
    """Charges created since ``since`` that failed (declined or blocked)."""
    rows = (
        _charges_since(account, since)
        .filter(status__exact=ChargeStatus.FAILED)
        .values("currency")
        .annotate(n=Count("id"), total=Sum("amount"))
        .order_by("currency")
    )
    return CountedAmounts(
        count=sum(row["n"] for row in rows),
        amounts={row["currency"]: row["total"] for row in rows},
    )


def past_due_invoices(*, account: Account, at: datetime) -> CountedAmounts:
    """Open invoices past due at ``at`` (apps.invoices.selectors.past_due_q) and what is left
    to pay on them."""
    rows = (
        invoice_past_due_list(account=account, at=at)
        .values("currency")
        .annotate(n=Count("id"), left=Sum(F("amount_due") - F("amount_paid")))
        .order_by("currency")
    )
    return CountedAmounts(
        count=sum(row["n"] for row in rows),
        amounts={row["currency"]: row["left"] for row in rows},
    )


def upcoming_renewals(*, account: Account, at: datetime, days: int, limit: int = 5):
    """How many subscriptions renew within ``days`` days, and the first ``limit`` of them."""
    renewing = subscription_renewing_list(account=account, at=at, days=days)
    return renewing.count(), list(renewing[:limit])


def daily_charges(*, account: Account, currency: str, days: list[date]) -> dict[str, list[int]]:
    """Per UTC day of ``days``: the net captured amount of succeeded charges in ``currency``
    (``revenue``) and the number of failed charges (all currencies)."""
    start = datetime.combine(days[0], datetime.min.time(), tzinfo=UTC)
    rows = _charges_since(account, start).values_list(
        "created_at", "status", "currency", "captured", "amount_captured", "amount_refunded"
    )
    index = {day: position for position, day in enumerate(days)}
    revenue_per_day = [0] * len(days)
    failed_per_day = [0] * len(days)
    for created_at, status, code, captured, amount_captured, refunded in rows:
        position = index.get(created_at.astimezone(UTC).date())
        if position is None:
            continue
        if status == ChargeStatus.FAILED:
            failed_per_day[position] += 1
        elif status == ChargeStatus.SUCCEEDED and captured and code == currency:
            revenue_per_day[position] += amount_captured - refunded
    return {"revenue": revenue_per_day, "failed": failed_per_day}


def days_ending(on: date, count: int) -> list[date]:
    return [on - timedelta(days=offset) for offset in range(count - 1, -1, -1)]


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
