"""A credit for unused time is never more than what was paid for that time (billing.prorations
capped by each item's charges, apps.subscriptions.terms.items_paid), on every path that credits:
a change, a scheduled cancellation, a new trial, a reset billing cycle."""

import pytest

from apps.core.actor import SYSTEM
from apps.customers.models import Customer
from apps.customers.selectors import customer_balance
from apps.invoices.engine.periods import utc
from apps.invoices.models import Invoice, InvoiceItem
from apps.subscriptions.services.lifecycle import lifecycle_due
from apps.subscriptions.services.trials import subscription_trial_update
from tests.subscriptions.test_lifecycle import _epoch, _price


@pytest.fixture
def half_off_january(api, at):
    """$25.00/month from 2025-01-01 with a 50 % once coupon: January is paid 1250."""
    at(utc(2025, 1, 1))
    basic = _price(api, 2500, "Basic")
    api.post("/v1/coupons", {"id": "HALFONCE", "percent_off": 50, "duration": "once"})
    customer = api.post("/v1/customers", {"email": "p@example.com", "source": "tok_visa"}).json()
    subscription = api.post(
        "/v1/subscriptions",
        {"customer": customer["id"], "items": [{"price": basic}], "coupon": "HALFONCE"},
    ).json()
    (january,) = Invoice.objects.filter(subscription_id=subscription["id"])
    assert (january.subtotal, january.total) == (2500, 1250)
    return subscription


def test_a_change_and_its_undo_credit_what_was_paid_and_net_zero(api, at, half_off_january):
    subscription = half_off_january
    item = subscription["items"]["data"][0]["id"]
    at(utc(2025, 1, 16))
    url = f"/v1/subscriptions/{subscription['id']}"
    common = {"proration_behavior": "create_prorations", "proration_date": _epoch(2025, 1, 16)}
    assert api.post(url, {"items": [{"id": item, "quantity": 2}], **common}).status_code == 200
    assert api.post(url, {"items": [{"id": item, "quantity": 1}], **common}).status_code == 200
    pending = InvoiceItem.objects.filter(subscription_id=subscription["id"], invoice__isnull=True)
    # 1250 × 16/31 = 645.16 (not 2500 × 16/31 = 1290.32: the coupon was spent by January); two
    # seats at the full price 2580.65; the undo gives back what was debited and charges one
    # seat what January was paid for it.
    assert sorted(pending.values_list("amount", flat=True)) == [-2581, -645, 645, 2581]


def test_a_scheduled_cancellation_credits_what_was_paid(api, at, half_off_january):
    subscription = half_off_january
    api.post(f"/v1/subscriptions/{subscription['id']}", {"cancel_at": _epoch(2025, 1, 16)})
    at(utc(2025, 1, 16, 0, 0, 20))
    assert lifecycle_due()["canceled"] == 1
    final = Invoice.objects.filter(subscription_id=subscription["id"]).order_by("-created_at")[0]
    assert (final.total, final.amount_due, final.status) == (-645, 0, "paid")
    customer = Customer.objects.get(id=subscription["customer"])
    assert customer_balance(customer) == -645


def test_a_new_trial_credits_what_was_paid(acme, at, half_off_january):
    at(utc(2025, 1, 16))
    subscription_trial_update(
        account=acme.account,
        subscription_id=half_off_january["id"],
        trial_end=utc(2025, 1, 20),
        actor=SYSTEM,
    )
    (credit,) = InvoiceItem.objects.filter(subscription_id=half_off_january["id"])
    assert credit.amount == -645


def test_a_reset_cycle_credits_what_was_paid(api, at, half_off_january):
    at(utc(2025, 1, 16))
    reset = api.post(
        f"/v1/subscriptions/{half_off_january['id']}",
        {"billing_cycle_anchor": "now", "proration_behavior": "create_prorations"},
    )
    assert reset.status_code == 200, reset.content
    invoice = Invoice.objects.filter(subscription_id=half_off_january["id"]).order_by("-id")[0]
    # The unused half of January as paid (−645), the new period at the full price (2500).
    assert sorted(invoice.lines.values_list("amount", flat=True)) == [-645, 2500]
    assert invoice.total == 1855
