"""The outbox relay: an event's deliveries are made after its transaction commits, by one
fan-out task per transaction, or by the beat sweep when that task was never enqueued; once per
event and endpoint, for the endpoints that existed and were enabled when it was recorded."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from kombu.exceptions import OperationalError

from apps.core.actor import SYSTEM
from apps.core.models import Event
from apps.webhooks.enums import DeliveryStatus
from apps.webhooks.models import WebhookAttempt, WebhookDelivery
from apps.webhooks.services import (
    webhook_endpoint_delete,
    webhook_endpoint_update,
    webhook_events_fan_out,
    webhook_events_fan_out_sweep,
)
from apps.webhooks.services.outbox import FAN_OUT_GRACE
from apps.webhooks.tasks import (
    webhook_deliveries_send_task,
    webhook_events_fan_out_sweep_task,
    webhook_events_fan_out_task,
)
from config.celery import CELERY_BEAT_SCHEDULE, app
from tests.webhooks.conftest import endpoint_make, event_make

T0 = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)


def _queued(tasks_queued, task) -> list[dict]:
    """The keyword arguments of each queued ``task``, taken off the queue (nothing is run)."""
    mine = [kwargs for queued, _, kwargs in tasks_queued if queued.name == task.name]
    tasks_queued[:] = [entry for entry in tasks_queued if entry[0].name != task.name]
    return mine


@pytest.mark.django_db(transaction=True)
def test_an_event_is_fanned_out_after_commit_to_matching_enabled_endpoints_only(
    acme, globex, tasks_queued
):
    # given
    everything = endpoint_make(acme.account, "https://a.example/all")
    endpoint_make(acme.account, "https://a.example/inv", ["invoice.paid"])
    customers = endpoint_make(acme.account, "https://a.example/cus", ["customer.created"])
    disabled = endpoint_make(acme.account, "https://a.example/off")
    webhook_endpoint_update(
        account=acme.account, endpoint_id=disabled.id, disabled=True, actor=SYSTEM
    )
    endpoint_make(globex.account, "https://g.example/all")
    # when the event commits: no endpoint was read, no delivery made, one fan-out queued
    with CaptureQueriesContext(connection) as queries:
        event = event_make(acme.account, "customer.created")
    assert not any("webhooks_" in query["sql"] for query in queries.captured_queries)
    assert WebhookDelivery.objects.count() == 0
    assert Event.objects.get(pk=event.pk).fanned_out_at is None
    assert _queued(tasks_queued, webhook_events_fan_out_task) == [{"event_ids": [event.id]}]
    assert tasks_queued == []
    # then the fan-out makes the deliveries and queues their send
    assert webhook_events_fan_out(event_ids=[event.id]) == 2
    deliveries = WebhookDelivery.objects.filter(event=event)
    assert sorted(d.endpoint_id for d in deliveries) == sorted([everything.id, customers.id])
    assert {d.status for d in deliveries} == {DeliveryStatus.PENDING}
    assert {d.account_id for d in deliveries} == {acme.id}
    assert {d.created_at for d in deliveries} == {event.created_at}
    stored = Event.objects.get(pk=event.pk)
    assert stored.pending_webhooks == 2
    assert stored.fanned_out_at is not None
    assert WebhookAttempt.objects.count() == 0
    (sent,) = _queued(tasks_queued, webhook_deliveries_send_task)
    assert sorted(sent["delivery_ids"]) == sorted(d.id for d in deliveries)
    assert tasks_queued == []


@pytest.mark.django_db(transaction=True)
def test_one_transaction_of_many_events_queues_one_fan_out_and_one_send(acme, tasks_queued):
    endpoint_make(acme.account, "https://a.example/all")
    with transaction.atomic():
        events = [event_make(acme.account, object_id=f"cus_{n}") for n in range(3)]
    (fan_out,) = _queued(tasks_queued, webhook_events_fan_out_task)
    assert fan_out == {"event_ids": [e.id for e in events]}
    assert webhook_events_fan_out(**fan_out) == 3
    delivery_ids = [WebhookDelivery.objects.get(event=e).id for e in events]
    assert _queued(tasks_queued, webhook_deliveries_send_task) == [{"delivery_ids": delivery_ids}]


@pytest.mark.django_db(transaction=True)
def test_no_endpoint_no_delivery_and_no_send(acme, tasks_queued):
    endpoint_make(acme.account, "https://a.example/inv", ["invoice.paid"])
    event = event_make(acme.account, "customer.created")
    assert webhook_events_fan_out(event_ids=[event.id]) == 0
    assert WebhookDelivery.objects.count() == 0
    stored = Event.objects.get(pk=event.pk)
    assert (stored.pending_webhooks, stored.fanned_out_at is not None) == (0, True)
    assert _queued(tasks_queued, webhook_events_fan_out_task) == [{"event_ids": [event.id]}]
    assert tasks_queued == []


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_event_queues_no_fan_out(acme, tasks_queued):
    endpoint_make(acme.account, "https://a.example/all")

    def change_that_fails():
        with transaction.atomic():
            event_make(acme.account)
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        change_that_fails()
    assert (Event.objects.count(), WebhookDelivery.objects.count()) == (0, 0)
    assert tasks_queued == []


@pytest.mark.django_db(transaction=True)
def test_an_event_is_fanned_out_once_however_often_it_is_asked(acme, tasks_queued):
    endpoint_make(acme.account, "https://a.example/all")
    event = event_make(acme.account)
    assert webhook_events_fan_out(event_ids=[event.id]) == 1
    assert webhook_events_fan_out(event_ids=[event.id]) == 0
    assert webhook_events_fan_out_task.apply(kwargs={"event_ids": [event.id]}).get() == 0
    assert WebhookDelivery.objects.filter(event=event).count() == 1
    assert Event.objects.get(pk=event.pk).pending_webhooks == 1
    assert webhook_events_fan_out(event_ids=["evt_missing"]) == 0


@pytest.mark.django_db(transaction=True)
def test_endpoints_created_after_the_event_or_gone_before_the_fan_out_get_nothing(
    acme, tasks_queued
):
    kept = endpoint_make(acme.account, "https://a.example/kept")
    disabled = endpoint_make(acme.account, "https://a.example/disabled")
    deleted = endpoint_make(acme.account, "https://a.example/deleted")
    with time_machine.travel(T0, tick=False):
        event = event_make(acme.account)
    with time_machine.travel(T0 + timedelta(seconds=1), tick=False):
        endpoint_make(acme.account, "https://a.example/later")
    webhook_endpoint_update(
        account=acme.account, endpoint_id=disabled.id, disabled=True, actor=SYSTEM
    )
    webhook_endpoint_delete(account=acme.account, endpoint_id=deleted.id, actor=SYSTEM)
    assert webhook_events_fan_out(event_ids=[event.id]) == 1
    assert list(WebhookDelivery.objects.values_list("endpoint_id", flat=True)) == [kept.id]
    assert Event.objects.get(pk=event.pk).pending_webhooks == 1


@pytest.mark.django_db(transaction=True)
def test_the_sweep_fans_out_an_event_whose_fan_out_was_never_queued(
    acme, receiver, eager_tasks, monkeypatch
):
    # given the broker refused the fan-out at commit: the change stands, nothing was made
    endpoint_make(acme.account, receiver.url)

    def refuse(*args, **kwargs):
        raise OperationalError("Error 111 connecting to the broker. Connection refused.")

    monkeypatch.setattr(webhook_events_fan_out_task, "delay", refuse)
    with time_machine.travel(T0, tick=False):
        event = event_make(acme.account)
    monkeypatch.undo()
    assert WebhookDelivery.objects.count() == 0
    # within the grace period the task might still be on its way
    with time_machine.travel(T0 + FAN_OUT_GRACE - timedelta(seconds=1), tick=False):
        assert webhook_events_fan_out_sweep() == 0
    assert WebhookDelivery.objects.count() == 0
    # then the sweep fans it out, and its delivery is sent
    with time_machine.travel(T0 + FAN_OUT_GRACE, tick=False):
        assert webhook_events_fan_out_sweep_task.apply().get() == 1
        assert webhook_events_fan_out_sweep() == 0
    assert [hit.event["id"] for hit in receiver.wait_for(1)] == [event.id]
    delivery = WebhookDelivery.objects.get(event=event)
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert Event.objects.get(pk=event.pk).pending_webhooks == 0


@pytest.mark.django_db(transaction=True)
def test_fanning_out_inside_a_transaction_is_refused(acme):
    event = event_make(acme.account)
    with pytest.raises(RuntimeError, match="after their transaction"), transaction.atomic():
        webhook_events_fan_out(event_ids=[event.id])


def test_fan_out_tasks_are_named_routed_and_the_sweep_is_on_beat():
    for task, name in [
        (webhook_events_fan_out_task, "webhooks.events_fan_out"),
        (webhook_events_fan_out_sweep_task, "webhooks.events_fan_out_sweep"),
    ]:
        assert task.name == name
        assert app.amqp.router.route({}, name)["queue"].name == "webhooks"
        assert (task.acks_late, task.reject_on_worker_lost) == (True, True)
    entry = {"task": "webhooks.events_fan_out_sweep", "schedule": 30.0}
    assert CELERY_BEAT_SCHEDULE["webhooks.events_fan_out_sweep"] == entry
    assert app.conf.beat_schedule["webhooks.events_fan_out_sweep"] == entry
