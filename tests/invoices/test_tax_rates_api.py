"""Tax rates through the official stripe SDK: the tax rate object, and its taxes on
subscriptions' invoices, previews and one-off invoices (per line, after discounts)."""

import pytest
import stripe

from apps.core.models import Event
from apps.invoices.invoice_document import invoice_document
from apps.invoices.models import Invoice
from tests.subscriptions.sdk_clock import advance, clock_customer, epoch, invoices_of, monthly

TAX_RATE_KEYS = {
    "id",
    "object",
    "active",
    "country",
    "created",
    "description",
    "display_name",
    "effective_percentage",
    "flat_amount",
    "inclusive",
    "jurisdiction",
    "jurisdiction_level",
    "livemode",
    "metadata",
    "percentage",
    "rate_type",
    "state",
    "tax_type",
}


def _vat():
    return stripe.TaxRate.create(
        display_name="VAT", percentage=20, inclusive=False, country="GB", tax_type="vat"
    )


def _de_vat():
    return stripe.TaxRate.create(
        display_name="MwSt.", percentage=19, inclusive=True, country="DE", jurisdiction="DE"
    )


def _taxes(invoice) -> dict:
    return {
        entry.tax_rate: (entry.amount, entry.inclusive, entry.taxable_amount)
        for entry in invoice.total_tax_amounts
    }


def _figures(invoice) -> tuple:
    """The totals of an invoice object (the SDK's, or a decoded JSON one)."""
    return tuple(
        invoice[key]
        for key in ("subtotal", "subtotal_excluding_tax", "tax", "total_excluding_tax", "total")
    )


def test_a_tax_rate_is_created_retrieved_updated_and_listed(stripe_sdk):
    rate = stripe.TaxRate.create(
        display_name="Sales tax",
        description="New York",
        percentage="8.875",
        inclusive=False,
        country="US",
        state="NY",
        jurisdiction="US - NY",
        metadata={"region": "east"},
    )
    assert set(rate.to_dict()) == TAX_RATE_KEYS
    assert rate.id.startswith("txr_")
    assert (rate.object, rate.percentage, rate.inclusive, rate.active) == (
        "tax_rate",
        8.875,
        False,
        True,
    )
    assert (rate.country, rate.state, rate.jurisdiction, rate.tax_type) == (
        "US",
        "NY",
        "US - NY",
        None,
    )
    assert stripe.TaxRate.retrieve(rate.id).display_name == "Sales tax"
    changed = stripe.TaxRate.modify(rate.id, display_name="NY sales tax", active=False)
    assert (changed.display_name, changed.active, changed.percentage) == (
        "NY sales tax",
        False,
        8.875,
    )
    vat = _vat()
    assert vat.percentage == 20
    assert [r.id for r in stripe.TaxRate.list().data] == [vat.id, rate.id]
    assert [r.id for r in stripe.TaxRate.list(active=True).data] == [vat.id]
    types = list(
        Event.objects.filter(type__startswith="tax_rate.")
        .order_by("id")
        .values_list("type", flat=True)
    )
    assert types == ["tax_rate.created", "tax_rate.updated", "tax_rate.created"]


@pytest.mark.parametrize(
    ("params", "param", "message"),
    [
        ({"percentage": 21}, "percentage", "percentage cannot change"),
        ({"inclusive": True}, "inclusive", "inclusive cannot change"),
    ],
)
def test_percentage_and_inclusive_are_fixed(stripe_sdk, params, param, message):
    vat = _vat()
    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe.TaxRate.modify(vat.id, **params)
    assert refused.value.param == param
    assert message in refused.value.user_message
    assert stripe.TaxRate.retrieve(vat.id).percentage == 20


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"display_name": "VAT", "percentage": 101, "inclusive": False}, "percentage"),
        ({"display_name": "VAT", "percentage": "1.23456", "inclusive": False}, "percentage"),
        ({"display_name": "VAT", "percentage": 20}, "inclusive"),
        ({"display_name": "VAT", "percentage": 20, "inclusive": False, "country": "gb"}, "country"),
    ],
)
def test_a_bad_tax_rate_is_refused_and_nothing_is_made(stripe_sdk, params, param):
    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe.TaxRate.create(**params)
    assert refused.value.param == param
    assert stripe.TaxRate.list().data == []


def test_trailing_zeros_are_not_decimals(stripe_sdk):
    rate = stripe.TaxRate.create(display_name="GST", percentage="7.500000", inclusive=True)
    assert (rate.percentage, rate.effective_percentage) == (7.5, 7.5)


def test_an_unknown_tax_rate_is_missing(stripe_sdk):
    with pytest.raises(stripe.InvalidRequestError) as missing:
        stripe.TaxRate.retrieve("txr_nope")
    assert (missing.value.http_status, missing.value.code) == (404, "resource_missing")


def test_subscription_taxes_per_line_and_the_preview_equals_the_invoice(stripe_sdk, tasks_inline):
    vat, de_vat = _vat(), _de_vat()
    basic, addon = monthly(2500, "Basic"), monthly(1190, "Add-on")
    test_clock, customer = clock_customer(epoch(2025, 1, 1))
    subscription = stripe.Subscription.create(
        customer=customer.id,
        items=[{"price": basic}, {"price": addon, "tax_rates": [de_vat.id]}],
        default_tax_rates=[vat.id],
    )
    assert [r.id for r in subscription.default_tax_rates] == [vat.id]
    items = {
        item.price.id if hasattr(item.price, "id") else item.price: item
        for item in subscription["items"].data
    }
    assert [r.id for r in items[addon].tax_rates] == [de_vat.id]
    assert items[basic].tax_rates == []

    # Basic: 2500 + 20 % VAT (500). Add-on: 1190 holds 19 % MwSt. (190).
    first = invoices_of(customer)[0]
    assert _figures(first) == (3690, 3500, 690, 3500, 4190)
    assert _taxes(first) == {vat.id: (500, False, 2500), de_vat.id: (190, True, 1000)}
    assert (first.amount_due, first.status) == (4190, "paid")
    assert [r.id for r in first.default_tax_rates] == [vat.id]
    lines = {line.amount: line for line in stripe.Invoice.list_lines(first.id).data}
    assert [(t.tax_rate, t.amount) for t in lines[2500].tax_amounts] == [(vat.id, 500)]
    assert [(t.tax_rate, t.amount) for t in lines[1190].tax_amounts] == [(de_vat.id, 190)]
    assert [r.id for r in lines[1190].tax_rates] == [de_vat.id]

    # 10 % off from February: the taxes are on what is paid. Basic 2250 → 450 VAT; the
    # add-on 1071 holds 1071 × 19 / 119 = 171.
    coupon = stripe.Coupon.create(percent_off=10, duration="forever")
    stripe.Subscription.modify(subscription.id, coupon=coupon.id)
    advance(test_clock, 2025, 1, 15)
    preview = stripe.Invoice.create_preview(subscription=subscription.id)
    assert _figures(preview) == (3690, 3500, 621, 3150, 3771)
    assert _taxes(preview) == {vat.id: (450, False, 2250), de_vat.id: (171, True, 900)}
    assert preview.amount_due == 3771
    advance(test_clock, 2025, 2, 1, 2)
    renewal = invoices_of(customer)[-1]
    assert _figures(renewal) == _figures(preview)
    assert _taxes(renewal) == _taxes(preview)
    assert renewal.amount_due == preview.amount_due == 3771
    assert sorted(
        (line.amount, [t.amount for t in line.tax_amounts])
        for line in stripe.Invoice.list_lines(renewal.id).data
    ) == sorted((line.amount, [t.amount for t in line.tax_amounts]) for line in preview.lines.data)


def test_subscription_default_tax_rates_change_for_the_invoices_to_come(stripe_sdk, tasks_inline):
    vat = _vat()
    test_clock, customer = clock_customer(epoch(2025, 1, 1))
    subscription = stripe.Subscription.create(
        customer=customer.id, items=[{"price": monthly(2500, "Basic")}]
    )
    assert invoices_of(customer)[0].tax == 0
    stripe.Subscription.modify(subscription.id, default_tax_rates=[vat.id])
    advance(test_clock, 2025, 2, 1, 2)
    assert _figures(invoices_of(customer)[-1]) == (2500, 2500, 500, 2500, 3000)
    stripe.Subscription.modify(subscription.id, default_tax_rates="")
    assert stripe.Subscription.retrieve(subscription.id).default_tax_rates == []


def test_an_inactive_or_unknown_rate_cannot_be_applied(stripe_sdk):
    vat = _vat()
    stripe.TaxRate.modify(vat.id, active=False)
    customer = stripe.Customer.create(email="ada@example.com", source="tok_visa")
    price = monthly(2500, "Basic")
    for rates, message in (([vat.id], "inactive"), (["txr_nope"], "No such tax_rate")):
        with pytest.raises(stripe.InvalidRequestError) as refused:
            stripe.Subscription.create(
                customer=customer.id, items=[{"price": price}], default_tax_rates=rates
            )
        assert refused.value.param == "default_tax_rates[0]"
        assert message in refused.value.user_message
    assert stripe.Subscription.list(customer=customer.id).data == []
    assert not Invoice.objects.exists()


def test_one_off_invoice_items_and_invoice_default_tax_rates(stripe_sdk):
    vat = _vat()
    sales = stripe.TaxRate.create(display_name="Sales tax", percentage="7.25", inclusive=False)
    customer = stripe.Customer.create(email="ada@example.com", source="tok_visa")
    # An item's own rate overrides the invoice's default; an item without one takes it.
    stripe.InvoiceItem.create(customer=customer.id, amount=1000, currency="usd", tax_rates=[vat.id])
    stripe.InvoiceItem.create(customer=customer.id, amount=1234, currency="usd")
    invoice = stripe.Invoice.create(
        customer=customer.id,
        pending_invoice_items_behavior="include",
        default_tax_rates=[sales.id],
    )
    # 1000 × 20 % = 200; 1234 × 7.25 % = 89.465 → 89.
    assert _figures(invoice) == (2234, 2234, 289, 2234, 2523)
    assert _taxes(invoice) == {vat.id: (200, False, 1000), sales.id: (89, False, 1234)}
    expanded = stripe.Invoice.retrieve(invoice.id, expand=["total_tax_amounts.tax_rate"])
    assert {t.tax_rate.id: t.tax_rate.display_name for t in expanded.total_tax_amounts} == {
        vat.id: "VAT",
        sales.id: "Sales tax",
    }
    # An item's own rates can change on a draft: the totals follow (and back).
    own = next(i for i in stripe.InvoiceItem.list(invoice=invoice.id).data if i.amount == 1000)
    assert [r.id for r in own.tax_rates] == [vat.id]
    moved = stripe.InvoiceItem.modify(own.id, tax_rates=[sales.id])
    assert [r.id for r in moved.tax_rates] == [sales.id]
    # 1000 × 7.25 % = 72.5 → 73; 1234 → 89.
    assert _figures(stripe.Invoice.retrieve(invoice.id)) == (2234, 2234, 162, 2234, 2396)
    stripe.InvoiceItem.modify(own.id, tax_rates=[vat.id])
    # A draft's defaults can change: its totals follow.
    changed = stripe.Invoice.modify(invoice.id, default_tax_rates="")
    assert _figures(changed) == (2234, 2234, 200, 2234, 2434)
    paid = stripe.Invoice.pay(stripe.Invoice.finalize_invoice(invoice.id).id)
    assert (paid.status, paid.amount_paid, paid.tax) == ("paid", 2434, 200)
    # What the hosted page and the PDF show (one source, apps.invoices.invoice_document).
    document = invoice_document(Invoice.objects.get(id=paid.id))
    rows = [(row.label, row.amount) for row in document.totals]
    assert rows[:4] == [
        ("Subtotal", "$22.34"),
        ("Total excluding tax", "$22.34"),
        ("VAT (20 %)", "$2.00"),
        ("Total", "$24.34"),
    ]


def test_an_item_s_own_rates_change_without_prorations(stripe_sdk, tasks_inline):
    vat, de_vat = _vat(), _de_vat()
    test_clock, customer = clock_customer(epoch(2025, 1, 1))
    subscription = stripe.Subscription.create(
        customer=customer.id,
        items=[{"price": monthly(1190, "Basic")}],
        default_tax_rates=[vat.id],
    )
    item = subscription["items"].data[0].id
    assert _figures(invoices_of(customer)[0]) == (1190, 1190, 238, 1190, 1428)
    advance(test_clock, 2025, 1, 10)
    change = {"items": [{"id": item, "tax_rates": [de_vat.id]}]}
    preview = stripe.Invoice.create_preview(
        subscription=subscription.id, subscription_details=change
    )
    # The item's own inclusive rate replaces the default; nothing is prorated.
    assert [line.amount for line in preview.lines.data] == [1190]
    assert _figures(preview) == (1190, 1000, 190, 1000, 1190)
    updated = stripe.Subscription.modify(subscription.id, **change)
    assert [r.id for r in updated["items"].data[0].tax_rates] == [de_vat.id]
    assert stripe.InvoiceItem.list(customer=customer.id).data == []
    advance(test_clock, 2025, 2, 1, 2)
    assert _figures(invoices_of(customer)[-1]) == _figures(preview)


def test_subscription_items_take_tax_rates(stripe_sdk, tasks_inline):
    vat, de_vat = _vat(), _de_vat()
    test_clock, customer = clock_customer(epoch(2025, 1, 1))
    subscription = stripe.Subscription.create(
        customer=customer.id, items=[{"price": monthly(2500, "Basic")}]
    )
    added = stripe.SubscriptionItem.create(
        subscription=subscription.id,
        price=monthly(1190, "Add-on"),
        tax_rates=[de_vat.id],
        proration_behavior="none",
    )
    assert [r.id for r in added.tax_rates] == [de_vat.id]
    changed = stripe.SubscriptionItem.modify(
        added.id, tax_rates=[vat.id], proration_behavior="none"
    )
    assert [r.id for r in changed.tax_rates] == [vat.id]
    cleared = stripe.SubscriptionItem.modify(added.id, tax_rates="", proration_behavior="none")
    assert cleared.tax_rates == []
    stripe.SubscriptionItem.modify(added.id, tax_rates=[vat.id], proration_behavior="none")
    advance(test_clock, 2025, 2, 1, 2)
    # Basic untaxed; the add-on 1190 + 20 % (238).
    assert _figures(invoices_of(customer)[-1]) == (3690, 3690, 238, 3690, 3928)


def test_previews_take_proposed_default_tax_rates(stripe_sdk, tasks_inline, api):
    vat = _vat()
    price = monthly(2500, "Basic")
    test_clock, customer = clock_customer(epoch(2025, 1, 1))
    # A new subscription's first invoice, previewed, then made.
    first = stripe.Invoice.create_preview(
        customer=customer.id,
        subscription_details={"items": [{"price": price}], "default_tax_rates": [vat.id]},
    )
    assert _figures(first) == (2500, 2500, 500, 2500, 3000)
    subscription = stripe.Subscription.create(
        customer=customer.id, items=[{"price": price}], default_tax_rates=[vat.id]
    )
    made = invoices_of(customer)[0]
    assert (_figures(made), _taxes(made)) == (_figures(first), _taxes(first))
    # Dropping the rate, previewed (legacy and current), then done: the renewal matches.
    advance(test_clock, 2025, 1, 20)
    proposed = stripe.Invoice.create_preview(
        subscription=subscription.id, subscription_details={"default_tax_rates": ""}
    )
    legacy = api.get(
        "/v1/invoices/upcoming",
        {"subscription": subscription.id, "subscription_default_tax_rates": ""},
    ).json()
    assert _figures(proposed) == _figures(legacy) == (2500, 2500, 0, 2500, 2500)
    unchanged = stripe.Invoice.create_preview(subscription=subscription.id)
    assert _figures(unchanged) == (2500, 2500, 500, 2500, 3000)
    stripe.Subscription.modify(subscription.id, default_tax_rates="")
    advance(test_clock, 2025, 2, 1, 2)
    assert _figures(invoices_of(customer)[-1]) == _figures(proposed)
