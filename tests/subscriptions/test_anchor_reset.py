"""Interval changes and free → paid restart the billing cycle and bill at once, as Stripe; the
preview shows that same invoice."""

from apps.invoices.engine.periods import utc
from apps.invoices.models import Invoice
from tests.subscriptions.test_lifecycle import _epoch, _price


def _yearly(api, amount, name):
    return api.post(
        "/v1/prices",
        {
            "product_data": {"name": name},
            "currency": "usd",
            "unit_amount": amount,
            "recurring": {"interval": "year"},
        },
    ).json()["id"]


def _subscribe(api, price):
    customer = api.post("/v1/customers", {"email": "r@example.com", "source": "tok_visa"}).json()
    return api.post(
        "/v1/subscriptions", {"customer": customer["id"], "items": [{"price": price}]}
    ).json()


def test_monthly_to_yearly_credits_the_month_and_bills_the_year_now(api, at):  # noqa: F811
    basic, annual = _price(api, 2500, "Basic"), _yearly(api, 25000, "Basic yearly")
    subscription = _subscribe(api, basic)
    item = subscription["items"]["data"][0]["id"]
    at(utc(2025, 1, 16))
    preview = api.post(
        "/v1/invoices/create_preview",
        {
            "subscription": subscription["id"],
            "subscription_details": {"items": [{"id": item, "price": annual}]},
        },
    ).json()
    # −1290 for Jan 16 → Feb 1 of Basic (16 of 31 days), +25000 for the year from Jan 16.
    assert [line["amount"] for line in preview["lines"]["data"]] == [-1290, 25000]
    assert preview["amount_due"] == 23710
    assert preview["period_end"] == _epoch(2026, 1, 16)
    updated = api.post(
        f"/v1/subscriptions/{subscription['id']}", {"items": [{"id": item, "price": annual}]}
    ).json()
    assert updated["billing_cycle_anchor"] == _epoch(2025, 1, 16)
    assert (updated["current_period_start"], updated["current_period_end"]) == (
        _epoch(2025, 1, 16),
        _epoch(2026, 1, 16),
    )
    invoice = Invoice.objects.get(billing_reason="subscription_update")
    assert (invoice.total, invoice.status) == (preview["amount_due"], "paid")
    assert sorted(invoice.lines.values_list("amount", flat=True)) == [-1290, 25000]


def test_free_to_paid_bills_at_once_from_the_change(api, at):  # noqa: F811
    free, basic = _price(api, 0, "Free"), _price(api, 2500, "Basic")
    subscription = _subscribe(api, free)
    item = subscription["items"]["data"][0]["id"]
    at(utc(2025, 1, 10))
    updated = api.post(
        f"/v1/subscriptions/{subscription['id']}", {"items": [{"id": item, "price": basic}]}
    ).json()
    assert (updated["current_period_start"], updated["current_period_end"]) == (
        _epoch(2025, 1, 10),
        _epoch(2025, 2, 10),
    )
    invoice = Invoice.objects.get(billing_reason="subscription_update")
    assert (invoice.total, invoice.status) == (2500, "paid")


def test_one_interval_per_subscription(api, at):  # noqa: F811
    basic, launch = _price(api, 2500, "Basic"), _price(api, 2900, "Launch")
    annual = _yearly(api, 25000, "Basic yearly")
    customer = api.post("/v1/customers", {"email": "i@example.com", "source": "tok_visa"}).json()
    subscription = api.post(
        "/v1/subscriptions",
        {"customer": customer["id"], "items": [{"price": basic}, {"price": launch}]},
    ).json()
    item = subscription["items"]["data"][0]["id"]
    refused = api.post(
        f"/v1/subscriptions/{subscription['id']}", {"items": [{"id": item, "price": annual}]}
    )
    assert refused.status_code == 400
    assert refused.json()["error"]["param"] == "price"
    data = api.get(f"/v1/subscriptions/{subscription['id']}").json()["items"]["data"]
    assert {row["price"]["id"] for row in data} == {basic, launch}  # nothing half-written
    one_time = api.post(
        "/v1/prices", {"product_data": {"name": "Setup"}, "currency": "usd", "unit_amount": 900}
    ).json()["id"]
    not_recurring = api.post(
        f"/v1/subscriptions/{subscription['id']}", {"items": [{"id": item, "price": one_time}]}
    )
    assert not_recurring.status_code == 400


def test_trial_end_now_bills_at_once_and_a_new_trial_moves_the_anchor(api, at):  # noqa: F811
    basic = _price(api, 3100, "Basic")
    customer = api.post("/v1/customers", {"email": "t@example.com", "source": "tok_visa"}).json()
    trialing = api.post(
        "/v1/subscriptions",
        {"customer": customer["id"], "items": [{"price": basic, "trial_period_days": 30}]},
    ).json()
    assert trialing["status"] == "trialing"
    at(utc(2025, 1, 5))
    ended = api.post(f"/v1/subscriptions/{trialing['id']}", {"trial_end": "now"}).json()
    assert ended["status"] == "active"
    assert (ended["current_period_start"], ended["current_period_end"]) == (
        _epoch(2025, 1, 5),
        _epoch(2025, 2, 5),
    )
    assert Invoice.objects.get(subscription_id=trialing["id"]).total == 3100
    again = api.post(f"/v1/subscriptions/{trialing['id']}", {"trial_end": "now"})
    assert again.status_code == 400

    at(utc(2025, 1, 20))
    # A new trial to Feb 20: Jan 20 → Feb 5 (16 of 31 days of 3100 = 1600) is credited.
    moved = api.post(
        f"/v1/subscriptions/{trialing['id']}", {"trial_end": _epoch(2025, 2, 20)}
    ).json()
    assert moved["status"] == "trialing"
    assert moved["billing_cycle_anchor"] == _epoch(2025, 2, 20)
    assert moved["current_period_end"] == _epoch(2025, 2, 20)
    at(utc(2025, 2, 20, 2))
    from apps.subscriptions.services import subscription_renew

    subscription_renew(subscription_id=trialing["id"])
    renewal = Invoice.objects.get(
        subscription_id=trialing["id"], billing_reason="subscription_cycle"
    )
    assert sorted(renewal.lines.values_list("amount", flat=True)) == [-1600, 3100]
    row = api.get(f"/v1/subscriptions/{trialing['id']}").json()
    assert (row["status"], row["current_period_end"]) == ("active", _epoch(2025, 3, 20))


def test_billing_cycle_anchor_now_on_update(api, at):  # noqa: F811
    basic = _price(api, 3100, "Basic")
    subscription = _subscribe(api, basic)
    at(utc(2025, 1, 11))
    reset = api.post(
        f"/v1/subscriptions/{subscription['id']}", {"billing_cycle_anchor": "now"}
    ).json()
    assert (reset["billing_cycle_anchor"], reset["current_period_end"]) == (
        _epoch(2025, 1, 11),
        _epoch(2025, 2, 11),
    )
    invoice = Invoice.objects.get(billing_reason="subscription_update")
    # −2100 for Jan 11 → Feb 1 (21 of 31 days of 3100), +3100 for the new month.
    assert sorted(invoice.lines.values_list("amount", flat=True)) == [-2100, 3100]
    assert invoice.total == 1000
    bad = api.post(f"/v1/subscriptions/{subscription['id']}", {"billing_cycle_anchor": "later"})
    assert bad.status_code == 400
