"""Charges, refunds, balance and payment intents over HTTP."""

from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection

from apps.accounts.models import AuditLogEntry
from apps.core import clock
from apps.core.actor import SYSTEM
from apps.core.errors import InvalidRequestError
from apps.core.models import Event
from apps.customers.services.payment_methods import payment_method_resolve
from apps.payments.fees import processing_fee
from apps.payments.models import BalanceTransaction, Charge, Refund
from apps.payments.processors import test as test_processor
from apps.payments.services import payment_intent_capture, payment_intent_confirm, refund_create
from tests.conftest import make_account
from tests.factories import ChargeFactory, PaymentIntentFactory
from tests.races.conftest import RACERS, race


@pytest.mark.parametrize(
    ("amount", "fee"), [(2000, 88), (1000, 59), (50, 31), (1724, 80), (100_000, 2930)]
)
def test_processing_fee_rounds_half_away_from_zero(amount, fee):
    from decimal import Decimal

    assert processing_fee(amount, percent=Decimal("2.9"), fixed=30) == fee


def test_charge_writes_the_ledger_and_the_balance_moves_with_the_clock(api, acme, at):
    charge = api.post("/v1/charges", {"amount": 2000, "currency": "usd", "source": "tok_visa"})
    assert charge.status_code == 200, charge.content
    txn = BalanceTransaction.objects.get(source_id=charge.json()["id"])
    assert (txn.amount, txn.fee, txn.net) == (2000, 88, 1912)
    assert api.get("/v1/balance").json()["pending"][0]["amount"] == 1912
    at(clock.now() + timedelta(days=2, seconds=1))
    shown = api.get("/v1/balance").json()
    assert shown["available"][0]["amount"] == 1912
    assert shown["pending"][0]["amount"] == 0


def test_partial_refunds_then_over_refund_and_refund_of_a_refund_are_refused(api, acme):
    charge = api.post(
        "/v1/charges", {"amount": 2000, "currency": "usd", "source": "tok_visa"}
    ).json()
    first = api.post(
        "/v1/refunds", {"charge": charge["id"], "amount": 500, "reason": "requested_by_customer"}
    )
    assert first.status_code == 200
    assert first.json()["status"] == "succeeded"
    too_much = api.post("/v1/refunds", {"charge": charge["id"], "amount": 1600})
    assert too_much.status_code == 400
    assert too_much.json()["error"]["param"] == "amount"
    of_refund = api.post("/v1/refunds", {"charge": first.json()["id"]})
    assert of_refund.status_code == 400
    assert "cannot itself be refunded" in of_refund.json()["error"]["message"]
    rest = api.post("/v1/refunds", {"charge": charge["id"]}).json()
    assert rest["amount"] == 1500
    shown = api.get(f"/v1/charges/{charge['id']}").json()
    assert shown["amount_refunded"] == 2000
    assert shown["refunded"] is True
    assert BalanceTransaction.objects.filter(type="refund").count() == 2
    assert Event.objects.filter(type="charge.refunded", object_id=charge["id"]).count() == 2


def test_a_refund_above_what_is_left_of_the_charge_is_refused(acme):
    charge = ChargeFactory(account=acme.account)
    refund_create(account=acme.account, charge_id=charge.id, amount=1500, actor=SYSTEM)
    with pytest.raises(Exception) as caught:
        refund_create(account=acme.account, charge_id=charge.id, amount=600, actor=SYSTEM)
    assert "greater than the unrefunded amount" in str(caught.value)
    assert Refund.objects.filter(charge=charge).count() == 1


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="concurrent refunds need row-level locks: PostgreSQL (CI); SQLite runs one writer",
)
def test_concurrent_refund_reservations_cannot_exceed_the_charge(transactional_db):
    acme = make_account("Acme")
    charge = ChargeFactory(account=acme.account)  # 20.00 USD
    events = Counter(Event.objects.values_list("type", flat=True))
    audit = AuditLogEntry.objects.count()

    outcomes = race(
        lambda _: refund_create(account=acme.account, charge_id=charge.id, amount=600, actor=SYSTEM)
    )

    refunds = [o for o in outcomes if isinstance(o, Refund)]
    refused = [o for o in outcomes if not isinstance(o, Refund)]
    assert len(refunds) == 3  # 3 × 6.00 fit in 20.00, a fourth would not
    assert {type(o) for o in refused} == {InvalidRequestError}
    assert len(refused) == RACERS - 3
    assert {o.param for o in refused} == {"amount"}
    charge.refresh_from_db()
    assert charge.amount_refunded == 1800
    assert Refund.objects.filter(charge=charge).count() == 3
    assert set(Refund.objects.filter(charge=charge).values_list("status", flat=True)) == {
        "succeeded"
    }
    assert BalanceTransaction.objects.filter(type="refund").count() == 3
    written = Counter(Event.objects.values_list("type", flat=True))
    written.subtract(events)
    assert +written == {"refund.created": 3, "charge.refunded": 3}  # one of each per refund
    assert Event.objects.count() == events.total() + 6
    assert set(Event.objects.filter(type="refund.created").values_list("object_id", flat=True)) == {
        refund.id for refund in refunds
    }
    assert AuditLogEntry.objects.count() - audit == 3


def test_a_processor_failure_leaves_a_pending_charge_and_no_ledger_row(acme, monkeypatch):

    def broken(self, **kwargs):
        raise ConnectionError("gateway unreachable")

    monkeypatch.setattr(test_processor.TestProcessor, "authorize", broken)
    with pytest.raises(ConnectionError):
        ChargeFactory(account=acme.account)
    pending = Charge.objects.get(account=acme.account)
    assert pending.status == "pending"
    assert not BalanceTransaction.objects.exists()


def test_manual_capture_partial(api):
    charge = api.post(
        "/v1/charges", {"amount": 3000, "currency": "usd", "source": "tok_visa", "capture": "false"}
    ).json()
    assert charge["captured"] is False
    assert not BalanceTransaction.objects.exists()
    captured = api.post(f"/v1/charges/{charge['id']}/capture", {"amount": 2000}).json()
    assert (captured["captured"], captured["amount_captured"], captured["amount_refunded"]) == (
        True,
        2000,
        1000,
    )
    assert BalanceTransaction.objects.get(source_id=charge["id"]).amount == 2000
    again = api.post(f"/v1/charges/{charge['id']}/capture")
    assert again.status_code == 400


def test_payment_intent_three_d_secure_then_authenticate(api, acme):
    created = api.post(
        "/v1/payment_intents",
        {
            "amount": 1200,
            "currency": "eur",
            "payment_method": "pm_card_threeDSecure2Required",
            "confirm": "true",
        },
    ).json()
    assert created["status"] == "requires_action"
    assert created["next_action"]["type"] == "use_stripe_sdk"
    assert not Charge.objects.exists()
    done = api.post(f"/v1/test_helpers/payment_intents/{created['id']}/authenticate").json()
    assert done["status"] == "succeeded"
    assert done["amount_received"] == 1200
    assert Charge.objects.get().payment_intent_id == created["id"]


def test_payment_intent_decline_off_session_and_manual_capture(api, acme):
    declined = api.post(
        "/v1/payment_intents",
        {
            "amount": 1200,
            "currency": "usd",
            "payment_method": "pm_card_visa_chargeDeclined",
            "confirm": "true",
        },
    )
    assert declined.status_code == 402
    error = declined.json()["error"]
    assert error["payment_intent"]["status"] == "requires_payment_method"
    assert error["decline_code"] == "generic_decline"
    off = api.post(
        "/v1/payment_intents",
        {
            "amount": 1200,
            "currency": "usd",
            "payment_method": "pm_card_threeDSecure2Required",
            "confirm": "true",
            "off_session": "true",
        },
    )
    assert off.status_code == 402
    assert off.json()["error"]["code"] == "authentication_required"
    manual = api.post(
        "/v1/payment_intents",
        {
            "amount": 5000,
            "currency": "usd",
            "payment_method": "pm_card_visa",
            "confirm": "true",
            "capture_method": "manual",
        },
    ).json()
    assert manual["status"] == "requires_capture"
    assert manual["amount_capturable"] == 5000
    captured = api.post(f"/v1/payment_intents/{manual['id']}/capture", {"amount_to_capture": 4000})
    assert captured.json()["status"] == "succeeded"
    assert captured.json()["amount_received"] == 4000
    canceled = api.post(f"/v1/payment_intents/{manual['id']}/cancel")
    assert canceled.status_code == 400


def test_charge_errors_are_stripe_shaped(api):
    assert (
        api.post("/v1/charges", {"amount": 10, "currency": "usd", "source": "tok_visa"}).json()[
            "error"
        ]["code"]
        == "amount_too_small"
    )
    missing = api.post("/v1/charges", {"amount": 1000, "currency": "usd"})
    assert missing.json()["error"]["param"] == "source"
    unknown = api.post("/v1/charges", {"amount": 1000, "currency": "usd", "source": "card_nope"})
    assert unknown.status_code == 404


def test_a_capture_the_processor_never_answered_can_be_asked_for_again(acme, monkeypatch):
    intent = PaymentIntentFactory(account=acme.account, capture_method="manual")
    intent = payment_intent_confirm(
        account=acme.account,
        intent_id=intent.id,
        payment_method=payment_method_resolve(
            account=acme.account, value="pm_card_visa", customer=None, actor=SYSTEM, param="pm"
        ),
        actor=SYSTEM,
    )
    assert intent.status == "requires_capture"

    def unreachable(self, **_):
        raise ConnectionError("gateway unreachable")

    monkeypatch.setattr(test_processor.TestProcessor, "capture", unreachable)
    with pytest.raises(ConnectionError):
        payment_intent_capture(account=acme.account, intent_id=intent.id, amount=None, actor=SYSTEM)
    monkeypatch.undo()
    intent.refresh_from_db()
    charge = Charge.objects.get(id=intent.latest_charge_id)
    # Neither is left claimed: the intent is capturable, the charge not "being captured".
    assert (intent.status, charge.capturing_amount, charge.captured) == (
        "requires_capture",
        None,
        False,
    )

    captured = payment_intent_capture(
        account=acme.account, intent_id=intent.id, amount=None, actor=SYSTEM
    )
    assert (captured.status, captured.amount_received) == ("succeeded", 1000)
    succeeded = Event.objects.filter(account=acme.account, type="payment_intent.succeeded")
    assert succeeded.count() == 1
