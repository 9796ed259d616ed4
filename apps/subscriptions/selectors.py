"""Reads of subscriptions, always scoped to one account."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery

from apps.accounts.models import Account
from apps.core.search import TOKEN, Query, search_q
from apps.customers.selectors import balance_ending_newest
from apps.invoices.models import Discount, InvoiceItem
from apps.subscriptions.models import Subscription

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


@dataclass(frozen=True)
class PreviewReads:
    """What a preview of the subscription's next invoice reads besides its items, learnt with
    the subscription: whether it has pending invoice items, whether its customer has live
    discounts (of it or of no subscription), and the customer's balance."""

    has_pending: bool
    has_discounts: bool
    balance: int


def subscription_preview_get(
    *, account: Account, subscription_id: str
) -> tuple[Subscription, PreviewReads] | None:
    """The subscription with its customer and account, and its ``PreviewReads``, in one query
    (the preview then reads pending items and discounts only when there are some). By primary
    key, so one row at most: no ``first()``, whose ``ORDER BY`` costs more to build than the row."""
    found = list(
        Subscription.objects.select_related("customer")
        .filter(account=account, id=subscription_id)
        .annotate(
            preview_pending=Exists(
                InvoiceItem.objects.filter(
                    account_id=OuterRef("account_id"),
                    customer_id=OuterRef("customer_id"),
                    invoice__isnull=True,
                    subscription_id=OuterRef("id"),
                )
            ),
            preview_discounts=Exists(
                Discount.objects.filter(
                    customer_id=OuterRef("customer_id"), removed_at__isnull=True
                ).filter(Q(subscription__isnull=True) | Q(subscription_id=OuterRef("id")))
            ),
            preview_balance=Subquery(
                balance_ending_newest(
                    account_id=OuterRef("account_id"), customer_id=OuterRef("customer_id")
                )
            ),
        )
    )
    if not found:
        return None
    subscription = found[0]
    subscription.account = account  # the same account, loaded: no join
    return subscription, PreviewReads(
        has_pending=subscription.preview_pending,
        has_discounts=subscription.preview_discounts,
        balance=subscription.preview_balance or 0,
    )
