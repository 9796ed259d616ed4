"""The small rules every subscription write shares (which items bill, the status they give,
pending prorations); the API objects and the audit entry are in apps.subscriptions.render."""

from datetime import datetime

from apps.invoices.models import InvoiceItem
from apps.subscriptions.enums import SubscriptionStatus
from apps.subscriptions.models import Subscription, SubscriptionItem
from apps.subscriptions.terms import item_bills

# The statuses a renewal bills (paused, canceled and expired ones do not renew).
RENEWABLE = (SubscriptionStatus.ACTIVE, SubscriptionStatus.TRIALING, SubscriptionStatus.PAST_DUE)


def active_items(subscription: Subscription) -> list[SubscriptionItem]:
    """The items that bill (``item_bills``), in id order."""
    items = (
        subscription.items.filter(deleted_at__isnull=True)
        .select_related("price__product", "price__account")
        .order_by("id")
    )
    return [item for item in items if item_bills(item)]


def prorations_pend(subscription: Subscription, lines: list, *, at: datetime) -> None:
    """Proration lines wait as pending invoice items for the next invoice (or the one made now)."""
    InvoiceItem.objects.bulk_create(
        InvoiceItem(
            account=subscription.account,
            customer=subscription.customer,
            subscription_id=subscription.id,
            subscription_item_id=line.item_id,
            price_id=line.price_id,
            kind=line.kind,
            amount=line.amount,
            currency=subscription.currency,
            quantity=line.quantity,
            period_start=line.period_start,
            period_end=line.period_end,
            proration=True,
            description=line.description,
            created_at=at,
        )
        for line in lines
    )


def status_for(items: list[SubscriptionItem], at: datetime) -> str:
    trialing = all(item.trial_end is not None and item.trial_end > at for item in items)
    return SubscriptionStatus.TRIALING if trialing else SubscriptionStatus.ACTIVE


def subscription_pending_prorations_drop(subscription: Subscription) -> None:
    """Pending prorations die with the subscription (Stripe's default on cancel)."""
    InvoiceItem.objects.filter(
        account=subscription.account,
        subscription_id=subscription.id,
        invoice__isnull=True,
        proration=True,
    ).delete()
