"""Incomplete subscriptions expire: a subscription whose first invoice is still unpaid 23 hours
after its creation becomes ``incomplete_expired`` (terminal), its open invoice is voided and
``customer.subscription.deleted`` is recorded (Stripe, ../shared/reference/stripe-semantics.md
§3.1). The retries sweep expires them (apps.collections.tasks); customers on test clocks at
their clock's steps (a clock job: apps.subscriptions.clock_jobs)."""

from datetime import datetime

from django.db import transaction

from apps.collections.schedule import INCOMPLETE_EXPIRES_AFTER
from apps.core import clock
from apps.core.actor import SYSTEM, Actor
from apps.core.locks import row_lock
from apps.invoices.models import Invoice
from apps.invoices.services import invoice_void
from apps.subscriptions.enums import SubscriptionStatus
from apps.subscriptions.models import Subscription
from apps.subscriptions.transitions import subscription_move


def incomplete_expire_due(*, limit: int = 10_000, actor: Actor = SYSTEM) -> int:
    """Expire the incomplete subscriptions whose 23 hours have passed (not on test clocks)."""
    ids = list(
        Subscription.objects.filter(
            status=SubscriptionStatus.INCOMPLETE,
            created_at__lte=clock.now() - INCOMPLETE_EXPIRES_AFTER,
            customer__test_clock_id__isnull=True,
        )
        .order_by("created_at")
        .values_list("id", flat=True)[:limit]
    )
    return sum(subscription_incomplete_expire(subscription_id=pk, actor=actor) for pk in ids)


def incomplete_next_due(*, customers, until: datetime) -> tuple[datetime, str] | None:
    """A test clock's next expiry by ``until``: (when, subscription id)."""
    first = (
        Subscription.objects.filter(
            customer_id__in=customers,
            status=SubscriptionStatus.INCOMPLETE,
            created_at__lte=until - INCOMPLETE_EXPIRES_AFTER,
        )
        .order_by("created_at", "id")
        .values_list("created_at", "id")
        .first()
    )
    return (first[0] + INCOMPLETE_EXPIRES_AFTER, first[1]) if first else None


def subscription_incomplete_expire(*, subscription_id: str, actor: Actor = SYSTEM) -> bool:
    """Expire one incomplete subscription if its time has come; False when not (or done)."""
    with transaction.atomic():
        subscription = row_lock(
            Subscription.objects.select_related("customer", "account").filter(
                id=subscription_id, status=SubscriptionStatus.INCOMPLETE
            )
        )
        now = (
            clock.now(test_clock_id=subscription.customer.test_clock_id)
            if subscription is not None
            else None
        )
        if subscription is None or subscription.created_at + INCOMPLETE_EXPIRES_AFTER > now:
            return False
        for invoice_id in Invoice.objects.filter(
            subscription=subscription, status="open"
        ).values_list("id", flat=True):
            invoice_void(account=subscription.account, invoice_id=invoice_id, actor=actor)
        subscription.ended_at = now
        subscription_move(
            subscription, SubscriptionStatus.INCOMPLETE_EXPIRED, actor=actor, fields=("ended_at",)
        )
    return True


def incomplete_expiry_run(subscription_id: str) -> bool:
    """A test clock's expiry of one incomplete subscription; False when not due (or done)."""
    return subscription_incomplete_expire(subscription_id=subscription_id)
