"""ACCEPTANCE P3 (saved cards keep working), driven by the official stripe SDK against the server,
with customers on a test clock.

The updater's test cards expire at the end of the current (real) month, and card numbers are
checked against the real date, so the clock starts on the first of the current month."""

from datetime import UTC, datetime

import stripe

from apps.invoices.engine.periods import utc


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def _this_month() -> tuple[int, int]:
    today = datetime.now(tz=UTC)
    return today.month, today.year


def _next_month(month: int, year: int) -> tuple[int, int]:
    return (1, year + 1) if month == 12 else (month + 1, year)


def _monthly_price() -> str:
    return stripe.Price.create(
        product_data={"name": "Pro"},
        currency="usd",
        unit_amount=2000,
        recurring={"interval": "month"},
    ).id


def _advance(test_clock, moment: datetime) -> None:
    stripe.test_helpers.TestClock.advance(test_clock.id, frozen_time=_epoch(moment))
    assert stripe.test_helpers.TestClock.retrieve(test_clock.id).status == "ready"


def _customer_with_card(test_clock, card: dict | str):
    """A customer on the clock whose invoice_settings.default_payment_method is ``card`` (a test
    PaymentMethod id, or card details)."""
    customer = stripe.Customer.create(email="pat@example.com", test_clock=test_clock.id)
    if isinstance(card, dict):
        card = stripe.PaymentMethod.create(type="card", card=card).id
    payment_method = stripe.PaymentMethod.attach(card, customer=customer.id)
    stripe.Customer.modify(
        customer.id, invoice_settings={"default_payment_method": payment_method.id}
    )
    return customer, payment_method


def _renewal(customer):
    """The customer's newest invoice, a renewal, and the charge that paid or tried to pay it."""
    invoice = stripe.Invoice.list(customer=customer.id, limit=1).data[0]
    assert invoice.billing_reason == "subscription_cycle"
    charge = stripe.Charge.list(customer=customer.id, limit=1).data[0]
    assert charge.description == f"Invoice {invoice.number}"
    return invoice, charge


def test_p3_a_reissued_card_gets_a_new_expiry_and_pays_the_next_renewal(stripe_sdk, tasks_inline):
    month, year = _this_month()
    renewal_month, renewal_year = _next_month(month, year)
    price = _monthly_price()
    test_clock = stripe.test_helpers.TestClock.create(frozen_time=_epoch(utc(year, month, 1, 12)))
    customer, card = _customer_with_card(test_clock, "pm_card_reissued")
    # The card control is an ordinary card expiring at the same time, never reissued.
    control, control_card = _customer_with_card(
        test_clock, {"number": "4242424242424242", "exp_month": month, "exp_year": year}
    )
    assert (card.card.last4, card.card.exp_month, card.card.exp_year) == ("8815", month, year)
    for payer in (customer, control):
        first = stripe.Subscription.create(customer=payer.id, items=[{"price": price}])
        assert first.status == "active"
        assert stripe.Invoice.retrieve(first.latest_invoice).status == "paid"

    # Past the renewal (at noon on the 1st) and its finalization an hour later.
    _advance(test_clock, utc(renewal_year, renewal_month, 2))

    updated = stripe.PaymentMethod.retrieve(card.id)
    assert (updated.card.exp_month, updated.card.exp_year) == (month, year + 3)
    assert (updated.card.last4, updated.card.fingerprint) == ("8815", card.card.fingerprint)
    [event] = stripe.Event.list(type="payment_method.automatically_updated").data
    assert event.data.object.id == card.id
    assert event.data.object.card.exp_year == year + 3
    assert event.data.previous_attributes.to_dict() == {
        "card": {"exp_month": month, "exp_year": year}
    }
    fetched = stripe.Event.retrieve(event.id)
    assert fetched.data.previous_attributes.to_dict() == {
        "card": {"exp_month": month, "exp_year": year}
    }

    renewal, charge = _renewal(customer)
    assert (renewal.status, renewal.amount_paid) == ("paid", 2000)
    assert (charge.status, charge.payment_method) == ("succeeded", card.id)
    assert charge.payment_method_details.card.exp_year == year + 3

    # The same expiry without a reissue: the renewal is declined as expired.
    failed, charge = _renewal(control)
    assert (failed.status, failed.amount_paid) == ("open", 0)
    assert charge.payment_method == control_card.id
    assert (charge.status, charge.failure_code) == ("failed", "expired_card")
    assert charge.outcome.reason == "expired_card"
    # Only the control card was still expiring when its month began.
    expiring = stripe.Event.list(type="customer.source.expiring").data
    assert [e.data.object.id for e in expiring] == [control_card.id]


def test_p3_a_reissued_legacy_card_emits_customer_source_updated(stripe_sdk, tasks_inline):
    month, year = _this_month()
    renewal_month, renewal_year = _next_month(month, year)
    price = _monthly_price()
    test_clock = stripe.test_helpers.TestClock.create(frozen_time=_epoch(utc(year, month, 1, 12)))
    customer = stripe.Customer.create(
        email="sam@example.com", test_clock=test_clock.id, source="tok_reissued"
    )
    card_id = customer.default_source
    stripe.Subscription.create(customer=customer.id, items=[{"price": price}])

    _advance(test_clock, utc(renewal_year, renewal_month, 2))

    card = stripe.Customer.retrieve_source(customer.id, card_id)
    assert (card.object, card.last4, card.exp_month, card.exp_year) == (
        "card",
        "8815",
        month,
        year + 3,
    )
    [event] = stripe.Event.list(type="customer.source.updated").data
    assert event.data.object.id == card_id
    assert event.data.previous_attributes.to_dict() == {"exp_month": month, "exp_year": year}
    assert stripe.Event.list(type="payment_method.automatically_updated").data == []
    renewal, charge = _renewal(customer)
    assert renewal.status == "paid"
    assert (charge.status, charge.payment_method) == ("succeeded", card_id)


def test_a_closed_card_fails_the_renewal_with_a_hard_decline(stripe_sdk, tasks_inline):
    from apps.collections.schedule import HARD_DECLINES
    from apps.customers.models import PaymentMethod

    month, year = _this_month()
    renewal_month, renewal_year = _next_month(month, year)
    price = _monthly_price()
    test_clock = stripe.test_helpers.TestClock.create(frozen_time=_epoch(utc(year, month, 1, 12)))
    customer, card = _customer_with_card(test_clock, "pm_card_closedByIssuer")
    first = stripe.Subscription.create(customer=customer.id, items=[{"price": price}])
    assert stripe.Invoice.retrieve(first.latest_invoice).status == "paid"

    # The first advance reaches the card's moment (its expiry month has begun): it is closed.
    _advance(test_clock, utc(year, month, 1, 13))
    row = PaymentMethod.objects.get(id=card.id)
    assert row.closed_at == utc(year, month, 1, 12)
    [event] = stripe.Event.list(type="payment_method.automatically_updated").data
    assert event.data.object.id == card.id
    assert "previous_attributes" not in event.data
    assert stripe.Event.list(type="customer.source.expiring").data == []

    _advance(test_clock, utc(renewal_year, renewal_month, 2))
    renewal, charge = _renewal(customer)
    assert renewal.status == "open"
    assert (charge.failure_code, charge.outcome.reason) == ("card_declined", "invalid_account")
    assert charge.outcome.reason in HARD_DECLINES
    # Closed once: no further updater event on later advances.
    assert len(stripe.Event.list(type="payment_method.automatically_updated").data) == 1
