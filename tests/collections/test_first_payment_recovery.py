"""A subscription's first payment has two boundaries (apps.invoices.services.payments_begun):
the creation's transaction commits the finalized invoice, its claim and its pending charge
before the processor is called, and one transaction records the charge's outcome with the
invoice's. A worker that dies between them leaves the claim and the charge pending, whether it
died before the processor call or after it; the stale-claim sweep asks the processor again
under the charge's idempotency key and records both outcomes, so the card is charged once."""

from collections import Counter

import pytest

from apps.collections import retries
from apps.collections.models import PaymentAttempt
from apps.collections.retries import stale_claims_recover
from apps.core.models import Event
from apps.invoices.models import Invoice
from apps.invoices.services import payments_begun
from apps.payments.models import BalanceTransaction, Charge
from apps.payments.processors import test as test_processor
from apps.subscriptions.models import Subscription
from tests.collections.dunning import subscribe

PAID_EVENTS = ["charge.succeeded", "invoice.paid", "invoice.payment_succeeded"]


@pytest.fixture
def processor_calls(monkeypatch):
    """How many times the processor was asked to charge, by idempotency key (asked again under
    a key, it answers as it did the first time without charging again)."""
    made: Counter = Counter()
    authorize = test_processor.TestProcessor.authorize

    def counted(self, **kwargs):
        made[kwargs["idempotency_key"]] += 1
        return authorize(self, **kwargs)

    monkeypatch.setattr(test_processor.TestProcessor, "authorize", counted)
    return made


def _dies(**_):
    raise SystemExit("worker lost")


def _died_in_first_payment(acme, monkeypatch, step: str):
    """A subscription created by a worker that dies at ``step`` of its first payment: the
    invoice (open), its pending claim and its pending charge, as committed."""
    with monkeypatch.context() as dying:
        dying.setattr(payments_begun, step, _dies)
        with pytest.raises(SystemExit):
            subscribe(acme.account)
    invoice = Invoice.objects.get(account=acme.account, billing_reason="subscription_create")
    claim = PaymentAttempt.objects.get(invoice=invoice)
    charge = Charge.objects.get(pk=claim.charge_id)
    assert (invoice.status, claim.outcome, charge.status) == ("open", "pending", "pending")
    assert not Event.objects.filter(type__in=PAID_EVENTS).exists()
    return invoice, claim, charge


def _completed(invoice: Invoice, charge: Charge) -> None:
    invoice.refresh_from_db()
    charge.refresh_from_db()
    assert (invoice.status, invoice.charge_id, invoice.amount_paid) == ("paid", charge.id, 2500)
    assert charge.status == "succeeded"
    # A first attempt that paid keeps no attempt row: the claim did its work.
    assert not PaymentAttempt.objects.filter(invoice=invoice).exists()
    assert BalanceTransaction.objects.filter(source_id=charge.id).count() == 1
    assert sorted(Event.objects.filter(type__in=PAID_EVENTS).values_list("type", flat=True)) == (
        PAID_EVENTS
    )
    assert Subscription.objects.get(pk=invoice.subscription_id).status == "active"


def test_a_first_payment_whose_worker_died_after_charging_is_completed_once(
    acme, at, monkeypatch, processor_calls
):
    invoice, claim, charge = _died_in_first_payment(acme, monkeypatch, "charges_outcomes_record")
    assert processor_calls == {f"charge:{charge.id}": 1}

    at(claim.attempted_at + retries.STALE_AFTER)
    assert stale_claims_recover() == 1
    assert stale_claims_recover() == 0

    _completed(invoice, charge)
    # Asked again under the same key: the processor answered as it did, charging nothing more.
    assert processor_calls == {f"charge:{charge.id}": 2}
    assert Charge.objects.count() == 1


def test_a_first_payment_whose_worker_died_before_charging_is_charged_once_by_the_sweep(
    acme, at, monkeypatch, processor_calls
):
    invoice, claim, charge = _died_in_first_payment(acme, monkeypatch, "charges_authorize")
    assert processor_calls == {}

    at(claim.attempted_at + retries.STALE_AFTER - retries.STALE_AFTER / 10)
    assert stale_claims_recover() == 0  # not stale yet: its worker may still be charging
    at(claim.attempted_at + retries.STALE_AFTER)
    assert stale_claims_recover() == 1
    assert stale_claims_recover() == 0

    _completed(invoice, charge)
    assert processor_calls == {f"charge:{charge.id}": 1}
    assert Charge.objects.count() == 1


def test_a_stale_claim_waits_while_the_processor_does_not_answer(
    acme, at, monkeypatch, processor_calls
):
    invoice, claim, charge = _died_in_first_payment(acme, monkeypatch, "charges_outcomes_record")
    at(claim.attempted_at + retries.STALE_AFTER)

    def unreachable(self, **kwargs):
        raise ConnectionError("gateway unreachable")

    with monkeypatch.context() as down:
        down.setattr(test_processor.TestProcessor, "authorize", unreachable)
        assert stale_claims_recover() == 0
    claim.refresh_from_db()
    charge.refresh_from_db()
    assert (claim.outcome, charge.status) == ("pending", "pending")
    assert Invoice.objects.get(pk=invoice.pk).status == "open"

    assert stale_claims_recover() == 1
    _completed(invoice, charge)
    assert processor_calls == {f"charge:{charge.id}": 2}
