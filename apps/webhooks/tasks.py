"""Webhook tasks (the ``webhooks.*`` route puts them on the ``webhooks`` queue)."""

from celery import shared_task

from apps.webhooks.services import (
    webhook_deliveries_send,
    webhook_deliveries_sweep,
    webhook_events_fan_out,
    webhook_events_fan_out_sweep,
)


@shared_task(
    name="webhooks.events_fan_out",
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=120,
    time_limit=150,
)
def webhook_events_fan_out_task(*, event_ids: list[str]) -> int:
    """Make the deliveries of a committed transaction's events (queued at its commit); a
    redelivered message finds them fanned out and does nothing."""
    return webhook_events_fan_out(event_ids=event_ids)


@shared_task(
    name="webhooks.deliveries_send",
    acks_late=True,
    reject_on_worker_lost=True,
    # A batch of 50 at 8 threads and a 10 s timeout takes at most ~70 s.
    soft_time_limit=150,
    time_limit=180,
)
def webhook_deliveries_send_task(*, delivery_ids: list[str]) -> int:
    """Attempt the due ones of ``delivery_ids``; a redelivered message is a no-op for those
    already claimed or done."""
    return webhook_deliveries_send(delivery_ids=delivery_ids)


@shared_task(name="webhooks.deliveries_sweep", acks_late=True, reject_on_worker_lost=True)
def webhook_deliveries_sweep_task() -> int:
    """Run by beat: enqueue due retries and deliveries whose enqueue or worker was lost."""
    return webhook_deliveries_sweep()


@shared_task(name="webhooks.events_fan_out_sweep", acks_late=True, reject_on_worker_lost=True)
def webhook_events_fan_out_sweep_task() -> int:
    """Run by beat: fan out the committed events whose fan-out was never enqueued."""
    return webhook_events_fan_out_sweep()
