"""``billing.prorations`` caps its lines by what each item was paid (``paid``, pure): a credit
never gives back more than was paid for the unused time, and going back to terms already paid
for in the period costs what they were paid (a change undone at one instant nets to 0)."""

import pytest

from tests.invoices.test_stages_contract import (
    BASIC,
    JANUARY,
    amounts,
    change,
    epoch,
    run,
    terms,
)

JAN16 = epoch(2025, 1, 16)
TWO = terms("basic", 5000, quantity=2)


def charge(price: str, quantity: int, amount: int, start: int = JANUARY["start"]) -> dict:
    return {
        "price": price,
        "quantity": quantity,
        "amount": amount,
        "period": {"start": start, "end": JANUARY["end"]},
    }


def paying(request: dict, *charges: dict) -> dict:
    (entry,) = request["items"]
    return {**request, "items": [{**entry, "paid": list(charges)}]}


# January's invoice: 2500 less a 50 % once coupon, spent by January.
JANUARY_PAID = charge("basic", 1, 1250)


@pytest.mark.parametrize("key", ["by_second", "minimum_threshold"])
def test_a_credit_is_no_more_than_what_the_period_was_paid(key):
    request = paying(change(BASIC, TWO), JANUARY_PAID)
    # 1250 × 16/31 = 645.16, not 2500 × 16/31 = 1290.32; the debit at the price in force.
    assert amounts(run("billing.prorations", key, request, {"minimum": 0})) == [-645, 2581]


def test_the_undo_credits_what_was_debited_and_debits_what_was_paid():
    forth = run("billing.prorations", "by_second", paying(change(BASIC, TWO), JANUARY_PAID))
    debited = charge("basic", 2, amounts(forth)[1], start=JAN16)
    back = run("billing.prorations", "by_second", paying(change(TWO, BASIC), JANUARY_PAID, debited))
    assert amounts(back) == [-2581, 645]
    assert sum(amounts(forth)) + sum(amounts(back)) == 0


def test_later_the_latest_charge_on_the_terms_is_prorated_from_its_start():
    # Debited 2581 from Jan 16 for two seats; on Jan 24 (8 of its 16 days left) that is
    # 2581 × 8/16 = 1290.5 → 1291, more than 5000 × 8/31 = 1290.32 → 1290: the credit is 1290.
    # One seat again costs what January paid for it: 1250 × 8/31 = 322.58 → 323, not 1290.
    debited = charge("basic", 2, 2581, start=JAN16)
    request = paying(change(TWO, BASIC, at=epoch(2025, 1, 24)), JANUARY_PAID, debited)
    assert amounts(run("billing.prorations", "by_second", request)) == [-1290, 323]


def test_what_was_paid_never_raises_a_line_and_other_terms_cap_nothing():
    # Paid in full, now under 50 % off: the lines at the discount in force stay as they are.
    half = terms("basic", 2500, rate=(1, 2))
    request = paying(
        change(half, terms("basic", 5000, quantity=2, rate=(1, 2))), charge("basic", 1, 2500)
    )
    assert amounts(run("billing.prorations", "by_second", request)) == [-645, 1290]
    # A charge on another price or quantity, or from after the change, caps nothing.
    others = (charge("pro", 1, 0), charge("basic", 3, 0), charge("basic", 1, 0, start=JAN16 + 1))
    request = paying(change(BASIC, TWO), *others)
    assert amounts(run("billing.prorations", "by_second", request)) == [-1290, 2581]


def test_a_fully_discounted_period_credits_nothing():
    request = paying(change(BASIC, TWO), charge("basic", 1, 0))
    assert amounts(run("billing.prorations", "by_second", request)) == [0, 2581]


def test_custom_interval_prorates_what_was_paid_in_its_units():
    # 2025-01-16T12:00: 15.5 days left rounds to 16 of 31; 1250 × 16/31 = 645.16 → 645.
    request = paying(change(BASIC, TWO, at=epoch(2025, 1, 16, 12)), JANUARY_PAID)
    result = run("billing.prorations", "custom_interval", request, {"unit": "day"})
    assert amounts(result) == [-645, 2581]
