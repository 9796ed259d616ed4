"""What the steps of a subscription's life share: the subscription locked, the discount at a
proration's moment, and the invoice a step made collected once its transaction commits."""

from dataclasses import dataclass
from datetime import datetime

from apps.accounts.models import Account
from apps.core.actor import Actor
from apps.core.errors import ResourceMissingError
from apps.core.locks import row_lock
from apps.invoices.discounts import discount_in_force
from apps.subscriptions.enums import SubscriptionStatus
from apps.subscriptions.models import Subscription
from apps.subscriptions.services.collection import subscription_invoice_collect

ENDED = (SubscriptionStatus.CANCELED, SubscriptionStatus.INCOMPLETE_EXPIRED)


@dataclass
class Outcome:
    """What a step changed, and the invoice it made that still has to be collected (after the
    transaction: payment calls never run inside one)."""

    subscription: Subscription
    invoice: object | None = None


def discount_at(subscription: Subscription, at: datetime):
    """The discount in force at a proration's moment: its percent off is baked into the
    proration lines (which invoices do not discount again), as on an item change."""
    return discount_in_force(customer=subscription.customer, subscription=subscription, at=at)


def subscription_lock(subscription_id: str, account: Account | None = None) -> Subscription:
    rows = Subscription.objects.select_related("customer", "account")
    if account is not None:
        rows = rows.filter(account=account)
    subscription = row_lock(rows.filter(id=subscription_id))
    if subscription is None:
        raise ResourceMissingError("subscription", subscription_id)
    return subscription


def outcome_collect(outcome: Outcome, actor: Actor) -> Subscription:
    """Finalize and collect what a step invoiced, once its transaction has committed."""
    if outcome.invoice is not None:
        subscription_invoice_collect(outcome.subscription, outcome.invoice, actor)
    return outcome.subscription
