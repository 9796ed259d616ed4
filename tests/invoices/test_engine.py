"""The pure billing engine: period arithmetic, prorations by the second, the line planner.

The figures are ACCEPTANCE.md B1/B2 and reference/stripe-semantics.md §1.3."""

from datetime import timedelta
from fractions import Fraction

import pytest

from apps.core.money import round_minor
from apps.invoices.engine.periods import PeriodError, boundary, period_containing, utc
from apps.invoices.engine.planner import (
    PRORATION_CREDIT,
    PRORATION_DEBIT,
    SUBSCRIPTION,
    TRIAL_REMAINDER,
    USAGE,
    ItemTerms,
    change_lines,
    cycle_lines,
)
from apps.invoices.engine.proration import ProrationError, fraction_remaining, prorate


@pytest.mark.parametrize(
    ("anchor", "n", "expected"),
    [
        (utc(2025, 1, 31), 1, utc(2025, 2, 28)),
        (utc(2025, 1, 31), 2, utc(2025, 3, 31)),
        (utc(2025, 1, 31), 3, utc(2025, 4, 30)),
        (utc(2024, 1, 31), 1, utc(2024, 2, 29)),
        (utc(2025, 1, 31, 13, 5, 7), 1, utc(2025, 2, 28, 13, 5, 7)),
        (utc(2025, 3, 31), -1, utc(2025, 2, 28)),
        (utc(2024, 2, 29), 12, utc(2025, 2, 28)),
    ],
)
def test_monthly_boundaries_clamp_to_month_end_and_come_back(anchor, n, expected):
    assert boundary(anchor, "month", 1, n) == expected


def test_yearly_weekly_daily_and_counts():
    assert boundary(utc(2024, 2, 29), "year", 1, 1) == utc(2025, 2, 28)
    assert boundary(utc(2024, 2, 29), "year", 1, 4) == utc(2028, 2, 29)
    assert boundary(utc(2025, 1, 1), "week", 2, 1) == utc(2025, 1, 15)
    assert boundary(utc(2025, 1, 1), "day", 10, 3) == utc(2025, 1, 31)
    assert boundary(utc(2025, 1, 31), "month", 3, 1) == utc(2025, 4, 30)
    with pytest.raises(PeriodError):
        boundary(utc(2025, 1, 1), "fortnight", 1, 1)
    with pytest.raises(PeriodError):
        boundary(utc(2025, 1, 1).replace(tzinfo=None), "month", 1, 1)


@pytest.mark.parametrize(
    ("at", "start", "end"),
    [
        (utc(2025, 2, 28), utc(2025, 2, 28), utc(2025, 3, 31)),
        (utc(2025, 2, 27, 23, 59, 59), utc(2025, 1, 31), utc(2025, 2, 28)),
        (utc(2025, 3, 31), utc(2025, 3, 31), utc(2025, 4, 30)),
        (utc(2025, 5, 15), utc(2025, 4, 30), utc(2025, 5, 31)),
        (utc(2024, 12, 31), utc(2024, 12, 31), utc(2025, 1, 31)),
    ],
)
def test_period_containing_a_moment(at, start, end):
    assert period_containing(utc(2025, 1, 31), "month", 1, at) == (start, end)


def test_period_containing_for_weeks():
    anchor = utc(2025, 1, 6)  # a Monday
    assert period_containing(anchor, "week", 1, utc(2025, 1, 15, 12)) == (
        utc(2025, 1, 13),
        utc(2025, 1, 20),
    )
    assert period_containing(anchor, "week", 1, utc(2025, 1, 1)) == (
        utc(2024, 12, 30),
        utc(2025, 1, 6),
    )


@pytest.mark.parametrize(
    ("value", "rounded"),
    [
        (Fraction(1, 2), 1),
        (Fraction(-1, 2), -1),
        (Fraction(3, 2), 2),
        (Fraction(-5, 2), -3),
        (Fraction(1249, 1000), 1),
        (Fraction(-1249, 1000), -1),
        (Fraction(0), 0),
    ],
)
def test_the_one_rounding_rule_rounds_exact_fractions_half_away_from_zero(value, rounded):
    assert round_minor(value) == rounded


JAN = (utc(2025, 1, 1), utc(2025, 2, 1))
BASIC = ItemTerms("si_1", "price_basic", 1, 2500, description="Basic")
PRO = ItemTerms("si_1", "price_pro", 1, 2700, description="Pro")


@pytest.mark.parametrize(
    ("at", "quantity", "credit", "debit"),
    [
        (utc(2025, 1, 16), 1, -1290, 1394),  # §1.3 (b), B1
        (utc(2025, 1, 16), 3, -3871, 4181),  # §1.3 (b), quantity 3
        (utc(2025, 1, 10, 12, 34, 56), 1, -1732, 1870),  # §1.3 (c): net 138, not 139
    ],
)
def test_prorations_by_the_second_round_each_line(at, quantity, credit, debit):
    old = ItemTerms("si_1", "price_basic", quantity, 2500 * quantity)
    new = ItemTerms("si_1", "price_pro", quantity, 2700 * quantity)
    lines = change_lines(old, new, period=JAN, at=at)
    assert [(line.kind, line.amount) for line in lines] == [
        (PRORATION_CREDIT, credit),
        (PRORATION_DEBIT, debit),
    ]
    assert all(line.period_start == at and line.period_end == JAN[1] for line in lines)


def test_half_period_example_and_the_renewal_after():
    april = (utc(2025, 4, 1), utc(2025, 5, 1))
    lines = change_lines(BASIC, PRO, period=april, at=utc(2025, 4, 16))
    assert [line.amount for line in lines] == [-1250, 1350]
    renewal = cycle_lines([PRO], previous=april, period=(utc(2025, 5, 1), utc(2025, 6, 1)))
    assert [(line.kind, line.amount) for line in renewal] == [(SUBSCRIPTION, 2700)]


def test_b1_create_prorations_totals_2804_on_the_next_invoice():
    pending = change_lines(BASIC, PRO, period=JAN, at=utc(2025, 1, 16))
    renewal = cycle_lines([PRO], previous=JAN, period=(utc(2025, 2, 1), utc(2025, 3, 1)))
    assert sum(line.amount for line in pending + renewal) == 2804


def test_b2_an_item_with_its_own_trial_joins_the_next_regular_invoice():
    march, april = (utc(2025, 3, 1), utc(2025, 4, 1)), (utc(2025, 4, 1), utc(2025, 5, 1))
    launch = ItemTerms("si_launch", "price_launch", 1, 2900, description="Launch")
    intel = ItemTerms(
        "si_intel", "price_intel", 1, 4900, trial_end=utc(2025, 3, 24), description="Intel"
    )
    # Adding Intel in trial on 2025-03-10 prorates nothing.
    assert change_lines(None, intel, period=march, at=utc(2025, 3, 10)) == []
    lines = cycle_lines([launch, intel], previous=march, period=april)
    assert [(line.item_id, line.kind, line.amount) for line in lines] == [
        ("si_launch", SUBSCRIPTION, 2900),
        ("si_intel", TRIAL_REMAINDER, 1265),  # 8 of 31 days of 4900
        ("si_intel", SUBSCRIPTION, 4900),
    ]
    assert sum(line.amount for line in lines) == 9065
    assert lines[1].period_start == utc(2025, 3, 24)
    # Same input, same lines: the planner is deterministic.
    assert cycle_lines([launch, intel], previous=march, period=april) == lines


def test_items_still_in_trial_are_not_billed_and_metered_bill_in_arrears():
    march, april = (utc(2025, 3, 1), utc(2025, 4, 1)), (utc(2025, 4, 1), utc(2025, 5, 1))
    long_trial = ItemTerms("si_a", "price_a", 1, 1000, trial_end=utc(2025, 5, 10))
    metered = ItemTerms("si_m", "price_m", 0, 0, usage_type="metered")
    lines = cycle_lines([long_trial, metered], previous=march, period=april, usage={"si_m": 730})
    assert [(line.item_id, line.kind, line.amount, line.period_start) for line in lines] == [
        ("si_m", USAGE, 730, march[0])
    ]
    assert change_lines(metered, metered, period=march, at=utc(2025, 3, 5)) == []


def test_fraction_must_fall_in_the_period():
    with pytest.raises(ProrationError):
        fraction_remaining(JAN[0], JAN[1], JAN[1] + timedelta(seconds=1))
    assert fraction_remaining(JAN[0], JAN[1], JAN[0]) == 1
    assert (
        prorate(4900, fraction_remaining(utc(2025, 3, 1), utc(2025, 4, 1), utc(2025, 3, 24)))
        == 1265
    )


def test_discounts_percent_per_line_amount_across_lines_not_prorations():
    from decimal import Decimal

    from apps.invoices.engine.discounts import CouponTerms, DiscountableLine, line_discounts

    lines = [
        DiscountableLine(2900, SUBSCRIPTION, "prod_a"),
        DiscountableLine(4900, SUBSCRIPTION, "prod_b"),
        DiscountableLine(1265, TRIAL_REMAINDER, "prod_b"),
        DiscountableLine(-1290, PRORATION_CREDIT, "prod_a"),
        DiscountableLine(333, SUBSCRIPTION, "prod_c"),
    ]
    assert line_discounts(lines, CouponTerms(percent_off=Decimal("12.5"))) == [363, 613, 0, 0, 42]
    assert line_discounts(lines, CouponTerms(amount_off=5000)) == [2900, 2100, 0, 0, 0]
    assert line_discounts(lines, CouponTerms(amount_off=99999)) == [2900, 4900, 0, 0, 333]
    limited = CouponTerms(percent_off=Decimal(100), products=frozenset({"prod_b"}))
    assert line_discounts(lines, limited) == [0, 4900, 0, 0, 0]


def test_the_same_terms_again_are_no_change_and_prorate_nothing():
    assert change_lines(BASIC, BASIC, period=JAN, at=utc(2025, 1, 16)) == []
    # A quantity change of the same price still prorates (2 × 2500 × 16/31 = 2580.65).
    two = ItemTerms("si_1", "price_basic", 2, 5000, description="Basic")
    assert [line.amount for line in change_lines(BASIC, two, period=JAN, at=utc(2025, 1, 16))] == [
        -1290,
        2581,
    ]


def test_a_percent_off_discount_is_baked_into_each_proration_line_rounded_once():
    from decimal import Decimal

    from apps.invoices.engine.discounts import CouponTerms, proration_rate

    at = utc(2025, 1, 29, 5, 4)  # 240,960 of 2,678,400 s left
    one = ItemTerms("si_1", "price_basic", 1, 2500, description="Basic")
    twelve = ItemTerms("si_1", "price_basic", 12, 30000, description="Basic")
    assert [line.amount for line in change_lines(one, twelve, period=JAN, at=at)] == [-225, 2699]
    rate = proration_rate(CouponTerms(percent_off=Decimal(15)), "prod_basic")
    assert rate == Fraction(17, 20)
    discounted = [
        line.amount
        for line in change_lines(
            ItemTerms("si_1", "price_basic", 1, 2500, proration_rate=rate),
            ItemTerms("si_1", "price_basic", 12, 30000, proration_rate=rate),
            period=JAN,
            at=at,
        )
    ]
    assert discounted == [-191, 2294]  # 191.17 and 2294.09, not 225 and 2699 discounted again


def test_proration_rates_of_amount_off_and_product_limited_coupons():
    from decimal import Decimal

    from apps.invoices.engine.discounts import CouponTerms, proration_rate

    assert proration_rate(None, "prod_a") == 1
    assert proration_rate(CouponTerms(amount_off=500), "prod_a") == 1
    limited = CouponTerms(percent_off=Decimal("12.5"), products=frozenset({"prod_a"}))
    assert proration_rate(limited, "prod_a") == Fraction(7, 8)
    assert proration_rate(limited, "prod_b") == 1
