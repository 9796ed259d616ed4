"""/v1/subscriptions and /v1/invoices over HTTP and the official SDK."""

import stripe

from apps.core.models import Event
from apps.invoices.models import InvoiceItem


def _setup(api):
    price = api.post(
        "/v1/prices",
        {
            "product_data": {"name": "Basic"},
            "currency": "usd",
            "unit_amount": 2500,
            "recurring": {"interval": "month"},
        },
    ).json()
    pro = api.post(
        "/v1/prices",
        {
            "product_data": {"name": "Pro"},
            "currency": "usd",
            "unit_amount": 2700,
            "recurring": {"interval": "month"},
        },
    ).json()
    customer = api.post("/v1/customers", {"email": "a@example.com", "source": "tok_visa"}).json()
    return price, pro, customer


def test_create_update_with_prorations_and_cancel(api):
    price, pro, customer = _setup(api)
    created = api.post(
        "/v1/subscriptions", {"customer": customer["id"], "items": [{"price": price["id"]}]}
    )
    assert created.status_code == 200, created.content
    subscription = created.json()
    assert subscription["status"] == "active"
    invoices = api.get("/v1/invoices", {"subscription": subscription["id"]}).json()["data"]
    assert [(i["total"], i["status"]) for i in invoices] == [(2500, "paid")]
    lines = api.get(f"/v1/invoices/{invoices[0]['id']}/lines").json()["data"]
    assert [line["amount"] for line in lines] == [2500]
    item = subscription["items"]["data"][0]
    updated = api.post(
        f"/v1/subscriptions/{subscription['id']}",
        {
            "items": [{"id": item["id"], "price": pro["id"]}],
            "proration_behavior": "create_prorations",
        },
    )
    assert updated.json()["items"]["data"][0]["price"] == pro["id"]
    assert InvoiceItem.objects.filter(invoice__isnull=True).count() == 2
    canceled = api.delete(
        f"/v1/subscriptions/{subscription['id']}",
        **{"QUERY_STRING": "cancellation_details[feedback]=too_expensive"},
    )
    assert canceled.json()["status"] == "canceled"
    assert InvoiceItem.objects.filter(invoice__isnull=True).count() == 0
    assert Event.objects.filter(type="customer.subscription.deleted").exists()


def test_bad_input(api):
    price, _, customer = _setup(api)
    one_time = api.post(
        "/v1/prices", {"product_data": {"name": "Setup"}, "currency": "usd", "unit_amount": 100}
    ).json()
    refused = api.post(
        "/v1/subscriptions", {"customer": customer["id"], "items": [{"price": one_time["id"]}]}
    )
    assert refused.json()["error"]["param"] == "items[0][price]"
    missing = api.post(
        "/v1/subscriptions", {"customer": customer["id"], "items": [{"price": "price_nope"}]}
    )
    assert missing.status_code == 404
    past = api.post(
        "/v1/subscriptions",
        {"customer": customer["id"], "items": [{"price": price["id"], "trial_end": 1000}]},
    )
    assert past.json()["error"]["param"] == "items[0][trial_end]"


def test_the_official_sdk_per_item_trial(stripe_sdk):
    customer = stripe.Customer.create(email="t@example.com", source="tok_visa")
    launch = stripe.Price.create(
        product_data={"name": "Launch"},
        currency="usd",
        unit_amount=2900,
        recurring={"interval": "month"},
    )
    intel = stripe.Price.create(
        product_data={"name": "Intel"},
        currency="usd",
        unit_amount=4900,
        recurring={"interval": "month"},
    )
    subscription = stripe.Subscription.create(
        customer=customer.id,
        items=[{"price": launch.id}, {"price": intel.id, "trial_period_days": 14}],
    )
    assert subscription.status == "active"
    invoice = stripe.Invoice.retrieve(subscription.latest_invoice)
    assert invoice.total == 2900  # Intel trials: nothing for it yet
    assert stripe.Invoice.list(customer=customer.id).data[0].id == invoice.id
