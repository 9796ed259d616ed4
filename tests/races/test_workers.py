"""Workers against requests: a renewal in progress while the subscription is updated or
canceled, a scheduled retry while staff pay the invoice, webhook replays sent at once. Threads
with a connection each; the clock is set where time matters."""

from collections import Counter
from datetime import timedelta

from apps.collections.models import PaymentAttempt
from apps.collections.retries import invoices_retry
from apps.core import clock
from apps.core.actor import SYSTEM
from apps.core.errors import ApplicationError
from apps.core.models import Event
from apps.invoices.engine.periods import utc
from apps.invoices.models import Invoice
from apps.invoices.services import invoice_pay
from apps.payments.models import Charge
from apps.subscriptions.models import Subscription
from apps.subscriptions.services import (
    subscription_cancel,
    subscription_item_update,
    subscription_renew,
)
from apps.webhooks.models import WebhookDelivery
from apps.webhooks.services import webhook_delivery_replay
from tests.conftest import make_account
from tests.factories import SubscriptionFactory
from tests.races.conftest import RACERS, race
from tests.webhooks.conftest import endpoint_make, event_make


def _outcome(result) -> str:
    return type(result).__name__ if not isinstance(result, ApplicationError) else result.code


def test_cancels_against_renewals_in_progress_bill_the_period_at_most_once(transactional_db, at):
    acme = make_account("Acme")
    subscription = SubscriptionFactory(account=acme.account)
    at(utc(2025, 2, 1, 2))  # due, and late: the renewal finalizes and charges at once

    results = race(
        lambda i: (
            subscription_renew(subscription_id=subscription.id)
            if i % 2
            else subscription_cancel(
                account=acme.account, subscription_id=subscription.id, actor=SYSTEM
            )
        )
    )

    cancels = Counter(_outcome(r) for i, r in enumerate(results) if i % 2 == 0)
    assert cancels == {"Subscription": 1, "resource_missing": RACERS // 2 - 1}
    assert not [r for i, r in enumerate(results) if i % 2 and isinstance(r, Exception)]
    row = Subscription.objects.get(id=subscription.id)
    assert row.status == "canceled"
    cycle = list(Invoice.objects.filter(subscription=row, billing_reason="subscription_cycle"))
    assert len(cycle) <= 1
    assert Charge.objects.filter(account=acme.account).count() == 1 + len(cycle)
    if cycle:
        assert (cycle[0].status, cycle[0].amount_paid) == ("paid", 2500)
    deleted = Event.objects.filter(type="customer.subscription.deleted", object_id=row.id)
    assert deleted.count() == 1


def test_updates_against_renewals_in_progress_renew_once_at_the_new_quantity(transactional_db, at):
    acme = make_account("Acme")
    subscription = SubscriptionFactory(account=acme.account)
    item = subscription.items.get()
    at(utc(2025, 2, 1, 2))

    results = race(
        lambda i: (
            subscription_renew(subscription_id=subscription.id)
            if i % 2
            else subscription_item_update(
                account=acme.account,
                item_id=item.id,
                quantity=3,
                proration_behavior="none",
                actor=SYSTEM,
            )
        )
    )

    # An update that comes before the late renewal finds its period over and is refused.
    refused = {str(r) for r in results if isinstance(r, Exception)}
    assert refused <= {"proration_date must lie within the current period."}, refused
    updated = [r for r in results if type(r).__name__ == "SubscriptionItem"]
    row = Subscription.objects.get(id=subscription.id)
    assert (row.current_period_start, row.current_period_end) == (
        utc(2025, 2, 1),
        utc(2025, 3, 1),
    )
    (cycle,) = Invoice.objects.filter(subscription=row, billing_reason="subscription_cycle")
    assert cycle.total in (2500, 7500)  # the renewal saw the quantity before or after
    assert (cycle.status, cycle.amount_paid) == ("paid", cycle.total)
    assert Charge.objects.filter(account=acme.account).count() == 2
    assert row.items.get().quantity == (3 if updated else 1)


def test_a_scheduled_retry_against_manual_pays_charges_once(transactional_db):
    acme = make_account("Acme")
    subscription = SubscriptionFactory(account=acme.account)
    invoice = Invoice.objects.get(id=subscription.latest_invoice_id)
    # The invoice as a failed first attempt leaves it: open, one attempt, its retry due.
    Invoice.objects.filter(id=invoice.id).update(
        status="open",
        amount_paid=0,
        paid_at=None,
        attempt_count=1,
        billing_reason="subscription_cycle",
        next_payment_attempt=clock.now() - timedelta(minutes=1),
    )
    Charge.objects.filter(account=acme.account).delete()

    results = race(
        lambda i: (
            invoices_retry(invoice_ids=[invoice.id])
            if i % 2
            else invoice_pay(account=acme.account, invoice_id=invoice.id, trigger="manual")
        )
    )

    pays = Counter(_outcome(r) for i, r in enumerate(results) if i % 2 == 0)
    retried = sum(r for i, r in enumerate(results) if i % 2)
    assert set(pays) <= {"Invoice", "invoice_payment_in_progress", "invoice_not_open"}
    assert pays["Invoice"] + retried == 1, (pays, retried)
    row = Invoice.objects.get(id=invoice.id)
    assert (row.status, row.amount_paid, row.next_payment_attempt) == ("paid", 2500, None)
    (charge,) = Charge.objects.filter(account=acme.account)
    assert (charge.status, charge.amount, row.charge_id) == ("succeeded", 2500, charge.id)
    assert not PaymentAttempt.objects.filter(invoice=row, outcome="pending").exists()
    paid = Event.objects.filter(type="invoice.paid", object_id=row.id)
    assert paid.count() == 2  # the first payment, then this one


def test_twenty_replays_of_one_delivery_send_it_again_without_losing_count(
    transactional_db, receiver, eager_tasks
):
    acme = make_account("Acme")
    endpoint_make(acme.account, receiver.url)
    event = event_make(acme.account)
    receiver.wait_for(1)
    (delivery,) = WebhookDelivery.objects.filter(endpoint__account=acme.account)

    results = race(
        lambda _: webhook_delivery_replay(
            account=acme.account, delivery_id=delivery.pk, actor=SYSTEM
        )
    )

    assert not [r for r in results if isinstance(r, Exception)], results
    # Sent inline after each replay's commit: replays that find the delivery already queued
    # join that send. Every send is one recorded attempt, and the event is settled.
    hits = receiver.wait_for(1 + RACERS, timeout=2)
    row = WebhookDelivery.objects.get(pk=delivery.pk)
    assert row.status == "succeeded"
    assert 2 <= len(hits) == row.attempts.count() == row.attempt_count <= 1 + RACERS
    assert {hit.event["id"] for hit in hits} == {event.id}
    assert Event.objects.get(pk=event.pk).pending_webhooks == 0
