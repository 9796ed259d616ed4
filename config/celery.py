"""The Celery application; tasks are found in each app's tasks.py."""

import gc
import os

from celery import Celery
from celery.schedules import crontab
from celery.signals import worker_process_init, worker_ready
from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("ledgerline", task_cls="celery.contrib.django.task:DjangoTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def worker_gc_tune(**_kwargs) -> bool:
    """Once a worker process has booted (Django set up, every task module imported): the
    objects that boot made live for the whole process, so they are collected once and then
    frozen (``gc.freeze``: never scanned again, and a prefork child's pages it shares with its
    parent are not written by the collector), and generation 0 waits for
    ``WORKER_GC_GEN0_THRESHOLD`` allocations. Runs in each prefork child
    (``worker_process_init``) and in the worker itself for the threads and solo pools
    (``worker_ready``). False when the setting is 0 (nothing changed)."""
    threshold = settings.WORKER_GC_GEN0_THRESHOLD
    if not threshold:
        return False
    gc.collect()
    gc.freeze()
    _, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(threshold, gen1, gen2)
    return True


worker_process_init.connect(worker_gc_tune, weak=False)
worker_ready.connect(worker_gc_tune, weak=False)

# Periodic tasks, synced by beat's DatabaseScheduler into django-celery-beat's tables (where staff
# can change their timing in the dashboard). Each app adds its entries here.
CELERY_BEAT_SCHEDULE = {
    "core.idempotency_keys_prune": {
        "task": "core.idempotency_keys_prune",
        "schedule": crontab(minute=17),
    },
    # Committed events whose webhook fan-out was never enqueued (the outbox relay's backstop).
    "webhooks.events_fan_out_sweep": {
        "task": "webhooks.events_fan_out_sweep",
        "schedule": 30.0,
    },
    # Due webhook retries, plus deliveries whose enqueue or worker was lost (at-least-once).
    "webhooks.deliveries_sweep": {
        "task": "webhooks.deliveries_sweep",
        "schedule": 15.0,
    },
    # Subscriptions whose period ended: renewed in batches on the invoicing queue.
    "invoicing.subscriptions_fan_out": {
        "task": "invoicing.subscriptions_fan_out",
        "schedule": 60.0,
    },
    # Auto-advancing drafts (renewals an hour after the boundary): finalized and collected.
    "invoicing.invoices_auto_advance": {
        "task": "invoicing.invoices_auto_advance",
        "schedule": 60.0,
    },
    # Items' trial ends and subscriptions' cancel_at (apps.subscriptions.lifecycle).
    "invoicing.subscriptions_lifecycle": {
        "task": "invoicing.subscriptions_lifecycle",
        "schedule": 60.0,
    },
    # invoice.upcoming / invoice.will_be_due, per account settings.
    "invoicing.billing_notices": {
        "task": "invoicing.billing_notices",
        "schedule": 300.0,
    },
    # The card updater (test mode) and customer.source.expiring notices, once a day.
    "collections.card_updates_fan_out": {
        "task": "collections.card_updates_fan_out",
        "schedule": crontab(minute=5, hour=0),
    },
    # Due payment retries (dunning), stale retry claims, incomplete subscriptions expiring.
    "collections.retries_sweep": {
        "task": "collections.retries_sweep",
        "schedule": 60.0,
    },
}
app.conf.beat_schedule = CELERY_BEAT_SCHEDULE
