from decimal import Decimal

import pytest

from apps.core import money
from apps.core.money import (
    MoneyError,
    exponent,
    format_amount,
    format_money,
    round_minor,
    to_decimal,
)


@pytest.mark.parametrize(
    ("currency", "digits"), [("usd", 2), ("EUR", 2), ("jpy", 0), ("krw", 0), ("kwd", 3), ("bhd", 3)]
)
def test_exponent(currency, digits):
    assert exponent(currency) == digits


@pytest.mark.parametrize("bad", ["", "us", "usdd", "12a"])
def test_bad_currency(bad):
    with pytest.raises(MoneyError):
        exponent(bad)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("1289.5"), 1290),
        (Decimal("-1289.5"), -1290),
        (Decimal("1393.548"), 1394),
        (Decimal("0.4999"), 0),
        (Decimal("-0.5"), -1),
        (Decimal("2.5"), 3),
        (7, 7),
    ],
)
def test_round_minor_half_away_from_zero(value, expected):
    assert round_minor(value) == expected


@pytest.mark.parametrize("bad", [1.5, True, "3"])
def test_round_minor_refuses_non_amounts(bad):
    with pytest.raises(MoneyError):
        round_minor(bad)


def test_to_decimal_refuses_floats_and_garbage():
    assert to_decimal("12.50") == Decimal("12.50")
    for bad in (0.1, "abc", "NaN", "Infinity"):
        with pytest.raises(MoneyError):
            to_decimal(bad)


@pytest.mark.parametrize(
    ("amount", "currency", "text"),
    [
        (123456, "usd", "1,234.56 USD"),
        (-5, "usd", "-0.05 USD"),
        (1000, "jpy", "1,000 JPY"),
        (1234, "kwd", "1.234 KWD"),
    ],
)
def test_format_amount(amount, currency, text):
    assert format_amount(amount, currency) == text


@pytest.mark.parametrize(
    ("amount", "currency", "text"),
    [
        (125000, "eur", "€1,250.00"),
        (1250, "jpy", "¥1,250"),
        (2500, "USD", "$25.00"),
        (-26, "usd", "-$0.26"),
        (0, "gbp", "£0.00"),
        (1250, "kwd", "KWD 1.250"),
        (-5, "kwd", "-KWD 0.005"),
        (99, "cad", "CA$0.99"),
        (100000, "krw", "₩100,000"),
        (1, "chf", "CHF 0.01"),
    ],
)
def test_format_money_writes_the_currencys_own_format(amount, currency, text):
    assert format_money(amount, currency) == text


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [("12.50", "usd", 1250), ("-0.01", "eur", -1), ("1,000", "jpy", 1000), ("1.234", "kwd", 1234)],
)
def test_parse_major(text, currency, minor):
    assert money.parse_major(text, currency) == minor


@pytest.mark.parametrize(("text", "currency"), [("1.005", "usd"), ("1.5", "jpy"), ("abc", "usd")])
def test_parse_major_refuses_what_it_cannot_represent(text, currency):
    with pytest.raises(money.MoneyError):
        money.parse_major(text, currency)


@pytest.mark.parametrize("bad", ["zzz", "xxx", "xts", "ééé", "xau"])
def test_currencies_are_the_ones_stripe_charges_in(bad):
    # Regression: any three letters (even non-ASCII ones) were taken as a currency.
    with pytest.raises(MoneyError):
        money.currency_normalize(bad)


@pytest.mark.parametrize(
    ("currency", "digits"), [("USD", 2), ("isk", 2), ("huf", 2), ("ugx", 0), ("jod", 3)]
)
def test_known_currencies_keep_stripes_exponent(currency, digits):
    assert money.currency_normalize(currency) == currency.lower()
    assert exponent(currency) == digits


@pytest.mark.parametrize(
    ("currency", "largest"),
    [(None, 99_999_999), ("usd", 99_999_999), ("jpy", 99_999_999), ("kwd", 999_999_990)],
)
def test_amount_max_is_eight_digits_of_a_two_decimal_currency(currency, largest):
    assert money.amount_max(currency) == largest
