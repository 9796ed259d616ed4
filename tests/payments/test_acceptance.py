"""ACCEPTANCE P1 (one payment abstraction) and P2 (the test processor), through the stripe SDK."""

import pytest
import stripe

from apps.payments.models import Charge


def _charge_shape(charge) -> set[str]:
    return set(charge.to_dict())


def test_p1_card_bank_debit_and_wallet_sources_charge_alike(stripe_sdk):
    customer = stripe.Customer.create(email="jenny@example.com", source="tok_visa")
    card_id = customer.default_source
    bank = stripe.Customer.create_source(customer.id, source="btok_us_verified")
    wallet = stripe.Source.create(type="paypal", owner={"email": "jenny@example.com"})
    stripe.Customer.create_source(customer.id, source=wallet.id)

    fetched = stripe.Customer.retrieve(customer.id, expand=["sources"])
    assert fetched.default_source == card_id
    assert {s.id for s in fetched.sources.data} == {card_id, bank.id, wallet.id}

    charges = [
        stripe.Charge.create(amount=1500, currency="usd", customer=customer.id, source=source)
        for source in (card_id, bank.id, wallet.id)
    ]
    shapes = {frozenset(_charge_shape(c)) for c in charges}
    assert len(shapes) == 1, "every kind of source gives the same charge shape"
    assert [c.source.object for c in charges] == ["card", "bank_account", "source"]
    assert [c.payment_method_details.type for c in charges] == [
        "card",
        "us_bank_account",
        "paypal",
    ]
    assert all(c.status == "succeeded" and c.paid for c in charges)

    # The default source is used when none is named; the legacy card hash still works.
    by_default = stripe.Charge.create(amount=700, currency="usd", customer=customer.id)
    assert by_default.source.id == card_id
    legacy = stripe.Charge.create(
        amount=900,
        currency="usd",
        card={"number": "5555555555554444", "exp_month": 12, "exp_year": 2040, "cvc": "123"},
    )
    assert legacy.source.brand == "MasterCard"
    assert legacy.source.last4 == "4444"


@pytest.mark.parametrize(
    ("token", "code", "decline_code"),
    [
        ("tok_chargeDeclined", "card_declined", "generic_decline"),
        ("tok_chargeDeclinedInsufficientFunds", "card_declined", "insufficient_funds"),
        ("tok_radarBlock", "card_declined", "fraudulent"),
    ],
)
def test_p2_declines_are_card_errors_with_the_failed_charge_recorded(
    stripe_sdk, token, code, decline_code
):
    with pytest.raises(stripe.CardError) as caught:
        stripe.Charge.create(amount=2000, currency="usd", source=token)
    error = caught.value
    assert error.code == code
    assert error.error.decline_code == decline_code
    failed = Charge.objects.get(id=error.error.charge)
    assert failed.status == "failed"
    shown = stripe.Charge.retrieve(failed.id)
    assert shown.status == "failed"
    assert shown.outcome.type == ("blocked" if token == "tok_radarBlock" else "issuer_declined")


def test_p2_raw_numbers_success_and_dispute_flag(stripe_sdk):
    ok = stripe.Charge.create(
        amount=2000,
        currency="usd",
        card={"number": "4242424242424242", "exp_month": 1, "exp_year": 2041},
    )
    assert ok.status == "succeeded"
    assert ok.outcome.type == "authorized"
    disputed = stripe.Charge.create(amount=2000, currency="usd", source="tok_createDispute")
    assert disputed.status == "succeeded"
    assert Charge.objects.get(id=disputed.id).dispute_reason_pending == "fraudulent"
    with pytest.raises(stripe.CardError) as caught:
        stripe.Charge.create(
            amount=2000,
            currency="usd",
            card={"number": "4000000000000002", "exp_month": 1, "exp_year": 2041},
        )
    assert caught.value.code == "card_declined"
