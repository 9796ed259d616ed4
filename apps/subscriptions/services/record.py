"""The small rules every subscription write shares (which items bill, the status they give,
pending prorations); the API objects and the audit entry are in apps.subscriptions.render."""

from datetime import datetime

from apps.core.locks import row_lock
from apps.invoices.engine.staging import stages_recorded
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


def prorations_pend(subscription: Subscription, lines: list, *, at: datetime) -> list[InvoiceItem]:
    """Proration lines wait as pending invoice items for the next invoice (or the one made now);
    answers the items made."""
    return InvoiceItem.objects.bulk_create(
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
            stages=stages_recorded([line.stage]),
            tax_rates=list(line.tax_rates),
        )
        for line in lines
    )


def stages_pend(subscription: Subscription, records: list[tuple[str, dict]]) -> None:
    """Stage records of a change that left no pending item wait on the subscription for the
    invoice that takes its pending items (``Subscription.pending_stages``)."""
    if not records:
        return
    subscription.pending_stages = stages_recorded([*subscription.pending_stages.items(), *records])
    subscription.save(update_fields=["pending_stages", "updated_at"])


def subscription_pending_stages_take(subscription: Subscription) -> dict:
    """Inside the transaction of an invoice being made of the subscription's pending items:
    the records of its changes that left none, locked and emptied (apps.invoices.stage_choices
    .waived_stages_take)."""
    locked = row_lock(Subscription.objects.filter(pk=subscription.pk))
    waived = locked.pending_stages
    if waived:
        locked.pending_stages = {}
        locked.save(update_fields=["pending_stages", "updated_at"])
    subscription.pending_stages = {}
    return waived


def status_for(items: list[SubscriptionItem], at: datetime) -> str:
    trialing = all(item.trial_end is not None and item.trial_end > at for item in items)
    return SubscriptionStatus.TRIALING if trialing else SubscriptionStatus.ACTIVE


def subscription_pending_prorations_drop(subscription: Subscription) -> None:
    """Pending prorations die with the subscription (Stripe's default on cancel), and so do
    the records of changes that left none."""
    InvoiceItem.objects.filter(
        account=subscription.account,
        subscription_id=subscription.id,
        invoice__isnull=True,
        proration=True,
    ).delete()
    if subscription.pending_stages:
        subscription.pending_stages = {}
        subscription.save(update_fields=["pending_stages", "updated_at"])
