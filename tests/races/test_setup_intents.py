"""A setup intent confirmed by many simultaneous requests from two processes: one setup, one
card attached, one ``setup_intent.succeeded``."""

from collections import Counter

import requests

from apps.core.models import Event
from apps.customers.models import PaymentMethod
from apps.payments.models import SetupIntent
from tests.conftest import make_account
from tests.races.conftest import RACERS, post_all


def _post(url: str, key: str, path: str, **data) -> dict:
    response = requests.post(
        f"{url}{path}", data=data, headers={"Authorization": f"Bearer {key}"}, timeout=30
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_twenty_confirms_of_one_setup_intent_attach_one_card(two_processes):
    acme = make_account("Acme")
    customer = _post(two_processes, acme.secret_key, "/v1/customers", email="ada@example.com")
    setup = _post(
        two_processes,
        acme.secret_key,
        "/v1/setup_intents",
        customer=customer["id"],
        payment_method="pm_card_visa",
    )
    assert setup["status"] == "requires_confirmation"

    responses = post_all(two_processes, acme.secret_key, f"/v1/setup_intents/{setup['id']}/confirm")

    codes = Counter(
        (r.status_code, r.json().get("error", {}).get("code") if r.status_code != 200 else None)
        for r in responses
    )
    assert codes == {(200, None): 1, (400, "setup_intent_unexpected_state"): RACERS - 1}
    assert SetupIntent.objects.get(id=setup["id"]).status == "succeeded"
    assert PaymentMethod.objects.filter(customer_id=customer["id"]).count() == 1
    events = Counter(
        Event.objects.filter(account=acme.account, type__startswith="setup_intent.").values_list(
            "type", flat=True
        )
    )
    assert events == {"setup_intent.created": 1, "setup_intent.succeeded": 1}
