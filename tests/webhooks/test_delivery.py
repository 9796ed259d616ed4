"""Delivery: signed POSTs, retries with backoff, the sweeper, replay,
and the races (two workers, a worker that dies mid-send)."""

import json
import threading
from datetime import UTC, datetime, timedelta

import pytest
import stripe
import time_machine
from django.db import connection, transaction
from kombu.exceptions import OperationalError

from apps.accounts.models import AuditLogEntry
from apps.core.actor import SYSTEM, Actor
from apps.core.errors import InvalidRequestError, PermissionDeniedError, ResourceMissingError
from apps.core.events import event_render
from apps.core.models import Event
from apps.webhooks.enums import DeliveryStatus
from apps.webhooks.models import WebhookAttempt, WebhookDelivery
from apps.webhooks.services import (
    webhook_deliveries_send,
    webhook_deliveries_sweep,
    webhook_delivery_replay,
    webhook_endpoint_delete,
    webhook_endpoint_update,
    webhook_events_fan_out,
)
from apps.webhooks.services.deliveries import ABANDONED, ENQUEUE_GRACE, _deliveries_claim, _lease
from apps.webhooks.tasks import webhook_deliveries_send_task
from tests.webhooks.conftest import endpoint_make, event_make

T0 = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
DEVELOPER = Actor(kind="user", label="dev@example.com", role="developer")


def _attempts(delivery) -> list[tuple]:
    return list(
        WebhookAttempt.objects.filter(delivery=delivery)
        .order_by("number")
        .values_list("number", "attempted_at", "status_code", "manual")
    )


@pytest.fixture
def broker_down(monkeypatch):
    """The broker refuses messages, as when Redis is unreachable: enqueues are lost."""

    def refuse(*args, **kwargs):
        raise OperationalError("Error 111 connecting to the broker. Connection refused.")

    monkeypatch.setattr(webhook_deliveries_send_task, "delay", refuse)
    return monkeypatch


# --- the consumer (inside the recording transaction; the fan-out: test_fan_out.py) -------


def test_rolled_back_event_leaves_no_delivery(acme, django_capture_on_commit_callbacks):
    endpoint_make(acme.account, "https://a.example/all")

    def change_that_fails():
        with transaction.atomic():
            event_make(acme.account)
            raise RuntimeError("the change failed")

    with django_capture_on_commit_callbacks() as callbacks:
        with pytest.raises(RuntimeError):
            change_that_fails()
    assert WebhookDelivery.objects.count() == 0
    assert Event.objects.count() == 0
    assert callbacks == []


# --- sending --------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_event_is_posted_signed_after_commit(acme, receiver, eager_tasks):
    # given
    endpoint = endpoint_make(acme.account, receiver.url, ["customer.created"])
    # when
    event = event_make(acme.account, "customer.created", "cus_42")
    # then: the receiver verifies it with the official SDK
    (hit,) = receiver.hits
    assert hit.path == "/hooks"
    assert hit.headers["Content-Type"] == "application/json; charset=utf-8"
    verified = stripe.Webhook.construct_event(
        hit.body.decode(), hit.headers["Stripe-Signature"], endpoint.secret
    )
    assert verified.id == event.id
    # rendered at send time, when this delivery was still pending
    assert hit.event == json.loads(json.dumps({**event_render(event), "pending_webhooks": 1}))
    assert hit.event["data"]["object"] == {"id": "cus_42", "object": "customer"}
    delivery = WebhookDelivery.objects.get(event=event)
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert delivery.attempt_count == 1
    assert delivery.last_status_code == 200
    assert delivery.next_attempt_at is None
    attempt = WebhookAttempt.objects.get(delivery=delivery)
    assert (attempt.number, attempt.status_code, attempt.error) == (1, 200, "")
    assert attempt.response_excerpt == '{"received": true}'
    assert attempt.latency_ms >= 0
    assert attempt.finished_at is not None
    assert Event.objects.get(pk=event.pk).pending_webhooks == 0


@pytest.mark.django_db(transaction=True)
def test_failing_receiver_is_retried_with_backoff_until_it_answers(acme, receiver, eager_tasks):
    # given a receiver that fails twice
    receiver.statuses = [500, 500]
    endpoint_make(acme.account, receiver.url)
    # when the event is recorded: first attempt, 500
    with time_machine.travel(T0, tick=False):
        event = event_make(acme.account)
    delivery = WebhookDelivery.objects.get(event=event)
    assert (delivery.status, delivery.attempt_count) == (DeliveryStatus.PENDING, 1)
    assert delivery.last_status_code == 500
    assert delivery.next_attempt_at == T0 + timedelta(minutes=1)
    # not yet due: neither the sweeper nor a stray send does anything
    with time_machine.travel(T0 + timedelta(seconds=59), tick=False):
        assert webhook_deliveries_sweep() == 0
        assert webhook_deliveries_send(delivery_ids=[delivery.id]) == 0
    assert len(receiver.hits) == 1
    # a minute later the sweeper sends attempt 2: 500 again, next in 5 minutes
    second_at = T0 + timedelta(minutes=1)
    with time_machine.travel(second_at, tick=False):
        assert webhook_deliveries_sweep() == 1
    delivery.refresh_from_db()
    assert delivery.attempt_count == 2
    assert delivery.next_attempt_at == second_at + timedelta(minutes=5)
    # attempt 3 succeeds
    third_at = second_at + timedelta(minutes=5)
    with time_machine.travel(third_at, tick=False):
        assert webhook_deliveries_sweep() == 1
        assert webhook_deliveries_sweep() == 0
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert delivery.next_attempt_at is None
    assert _attempts(delivery) == [
        (1, T0, 500, False),
        (2, second_at, 500, False),
        (3, third_at, 200, False),
    ]
    errors = list(WebhookAttempt.objects.order_by("number").values_list("error", flat=True))
    assert errors == ["HTTP 500", "HTTP 500", ""]
    assert [hit.event["id"] for hit in receiver.hits] == [event.id] * 3
    assert Event.objects.get(pk=event.pk).pending_webhooks == 0


@pytest.mark.django_db(transaction=True)
def test_delivery_fails_after_three_days_of_retries(acme, receiver, eager_tasks):
    receiver.default_status = 503
    endpoint_make(acme.account, receiver.url)
    with time_machine.travel(T0, tick=False):
        event = event_make(acme.account)
    delivery = WebhookDelivery.objects.get(event=event)
    while delivery.status == DeliveryStatus.PENDING:
        with time_machine.travel(delivery.next_attempt_at, tick=False):
            assert webhook_deliveries_sweep() == 1
        delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.next_attempt_at is None
    assert delivery.attempt_count == 11
    times = [row[1] for row in _attempts(delivery)]
    assert times[-1] - T0 == timedelta(hours=63, minutes=36)
    assert len(receiver.hits) == 11
    # failed deliveries still count as not delivered
    assert Event.objects.get(pk=event.pk).pending_webhooks == 1
    with time_machine.travel(T0 + timedelta(days=4), tick=False):
        assert webhook_deliveries_sweep() == 0


@pytest.mark.django_db(transaction=True)
def test_refused_connection_and_long_bodies_are_recorded(acme, receiver, eager_tasks):
    # a port nothing listens on: bind one, then close it
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    refused = endpoint_make(acme.account, f"http://127.0.0.1:{closed_port}/x", ["invoice.paid"])
    receiver.body = b"x" * 5000
    receiver.default_status = 410
    talkative = endpoint_make(acme.account, receiver.url, ["customer.created"])
    with time_machine.travel(T0, tick=False):
        event_make(acme.account, "invoice.paid")
        event_make(acme.account, "customer.created")
    no_answer = WebhookAttempt.objects.get(delivery__endpoint=refused)
    assert no_answer.status_code is None
    assert no_answer.error.startswith("ConnectionError: ")
    assert no_answer.response_excerpt == ""
    gone = WebhookAttempt.objects.get(delivery__endpoint=talkative)
    assert (gone.status_code, gone.error) == (410, "HTTP 410")
    assert gone.response_excerpt == "x" * 2000
    for delivery in WebhookDelivery.objects.all():
        assert delivery.next_attempt_at == T0 + timedelta(minutes=1)


# --- at least once: lost enqueues, dead workers, two workers ---------------------------------


@pytest.mark.django_db(transaction=True)
def test_sweeper_enqueues_a_delivery_whose_enqueue_was_lost(
    acme, receiver, eager_tasks, broker_down
):
    # given the broker was down when the event committed: the change stands, nothing was sent
    endpoint_make(acme.account, receiver.url)
    with time_machine.travel(T0, tick=False):
        event = event_make(acme.account)
    delivery = WebhookDelivery.objects.get(event=event)
    assert (delivery.status, delivery.attempt_count, delivery.enqueued_at) == (
        DeliveryStatus.PENDING,
        0,
        T0,
    )
    broker_down.undo()
    # within the grace period the message might still be on its way
    with time_machine.travel(T0 + ENQUEUE_GRACE - timedelta(seconds=1), tick=False):
        assert webhook_deliveries_sweep() == 0
    assert receiver.hits == []
    # then the sweeper enqueues it again
    with time_machine.travel(T0 + ENQUEUE_GRACE, tick=False):
        assert webhook_deliveries_sweep() == 1
    assert [hit.event["id"] for hit in receiver.hits] == [event.id]
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED


@pytest.mark.django_db(transaction=True)
def test_delivery_whose_worker_died_mid_send_is_redelivered(
    acme, receiver, eager_tasks, broker_down
):
    endpoint_make(acme.account, receiver.url)
    with time_machine.travel(T0, tick=False):
        event = event_make(acme.account)
    broker_down.undo()
    delivery = WebhookDelivery.objects.get(event=event)
    # a worker claims it and dies before sending (no outcome is ever recorded)
    with time_machine.travel(T0 + timedelta(seconds=1), tick=False):
        (claim,) = _deliveries_claim([delivery.id])
    lease_end = T0 + timedelta(seconds=1) + _lease(1)
    delivery.refresh_from_db()
    assert (delivery.attempt_count, delivery.next_attempt_at) == (1, lease_end)
    # while the lease runs nobody else takes it
    with time_machine.travel(lease_end - timedelta(seconds=1), tick=False):
        assert webhook_deliveries_sweep() == 0
        assert webhook_deliveries_send(delivery_ids=[delivery.id]) == 0
    assert receiver.hits == []
    # after it, the sweeper sends it again
    with time_machine.travel(lease_end, tick=False):
        assert webhook_deliveries_sweep() == 1
    assert [hit.event["id"] for hit in receiver.hits] == [event.id]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempt_count) == (DeliveryStatus.SUCCEEDED, 2)
    first, second = WebhookAttempt.objects.filter(delivery=delivery).order_by("number")
    assert (first.pk, first.status_code, first.error) == (claim.attempt_id, None, ABANDONED)
    assert first.finished_at == lease_end
    assert (second.status_code, second.error) == (200, "")


@pytest.mark.django_db(transaction=True)
def test_two_workers_sending_the_same_delivery_send_it_once(
    file_database, acme, receiver, eager_tasks, broker_down
):
    endpoint_make(acme.account, receiver.url)
    event = event_make(acme.account)
    delivery = WebhookDelivery.objects.get(event=event)
    broker_down.undo()
    receiver.delay = 0.3  # the first send is still in flight when the second worker looks
    start = threading.Barrier(2)
    sent: list[int] = []

    def worker():
        try:
            start.wait()
            sent.append(webhook_deliveries_send(delivery_ids=[delivery.id]))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(sent) == [0, 1]
    assert len(receiver.hits) == 1
    assert WebhookAttempt.objects.filter(delivery=delivery).count() == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempt_count) == (DeliveryStatus.SUCCEEDED, 1)


def test_sending_inside_a_transaction_is_refused(acme):
    with pytest.raises(RuntimeError, match="outside any transaction"), transaction.atomic():
        webhook_deliveries_send(delivery_ids=["whd_x"])


# --- disabled and deleted endpoints ----------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_disabled_endpoint_holds_pending_retries_until_enabled(acme, receiver, eager_tasks):
    receiver.statuses = [500]
    endpoint = endpoint_make(acme.account, receiver.url)
    with time_machine.travel(T0, tick=False):
        event = event_make(acme.account)
    webhook_endpoint_update(
        account=acme.account, endpoint_id=endpoint.id, disabled=True, actor=SYSTEM
    )
    later = T0 + timedelta(minutes=10)
    with time_machine.travel(later, tick=False):
        assert webhook_deliveries_sweep() == 0
        event_make(acme.account, object_id="cus_2")  # not sent: the endpoint is disabled
        webhook_endpoint_update(
            account=acme.account, endpoint_id=endpoint.id, disabled=False, actor=SYSTEM
        )
        assert webhook_deliveries_sweep() == 1
    assert [hit.event["id"] for hit in receiver.hits] == [event.id, event.id]
    assert WebhookDelivery.objects.get().status == DeliveryStatus.SUCCEEDED


@pytest.mark.django_db(transaction=True)
def test_deleting_an_endpoint_stops_counting_its_deliveries(acme, receiver, eager_tasks):
    receiver.default_status = 500
    kept = endpoint_make(acme.account, receiver.url)
    removed = endpoint_make(acme.account, receiver.url)
    event = event_make(acme.account)
    assert Event.objects.get(pk=event.pk).pending_webhooks == 2
    webhook_endpoint_delete(account=acme.account, endpoint_id=removed.id, actor=SYSTEM)
    assert Event.objects.get(pk=event.pk).pending_webhooks == 1
    assert list(WebhookDelivery.objects.values_list("endpoint_id", flat=True)) == [kept.id]


# --- replay ---------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_replay_sends_a_delivered_event_again_now(acme, receiver, eager_tasks):
    endpoint_make(acme.account, receiver.url)
    with time_machine.travel(T0, tick=False):
        event = event_make(acme.account)
    delivery = WebhookDelivery.objects.get(event=event)
    replay_at = T0 + timedelta(days=10)
    # when
    with time_machine.travel(replay_at, tick=False):
        returned = webhook_delivery_replay(
            account=acme.account, delivery_id=delivery.id, actor=DEVELOPER
        )
    # then
    assert returned.pk == delivery.pk
    assert [hit.event["id"] for hit in receiver.hits] == [event.id, event.id]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempt_count) == (DeliveryStatus.SUCCEEDED, 2)
    assert _attempts(delivery) == [(1, T0, 200, False), (2, replay_at, 200, True)]
    assert Event.objects.get(pk=event.pk).pending_webhooks == 0
    audit = AuditLogEntry.objects.get(action="webhook_delivery.replayed")
    assert (audit.object_id, audit.actor_label) == (delivery.id, "dev@example.com")
    assert audit.changes == {"status": ["succeeded", "pending"]}


@pytest.mark.django_db(transaction=True)
def test_replay_of_a_failed_delivery_after_the_window(acme, receiver, eager_tasks):
    receiver.statuses = [500]
    endpoint_make(acme.account, receiver.url)
    with time_machine.travel(T0, tick=False):
        event = event_make(acme.account)
    delivery = WebhookDelivery.objects.get(event=event)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.FAILED, next_attempt_at=None
    )
    with time_machine.travel(T0 + timedelta(days=5), tick=False):
        webhook_delivery_replay(account=acme.account, delivery_id=delivery.id, actor=DEVELOPER)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert Event.objects.get(pk=event.pk).pending_webhooks == 0


@pytest.mark.django_db(transaction=True)
def test_replay_is_refused_for_other_accounts_disabled_endpoints_and_viewers(
    acme, globex, tasks_queued
):
    endpoint = endpoint_make(acme.account, "https://a.example/x")
    event = event_make(acme.account)
    tasks_queued.clear()
    webhook_events_fan_out(event_ids=[event.id])
    delivery = WebhookDelivery.objects.get(event=event)
    with pytest.raises(ResourceMissingError, match="No such webhook delivery"):
        webhook_delivery_replay(account=globex.account, delivery_id=delivery.id, actor=SYSTEM)
    viewer = Actor(kind="user", label="v@example.com", role="view_only")
    with pytest.raises(PermissionDeniedError, match="does not allow"):
        webhook_delivery_replay(account=acme.account, delivery_id=delivery.id, actor=viewer)
    webhook_endpoint_update(
        account=acme.account, endpoint_id=endpoint.id, disabled=True, actor=SYSTEM
    )
    with pytest.raises(InvalidRequestError, match="disabled"):
        webhook_delivery_replay(account=acme.account, delivery_id=delivery.id, actor=SYSTEM)
    assert AuditLogEntry.objects.filter(action="webhook_delivery.replayed").count() == 0
    assert WebhookDelivery.objects.get().replay_requested_at is None
