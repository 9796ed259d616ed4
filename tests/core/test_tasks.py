from datetime import timedelta

import pytest
from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler

from apps.core import clock
from apps.core.models import IdempotencyKey
from apps.core.tasks import idempotency_keys_prune_task
from config.celery import CELERY_BEAT_SCHEDULE, app


def _key(account, key: str, age: timedelta) -> IdempotencyKey:
    created = clock.now() - age
    return IdempotencyKey.objects.create(
        account=account,
        key=key,
        request_fingerprint="0" * 64,
        method="POST",
        path="/v1/things",
        created_at=created,
        locked_at=None,
        response_status=200,
        response_body="{}",
        request_id="req_test",
    )


def test_prune_task_deletes_keys_older_than_24_hours_only(acme, globex):
    # given
    _key(acme.account, "old", timedelta(hours=25))
    _key(globex.account, "old-too", timedelta(days=3))
    fresh = _key(acme.account, "fresh", timedelta(hours=23))
    # when
    deleted = idempotency_keys_prune_task.apply().get()
    # then
    assert deleted == 2
    assert list(IdempotencyKey.objects.values_list("pk", flat=True)) == [fresh.pk]


def test_prune_task_with_nothing_to_prune_deletes_nothing(acme):
    fresh = _key(acme.account, "fresh", timedelta(minutes=5))
    assert idempotency_keys_prune_task.apply().get() == 0
    assert list(IdempotencyKey.objects.values_list("pk", flat=True)) == [fresh.pk]


def test_prune_task_is_named_and_routed_to_the_default_queue():
    assert idempotency_keys_prune_task.name == "core.idempotency_keys_prune"
    assert "core.idempotency_keys_prune" in app.tasks
    route = app.amqp.router.route({}, "core.idempotency_keys_prune")
    assert route["queue"].name == "default"


def test_beat_schedule_runs_the_prune_task_hourly():
    entry = CELERY_BEAT_SCHEDULE["core.idempotency_keys_prune"]
    assert entry["task"] == "core.idempotency_keys_prune"
    assert entry["schedule"].minute == {17}
    assert entry["schedule"].hour == set(range(24))
    assert app.conf.beat_schedule["core.idempotency_keys_prune"] == entry


# Transactional: the scheduler closes stale database connections, as beat does between ticks.
@pytest.mark.django_db(transaction=True)
def test_database_scheduler_stores_the_prune_entry():
    DatabaseScheduler(app=app).setup_schedule()
    stored = PeriodicTask.objects.get(name="core.idempotency_keys_prune")
    assert stored.task == "core.idempotency_keys_prune"
    assert stored.enabled is True
    assert stored.crontab.minute == "17"
    assert stored.crontab.hour == "*"
