"""ACCEPTANCE B1 (default prorations) and B2 (independent trials on one subscription), driven by
the official stripe SDK against the server, with customers on test clocks."""

import pytest
import stripe

from tests.subscriptions.sdk_clock import advance as _advance
from tests.subscriptions.sdk_clock import clock_customer as _clock_customer
from tests.subscriptions.sdk_clock import epoch as _epoch
from tests.subscriptions.sdk_clock import invoices_of as _invoices
from tests.subscriptions.sdk_clock import monthly as _monthly


@pytest.mark.parametrize(
    ("behavior", "immediate", "february"),
    [("create_prorations", None, 2804), ("always_invoice", 104, 2700), ("none", None, 2700)],
)
def test_b1_default_prorations(stripe_sdk, tasks_inline, behavior, immediate, february):
    basic, pro = _monthly(2500, "Basic"), _monthly(2700, "Pro")
    test_clock, customer = _clock_customer(_epoch(2025, 1, 1))
    subscription = stripe.Subscription.create(customer=customer.id, items=[{"price": basic}])
    _advance(test_clock, 2025, 1, 16)
    item = subscription["items"].data[0].id
    preview = stripe.Invoice.create_preview(
        subscription=subscription.id,
        subscription_details={
            "items": [{"id": item, "price": pro}],
            "proration_behavior": behavior,
            "proration_date": _epoch(2025, 1, 16),
        },
    )
    stripe.Subscription.modify(
        subscription.id,
        items=[{"id": item, "price": pro}],
        proration_behavior=behavior,
        proration_date=_epoch(2025, 1, 16),
    )
    invoices = _invoices(customer)
    if immediate is None:
        assert [i.total for i in invoices] == [2500]
        # The preview is the next regular invoice: the prorations plus the Pro month.
        assert preview.amount_due == february
    else:
        assert [(i.total, i.status) for i in invoices] == [(2500, "paid"), (immediate, "paid")]
        assert preview.amount_due == immediate  # the preview is the invoice made at once
        lines = stripe.Invoice.list_lines(invoices[-1].id).data
        assert sorted(line.amount for line in lines) == [-1290, 1394]
    _advance(test_clock, 2025, 2, 1, 2)
    renewal = _invoices(customer)[-1]
    assert (renewal.total, renewal.status, renewal.billing_reason) == (
        february,
        "paid",
        "subscription_cycle",
    )
    amounts = sorted(line.amount for line in stripe.Invoice.list_lines(renewal.id).data)
    assert amounts == ([-1290, 1394, 2700] if behavior == "create_prorations" else [2700])


def test_b2_independent_trials_on_one_subscription(stripe_sdk, tasks_inline):
    launch, intel = _monthly(2900, "Launch"), _monthly(4900, "Intel")
    test_clock, customer = _clock_customer(_epoch(2025, 1, 1))
    subscription = stripe.Subscription.create(customer=customer.id, items=[{"price": launch}])
    _advance(test_clock, 2025, 3, 10)
    before = len(_invoices(customer))  # January, February, March
    assert before == 3
    updated = stripe.Subscription.modify(
        subscription.id, items=[{"price": intel, "trial_period_days": 14}]
    )
    assert updated.status == "active"
    intel_item = next(i for i in updated["items"].data if i.price.id == intel)
    assert intel_item.trial_end == _epoch(2025, 3, 24)
    assert len(_invoices(customer)) == before  # nothing invoiced or charged on 03-10

    _advance(test_clock, 2025, 3, 24, 12)
    assert len(_invoices(customer)) == before  # no invoice when the trial ends
    _advance(test_clock, 2025, 4, 1, 2)
    invoices = _invoices(customer)
    assert len(invoices) == before + 1
    april = invoices[-1]
    amounts = sorted(line.amount for line in stripe.Invoice.list_lines(april.id).data)
    # Launch 2900 + Intel 4900 + Intel's 8 of 31 days after its trial (1265).
    assert (amounts, april.total, april.status) == ([1265, 2900, 4900], 9065, "paid")
    assert all(i.total != 0 for i in invoices)  # no zero-total invoice is ever listed


def test_b2_a_new_subscription_with_every_item_on_trial(stripe_sdk, tasks_inline):
    launch, intel = _monthly(2900, "Launch"), _monthly(4900, "Intel")
    test_clock, customer = _clock_customer(_epoch(2025, 3, 1))
    subscription = stripe.Subscription.create(
        customer=customer.id,
        items=[
            {"price": launch, "trial_end": _epoch(2025, 3, 10)},
            {"price": intel, "trial_end": _epoch(2025, 3, 24)},
        ],
    )
    assert subscription.status == "trialing"
    assert subscription.billing_cycle_anchor == _epoch(2025, 3, 1)
    assert _invoices(customer) == []
    _advance(test_clock, 2025, 3, 31)
    assert _invoices(customer) == []
    _advance(test_clock, 2025, 4, 1, 2)
    (april,) = _invoices(customer)
    amounts = sorted(line.amount for line in stripe.Invoice.list_lines(april.id).data)
    # Launch Mar 10 → Apr 1 (22 of 31 days: 2058), Intel Mar 24 → Apr 1 (1265), then April.
    assert amounts == [1265, 2058, 2900, 4900]
    assert april.total == 11123


def test_b2_trial_end_without_a_payment_method_removes_only_that_item(
    stripe_sdk, tasks_inline, acme
):
    from apps.core.actor import SYSTEM
    from apps.subscriptions.services import billing_settings_update

    billing_settings_update(
        account=acme.account, values={"trial_missing_payment_method": "cancel"}, actor=SYSTEM
    )
    launch, intel = _monthly(2900, "Launch"), _monthly(4900, "Intel")
    test_clock, customer = _clock_customer(_epoch(2025, 3, 1), card=False)
    subscription = stripe.Subscription.create(
        customer=customer.id,
        items=[{"price": launch}, {"price": intel, "trial_period_days": 14}],
        collection_method="send_invoice",
        days_until_due=30,
    )
    _advance(test_clock, 2025, 3, 16)
    kept = stripe.Subscription.retrieve(subscription.id)
    assert [item.price.id for item in kept["items"].data] == [launch]
    assert kept.status == "active"
    _advance(test_clock, 2025, 4, 1, 2)
    april = _invoices(customer)[-1]
    amounts = [line.amount for line in stripe.Invoice.list_lines(april.id).data]
    assert amounts == [2900]
