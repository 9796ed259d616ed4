"""Manual retries (staff's "retry now"): recorded as payment attempts; they leave attempt_count
and the retry schedule alone unless they pay the invoice (Stripe)."""

from datetime import timedelta

import pytest

from apps.collections.models import PaymentAttempt
from apps.collections.services import invoices_retry_now
from apps.core.actor import SYSTEM
from apps.core.errors import InvalidRequestError
from apps.core.models import Event
from apps.invoices.models import Invoice
from apps.payments.models import Charge
from apps.subscriptions.models import Subscription
from tests.collections.dunning import RENEWED_AT, card_fixed, failing_renewal
from tests.conftest import make_account


def test_a_failed_renewal_is_past_due_with_its_first_attempt_recorded(acme, at):
    invoice = failing_renewal(acme.account, at)

    assert (invoice.status, invoice.attempt_count) == ("open", 1)
    # The default schedule's first retry: 14 days × 1/49 after the first attempt.
    assert invoice.next_payment_attempt == RENEWED_AT + timedelta(seconds=14 * 86_400 // 49)
    assert invoice.subscription.status == "past_due"
    [attempt] = PaymentAttempt.objects.filter(invoice=invoice)
    charge = Charge.objects.get(id=invoice.charge_id)
    assert (attempt.trigger, attempt.number, attempt.outcome) == ("automatic", 1, "failed")
    assert (attempt.charge_id, attempt.payment_method_id) == (charge.id, charge.payment_method_id)
    assert (attempt.failure_code, attempt.decline_code) == ("card_declined", "generic_decline")
    assert (attempt.amount, attempt.currency, attempt.attempted_at) == (2500, "usd", RENEWED_AT)
    failed = Event.objects.get(type="invoice.payment_failed", object_id=invoice.id)
    assert failed.data_object["attempt_count"] == 1
    assert failed.data_object["attempted"] is True
    assert failed.data_object["next_payment_attempt"] == int(
        invoice.next_payment_attempt.timestamp()
    )


def test_a_declined_manual_retry_changes_neither_the_count_nor_the_schedule(acme, at):
    invoice = failing_renewal(acme.account, at)
    at(RENEWED_AT + timedelta(hours=2))

    result = invoices_retry_now(account=acme.account, invoice_ids=[invoice.id], actor=SYSTEM)

    assert result.paid == []
    assert result.failures[invoice.id].extra["decline_code"] == "generic_decline"
    after = Invoice.objects.get(pk=invoice.pk)
    assert (after.status, after.attempt_count) == ("open", 1)
    assert after.next_payment_attempt == invoice.next_payment_attempt
    manual = PaymentAttempt.objects.get(invoice=invoice, trigger="manual")
    assert (manual.number, manual.outcome, manual.scheduled_for) == (1, "failed", None)
    assert manual.attempted_at == RENEWED_AT + timedelta(hours=2)
    assert Subscription.objects.get(pk=invoice.subscription_id).status == "past_due"


def test_a_manual_retry_that_pays_ends_dunning_and_reactivates_the_subscription(acme, at):
    invoice = failing_renewal(acme.account, at)
    card_fixed(invoice)
    at(RENEWED_AT + timedelta(hours=3))

    result = invoices_retry_now(account=acme.account, invoice_ids=[invoice.id], actor=SYSTEM)

    assert (result.paid, result.failures) == ([invoice.id], {})
    after = Invoice.objects.get(pk=invoice.pk)
    assert (after.status, after.attempt_count, after.next_payment_attempt) == ("paid", 1, None)
    manual = PaymentAttempt.objects.get(invoice=invoice, trigger="manual")
    assert (manual.outcome, manual.charge_id) == ("succeeded", after.charge_id)
    subscription = Subscription.objects.get(pk=invoice.subscription_id)
    assert subscription.status == "active"
    updated = Event.objects.filter(
        type="customer.subscription.updated", object_id=subscription.id
    ).latest("created_at", "id")
    assert updated.previous_attributes == {"status": "past_due"}
    assert updated.data_object["status"] == "active"


def test_retry_now_reports_each_invoice_it_could_not_pay(acme, at):
    invoice = failing_renewal(acme.account, at)
    paid = Invoice.objects.get(
        subscription=invoice.subscription, billing_reason="subscription_create"
    )
    other = make_account("Globex")

    result = invoices_retry_now(
        account=acme.account, invoice_ids=[paid.id, "in_missing", invoice.id], actor=SYSTEM
    )

    assert result.paid == []
    assert result.failures["in_missing"].code == "resource_missing"
    assert result.failures[paid.id].code == "invoice_not_open"
    assert result.failures[invoice.id].code == "card_declined"
    # Another account's invoice is unknown to this one.
    elsewhere = invoices_retry_now(account=other.account, invoice_ids=[invoice.id], actor=SYSTEM)
    assert elsewhere.failures[invoice.id].code == "resource_missing"
    assert PaymentAttempt.objects.filter(invoice=invoice, trigger="manual").count() == 1


@pytest.mark.parametrize("ids", [[], "in_1", [""], [1], ["in_1"] * 101])
def test_retry_now_refuses_bad_input(acme, ids):
    with pytest.raises(InvalidRequestError) as refused:
        invoices_retry_now(account=acme.account, invoice_ids=ids, actor=SYSTEM)
    assert refused.value.param == "invoices"
