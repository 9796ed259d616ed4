"""Issue #14: the preview of an item change equals what the change then bills, line by line.

Driven by the official stripe SDK against the server, customers on test clocks: a preview with
``subscription_details[items]`` and ``[proration_date]``, then ``Subscription.modify`` with the
same items and date. Figures: January 2025 (31 days, T = 2,678,400 s), reference §1.2/§1.3."""

import pytest
import stripe

from tests.subscriptions.sdk_clock import advance, clock_customer, epoch, invoices_of, monthly


def _shape(lines) -> list[tuple[int, bool, int, int]]:
    """(amount, proration, period start, period end) of each line, sorted: an invoice lists its
    lines newest first, a preview in the order it plans them."""
    return sorted(
        (line.amount, line.proration, line.period.start, line.period.end) for line in lines
    )


def _lines(invoice_id: str) -> list[tuple[int, bool, int, int]]:
    return _shape(stripe.Invoice.list_lines(invoice_id).data)


def _preview_lines(preview) -> list[tuple[int, bool, int, int]]:
    return _shape(preview.lines.data)


def _pending(customer) -> list[int]:
    return sorted(
        item.amount
        for item in stripe.InvoiceItem.list(customer=customer.id).data
        if not item.invoice
    )


@pytest.mark.parametrize("behavior", ["create_prorations", "always_invoice"])
def test_an_added_item_is_prorated_from_proration_date_as_previewed(
    stripe_sdk, tasks_inline, behavior
):
    basic, pro = monthly(2500, "Basic"), monthly(2700, "Pro")
    test_clock, customer = clock_customer(epoch(2025, 1, 1))
    subscription = stripe.Subscription.create(customer=customer.id, items=[{"price": basic}])
    advance(test_clock, 2025, 1, 16)
    jan16, feb1, mar1 = epoch(2025, 1, 16), epoch(2025, 2, 1), epoch(2025, 3, 1)
    items = [{"price": pro}]
    preview = stripe.Invoice.create_preview(
        subscription=subscription.id,
        subscription_details={
            "items": items,
            "proration_behavior": behavior,
            "proration_date": jan16,
        },
    )
    # Pro's 16 of 31 days: 2700 × 16/31 = 1393.55 → 1394.
    debit = (1394, True, jan16, feb1)
    # The customer confirms four days later; the change keeps the date they accepted (not the
    # clock's 12 of 31 days: 1045).
    advance(test_clock, 2025, 1, 20)
    stripe.Subscription.modify(
        subscription.id, items=items, proration_behavior=behavior, proration_date=jan16
    )
    if behavior == "create_prorations":
        assert _preview_lines(preview) == [
            debit,
            (2500, False, feb1, mar1),
            (2700, False, feb1, mar1),
        ]
        assert _pending(customer) == [1394]
        advance(test_clock, 2025, 2, 1, 2)
        february = invoices_of(customer)[-1]
        assert _lines(february.id) == _preview_lines(preview)
        assert february.total == preview.amount_due == 6594
    else:
        assert _preview_lines(preview) == [debit]
        invoice = invoices_of(customer)[-1]
        assert (invoice.billing_reason, invoice.total, invoice.status) == (
            "subscription_update",
            1394,
            "paid",
        )
        assert _lines(invoice.id) == [debit]
        assert preview.amount_due == invoice.amount_due == 1394


@pytest.mark.parametrize("behavior", ["create_prorations", "always_invoice"])
def test_a_deleted_item_is_removed_credited_and_not_billed_again(
    stripe_sdk, tasks_inline, behavior
):
    basic, pro = monthly(2500, "Basic"), monthly(2700, "Pro")
    test_clock, customer = clock_customer(epoch(2025, 1, 1))
    subscription = stripe.Subscription.create(
        customer=customer.id, items=[{"price": basic}, {"price": pro}]
    )
    assert invoices_of(customer)[0].total == 5200
    pro_item = next(item.id for item in subscription["items"].data if item.price.id == pro)
    advance(test_clock, 2025, 1, 16)
    jan16, feb1, mar1 = epoch(2025, 1, 16), epoch(2025, 2, 1), epoch(2025, 3, 1)
    items = [{"id": pro_item, "deleted": True}]
    preview = stripe.Invoice.create_preview(
        subscription=subscription.id,
        subscription_details={
            "items": items,
            "proration_behavior": behavior,
            "proration_date": jan16,
        },
    )
    updated = stripe.Subscription.modify(
        subscription.id, items=items, proration_behavior=behavior, proration_date=jan16
    )
    assert [item.price.id for item in updated["items"].data] == [basic]
    # Pro's unused 16 of 31 days are credited (−1394); no debit, no Pro line for February.
    credit = (-1394, True, jan16, feb1)
    if behavior == "create_prorations":
        assert _preview_lines(preview) == [credit, (2500, False, feb1, mar1)]
        assert preview.amount_due == 1106
        assert _pending(customer) == [-1394]
    else:
        assert _preview_lines(preview) == [credit]
        assert _lines(invoices_of(customer)[-1].id) == [credit]
        assert _pending(customer) == []
    advance(test_clock, 2025, 2, 1, 2)
    february = invoices_of(customer)[-1]
    assert february.billing_reason == "subscription_cycle"
    expected = (
        [credit, (2500, False, feb1, mar1)]
        if behavior == "create_prorations"
        else [(2500, False, feb1, mar1)]
    )
    assert _lines(february.id) == sorted(expected)
    assert february.total == (1106 if behavior == "create_prorations" else 2500)
    if behavior == "create_prorations":
        assert february.total == preview.amount_due


def test_deleting_a_metered_item_takes_clear_usage_and_prorates_nothing(stripe_sdk, tasks_inline):
    basic = monthly(2500, "Basic")
    calls = stripe.Price.create(
        product_data={"name": "Calls"},
        currency="usd",
        unit_amount=2,
        recurring={"interval": "month", "usage_type": "metered"},
    ).id
    test_clock, customer = clock_customer(epoch(2025, 1, 1))
    subscription = stripe.Subscription.create(
        customer=customer.id, items=[{"price": basic}, {"price": calls}]
    )
    items = {item.price.id: item.id for item in subscription["items"].data}
    advance(test_clock, 2025, 1, 16)
    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe.Subscription.modify(
            subscription.id, items=[{"id": items[basic], "deleted": True, "clear_usage": True}]
        )
    assert refused.value.param == "items[0][clear_usage]"
    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe.Subscription.modify(
            subscription.id, items=[{"id": items[calls], "clear_usage": True}]
        )
    assert refused.value.param == "items[0][clear_usage]"
    updated = stripe.Subscription.modify(
        subscription.id, items=[{"id": items[calls], "deleted": True, "clear_usage": True}]
    )
    assert [item.price.id for item in updated["items"].data] == [basic]
    assert _pending(customer) == []


def test_the_last_item_cannot_be_deleted(stripe_sdk, tasks_inline):
    basic = monthly(2500, "Basic")
    _, customer = clock_customer(epoch(2025, 1, 1))
    subscription = stripe.Subscription.create(customer=customer.id, items=[{"price": basic}])
    item = subscription["items"].data[0].id
    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe.Subscription.modify(subscription.id, items=[{"id": item, "deleted": True}])
    assert refused.value.param == "items"
    assert [i.id for i in stripe.Subscription.retrieve(subscription.id)["items"].data] == [item]


def test_an_unchanged_item_prorates_nothing(stripe_sdk, tasks_inline):
    basic = monthly(2500, "Basic")
    test_clock, customer = clock_customer(epoch(2025, 1, 1))
    subscription = stripe.Subscription.create(
        customer=customer.id, items=[{"price": basic, "quantity": 2}]
    )
    item = subscription["items"].data[0].id
    advance(test_clock, 2025, 1, 16)
    items = [{"id": item, "price": basic, "quantity": 2}]
    preview = stripe.Invoice.create_preview(
        subscription=subscription.id,
        subscription_details={"items": items, "proration_date": epoch(2025, 1, 16)},
    )
    # Only February's 2 × 2500: no −2581/+2581 pair.
    assert _preview_lines(preview) == [(5000, False, epoch(2025, 2, 1), epoch(2025, 3, 1))]
    stripe.Subscription.modify(
        subscription.id,
        items=items,
        proration_behavior="always_invoice",
        proration_date=epoch(2025, 1, 16),
    )
    assert _pending(customer) == []
    assert [i.total for i in invoices_of(customer)] == [5000]


def test_prorations_bake_in_a_percent_off_discount_and_are_not_discounted_again(
    stripe_sdk, tasks_inline
):
    basic = monthly(2500, "Basic")
    coupon = stripe.Coupon.create(percent_off=15, duration="forever")
    test_clock, customer = clock_customer(epoch(2025, 1, 1))
    subscription = stripe.Subscription.create(
        customer=customer.id, items=[{"price": basic}], discounts=[{"coupon": coupon.id}]
    )
    assert invoices_of(customer)[0].total == 2125
    item = subscription["items"].data[0].id
    # 2 d 18 h 56 min before the period ends: f = 240,960 / 2,678,400. Undiscounted the lines
    # would be −225 (2500 × f = 224.91) and +2699 (12 × 2500 × f = 2698.92); with 15 % off they
    # are −191 (191.17) and +2294 (2294.09), each rounded once.
    at = epoch(2025, 1, 29, 5, 4)
    advance(test_clock, 2025, 1, 29, 5, 4)
    items = [{"id": item, "quantity": 12}]
    details = {"items": items, "proration_behavior": "always_invoice", "proration_date": at}
    preview = stripe.Invoice.create_preview(
        subscription=subscription.id, subscription_details=details
    )
    feb1 = epoch(2025, 2, 1)
    assert _preview_lines(preview) == [(-191, True, at, feb1), (2294, True, at, feb1)]
    assert (preview.total, preview.total_discount_amounts) == (2103, [])
    stripe.Subscription.modify(
        subscription.id, items=items, proration_behavior="always_invoice", proration_date=at
    )
    invoice = invoices_of(customer)[-1]
    assert _lines(invoice.id) == _preview_lines(preview)
    assert (invoice.subtotal, invoice.total, invoice.total_discount_amounts) == (2103, 2103, [])
    advance(test_clock, 2025, 2, 1, 2)
    february = invoices_of(customer)[-1]
    # The renewal's regular line keeps its discount: 12 × 2500 − 15 % = 25500.
    assert (february.subtotal, february.total) == (30000, 25500)
