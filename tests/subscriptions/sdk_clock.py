"""Test-clock helpers for tests that drive the server through the official stripe SDK."""

import stripe

from apps.invoices.engine.periods import utc


def epoch(*args) -> int:
    return int(utc(*args).timestamp())


def monthly(amount: int, name: str) -> str:
    return stripe.Price.create(
        product_data={"name": name},
        currency="usd",
        unit_amount=amount,
        recurring={"interval": "month"},
    ).id


def clock_customer(frozen: int, *, card: bool = True):
    test_clock = stripe.test_helpers.TestClock.create(frozen_time=frozen)
    params = {"email": "alex@example.com", "test_clock": test_clock.id}
    if card:
        params["source"] = "tok_visa"
    return test_clock, stripe.Customer.create(**params)


def advance(test_clock, *args) -> None:
    stripe.test_helpers.TestClock.advance(test_clock.id, frozen_time=epoch(*args))
    assert stripe.test_helpers.TestClock.retrieve(test_clock.id).status == "ready"


def invoices_of(customer) -> list:
    return list(reversed(stripe.Invoice.list(customer=customer.id, limit=100).data))
