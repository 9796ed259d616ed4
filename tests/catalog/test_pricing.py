"""apps/catalog/pricing.py: per unit, packages, graduated and volume tiers, decimals, currencies."""

from decimal import Decimal as D

import pytest

from apps.catalog.pricing import CustomAmount, PricingError, Terms, Tier, amount_for, convert

GRADUATED = Terms(
    currency="usd",
    billing_scheme="tiered",
    tiers_mode="graduated",
    tiers=(
        Tier(up_to=5, unit_amount=D(500)),
        Tier(up_to=10, unit_amount=D(400), flat_amount=D(100)),
        Tier(up_to=None, unit_amount=D(300)),
    ),
)
VOLUME = Terms(**{**GRADUATED.__dict__, "tiers_mode": "volume"})


@pytest.mark.parametrize(
    ("quantity", "total"),
    [
        (0, 0),
        (1, 500),
        (5, 2500),  # up_to is inclusive
        (6, 2500 + 400 + 100),  # the second tier's flat fee comes with its first unit
        (10, 2500 + 2000 + 100),
        (11, 2500 + 2000 + 100 + 300),
        (100, 2500 + 2000 + 100 + 90 * 300),
    ],
)
def test_graduated(quantity, total):
    assert amount_for(GRADUATED, quantity) == total


@pytest.mark.parametrize(
    ("quantity", "total"),
    [(0, 0), (1, 500), (5, 2500), (6, 6 * 400 + 100), (10, 4100), (11, 3300), (100, 30000)],
)
def test_volume(quantity, total):
    assert amount_for(VOLUME, quantity) == total


@pytest.mark.parametrize(
    ("quantity", "rounding", "total"),
    [
        (0, "up", 0),
        (1, "up", 1000),
        (10, "up", 1000),
        (11, "up", 2000),
        (11, "down", 1000),
        (9, "down", 0),
        (20, "down", 2000),
    ],
)
def test_package(quantity, rounding, total):
    terms = Terms(currency="usd", unit_amount=D(1000), divide_by=10, round=rounding)
    assert amount_for(terms, quantity) == total


@pytest.mark.parametrize(
    ("unit", "quantity", "total"),
    [
        (D("0.5"), 1, 1),  # half a cent rounds away from zero
        (D("0.5"), 3, 2),  # 1.5 → 2: rounded once per line, not per unit
        (D("0.333333333333"), 3, 1),
        (D("12.345"), 100, 1235),  # 1234.5 → 1235
        (D("0.004"), 100, 0),
        (D("2500"), 7, 17500),
    ],
)
def test_unit_amount_decimal_rounds_the_line_once(unit, quantity, total):
    assert amount_for(Terms(currency="usd", unit_amount=unit), quantity) == total


def test_graduated_with_decimal_tiers_rounds_once():
    terms = Terms(
        currency="usd",
        billing_scheme="tiered",
        tiers_mode="graduated",
        tiers=(Tier(up_to=1, unit_amount=D("0.25")), Tier(up_to=None, unit_amount=D("0.25"))),
    )
    assert amount_for(terms, 2) == 1  # 0.25 + 0.25 = 0.5 → 1, not 0 + 0


def test_pay_what_you_want_bounds_and_preset():
    terms = Terms(currency="usd", custom=CustomAmount(minimum=500, maximum=5000, preset=1500))
    assert amount_for(terms, 1) == 1500
    assert amount_for(terms, 2, custom_amount=700) == 1400
    for bad in (499, 5001):
        with pytest.raises(PricingError) as caught:
            amount_for(terms, 1, custom_amount=bad)
        assert caught.value.param == "amount"


@pytest.mark.parametrize("quantity", [-1, True, 1.5])
def test_quantities_are_whole_and_not_negative(quantity):
    with pytest.raises(PricingError):
        amount_for(Terms(currency="usd", unit_amount=D(100)), quantity)


@pytest.mark.parametrize(
    "tiers",
    [
        (),
        (Tier(up_to=5),),  # last tier bounded
        (Tier(up_to=None), Tier(up_to=None)),
        (Tier(up_to=10), Tier(up_to=5), Tier(up_to=None)),
        (Tier(up_to=5, unit_amount=D(-1)), Tier(up_to=None)),
    ],
)
def test_bad_tiers_are_refused(tiers):
    terms = Terms(currency="usd", billing_scheme="tiered", tiers_mode="graduated", tiers=tiers)
    with pytest.raises(PricingError):
        amount_for(terms, 3)


@pytest.mark.parametrize(
    ("amount", "source", "target", "rate", "converted"),
    [
        (1000, "usd", "eur", D("0.92"), 920),
        (1999, "usd", "jpy", D("151.37"), 3026),  # 19.99 × 151.37 = 3025.8863 → 3026 yen
        (1000, "usd", "kwd", D("0.30715"), 3072),  # 10 × 0.30715 = 3.0715 KWD → 3.072 (fils)
        (500, "jpy", "usd", D("0.0066"), 330),  # 500 × 0.0066 = 3.30 USD → 330 cents
        (1, "usd", "eur", D("0.5"), 1),  # 0.5 cent rounds away from zero
    ],
)
def test_conversion_rounds_to_the_target_currency(amount, source, target, rate, converted):
    assert convert(amount, source=source, target=target, rate=rate) == converted


def test_conversion_needs_a_positive_rate():
    with pytest.raises(PricingError):
        convert(100, source="usd", target="eur", rate=D(0))
