"""Between renewals: items' trial ends without a payment method (ACCEPTANCE B2's last case),
pause and resume, scheduled cancellation with its credit, subscription search, credit invoices."""

import pytest

from apps.core.models import Event
from apps.customers.models import Customer
from apps.customers.selectors import customer_balance
from apps.invoices.engine.periods import utc
from apps.invoices.models import Invoice
from apps.subscriptions.models import Subscription, SubscriptionItem
from apps.subscriptions.services import subscription_renew
from apps.subscriptions.services.lifecycle import lifecycle_due


def _price(api, amount, name):
    return api.post(
        "/v1/prices",
        {
            "product_data": {"name": name},
            "currency": "usd",
            "unit_amount": amount,
            "recurring": {"interval": "month"},
        },
    ).json()["id"]


def _epoch(*args) -> int:
    return int(utc(*args).timestamp())


def _settings(acme, **values):
    from apps.core.actor import SYSTEM
    from apps.subscriptions.services import billing_settings_update

    billing_settings_update(account=acme.account, values=values, actor=SYSTEM)


def _drop_payment_methods(api, customer_id):
    customer = api.get(f"/v1/customers/{customer_id}").json()
    source = customer["default_source"]
    assert api.delete(f"/v1/customers/{customer_id}/sources/{source}").status_code == 200
    assert api.get(f"/v1/customers/{customer_id}").json()["default_source"] is None


def test_b2_trial_end_without_payment_method_cancels_only_that_item(api, acme, at):
    launch, intel = _price(api, 2900, "Launch"), _price(api, 4900, "Intel")
    customer = api.post("/v1/customers", {"email": "b2@example.com", "source": "tok_visa"}).json()
    subscription = api.post(
        "/v1/subscriptions", {"customer": customer["id"], "items": [{"price": launch}]}
    ).json()
    at(utc(2025, 2, 1))
    subscription_renew(subscription_id=subscription["id"])
    at(utc(2025, 3, 1))
    subscription_renew(subscription_id=subscription["id"])
    _settings(acme, trial_missing_payment_method="cancel")
    at(utc(2025, 3, 10))
    added = api.post(
        f"/v1/subscriptions/{subscription['id']}",
        {"items": [{"price": intel, "trial_period_days": 14}]},
    ).json()
    intel_item = next(i["id"] for i in added["items"]["data"] if i["price"]["id"] == intel)
    _drop_payment_methods(api, customer["id"])

    at(utc(2025, 3, 23, 23))
    assert lifecycle_due() == {"trials_settled": 0, "canceled": 0}
    at(utc(2025, 3, 24, 0, 1))
    assert lifecycle_due()["trials_settled"] == 1
    assert lifecycle_due()["trials_settled"] == 0  # once
    row = api.get(f"/v1/subscriptions/{subscription['id']}").json()
    assert [i["price"]["id"] for i in row["items"]["data"]] == [launch]
    assert row["status"] == "active"
    assert SubscriptionItem.objects.get(id=intel_item).deleted_at == utc(2025, 3, 24)

    at(utc(2025, 4, 1, 2))
    subscription_renew(subscription_id=subscription["id"])
    april = Invoice.objects.filter(subscription_id=subscription["id"]).order_by("-created_at")[0]
    assert list(april.lines.values_list("amount", flat=True)) == [2900]


def test_trial_end_with_a_payment_method_bills_as_usual(api, acme, at):
    launch, intel = _price(api, 2900, "Launch"), _price(api, 4900, "Intel")
    _settings(acme, trial_missing_payment_method="cancel")
    customer = api.post("/v1/customers", {"email": "pm@example.com", "source": "tok_visa"}).json()
    subscription = api.post(
        "/v1/subscriptions", {"customer": customer["id"], "items": [{"price": launch}]}
    ).json()
    at(utc(2025, 1, 10))
    api.post(
        f"/v1/subscriptions/{subscription['id']}",
        {"items": [{"price": intel, "trial_period_days": 14}]},
    )
    at(utc(2025, 2, 1))
    subscription_renew(subscription_id=subscription["id"])  # settles the trial first
    february = Invoice.objects.filter(subscription_id=subscription["id"]).order_by("-created_at")[0]
    # 2900 + 4900 + Intel from Jan 24 to Feb 1 (8 of 31 days of 4900 = 1264.5 → 1265)
    assert sorted(february.lines.values_list("amount", flat=True)) == [1265, 2900, 4900]


def test_all_trial_subscription_pauses_without_payment_method_and_resumes(api, at):
    launch = _price(api, 3100, "Launch")
    customer = api.post("/v1/customers", {"email": "pause@example.com"}).json()
    subscription = api.post(
        "/v1/subscriptions",
        {
            "customer": customer["id"],
            "items": [{"price": launch, "trial_end": _epoch(2025, 1, 11)}],
            "trial_settings": {"end_behavior": {"missing_payment_method": "pause"}},
        },
    ).json()
    assert subscription["status"] == "trialing"
    assert subscription["trial_settings"]["end_behavior"]["missing_payment_method"] == "pause"
    refused = api.post(f"/v1/subscriptions/{subscription['id']}/resume", {})
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "subscription_not_paused"

    at(utc(2025, 1, 11, 0, 0, 30))
    lifecycle_due()
    paused = api.get(f"/v1/subscriptions/{subscription['id']}").json()
    assert paused["status"] == "paused"
    assert Event.objects.filter(type="customer.subscription.paused").count() == 1
    at(utc(2025, 2, 1, 2))
    assert subscription_renew(subscription_id=subscription["id"]) is None  # no invoices
    assert not Invoice.objects.filter(subscription_id=subscription["id"]).exists()

    api.post(f"/v1/customers/{customer['id']}", {"source": "tok_visa"})
    at(utc(2025, 2, 10))
    resumed = api.post(
        f"/v1/subscriptions/{subscription['id']}/resume",
        {"billing_cycle_anchor": "unchanged", "proration_behavior": "always_invoice"},
    ).json()
    assert resumed["status"] == "active"
    assert (resumed["current_period_start"], resumed["current_period_end"]) == (
        _epoch(2025, 2, 1),
        _epoch(2025, 3, 1),
    )
    invoice = Invoice.objects.get(subscription_id=subscription["id"])
    # Feb 10 → Mar 1 is 19 of 28 days of 3100 = 2103.57 → 2104; the paused time is free.
    assert (invoice.total, invoice.status) == (2104, "paid")
    assert Event.objects.filter(type="customer.subscription.resumed").count() == 1


def test_resume_with_a_new_anchor_invoices_a_full_period_now(api, at):
    launch = _price(api, 3100, "Launch")
    customer = api.post("/v1/customers", {"email": "anchor@example.com"}).json()
    subscription = api.post(
        "/v1/subscriptions",
        {
            "customer": customer["id"],
            "items": [{"price": launch, "trial_end": _epoch(2025, 1, 11)}],
            "trial_settings": {"end_behavior": {"missing_payment_method": "pause"}},
        },
    ).json()
    at(utc(2025, 1, 12))
    lifecycle_due()
    api.post(f"/v1/customers/{customer['id']}", {"source": "tok_visa"})
    at(utc(2025, 1, 20, 12))
    resumed = api.post(f"/v1/subscriptions/{subscription['id']}/resume", {}).json()
    assert resumed["billing_cycle_anchor"] == _epoch(2025, 1, 20, 12)
    assert resumed["current_period_end"] == _epoch(2025, 2, 20, 12)
    invoice = Invoice.objects.get(subscription_id=subscription["id"])
    assert (invoice.total, invoice.status) == (3100, "paid")
    bad = api.post(f"/v1/subscriptions/{subscription['id']}/resume", {"billing_cycle_anchor": "x"})
    assert bad.status_code == 400


def test_cancel_at_mid_period_credits_the_unused_time(api, at):
    basic = _price(api, 2500, "Basic")
    customer = api.post("/v1/customers", {"email": "c@example.com", "source": "tok_visa"}).json()
    subscription = api.post(
        "/v1/subscriptions", {"customer": customer["id"], "items": [{"price": basic}]}
    ).json()
    past = api.post(f"/v1/subscriptions/{subscription['id']}", {"cancel_at": _epoch(2024, 12, 1)})
    assert past.status_code == 400
    assert past.json()["error"]["param"] == "cancel_at"
    scheduled = api.post(
        f"/v1/subscriptions/{subscription['id']}",
        {"cancel_at": _epoch(2025, 1, 16), "cancellation_details": {"feedback": "too_expensive"}},
    ).json()
    assert scheduled["cancel_at"] == _epoch(2025, 1, 16)
    assert scheduled["cancel_at_period_end"] is False
    assert scheduled["cancellation_details"]["feedback"] == "too_expensive"
    assert scheduled["status"] == "active"

    at(utc(2025, 1, 15))
    assert lifecycle_due()["canceled"] == 0
    at(utc(2025, 1, 16, 0, 0, 20))
    assert lifecycle_due()["canceled"] == 1
    assert lifecycle_due()["canceled"] == 0
    ended = api.get(f"/v1/subscriptions/{subscription['id']}").json()
    assert (ended["status"], ended["ended_at"]) == ("canceled", _epoch(2025, 1, 16))
    final = Invoice.objects.filter(subscription_id=subscription["id"]).order_by("-created_at")[0]
    # Jan 16 → Feb 1 is 16 of 31 days of 2500 = 1290.32 → a 1290 credit, kept as balance.
    assert (final.total, final.amount_due, final.status) == (-1290, 0, "paid")
    assert customer_balance(Customer.objects.get(id=customer["id"])) == -1290
    at(utc(2025, 2, 1, 2))
    assert subscription_renew(subscription_id=subscription["id"]) is None


def test_cancel_at_without_proration_and_cleared(api, at):
    basic = _price(api, 2500, "Basic")
    customer = api.post("/v1/customers", {"email": "n@example.com", "source": "tok_visa"}).json()
    first = api.post(
        "/v1/subscriptions", {"customer": customer["id"], "items": [{"price": basic}]}
    ).json()
    second = api.post(
        "/v1/subscriptions", {"customer": customer["id"], "items": [{"price": basic}]}
    ).json()
    api.post(
        f"/v1/subscriptions/{first['id']}",
        {"cancel_at": _epoch(2025, 1, 16), "proration_behavior": "none"},
    )
    api.post(f"/v1/subscriptions/{second['id']}", {"cancel_at": _epoch(2025, 1, 16)})
    cleared = api.post(f"/v1/subscriptions/{second['id']}", {"cancel_at": ""}).json()
    assert cleared["cancel_at"] is None
    assert cleared["canceled_at"] is None
    at(utc(2025, 1, 17))
    assert lifecycle_due()["canceled"] == 1
    assert Subscription.objects.get(id=first["id"]).status == "canceled"
    assert Subscription.objects.get(id=second["id"]).status == "active"
    assert Invoice.objects.filter(subscription_id=first["id"]).count() == 1  # no credit invoice
    assert customer_balance(Customer.objects.get(id=customer["id"])) == 0
    period_end = api.post(
        f"/v1/subscriptions/{second['id']}", {"cancel_at_period_end": "true"}
    ).json()
    assert period_end["cancel_at"] == _epoch(2025, 2, 1)


def test_cancel_at_on_a_test_clock_runs_in_time_order(api, tasks_inline):
    from apps.subscriptions.services.test_clocks import test_clock_run

    basic = _price(api, 2500, "Basic")
    test_clock = api.post(
        "/v1/test_helpers/test_clocks", {"frozen_time": _epoch(2025, 1, 1)}
    ).json()
    customer = api.post(
        "/v1/customers",
        {"email": "clock@example.com", "source": "tok_visa", "test_clock": test_clock["id"]},
    ).json()
    subscription = api.post(
        "/v1/subscriptions", {"customer": customer["id"], "items": [{"price": basic}]}
    ).json()
    api.post(f"/v1/subscriptions/{subscription['id']}", {"cancel_at": _epoch(2025, 2, 16)})
    api.post(
        f"/v1/test_helpers/test_clocks/{test_clock['id']}/advance",
        {"frozen_time": _epoch(2025, 3, 15)},
    )
    test_clock_run(test_clock["id"])
    ended = api.get(f"/v1/subscriptions/{subscription['id']}").json()
    assert (ended["status"], ended["ended_at"]) == ("canceled", _epoch(2025, 2, 16))
    totals = sorted(
        Invoice.objects.filter(subscription_id=subscription["id"]).values_list("total", flat=True)
    )
    # January, February, then Feb 16 → Mar 1 (13 of 28 days of 2500 = 1160.71) credited.
    assert totals == [-1161, 2500, 2500]


def test_subscription_search(api, at):
    basic = _price(api, 2500, "Basic")
    customer = api.post("/v1/customers", {"email": "s@example.com", "source": "tok_visa"}).json()
    ids = [
        api.post(
            "/v1/subscriptions",
            {"customer": customer["id"], "items": [{"price": basic}], "metadata": {"n": str(n)}},
        ).json()["id"]
        for n in range(3)
    ]
    api.delete(f"/v1/subscriptions/{ids[0]}")
    active = api.get("/v1/subscriptions/search", {"query": "status:'active'", "limit": 1}).json()
    assert active["object"] == "search_result"
    assert [row["id"] for row in active["data"]] == [ids[2]]
    after = api.get(
        "/v1/subscriptions/search",
        {"query": "status:'active'", "limit": 1, "page": active["next_page"]},
    ).json()
    assert [row["id"] for row in after["data"]] == [ids[1]]
    assert after["has_more"] is False
    by_metadata = api.get(
        "/v1/subscriptions/search", {"query": "metadata['n']:'0' OR status:'canceled'"}
    ).json()
    assert [row["id"] for row in by_metadata["data"]] == [ids[0]]
    bad = api.get("/v1/subscriptions/search", {"query": "status~'act'"})
    assert bad.status_code == 400
    assert bad.json()["error"]["param"] == "query"
    unknown = api.get("/v1/subscriptions/search", {"query": "email:'s@example.com'"})
    assert unknown.status_code == 400


def test_a_downgrade_invoiced_at_once_credits_the_balance(api, at):
    basic, pro = _price(api, 2500, "Basic"), _price(api, 2700, "Pro")
    customer = api.post("/v1/customers", {"email": "d@example.com", "source": "tok_visa"}).json()
    subscription = api.post(
        "/v1/subscriptions", {"customer": customer["id"], "items": [{"price": pro}]}
    ).json()
    at(utc(2025, 1, 16))
    api.post(
        f"/v1/subscriptions/{subscription['id']}",
        {
            "items": [{"id": subscription["items"]["data"][0]["id"], "price": basic}],
            "proration_behavior": "always_invoice",
        },
    )
    credit = Invoice.objects.filter(subscription_id=subscription["id"]).order_by("-created_at")[0]
    # −1394 for Pro's unused half, +1290 for Basic's: −104, credited, nothing charged.
    assert (credit.total, credit.amount_due, credit.status) == (-104, 0, "paid")
    assert customer_balance(Customer.objects.get(id=customer["id"])) == -104


def test_the_stripe_sdk_searches_schedules_cancel_and_resumes(stripe_sdk, acme, at):
    price = stripe_sdk.Price.create(
        product_data={"name": "Launch"},
        currency="usd",
        unit_amount=3100,
        recurring={"interval": "month"},
    )
    customer = stripe_sdk.Customer.create(email="sdk@example.com")
    subscription = stripe_sdk.Subscription.create(
        customer=customer.id,
        items=[{"price": price.id, "trial_end": _epoch(2025, 1, 11)}],
        trial_settings={"end_behavior": {"missing_payment_method": "pause"}},
    )
    found = stripe_sdk.Subscription.search(query="status:'trialing'")
    assert [row.id for row in found.data] == [subscription.id]
    scheduled = stripe_sdk.Subscription.modify(subscription.id, cancel_at=_epoch(2025, 6, 1))
    assert scheduled.cancel_at == _epoch(2025, 6, 1)
    at(utc(2025, 1, 12))
    lifecycle_due()
    assert stripe_sdk.Subscription.retrieve(subscription.id).status == "paused"
    stripe_sdk.Customer.modify(customer.id, source="tok_visa")
    resumed = stripe_sdk.Subscription.resume(subscription.id, billing_cycle_anchor="now")
    assert resumed.status == "active"
    assert resumed.current_period_start == _epoch(2025, 1, 12)
    with pytest.raises(stripe_sdk.InvalidRequestError) as error:
        stripe_sdk.Subscription.resume(subscription.id)
    assert error.value.code == "subscription_not_paused"


def test_a_scheduled_cancel_credits_the_unused_time_at_the_discounted_price(api, at):
    basic = _price(api, 2500, "Basic")
    coupon = api.post("/v1/coupons", {"percent_off": 15, "duration": "forever"}).json()
    customer = api.post("/v1/customers", {"email": "c@example.com", "source": "tok_visa"}).json()
    subscription = api.post(
        "/v1/subscriptions",
        {"customer": customer["id"], "items": [{"price": basic}], "coupon": coupon["id"]},
    ).json()
    api.post(
        f"/v1/subscriptions/{subscription['id']}",
        {"cancel_at": _epoch(2025, 1, 16), "proration_behavior": "create_prorations"},
    )
    at(utc(2025, 1, 16))
    lifecycle_due()

    assert Subscription.objects.get(id=subscription["id"]).status == "canceled"
    final = Invoice.objects.filter(subscription_id=subscription["id"]).order_by("-created_at")[0]
    # 16 of 31 days unused at 85 %: −round(2500 × 16/31 × 0.85) = −1097 (not −1290), and the
    # credit is not discounted again on the invoice.
    assert [(line.amount, line.proration) for line in final.lines.all()] == [(-1097, True)]
    assert (final.total, final.amount_due) == (-1097, 0)


def test_a_cycle_reset_credits_the_unused_time_at_the_discounted_price(api, at):
    basic = _price(api, 2500, "Basic")
    coupon = api.post("/v1/coupons", {"percent_off": 15, "duration": "forever"}).json()
    customer = api.post("/v1/customers", {"email": "r@example.com", "source": "tok_visa"}).json()
    subscription = api.post(
        "/v1/subscriptions",
        {"customer": customer["id"], "items": [{"price": basic}], "coupon": coupon["id"]},
    ).json()
    at(utc(2025, 1, 16))
    response = api.post(
        f"/v1/subscriptions/{subscription['id']}",
        {"billing_cycle_anchor": "now", "proration_behavior": "create_prorations"},
    )
    assert response.status_code == 200, response.content

    reset = Invoice.objects.filter(subscription_id=subscription["id"]).order_by("-created_at")[0]
    # The unused 16 of 31 days at 85 %: −1097 (not −1290); the new period's 2500 takes the
    # coupon on the invoice (−375): 2500 − 375 − 1097 = 1028.
    assert sorted((line.amount, line.proration) for line in reset.lines.all()) == [
        (-1097, True),
        (2500, False),
    ]
    assert (reset.total_discount, reset.total) == (375, 1028)
