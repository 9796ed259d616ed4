"""ACCEPTANCE P4 (dunning) through the official stripe SDK against the server, on test clocks:
a renewal declined by a card that attaches but declines every charge (charge_customer_fail) is
retried on the account's schedule (default 8 tries within 2 weeks) as the clock advances; the
subscription goes past_due, then per settings canceled, unpaid or stays past_due; the invoice
becomes uncollectible or stays open; a payment-method update pays the open invoice at once."""

from datetime import timedelta

import pytest
import stripe
from django.core import mail

from apps.collections.models import CollectionSettings, SentEmail
from apps.invoices.engine.periods import utc


def _epoch(moment) -> int:
    return int(moment.timestamp())


def _advance(test_clock, moment) -> None:
    stripe.test_helpers.TestClock.advance(test_clock.id, frozen_time=_epoch(moment))
    assert stripe.test_helpers.TestClock.retrieve(test_clock.id).status == "ready"


def _past_due_renewal():
    """A customer on a clock pays their first month; their card is replaced by one that
    declines; the renewal (Feb 1, finalized an hour later) fails."""
    price = stripe.Price.create(
        product_data={"name": "Pro"},
        currency="usd",
        unit_amount=2500,
        recurring={"interval": "month"},
    ).id
    test_clock = stripe.test_helpers.TestClock.create(frozen_time=_epoch(utc(2025, 1, 1)))
    customer = stripe.Customer.create(
        email="pat@example.com", source="tok_visa", test_clock=test_clock.id
    )
    subscription = stripe.Subscription.create(customer=customer.id, items=[{"price": price}])
    assert stripe.Invoice.retrieve(subscription.latest_invoice).status == "paid"
    stripe.Customer.modify(customer.id, source="tok_chargeCustomerFail")

    _advance(test_clock, utc(2025, 2, 1, 2))

    subscription = stripe.Subscription.retrieve(subscription.id)
    assert subscription.status == "past_due"
    invoice = stripe.Invoice.retrieve(subscription.latest_invoice)
    assert (invoice.status, invoice.attempt_count, invoice.attempted) == ("open", 1, True)
    assert invoice.next_payment_attempt is not None
    assert _epoch(utc(2025, 2, 1, 1)) < invoice.next_payment_attempt < _epoch(utc(2025, 2, 2))
    [failed] = stripe.Event.list(type="invoice.payment_failed").data
    assert failed.data.object.id == invoice.id
    assert failed.data.object.next_payment_attempt == invoice.next_payment_attempt
    return test_clock, customer, subscription, invoice


def _failures(invoice_id: str) -> list:
    events = stripe.Event.list(type="invoice.payment_failed", limit=100).data
    return sorted(
        (event.data.object for event in events if event.data.object.id == invoice_id),
        key=lambda data: data.attempt_count,
    )


@pytest.mark.parametrize(
    ("subscription_after", "invoice_after", "status", "invoice_status"),
    [
        ("cancel", "open", "canceled", "open"),
        ("unpaid", "uncollectible", "unpaid", "uncollectible"),
        ("past_due", "open", "past_due", "open"),
        ("cancel", "uncollectible", "canceled", "uncollectible"),
    ],
)
def test_p4_a_failed_renewal_is_retried_then_settled_per_settings(
    stripe_sdk, tasks_inline, acme, subscription_after, invoice_after, status, invoice_status
):
    CollectionSettings.objects.create(
        account=acme.account, subscription_after=subscription_after, invoice_after=invoice_after
    )
    test_clock, customer, subscription, invoice = _past_due_renewal()

    # A week in: part of the schedule has run, the subscription is still past due.
    _advance(test_clock, utc(2025, 2, 8))
    midway = stripe.Invoice.retrieve(invoice.id)
    assert 1 < midway.attempt_count < 8
    assert midway.next_payment_attempt > _epoch(utc(2025, 2, 8))
    assert stripe.Subscription.retrieve(subscription.id).status == "past_due"

    # The two weeks after the first attempt: 8 tries in all, then the settings decide.
    _advance(test_clock, utc(2025, 2, 15, 2))

    settled = stripe.Invoice.retrieve(invoice.id)
    assert (settled.status, settled.attempt_count, settled.next_payment_attempt) == (
        invoice_status,
        8,
        None,
    )
    failures = _failures(invoice.id)
    assert [data.attempt_count for data in failures] == list(range(1, 9))
    slots = [data.next_payment_attempt for data in failures]
    assert slots[-1] is None
    assert slots[:-1] == sorted(slots[:-1])
    assert slots[-2] <= _epoch(utc(2025, 2, 15, 1))
    charges = stripe.Charge.list(customer=customer.id, limit=100).data
    assert sorted(charge.status for charge in charges) == ["failed"] * 8 + ["succeeded"]
    ended = stripe.Subscription.retrieve(subscription.id)
    assert ended.status == status
    if status == "canceled":
        assert ended.cancellation_details.reason == "payment_failed"
        [deleted] = stripe.Event.list(type="customer.subscription.deleted").data
        assert deleted.data.object.id == subscription.id
    # The customer was emailed (apps.collections.emails): each failure, the last ones as a
    # final notice.
    kinds = list(
        SentEmail.objects.filter(customer_id=customer.id, object_id=invoice.id, error="")
        .order_by("sent_at", "id")
        .values_list("kind", flat=True)
    )
    assert "payment_failed" in kinds
    assert kinds[-1] == "final_notice"
    assert {email.to[0] for email in mail.outbox} == {"pat@example.com"}
    marked = stripe.Event.list(type="invoice.marked_uncollectible").data
    assert [event.data.object.id for event in marked] == (
        [invoice.id] if invoice_status == "uncollectible" else []
    )


def test_p4_a_payment_method_update_pays_the_open_invoice_at_once(stripe_sdk, tasks_inline):
    test_clock, customer, subscription, invoice = _past_due_renewal()
    _advance(test_clock, utc(2025, 2, 3))
    attempts = stripe.Invoice.retrieve(invoice.id).attempt_count
    assert attempts > 1

    stripe.Customer.modify(customer.id, source="tok_visa")

    paid = stripe.Invoice.retrieve(invoice.id)
    assert (paid.status, paid.attempt_count, paid.next_payment_attempt) == (
        "paid",
        attempts,
        None,
    )
    charges = stripe.Charge.list(customer=customer.id, limit=100).data
    assert sorted(charge.status for charge in charges) == ["failed"] * attempts + ["succeeded"] * 2
    recovered = stripe.Subscription.retrieve(subscription.id)
    assert recovered.status == "active"
    updated = [
        event
        for event in stripe.Event.list(type="customer.subscription.updated", limit=100).data
        if event.data.object.status == "active"
        and event.data.to_dict().get("previous_attributes", {}).get("status") == "past_due"
    ]
    assert len(updated) == 1
    # Nothing is retried after it was paid.
    _advance(test_clock, utc(2025, 2, 20))
    assert stripe.Invoice.retrieve(invoice.id).attempt_count == attempts
    assert len(stripe.Charge.list(customer=customer.id, limit=100).data) == 1 + attempts + 1


def test_p4_an_unpaid_first_invoice_expires_the_subscription_after_23_hours(
    stripe_sdk, tasks_inline
):
    price = stripe.Price.create(
        product_data={"name": "Pro"},
        currency="usd",
        unit_amount=2500,
        recurring={"interval": "month"},
    ).id
    start = utc(2025, 1, 1)
    test_clock = stripe.test_helpers.TestClock.create(frozen_time=_epoch(start))
    customer = stripe.Customer.create(source="tok_chargeCustomerFail", test_clock=test_clock.id)
    subscription = stripe.Subscription.create(customer=customer.id, items=[{"price": price}])
    assert subscription.status == "incomplete"

    _advance(test_clock, start + timedelta(hours=22))
    assert stripe.Subscription.retrieve(subscription.id).status == "incomplete"
    _advance(test_clock, start + timedelta(hours=24))

    expired = stripe.Subscription.retrieve(subscription.id)
    assert (expired.status, expired.ended_at) == (
        "incomplete_expired",
        _epoch(start + timedelta(hours=23)),
    )
    assert stripe.Invoice.retrieve(subscription.latest_invoice).status == "void"
