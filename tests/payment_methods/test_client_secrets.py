"""``client_secret``: ``<id>_secret_`` and 24 random characters, checked when a client sends it."""

import importlib
import re

from django.apps import apps

from apps.customers.models import PaymentMethod
from tests.api.conftest import assert_error

MIGRATION = importlib.import_module("apps.customers.migrations.0004_paymentmethod_client_secret")


def _mismatch(kind: str) -> dict:
    return {
        "type": "invalid_request_error",
        "message": "The client_secret provided does not match the client_secret associated "
        f"with the {kind}.",
        "param": "client_secret",
    }


def _source(api) -> dict:
    response = api.post("/v1/sources", {"type": "paypal", "owner": {"email": "p@example.com"}})
    assert response.status_code == 200, response.content
    return response.json()


def test_a_source_secret_is_random_and_checked(api):
    # Regression: a source's secret was "<id>_secret", known to anyone who knew its id.
    first, second = _source(api), _source(api)
    for source in (first, second):
        assert re.fullmatch(rf"{source['id']}_secret_[0-9A-Za-z]{{24}}", source["client_secret"])
    assert first["client_secret"][-24:] != second["client_secret"][-24:]
    path = f"/v1/sources/{first['id']}"
    assert api.get(path, {"client_secret": first["client_secret"]}).status_code == 200
    for wrong in (f"{first['id']}_secret", second["client_secret"]):
        assert_error(api.get(path, {"client_secret": wrong}), 400, _mismatch("source"))


def test_a_payment_intent_secret_is_checked(api):
    intent = api.post("/v1/payment_intents", {"amount": 1000, "currency": "usd"}).json()
    assert re.fullmatch(rf"{intent['id']}_secret_[0-9A-Za-z]{{24}}", intent["client_secret"])
    path = f"/v1/payment_intents/{intent['id']}"
    assert api.get(path, {"client_secret": intent["client_secret"]}).status_code == 200
    wrong = intent["client_secret"][:-1] + ("A" if intent["client_secret"][-1] != "A" else "B")
    assert_error(api.get(path, {"client_secret": wrong}), 400, _mismatch("PaymentIntent"))
    confirm = api.post(
        f"{path}/confirm", {"client_secret": wrong, "payment_method": "pm_card_visa"}
    )
    assert_error(confirm, 400, _mismatch("PaymentIntent"))
    assert api.get(path).json()["status"] == intent["status"]


def test_sources_made_before_the_migration_get_a_random_secret(api):
    source = _source(api)
    PaymentMethod.objects.filter(id=source["id"]).update(client_secret="")
    MIGRATION.sources_secrets_generate(apps, None)
    secret = PaymentMethod.objects.get(id=source["id"]).client_secret
    assert re.fullmatch(rf"{source['id']}_secret_[0-9A-Za-z]{{24}}", secret)
    assert secret != source["client_secret"]
