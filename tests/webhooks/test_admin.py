"""Developers → Webhooks pages: list, create (with form errors), enable/disable, deliveries
with their attempts, resend."""

import pytest
from django.test import Client
from django.urls import reverse

from apps.accounts.enums import Role
from apps.accounts.models import AuditLogEntry
from apps.webhooks.enums import DeliveryStatus, EndpointStatus
from apps.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from tests.dashboard.conftest import staff_login
from tests.webhooks.conftest import endpoint_make, event_make

LIST_URL = reverse("admin:webhooks_webhookendpoint_changelist")
CREATE_URL = reverse("admin:webhooks_webhookendpoint_create")


@pytest.fixture
def staff_client(acme) -> Client:
    return staff_login(Client(), account=acme.account)


def test_list_shows_only_the_current_accounts_endpoints(staff_client, acme, globex):
    endpoint_make(acme.account, "https://acme.example/hooks", ["invoice.paid"])
    endpoint_make(globex.account, "https://globex.example/hooks")
    page = staff_client.get(LIST_URL)
    assert page.status_code == 200
    html = page.content.decode()
    assert "https://acme.example/hooks" in html
    assert "invoice.paid" in html
    assert "https://globex.example/hooks" not in html


def test_create_shows_the_signing_secret(staff_client, acme):
    response = staff_client.post(
        CREATE_URL,
        {
            "url": "https://acme.example/new",
            "description": "CRM",
            "enabled_events": "invoice.paid,\ncustomer.created",
        },
    )
    endpoint = WebhookEndpoint.objects.get(account=acme.account)
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "admin:webhooks_webhookendpoint_change", args=[endpoint.id]
    )
    assert endpoint.enabled_events == ["invoice.paid", "customer.created"]
    assert endpoint.description == "CRM"
    detail = staff_client.get(response["Location"]).content.decode()
    assert endpoint.secret in detail
    assert "The endpoint was created" in detail
    audit = AuditLogEntry.objects.get(action="webhook_endpoint.created")
    assert audit.actor_label == f"administrator.{acme.id}@example.com"


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"url": "ftp://x.example/", "enabled_events": "*"}, "url", "Invalid URL"),
        (
            {"url": "https://x.example/", "enabled_events": "invoice paid!"},
            "enabled_events",
            "Invalid",
        ),
        ({"url": "", "enabled_events": "*"}, "url", "This field is required."),
    ],
)
def test_create_with_bad_input_shows_form_errors_and_writes_nothing(
    staff_client, data, field, message
):
    page = staff_client.post(CREATE_URL, data)
    assert page.status_code == 200
    errors = page.context["form"].errors
    assert list(errors) == [field]
    assert errors[field][0].startswith(message)
    assert WebhookEndpoint.objects.count() == 0


def test_view_only_member_cannot_create_and_does_not_see_secrets(acme):
    endpoint = endpoint_make(acme.account, "https://acme.example/hooks")
    viewer = staff_login(Client(), account=acme.account, role=Role.VIEW_ONLY)
    page = viewer.post(CREATE_URL, {"url": "https://acme.example/2", "enabled_events": "*"})
    assert page.status_code == 200
    assert "does not allow" in page.context["form"].non_field_errors()[0]
    assert WebhookEndpoint.objects.count() == 1
    detail = viewer.get(reverse("admin:webhooks_webhookendpoint_change", args=[endpoint.id]))
    assert detail.status_code == 200
    assert endpoint.secret not in detail.content.decode()


def test_disable_then_enable(staff_client, acme):
    endpoint = endpoint_make(acme.account, "https://acme.example/hooks")
    status_url = reverse("admin:webhooks_webhookendpoint_status", args=[endpoint.id])
    assert "Disable endpoint" in staff_client.get(status_url).content.decode()
    staff_client.post(status_url, {})
    endpoint.refresh_from_db()
    assert endpoint.status == EndpointStatus.DISABLED
    assert "Enable endpoint" in staff_client.get(status_url).content.decode()
    staff_client.post(status_url, {})
    endpoint.refresh_from_db()
    assert endpoint.status == EndpointStatus.ENABLED
    changes = [
        e.changes["status"]
        for e in AuditLogEntry.objects.filter(action="webhook_endpoint.updated").order_by("id")
    ]
    assert changes == [["enabled", "disabled"], ["disabled", "enabled"]]


def test_other_accounts_endpoint_pages_are_404(staff_client, globex):
    foreign = endpoint_make(globex.account, "https://globex.example/hooks")
    for name in ("admin:webhooks_webhookendpoint_status",):
        assert staff_client.post(reverse(name, args=[foreign.id]), {}).status_code == 404
    change = staff_client.get(reverse("admin:webhooks_webhookendpoint_change", args=[foreign.id]))
    assert change.status_code == 302  # the admin's "does not exist" redirect
    foreign.refresh_from_db()
    assert foreign.status == EndpointStatus.ENABLED


@pytest.mark.django_db(transaction=True)
def test_endpoint_page_shows_deliveries_and_attempts_and_resend_works(acme, receiver, eager_tasks):
    staff_client = staff_login(Client(), account=acme.account)
    receiver.statuses = [500]
    receiver.body = b'{"error": "try later"}'
    endpoint = endpoint_make(acme.account, receiver.url)
    event = event_make(acme.account, "invoice.paid", "in_7")
    delivery = WebhookDelivery.objects.get(event=event)
    # the endpoint page lists the delivery with its failed attempt
    page = staff_client.get(reverse("admin:webhooks_webhookendpoint_change", args=[endpoint.id]))
    html = page.content.decode()
    assert f'data-delivery="{delivery.id}"' in html
    assert "invoice.paid" in html
    assert "try later" in html
    # the deliveries list, filtered by event as the event page links to it
    listed = staff_client.get(
        reverse("admin:webhooks_webhookdelivery_changelist") + f"?event__exact={event.id}"
    )
    assert listed.status_code == 200
    assert list(listed.context["cl"].result_list) == [delivery]
    # resend
    resend_url = reverse("admin:webhooks_webhookdelivery_resend", args=[delivery.id])
    assert staff_client.get(resend_url).status_code == 200
    response = staff_client.post(resend_url, {})
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert list(
        WebhookAttempt.objects.filter(delivery=delivery)
        .order_by("number")
        .values_list("status_code", "manual")
    ) == [(500, False), (200, True)]
    assert len(receiver.hits) == 2
    detail = staff_client.get(response["Location"]).content.decode()
    assert 'data-attempt="2"' in detail
    assert "(resend)" in detail
