"""Stripe's shape over a common integration flow through the official SDK: every object of every
response (events' snapshots and expanded objects included) is compared with Stripe's example of
its type by the ``stripe_sdk`` fixture (tests/stripe_shapes.py); these tests add the flow and
check the comparison itself."""

import stripe

from tests.stripe_shapes import (
    examples,
    object_problems,
    shape_problems,
    unsupported,
    unsupported_in,
)


def _billing_flow() -> dict:
    customer = stripe.Customer.create(
        email="jenny@example.com", name="Jenny Rosen", source="tok_visa"
    )
    card = stripe.Customer.retrieve_source(customer.id, customer.default_source)
    pm = stripe.PaymentMethod.create(type="card", card={"token": "tok_mastercard"})
    stripe.PaymentMethod.attach(pm.id, customer=customer.id)
    stripe.Customer.modify(customer.id, invoice_settings={"default_payment_method": pm.id})
    product = stripe.Product.create(name="Pro")
    price = stripe.Price.create(
        product=product.id, currency="usd", unit_amount=2500, recurring={"interval": "month"}
    )
    coupon = stripe.Coupon.create(percent_off=20, duration="forever")
    promo = stripe.PromotionCode.create(promotion={"type": "coupon", "coupon": coupon.id})
    subscription = stripe.Subscription.create(
        customer=customer.id, items=[{"price": price.id}], discounts=[{"coupon": coupon.id}]
    )
    invoice = stripe.Invoice.retrieve(subscription.latest_invoice)
    return {
        "customer": customer,
        "card": card,
        "pm": pm,
        "product": product,
        "price": price,
        "coupon": coupon,
        "promo": promo,
        "subscription": subscription,
        "invoice": invoice,
    }


def test_a_subscription_flow_has_stripes_shape(stripe_sdk):
    flow = _billing_flow()
    subscription = flow["subscription"]
    item = subscription["items"].data[0]
    # The full price, as Stripe returns it, and its plan shape under the same id.
    assert item.price.unit_amount == 2500
    assert (item.plan.id, item.plan.object, item.plan.amount) == (flow["price"].id, "plan", 2500)
    assert subscription.livemode is False
    assert subscription.start_date == subscription.created
    assert subscription.test_clock is None
    invoice = flow["invoice"]
    assert invoice.status == "paid"
    assert invoice.livemode is False
    assert invoice.status_transitions.paid_at is not None
    assert invoice.status_transitions.finalized_at is not None
    assert invoice.lines.object == "list"
    assert invoice.lines.url == f"/v1/invoices/{invoice.id}/lines"
    assert [line.amount for line in invoice.lines.data] == [2500]
    stripe.SubscriptionItem.retrieve(item.id)
    stripe.SubscriptionItem.list(subscription=subscription.id)
    stripe.Invoice.list_lines(invoice.id)
    stripe.Subscription.list(customer=flow["customer"].id)
    stripe.Customer.list_payment_methods(flow["customer"].id)
    stripe.Event.list(limit=100)


def test_payments_and_credits_have_stripes_shape(stripe_sdk):
    flow = _billing_flow()
    customer = flow["customer"]
    intent = stripe.PaymentIntent.create(
        amount=1200,
        currency="usd",
        customer=customer.id,
        payment_method=flow["pm"].id,
        confirm=True,
    )
    charge = stripe.Charge.retrieve(intent.latest_charge)
    stripe.Refund.create(charge=charge.id, amount=200)
    stripe.Charge.create(amount=700, currency="usd", customer=customer.id)
    stripe.BalanceTransaction.list()
    stripe.BalanceTransaction.retrieve(charge.balance_transaction)
    stripe.Balance.retrieve()
    stripe.CreditNote.create(invoice=flow["invoice"].id, amount=500, refund_amount=500)
    stripe.CreditNote.list(invoice=flow["invoice"].id)
    stripe.InvoiceItem.create(customer=customer.id, amount=900, currency="usd")
    one_off = stripe.Invoice.create(customer=customer.id, pending_invoice_items_behavior="include")
    stripe.Invoice.finalize_invoice(one_off.id)
    stripe.Invoice.pay(one_off.id)
    stripe.Customer.create_balance_transaction(customer.id, amount=-300, currency="usd")
    stripe.Customer.create_tax_id(customer.id, type="eu_vat", value="DE123456789")
    stripe.Token.create(card={"number": "4242424242424242", "exp_month": 12, "exp_year": 2040})
    stripe.Source.create(type="paypal", owner={"email": "jenny@example.com"})
    stripe.test_helpers.TestClock.create(frozen_time=1735689600)
    stripe.WebhookEndpoint.create(url="https://example.com/hooks", enabled_events=["*"])
    stripe.Event.list(limit=100)


def test_an_invoice_carries_the_first_page_of_its_lines(stripe_sdk):
    customer = stripe.Customer.create(email="many@example.com")
    for amount in range(100, 1200, 100):
        stripe.InvoiceItem.create(customer=customer.id, amount=amount, currency="usd")
    invoice = stripe.Invoice.create(customer=customer.id, pending_invoice_items_behavior="include")
    page = stripe.Invoice.list_lines(invoice.id)
    assert len(invoice.lines.data) == 10
    assert invoice.lines.has_more is True
    assert [line.id for line in invoice.lines.data] == [line.id for line in page.data]
    assert sum(line.amount for line in invoice.lines.data) == invoice.total - 100


def test_deleted_objects_have_stripes_shape(stripe_sdk):
    customer = stripe.Customer.create(email="gone@example.com")
    coupon = stripe.Coupon.create(amount_off=500, currency="usd", duration="once")
    product = stripe.Product.create(name="Old")
    endpoint = stripe.WebhookEndpoint.create(url="https://example.com/h", enabled_events=["*"])
    assert stripe.Customer.delete(customer.id).deleted is True
    assert stripe.Coupon.delete(coupon.id).deleted is True
    assert stripe.Product.delete(product.id).deleted is True
    assert stripe.WebhookEndpoint.delete(endpoint.id).deleted is True


def test_a_missing_key_and_a_wrong_kind_are_named():
    price = dict(examples()["price"])
    del price["unit_amount"]
    item = {**examples()["subscription_item"], "price": "price_123"}
    assert object_problems(price) == ["price.unit_amount: missing"]
    assert object_problems(item) == ["subscription_item.price: string where Stripe returns object"]
    # Inside a list, an event or an expansion, an object is checked the same way.
    wrapped = {"object": "list", "data": [{"object": "event", "data": {"object": item}}]}
    assert "subscription_item.price: string where Stripe returns object" in shape_problems(
        [wrapped]
    )


def test_the_keys_of_a_hash_are_compared_one_level_down():
    invoice = examples()["invoice"]
    transitions = {**invoice["status_transitions"]}
    del transitions["paid_at"]
    assert object_problems({**invoice, "status_transitions": transitions}) == [
        "invoice.status_transitions.paid_at: missing"
    ]
    payment_method = examples()["payment_method"]
    assert "order_id" in payment_method["metadata"]
    # metadata holds the integration's own keys, whatever Stripe's example has in it.
    assert object_problems({**payment_method, "metadata": {}}) == []


def test_null_and_expansion_are_compatible_kinds():
    example = examples()["subscription"]
    expanded = {**example, "customer": {"id": "cus_1", "object": "customer"}, "ended_at": None}
    assert object_problems(expanded) == []
    # Only a field the SDK types as expandable takes an object for an id.
    not_expandable = {**example, "currency": {"id": "usd"}}
    assert object_problems(not_expandable) == [
        "subscription.currency: object where Stripe returns string"
    ]


def test_an_object_carries_the_details_of_its_own_type():
    card = examples()["payment_method"]
    sepa = {key: value for key, value in card.items() if key != "card"}
    sepa.update(type="sepa_debit", sepa_debit={"last4": "3000"})
    assert object_problems(sepa) == []
    assert object_problems({**sepa, "type": "card"}) == ["payment_method.card: missing"]
    # A key the object has is compared as it is: a one-time price's ``recurring`` is null.
    one_time = {**examples()["price"], "type": "one_time", "recurring": None}
    assert object_problems(one_time) == []
    assert object_problems({**one_time, "recurring": "month"}) == [
        "price.recurring: string where Stripe returns object"
    ]


def test_the_keys_left_out_are_read_from_the_compatibility_table():
    text = """## Keys not returned

| object | key | why |
|---|---|---|
| `invoice` | `rendering` | Invoices are rendered from one template. |
| `charge` | `review` | |

## Other
| `refund` | `customer` | not in the section |
"""
    # A row without a reason does not count.
    assert unsupported_in(text) == {("invoice", "rendering")}
    for kind, key in unsupported():
        assert key in examples()[kind], f"{kind}.{key} is not in Stripe's example of {kind}"
