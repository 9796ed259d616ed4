"""Task names, routing and the beat entry of the webhooks app."""

import pytest

from apps.webhooks.tasks import webhook_deliveries_send_task, webhook_deliveries_sweep_task
from config.celery import CELERY_BEAT_SCHEDULE, app


def test_tasks_are_named_and_routed_to_the_webhooks_queue():
    for task, name in [
        (webhook_deliveries_send_task, "webhooks.deliveries_send"),
        (webhook_deliveries_sweep_task, "webhooks.deliveries_sweep"),
    ]:
        assert task.name == name
        assert name in app.tasks
        assert app.amqp.router.route({}, name)["queue"].name == "webhooks"
        assert task.acks_late is True
        assert task.reject_on_worker_lost is True


def test_beat_runs_the_sweeper_every_15_seconds():
    entry = CELERY_BEAT_SCHEDULE["webhooks.deliveries_sweep"]
    assert entry == {"task": "webhooks.deliveries_sweep", "schedule": 15.0}
    assert app.conf.beat_schedule["webhooks.deliveries_sweep"] == entry


@pytest.mark.django_db(transaction=True)
def test_send_task_with_unknown_ids_does_nothing():
    assert webhook_deliveries_send_task.apply(kwargs={"delivery_ids": ["whd_missing"]}).get() == 0
