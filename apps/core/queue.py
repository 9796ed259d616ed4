"""Enqueueing a task from a service, by the task's name.

A task calls a service (tasks are the edge of an app, above its services), so a service that
has work done later names the task instead of importing it. The task is looked up among the
Celery app's registered tasks, so eager mode (tests, ``CELERY_TASK_ALWAYS_EAGER``) still runs
it in place.
"""

import threading

from celery import current_app
from django.conf import settings
from django.db import transaction

# Held while the task modules are imported on first use. Celery's autodiscovery returns at once,
# importing nothing, to a thread that calls it while another thread runs it
# (``celery.loaders.base._RACE_PROTECTION``), so without the lock that thread would read the
# registry half filled and fail with ``NotRegistered``.
_IMPORT_LOCK = threading.Lock()


def celery_queues() -> tuple[str, ...]:
    """Every queue a task can be sent to: the default queue, then each routed queue once (the
    production layout runs one worker pool per queue; docs/deploy.md)."""
    routed = [route["queue"] for route in settings.CELERY_TASK_ROUTES.values()]
    return tuple(dict.fromkeys([settings.CELERY_TASK_DEFAULT_QUEUE, *routed]))


def task_named(name: str):
    """The registered task ``name`` (its app's tasks module is imported on first use, by one
    thread while the others wait: a gthread web process's first concurrent requests)."""
    tasks = current_app.tasks
    if name not in tasks:
        with _IMPORT_LOCK:
            if name not in tasks:
                current_app.loader.import_default_modules()
    return tasks[name]


def task_enqueue_on_commit(name: str, **kwargs) -> None:
    """Send task ``name`` with keyword arguments once the current transaction commits (at once
    outside one), as ``Task.delay_on_commit`` does."""
    transaction.on_commit(lambda: task_named(name).delay(**kwargs))
