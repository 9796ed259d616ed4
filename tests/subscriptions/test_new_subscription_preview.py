"""Previewing a new subscription's first invoice (create_preview / upcoming with a customer and
items, no subscription) through the stripe SDK: it writes nothing and equals what
``POST /v1/subscriptions`` then bills; subscription-level trials and a future billing cycle
anchor on create."""

import pytest
import stripe
from django.db.models import QuerySet

from tests.subscriptions.sdk_clock import advance as _advance
from tests.subscriptions.sdk_clock import clock_customer as _clock_customer
from tests.subscriptions.sdk_clock import epoch as _epoch
from tests.subscriptions.sdk_clock import invoices_of as _invoices
from tests.subscriptions.sdk_clock import monthly as _monthly


def _counts() -> dict[str, int]:
    from django.apps import apps

    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model._meta.app_label
        in ("invoices", "subscriptions", "payments", "customers", "catalog", "accounts")
    }


def _redemptions() -> list[tuple[str, int]]:
    from apps.catalog.models import Coupon, PromotionCode

    return sorted(Coupon.objects.values_list("coupon_id", "times_redeemed")) + sorted(
        PromotionCode.objects.values_list("code", "times_redeemed")
    )


def _figures(lines) -> list[tuple[int, int, int, bool]]:
    return [(line.amount, line.period.start, line.period.end, line.proration) for line in lines]


def test_preview_of_a_new_subscription_writes_nothing_and_equals_the_first_invoice(
    stripe_sdk, tasks_inline, api
):
    launch, intel = _monthly(2900, "Launch"), _monthly(4900, "Intel")
    stripe.Coupon.create(id="TENOFF", percent_off=10, duration="once")
    test_clock, customer = _clock_customer(_epoch(2025, 3, 10))
    items = [{"price": launch, "quantity": 2}, {"price": intel, "trial_period_days": 14}]
    before, redeemed = _counts(), _redemptions()
    preview = stripe.Invoice.create_preview(
        customer=customer.id,
        subscription_details={"items": items},
        discounts=[{"coupon": "TENOFF"}],
    )
    legacy = api.get(
        "/v1/invoices/upcoming",
        {
            "customer": customer.id,
            "subscription_items[0][price]": launch,
            "subscription_items[0][quantity]": 2,
            "subscription_items[1][price]": intel,
            "subscription_items[1][trial_period_days]": 14,
            "coupon": "TENOFF",
        },
    ).json()
    legacy_lines = api.get(
        "/v1/invoices/upcoming/lines",
        {"customer": customer.id, "subscription_items[0][price]": launch},
    ).json()
    assert {k: v for k, v in _counts().items() if k != "accounts.ApiRequestLog"} == {
        k: v for k, v in before.items() if k != "accounts.ApiRequestLog"
    }
    assert _redemptions() == redeemed  # the coupon was checked, not redeemed
    # Launch × 2 for the first month; Intel trials for 14 days and bills nothing now.
    assert _figures(preview.lines.data) == [(5800, _epoch(2025, 3, 10), _epoch(2025, 4, 10), False)]
    assert (preview.subtotal, preview.total, preview.amount_due) == (5800, 5220, 5220)
    assert preview.billing_reason == "subscription_create"
    assert preview.subscription is None
    assert (preview.period_start, preview.period_end) == (_epoch(2025, 3, 10), _epoch(2025, 4, 10))
    assert preview.next_payment_attempt == _epoch(2025, 3, 10)
    assert (legacy["amount_due"], legacy["total"]) == (5220, 5220)
    assert [line["amount"] for line in legacy_lines["data"]] == [2900]

    subscription = stripe.Subscription.create(
        customer=customer.id, items=items, discounts=[{"coupon": "TENOFF"}]
    )
    (invoice,) = _invoices(customer)
    assert (invoice.subtotal, invoice.total, invoice.amount_due) == (5800, 5220, 5220)
    assert _figures(stripe.Invoice.list_lines(invoice.id).data) == _figures(preview.lines.data)
    assert (invoice.period_start, invoice.period_end) == (preview.period_start, preview.period_end)
    assert invoice.status == "paid"
    assert subscription.status == "active"
    assert [item.trial_end for item in subscription["items"].data] == [None, _epoch(2025, 3, 24)]


def test_a_future_billing_cycle_anchor_prorates_the_first_invoice(stripe_sdk, tasks_inline):
    price = _monthly(3100, "Studio")
    test_clock, customer = _clock_customer(_epoch(2025, 1, 16))
    anchor = _epoch(2025, 2, 1)
    preview = stripe.Invoice.create_preview(
        customer=customer.id,
        subscription_details={"items": [{"price": price}], "billing_cycle_anchor": anchor},
    )
    # 16 of January's 31 days (the whole period ending at the anchor): 3100 × 16/31.
    assert _figures(preview.lines.data) == [(1600, _epoch(2025, 1, 16), anchor, True)]
    assert (preview.amount_due, preview.period_start, preview.period_end) == (
        1600,
        _epoch(2025, 1, 16),
        anchor,
    )
    subscription = stripe.Subscription.create(
        customer=customer.id, items=[{"price": price}], billing_cycle_anchor=anchor
    )
    assert (subscription.billing_cycle_anchor, subscription.current_period_end) == (anchor, anchor)
    (first,) = _invoices(customer)
    assert _figures(stripe.Invoice.list_lines(first.id).data) == _figures(preview.lines.data)
    assert (first.total, first.status) == (1600, "paid")
    _advance(test_clock, 2025, 2, 1, 1)
    renewal = _invoices(customer)[-1]
    assert (renewal.total, renewal.period_start, renewal.period_end) == (
        3100,
        anchor,
        _epoch(2025, 3, 1),
    )

    # proration_behavior=none: the time up to the anchor is free.
    other_clock, other = _clock_customer(_epoch(2025, 1, 16))
    free = stripe.Invoice.create_preview(
        customer=other.id,
        subscription_details={
            "items": [{"price": price}],
            "billing_cycle_anchor": anchor,
            "proration_behavior": "none",
        },
    )
    assert (free.lines.data, free.amount_due) == ([], 0)
    stripe.Subscription.create(
        customer=other.id,
        items=[{"price": price}],
        billing_cycle_anchor=anchor,
        proration_behavior="none",
    )
    assert _invoices(other) == []
    _advance(other_clock, 2025, 2, 1, 1)
    assert [i.total for i in _invoices(other)] == [3100]


def test_a_subscription_level_trial_bills_nothing_until_it_ends(stripe_sdk, tasks_inline):
    launch, intel = _monthly(2900, "Launch"), _monthly(4900, "Intel")
    test_clock, customer = _clock_customer(_epoch(2025, 3, 10))
    items = [{"price": launch}, {"price": intel}]
    preview = stripe.Invoice.create_preview(
        customer=customer.id,
        subscription_details={"items": items, "trial_end": _epoch(2025, 3, 17)},
    )
    assert (preview.lines.data, preview.amount_due) == ([], 0)
    assert (preview.period_start, preview.period_end) == (_epoch(2025, 3, 10), _epoch(2025, 3, 17))
    subscription = stripe.Subscription.create(
        customer=customer.id, items=items, trial_period_days=7
    )
    trial_end = _epoch(2025, 3, 17)
    assert subscription.status == "trialing"
    assert (subscription.trial_start, subscription.trial_end) == (_epoch(2025, 3, 10), trial_end)
    assert subscription.billing_cycle_anchor == trial_end
    assert subscription.current_period_end == trial_end
    assert [item.trial_end for item in subscription["items"].data] == [trial_end, trial_end]
    assert _invoices(customer) == []
    _advance(test_clock, 2025, 3, 17, 1)
    (first,) = _invoices(customer)
    assert (first.total, first.period_start, first.period_end) == (
        7800,
        trial_end,
        _epoch(2025, 4, 17),
    )
    assert stripe.Subscription.retrieve(subscription.id).status == "active"


@pytest.mark.parametrize(
    ("params", "param"),
    [
        (
            {"subscription_details": {"items": [{"price": "PRICE", "trial_period_days": 3}]}},
            None,
        ),
        (
            {
                "subscription_details": {
                    "items": [{"price": "PRICE", "trial_period_days": 3}],
                    "trial_end": _epoch(2025, 3, 20),
                }
            },
            "trial_end",
        ),
        (
            {
                "subscription_details": {
                    "items": [{"price": "PRICE"}],
                    "billing_cycle_anchor": _epoch(2025, 5, 1),
                }
            },
            "billing_cycle_anchor",
        ),
        ({"subscription_details": {"items": [{"price": "price_missing"}]}}, "price"),
        (
            {"subscription_details": {"items": [{"price": "PRICE"}]}, "coupon": "NOPE"},
            "coupon",
        ),
        # (No subscription_details at all is the customer alone: test_customer_upcoming.py.)
        (
            {"subscription_details": {"trial_period_days": 7}},
            "subscription_details[items]",
        ),
    ],
)
def test_refused_previews_and_creations_say_why(stripe_sdk, params, param):
    price = _monthly(3100, "Studio")
    _, customer = _clock_customer(_epoch(2025, 3, 10))

    def filled(value):
        if isinstance(value, dict):
            return {k: filled(v) for k, v in value.items()}
        if isinstance(value, list):
            return [filled(v) for v in value]
        return price if value == "PRICE" else value

    params = filled(params)
    if param is None:  # a valid request, for contrast: the only item trials, nothing due now
        valid = stripe.Invoice.create_preview(customer=customer.id, **params)
        assert (valid.lines.data, valid.amount_due) == ([], 0)
        return
    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe.Invoice.create_preview(customer=customer.id, **params)
    assert param in (refused.value.param or "")
    details = params["subscription_details"]
    if "items" not in details:
        return
    create = {**{k: v for k, v in details.items() if k != "items"}, "items": details["items"]}
    if "coupon" in params:
        create["coupon"] = params["coupon"]
    with pytest.raises(stripe.InvalidRequestError):
        stripe.Subscription.create(customer=customer.id, **create)
    assert stripe.Subscription.list(customer=customer.id).data == []


def test_a_preview_with_a_coupon_or_a_promotion_code_locks_no_row(stripe_sdk, api, monkeypatch):
    """The coupon and the code are checked as the creation checks them, on rows only read."""
    launch = _monthly(2900, "Launch")
    coupon = stripe.Coupon.create(id="TENOFF", percent_off=10, duration="once")
    stripe.PromotionCode.create(coupon=coupon.id, code="SPRING")
    _, customer = _clock_customer(_epoch(2025, 3, 10))

    def refuse(queryset, *args, **kwargs):
        raise AssertionError(f"a preview locked {queryset.model._meta.label} rows")

    monkeypatch.setattr(QuerySet, "select_for_update", refuse)
    items = [{"price": launch, "quantity": 1}]
    by_coupon = stripe.Invoice.create_preview(
        customer=customer.id,
        subscription_details={"items": items},
        discounts=[{"coupon": "TENOFF"}],
    )
    by_code = stripe.Invoice.create_preview(
        customer=customer.id,
        subscription_details={"items": items},
        discounts=[{"promotion_code": "SPRING"}],
    )
    assert (by_coupon.total, by_code.total) == (2610, 2610)
