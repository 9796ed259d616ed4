"""Sending a batch: keep-alive connections reused per host, attempt outcomes stored in bulk,
and a batch where some deliveries fail still records every attempt and schedules retries."""

import socket
import time
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from apps.core.models import Event
from apps.webhooks import transport
from apps.webhooks.enums import DeliveryStatus
from apps.webhooks.models import WebhookAttempt, WebhookDelivery
from apps.webhooks.services import deliveries, webhook_deliveries_send, webhook_deliveries_sweep
from apps.webhooks.tasks import webhook_deliveries_send_task
from tests.webhooks.conftest import endpoint_make, event_make

T0 = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def held_back(monkeypatch, eager_tasks):
    """Send tasks are collected instead of queued: the test sends the batches itself (the
    events' fan-out runs at their commit, on every broker)."""
    batches: list[list[str]] = []
    monkeypatch.setattr(
        webhook_deliveries_send_task,
        "delay",
        lambda *, delivery_ids: batches.append(delivery_ids),
    )
    return batches


def _record(account, count: int, first: int = 0) -> list[Event]:
    """``count`` events in one transaction (one batch of deliveries)."""
    with transaction.atomic():
        return [event_make(account, object_id=f"cus_{n}") for n in range(first, first + count)]


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- connections -----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_deliveries_to_one_host_reuse_one_keep_alive_connection(acme, receiver, eager_tasks):
    endpoint_make(acme.account, receiver.url)
    # five events, five transactions, five sends one after the other
    for n in range(5):
        event_make(acme.account, object_id=f"cus_{n}")
    assert len(receiver.hits) == 5
    assert len({hit.client_port for hit in receiver.hits}) == 1
    assert WebhookDelivery.objects.filter(status=DeliveryStatus.SUCCEEDED).count() == 5


@pytest.mark.django_db(transaction=True)
def test_batches_to_one_host_share_a_bounded_set_of_connections(acme, receiver, held_back):
    endpoint_make(acme.account, receiver.url)
    receiver.delay = 0.01  # posts overlap
    _record(acme.account, 3 * transport.SEND_THREADS)
    _record(acme.account, 3 * transport.SEND_THREADS, first=100)
    first, second = held_back
    assert webhook_deliveries_send(delivery_ids=first) == len(first)
    first_ports = {hit.client_port for hit in receiver.hits}
    assert 1 <= len(first_ports) <= transport.POOL_SIZE
    assert webhook_deliveries_send(delivery_ids=second) == len(second)
    all_ports = {hit.client_port for hit in receiver.hits}
    # the second batch went over the pooled connections of the first
    assert all_ports == first_ports
    assert len(receiver.hits) == 6 * transport.SEND_THREADS


@pytest.mark.django_db(transaction=True)
def test_connection_the_receiver_closed_is_replaced_not_failed(acme, receiver, eager_tasks):
    endpoint_make(acme.account, receiver.url)
    receiver.close_after_response = True  # closes without "Connection: close"
    for n in range(3):
        event_make(acme.account, object_id=f"cus_{n}")
        time.sleep(0.3)  # the close reaches the pooled connection before it is reused
    assert len({hit.client_port for hit in receiver.hits}) == 3
    assert set(WebhookAttempt.objects.values_list("status_code", "error")) == {(200, "")}
    assert WebhookDelivery.objects.filter(status=DeliveryStatus.SUCCEEDED).count() == 3


# --- bulk recording --------------------------------------------------------------------------


def _queries_to_send(delivery_ids: list[str]) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert webhook_deliveries_send(delivery_ids=delivery_ids) == len(delivery_ids)
    return len(queries)


@pytest.mark.django_db(transaction=True)
def test_a_batch_is_claimed_and_recorded_in_a_constant_number_of_queries(acme, receiver, held_back):
    endpoint_make(acme.account, receiver.url)
    _record(acme.account, 2)
    _record(acme.account, 40, first=100)
    small, large = held_back
    assert _queries_to_send(small) == _queries_to_send(large)
    assert WebhookAttempt.objects.filter(finished_at__isnull=False).count() == 42
    assert WebhookDelivery.objects.filter(status=DeliveryStatus.SUCCEEDED).count() == 42
    assert set(Event.objects.values_list("pending_webhooks", flat=True)) == {0}


# --- failures inside a batch -----------------------------------------------------------------

TRICKY = 'l\'endpoint a échoué 😀 "quoted"; DROP TABLE x; --'


def _odd_fails(hit) -> tuple[int, bytes]:
    """500 (with an awkward body) for events of odd customers, 200 for the others."""
    number = int(hit.event["data"]["object"]["id"].split("_")[1])
    if number % 2:
        return 500, TRICKY.encode()
    return 200, b'{"ok": true}'


@pytest.mark.django_db(transaction=True)
def test_failures_mid_batch_record_every_attempt_and_schedule_retries(acme, receiver, held_back):
    # given one batch of 20 deliveries: 10 events to a receiver that fails the odd ones, and
    # the same 10 to a port nothing listens on
    receiver.respond = _odd_fails
    answering = endpoint_make(acme.account, receiver.url)
    refused = endpoint_make(acme.account, f"http://127.0.0.1:{_closed_port()}/x")
    with time_machine.travel(T0, tick=False):
        events = _record(acme.account, 10)
        (batch,) = held_back
        assert len(batch) == 20
        # when
        assert webhook_deliveries_send(delivery_ids=batch) == 20
    # then every attempt has its outcome
    attempts = WebhookAttempt.objects.select_related("delivery")
    assert len(attempts) == 20
    assert {a.finished_at for a in attempts} == {T0}
    assert {a.number for a in attempts} == {1}
    by_object = {(a.delivery.endpoint_id, a.delivery.event_id): a for a in attempts}
    for n, event in enumerate(events):
        answered = by_object[(answering.id, event.id)]
        if n % 2:
            assert (answered.status_code, answered.error) == (500, "HTTP 500")
            assert answered.response_excerpt == TRICKY
        else:
            assert (answered.status_code, answered.error) == (200, "")
            assert answered.response_excerpt == '{"ok": true}'
        assert answered.latency_ms is not None
        assert answered.latency_ms >= 0
        no_answer = by_object[(refused.id, event.id)]
        assert no_answer.status_code is None
        assert no_answer.error.startswith("ConnectionError: ")
    # and every delivery moved on: succeeded, or due again in a minute
    deliveries = WebhookDelivery.objects.all()
    succeeded = {d.event_id for d in deliveries if d.status == DeliveryStatus.SUCCEEDED}
    assert succeeded == {event.id for n, event in enumerate(events) if n % 2 == 0}
    for delivery in deliveries:
        assert delivery.attempt_count == 1
        assert delivery.enqueued_at is None
        if delivery.status == DeliveryStatus.SUCCEEDED:
            assert (delivery.next_attempt_at, delivery.last_status_code) == (None, 200)
        else:
            assert delivery.status == DeliveryStatus.PENDING
            assert delivery.next_attempt_at == T0 + timedelta(minutes=1)
            expected_code = None if delivery.endpoint_id == refused.id else 500
            assert delivery.last_status_code == expected_code
    pending = dict(Event.objects.values_list("id", "pending_webhooks"))
    assert pending == {event.id: 1 if n % 2 == 0 else 2 for n, event in enumerate(events)}
    # a minute later the 15 failed ones are sent again (and only they)
    held_back.clear()
    with time_machine.travel(T0 + timedelta(minutes=1), tick=False):
        assert webhook_deliveries_sweep() == 15
        (retry,) = held_back
        assert webhook_deliveries_send(delivery_ids=retry) == 15
    assert WebhookAttempt.objects.filter(number=2).count() == 15
    assert not WebhookAttempt.objects.filter(finished_at__isnull=True).exists()


@pytest.mark.django_db(transaction=True)
def test_deliveries_left_when_the_batch_runs_out_of_time_are_recorded_and_retried(
    acme, receiver, held_back, monkeypatch
):
    # given a batch whose sending time is over before it starts (as when it waited behind
    # other batches for the process's send threads)
    sending_time = deliveries._sending_time
    monkeypatch.setattr(deliveries, "_sending_time", lambda count: timedelta(0))
    endpoint_make(acme.account, receiver.url)
    with time_machine.travel(T0, tick=False):
        _record(acme.account, 3)
        (batch,) = held_back
        assert webhook_deliveries_send(delivery_ids=batch) == 3
    # then nothing was posted, each attempt says why, and each is due again in a minute
    assert receiver.hits == []
    assert set(WebhookAttempt.objects.values_list("status_code", "error")) == {
        (None, transport.NOT_SENT)
    }
    assert set(WebhookDelivery.objects.values_list("status", "next_attempt_at")) == {
        (DeliveryStatus.PENDING, T0 + timedelta(minutes=1))
    }
    monkeypatch.setattr(deliveries, "_sending_time", sending_time)
    held_back.clear()
    with time_machine.travel(T0 + timedelta(minutes=1), tick=False):
        assert webhook_deliveries_sweep() == 3
        (retry,) = held_back
        assert webhook_deliveries_send(delivery_ids=retry) == 3
    assert len(receiver.hits) == 3
    assert WebhookDelivery.objects.filter(status=DeliveryStatus.SUCCEEDED).count() == 3
