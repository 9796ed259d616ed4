"""Payment intents and charges under many simultaneous requests: one charge, one capture, one
event per state change, refunds never above the charge."""

from collections import Counter

import requests

from apps.core.models import Event
from apps.payments.models import BalanceTransaction, Charge, PaymentIntent, Refund
from tests.conftest import make_account
from tests.races.conftest import RACERS, post_all


def _post(url: str, key: str, path: str, **data) -> dict:
    response = requests.post(
        f"{url}{path}", data=data, headers={"Authorization": f"Bearer {key}"}, timeout=30
    )
    assert response.status_code == 200, response.text
    return response.json()


def _intent(url: str, key: str, **data) -> dict:
    return _post(
        url,
        key,
        "/v1/payment_intents",
        amount=2000,
        currency="usd",
        payment_method="pm_card_visa",
        **data,
    )


def _charge(url: str, key: str, **data) -> dict:
    customer = _post(url, key, "/v1/customers", source="tok_visa")
    return _post(
        url, key, "/v1/charges", amount=2000, currency="usd", customer=customer["id"], **data
    )


def _codes(responses) -> Counter:
    return Counter(
        (r.status_code, r.json().get("error", {}).get("code") if r.status_code != 200 else None)
        for r in responses
    )


def _events(account, prefix: str) -> Counter:
    return Counter(
        Event.objects.filter(account=account, type__startswith=prefix).values_list(
            "type", flat=True
        )
    )


def test_twenty_captures_of_one_intent_from_two_processes_capture_once(two_processes):
    acme = make_account("Acme")
    intent = _intent(two_processes, acme.secret_key, capture_method="manual", confirm="true")
    assert intent["status"] == "requires_capture"

    responses = post_all(
        two_processes, acme.secret_key, f"/v1/payment_intents/{intent['id']}/capture"
    )

    assert _codes(responses) == {
        (200, None): 1,
        (400, "payment_intent_unexpected_state"): RACERS - 1,
    }
    row = PaymentIntent.objects.get(id=intent["id"])
    assert (row.status, row.amount_received, row.amount_capturable) == ("succeeded", 2000, 0)
    (charge,) = Charge.objects.filter(account=acme.account)
    assert (charge.captured, charge.amount_captured, charge.capturing_amount) == (
        True,
        2000,
        None,
    )
    assert _events(acme.account, "payment_intent.") == {
        "payment_intent.created": 1,
        "payment_intent.amount_capturable_updated": 1,
        "payment_intent.succeeded": 1,
    }
    assert _events(acme.account, "charge.") == {"charge.succeeded": 1, "charge.captured": 1}
    assert BalanceTransaction.objects.filter(account=acme.account, source_id=charge.id).count() == 1


def test_twenty_captures_of_one_charge_capture_once(two_processes):
    acme = make_account("Acme")
    charge = _charge(two_processes, acme.secret_key, capture="false")

    responses = post_all(
        two_processes, acme.secret_key, f"/v1/charges/{charge['id']}/capture", {"amount": 1500}
    )

    assert _codes(responses) == {(200, None): 1, (400, "charge_already_captured"): RACERS - 1}
    row = Charge.objects.get(id=charge["id"])
    assert (row.captured, row.amount_captured, row.amount_refunded) == (True, 1500, 500)
    assert _events(acme.account, "charge.") == {"charge.succeeded": 1, "charge.captured": 1}


def test_twenty_confirms_of_one_intent_charge_once(two_processes):
    acme = make_account("Acme")
    intent = _intent(two_processes, acme.secret_key)

    responses = post_all(
        two_processes, acme.secret_key, f"/v1/payment_intents/{intent['id']}/confirm"
    )

    assert _codes(responses) == {
        (200, None): 1,
        (400, "payment_intent_unexpected_state"): RACERS - 1,
    }
    (charge,) = Charge.objects.filter(account=acme.account)
    assert (charge.status, charge.captured, charge.amount_captured) == ("succeeded", True, 2000)
    assert PaymentIntent.objects.get(id=intent["id"]).status == "succeeded"
    assert _events(acme.account, "payment_intent.succeeded") == {"payment_intent.succeeded": 1}


def test_twenty_refunds_never_refund_more_than_the_charge(two_processes):
    acme = make_account("Acme")
    charge = _charge(two_processes, acme.secret_key)

    responses = post_all(
        two_processes, acme.secret_key, "/v1/refunds", {"charge": charge["id"], "amount": 150}
    )

    codes = _codes(responses)
    assert codes[(200, None)] == 13  # 13 × 150 = 1950 of 2000
    assert codes[(200, None)] + codes[(400, None)] == RACERS, codes
    refunds = Refund.objects.filter(account=acme.account)
    assert sorted({r.status for r in refunds}) == ["succeeded"]
    assert sum(r.amount for r in refunds) == 1950
    assert Charge.objects.get(id=charge["id"]).amount_refunded == 1950
    assert _events(acme.account, "refund.created") == {"refund.created": 13}
    assert _events(acme.account, "charge.refunded") == {"charge.refunded": 13}
