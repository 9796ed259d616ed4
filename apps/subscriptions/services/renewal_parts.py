"""What renewing a batch works with: each locked subscription's next step, the batch's items
and discounts loaded at once, and the planned renewal (apps.subscriptions.services.renewals)."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from apps.catalog.models import Price
from apps.invoices.engine.planner import Line
from apps.invoices.models import Discount, Invoice, InvoiceItem, InvoiceLine
from apps.subscriptions.enums import SubscriptionStatus
from apps.subscriptions.models import Subscription, SubscriptionItem

# How long a renewal's invoice stays a draft before it is finalized and collected (Stripe's hour).
AUTO_ADVANCE_DELAY = timedelta(hours=1)
# An unpaid subscription (its retries spent, apps.collections) keeps renewing; its invoices stay
# drafts that are never attempted (apps.subscriptions.services.collection._pause_behavior), as
# Stripe.
RENEWABLE = (
    SubscriptionStatus.ACTIVE,
    SubscriptionStatus.TRIALING,
    SubscriptionStatus.PAST_DUE,
    SubscriptionStatus.UNPAID,
)


@dataclass
class Renewal:
    subscription: Subscription
    now: datetime
    before: dict
    period: tuple[datetime, datetime]
    items: list[SubscriptionItem]  # every item not removed (the render's), in id order
    lines: list[Line]
    pending: list[InvoiceItem] = field(default_factory=list)
    discount: Discount | None = None
    invoice: Invoice | None = None
    rows: list[InvoiceLine] = field(default_factory=list)
    finalizes_at: datetime | None = None


@dataclass
class Renewed:
    subscriptions: list[Subscription] = field(default_factory=list)
    # Invoices of trial ends settled first (invoiced at once, collected one by one).
    settled: list[tuple[Subscription, Invoice]] = field(default_factory=list)
    late: list[Invoice] = field(default_factory=list)


# What renewing a locked subscription does next (``renewal_next_step``).
WAIT = "wait"
SETTLE_TRIALS = "settle_trials"
END = "end"
RENEW = "renew"


def renewal_next_step(
    subscription: Subscription, items: list[SubscriptionItem], now: datetime
) -> str:
    """What renewing the locked ``subscription`` (its ``items`` not removed) at ``now`` does next:
    the one place that decides whether it is due and what happens.

    - ``WAIT``: its period has not ended; it has ended (or expired) or does not bill (paused,
      incomplete); or a ``cancel_at`` inside the period ends it instead
      (apps.subscriptions.services.lifecycle.subscription_cancel_scheduled).
    - ``SETTLE_TRIALS``: items' own trials ended by ``now`` are settled first (the subscription
      may end, pause or resume with them, and an account may invoice them at once); then ask
      again.
    - ``END``: ``cancel_at_period_end``: it ends at the boundary, nothing billed.
    - ``RENEW``: the next period is invoiced."""
    if subscription.current_period_end > now or subscription.status in (
        SubscriptionStatus.CANCELED,
        SubscriptionStatus.INCOMPLETE_EXPIRED,
    ):
        return WAIT
    if subscription.cancel_at and subscription.cancel_at <= subscription.current_period_end:
        return WAIT
    if any(
        item.trial_settled_at is None and item.trial_end is not None and item.trial_end <= now
        for item in items
    ):
        return SETTLE_TRIALS
    if subscription.status not in RENEWABLE:
        return WAIT
    return END if subscription.cancel_at_period_end else RENEW


def renewal_items_of(subscriptions: list[Subscription]) -> dict[str, list[SubscriptionItem]]:
    """The batch's items not removed, in id order, by subscription; their prices (few, shared
    by many items) loaded once each with product and account."""
    items = list(
        SubscriptionItem.objects.filter(
            subscription_id__in=[s.id for s in subscriptions], deleted_at__isnull=True
        ).order_by("id")
    )
    prices = Price.objects.select_related("product", "account").in_bulk(
        {item.price_id for item in items}
    )
    found = defaultdict(list)
    for item in items:
        item.price = prices[item.price_id]
        found[item.subscription_id].append(item)
    return found


def renewal_discounts_of(renewals: list[Renewal]) -> dict[str, list[Discount]]:
    """Every discount not removed of the batch's customers, newest first, by customer."""
    found = defaultdict(list)
    for discount in (
        Discount.objects.select_related("coupon")
        .filter(
            customer_id__in={r.subscription.customer_id for r in renewals},
            removed_at__isnull=True,
        )
        .order_by("-id")
    ):
        found[discount.customer_id].append(discount)
    return found
