"""ACCEPTANCE X1 through the official stripe SDK: a price with currency_options bills a French
customer in EUR, a price without one is converted at the FX table's rate of each period, and a
pay-what-you-want price bills the amount the customer chose, period by period."""

import pytest
import stripe

from apps.catalog.services import fx_rates_import
from apps.core.actor import SYSTEM
from tests.subscriptions.sdk_clock import advance, epoch, invoices_of

pytestmark = pytest.mark.usefixtures("tasks_inline")


def _customer(country: str):
    test_clock = stripe.test_helpers.TestClock.create(frozen_time=epoch(2025, 1, 1))
    customer = stripe.Customer.create(
        email="camille@example.com",
        address={"country": country, "city": "Lyon" if country == "FR" else "Austin"},
        test_clock=test_clock.id,
        source="tok_visa",
    )
    return test_clock, customer


def _monthly(**terms) -> str:
    return stripe.Price.create(
        product_data={"name": "Pro"}, recurring={"interval": "month"}, **terms
    ).id


def _totals(customer) -> list[tuple[str, int, str]]:
    return [(i.currency, i.total, i.status) for i in invoices_of(customer)]


def test_a_french_customer_is_billed_the_eur_option(stripe_sdk):
    price = _monthly(
        currency="usd", unit_amount=2500, currency_options={"eur": {"unit_amount": 2300}}
    )
    test_clock, customer = _customer("FR")
    preview = stripe.Invoice.create_preview(
        customer=customer.id, subscription_details={"items": [{"price": price}]}
    )
    assert (preview.currency, preview.amount_due) == ("eur", 2300)

    subscription = stripe.Subscription.create(customer=customer.id, items=[{"price": price}])

    assert subscription.currency == "eur"
    advance(test_clock, 2025, 2, 1, 2)
    assert _totals(customer) == [("eur", 2300, "paid"), ("eur", 2300, "paid")]
    charges = stripe.Charge.list(customer=customer.id).data
    assert sorted((c.currency, c.amount) for c in charges) == [("eur", 2300), ("eur", 2300)]


def test_a_customer_elsewhere_keeps_the_price_currency(stripe_sdk):
    price = _monthly(
        currency="usd", unit_amount=2500, currency_options={"eur": {"unit_amount": 2300}}
    )
    _test_clock, customer = _customer("US")

    subscription = stripe.Subscription.create(customer=customer.id, items=[{"price": price}])

    assert subscription.currency == "usd"
    assert _totals(customer) == [("usd", 2500, "paid")]


def test_without_an_option_the_fx_table_converts_each_period(stripe_sdk, acme):
    price = _monthly(currency="usd", unit_amount=2500)
    fx_rates_import(
        account=acme.account,
        text="date,base,quote,rate\n2024-12-01,usd,eur,0.92\n2025-01-15,usd,eur,0.95\n",
        actor=SYSTEM,
    )
    test_clock, customer = _customer("FR")

    subscription = stripe.Subscription.create(customer=customer.id, items=[{"price": price}])

    assert subscription.currency == "eur"
    advance(test_clock, 2025, 2, 1, 2)
    # 2500 × 0.92 = 2300 on Jan 1; 2500 × 0.95 = 2375 on Feb 1.
    assert _totals(customer) == [("eur", 2300, "paid"), ("eur", 2375, "paid")]


def test_a_currency_the_price_cannot_bill_is_refused_and_nothing_written(stripe_sdk):
    price = _monthly(currency="usd", unit_amount=2500)
    _test_clock, customer = _customer("US")

    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe.Subscription.create(customer=customer.id, items=[{"price": price}], currency="gbp")

    assert refused.value.param == "currency"
    assert stripe.Subscription.list(customer=customer.id).data == []
    assert invoices_of(customer) == []
    # No option and no rate: the French customer is billed in the price's currency.
    _clock, french = _customer("FR")
    assert (
        stripe.Subscription.create(customer=french.id, items=[{"price": price}]).currency == "usd"
    )


def test_pay_what_you_want_bills_the_amount_chosen_each_period(stripe_sdk):
    price = _monthly(
        currency="usd",
        custom_unit_amount={"enabled": True, "minimum": 500, "maximum": 5000, "preset": 1000},
    )
    test_clock, customer = _customer("US")

    subscription = stripe.Subscription.create(
        customer=customer.id, items=[{"price": price, "custom_unit_amount": 1500}]
    )
    item = subscription["items"].data[0]
    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe.SubscriptionItem.modify(item.id, custom_unit_amount=100)
    assert "at least 500" in refused.value.user_message
    stripe.SubscriptionItem.modify(item.id, custom_unit_amount=800, proration_behavior="none")
    advance(test_clock, 2025, 2, 1, 2)
    stripe.Subscription.modify(
        subscription.id,
        items=[{"id": item.id, "custom_unit_amount": 2000}],
        proration_behavior="none",
    )
    advance(test_clock, 2025, 3, 1, 2)

    assert _totals(customer) == [
        ("usd", 1500, "paid"),
        ("usd", 800, "paid"),
        ("usd", 2000, "paid"),
    ]
