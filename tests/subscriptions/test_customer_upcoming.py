"""The upcoming invoice of a customer named alone (no subscription given) previews what is
pending for them, and with nothing to invoice answers Stripe's ``invoice_upcoming_none``; a
payment intent created with ``off_session=true`` but not confirmed is refused."""

import pytest
import stripe
from django.apps import apps

from apps.payments.models import PaymentIntent


def _counts() -> dict[str, int]:
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model._meta.app_label in ("invoices", "subscriptions", "payments", "customers")
    }


def test_nothing_to_invoice_is_invoice_upcoming_none(stripe_sdk, api):
    customer = stripe.Customer.create(email="none@example.com")
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe.Invoice.create_preview(customer=customer.id)
    assert (caught.value.http_status, caught.value.code) == (404, "invoice_upcoming_none")
    for path in ("/v1/invoices/upcoming", "/v1/invoices/upcoming/lines"):
        response = api.get(path, {"customer": customer.id})
        assert response.status_code == 404
        error = response.json()["error"]
        assert (error["type"], error["code"], error["message"]) == (
            "invalid_request_error",
            "invoice_upcoming_none",
            f"No upcoming invoices for customer: {customer.id}",
        )


def test_pending_items_alone_are_previewed_as_the_invoice_they_make(stripe_sdk, api):
    customer = stripe.Customer.create(email="items@example.com", source="tok_visa")
    stripe.InvoiceItem.create(customer=customer.id, amount=1500, currency="usd", description="A")
    stripe.InvoiceItem.create(customer=customer.id, amount=250, currency="usd", description="B")
    before = _counts()
    preview = stripe.Invoice.create_preview(customer=customer.id)
    legacy = api.get("/v1/invoices/upcoming", {"customer": customer.id}).json()
    lines = api.get("/v1/invoices/upcoming/lines", {"customer": customer.id}).json()
    assert _counts() == before
    assert (preview.total, preview.amount_due, preview.subscription) == (1750, 1750, None)
    assert [line.amount for line in preview.lines.data] == [1500, 250]
    assert (legacy["total"], [line["amount"] for line in lines["data"]]) == (1750, [1500, 250])
    invoice = stripe.Invoice.create(customer=customer.id, pending_invoice_items_behavior="include")
    assert (invoice.total, invoice.amount_due) == (preview.total, preview.amount_due)


def test_a_subscriber_sees_the_next_invoice_of_the_subscription_renewing_first(stripe_sdk, api):
    customer = stripe.Customer.create(email="sub@example.com", source="tok_visa")
    monthly = stripe.Price.create(
        product_data={"name": "Basic"},
        currency="usd",
        unit_amount=2500,
        recurring={"interval": "month"},
    )
    yearly = stripe.Price.create(
        product_data={"name": "Annual"},
        currency="usd",
        unit_amount=20000,
        recurring={"interval": "year"},
    )
    stripe.Subscription.create(customer=customer.id, items=[{"price": yearly.id}])
    first = stripe.Subscription.create(customer=customer.id, items=[{"price": monthly.id}])
    preview = stripe.Invoice.create_preview(customer=customer.id)
    named = api.get("/v1/invoices/upcoming", {"subscription": first.id}).json()
    assert (preview.subscription, preview.total) == (first.id, 2500)
    assert preview.total == named["total"]
    assert preview.period_end == named["period_end"]


def test_off_session_needs_confirm(stripe_sdk):
    customer = stripe.Customer.create(email="off@example.com", source="tok_visa")
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe.PaymentIntent.create(
            amount=1000,
            currency="usd",
            customer=customer.id,
            payment_method="pm_card_visa",
            off_session=True,
            confirm=False,
        )
    assert (caught.value.http_status, caught.value.param) == (400, "off_session")
    assert PaymentIntent.objects.count() == 0
    done = stripe.PaymentIntent.create(
        amount=1000,
        currency="usd",
        customer=customer.id,
        payment_method="pm_card_visa",
        off_session=True,
        confirm=True,
    )
    assert done.status == "succeeded"
