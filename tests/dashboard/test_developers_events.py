import json

from django.db import transaction
from django.test import Client
from django.urls import reverse

from apps.core.events import event_record, event_render
from apps.core.models import Event
from apps.dashboard.templatetags.dashboard_json import json_pretty

LIST_URL = reverse("admin:core_event_changelist")


def _event(account, type: str, object_id: str) -> Event:
    with transaction.atomic():
        return event_record(
            account=account,
            type=type,
            data_object={"id": object_id, "object": type.split(".")[0], "amount": 1250},
            previous_attributes={"amount": 1000} if type.endswith(".updated") else None,
        )


def _listed(client: Client, **params) -> list[str]:
    response = client.get(LIST_URL, params)
    assert response.status_code == 200
    return [row.pk for row in response.context["cl"].result_list]


def test_event_json_view_equals_event_render(staff_client, acme):
    # given
    event = _event(acme.account, "customer.updated", "cus_1")

    # when
    response = staff_client.get(reverse("dashboard:event-json", args=[event.id]))

    # then
    assert response.status_code == 200
    assert response.json() == event_render(event)
    assert response.json() == json.loads(json_pretty(event_render(event)))


def test_event_detail_shows_the_api_rendering(staff_client, acme):
    # given
    event = _event(acme.account, "customer.updated", "cus_1")

    # when
    response = staff_client.get(reverse("admin:core_event_change", args=[event.id]))

    # then
    assert response.status_code == 200
    page = response.content.decode()
    # As loaded from the database (PostgreSQL's jsonb keeps its own key order).
    event = Event.objects.get(pk=event.pk)
    pretty = json_pretty(event_render(event))
    assert json.loads(pretty) == event_render(event)
    assert pretty.replace('"', "&quot;") in page
    assert reverse("dashboard:event-json", args=[event.id]) in page


def test_events_list_filters_and_search(staff_client, acme):
    # given
    created = _event(acme.account, "customer.created", "cus_1")
    updated = _event(acme.account, "customer.updated", "cus_1")
    invoice = _event(acme.account, "invoice.finalized", "in_1")

    # when / then
    assert _listed(staff_client) == [invoice.id, updated.id, created.id]
    assert _listed(staff_client, family="customer") == [updated.id, created.id]
    assert _listed(staff_client, family="invoice") == [invoice.id]
    assert _listed(staff_client, q="cus_1") == [updated.id, created.id]
    assert _listed(staff_client, q=invoice.id) == [invoice.id]
    families = staff_client.get(LIST_URL).content.decode()
    assert "customer.*" in families
    assert "invoice.*" in families


def test_events_are_scoped_to_the_current_account(staff_client, acme, globex):
    # given
    own = _event(acme.account, "customer.created", "cus_1")
    foreign = _event(globex.account, "customer.created", "cus_2")

    # when
    listed = _listed(staff_client)
    json_response = staff_client.get(reverse("dashboard:event-json", args=[foreign.id]))
    detail = staff_client.get(reverse("admin:core_event_change", args=[foreign.id]))

    # then
    assert listed == [own.id]
    assert _listed(staff_client, q=foreign.id) == []
    assert json_response.status_code == 404
    assert detail.status_code == 302
