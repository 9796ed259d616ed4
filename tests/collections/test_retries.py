"""Scheduled retries: the default schedule (8 tries in 2 weeks), one claim per slot, skipped
attempts, stale claims, after-last-retry actions, payment-method changes, incomplete expiry."""

from datetime import timedelta

import pytest
from django.db import connection

from apps.collections import retries
from apps.collections.attempts import attempts_claim
from apps.collections.consumers import _Retry
from apps.collections.incomplete import incomplete_expire_due
from apps.collections.models import CollectionSettings, PaymentAttempt
from apps.collections.retries import (
    due_retry_ids,
    invoices_retry,
    retries_claim,
    stale_claims_recover,
)
from apps.core.actor import SYSTEM
from apps.core.errors import InvalidRequestError
from apps.core.models import Event
from apps.customers.api.params import customer_create_parse, customer_update_parse
from apps.customers.models import Customer, PaymentMethod
from apps.customers.services import customer_create, customer_update
from apps.invoices.models import Invoice
from apps.invoices.services import invoice_pay
from apps.payments.models import Charge
from apps.subscriptions.models import Subscription
from apps.subscriptions.services import subscription_create
from tests.collections.dunning import (
    RENEWED_AT,
    START,
    card_fixed,
    failing_renewal,
    subscribe,
)
from tests.factories import PriceFactory
from tests.subscriptions.test_renewal_batches import _concurrently


def _retry_all(at, invoice: Invoice) -> list[PaymentAttempt]:
    """Move the clock to each scheduled retry and run the sweep's work until none is left."""
    while True:
        invoice.refresh_from_db()
        if invoice.next_payment_attempt is None:
            return list(PaymentAttempt.objects.filter(invoice=invoice).order_by("id"))
        at(invoice.next_payment_attempt)
        assert due_retry_ids() == [invoice.id]
        assert invoices_retry(invoice_ids=[invoice.id]) == 1


def _status(invoice: Invoice) -> str:
    return Subscription.objects.get(pk=invoice.subscription_id).status


def test_the_default_schedule_tries_eight_times_within_two_weeks_then_cancels(acme, at):
    invoice = failing_renewal(acme.account, at)

    attempts = _retry_all(at, invoice)

    assert [a.number for a in attempts] == [1, 2, 3, 4, 5, 6, 7, 8]
    assert [a.trigger for a in attempts] == ["automatic"] + ["retry"] * 7
    assert {a.outcome for a in attempts} == {"failed"}
    # The last at the window's end (each gap rounded down to the second).
    last = attempts[-1].attempted_at
    assert RENEWED_AT + timedelta(days=14, seconds=-7) <= last <= RENEWED_AT + timedelta(days=14)
    for attempt in attempts[1:]:
        assert attempt.scheduled_for == attempt.attempted_at
        assert Charge.objects.get(id=attempt.charge_id).status == "failed"
    assert Charge.objects.filter(customer_id=invoice.customer_id).count() == 1 + 8
    invoice.refresh_from_db()
    assert (invoice.status, invoice.attempt_count, invoice.next_payment_attempt) == (
        "open",
        8,
        None,
    )
    failed = Event.objects.filter(type="invoice.payment_failed", object_id=invoice.id)
    assert [e.data_object["attempt_count"] for e in failed.order_by("created_at", "id")] == list(
        range(1, 9)
    )
    assert failed.order_by("created_at", "id").last().data_object["next_payment_attempt"] is None
    subscription = Subscription.objects.get(pk=invoice.subscription_id)
    assert subscription.status == "canceled"
    assert subscription.cancellation_details["reason"] == "payment_failed"
    assert Event.objects.filter(
        type="customer.subscription.deleted", object_id=subscription.id
    ).exists()


@pytest.mark.parametrize(
    ("subscription_after", "invoice_after", "status", "invoice_status"),
    [
        ("unpaid", "uncollectible", "unpaid", "uncollectible"),
        ("past_due", "open", "past_due", "open"),
        ("cancel", "uncollectible", "canceled", "uncollectible"),
    ],
)
def test_after_the_last_retry_the_settings_decide(
    acme, at, subscription_after, invoice_after, status, invoice_status
):
    invoice = failing_renewal(
        acme.account,
        at,
        retry_mode="custom",
        retry_delays=[3, 5],
        subscription_after=subscription_after,
        invoice_after=invoice_after,
    )

    attempts = _retry_all(at, invoice)

    assert [a.attempted_at for a in attempts] == [
        RENEWED_AT,
        RENEWED_AT + timedelta(days=3),
        RENEWED_AT + timedelta(days=8),
    ]
    invoice.refresh_from_db()
    assert (invoice.status, _status(invoice)) == (invoice_status, status)
    marked = Event.objects.filter(type="invoice.marked_uncollectible", object_id=invoice.id)
    assert marked.exists() == (invoice_status == "uncollectible")


def test_an_unpaid_subscription_keeps_renewing_with_drafts_never_attempted(acme, at):
    from apps.subscriptions.services import subscription_renew

    invoice = failing_renewal(acme.account, at, retry_mode="custom", retry_delays=[3])
    CollectionSettings.objects.filter(account=acme.account).update(subscription_after="unpaid")
    _retry_all(at, invoice)
    assert _status(invoice) == "unpaid"
    charges = Charge.objects.count()

    at(RENEWED_AT + timedelta(days=28, hours=2))
    subscription_renew(subscription_id=invoice.subscription_id)

    second = Invoice.objects.filter(subscription_id=invoice.subscription_id).latest("created_at")
    assert (second.status, second.auto_advance, second.attempt_count) == ("draft", False, 0)
    assert Charge.objects.count() == charges
    assert _status(invoice) == "unpaid"


def test_a_later_paid_invoice_leaves_the_subscription_as_it_is(acme, at):
    invoice = failing_renewal(acme.account, at, retry_mode="custom", retry_delays=[3, 60])
    assert _status(invoice) == "past_due"
    Invoice.objects.create(
        account=acme.account,
        customer_id=invoice.customer_id,
        subscription_id=invoice.subscription_id,
        status="paid",
        currency="usd",
        period_start=RENEWED_AT,
        period_end=RENEWED_AT,
        created_at=RENEWED_AT + timedelta(days=30),
    )

    _retry_all(at, invoice)

    assert _status(invoice) == "past_due"


def test_a_slot_is_claimed_once(acme, at):
    invoice = failing_renewal(acme.account, at)
    at(invoice.next_payment_attempt)

    assert invoices_retry(invoice_ids=[invoice.id]) == 1
    assert invoices_retry(invoice_ids=[invoice.id]) == 0
    assert PaymentAttempt.objects.filter(invoice=invoice, trigger="retry").count() == 1
    # The first invoice's, the renewal's, the retry's.
    assert Charge.objects.filter(customer_id=invoice.customer_id).count() == 3


def test_a_retry_not_yet_due_is_not_claimed(acme, at):
    invoice = failing_renewal(acme.account, at)
    at(invoice.next_payment_attempt - timedelta(seconds=1))

    assert due_retry_ids() == []
    assert invoices_retry(invoice_ids=[invoice.id]) == 0
    assert not PaymentAttempt.objects.filter(trigger="retry").exists()


def test_a_successful_retry_pays_and_reactivates(acme, at):
    invoice = failing_renewal(acme.account, at)
    card_fixed(invoice)
    at(invoice.next_payment_attempt)

    invoices_retry(invoice_ids=[invoice.id])

    invoice.refresh_from_db()
    assert (invoice.status, invoice.attempt_count, invoice.next_payment_attempt) == (
        "paid",
        2,
        None,
    )
    retry = PaymentAttempt.objects.get(invoice=invoice, trigger="retry")
    assert (retry.outcome, retry.number, retry.charge_id) == ("succeeded", 2, invoice.charge_id)
    assert _status(invoice) == "active"


def test_a_closed_card_is_not_charged_but_the_attempt_counts(acme, at):
    invoice = failing_renewal(acme.account, at)
    PaymentMethod.objects.filter(pk=invoice.customer.default_source_id).update(closed_at=START)
    charges = Charge.objects.count()
    slot = invoice.next_payment_attempt
    at(slot)

    invoices_retry(invoice_ids=[invoice.id])

    retry = PaymentAttempt.objects.get(invoice=invoice, trigger="retry")
    assert (retry.outcome, retry.number, retry.charge_id) == ("skipped", 2, "")
    assert retry.decline_code == "invalid_account"
    assert Charge.objects.count() == charges
    invoice.refresh_from_db()
    assert invoice.attempt_count == 2
    assert invoice.next_payment_attempt > slot


def test_a_hard_decline_is_not_retried_until_the_card_changes(acme, at):
    invoice = failing_renewal(acme.account, at)
    PaymentAttempt.objects.filter(invoice=invoice).update(decline_code="lost_card")
    card = PaymentMethod.objects.filter(pk=invoice.customer.default_source_id)
    charge = Charge.objects.get(pk=invoice.charge_id)
    # (Row times are real time, the domain clock is frozen here: the card is older.)
    card.update(updated_at=charge.created_at - timedelta(seconds=1))
    charges = Charge.objects.count()
    at(invoice.next_payment_attempt)

    invoices_retry(invoice_ids=[invoice.id])

    assert Charge.objects.count() == charges
    assert PaymentAttempt.objects.get(invoice=invoice, trigger="retry").outcome == "skipped"
    # The card is reissued (it changed since the decline): the next retry charges it.
    card.update(updated_at=charge.created_at + timedelta(seconds=1))
    invoice.refresh_from_db()
    at(invoice.next_payment_attempt)
    invoices_retry(invoice_ids=[invoice.id])
    assert Charge.objects.count() == charges + 1


def test_no_payment_method_skips_the_retry(acme, at):
    invoice = failing_renewal(acme.account, at)
    Customer.objects.filter(pk=invoice.customer_id).update(default_source=None)
    at(invoice.next_payment_attempt)

    invoices_retry(invoice_ids=[invoice.id])

    retry = PaymentAttempt.objects.get(invoice=invoice, trigger="retry")
    assert (retry.outcome, retry.failure_code) == ("skipped", "invoice_no_payment_method")


def test_a_claim_whose_worker_died_before_charging_is_retried_in_a_new_slot(acme, at):
    invoice = failing_renewal(acme.account, at)
    slot = invoice.next_payment_attempt
    at(slot)
    due, claims = retries_claim([invoice.id])  # the worker dies here
    charges = Charge.objects.count()

    at(slot + retries.STALE_AFTER - timedelta(seconds=1))
    assert stale_claims_recover() == 0
    at(slot + retries.STALE_AFTER)
    assert stale_claims_recover() == 1

    claim = PaymentAttempt.objects.get(pk=claims[invoice.id].pk)
    assert (claim.outcome, claim.failure_code, claim.charge_id) == ("failed", "attempt_lost", "")
    invoice.refresh_from_db()
    assert (invoice.attempt_count, invoice.next_payment_attempt) == (1, slot + retries.STALE_AFTER)
    assert Charge.objects.count() == charges
    invoices_retry(invoice_ids=[invoice.id])
    assert Charge.objects.count() == charges + 1
    invoice.refresh_from_db()
    assert invoice.attempt_count == 2


def test_a_claim_whose_worker_died_after_charging_is_completed_from_its_charge(
    acme, at, monkeypatch
):
    from apps.invoices.services import payments as services

    invoice = failing_renewal(acme.account, at)
    card_fixed(invoice)
    slot = invoice.next_payment_attempt
    at(slot)

    def dies(**_):
        raise SystemExit("worker lost")

    monkeypatch.setattr(services, "invoices_outcomes_record", dies)
    with pytest.raises(SystemExit):
        invoices_retry(invoice_ids=[invoice.id])
    monkeypatch.undo()
    claim = PaymentAttempt.objects.get(invoice=invoice, trigger="retry")
    assert claim.outcome == "pending"
    charges = Charge.objects.count()

    at(slot + retries.STALE_AFTER)
    assert stale_claims_recover() == 1
    assert stale_claims_recover() == 0

    claim.refresh_from_db()
    invoice.refresh_from_db()
    assert (claim.outcome, invoice.status, invoice.charge_id) == (
        "succeeded",
        "paid",
        claim.charge_id,
    )
    assert Charge.objects.get(id=claim.charge_id).status == "succeeded"
    assert Charge.objects.count() == charges
    assert _status(invoice) == "active"


def test_a_new_default_card_pays_the_failed_invoice_at_once(
    acme, at, tasks_inline, django_capture_on_commit_callbacks
):
    invoice = failing_renewal(acme.account, at)
    at(RENEWED_AT + timedelta(hours=1))

    with django_capture_on_commit_callbacks(execute=True) as enqueued:
        customer_update(
            account=acme.account,
            customer_id=invoice.customer_id,
            **customer_update_parse({"source": "tok_visa"}),
            actor=SYSTEM,
        )

    # customer.source.created and customer.updated: one retry for the customer (each event's
    # callback shares it; the first to run sends it).
    sent = [getattr(callback, "__self__", None) for callback in enqueued]
    assert len({id(retry) for retry in sent if isinstance(retry, _Retry)}) == 1

    invoice.refresh_from_db()
    assert (invoice.status, invoice.attempt_count, invoice.next_payment_attempt) == (
        "paid",
        1,
        None,
    )
    [attempt] = PaymentAttempt.objects.filter(invoice=invoice, trigger="payment_method")
    assert attempt.outcome == "succeeded"
    assert _status(invoice) == "active"


def test_a_card_change_for_a_customer_who_owes_nothing_charges_nothing(
    acme, at, tasks_inline, django_capture_on_commit_callbacks
):
    subscription = subscribe(acme.account)
    charges = Charge.objects.count()

    with django_capture_on_commit_callbacks(execute=True) as enqueued:
        customer_update(
            account=acme.account,
            customer_id=subscription.customer_id,
            **customer_update_parse({"source": "tok_mastercard"}),
            actor=SYSTEM,
        )

    # The retry is queued at the commit (the request runs no query for it) and, in the worker,
    # finds no failed invoice to try.
    sent = [getattr(callback, "__self__", None) for callback in enqueued]
    assert len({id(retry) for retry in sent if isinstance(retry, _Retry)}) == 1

    assert Charge.objects.count() == charges
    assert not PaymentAttempt.objects.exists()


def test_an_incomplete_subscription_expires_after_23_hours(acme, at):
    from apps.subscriptions.services import ItemRequest

    price = PriceFactory(account=acme.account, unit_amount=900, name="X")
    customer = customer_create(
        account=acme.account,
        **customer_create_parse({"source": "tok_chargeCustomerFail"}),
        actor=SYSTEM,
    )
    subscription = subscription_create(
        account=acme.account, customer=customer, items=[ItemRequest(price)], actor=SYSTEM
    )
    assert subscription.status == "incomplete"
    first = Invoice.objects.get(subscription=subscription)
    assert (first.status, first.next_payment_attempt) == ("open", None)

    at(START + timedelta(hours=22, minutes=59))
    assert incomplete_expire_due() == 0
    at(START + timedelta(hours=23))
    assert incomplete_expire_due() == 1

    subscription.refresh_from_db()
    first.refresh_from_db()
    assert (subscription.status, subscription.ended_at) == (
        "incomplete_expired",
        START + timedelta(hours=23),
    )
    assert first.status == "void"
    deleted = Event.objects.get(type="customer.subscription.deleted", object_id=subscription.id)
    assert deleted.previous_attributes == {"status": "incomplete"}
    assert incomplete_expire_due() == 0


concurrent_writers = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="concurrent writers need a database with row-level locks (PostgreSQL in CI)",
)


@concurrent_writers
def test_two_concurrent_sweeps_attempt_each_slot_once(transactional_db, acme, at):
    invoices = []
    for n in range(6):
        at(START)
        invoices.append(failing_renewal(acme.account, at, email=f"c{n}@example.com"))
    at(max(invoice.next_payment_attempt for invoice in invoices))
    ids = due_retry_ids()
    assert sorted(ids) == sorted(invoice.id for invoice in invoices)

    taken = _concurrently(
        lambda: invoices_retry(invoice_ids=ids[:4]),
        lambda: invoices_retry(invoice_ids=ids[2:]),
        lambda: invoices_retry(invoice_ids=ids),
    )

    # Rows another sweep holds are skipped (skip_locked); a later sweep finds them not due.
    assert sum(taken) == 6
    for invoice in invoices:
        assert PaymentAttempt.objects.filter(invoice=invoice, trigger="retry").count() == 1
        assert Charge.objects.filter(customer_id=invoice.customer_id).count() == 1 + 1 + 1
        invoice.refresh_from_db()
        assert invoice.attempt_count == 2
    assert invoices_retry(invoice_ids=ids) == 0


def test_a_manual_pay_whose_process_died_before_charging_frees_the_invoice(acme, at):
    invoice = failing_renewal(acme.account, at)
    card_fixed(invoice)
    slot = invoice.next_payment_attempt
    invoice.refresh_from_db()
    (claim,) = attempts_claim(account=acme.account, invoices=[invoice], trigger="manual")[
        0
    ].values()  # the process dies here
    with pytest.raises(InvalidRequestError) as busy:
        invoice_pay(account=acme.account, invoice_id=invoice.id)
    assert (busy.value.code, busy.value.http_status) == ("invoice_payment_in_progress", 409)
    charges = Charge.objects.count()

    at(claim.attempted_at + retries.STALE_AFTER)
    assert stale_claims_recover() == 1

    claim.refresh_from_db()
    invoice.refresh_from_db()
    assert (claim.outcome, claim.failure_code, claim.charge_id) == ("failed", "attempt_lost", "")
    # Asked for by staff: not rescheduled by the recovery; the retry schedule stays as it was.
    assert (invoice.status, invoice.next_payment_attempt) == ("open", slot)
    assert Charge.objects.count() == charges
    assert invoice_pay(account=acme.account, invoice_id=invoice.id).status == "paid"
    assert Charge.objects.count() == charges + 1


def test_a_manual_pay_whose_process_died_after_charging_is_completed_from_its_charge(
    acme, at, monkeypatch
):
    from apps.invoices.services import payments as services

    invoice = failing_renewal(acme.account, at)
    card_fixed(invoice)

    def dies(**_):
        raise SystemExit("process lost")

    monkeypatch.setattr(services, "invoices_outcomes_record", dies)
    with pytest.raises(SystemExit):
        services.invoice_pay(account=acme.account, invoice_id=invoice.id)
    monkeypatch.undo()
    claim = PaymentAttempt.objects.get(invoice=invoice, outcome="pending")
    assert claim.trigger == "manual"
    charges = Charge.objects.count()

    at(claim.attempted_at + retries.STALE_AFTER)
    assert stale_claims_recover() == 1

    invoice.refresh_from_db()
    claim.refresh_from_db()
    assert (invoice.status, invoice.charge_id, claim.outcome) == (
        "paid",
        claim.charge_id,
        "succeeded",
    )
    assert Charge.objects.get(id=claim.charge_id).status == "succeeded"
    assert Charge.objects.count() == charges  # recorded from the charge made, never charged again
