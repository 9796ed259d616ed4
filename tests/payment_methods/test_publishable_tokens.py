"""A publishable key makes tokens, in the Authorization header or as Stripe.js's ``key``
parameter, and nothing else; a legacy card hash keeps its cardholder name."""

import pytest
import stripe
from django.test import Client
from django.urls import reverse

from apps.core.models import Event
from apps.customers.models import PaymentMethod
from tests.api.routes import v1_routes
from tests.conftest import ApiClient, form_encode
from tests.factories import CustomerRowFactory

CARD = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2040, "cvc": "123"}
# What a publishable key may do: create a token.
ALLOWED = {("token-create", "post")}
CALLS = [
    (route, method)
    for route in v1_routes()
    for method in sorted(route.methods)
    if (route.name, method) not in ALLOWED
]


def test_the_sdk_makes_a_token_with_the_publishable_key(stripe_sdk, acme):
    token = stripe.Token.create(card={**CARD, "name": "Jenny Rosen"}, api_key=acme.publishable_key)
    assert (token.object, token.card.last4, token.card.name) == ("token", "4242", "Jenny Rosen")
    # The secret key spends it, as on Stripe.
    customer = stripe.Customer.create(source=token.id)
    card = stripe.Customer.retrieve_source(customer.id, customer.default_source)
    assert (card.name, card.last4) == ("Jenny Rosen", "4242")


def test_stripe_js_sends_the_key_as_a_parameter(acme):
    body = form_encode({"key": acme.publishable_key, "card": {**CARD, "name": "Ada Lovelace"}})
    response = Client().post("/v1/tokens", body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200, response.content
    token = response.json()
    assert (token["object"], token["card"]["name"]) == ("token", "Ada Lovelace")
    row = PaymentMethod.objects.get(id=token["card"]["id"])
    assert (row.account_id, row.billing_details["name"]) == (acme.id, "Ada Lovelace")


def test_a_secret_key_is_never_taken_as_a_parameter(acme):
    body = form_encode({"key": acme.secret_key, "card": CARD})
    response = Client().post("/v1/tokens", body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 401
    assert "Authorization header" in response.json()["error"]["message"]
    unknown = Client().get("/v1/customers", {"key": "pk_test_unknown"})
    assert unknown.status_code == 401
    assert not PaymentMethod.objects.exists()


def _call(client: Client, method: str, path: str, headers: dict):
    if method == "get":
        return client.get(path, **headers)
    if method == "delete":
        return client.delete(path, **headers)
    return client.post(path, "", content_type="application/x-www-form-urlencoded", **headers)


@pytest.mark.parametrize(
    ("route", "method"), CALLS, ids=[f"{method}:{route.name}" for route, method in CALLS]
)
def test_a_publishable_key_can_do_nothing_else(acme, route, method):
    path = reverse(route.name, kwargs={name: "x_1" for name in route.params})
    before = Event.objects.count()
    for headers, query in (
        ({"HTTP_AUTHORIZATION": f"Bearer {acme.publishable_key}"}, ""),
        ({}, f"?key={acme.publishable_key}"),
    ):
        response = _call(Client(), method, path + query, headers)
        assert response.status_code == 403, (path, response.content)
        assert response.json()["error"]["code"] == "secret_key_required"
    assert Event.objects.count() == before


def test_a_card_hash_source_keeps_the_cardholder_name(api, acme):
    customer = CustomerRowFactory(account=acme.account)
    card = api.post(
        f"/v1/customers/{customer.id}/sources",
        {"source": {"object": "card", **CARD, "name": "Grace Hopper", "address_zip": "94107"}},
    ).json()
    assert (card["name"], card["address_zip"], card["last4"]) == ("Grace Hopper", "94107", "4242")
    shown = api.get(f"/v1/customers/{customer.id}/sources/{card['id']}").json()
    assert shown["name"] == "Grace Hopper"
    paid = (
        ApiClient(acme.secret_key)
        .post(
            "/v1/charges",
            {"amount": 500, "currency": "usd", "customer": customer.id, "source": card["id"]},
        )
        .json()
    )
    assert paid["billing_details"]["name"] == "Grace Hopper"
