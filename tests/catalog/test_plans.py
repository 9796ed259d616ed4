"""/v1/plans through the official SDK: a plan is a recurring price under one id, usable wherever
Stripe takes a plan, and deleting one leaves its subscribers billed."""

import pytest
import stripe
from django.urls import reverse

from apps.catalog.models import Price, Product
from apps.core.models import Event
from tests.conftest import ApiClient
from tests.stripe_examples import assert_stripe_shape


def test_a_plan_has_stripes_plan_shape(stripe_sdk):
    plan = stripe.Plan.create(
        id="gold-monthly",
        amount=2000,
        currency="usd",
        interval="month",
        product={"name": "Gold"},
        nickname="Gold monthly",
        metadata={"tier": "gold"},
    )
    assert_stripe_shape(plan, "plan")
    assert (plan.id, plan.object, plan.amount) == ("gold-monthly", "plan", 2000)
    assert plan.last_response.data["amount_decimal"] == "2000"
    assert (plan.interval, plan.interval_count, plan.usage_type) == ("month", 1, "licensed")
    assert (plan.nickname, plan.metadata.to_dict(), plan.livemode) == (
        "Gold monthly",
        {"tier": "gold"},
        False,
    )
    assert plan.transform_usage is None
    assert plan.trial_period_days is None
    assert Product.objects.get(id=plan.product).name == "Gold"
    # The same object under the same id, as a price.
    price = stripe.Price.retrieve("gold-monthly")
    assert (price.object, price.unit_amount, price.recurring.interval) == ("price", 2000, "month")
    assert set(Event.objects.filter(object_id="gold-monthly").values_list("type", flat=True)) == {
        "plan.created",
        "price.created",
    }


def test_every_plan_parameter(stripe_sdk):
    product = stripe.Product.create(name="Seats")
    tiered = stripe.Plan.create(
        currency="eur",
        interval="year",
        interval_count=2,
        product=product.id,
        billing_scheme="tiered",
        tiers_mode="graduated",
        tiers=[{"up_to": 10, "unit_amount": 500}, {"up_to": "inf", "unit_amount": 400}],
        usage_type="metered",
        trial_period_days=14,
    )
    assert tiered.id.startswith("price_")
    assert (tiered.amount, tiered.billing_scheme, tiered.tiers_mode) == (
        None,
        "tiered",
        "graduated",
    )
    assert [(t.up_to, t.unit_amount) for t in tiered.tiers] == [(10, 500), (None, 400)]
    assert (tiered.interval, tiered.interval_count, tiered.usage_type) == ("year", 2, "metered")
    assert (tiered.trial_period_days, tiered.product) == (14, product.id)
    with_product_id = stripe.Plan.create(
        amount=100,
        currency="usd",
        interval="week",
        product={"id": "prod-seats-weekly", "name": "Weekly seats"},
    )
    assert with_product_id.product == "prod-seats-weekly"
    listed = stripe.Plan.list(product=product.id)
    assert [p.id for p in listed.data] == [tiered.id]
    assert {p.object for p in stripe.Plan.list().data} == {"plan"}


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"currency": "usd", "interval": "month", "product": {"name": "P"}}, "amount"),
        ({"amount": 100, "currency": "usd", "product": {"name": "P"}}, "interval"),
        (
            {"amount": 100, "currency": "usd", "interval": "fortnight", "product": {"name": "P"}},
            "interval",
        ),
        (
            {
                "amount": 100,
                "currency": "usd",
                "interval": "month",
                "interval_count": 40,
                "product": {"name": "P"},
            },
            "interval_count",
        ),
        (
            {"amount": 100, "currency": "usd", "interval": "month", "product": {"active": True}},
            "product[name]",
        ),
        (
            {
                "amount": 100,
                "currency": "usd",
                "interval": "month",
                "product": {"name": "P"},
                "id": "a b",
            },
            "id",
        ),
        (
            {"amount": -1, "currency": "usd", "interval": "month", "product": {"name": "P"}},
            "amount",
        ),
    ],
)
def test_bad_plans_name_the_plan_parameter_and_write_nothing(api, params, param):
    refused = api.post("/v1/plans", params)
    assert refused.status_code == 400, refused.content
    assert refused.json()["error"]["param"] == param
    assert (Price.objects.count(), Product.objects.count(), Event.objects.count()) == (0, 0, 0)


def test_a_taken_id_is_refused(api, globex):
    globex_api = ApiClient(globex.secret_key)
    plan = {"id": "basic", "amount": 100, "currency": "usd", "interval": "month"}
    assert api.post("/v1/plans", {**plan, "product": {"name": "A"}}).status_code == 200
    for client in (api, globex_api):
        refused = client.post("/v1/plans", {**plan, "product": {"name": "B"}})
        assert refused.status_code == 400
        assert refused.json()["error"]["code"] == "resource_already_exists"
    assert Price.objects.count() == 1
    # Another account's plan is not there for this one.
    assert globex_api.get("/v1/plans/basic").status_code == 404


def test_update_retrieve_and_delete_an_unused_plan(stripe_sdk):
    plan = stripe.Plan.create(
        id="silver", amount=900, currency="usd", interval="month", product={"name": "Silver"}
    )
    other = stripe.Product.create(name="Silver II")
    changed = stripe.Plan.modify(
        "silver",
        nickname="Silver",
        active=False,
        metadata={"a": "1"},
        trial_period_days=7,
        product=other.id,
    )
    assert (changed.nickname, changed.active, changed.trial_period_days) == ("Silver", False, 7)
    assert (changed.product, changed.metadata.a, changed.amount) == (other.id, "1", 900)
    updated = Event.objects.get(type="plan.updated")
    assert updated.previous_attributes["nickname"] is None
    assert updated.previous_attributes["trial_period_days"] is None
    assert stripe.Plan.retrieve("silver").nickname == "Silver"
    deleted = stripe.Plan.delete(plan.id)
    assert_stripe_shape(deleted, "deleted_plan")
    assert (deleted.id, deleted.object, deleted.deleted) == ("silver", "plan", True)
    assert not Price.objects.filter(id="silver").exists()
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe.Plan.retrieve("silver")
    assert caught.value.http_status == 404
    assert Event.objects.filter(type="plan.deleted").count() == 1


def test_a_plan_wherever_stripe_takes_one(stripe_sdk):
    customer = stripe.Customer.create(email="p@example.com", source="tok_visa")
    basic = stripe.Plan.create(
        id="basic", amount=2500, currency="usd", interval="month", product={"name": "Basic"}
    )
    pro = stripe.Plan.create(
        id="pro", amount=2700, currency="usd", interval="month", product={"name": "Pro"}
    )
    legacy = stripe.Subscription.create(customer=customer.id, plan="basic", quantity=2)
    assert (legacy.plan.id, legacy.plan.object) == ("basic", "plan")
    item = legacy["items"].data[0]
    assert (item.plan.id, item.plan.amount, item.quantity, item.price.id) == (
        "basic",
        2500,
        2,
        "basic",
    )
    invoice = stripe.Invoice.retrieve(legacy.latest_invoice)
    assert (invoice.total, invoice.status) == (5000, "paid")
    lines = stripe.Invoice.list_lines(invoice.id)
    assert [(line.plan.id, line.amount) for line in lines.data] == [("basic", 5000)]
    both = stripe.Subscription.create(
        customer=customer.id, items=[{"plan": "basic"}, {"plan": pro.id}]
    )
    assert both.plan is None
    assert [i.plan.id for i in both["items"].data] == ["basic", "pro"]
    moved = stripe.SubscriptionItem.modify(
        both["items"].data[0].id, plan="pro", proration_behavior="none"
    )
    assert moved.plan.id == "pro"
    added = stripe.SubscriptionItem.create(
        subscription=legacy.id, plan=basic.id, proration_behavior="none"
    )
    assert added.plan.id == "basic"
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe.Subscription.create(customer=customer.id, items=[{"plan": "nope"}])
    assert (caught.value.http_status, caught.value.param) == (404, "items[0][plan]")
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe.Subscription.create(customer=customer.id, plan="basic", items=[{"plan": "pro"}])
    assert caught.value.param == "plan"


def test_deleting_a_billed_plan_keeps_its_subscribers(stripe_sdk):
    customer = stripe.Customer.create(email="d@example.com", source="tok_visa")
    stripe.Plan.create(
        id="legacy", amount=1000, currency="usd", interval="month", product={"name": "Legacy"}
    )
    subscription = stripe.Subscription.create(customer=customer.id, items=[{"plan": "legacy"}])
    product = Price.objects.get(id="legacy").product
    product.default_price_id = "legacy"
    product.save()
    deleted = stripe.Plan.delete("legacy")
    assert deleted.deleted is True
    row = Price.objects.get(id="legacy")
    assert (row.active, row.deleted_at is not None) == (False, True)
    product.refresh_from_db()
    assert product.default_price_id is None
    # Gone from the API and from new subscriptions, as Stripe: ...
    for retrieve in (stripe.Plan.retrieve, stripe.Price.retrieve):
        with pytest.raises(stripe.InvalidRequestError) as caught:
            retrieve("legacy")
        assert caught.value.http_status == 404
    assert "legacy" not in [p.id for p in stripe.Plan.list().data]
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe.Subscription.create(customer=customer.id, items=[{"plan": "legacy"}])
    assert caught.value.http_status == 404
    with pytest.raises(stripe.InvalidRequestError):
        stripe.Plan.delete("legacy")
    # ... while the subscription keeps it, and its invoice lines still name it.
    kept = stripe.Subscription.retrieve(subscription.id)
    assert (kept.status, kept.plan.id, kept.plan.active) == ("active", "legacy", False)
    lines = stripe.Invoice.list_lines(kept.latest_invoice)
    assert [line.plan.id for line in lines.data] == ["legacy"]


def test_a_deleted_billed_plan_is_gone_from_the_catalog_page(api, staff_client):
    customer = api.post("/v1/customers", {"email": "c@example.com", "source": "tok_visa"}).json()
    kept = {"amount": 500, "currency": "usd", "interval": "month"}
    api.post("/v1/plans", {**kept, "id": "plan-kept-1", "product": {"name": "Both"}})
    product = Price.objects.get(id="plan-kept-1").product_id
    api.post("/v1/plans", {**kept, "id": "plan-gone-1", "amount": 700, "product": product})
    api.post("/v1/subscriptions", {"customer": customer["id"], "items": [{"plan": "plan-gone-1"}]})
    assert api.delete("/v1/plans/plan-gone-1").json()["deleted"] is True
    page = staff_client.get(reverse("admin:catalog_product_change", args=[product]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "plan-kept-1" in html
    assert "plan-gone-1" not in html
    archive = reverse("admin:catalog_price_archive", args=[product, "plan-gone-1"])
    assert staff_client.post(archive).status_code == 404
    assert Price.objects.get(id="plan-gone-1").active is False
