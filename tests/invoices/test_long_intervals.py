"""Issue 14 (9): recurring intervals up to three years in total, as Stripe allows (36 months,
156 weeks, 3 years, 1095 days), billed on the anchor's grid with month-end clamping."""

import pytest
import stripe

from apps.invoices.engine.periods import boundary, period_containing, utc
from tests.subscriptions.sdk_clock import advance, clock_customer, epoch, invoices_of


@pytest.mark.parametrize(
    ("interval", "longest"), [("day", 1095), ("week", 156), ("month", 36), ("year", 3)]
)
def test_three_years_is_the_longest_interval(stripe_sdk, interval, longest):
    def price(count: int):
        return stripe.Price.create(
            product_data={"name": "Long"},
            currency="usd",
            unit_amount=9000,
            recurring={"interval": interval, "interval_count": count},
        )

    assert price(longest).recurring.interval_count == longest
    with pytest.raises(stripe.InvalidRequestError) as refused:
        price(longest + 1)
    assert refused.value.param == "recurring[interval_count]"
    assert stripe.Price.list(limit=10).data[0].recurring.interval_count == longest


def test_a_three_year_subscription_from_a_leap_day_renews_on_the_clamped_anchor(
    stripe_sdk, tasks_inline
):
    price = stripe.Price.create(
        product_data={"name": "Triennial"},
        currency="usd",
        unit_amount=90000,
        recurring={"interval": "year", "interval_count": 3},
    )
    test_clock, customer = clock_customer(epoch(2024, 2, 29))
    subscription = stripe.Subscription.create(customer=customer.id, items=[{"price": price.id}])
    assert (subscription.current_period_start, subscription.current_period_end) == (
        epoch(2024, 2, 29),
        epoch(2027, 2, 28),
    )
    advance(test_clock, 2027, 2, 28, 2)
    invoices = invoices_of(customer)
    assert [(i.total, i.amount_paid, i.status) for i in invoices] == [
        (90000, 90000, "paid"),
        (90000, 90000, "paid"),
    ]
    lines = stripe.Invoice.list_lines(invoices[-1].id).data
    assert [(line.period.start, line.period.end) for line in lines] == [
        (epoch(2027, 2, 28), epoch(2030, 2, 28))
    ]


def test_periods_of_the_longest_intervals_clamp_to_the_month_end():
    anchor = utc(2024, 1, 31)
    assert [boundary(anchor, "month", 36, n) for n in (1, 2, -1)] == [
        utc(2027, 1, 31),
        utc(2030, 1, 31),
        utc(2021, 1, 31),
    ]
    leap = utc(2024, 2, 29)
    assert [boundary(leap, "year", 3, n) for n in (1, 2, 4)] == [
        utc(2027, 2, 28),
        utc(2030, 2, 28),
        utc(2036, 2, 29),  # the anchor day comes back in a leap year
    ]
    assert period_containing(leap, "month", 36, utc(2029, 6, 1)) == (
        utc(2027, 2, 28),
        utc(2030, 2, 28),
    )
    assert period_containing(anchor, "week", 156, utc(2027, 1, 26)) == (
        utc(2024, 1, 31),
        utc(2027, 1, 27),
    )
    assert period_containing(anchor, "day", 1095, utc(2027, 1, 30)) == (
        utc(2027, 1, 30),
        utc(2030, 1, 29),
    )
