"""Scheduled invoicing: beat fans due subscriptions out in batches to the ``invoicing`` queue.

The fan-out only reads ids; a batch is renewed in one transaction (apps.subscriptions.renewals)
that re-checks under the subscriptions' row locks that each is still due, and invoice lines'
unique keys make a repeated renewal a no-op — so two beats or a redelivered task never bill a
period twice. Due drafts are fanned out the same way (apps.subscriptions.collection).
"""

from celery import shared_task

from apps.core import clock
from apps.subscriptions.enums import SubscriptionStatus
from apps.subscriptions.models import Subscription

BATCH = 500
RENEWING = (
    SubscriptionStatus.ACTIVE,
    SubscriptionStatus.TRIALING,
    SubscriptionStatus.PAST_DUE,
    SubscriptionStatus.UNPAID,
)


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
    from apps.subscriptions.renewals import subscriptions_renew_batch

    return subscriptions_renew_batch(subscription_ids=subscription_ids)


@shared_task(name="invoicing.invoices_auto_advance")
def invoices_auto_advance_task() -> int:
    """Beat: auto-advancing drafts whose ``automatically_finalizes_at`` has come, in batches."""
    from apps.subscriptions.collection import due_draft_ids

    ids = due_draft_ids()
    for start in range(0, len(ids), BATCH):
        invoices_advance_task.delay(ids[start : start + BATCH])
    return len(ids)


@shared_task(name="invoicing.invoices_advance", acks_late=True)
def invoices_advance_task(invoice_ids: list[str]) -> int:
    from apps.subscriptions.collection import invoices_auto_advance

    return invoices_auto_advance(invoice_ids=invoice_ids)


@shared_task(name="invoicing.test_clock_run", acks_late=True)
def test_clock_run_task(clock_id: str) -> str:
    from apps.subscriptions.test_clocks import test_clock_run

    return test_clock_run(clock_id).status


@shared_task(name="invoicing.billing_notices")
def billing_notices_task() -> dict[str, int]:
    """invoice.upcoming and invoice.will_be_due, per the accounts' settings."""
    from apps.subscriptions.notices import upcoming_invoices_notify, will_be_due_notify

    return {"upcoming": upcoming_invoices_notify(), "will_be_due": will_be_due_notify()}


@shared_task(name="invoicing.subscriptions_lifecycle")
def subscriptions_lifecycle_task() -> dict[str, int]:
    """Items whose trial ended (missing payment method, trial-end invoicing) and cancel_at."""
    from apps.subscriptions.lifecycle import lifecycle_due

    return lifecycle_due()
