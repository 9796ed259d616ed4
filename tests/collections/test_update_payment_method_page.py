"""The customer-facing "update your payment method" page: signed, expiring link; a test card
typed in becomes the customer's default through the customer services, and the invoice that
failed is paid at once (ACCEPTANCE P4)."""

import re
from datetime import timedelta

import pytest
from django.core import mail, signing
from django.test import Client

from apps.collections.payment_method_page import (
    LINK_MAX_AGE,
    update_payment_method_token,
    update_payment_method_url,
)
from apps.core.models import Event
from apps.customers.models import Customer, PaymentMethod
from apps.invoices.models import Invoice
from tests.collections.dunning import failing_renewal

# The customer emails are sent by a task: inline here, whatever the broker.
pytestmark = pytest.mark.usefixtures("tasks_inline")


@pytest.fixture
def failed(acme, at, django_capture_on_commit_callbacks):
    """A renewal declined on the customer's card, its emails sent."""
    with django_capture_on_commit_callbacks(execute=True):
        invoice = failing_renewal(acme.account, at)
    return invoice


def _path(customer: Customer) -> str:
    return update_payment_method_url(customer).removeprefix("http://127.0.0.1:8000")


def _csrf_client(path: str) -> tuple[Client, str]:
    client = Client(enforce_csrf_checks=True)
    page = client.get(path)
    assert page.status_code == 200
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    return client, token.group(1)


def _card(number="4242424242424242", month="12", year="2030"):
    return {"number": number, "exp_month": month, "exp_year": year}


def test_the_emailed_link_opens_the_page_with_what_is_due(failed):
    body = mail.outbox[-1].body
    url = re.search(r"http://127\.0\.0\.1:8000(/payment_method/\S+/)", body).group(1)

    page = Client().get(url)

    html = page.content.decode()
    assert page.status_code == 200
    assert f'data-update-payment-method="{failed.customer_id}"' in html
    assert "Visa •••• 0341" in html  # the card that declines
    assert f'Invoice {failed.number}</td><td class="amount">$25.00 due' in html
    assert page["X-Robots-Tag"] == "noindex"
    assert page["Cache-Control"] == "no-store"


def test_a_new_card_becomes_the_default_and_pays_the_failed_invoice_at_once(
    failed, django_capture_on_commit_callbacks
):
    customer = failed.customer
    path = _path(customer)
    client, csrf = _csrf_client(path)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(path, {**_card(), "csrfmiddlewaretoken": csrf})

    assert response.status_code == 302
    assert response["Location"] == f"{path}?updated=1"
    customer.refresh_from_db()
    card = PaymentMethod.objects.get(pk=customer.default_payment_method_id)
    assert (card.last4, card.exp_month, card.exp_year, card.customer_id) == (
        "4242",
        12,
        2030,
        customer.id,
    )
    updated = Event.objects.filter(type="customer.updated", object_id=customer.id).latest("id")
    assert updated.previous_attributes["invoice_settings"]["default_payment_method"] is None
    assert updated.data_object["invoice_settings"]["default_payment_method"] == card.id
    assert Event.objects.filter(type="payment_method.attached", object_id=card.id).count() == 1
    # The dunning consumer retried the open invoice with the new default.
    assert Invoice.objects.get(pk=failed.pk).status == "paid"
    assert [message.subject for message in mail.outbox] == [
        f"Your receipt from Acme for invoice {failed.number}"
    ]
    done = client.get(response["Location"]).content.decode()
    assert "data-updated" in done
    assert "Visa •••• 4242" in done
    assert "data-open-invoices" not in done


@pytest.mark.parametrize(
    ("card", "message"),
    [
        (_card(number="4242424242424241"), "Your card number is incorrect."),
        (_card(number="4000000000000002"), "Your card was declined."),
        (_card(month="1", year="2025"), "Your card has expired."),  # now: February 2025
        (_card(month="13"), "Ensure this value is less than or equal to 12."),
        (_card(number=""), "This field is required."),
    ],
)
def test_bad_input_is_a_form_error_and_changes_nothing(failed, card, message):
    customer = failed.customer
    path = _path(customer)
    client, csrf = _csrf_client(path)
    cards = PaymentMethod.objects.count()
    events = Event.objects.count()

    page = client.post(path, {**card, "csrfmiddlewaretoken": csrf})

    assert page.status_code == 200
    assert "data-form-errors" in page.content.decode()
    assert message in page.content.decode()
    customer.refresh_from_db()
    assert customer.default_payment_method_id is None
    assert (PaymentMethod.objects.count(), Event.objects.count()) == (cards, events)
    assert Invoice.objects.get(pk=failed.pk).status == "open"


def test_a_post_without_the_csrf_token_is_refused(failed):
    path = _path(failed.customer)
    client, _ = _csrf_client(path)
    cards = PaymentMethod.objects.count()

    response = client.post(path, _card())

    assert response.status_code == 403
    assert PaymentMethod.objects.count() == cards


def test_forged_expired_and_deleted_customers_links_are_not_found(failed, monkeypatch):
    customer = failed.customer
    token = update_payment_method_token(customer)
    other = token.replace(customer.id, "cus_someoneelse")
    assert Client().get(f"/payment_method/{other}/").status_code == 404
    assert Client().get(f"/payment_method/{customer.id}/").status_code == 404

    real_time = signing.time.time
    later = (LINK_MAX_AGE + timedelta(hours=1)).total_seconds()
    with monkeypatch.context() as patch:
        patch.setattr(signing.time, "time", lambda: real_time() + later)
        assert Client().get(f"/payment_method/{token}/").status_code == 404

    assert Client().get(f"/payment_method/{token}/").status_code == 200
    Customer.objects.filter(pk=customer.pk).update(deleted_at=failed.created_at)
    assert Client().get(f"/payment_method/{token}/").status_code == 404
