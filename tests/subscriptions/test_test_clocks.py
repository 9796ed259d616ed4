"""ACCEPTANCE B4: a sandbox customer on a test clock; advancing a month renews and invoices,
an hour more finalizes and collects (Stripe's auto-advance hour), firing the same events a real
month would, in order."""

import pytest
import stripe

from apps.core.models import Event
from apps.invoices.engine.periods import utc
from apps.subscriptions.clock_jobs import clock_jobs
from apps.subscriptions.services.collection import due_draft_ids


def _epoch(moment) -> int:
    return int(moment.timestamp())


def test_b4_advancing_a_month_renews_and_collects_in_order(stripe_sdk, tasks_inline):
    test_clock = stripe.test_helpers.TestClock.create(
        frozen_time=_epoch(utc(2025, 1, 1)), name="B4"
    )
    customer = stripe.Customer.create(
        email="clock@example.com", source="tok_visa", test_clock=test_clock.id
    )
    assert customer.test_clock == test_clock.id
    price = stripe.Price.create(
        product_data={"name": "Basic"},
        currency="usd",
        unit_amount=2500,
        recurring={"interval": "month"},
    )
    subscription = stripe.Subscription.create(customer=customer.id, items=[{"price": price.id}])
    assert subscription.current_period_start == _epoch(utc(2025, 1, 1))
    assert subscription.current_period_end == _epoch(utc(2025, 2, 1))
    mark = Event.objects.order_by("-id").first().id

    # Exactly one month: the renewal's invoice is a draft for its hour.
    advanced = stripe.test_helpers.TestClock.advance(
        test_clock.id, frozen_time=_epoch(utc(2025, 2, 1))
    )
    assert advanced.status in ("advancing", "ready")
    ready = stripe.test_helpers.TestClock.retrieve(test_clock.id)
    assert (ready.status, ready.frozen_time) == ("ready", _epoch(utc(2025, 2, 1)))
    renewed = stripe.Subscription.retrieve(subscription.id)
    assert renewed.current_period_start == _epoch(utc(2025, 2, 1))
    draft = stripe.Invoice.list(customer=customer.id).data[0]
    assert (draft.status, draft.billing_reason, draft.automatically_finalizes_at) == (
        "draft",
        "subscription_cycle",
        _epoch(utc(2025, 2, 1, 1)),
    )
    assert due_draft_ids() == []  # the beat's sweep leaves test-clock drafts to their clock

    # One month and an hour: finalized and collected.
    stripe.test_helpers.TestClock.advance(test_clock.id, frozen_time=_epoch(utc(2025, 2, 1, 1)))
    ready = stripe.test_helpers.TestClock.retrieve(test_clock.id)
    assert (ready.status, ready.frozen_time) == ("ready", _epoch(utc(2025, 2, 1, 1)))
    invoices = stripe.Invoice.list(customer=customer.id).data
    assert [(i.total, i.status, i.billing_reason) for i in invoices] == [
        (2500, "paid", "subscription_cycle"),
        (2500, "paid", "subscription_create"),
    ]
    assert invoices[0].period_start == _epoch(utc(2025, 2, 1))
    assert invoices[0].automatically_finalizes_at is None
    types = list(Event.objects.filter(id__gt=mark).order_by("id").values_list("type", flat=True))
    order = [
        "test_helpers.test_clock.advancing",
        "invoice.created",
        "customer.subscription.updated",
        "test_helpers.test_clock.ready",
        "test_helpers.test_clock.advancing",
        "invoice.finalized",
        "charge.succeeded",
        "invoice.paid",
        "invoice.payment_succeeded",
        "test_helpers.test_clock.ready",
    ]
    assert [t for t in types if t in order] == order


def test_clock_rules(api, tasks_inline):
    created = api.post("/v1/test_helpers/test_clocks", {"frozen_time": _epoch(utc(2025, 1, 1))})
    clock_id = created.json()["id"]
    back = api.post(
        f"/v1/test_helpers/test_clocks/{clock_id}/advance",
        {"frozen_time": _epoch(utc(2024, 12, 1))},
    )
    assert back.json()["error"]["param"] == "frozen_time"
    customer = api.post("/v1/customers", {"email": "c@example.com", "test_clock": clock_id}).json()
    assert customer["created"] == _epoch(utc(2025, 1, 1))
    deleted = api.delete(f"/v1/test_helpers/test_clocks/{clock_id}")
    assert deleted.json()["deleted"] is True
    assert api.get(f"/v1/customers/{customer['id']}").json()["deleted"] is True
    assert api.post("/v1/customers", {"test_clock": clock_id}).status_code == 404


@pytest.mark.parametrize("missing", ["clock_nope"])
def test_unknown_clock(api, missing):
    assert api.get(f"/v1/test_helpers/test_clocks/{missing}").status_code == 404


def test_the_clock_runs_the_jobs_every_app_registered_in_the_documented_order():
    """At one instant: card updates, trial ends, cancellations, drafts' finalization, renewals,
    payment retries, incomplete subscriptions' expiry (apps.subscriptions.clock_jobs)."""
    assert [(job.rank, job.kind) for job in clock_jobs()] == [
        (-1, "card_update"),
        (0, "trial_end"),
        (1, "cancel_at"),
        (2, "invoice"),
        (3, "renewal"),
        (4, "retry"),
        (5, "incomplete_expiry"),
    ]
