"""Collections' Celery tasks: thin wrappers around the services, on the ``collections`` queue."""

from celery import shared_task

from apps.core import clock

BATCH = 500


@shared_task(name="collections.card_updates_fan_out")
def card_updates_fan_out_task() -> int:
    """Daily beat: saved cards of customers not on a test clock whose expiry month has begun
    (the card updater's moment, apps.collections.card_updater), in batches."""
    from apps.collections.card_updater import card_updates_due_ids

    ids = card_updates_due_ids(now=clock.now())
    for start in range(0, len(ids), BATCH):
        card_updates_apply_task.delay(payment_method_ids=ids[start : start + BATCH])
    return len(ids)


@shared_task(name="collections.card_updates_apply", acks_late=True)
def card_updates_apply_task(*, payment_method_ids: list[str]) -> int:
    from apps.collections.card_updater import card_update_apply

    return sum(card_update_apply(payment_method_id=pk) for pk in payment_method_ids)


@shared_task(
    name="collections.customer_emails_send",
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=240,
    time_limit=300,
)
def customer_emails_send_task(*, event_ids: list[str]) -> int:
    """The customer emails of a batch of events (queued on commit by the event consumer)."""
    from apps.collections.emails import customer_emails_send

    return customer_emails_send(event_ids=event_ids)
