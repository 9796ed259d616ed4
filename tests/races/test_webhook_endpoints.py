"""An endpoint deleted while events are being recorded: every event's transaction commits, and
no delivery is left pointing at the deleted endpoint."""

from apps.core.actor import SYSTEM
from apps.core.errors import ApplicationError
from apps.core.models import Event
from apps.customers.api.params import customer_create_parse
from apps.customers.services import customer_create
from apps.webhooks.models import WebhookDelivery
from apps.webhooks.services import webhook_endpoint_delete
from tests.conftest import make_account
from tests.races.conftest import RACERS, race
from tests.webhooks.conftest import endpoint_make


def test_deleting_an_endpoint_while_events_are_recorded_leaves_no_orphan(transactional_db):
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
    deliveries = WebhookDelivery.objects.filter(account=acme.account)
    assert set(deliveries.values_list("endpoint_id", flat=True)) == {kept.id}
    assert deliveries.count() == RACERS - 1
    assert sorted(set(events.values_list("pending_webhooks", flat=True))) == [1]
