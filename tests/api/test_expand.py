"""``expand[]`` at any depth up to Stripe's four levels, through the official SDK: lists a
customer includes only when asked (``sources``, ``subscriptions``, ``tax_ids``), ids inside
them and inside list pages, and Stripe's error beyond four levels."""

import pytest
import stripe


def _monthly(name: str, amount: int):
    return stripe.Price.create(
        product_data={"name": name},
        currency="usd",
        unit_amount=amount,
        recurring={"interval": "month"},
    )


@pytest.fixture
def subscribed(stripe_sdk):
    """A customer with a card, a current subscription and a canceled one."""
    customer = stripe.Customer.create(email="jenny@example.com", source="tok_visa")
    basic, pro = _monthly("Basic", 2500), _monthly("Pro", 2700)
    current = stripe.Subscription.create(customer=customer.id, items=[{"price": pro.id}])
    ended = stripe.Subscription.create(customer=customer.id, items=[{"price": basic.id}])
    stripe.Subscription.cancel(ended.id)
    return customer, current


def test_a_customers_subscriptions_with_their_items(subscribed):
    customer, current = subscribed
    fetched = stripe.Customer.retrieve(customer.id, expand=["subscriptions.data.items.data"])
    subscriptions = fetched.subscriptions
    assert (subscriptions.object, subscriptions.has_more, subscriptions.url) == (
        "list",
        False,
        f"/v1/customers/{customer.id}/subscriptions",
    )
    # Only the current subscription: the canceled one is left out, as in Stripe.
    assert [s.id for s in subscriptions.data] == [current.id]
    item = subscriptions.data[0]["items"].data[0]
    assert (item.price.unit_amount, item.plan.amount) == (2700, 2700)
    # Without the expansion the customer carries no subscriptions.
    assert "subscriptions" not in stripe.Customer.retrieve(customer.id)


def test_ids_inside_included_lists_and_list_pages_expand(subscribed):
    customer, current = subscribed
    fetched = stripe.Customer.retrieve(
        customer.id, expand=["subscriptions.data.latest_invoice", "subscriptions.data.customer"]
    )
    subscription = fetched.subscriptions.data[0]
    assert subscription.latest_invoice.id == current.latest_invoice
    assert subscription.latest_invoice.status == "paid"
    assert subscription.customer.email == "jenny@example.com"
    invoices = stripe.Invoice.list(
        customer=customer.id, expand=["data.subscription", "data.lines.data.subscription"]
    )
    paid = next(i for i in invoices.data if i.subscription.id == current.id)
    assert paid.subscription.status == "active"
    assert paid.lines.data[0].subscription.id == current.id


def test_tax_ids_with_their_customer(stripe_sdk):
    customer = stripe.Customer.create(email="vat@example.com", name="Jenny GmbH")
    tax_id = stripe.Customer.create_tax_id(customer.id, type="eu_vat", value="DE123456789")
    fetched = stripe.Customer.retrieve(customer.id, expand=["tax_ids.data.customer"])
    assert [t.id for t in fetched.tax_ids.data] == [tax_id.id]
    owner = fetched.tax_ids.data[0].customer
    assert (owner.id, owner.object, owner.name) == (customer.id, "customer", "Jenny GmbH")
    assert fetched.tax_ids.url == f"/v1/customers/{customer.id}/tax_ids"


def test_data_product_on_a_list_of_prices(stripe_sdk):
    _monthly("Basic", 2500)
    _monthly("Pro", 2700)
    prices = stripe.Price.list(expand=["data.product"])
    assert sorted(p.product.name for p in prices.data) == ["Basic", "Pro"]
    assert {p.product.object for p in prices.data} == {"product"}


def test_sources_and_subscriptions_on_every_customer_response(subscribed):
    customer, current = subscribed
    both = stripe.Customer.retrieve(customer.id, expand=["sources", "subscriptions"])
    assert [s.id for s in both.sources.data] == [customer.default_source]
    assert both.sources.data[0].object == "card"
    assert [s.id for s in both.subscriptions.data] == [current.id]
    listed = stripe.Customer.list(expand=["data.sources", "data.subscriptions"])
    assert [(c.id, len(c.sources.data), len(c.subscriptions.data)) for c in listed.data] == [
        (customer.id, 1, 1)
    ]
    created = stripe.Customer.create(
        email="new@example.com", source="tok_mastercard", expand=["sources", "subscriptions"]
    )
    assert [s.last4 for s in created.sources.data] == ["4444"]
    assert created.subscriptions.data == []
    updated = stripe.Customer.modify(created.id, name="New", expand=["sources"])
    assert [s.last4 for s in updated.sources.data] == ["4444"]


def test_more_than_four_levels_is_stripes_error(subscribed):
    customer, _ = subscribed
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe.Customer.retrieve(customer.id, expand=["subscriptions.data.items.data.price"])
    error = caught.value
    assert (error.http_status, error.code, error.param) == (
        400,
        "property_expansion_max_depth",
        "expand",
    )
    assert error.user_message == (
        "You cannot expand more than 4 levels of a property. "
        "Property: subscriptions.data.items.data.price"
    )
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe.Subscription.list(expand=["data.items.data.price.product"])
    assert caught.value.code == "property_expansion_max_depth"


def test_a_field_that_is_not_expandable_is_refused(stripe_sdk):
    customer = stripe.Customer.create(email="x@example.com")
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe.Customer.retrieve(customer.id, expand=["invoices"])
    assert caught.value.user_message == "This property cannot be expanded (invoices)."
