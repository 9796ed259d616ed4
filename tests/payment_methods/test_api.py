"""/v1/payment_methods, customer sources, /v1/sources and /v1/tokens over HTTP and the SDK."""

import pytest
import stripe

from apps.core.models import Event
from apps.customers.models import PaymentMethod
from tests.factories import CustomerRowFactory


def test_payment_method_create_attach_list_detach(api, acme):
    customer = CustomerRowFactory(account=acme.account)
    created = api.post(
        "/v1/payment_methods",
        {"type": "card", "card": {"number": "4242424242424242", "exp_month": 8, "exp_year": 2042}},
    )
    assert created.status_code == 200, created.content
    pm = created.json()
    assert pm["object"] == "payment_method"
    assert pm["card"]["last4"] == "4242"
    assert pm["card"]["brand"] == "visa"
    assert pm["customer"] is None
    attached = api.post(f"/v1/payment_methods/{pm['id']}/attach", {"customer": customer.id})
    assert attached.json()["customer"] == customer.id
    listed = api.get(f"/v1/customers/{customer.id}/payment_methods", {"type": "card"}).json()
    assert [row["id"] for row in listed["data"]] == [pm["id"]]
    detached = api.post(f"/v1/payment_methods/{pm['id']}/detach")
    assert detached.json()["customer"] is None
    again = api.post(f"/v1/payment_methods/{pm['id']}/attach", {"customer": customer.id})
    assert again.status_code == 400
    assert again.json()["error"]["type"] == "invalid_request_error"


def test_a_decline_card_is_a_402_card_error_and_nothing_attaches(api, acme):
    customer = CustomerRowFactory(account=acme.account)
    response = api.post(
        "/v1/payment_methods/pm_card_visa_chargeDeclined/attach", {"customer": customer.id}
    )
    assert response.status_code == 402
    error = response.json()["error"]
    assert error["type"] == "card_error"
    assert error["code"] == "card_declined"
    assert error["decline_code"] == "generic_decline"
    assert not PaymentMethod.objects.filter(customer=customer).exists()


def test_raw_numbers_refused_when_wrong(api):
    response = api.post(
        "/v1/payment_methods",
        {"type": "card", "card": {"number": "4242424242424241", "exp_month": 8, "exp_year": 2042}},
    )
    assert response.status_code == 402
    assert response.json()["error"]["code"] == "incorrect_number"
    missing = api.post("/v1/payment_methods", {"type": "card"})
    assert missing.status_code == 400
    assert missing.json()["error"]["param"] == "card"


def test_customer_sources_card_bank_and_wallet(api, acme):
    customer = CustomerRowFactory(account=acme.account)
    card = api.post(f"/v1/customers/{customer.id}/sources", {"source": "tok_visa"}).json()
    bank = api.post(f"/v1/customers/{customer.id}/sources", {"source": "btok_us_verified"}).json()
    wallet_source = api.post(
        "/v1/sources", {"type": "paypal", "owner": {"email": "payer@example.com"}}
    ).json()
    wallet = api.post(
        f"/v1/customers/{customer.id}/sources", {"source": wallet_source["id"]}
    ).json()
    assert (card["object"], card["brand"], card["customer"]) == ("card", "Visa", customer.id)
    assert (bank["object"], bank["last4"], bank["status"]) == ("bank_account", "6789", "new")
    assert (wallet["object"], wallet["type"], wallet["customer"]) == (
        "source",
        "paypal",
        customer.id,
    )
    listed = api.get(f"/v1/customers/{customer.id}/sources").json()
    assert {row["id"] for row in listed["data"]} == {card["id"], bank["id"], wallet["id"]}
    only_cards = api.get(f"/v1/customers/{customer.id}/sources", {"object": "card"}).json()
    assert [row["id"] for row in only_cards["data"]] == [card["id"]]
    deleted = api.delete(f"/v1/customers/{customer.id}/sources/{card['id']}").json()
    assert deleted == {"id": card["id"], "object": "card", "deleted": True}
    assert Event.objects.filter(type="customer.source.created").count() == 3


def test_tokens_are_single_use_and_retrievable(api, acme):
    customer = CustomerRowFactory(account=acme.account)
    token = api.post(
        "/v1/tokens", {"card": {"number": "5555555555554444", "exp_month": 3, "exp_year": 2044}}
    ).json()
    assert token["object"] == "token"
    assert token["card"]["last4"] == "4444"
    assert token["used"] is False
    first = api.post(f"/v1/customers/{customer.id}/sources", {"source": token["id"]})
    assert first.status_code == 200
    assert first.json()["id"] == token["card"]["id"]
    second = api.post(f"/v1/customers/{customer.id}/sources", {"source": token["id"]})
    assert second.status_code == 400
    assert api.get(f"/v1/tokens/{token['id']}").json()["used"] is True


def test_the_official_sdk_round_trip(stripe_sdk, acme):
    customer = CustomerRowFactory(account=acme.account)
    card = stripe.Customer.create_source(customer.id, source="tok_mastercard")
    assert card.object == "card"
    assert card.last4 == "4444"
    pm = stripe.PaymentMethod.attach("pm_card_amex", customer=customer.id)
    assert pm.card.brand == "amex"
    listed = stripe.Customer.list_payment_methods(customer.id, type="card")
    assert {row.id for row in listed.data} == {card.id, pm.id}
    updated = stripe.PaymentMethod.modify(pm.id, metadata={"label": "work"})
    assert updated.metadata["label"] == "work"
    sepa = stripe.PaymentMethod.create(
        type="sepa_debit",
        sepa_debit={"iban": "DE89370400440532013000"},
        billing_details={"name": "Jenny Rosen"},
    )
    assert sepa.sepa_debit.last4 == "3000"
    with pytest.raises(stripe.CardError) as caught:
        stripe.PaymentMethod.attach("pm_card_visa_chargeDeclinedExpiredCard", customer=customer.id)
    assert caught.value.code == "expired_card"
