from decimal import Decimal

import pytest

from apps.core import money
from apps.core.money import (
    MoneyError,
    exponent,
    format_amount,
    major_text,
    parse_major,
    percent_text,
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
        (2500, "usd", "$25.00"),
        (123456, "usd", "$1,234.56"),
        (-5, "usd", "-$0.05"),
        (-2500, "usd", "-$25.00"),
        (1250, "jpy", "¥1,250"),
        (-1250, "jpy", "-¥1,250"),
        (1250, "kwd", "KWD 1.250"),
        (-1250, "kwd", "-KWD 1.250"),
        (125000, "eur", "€1,250.00"),
        (999, "gbp", "£9.99"),
        (123456789, "chf", "CHF 1,234,567.89"),
        (2000, "USD", "$20.00"),
        # Zero is written one way in each currency, with its decimals.
        (0, "usd", "$0.00"),
        (0, "jpy", "¥0"),
        (0, "kwd", "KWD 0.000"),
        # Fractions of a minor unit (a price's unit_amount_decimal) keep their digits.
        (Decimal("1.25"), "usd", "$0.0125"),
        (Decimal("2500.000000000000"), "usd", "$25.00"),
        (Decimal("-0"), "usd", "$0.00"),
    ],
)
def test_format_amount(amount, currency, text):
    assert format_amount(amount, currency) == text


@pytest.mark.parametrize("bad", [2.5, "25", True, None])
def test_format_amount_refuses_what_is_not_an_amount(bad):
    with pytest.raises(MoneyError):
        format_amount(bad, "usd")


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal("20"), "20 %"),
        # Decimal("20.00").normalize() is Decimal("2E+1"): never shown as such.
        (Decimal("20.00"), "20 %"),
        (Decimal("12.50"), "12.5 %"),
        ("100", "100 %"),
        (Decimal("0.25"), "0.25 %"),
    ],
)
def test_percent_text(value, text):
    assert percent_text(value) == text


@pytest.mark.parametrize(
    ("amount", "currency", "text"),
    [(1250, "usd", "12.50"), (1250, "jpy", "1250"), (-5, "kwd", "-0.005"), (0, "usd", "0.00")],
)
def test_major_text_is_what_amount_fields_take(amount, currency, text):
    assert major_text(amount, currency) == text
    assert parse_major(text, currency) == amount


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
def test_format_amount_writes_the_currencys_own_format(amount, currency, text):
    assert format_amount(amount, currency) == text


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [
        ("12.50", "usd", 1250),
        ("-0.01", "eur", -1),
        ("1,000", "jpy", 1000),
        ("1.234", "kwd", 1234),
        # What staff copy from a page: the currency's own way of writing it.
        ("$25.00", "usd", 2500),
        ("-$12.50", "usd", -1250),
        ("¥1,250", "jpy", 1250),
        ("KWD 1.250", "kwd", 1250),
        (" 5. ", "usd", 500),
    ],
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


@pytest.mark.parametrize(
    ("text", "currency", "message"),
    [
        ("", "usd", "Enter an amount."),
        ("abc", "usd", "Enter the amount in USD as a number, e.g. 25.00."),
        ("1e3", "usd", "Enter the amount in USD as a number, e.g. 25.00."),
        ("2.5", "jpy", "JPY amounts are whole numbers (no decimals)."),
        ("1.2345", "kwd", "KWD amounts have at most 3 digits after the point."),
        ("x", "kwd", "Enter the amount in KWD as a number, e.g. 1.250."),
    ],
)
def test_parse_major_says_what_to_type(text, currency, message):
    with pytest.raises(MoneyError) as refused:
        money.parse_major(text, currency)
    assert str(refused.value) == message


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [("0.0125", "usd", "1.25"), ("12.50", "usd", "1250"), ("1,250", "jpy", "1250")],
)
def test_parse_major_fraction_keeps_fractions_of_a_minor_unit(text, currency, minor):
    assert money.parse_major_fraction(text, currency) == minor
