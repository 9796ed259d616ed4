"""/v1/subscriptions over HTTP and the official SDK: create, update, cancel, pause, items,
discounts, the preview of a change."""

import stripe

from apps.core.models import Event
from apps.invoices.models import InvoiceItem
from tests.subscriptions.wire import prices_and_customer


def test_create_update_with_prorations_and_cancel(api):
    price, pro, customer = prices_and_customer(api)
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
    assert updated.json()["items"]["data"][0]["price"]["id"] == pro["id"]
    assert InvoiceItem.objects.filter(invoice__isnull=True).count() == 2
    canceled = api.delete(
        f"/v1/subscriptions/{subscription['id']}",
        **{"QUERY_STRING": "cancellation_details[feedback]=too_expensive"},
    )
    assert canceled.json()["status"] == "canceled"
    assert InvoiceItem.objects.filter(invoice__isnull=True).count() == 0
    assert Event.objects.filter(type="customer.subscription.deleted").exists()


def test_bad_input(api):
    price, _, customer = prices_and_customer(api)
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


def _counts():
    from django.apps import apps

    return {
        m._meta.label: m.objects.count()
        for m in apps.get_models()
        if m._meta.app_label
        in ("invoices", "subscriptions", "payments", "core", "customers", "accounts")
    }


def test_b3_preview_writes_nothing_and_matches_what_the_change_invoices(api, at):
    from apps.invoices.engine.periods import utc

    price, pro, customer = prices_and_customer(api)
    subscription = api.post(
        "/v1/subscriptions", {"customer": customer["id"], "items": [{"price": price["id"]}]}
    ).json()
    item = subscription["items"]["data"][0]["id"]
    at(utc(2025, 1, 10))
    proration_date = int(utc(2025, 1, 16).timestamp())
    before = _counts()
    preview = api.post(
        "/v1/invoices/create_preview",
        {
            "subscription": subscription["id"],
            "subscription_details": {
                "items": [{"id": item, "price": pro["id"]}],
                "proration_date": proration_date,
            },
        },
    ).json()
    legacy = api.get(
        "/v1/invoices/upcoming",
        {
            "subscription": subscription["id"],
            "subscription_items[0][id]": item,
            "subscription_items[0][price]": pro["id"],
            "subscription_proration_date": proration_date,
        },
    ).json()
    lines = api.get(
        "/v1/invoices/upcoming/lines",
        {
            "subscription": subscription["id"],
            "subscription_items[0][id]": item,
            "subscription_items[0][price]": pro["id"],
            "subscription_proration_date": proration_date,
        },
    ).json()
    after = _counts()
    # Previews write nothing but the request log.
    assert {k: v for k, v in after.items() if k != "core.ApiRequestLog"} == {
        k: v for k, v in before.items() if k != "core.ApiRequestLog"
    }
    assert [line["amount"] for line in preview["lines"]["data"]] == [-1290, 1394, 2700]
    assert preview["amount_due"] == 2804
    assert preview["period_start"] == int(utc(2025, 1, 1).timestamp())
    assert preview["period_end"] == int(utc(2025, 2, 1).timestamp())
    assert preview["next_payment_attempt"] == int(utc(2025, 2, 1).timestamp())
    assert legacy["amount_due"] == 2804
    assert [line["amount"] for line in lines["data"]] == [-1290, 1394, 2700]
    # The change itself, at the same proration date, invoices exactly the previewed figures.
    api.post(
        f"/v1/subscriptions/{subscription['id']}",
        {"items": [{"id": item, "price": pro["id"]}], "proration_date": proration_date},
    )
    at(utc(2025, 2, 1))
    from apps.subscriptions.services import subscription_renew

    subscription_renew(subscription_id=subscription["id"])
    invoices = api.get("/v1/invoices", {"subscription": subscription["id"]}).json()["data"]
    assert invoices[0]["total"] == preview["total"]
    bad = api.post(
        "/v1/invoices/create_preview",
        {
            "subscription": subscription["id"],
            "subscription_details": {"proration_date": int(utc(2024, 1, 1).timestamp())},
        },
    )
    assert bad.status_code == 400


def test_cancel_at_period_end_and_send_invoice(api, at):
    from apps.invoices.engine.periods import utc
    from apps.subscriptions.services import subscription_renew
    from apps.subscriptions.services.collection import due_draft_ids, invoices_auto_advance

    price, _, customer = prices_and_customer(api)
    subscription = api.post(
        "/v1/subscriptions", {"customer": customer["id"], "items": [{"price": price["id"]}]}
    ).json()
    refused = api.post(
        f"/v1/subscriptions/{subscription['id']}", {"collection_method": "send_invoice"}
    )
    assert refused.json()["error"]["param"] == "days_until_due"
    api.post(
        f"/v1/subscriptions/{subscription['id']}",
        {"collection_method": "send_invoice", "days_until_due": 14},
    )
    at(utc(2025, 2, 1))
    subscription_renew(subscription_id=subscription["id"])
    february = api.get("/v1/invoices", {"subscription": subscription["id"]}).json()["data"][0]
    assert (february["status"], february["automatically_finalizes_at"]) == (
        "draft",
        int(utc(2025, 2, 1, 1).timestamp()),
    )
    at(utc(2025, 2, 1, 1))
    assert invoices_auto_advance(invoice_ids=due_draft_ids()) == 1
    february = api.get(f"/v1/invoices/{february['id']}").json()
    assert (february["status"], february["due_date"], february["automatically_finalizes_at"]) == (
        "open",
        int(utc(2025, 2, 15, 1).timestamp()),
        None,
    )
    ending = api.post(
        f"/v1/subscriptions/{subscription['id']}",
        {"cancel_at_period_end": "true", "cancellation_details": {"feedback": "unused"}},
    ).json()
    assert ending["cancel_at_period_end"] is True
    assert ending["status"] == "active"
    at(utc(2025, 3, 1))
    subscription_renew(subscription_id=subscription["id"])
    ended = api.get(f"/v1/subscriptions/{subscription['id']}").json()
    assert ended["status"] == "canceled"
    assert ended["ended_at"] == int(utc(2025, 3, 1).timestamp())
    assert len(api.get("/v1/invoices", {"subscription": subscription["id"]}).json()["data"]) == 2


def test_deleting_a_customer_ends_their_subscriptions_and_clocks_expand(api):
    price, _, customer = prices_and_customer(api)
    subscription = api.post(
        "/v1/subscriptions", {"customer": customer["id"], "items": [{"price": price["id"]}]}
    ).json()
    api.delete(f"/v1/customers/{customer['id']}")
    assert api.get(f"/v1/subscriptions/{subscription['id']}").json()["status"] == "canceled"
    clock_id = api.post("/v1/test_helpers/test_clocks", {"frozen_time": 1735689600}).json()["id"]
    on_clock = api.post("/v1/customers", {"email": "c@example.com", "test_clock": clock_id}).json()
    expanded = api.get(f"/v1/customers/{on_clock['id']}", {"expand[]": "test_clock"}).json()
    assert expanded["test_clock"]["object"] == "test_helpers.test_clock"


def test_subscription_items_endpoint(api):
    price, pro, customer = prices_and_customer(api)
    subscription = api.post(
        "/v1/subscriptions", {"customer": customer["id"], "items": [{"price": price["id"]}]}
    ).json()
    added = api.post(
        "/v1/subscription_items",
        {
            "subscription": subscription["id"],
            "price": pro["id"],
            "quantity": 2,
            "proration_behavior": "none",
        },
    ).json()
    assert (added["price"]["id"], added["quantity"]) == (pro["id"], 2)
    listed = api.get("/v1/subscription_items", {"subscription": subscription["id"]}).json()
    assert len(listed["data"]) == 2
    changed = api.post(f"/v1/subscription_items/{added['id']}", {"quantity": 3}).json()
    assert changed["quantity"] == 3
    first = subscription["items"]["data"][0]["id"]
    assert api.delete(f"/v1/subscription_items/{first}").json()["deleted"] is True
    last = api.delete(f"/v1/subscription_items/{added['id']}")
    assert last.status_code == 400  # the last item stays; cancel the subscription instead
    assert api.get(f"/v1/subscription_items/{first}").status_code == 404


def test_discounts_through_the_api_and_the_preview(api):
    price, _, customer = prices_and_customer(api)
    api.post("/v1/coupons", {"id": "TENOFF", "percent_off": 10, "duration": "forever"})
    subscription = api.post(
        "/v1/subscriptions",
        {
            "customer": customer["id"],
            "items": [{"price": price["id"]}],
            "discounts": [{"coupon": "TENOFF"}],
        },
    ).json()
    assert len(subscription["discounts"]) == 1
    first = api.get("/v1/invoices", {"subscription": subscription["id"]}).json()["data"][0]
    assert (first["subtotal"], first["total"]) == (2500, 2250)
    assert first["total_discount_amounts"][0]["amount"] == 250
    preview = api.get("/v1/invoices/upcoming", {"subscription": subscription["id"]}).json()
    assert preview["amount_due"] == 2250
    removed = api.delete(f"/v1/subscriptions/{subscription['id']}/discount").json()
    assert removed["deleted"] is True
    after = api.get("/v1/invoices/upcoming", {"subscription": subscription["id"]}).json()
    assert after["amount_due"] == 2500
    bad = api.post(f"/v1/subscriptions/{subscription['id']}", {"coupon": "NOPE"})
    assert bad.status_code == 404


def test_pause_collection_and_payment_behaviors(api, at):
    from apps.invoices.engine.periods import utc
    from apps.subscriptions.services import subscription_renew
    from apps.subscriptions.services.collection import due_draft_ids, invoices_auto_advance

    price, _, customer = prices_and_customer(api)
    subscription = api.post(
        "/v1/subscriptions", {"customer": customer["id"], "items": [{"price": price["id"]}]}
    ).json()
    paused = api.post(
        f"/v1/subscriptions/{subscription['id']}",
        {
            "pause_collection": {
                "behavior": "keep_as_draft",
                "resumes_at": int(utc(2025, 2, 15).timestamp()),
            }
        },
    ).json()
    assert paused["pause_collection"]["behavior"] == "keep_as_draft"
    assert paused["status"] == "active"
    at(utc(2025, 2, 1))
    subscription_renew(subscription_id=subscription["id"])
    at(utc(2025, 2, 1, 1))
    assert invoices_auto_advance(invoice_ids=due_draft_ids()) == 1
    feb = api.get("/v1/invoices", {"subscription": subscription["id"]}).json()["data"][0]
    # keep_as_draft: the draft waits for staff, no longer advancing.
    assert (feb["status"], feb["auto_advance"], feb["automatically_finalizes_at"]) == (
        "draft",
        False,
        None,
    )
    assert due_draft_ids() == []
    at(utc(2025, 3, 1))
    subscription_renew(subscription_id=subscription["id"])  # resumed on Feb 15
    at(utc(2025, 3, 1, 1))
    assert invoices_auto_advance(invoice_ids=due_draft_ids()) == 1
    march = api.get("/v1/invoices", {"subscription": subscription["id"]}).json()["data"][0]
    assert march["status"] == "paid"
    assert api.get(f"/v1/subscriptions/{subscription['id']}").json()["pause_collection"] is None

    waiting = api.post(
        "/v1/subscriptions",
        {
            "customer": customer["id"],
            "items": [{"price": price["id"]}],
            "payment_behavior": "default_incomplete",
        },
    ).json()
    assert waiting["status"] == "incomplete"
    left = api.get(f"/v1/invoices/{waiting['latest_invoice']}").json()
    assert left["status"] == "open"
    failing = api.post(
        "/v1/customers", {"email": "x@example.com", "source": "tok_chargeCustomerFail"}
    ).json()
    refused = api.post(
        "/v1/subscriptions",
        {
            "customer": failing["id"],
            "items": [{"price": price["id"]}],
            "payment_behavior": "error_if_incomplete",
        },
    )
    assert refused.status_code == 402
    gone = api.get("/v1/subscriptions", {"customer": failing["id"]}).json()["data"][0]
    assert gone["status"] == "incomplete_expired"
    assert api.get(f"/v1/invoices/{gone['latest_invoice']}").json()["status"] == "void"
