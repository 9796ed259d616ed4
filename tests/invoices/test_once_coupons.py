"""Issue 14 (4) through the official SDK: a ``once`` coupon is spent by the first period, invoiced
or not, discounted or not; ``repeating`` counts periods. A subscription with a positive charge is
invoiced every period whose total is positive."""

import stripe

from tests.subscriptions.sdk_clock import advance, clock_customer, epoch, invoices_of, monthly


def _billed(customer) -> list[tuple[int, int, int]]:
    return [(i.period_start, i.total, i.amount_paid) for i in invoices_of(customer)]


def test_a_free_first_month_is_not_invoiced_and_the_next_months_are(stripe_sdk, tasks_inline):
    stripe.Coupon.create(id="FIRSTFREE", percent_off=100, duration="once")
    basic = monthly(2500, "Basic")
    test_clock, customer = clock_customer(epoch(2025, 1, 1))
    stripe.Subscription.create(
        customer=customer.id, items=[{"price": basic}], discounts=[{"coupon": "FIRSTFREE"}]
    )
    assert invoices_of(customer) == []  # a zero total is not created (ACCEPTANCE B2)
    advance(test_clock, 2025, 2, 1, 2)
    advance(test_clock, 2025, 3, 1, 2)
    assert _billed(customer) == [
        (epoch(2025, 2, 1), 2500, 2500),
        (epoch(2025, 3, 1), 2500, 2500),
    ]
    assert all(not i.total_discount_amounts for i in invoices_of(customer))


def test_a_first_discount_that_rounds_to_0_is_not_given_again(stripe_sdk, tasks_inline):
    stripe.Coupon.create(id="ONEPERCENT", percent_off=1, duration="once")
    seat = monthly(40, "Seat")
    test_clock, customer = clock_customer(epoch(2025, 1, 1))
    subscription = stripe.Subscription.create(
        customer=customer.id, items=[{"price": seat}], discounts=[{"coupon": "ONEPERCENT"}]
    )
    # 1% of 40 rounds to 0; 40 cents is under USD's minimum charge, so it waits on the balance.
    january = invoices_of(customer)[0]
    assert (january.total, january.total_discount_amounts, january.amount_due) == (40, [], 0)
    advance(test_clock, 2025, 1, 15)
    stripe.Subscription.modify(
        subscription.id,
        items=[{"id": subscription["items"].data[0].id, "quantity": 29350}],
        proration_behavior="none",
    )
    advance(test_clock, 2025, 2, 1, 2)
    february = invoices_of(customer)[-1]
    # 29,350 seats × 40 = 1,174,000, without the −11,740 the coupon would have taken again.
    assert (february.subtotal, february.total, february.total_discount_amounts) == (
        1174000,
        1174000,
        [],
    )
    assert (february.amount_due, february.amount_paid) == (1174040, 1174040)


def test_a_repeating_coupon_counts_periods_not_invoices(stripe_sdk, tasks_inline):
    stripe.Coupon.create(id="TWOFREE", percent_off=100, duration="repeating", duration_in_months=2)
    basic = monthly(2500, "Basic")
    test_clock, customer = clock_customer(epoch(2025, 1, 1))
    stripe.Subscription.create(
        customer=customer.id, items=[{"price": basic}], discounts=[{"coupon": "TWOFREE"}]
    )
    advance(test_clock, 2025, 2, 1, 2)
    advance(test_clock, 2025, 3, 1, 2)
    advance(test_clock, 2025, 4, 1, 2)
    # January and February are free (no invoice); March and April are billed in full.
    assert _billed(customer) == [
        (epoch(2025, 3, 1), 2500, 2500),
        (epoch(2025, 4, 1), 2500, 2500),
    ]


def test_a_trial_is_the_first_period_and_spends_a_once_coupon(stripe_sdk, tasks_inline):
    stripe.Coupon.create(id="HALFOFF", percent_off=50, duration="once")
    basic = monthly(2500, "Basic")
    test_clock, customer = clock_customer(epoch(2025, 1, 1))
    stripe.Subscription.create(
        customer=customer.id,
        items=[{"price": basic}],
        trial_period_days=14,
        discounts=[{"coupon": "HALFOFF"}],
    )
    advance(test_clock, 2025, 1, 15, 2)
    # As Stripe's $0 trial invoice uses it up, the trial spends the coupon.
    assert _billed(customer) == [(epoch(2025, 1, 15), 2500, 2500)]
