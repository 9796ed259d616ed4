"""Scheduled invoicing: beat fans due subscriptions out in batches to the ``invoicing`` queue.

The fan-out only reads ids; each renewal re-checks under the subscription's row lock that it is
still due, and invoice lines' unique keys make a repeated renewal a no-op — so two beats or a
redelivered task never bill a period twice.
"""

import logging

from celery import shared_task

from apps.core import clock
from apps.subscriptions.enums import SubscriptionStatus
from apps.subscriptions.models import Subscription
from apps.subscriptions.services import subscription_renew

log = logging.getLogger(__name__)
BATCH = 200
RENEWING = (SubscriptionStatus.ACTIVE, SubscriptionStatus.TRIALING, SubscriptionStatus.PAST_DUE)


def due_subscription_ids(*, limit: int = 100_000) -> list[str]:
    """Subscriptions whose period has ended (customers on test clocks advance with the clock)."""
    return list(
        Subscription.objects.filter(
            status__in=RENEWING,
            current_period_end__lte=clock.now(),
            customer__test_clock_id__isnull=True,
        )
        .order_by("current_period_end")
        .values_list("id", flat=True)[:limit]
    )


@shared_task(name="invoicing.subscriptions_fan_out")
def subscriptions_fan_out_task() -> int:
    ids = due_subscription_ids()
    for start in range(0, len(ids), BATCH):
        subscriptions_renew_task.delay(ids[start : start + BATCH])
    return len(ids)


@shared_task(name="invoicing.subscriptions_renew", acks_late=True)
def subscriptions_renew_task(subscription_ids: list[str]) -> int:
    renewed = 0
    for subscription_id in subscription_ids:
        try:
            if subscription_renew(subscription_id=subscription_id) is not None:
                renewed += 1
        except Exception:  # one bad subscription must not stop the batch; it is retried next beat
            log.exception("renewal of %s failed", subscription_id)
    return renewed


@shared_task(name="invoicing.test_clock_run", acks_late=True)
def test_clock_run_task(clock_id: str) -> str:
    from apps.subscriptions.test_clocks import test_clock_run

    return test_clock_run(clock_id).status


@shared_task(name="invoicing.billing_notices")
def billing_notices_task() -> dict[str, int]:
    """invoice.upcoming, invoice.will_be_due and trial-end invoices, per the accounts' settings."""
    from apps.subscriptions.notices import (
        trial_ends_invoice,
        upcoming_invoices_notify,
        will_be_due_notify,
    )

    return {
        "upcoming": upcoming_invoices_notify(),
        "will_be_due": will_be_due_notify(),
        "trial_ends": trial_ends_invoice(),
    }
