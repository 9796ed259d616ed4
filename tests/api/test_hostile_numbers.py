"""Amounts, quantities, timestamps and currencies out of Stripe's ranges: a 400 naming the
parameter, and nothing written (before, several of these were 500s or were accepted)."""

import pytest

from apps.accounts.models import TestClock
from apps.catalog.models import Coupon, Price
from apps.core.models import Event
from apps.customers.models import CustomerBalanceTransaction
from apps.invoices.models import Invoice, InvoiceItem
from apps.payments.models import Charge, PaymentIntent
from apps.subscriptions.models import Subscription
from tests.api.conftest import assert_error
from tests.factories import CustomerFactory, PriceFactory

BIG = "9223372036854775808"  # 2**63, one past a bigint


def _error(message: str, param: str) -> dict:
    return {"type": "invalid_request_error", "message": message, "param": param}


@pytest.fixture
def customer(acme):
    return CustomerFactory(account=acme.account)


@pytest.fixture
def price(acme):
    return PriceFactory(account=acme.account, own_product=True)


@pytest.fixture
def events():
    """Asserts no event was recorded by the test's requests (listed after the fixtures that
    make objects, so it counts from after them)."""
    before = Event.objects.count()
    yield
    assert Event.objects.count() == before


@pytest.mark.parametrize("currency", ["zzz", "xxx", "ééé"])
def test_a_charge_in_an_unknown_currency_is_refused(api, currency, events):
    response = api.post("/v1/charges", {"amount": 2000, "currency": currency, "source": "tok_visa"})
    assert_error(
        response,
        400,
        {**_error("Missing or invalid currency.", "currency"), "code": "parameter_missing"}
        | {"doc_url": "https://docs.stripe.com/error-codes/parameter-missing"},
    )
    assert Charge.objects.count() == 0


@pytest.mark.parametrize(
    ("amount", "currency", "ceiling"),
    [
        (100_000_000, "usd", "$999,999.99"),
        (100_000_000, "jpy", "¥99,999,999"),
        (1_000_000_000, "kwd", "KWD 999,999.990"),
    ],
)
def test_a_charge_above_the_currency_maximum_is_refused(api, amount, currency, ceiling, events):
    response = api.post(
        "/v1/charges", {"amount": amount, "currency": currency, "source": "tok_visa"}
    )
    error = response.json()["error"]
    assert response.status_code == 400, response.content
    assert (error["code"], error["param"], error["message"]) == (
        "amount_too_large",
        "amount",
        f"Amount must be no more than {ceiling}.",
    )
    assert Charge.objects.count() == 0


@pytest.mark.parametrize("currency", ["xxx", "ééé"])
def test_a_payment_intent_in_an_unknown_currency_is_refused(api, currency, events):
    response = api.post("/v1/payment_intents", {"amount": 2000, "currency": currency})
    assert response.status_code == 400, response.content
    assert response.json()["error"]["param"] == "currency"
    assert PaymentIntent.objects.count() == 0


@pytest.mark.parametrize("currency", ["xxx", "ééé"])
def test_a_price_in_an_unknown_currency_is_refused(api, currency, events):
    response = api.post(
        "/v1/prices", {"currency": currency, "unit_amount": 100, "product_data": {"name": "P"}}
    )
    assert_error(response, 400, _error(f"Invalid currency: {currency}", "currency"))
    assert Price.objects.count() == 0


@pytest.mark.parametrize(
    ("amount", "currency", "message"),
    [
        (BIG, "usd", "Invalid unit_amount: must be at most 99999999"),
        ("100000000", "usd", "Invalid unit_amount: must be at most 99999999"),
        ("-1", "usd", "Invalid unit_amount: must be at least 0"),
        ("１００", "usd", "Invalid integer: １００"),
        ("999999991", "kwd", "Invalid unit_amount: must be at most 999999990"),
    ],
)
def test_price_amounts_out_of_range_are_refused(api, amount, currency, message, events):
    response = api.post(
        "/v1/prices",
        {"currency": currency, "unit_amount": amount, "product_data": {"name": "P"}},
    )
    assert_error(response, 400, _error(message, "unit_amount"))
    assert Price.objects.count() == 0


def test_a_three_decimal_currency_takes_one_more_digit(api):
    response = api.post(
        "/v1/prices", {"currency": "kwd", "unit_amount": 999999990, "product_data": {"name": "P"}}
    )
    assert response.status_code == 200, response.content
    assert response.json()["unit_amount"] == 999999990


def test_a_tier_amount_out_of_range_names_the_tier(api, events):
    response = api.post(
        "/v1/prices",
        {
            "currency": "usd",
            "product_data": {"name": "P"},
            "billing_scheme": "tiered",
            "tiers_mode": "volume",
            "tiers": [{"up_to": "inf", "unit_amount_decimal": "1e30"}],
        },
    )
    assert_error(
        response,
        400,
        _error(
            "Invalid tiers[0][unit_amount_decimal]: must be at most 99999999",
            "tiers[0][unit_amount_decimal]",
        ),
    )
    assert Price.objects.count() == 0


def test_a_coupon_amount_past_a_bigint_is_refused(api, events):
    response = api.post("/v1/coupons", {"amount_off": BIG, "currency": "usd"})
    assert_error(
        response, 400, _error("Invalid amount_off: must be at most 99999999", "amount_off")
    )
    assert Coupon.objects.count() == 0


def test_a_coupon_redeem_by_past_2100_is_refused(api, events):
    response = api.post("/v1/coupons", {"percent_off": "10", "redeem_by": "99999999999999"})
    assert_error(response, 400, _error("Invalid timestamp: 99999999999999", "redeem_by"))
    assert Coupon.objects.count() == 0


@pytest.mark.parametrize(
    ("params", "message", "param"),
    [
        ({"amount": BIG}, "Invalid amount: must be at most 99999999", "amount"),
        ({"amount": "-" + BIG}, "Invalid amount: must be at least -99999999", "amount"),
        ({"amount": "１００"}, "Invalid integer: １００", "amount"),
        ({"amount": 100, "currency": "xxx"}, "Invalid currency: xxx", "currency"),
        (
            {"unit_amount_decimal": "1" + "0" * 30, "quantity": 1},
            "Invalid unit_amount_decimal: must be at most 99999999",
            "unit_amount_decimal",
        ),
        (
            {"amount": 100, "quantity": "1180591620717411303424"},
            "Invalid quantity: must be at most 100000000",
            "quantity",
        ),
    ],
)
def test_invoice_item_numbers_out_of_range_are_refused(
    api, customer, params, message, param, events
):
    response = api.post("/v1/invoiceitems", {"customer": customer.id, **params})
    assert_error(response, 400, _error(message, param))
    assert InvoiceItem.objects.count() == 0


def test_a_balance_transaction_in_fullwidth_digits_is_refused(api, customer, events):
    # Regression: "１００" was taken as 100.
    response = api.post(
        f"/v1/customers/{customer.id}/balance_transactions", {"amount": "１００", "currency": "usd"}
    )
    assert_error(response, 400, _error("Invalid integer: １００", "amount"))
    assert CustomerBalanceTransaction.objects.count() == 0


@pytest.mark.parametrize(
    ("params", "message", "param"),
    [
        (
            {"items[0][quantity]": "1180591620717411303424"},
            "Invalid quantity: must be at most 100000000",
            "items[0][quantity]",
        ),
        ({"trial_end": "99999999999999"}, "Invalid timestamp: 99999999999999", "trial_end"),
        (
            {"items[0][trial_end]": "99999999999999"},
            "Invalid timestamp: 99999999999999",
            "items[0][trial_end]",
        ),
        (
            {"billing_cycle_anchor": "99999999999999"},
            "Invalid timestamp: 99999999999999",
            "billing_cycle_anchor",
        ),
    ],
)
def test_subscription_numbers_out_of_range_are_refused(
    api, customer, price, params, message, param, events
):
    body = {"customer": customer.id, "items[0][price]": price.id, **params}
    response = api.post("/v1/subscriptions", body)
    assert_error(response, 400, _error(message, param))
    assert Subscription.objects.count() == 0


def test_a_test_clock_frozen_past_2100_is_refused(api, events):
    # Regression: a 500 from datetime.fromtimestamp in apps/core/clock.py.
    response = api.post("/v1/test_helpers/test_clocks", {"frozen_time": "99999999999999"})
    assert_error(response, 400, _error("Invalid timestamp: 99999999999999", "frozen_time"))
    assert TestClock.objects.count() == 0


def test_an_invoice_due_past_2100_is_refused(api, customer, events):
    response = api.post(
        "/v1/invoices",
        {
            "customer": customer.id,
            "collection_method": "send_invoice",
            "due_date": "99999999999999",
        },
    )
    assert_error(response, 400, _error("Invalid timestamp: 99999999999999", "due_date"))
    assert Invoice.objects.count() == 0
