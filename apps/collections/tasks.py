"""Collections' Celery tasks: thin wrappers around the services, on the ``collections`` queue."""

from datetime import datetime

from celery import shared_task

from apps.collections.card_updater import card_update_apply, card_updates_due_ids
from apps.collections.consumers import customer_invoices_retry
from apps.collections.emails import customer_emails_send
from apps.collections.incomplete import incomplete_expire_due
from apps.collections.retries import due_retry_ids, invoices_retry, stale_claims_recover
from apps.core import clock

BATCH = 500


@shared_task(name="collections.card_updates_fan_out")
def card_updates_fan_out_task() -> int:
    """Daily beat: saved cards of customers not on a test clock whose expiry month has begun
    (the card updater's moment, apps.collections.card_updater), in batches."""
    ids = card_updates_due_ids(now=clock.now())
    for start in range(0, len(ids), BATCH):
        card_updates_apply_task.delay(payment_method_ids=ids[start : start + BATCH])
    return len(ids)


@shared_task(name="collections.card_updates_apply", acks_late=True)
def card_updates_apply_task(*, payment_method_ids: list[str]) -> int:
    return sum(card_update_apply(payment_method_id=pk) for pk in payment_method_ids)


@shared_task(name="collections.retries_sweep")
def retries_sweep_task() -> dict[str, int]:
    """Beat (every minute): due retries fanned out in batches, claims whose worker died
    recovered, incomplete subscriptions past their 23 hours expired."""

    ids = due_retry_ids()
    for start in range(0, len(ids), BATCH):
        invoices_retry_task.delay(invoice_ids=ids[start : start + BATCH])
    return {
        "due": len(ids),
        "recovered": stale_claims_recover(),
        "expired": incomplete_expire_due(),
    }


@shared_task(
    name="collections.invoices_retry",
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=240,
    time_limit=300,
)
def invoices_retry_task(*, invoice_ids: list[str]) -> int:
    return invoices_retry(invoice_ids=invoice_ids)


@shared_task(name="collections.customer_invoices_retry", acks_late=True)
def customer_invoices_retry_task(*, customer_id: str, changed_at: str | None = None) -> int:
    """The customer's payment method changed (at ``changed_at``, ISO 8601): their open invoices
    that had failed by then are tried at once."""
    return customer_invoices_retry(
        customer_id=customer_id,
        changed_at=datetime.fromisoformat(changed_at) if changed_at else None,
    )


@shared_task(
    name="collections.customer_emails_send",
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=240,
    time_limit=300,
)
def customer_emails_send_task(*, event_ids: list[str]) -> int:
    """The customer emails of a batch of events (queued on commit by the event consumer)."""
    return customer_emails_send(event_ids=event_ids)
