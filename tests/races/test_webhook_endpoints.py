"""Webhook fan-out races on PostgreSQL.

An endpoint deleted while events are being recorded and fanned out: every event's transaction
commits, and no delivery is left pointing at the deleted endpoint. The deliveries are made after
each event's transaction commits, by its fan-out (run at the commit here, as ``tasks_inline``
runs it), which holds the account's endpoints (``KEY SHARE``) until it commits: the delete waits
for the fan-outs under way and takes their deliveries with it; a fan-out after the delete does
not see the endpoint.

And one batch of events fanned out by twenty workers at once (the fan-out task, its redelivery,
the sweep): each event gets one delivery per endpoint, once."""

from apps.core.actor import SYSTEM
from apps.core.errors import ApplicationError
from apps.core.models import Event
from apps.customers.api.params import customer_create_parse
from apps.customers.services import customer_create
from apps.webhooks.models import WebhookDelivery
from apps.webhooks.services import webhook_endpoint_delete, webhook_events_fan_out
from apps.webhooks.tasks import webhook_deliveries_send_task, webhook_events_fan_out_task
from tests.conftest import make_account
from tests.races.conftest import RACERS, race
from tests.webhooks.conftest import endpoint_make, event_make


def test_deleting_an_endpoint_while_events_are_recorded_leaves_no_orphan(
    transactional_db, eager_tasks, monkeypatch
):
    monkeypatch.setattr(webhook_deliveries_send_task, "delay", lambda **_: None)
    acme = make_account("Acme")
    kept = endpoint_make(acme.account, "http://127.0.0.1:9/kept")
    doomed = endpoint_make(acme.account, "http://127.0.0.1:9/doomed")

    results = race(
        lambda i: (
            webhook_endpoint_delete(account=acme.account, endpoint_id=doomed.id, actor=SYSTEM)
            if i == RACERS // 2
            else customer_create(
                account=acme.account,
                **customer_create_parse({"email": f"c{i}@example.com"}),
                actor=SYSTEM,
            )
        )
    )

    failures = [r for r in results if isinstance(r, Exception)]
    assert failures == [], failures
    assert not isinstance(results[RACERS // 2], ApplicationError)
    events = Event.objects.filter(account=acme.account, type="customer.created")
    assert events.count() == RACERS - 1
    assert events.filter(fanned_out_at__isnull=True).count() == 0
    deliveries = WebhookDelivery.objects.filter(account=acme.account)
    assert set(deliveries.values_list("endpoint_id", flat=True)) == {kept.id}
    assert deliveries.count() == RACERS - 1
    assert sorted(set(events.values_list("pending_webhooks", flat=True))) == [1]


def test_events_fanned_out_by_many_workers_at_once_get_their_deliveries_once(
    transactional_db, monkeypatch
):
    # given forty committed events whose fan-out has not run, and two endpoints
    monkeypatch.setattr(webhook_events_fan_out_task, "delay", lambda **_: None)
    sends: list[list[str]] = []
    monkeypatch.setattr(
        webhook_deliveries_send_task, "delay", lambda *, delivery_ids: sends.append(delivery_ids)
    )
    acme = make_account("Acme")
    endpoints = {
        endpoint_make(acme.account, "http://127.0.0.1:9/a").id,
        endpoint_make(acme.account, "http://127.0.0.1:9/b").id,
    }
    event_ids = [event_make(acme.account, object_id=f"cus_{n}").id for n in range(40)]

    # when twenty workers fan them out at once, each from its own end of the list
    made = race(lambda i: webhook_events_fan_out(event_ids=event_ids if i % 2 else event_ids[::-1]))

    # then
    assert [m for m in made if isinstance(m, Exception)] == []
    assert sum(made) == 80
    deliveries = WebhookDelivery.objects.filter(account=acme.account)
    assert deliveries.count() == 80
    assert set(deliveries.values_list("event_id", "endpoint_id")) == {
        (event_id, endpoint_id) for event_id in event_ids for endpoint_id in endpoints
    }
    events = Event.objects.filter(pk__in=event_ids)
    assert set(events.values_list("pending_webhooks", flat=True)) == {2}
    assert events.filter(fanned_out_at__isnull=True).count() == 0
    assert sorted(d for batch in sends for d in batch) == sorted(
        deliveries.values_list("pk", flat=True)
    )
