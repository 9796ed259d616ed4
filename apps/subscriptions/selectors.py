"""Reads of subscriptions, always scoped to one account."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection
from django.db.models import BigIntegerField, BooleanField, Q, QuerySet
from django.db.models.expressions import RawSQL

from apps.accounts.models import Account
from apps.core.compiled import CompiledQuery
from apps.core.search import TOKEN, Query, search_q
from apps.customers.models import CustomerBalanceTransaction, TaxId
from apps.invoices.models import Discount, InvoiceItem
from apps.subscriptions.models import Subscription, SubscriptionItem

# Stripe's subscription search fields (besides created and metadata).
SEARCH_FIELDS = {"status": TOKEN}


# Subscriptions that renew at their period end unless canceled first.
RENEWING_STATUSES = ("active", "trialing", "past_due")


def renewing_q(at: datetime, days: int) -> Q:
    """Subscriptions whose next period starts within ``days`` days of ``at`` (trials that
    turn into paid periods included; those set to cancel at the period end left out)."""
    return Q(
        status__in=RENEWING_STATUSES,
        cancel_at_period_end=False,
        current_period_end__gte=at,
        current_period_end__lt=at + timedelta(days=days),
    )


def subscription_renewing_list(*, account: Account, at: datetime, days: int):
    return (
        Subscription.objects.filter(account=account)
        .filter(renewing_q(at, days))
        .select_related("customer")
        .order_by("current_period_end", "id")
    )


def subscription_search(*, account: Account, query: Query) -> QuerySet[Subscription]:
    return Subscription.objects.filter(account=account).filter(search_q(query))


# Compiled once: building this queryset's SQL cost about a third of the read's CPU.
_items_live = CompiledQuery(
    lambda subscription_id: SubscriptionItem.objects.filter(
        subscription_id=subscription_id, deleted_at__isnull=True
    ).select_related("price__product"),
    "subscription_id",
)


def subscription_items_live(*, subscription_id: str) -> list[SubscriptionItem]:
    """The subscription's items not removed, with their prices and products, in no order (the
    subscription is the caller's, scoped to its account already)."""
    return _items_live(subscription_id=subscription_id)


@dataclass(frozen=True)
class PreviewReads:
    """What a preview of the subscription's next invoice reads besides its items, learnt with
    the subscription: whether it has pending invoice items, whether its customer has live
    discounts (of it or of no subscription), the customer's balance, and whether the customer
    has tax ids."""

    has_pending: bool
    has_discounts: bool
    balance: int
    has_tax_ids: bool = True


def _column(model, field: str) -> str:
    """``"table"."column"`` of ``model``'s ``field``, for the SQL below."""
    quote = connection.ops.quote_name
    return f"{quote(model._meta.db_table)}.{quote(model._meta.get_field(field).column)}"


def _table(model, alias: str) -> str:
    return f"{connection.ops.quote_name(model._meta.db_table)} {alias}"


# The three probes of a preview as plain SQL on the subscription's row: written once, where the
# equivalent ``Exists``/``Subquery`` expressions were resolved and compiled again on every
# preview, which cost more CPU than the whole rest of the read (about 1.5 ms of 2.4 ms). Plain
# SQL that PostgreSQL and SQLite both run; the outer row is referenced by its table's name.
_SUB_ACCOUNT = _column(Subscription, "account")
_SUB_CUSTOMER = _column(Subscription, "customer")
_SUB_ID = _column(Subscription, "id")
_PENDING_SQL = (
    f"EXISTS(SELECT 1 FROM {_table(InvoiceItem, 'p')} WHERE p.account_id = {_SUB_ACCOUNT} "
    f"AND p.customer_id = {_SUB_CUSTOMER} AND p.invoice_id IS NULL "
    f"AND p.subscription_id = {_SUB_ID})"
)
_DISCOUNTS_SQL = (
    f"EXISTS(SELECT 1 FROM {_table(Discount, 'd')} WHERE d.customer_id = {_SUB_CUSTOMER} "
    f"AND d.removed_at IS NULL AND (d.subscription_id IS NULL OR d.subscription_id = {_SUB_ID}))"
)
_TAX_IDS_SQL = (
    f"EXISTS(SELECT 1 FROM {_table(TaxId, 't')} WHERE t.account_id = {_SUB_ACCOUNT} "
    f"AND t.customer_id = {_SUB_CUSTOMER})"
)
# The customer's balance: the ending balance of its newest ledger row (``customer_balance``).
_BALANCE_SQL = (
    f"(SELECT b.ending_balance FROM {_table(CustomerBalanceTransaction, 'b')} "
    f"WHERE b.account_id = {_SUB_ACCOUNT} AND b.customer_id = {_SUB_CUSTOMER} "
    "ORDER BY b.id DESC LIMIT 1)"
)


def _preview_read(account_id, subscription_id):
    return (
        Subscription.objects.select_related("customer")
        .filter(account_id=account_id, id=subscription_id)
        .annotate(
            preview_pending=RawSQL(_PENDING_SQL, (), output_field=BooleanField()),
            preview_discounts=RawSQL(_DISCOUNTS_SQL, (), output_field=BooleanField()),
            preview_balance=RawSQL(_BALANCE_SQL, (), output_field=BigIntegerField()),
            preview_tax_ids=RawSQL(_TAX_IDS_SQL, (), output_field=BooleanField()),
        )
    )


# Compiled once: building this queryset's SQL cost about half of the read's CPU.
_preview_query = CompiledQuery(_preview_read, "account_id", "subscription_id")


def subscription_preview_get(
    *, account: Account, subscription_id: str
) -> tuple[Subscription, PreviewReads] | None:
    """The subscription with its customer and account, and its ``PreviewReads``, in one query
    (the preview then reads pending items and discounts only when there are some). By primary
    key, so one row at most."""
    found = _preview_query(account_id=account.id, subscription_id=subscription_id)
    if not found:
        return None
    subscription = found[0]
    subscription.account = account  # the same account, loaded: no join
    return subscription, PreviewReads(
        has_pending=bool(subscription.preview_pending),
        has_discounts=bool(subscription.preview_discounts),
        balance=subscription.preview_balance or 0,
        has_tax_ids=bool(subscription.preview_tax_ids),
    )
