"""Cancelling at once with ``prorate`` and ``invoice_now``, through the official stripe SDK.

$25.00 a month from 2025-01-01 (a customer on a test clock, card on file), cancelled on
2025-01-16: the unused 16 of January's 31 days are 2500 × 16/31 = 1290.32 → −1290."""

import pytest
import stripe

from apps.customers.models import CustomerBalanceTransaction
from apps.invoices.models import Invoice, InvoiceItem
from apps.subscriptions.models import Subscription
from tests.subscriptions.sdk_clock import advance, clock_customer, epoch, invoices_of, monthly

CREDIT = -1290


def _subscribed_until_jan16(card: bool = True):
    price = monthly(2500, "Basic")
    test_clock, customer = clock_customer(epoch(2025, 1, 1), card=card)
    subscription = stripe.Subscription.create(customer=customer.id, items=[{"price": price}])
    assert invoices_of(customer)[0].total == 2500
    advance(test_clock, 2025, 1, 16)
    return test_clock, customer, subscription


def _pending(customer) -> list[tuple[int, bool, int, int]]:
    return [
        (item.amount, item.proration, item.period.start, item.period.end)
        for item in stripe.InvoiceItem.list(customer=customer.id).data
        if not item.invoice
    ]


def _event_types(since: int) -> list[str]:
    return [event.type for event in reversed(stripe.Event.list(limit=100).data)][since:]


def test_prorate_credits_the_unused_time_as_a_pending_item(stripe_sdk, tasks_inline):
    _, customer, subscription = _subscribed_until_jan16()
    first = subscription.latest_invoice
    before = len(stripe.Event.list(limit=100).data)
    canceled = stripe.Subscription.cancel(subscription.id, prorate=True)
    assert canceled.status == "canceled"
    assert canceled.latest_invoice == first
    jan16, feb1 = epoch(2025, 1, 16), epoch(2025, 2, 1)
    assert _pending(customer) == [(CREDIT, True, jan16, feb1)]
    (item,) = stripe.InvoiceItem.list(customer=customer.id).data
    assert item.subscription == subscription.id
    assert _event_types(before) == ["invoiceitem.created", "customer.subscription.deleted"]
    # The customer's next invoice of the subscription takes the credit.
    invoice = stripe.Invoice.create(
        customer=customer.id,
        subscription=subscription.id,
        pending_invoice_items_behavior="include",
    )
    assert (invoice.total, [line.amount for line in invoice.lines.data]) == (CREDIT, [CREDIT])
    assert _pending(customer) == []


def test_prorate_and_invoice_now_make_a_final_invoice_and_credit_the_balance(
    stripe_sdk, tasks_inline
):
    _, customer, subscription = _subscribed_until_jan16()
    before = len(stripe.Event.list(limit=100).data)
    canceled = stripe.Subscription.cancel(subscription.id, prorate=True, invoice_now=True)
    assert canceled.status == "canceled"
    final = stripe.Invoice.retrieve(canceled.latest_invoice)
    assert final.id != subscription.latest_invoice
    assert (final.billing_reason, final.status, final.subscription) == (
        "subscription_cycle",
        "paid",
        subscription.id,
    )
    assert (final.subtotal, final.total, final.amount_due, final.amount_paid) == (
        CREDIT,
        CREDIT,
        0,
        0,
    )
    assert (final.starting_balance, final.ending_balance) == (0, CREDIT)
    lines = stripe.Invoice.list_lines(final.id).data
    assert [(line.amount, line.proration) for line in lines] == [(CREDIT, True)]
    assert _pending(customer) == []
    assert stripe.Customer.retrieve(customer.id).balance == CREDIT
    events = _event_types(before)
    assert events[0] == "invoiceitem.created"
    assert events[-1] == "customer.subscription.deleted"
    assert {"invoice.created", "invoice.finalized", "invoice.paid"} <= set(events)
    assert events.index("invoice.created") < events.index("invoice.finalized")


def test_invoice_now_bills_pending_charges_and_collects_them(stripe_sdk, tasks_inline):
    _, customer, subscription = _subscribed_until_jan16()
    stripe.InvoiceItem.create(
        customer=customer.id, subscription=subscription.id, amount=2000, currency="usd"
    )
    canceled = stripe.Subscription.cancel(subscription.id, prorate="true", invoice_now="true")
    final = stripe.Invoice.retrieve(canceled.latest_invoice)
    # 2000 − 1290 = 710, charged to the card.
    assert (final.total, final.amount_paid, final.status) == (710, 710, "paid")
    assert stripe.Customer.retrieve(customer.id).balance == 0


def test_neither_drops_pending_prorations_as_before(stripe_sdk, tasks_inline):
    _, customer, subscription = _subscribed_until_jan16()
    (item,) = subscription["items"].data
    stripe.Subscription.modify(subscription.id, items=[{"id": item.id, "quantity": 2}])
    # One seat's unused 16 days credited, two seats' debited: 5000 × 16/31 = 2580.6 → 2581.
    assert sorted(amount for amount, *_ in _pending(customer)) == [CREDIT, 2581]
    invoices = len(invoices_of(customer))
    canceled = stripe.Subscription.cancel(subscription.id)
    assert canceled.status == "canceled"
    assert _pending(customer) == []
    assert len(invoices_of(customer)) == invoices
    assert stripe.Customer.retrieve(customer.id).balance == 0


@pytest.mark.parametrize("param", ["prorate", "invoice_now"])
@pytest.mark.parametrize("value", ["yes", "1", "maybe"])
def test_a_value_not_a_boolean_is_refused_and_nothing_changes(
    stripe_sdk, tasks_inline, param, value
):
    _, customer, subscription = _subscribed_until_jan16()
    counts = (Invoice.objects.count(), InvoiceItem.objects.count())
    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe.Subscription.cancel(subscription.id, **{param: value})
    assert refused.value.http_status == 400
    assert refused.value.param == param
    assert refused.value.user_message == f"Invalid boolean: {value}"
    assert Subscription.objects.get(id=subscription.id).status == "active"
    assert (Invoice.objects.count(), InvoiceItem.objects.count()) == counts
    assert not CustomerBalanceTransaction.objects.filter(customer_id=customer.id).exists()


def test_a_failing_final_invoice_leaves_nothing_written(stripe_sdk, tasks_inline, monkeypatch):
    _, customer, subscription = _subscribed_until_jan16()
    counts = (Invoice.objects.count(), InvoiceItem.objects.count())

    def fails(**kwargs):
        raise RuntimeError("finalizing failed")

    monkeypatch.setattr("apps.subscriptions.services.cancel.invoices_finalize", fails)
    with pytest.raises(stripe.APIError):
        stripe.Subscription.cancel(subscription.id, prorate=True, invoice_now=True)
    assert Subscription.objects.get(id=subscription.id).status == "active"
    assert (Invoice.objects.count(), InvoiceItem.objects.count()) == counts
