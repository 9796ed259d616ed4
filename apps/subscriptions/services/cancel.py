"""Cancelling a subscription at once, and when its customer is deleted."""

from dataclasses import dataclass

from django.db import transaction

from apps.accounts.models import Account
from apps.core import clock
from apps.core.actor import SYSTEM, Actor
from apps.core.errors import InvalidRequestError, ResourceMissingError
from apps.core.locks import row_lock
from apps.subscriptions.enums import SubscriptionStatus
from apps.subscriptions.models import Subscription
from apps.subscriptions.services.record import subscription_pending_prorations_drop
from apps.subscriptions.transitions import subscription_move

FEEDBACK = (
    "customer_service",
    "low_quality",
    "missing_features",
    "other",
    "switched_service",
    "too_complex",
    "too_expensive",
    "unused",
)


@dataclass(frozen=True)
class CancellationDetails:
    """Why the customer cancels: a free ``comment`` and a ``feedback`` of ``FEEDBACK``."""

    comment: str | None = None
    feedback: str | None = None


def subscription_cancel(
    *,
    account: Account,
    subscription_id: str,
    details: CancellationDetails = CancellationDetails(),
    actor: Actor,
    reason: str = "cancellation_requested",
) -> Subscription:
    """Cancel at once; pending prorations of the subscription are dropped (Stripe's default).
    ``reason``: cancellation_details.reason (``payment_failed`` when dunning ends it)."""
    feedback = details.feedback or None
    if feedback is not None and feedback not in FEEDBACK:
        raise InvalidRequestError(
            f"cancellation_details[feedback] is one of {', '.join(FEEDBACK)}.",
            param="cancellation_details[feedback]",
        )
    comment = (details.comment or "")[:5000] or None
    with transaction.atomic():
        subscription = row_lock(
            Subscription.objects.select_related("customer", "account").filter(
                account=account, id=subscription_id
            )
        )
        if subscription is None:
            raise ResourceMissingError("subscription", subscription_id)
        if subscription.status == SubscriptionStatus.CANCELED:
            raise InvalidRequestError(
                f"Subscription {subscription.id} is already canceled.", code="resource_missing"
            )
        now = clock.now(test_clock_id=subscription.customer.test_clock_id)
        subscription.canceled_at = subscription.ended_at = now
        subscription.cancellation_details = {
            "comment": comment,
            "feedback": feedback,
            "reason": reason,
        }
        subscription.cancel_at = None
        subscription_move(subscription, SubscriptionStatus.CANCELED, actor=actor)
        subscription_pending_prorations_drop(subscription)
    return subscription


def subscriptions_end_with_customer(event) -> None:
    """Event consumer: ``customer.deleted`` cancels the customer's subscriptions, as Stripe."""
    if event.type != "customer.deleted":
        return
    for subscription_id in (
        Subscription.objects.filter(account_id=event.account_id, customer_id=event.object_id)
        .exclude(status=SubscriptionStatus.CANCELED)
        .values_list("id", flat=True)
    ):
        subscription_cancel(
            account=event.account,
            subscription_id=subscription_id,
            details=CancellationDetails(comment="The customer was deleted."),
            actor=SYSTEM,
        )
