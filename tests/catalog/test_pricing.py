"""apps/catalog/pricing.py: per unit, packages, graduated and volume tiers, decimals, currencies."""

from datetime import date
from decimal import Decimal as D

import pytest

from apps.catalog.pricing import (
    CustomAmount,
    DatedRate,
    PricingError,
    Terms,
    Tier,
    amount_for,
    amount_in,
    convert,
    rate_on,
    terms_choose,
)

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


@pytest.mark.parametrize(
    ("quantity", "total"),
    [
        (1, 1000 + 50),  # the first tier's flat fee comes with the first unit
        (2, 1000 + 100),
        (3, 1000 + 100 + 0 + 30),  # up_to=2 is inclusive: unit 3 is in the second tier
        (4, 1000 + 100 + 60),
        (5, 1000 + 100 + 60 + 2000 + 10),
    ],
)
def test_graduated_flat_fees_at_every_boundary(quantity, total):
    terms = Terms(
        currency="usd",
        billing_scheme="tiered",
        tiers_mode="graduated",
        tiers=(
            Tier(up_to=2, unit_amount=D(50), flat_amount=D(1000)),
            Tier(up_to=4, unit_amount=D(30)),
            Tier(up_to=None, unit_amount=D(10), flat_amount=D(2000)),
        ),
    )
    assert amount_for(terms, quantity) == total


@pytest.mark.parametrize(
    ("quantity", "total"),
    [(1, 1000 + 50), (2, 1000 + 100), (3, 90), (4, 120), (5, 2000 + 50)],
)
def test_volume_prices_every_unit_in_the_tier_holding_the_quantity(quantity, total):
    terms = Terms(
        currency="usd",
        billing_scheme="tiered",
        tiers_mode="volume",
        tiers=(
            Tier(up_to=2, unit_amount=D(50), flat_amount=D(1000)),
            Tier(up_to=4, unit_amount=D(30)),
            Tier(up_to=None, unit_amount=D(10), flat_amount=D(2000)),
        ),
    )
    assert amount_for(terms, quantity) == total


def test_a_single_unbounded_tier():
    terms = Terms(
        currency="usd",
        billing_scheme="tiered",
        tiers_mode="volume",
        tiers=(Tier(up_to=None, unit_amount=D(7), flat_amount=D(3)),),
    )
    assert [amount_for(terms, q) for q in (0, 1, 1000)] == [0, 10, 7003]


@pytest.mark.parametrize(
    ("quantity", "divide_by", "rounding", "total"),
    [
        (1, 1, "up", 500),
        (99, 100, "up", 500),
        (100, 100, "up", 500),
        (101, 100, "up", 1000),
        (199, 100, "down", 500),
        (200, 100, "down", 1000),
        (1, 3, "down", 0),
    ],
)
def test_package_boundaries(quantity, divide_by, rounding, total):
    terms = Terms(currency="usd", unit_amount=D(500), divide_by=divide_by, round=rounding)
    assert amount_for(terms, quantity) == total


def test_package_with_a_decimal_package_price_rounds_the_line_once():
    terms = Terms(currency="usd", unit_amount=D("0.5"), divide_by=10, round="up")
    assert amount_for(terms, 25) == 2  # 3 packages × 0.5 = 1.5 → 2


@pytest.mark.parametrize(
    ("currency", "unit", "quantity", "total"),
    [
        ("jpy", D(1500), 3, 4500),  # yen are the minor unit: no cents to round to
        ("jpy", D("0.5"), 3, 2),  # 1.5 yen → 2
        ("kwd", D(1250), 2, 2500),  # 1.250 KWD each, in fils
        ("kwd", D("0.25"), 6, 2),  # 1.5 fils → 2
        ("bhd", D("333.3333"), 3, 1000),  # 999.9999 fils → 1.000 BHD
    ],
)
def test_zero_and_three_decimal_currencies(currency, unit, quantity, total):
    assert amount_for(Terms(currency=currency, unit_amount=unit), quantity) == total


@pytest.mark.parametrize(
    "terms",
    [
        Terms(currency="usd", unit_amount=D(100)),
        Terms(currency="usd", unit_amount=D(100), divide_by=10),
        GRADUATED,
        VOLUME,
        Terms(currency="usd", custom=CustomAmount(preset=100)),
    ],
)
@pytest.mark.parametrize("quantity", [-1, -100])
def test_negative_quantities_are_refused_in_every_scheme(terms, quantity):
    with pytest.raises(PricingError) as caught:
        amount_for(terms, quantity)
    assert caught.value.param == "quantity"


@pytest.mark.parametrize(
    "terms",
    [
        Terms(currency="usd", unit_amount=D(100)),
        Terms(currency="usd", unit_amount=D(100), divide_by=10),
        GRADUATED,
        VOLUME,
    ],
)
def test_a_zero_quantity_costs_nothing(terms):
    assert amount_for(terms, 0) == 0


def test_pay_what_you_want_needs_a_whole_non_negative_amount():
    terms = Terms(currency="usd", custom=CustomAmount())
    assert amount_for(terms, 1, custom_amount=0) == 0
    for bad in (None, -1, D("1.5"), True):
        with pytest.raises(PricingError) as caught:
            amount_for(terms, 1, custom_amount=bad)
        assert caught.value.param == "amount"


def test_a_per_unit_price_needs_an_amount():
    with pytest.raises(PricingError) as caught:
        amount_for(Terms(currency="usd"), 1)
    assert caught.value.param == "unit_amount"


@pytest.mark.parametrize(
    ("amount", "source", "target", "rate", "converted"),
    [
        (-1000, "usd", "eur", D("0.925"), -925),
        (-1, "usd", "eur", D("0.5"), -1),  # halves away from zero, negatives too
        (1000, "kwd", "jpy", D("487.123"), 487),  # 1.000 KWD → 487.123 → 487 yen
        (333, "jpy", "bhd", D("0.0025"), 833),  # 0.8325 BHD → 0.833 (fils)
        (0, "usd", "jpy", D("150"), 0),
    ],
)
def test_conversion_between_exponents(amount, source, target, rate, converted):
    assert convert(amount, source=source, target=target, rate=rate) == converted


RATES = (
    DatedRate("usd", "eur", date(2026, 10, 1), D("0.90")),
    DatedRate("usd", "eur", date(2026, 11, 1), D("0.92")),
    DatedRate("usd", "eur", date(2026, 12, 1), D("0.95")),
    DatedRate("gbp", "usd", date(2026, 10, 1), D("1.25")),
    DatedRate("eur", "jpy", date(2026, 10, 1), D("160")),
)


@pytest.mark.parametrize(
    ("on", "rate"),
    [
        (date(2026, 10, 1), D("0.90")),  # a rate is in force from its own date
        (date(2026, 10, 31), D("0.90")),
        (date(2026, 11, 1), D("0.92")),
        (date(2026, 11, 30), D("0.92")),
        (date(2027, 6, 1), D("0.95")),  # the latest stays in force
    ],
)
def test_the_rate_in_force_is_the_latest_on_or_before_the_day(on, rate):
    assert rate_on(RATES, base="usd", quote="eur", on=on) == rate


def test_the_inverse_pair_is_used_when_the_direct_one_is_missing():
    assert rate_on(RATES, base="usd", quote="gbp", on=date(2026, 11, 1)) == D("0.8")


@pytest.mark.parametrize(
    ("base", "quote", "on"),
    [
        ("usd", "eur", date(2026, 9, 30)),  # only later rates
        ("usd", "jpy", date(2026, 11, 1)),  # no pair at all (no chaining through EUR)
    ],
)
def test_no_rate_is_a_clear_error(base, quote, on):
    with pytest.raises(PricingError) as caught:
        rate_on(RATES, base=base, quote=quote, on=on)
    assert caught.value.param == "currency"
    assert f"No {base.upper()}→{quote.upper()} exchange rate on or before {on}" in str(caught.value)


OWN = Terms(currency="usd", unit_amount=D(1999))
OPTIONS = {"eur": Terms(currency="eur", unit_amount=D(1799))}


def test_choosing_the_terms_of_a_currency():
    assert terms_choose(OWN, OPTIONS, "usd") is OWN
    assert terms_choose(OWN, OPTIONS, "eur") is OPTIONS["eur"]
    assert terms_choose(OWN, OPTIONS, "jpy") is None


@pytest.mark.parametrize(
    ("currency", "on", "total"),
    [
        ("usd", date(2026, 11, 1), 3998),
        ("eur", date(2026, 11, 1), 3598),  # the option wins over any rate
        ("jpy", date(2026, 11, 1), 6027),  # 39.98 × 150.75 = 6027.0 yen
        ("kwd", date(2026, 11, 1), 12280),  # 39.98 × 0.30715 = 12.279857 → 12.280
    ],
)
def test_amount_in_a_currency_uses_its_option_or_converts(currency, on, total):
    rates = (
        DatedRate("usd", "eur", date(2026, 1, 1), D("0.5")),
        DatedRate("usd", "jpy", date(2026, 11, 1), D("150.75")),
        DatedRate("usd", "kwd", date(2026, 10, 1), D("0.30715")),
    )
    assert amount_in(OWN, OPTIONS, currency=currency, quantity=2, on=on, rates=rates) == total


def test_amount_in_a_currency_without_option_or_rate_is_refused():
    with pytest.raises(PricingError) as caught:
        amount_in(OWN, OPTIONS, currency="jpy", quantity=1, on=date(2026, 11, 1))
    assert caught.value.param == "currency"


def test_conversion_rounds_the_converted_line_not_each_unit():
    own = Terms(currency="usd", unit_amount=D("0.4"))
    rates = (DatedRate("usd", "jpy", date(2026, 1, 1), D("150")),)
    # 10 × 0.4 = 4 cents → 0.04 USD × 150 = 6 yen (per unit it would be 0 cents → 0 yen)
    assert amount_in(own, {}, currency="jpy", quantity=10, on=date(2026, 2, 1), rates=rates) == 6
