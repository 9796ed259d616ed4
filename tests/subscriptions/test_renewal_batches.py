"""Renewals in batches (apps.subscriptions.renewals): one transaction per batch, the same
invoices, numbers, charges, events and audit entries per subscription as one at a time; a
period billed before drops only that subscription's renewal; a declined card leaves only its
subscription past_due; a batch run twice, or two overlapping batches at once, bill and charge
once; a paused item is not billed."""

import threading

import pytest
from django.db import connection

from apps.accounts.models import AuditLogEntry
from apps.core.actor import SYSTEM
from apps.core.models import Event
from apps.customers.models import PaymentMethod
from apps.invoices.engine.periods import utc
from apps.invoices.models import Invoice, InvoiceLine
from apps.payments.models import BalanceTransaction, Charge
from apps.subscriptions.models import Subscription
from apps.subscriptions.services import ItemRequest, subscription_create
from apps.subscriptions.services.collection import due_draft_ids, invoices_auto_advance
from apps.subscriptions.services.renewals import subscriptions_renew_batch
from tests.factories import CustomerFactory, PriceFactory

RENEWAL_EVENTS = [
    "invoice.created",
    "customer.subscription.updated",
    "invoice.finalized",
    "invoice.paid",
    "invoice.payment_succeeded",
]


def _subscriptions(account, count: int) -> list[Subscription]:
    basic, pro = (
        PriceFactory(account=account, unit_amount=amount, name=name)
        for name, amount in (("Basic", 2500), ("Pro", 4000))
    )
    made = []
    for n in range(count):
        customer = CustomerFactory(account=account, email=f"c{n}@example.com", source="tok_visa")
        items = [ItemRequest(basic)] + ([ItemRequest(pro, quantity=2)] if n % 2 else [])
        made.append(
            subscription_create(account=account, customer=customer, items=items, actor=SYSTEM)
        )
    return made


def _types(object_ids: set[str]) -> list[str]:
    return list(
        Event.objects.filter(object_id__in=object_ids)
        .exclude(type="customer.subscription.created")
        .order_by("id")
        .values_list("type", flat=True)
    )


def test_a_late_batch_renews_finalizes_and_charges_each_once(acme, at):
    subscriptions = _subscriptions(acme.account, 4)
    charges, ledger = Charge.objects.count(), BalanceTransaction.objects.count()
    at(utc(2025, 2, 1, 2))  # two hours past the boundary: a late run
    ids = [s.id for s in subscriptions]
    assert subscriptions_renew_batch(subscription_ids=ids) == 4
    cycle = list(Invoice.objects.filter(billing_reason="subscription_cycle").order_by("id"))
    assert [(i.subscription_id, i.total, i.status) for i in cycle] == [
        (s.id, 2500 if n % 2 == 0 else 10500, "paid") for n, s in enumerate(subscriptions)
    ]
    # Numbered after the four first invoices, in one consecutive block.
    assert [int(i.number.rsplit("-", 1)[1]) for i in cycle] == [5, 6, 7, 8]
    assert (Charge.objects.count(), BalanceTransaction.objects.count()) == (
        charges + 4,
        ledger + 4,
    )
    for subscription, invoice in zip(subscriptions, cycle, strict=True):
        subscription.refresh_from_db()
        assert (subscription.current_period_start, subscription.current_period_end) == (
            utc(2025, 2, 1),
            utc(2025, 3, 1),
        )
        assert subscription.latest_invoice_id == invoice.id
        charge = Charge.objects.get(id=invoice.charge_id)
        assert (charge.amount, charge.status, charge.captured) == (invoice.total, "succeeded", True)
        first = Invoice.objects.get(subscription=subscription, billing_reason="subscription_create")
        types = _types({subscription.id, invoice.id})
        assert types == RENEWAL_EVENTS
        assert _types({charge.id}) == ["charge.succeeded"]
        assert first.status == "paid"
        audited = set(
            AuditLogEntry.objects.filter(object_id__in={invoice.id, charge.id}).values_list(
                "action", flat=True
            )
        )
        assert audited == {
            "invoice.created",
            "invoice.finalized",
            "invoice.paid",
            "invoice.payment_succeeded",
            "charge.succeeded",
        }
    # The same batch again (a redelivered task): nothing is due, nothing more is written.
    events = Event.objects.count()
    assert subscriptions_renew_batch(subscription_ids=ids) == 0
    assert (Event.objects.count(), Charge.objects.count()) == (events, charges + 4)


def test_a_period_billed_before_drops_only_that_renewal(acme, at):
    first, billed, third = _subscriptions(acme.account, 3)
    item = billed.items.order_by("id").first()
    InvoiceLine.objects.create(
        account=acme.account,
        invoice=Invoice.objects.get(subscription=billed),
        subscription_item_id=item.id,
        kind="subscription",
        period_start=utc(2025, 2, 1),
        period_end=utc(2025, 3, 1),
        amount=2500,
        currency="usd",
    )
    at(utc(2025, 2, 1))
    renewed = subscriptions_renew_batch(subscription_ids=[first.id, billed.id, third.id])
    assert renewed == 2
    drafts = Invoice.objects.filter(billing_reason="subscription_cycle")
    assert sorted(drafts.values_list("subscription_id", "status")) == sorted(
        [(first.id, "draft"), (third.id, "draft")]
    )
    billed.refresh_from_db()
    assert billed.current_period_end == utc(2025, 2, 1)  # not renewed
    assert not Event.objects.filter(
        object_id=billed.id, type="customer.subscription.updated"
    ).exists()


def test_a_declined_card_in_a_batch_leaves_only_its_subscription_past_due(acme, at):
    good, declined, other = _subscriptions(acme.account, 3)
    PaymentMethod.objects.filter(customer=declined.customer).update(
        test_scenario="decline_insufficient_funds"
    )
    at(utc(2025, 2, 1))
    assert subscriptions_renew_batch(subscription_ids=[good.id, declined.id, other.id]) == 3
    at(utc(2025, 2, 1, 1))
    assert invoices_auto_advance(invoice_ids=due_draft_ids()) == 3
    statuses = dict(Subscription.objects.values_list("id", "status"))
    assert statuses == {good.id: "active", declined.id: "past_due", other.id: "active"}
    failed = Invoice.objects.get(subscription=declined, billing_reason="subscription_cycle")
    assert (failed.status, failed.attempt_count, failed.amount_paid) == ("open", 1, 0)
    assert Charge.objects.get(id=failed.charge_id).status == "failed"
    assert _types({failed.id}) == [
        "invoice.created",
        "invoice.finalized",
        "invoice.payment_failed",
    ]
    assert Invoice.objects.filter(billing_reason="subscription_cycle", status="paid").count() == 2
    # The sweep again: nothing is a due draft any more, nothing is charged twice.
    charges = Charge.objects.count()
    assert invoices_auto_advance(invoice_ids=[failed.id]) == 0
    assert Charge.objects.count() == charges


def test_a_paused_item_is_not_billed_but_stays_on_the_subscription(acme, at):
    from apps.subscriptions.services.record import active_items as _active_items

    _, both = _subscriptions(acme.account, 2)
    pro = both.items.get(price__unit_amount=4000)
    both.items.filter(id=pro.id).update(paused_at=utc(2025, 1, 15))
    assert [item.id for item in _active_items(both)] == [
        item.id for item in both.items.exclude(id=pro.id)
    ]
    at(utc(2025, 2, 1))
    assert subscriptions_renew_batch(subscription_ids=[both.id]) == 1
    draft = Invoice.objects.get(subscription=both, billing_reason="subscription_cycle")
    assert list(draft.lines.values_list("amount", flat=True)) == [2500]
    assert draft.total == 2500
    updated = Event.objects.get(object_id=both.id, type="customer.subscription.updated")
    assert len(updated.data_object["items"]["data"]) == 2  # still on the subscription


def _concurrently(*calls) -> list:
    """Run each call in its own thread (own connection), started together; their answers."""
    start = threading.Barrier(len(calls))
    answers: list = [None] * len(calls)
    failures: list[BaseException] = []

    def run(n, call):
        try:
            start.wait()
            answers[n] = call()
        except BaseException as error:  # reported below; a thread cannot fail the test itself
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n, call)) for n, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == []
    return answers


concurrent_writers = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="concurrent writers need a database with row-level locks (PostgreSQL in CI)",
)


def _charged_once(invoices: list[Invoice]) -> None:
    for invoice in invoices:
        assert invoice.status == "paid"
        assert Charge.objects.filter(customer_id=invoice.customer_id).count() == 2  # first + cycle
        types = _types({invoice.id})
        assert types.count("invoice.finalized") == types.count("invoice.paid") == 1
    numbers = sorted(int(invoice.number.rsplit("-", 1)[1]) for invoice in invoices)
    assert numbers == list(range(len(invoices) + 1, 2 * len(invoices) + 1))  # gapless


@concurrent_writers
def test_two_sweeps_with_overlapping_batches_finalize_and_charge_each_draft_once(
    transactional_db, acme, at
):
    subscriptions = _subscriptions(acme.account, 6)
    at(utc(2025, 2, 1))
    assert subscriptions_renew_batch(subscription_ids=[s.id for s in subscriptions]) == 6
    at(utc(2025, 2, 1, 1))
    drafts = due_draft_ids()
    assert len(drafts) == 6
    advanced = _concurrently(
        lambda: invoices_auto_advance(invoice_ids=drafts[:4]),
        lambda: invoices_auto_advance(invoice_ids=drafts[2:]),
        lambda: invoices_auto_advance(invoice_ids=drafts),
    )
    assert sum(advanced) == 6
    _charged_once(list(Invoice.objects.filter(billing_reason="subscription_cycle")))
    assert Charge.objects.count() == 12


@concurrent_writers
def test_two_late_renewal_batches_with_overlapping_ids_renew_and_charge_each_once(
    transactional_db, acme, at
):
    subscriptions = _subscriptions(acme.account, 6)
    ids = [s.id for s in subscriptions]
    at(utc(2025, 2, 1, 2))  # a late run: each batch finalizes and charges what it renewed
    renewed = _concurrently(
        lambda: subscriptions_renew_batch(subscription_ids=ids[:4]),
        lambda: subscriptions_renew_batch(subscription_ids=ids[2:]),
    )
    # Rows the other batch holds are skipped (skip_locked): they stay due for the next beat.
    assert sum(renewed) <= 6
    subscriptions_renew_batch(subscription_ids=ids)
    cycle = list(Invoice.objects.filter(billing_reason="subscription_cycle"))
    assert sorted(invoice.subscription_id for invoice in cycle) == sorted(ids)
    _charged_once(cycle)
    for subscription in Subscription.objects.all():
        assert subscription.current_period_end == utc(2025, 3, 1)
