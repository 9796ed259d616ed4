"""Auto-advance: a renewal's invoice stays a draft for an hour after the period boundary, then
the sweep finalizes and collects it once; late runs collect at once; one-off drafts advance too
(test clocks: tests/subscriptions/test_test_clocks.py)."""

import pytest

from apps.core import clock
from apps.core.actor import SYSTEM
from apps.core.models import Event
from apps.customers.models import PaymentMethod
from apps.customers.services import customer_create
from apps.invoices.engine.periods import utc
from apps.invoices.models import Invoice, InvoiceLine
from apps.payments.models import Charge
from apps.subscriptions.models import Subscription
from apps.subscriptions.services import subscription_renew
from apps.subscriptions.services.collection import due_draft_ids, invoices_auto_advance
from tests.factories import SubscriptionFactory


def _cycle() -> Invoice:
    return Invoice.objects.get(billing_reason="subscription_cycle")


def test_a_renewal_invoice_waits_an_hour_as_a_draft(acme, at):
    subscription = SubscriptionFactory(account=acme.account, email="a@example.com")
    assert Invoice.objects.get().status == "paid"  # the first invoice is finalized at once
    charges = Charge.objects.count()
    at(utc(2025, 2, 1))
    subscription_renew(subscription_id=subscription.id)
    draft = _cycle()
    assert (draft.status, draft.number, draft.auto_advance, draft.automatically_finalizes_at) == (
        "draft",
        None,
        True,
        utc(2025, 2, 1, 1),
    )
    created = Event.objects.get(type="invoice.created", object_id=draft.id)
    assert created.data_object["automatically_finalizes_at"] == clock.to_epoch(utc(2025, 2, 1, 1))
    at(utc(2025, 2, 1, 0, 59, 59))
    assert due_draft_ids() == []
    assert invoices_auto_advance(invoice_ids=[draft.id]) == 0  # not due yet, even if asked
    draft.refresh_from_db()
    assert (draft.status, Charge.objects.count()) == ("draft", charges)


def test_the_sweep_finalizes_and_charges_once(acme, at, tasks_inline):
    from apps.subscriptions.tasks import invoices_auto_advance_task

    subscription = SubscriptionFactory(account=acme.account, email="a@example.com")
    at(utc(2025, 2, 1))
    subscription_renew(subscription_id=subscription.id)
    charges = Charge.objects.count()
    at(utc(2025, 2, 1, 1))
    assert invoices_auto_advance_task() == 1
    invoice = _cycle()
    assert (invoice.status, invoice.amount_paid, invoice.automatically_finalizes_at) == (
        "paid",
        2500,
        None,
    )
    assert invoice.number.endswith("-0002")
    assert Charge.objects.count() == charges + 1
    # A second beat, and a redelivered batch, find nothing to do.
    assert invoices_auto_advance_task() == 0
    assert invoices_auto_advance(invoice_ids=[invoice.id]) == 0
    assert Charge.objects.count() == charges + 1
    types = list(
        Event.objects.filter(object_id=invoice.id).order_by("id").values_list("type", flat=True)
    )
    assert types == [
        "invoice.created",
        "invoice.finalized",
        "invoice.paid",
        "invoice.payment_succeeded",
    ]


def test_a_late_renewal_finalizes_and_collects_at_once(acme, at):
    subscription = SubscriptionFactory(account=acme.account, email="a@example.com")
    at(utc(2025, 2, 1, 3))
    subscription_renew(subscription_id=subscription.id)
    invoice = _cycle()
    assert (invoice.status, invoice.amount_paid) == ("paid", 2500)
    assert due_draft_ids() == []


def test_a_failed_automatic_payment_leaves_the_subscription_past_due(acme, at):
    subscription = SubscriptionFactory(account=acme.account, email="a@example.com")
    PaymentMethod.objects.filter(customer=subscription.customer).update(
        test_scenario="decline_generic"
    )
    at(utc(2025, 2, 1))
    subscription_renew(subscription_id=subscription.id)
    assert Subscription.objects.get().status == "active"
    at(utc(2025, 2, 1, 1))
    assert invoices_auto_advance(invoice_ids=due_draft_ids()) == 1
    invoice = _cycle()
    assert (invoice.status, invoice.attempt_count) == ("open", 1)
    assert Subscription.objects.get().status == "past_due"
    last = Event.objects.filter(object_id=subscription.id).order_by("-id").first()
    assert (last.type, last.previous_attributes) == (
        "customer.subscription.updated",
        {"status": "active"},
    )


@pytest.mark.parametrize(
    ("behavior", "status"), [("mark_uncollectible", "uncollectible"), ("void", "void")]
)
def test_pause_collection_applies_when_the_draft_is_finalized(acme, at, behavior, status):
    from apps.subscriptions.services import subscription_update_settings

    subscription = SubscriptionFactory(account=acme.account, email="a@example.com")
    at(utc(2025, 2, 1))
    subscription_renew(subscription_id=subscription.id)
    subscription_update_settings(
        account=acme.account,
        subscription_id=subscription.id,
        params={"pause_collection": {"behavior": behavior}},
        actor=SYSTEM,
    )
    charges = Charge.objects.count()
    at(utc(2025, 2, 1, 1))
    assert invoices_auto_advance(invoice_ids=due_draft_ids()) == 1
    assert (_cycle().status, Charge.objects.count()) == (status, charges)


def test_a_one_off_draft_is_finalized_and_charged(acme, at):
    customer = customer_create(
        account=acme.account, params={"email": "o@example.com", "source": "tok_visa"}, actor=SYSTEM
    )
    invoice = Invoice.objects.create(
        account=acme.account,
        customer=customer,
        status="draft",
        currency="usd",
        period_start=utc(2025, 1, 1),
        period_end=utc(2025, 1, 1),
        subtotal=1200,
        total=1200,
        amount_due=1200,
        automatically_finalizes_at=utc(2025, 1, 1, 1),
        created_at=utc(2025, 1, 1),
    )
    InvoiceLine.objects.create(
        account=acme.account,
        invoice=invoice,
        kind="invoice_item",
        period_start=utc(2025, 1, 1),
        period_end=utc(2025, 1, 1),
        amount=1200,
        currency="usd",
    )
    at(utc(2025, 1, 1, 1))
    assert due_draft_ids() == [invoice.id]
    assert invoices_auto_advance(invoice_ids=[invoice.id, invoice.id]) == 1
    invoice.refresh_from_db()
    assert (invoice.status, invoice.amount_paid) == ("paid", 1200)
    assert Charge.objects.get().amount == 1200
