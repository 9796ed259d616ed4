"""Scheduled invoicing: beat fans due subscriptions out in batches to the ``invoicing`` queue.

The fan-out only reads ids; a batch is renewed in one transaction
(apps.subscriptions.services.renewals) that re-checks under the subscriptions' row locks that
each is still due, and invoice lines' unique keys make a repeated renewal a no-op — so two beats
or a redelivered task never bill a period twice. Due drafts are fanned out the same way
(apps.subscriptions.services.collection).
"""

from celery import shared_task

from apps.core import clock
from apps.subscriptions.models import Subscription
from apps.subscriptions.services.collection import due_draft_ids, invoices_auto_advance
from apps.subscriptions.services.lifecycle import lifecycle_due
from apps.subscriptions.services.notices import upcoming_invoices_notify, will_be_due_notify
from apps.subscriptions.services.renewal_parts import RENEWABLE
from apps.subscriptions.services.renewals import subscriptions_renew_batch
from apps.subscriptions.services.test_clocks import test_clock_run

BATCH = 500


def due_subscription_ids(*, limit: int = 100_000) -> list[str]:
    """Subscriptions whose period has ended (customers on test clocks advance with the clock)."""
    return list(
        Subscription.objects.filter(
            status__in=RENEWABLE,
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
    return subscriptions_renew_batch(subscription_ids=subscription_ids)


@shared_task(name="invoicing.invoices_auto_advance")
def invoices_auto_advance_task() -> int:
    """Beat: auto-advancing drafts whose ``automatically_finalizes_at`` has come, in batches."""
    ids = due_draft_ids()
    for start in range(0, len(ids), BATCH):
        invoices_advance_task.delay(ids[start : start + BATCH])
    return len(ids)


@shared_task(name="invoicing.invoices_advance", acks_late=True)
def invoices_advance_task(invoice_ids: list[str]) -> int:
    return invoices_auto_advance(invoice_ids=invoice_ids)


@shared_task(name="invoicing.test_clock_run", acks_late=True)
def test_clock_run_task(clock_id: str) -> str:
    return test_clock_run(clock_id).status


@shared_task(name="invoicing.billing_notices")
def billing_notices_task() -> dict[str, int]:
    """invoice.upcoming and invoice.will_be_due, per the accounts' settings."""
    return {"upcoming": upcoming_invoices_notify(), "will_be_due": will_be_due_notify()}


@shared_task(name="invoicing.subscriptions_lifecycle")
def subscriptions_lifecycle_task() -> dict[str, int]:
    """Items whose trial ended (missing payment method, trial-end invoicing) and cancel_at."""
    return lifecycle_due()
