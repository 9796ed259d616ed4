"""Issue 14 (1, 7, 8) through the official SDK: a preview's amount due never negative, minimum
charge amounts carried to the customer's balance, three-decimal currencies charged in tens."""

import pytest
import stripe

from apps.customers.models import CustomerBalanceTransaction
from apps.invoices.invoice_document import invoice_document
from apps.invoices.models import Invoice
from tests.subscriptions.sdk_clock import advance, clock_customer, epoch, invoices_of, monthly


def _charges(customer) -> list[int]:
    return sorted(c.amount for c in stripe.Charge.list(customer=customer.id, limit=100).data)


def _ledger(customer) -> list[tuple[str, int, int]]:
    rows = CustomerBalanceTransaction.objects.filter(customer_id=customer.id).order_by("id")
    return [(row.type, row.amount, row.ending_balance) for row in rows]


@pytest.mark.parametrize(
    ("behavior", "total"),
    # Basic 2500 → Mini 200 on 2025-01-16 (16 of 31 days left): credit −1290, debit +103;
    # always_invoice bills the net at once, create_prorations adds it to February's 200.
    [("always_invoice", -1187), ("create_prorations", -987)],
)
def test_a_preview_of_a_credit_invoice_is_due_0_with_the_credit_on_the_balance(
    stripe_sdk, tasks_inline, behavior, total
):
    basic, mini = monthly(2500, "Basic"), monthly(200, "Mini")
    test_clock, customer = clock_customer(epoch(2025, 1, 1))
    subscription = stripe.Subscription.create(customer=customer.id, items=[{"price": basic}])
    advance(test_clock, 2025, 1, 16)
    change = {
        "items": [{"id": subscription["items"].data[0].id, "price": mini}],
        "proration_behavior": behavior,
        "proration_date": epoch(2025, 1, 16),
    }
    preview = stripe.Invoice.create_preview(
        subscription=subscription.id, subscription_details=change
    )
    assert (preview.total, preview.amount_due, preview.amount_remaining) == (total, 0, 0)
    shown = (total, 0, 0, preview.starting_balance, preview.ending_balance)
    assert shown == (total, 0, 0, 0, total)
    stripe.Subscription.modify(subscription.id, **change)
    if behavior == "create_prorations":
        advance(test_clock, 2025, 2, 1, 2)
    invoice = invoices_of(customer)[-1]
    assert (
        invoice.total,
        invoice.amount_due,
        invoice.amount_remaining,
        invoice.starting_balance,
        invoice.ending_balance,
    ) == shown
    assert invoice.status == "paid"
    assert stripe.Customer.retrieve(customer.id).balance == total
    assert _charges(customer) == [2500]


def test_an_invoice_under_the_minimum_charge_is_paid_and_carried_to_the_next(
    stripe_sdk, tasks_inline
):
    basic, plus = monthly(2500, "Basic"), monthly(2550, "Plus")
    test_clock, customer = clock_customer(epoch(2025, 1, 1))
    subscription = stripe.Subscription.create(customer=customer.id, items=[{"price": basic}])
    advance(test_clock, 2025, 1, 16)
    # Credit −1290, debit 2550 × 16/31 = +1316: 26 cents, under USD's 50.
    stripe.Subscription.modify(
        subscription.id,
        items=[{"id": subscription["items"].data[0].id, "price": plus}],
        proration_behavior="always_invoice",
        proration_date=epoch(2025, 1, 16),
    )
    small = invoices_of(customer)[-1]
    assert (small.total, small.amount_due, small.amount_paid, small.status) == (26, 0, 0, "paid")
    assert (small.starting_balance, small.ending_balance) == (0, 26)
    assert _charges(customer) == [2500]  # nothing charged for it
    assert stripe.Customer.retrieve(customer.id).balance == 26
    assert ("Under the minimum charge of $0.50", "-$0.26", False) in invoice_document(
        Invoice.objects.get(pk=small.id)
    ).totals

    advance(test_clock, 2025, 2, 1, 2)
    february = invoices_of(customer)[-1]
    assert (february.total, february.amount_due, february.amount_paid, february.status) == (
        2550,
        2576,
        2576,
        "paid",
    )
    assert (february.starting_balance, february.ending_balance) == (26, 0)
    assert _charges(customer) == [2500, 2576]
    assert _ledger(customer) == [("invoice_too_small", 26, 26), ("applied_to_invoice", -26, 0)]


def test_a_kwd_subscription_is_charged_in_tens_of_fils_and_loses_none(stripe_sdk, tasks_inline):
    price = stripe.Price.create(
        product_data={"name": "Souq"},
        currency="kwd",
        unit_amount=6215,
        recurring={"interval": "month"},
    ).id
    test_clock, customer = clock_customer(epoch(2025, 1, 1))
    preview = stripe.Invoice.create_preview(
        customer=customer.id, subscription_details={"items": [{"price": price}]}
    )
    assert (preview.total, preview.amount_due, preview.ending_balance) == (6215, 6220, -5)
    stripe.Subscription.create(customer=customer.id, items=[{"price": price}])
    first = invoices_of(customer)[-1]
    assert (first.total, first.amount_due, first.amount_paid, first.ending_balance) == (
        6215,
        6220,
        6220,
        -5,
    )
    assert (
        "Amount due rounded to a multiple of KWD 0.010",
        "KWD 0.005",
        False,
    ) in invoice_document(Invoice.objects.get(pk=first.id)).totals
    advance(test_clock, 2025, 2, 1, 2)
    second = invoices_of(customer)[-1]
    assert (second.total, second.amount_due, second.starting_balance, second.ending_balance) == (
        6215,
        6210,
        -5,
        0,
    )
    assert _charges(customer) == [6210, 6220]  # 12,430 fils: two months of 6,215 exactly
    assert _ledger(customer) == [("adjustment", -5, -5), ("applied_to_invoice", 5, 0)]
    assert stripe.Customer.retrieve(customer.id).balance == 0


@pytest.mark.parametrize(("currency", "minimum"), [("gbp", 30), ("eur", 50), ("jpy", 50)])
def test_charges_take_the_same_minimums(stripe_sdk, currency, minimum):
    charge = stripe.Charge.create(amount=minimum, currency=currency, source="tok_visa")
    assert (charge.amount, charge.status) == (minimum, "succeeded")
    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe.Charge.create(amount=minimum - 1, currency=currency, source="tok_visa")
    assert refused.value.code == "amount_too_small"
