"""/v1/setup_intents through the official SDK: a card is saved for later payments, asks for
3-D Secure when it must, fails with its decline code, and is attached to the customer on
success; every status move goes through the table with its event."""

import pytest
import stripe

from apps.accounts.enums import Access
from apps.core.actor import SYSTEM
from apps.core.errors import InvalidRequestError
from apps.core.models import Event
from apps.customers.models import PaymentMethod
from apps.customers.services.payment_methods import payment_method_resolve
from apps.payments.enums import SetupIntentStatus as T
from apps.payments.models import SetupIntent
from apps.payments.services.setup_intents import setup_intent_confirm, setup_intent_create
from apps.payments.transitions import SETUP_INTENT_EVENTS, SETUP_INTENT_MOVES, setup_intent_move
from tests.api.conftest import restricted_key
from tests.conftest import ApiClient
from tests.stripe_examples import assert_stripe_shape

MOVES = [(before, after) for before, targets in SETUP_INTENT_MOVES.items() for after in targets]
REFUSED = [
    (before, after)
    for before in T.values
    for after in T.values
    if after not in SETUP_INTENT_MOVES[before]
]


def _events(setup_id: str) -> list[str]:
    return list(
        Event.objects.filter(object_id=setup_id)
        .order_by("created_at", "id")
        .values_list("type", flat=True)
    )


def test_a_card_saved_for_later(stripe_sdk):
    customer = stripe.Customer.create(email="s@example.com")
    setup = stripe.SetupIntent.create(
        customer=customer.id, usage="off_session", metadata={"plan": "gold"}
    )
    assert_stripe_shape(setup, "setup_intent")
    assert (setup.status, setup.usage, setup.payment_method_types) == (
        "requires_payment_method",
        "off_session",
        ["card"],
    )
    assert setup.client_secret.startswith(f"{setup.id}_secret_")
    updated = stripe.SetupIntent.modify(setup.id, payment_method="pm_card_visa")
    assert updated.status == "requires_confirmation"
    done = stripe.SetupIntent.confirm(setup.id)
    assert (done.status, done.last_setup_error) == ("succeeded", None)
    saved = PaymentMethod.objects.get(id=done.payment_method)
    assert saved.customer_id == customer.id
    assert [pm.id for pm in stripe.Customer.list_payment_methods(customer.id).data] == [saved.id]
    assert _events(setup.id) == ["setup_intent.created", "setup_intent.succeeded"]
    assert stripe.SetupIntent.retrieve(setup.id).metadata.plan == "gold"
    listed = stripe.SetupIntent.list(customer=customer.id)
    assert [s.id for s in listed.data] == [setup.id]


def test_create_and_confirm_at_once(stripe_sdk):
    customer = stripe.Customer.create(email="c@example.com")
    setup = stripe.SetupIntent.create(
        customer=customer.id,
        payment_method="pm_card_mastercard",
        payment_method_types=["card"],
        usage="on_session",
        confirm=True,
    )
    assert (setup.status, setup.usage) == ("succeeded", "on_session")
    assert PaymentMethod.objects.get(id=setup.payment_method).customer_id == customer.id


def test_a_card_that_needs_authentication(stripe_sdk):
    customer = stripe.Customer.create(email="a@example.com")
    setup = stripe.SetupIntent.create(
        customer=customer.id, payment_method="pm_card_threeDSecure2Required", confirm=True
    )
    assert setup.status == "requires_action"
    assert setup.next_action.type == "use_stripe_sdk"
    assert PaymentMethod.objects.get(id=setup.payment_method).customer_id is None
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe.SetupIntent.confirm(setup.id)
    assert caught.value.code == "setup_intent_unexpected_state"
    response = stripe.SetupIntent._static_request(
        "post", f"/v1/test_helpers/setup_intents/{setup.id}/authenticate"
    )
    assert response.status == "succeeded"
    assert PaymentMethod.objects.get(id=response.payment_method).customer_id == customer.id
    assert _events(setup.id) == [
        "setup_intent.created",
        "setup_intent.requires_action",
        "setup_intent.succeeded",
    ]


def test_failed_authentication_then_another_card(stripe_sdk):
    setup = stripe.SetupIntent.create(payment_method="pm_card_threeDSecure2Required", confirm=True)
    failed = stripe.SetupIntent._static_request(
        "post",
        f"/v1/test_helpers/setup_intents/{setup.id}/authenticate",
        params={"outcome": "fail"},
    )
    assert (failed.status, failed.payment_method) == ("requires_payment_method", None)
    assert failed.last_setup_error.code == "setup_intent_authentication_failure"
    done = stripe.SetupIntent.confirm(setup.id, payment_method="pm_card_visa")
    assert (done.status, done.last_setup_error) == ("succeeded", None)
    assert _events(setup.id) == [
        "setup_intent.created",
        "setup_intent.requires_action",
        "setup_intent.setup_failed",
        "setup_intent.succeeded",
    ]


@pytest.mark.parametrize(
    ("payment_method", "code", "decline_code"),
    [
        ("pm_card_visa_chargeDeclined", "card_declined", "generic_decline"),
        ("pm_card_visa_chargeDeclinedInsufficientFunds", "card_declined", "insufficient_funds"),
        ("pm_card_visa_chargeDeclinedExpiredCard", "expired_card", "expired_card"),
    ],
)
def test_a_declining_card_fails_with_its_decline_code(
    stripe_sdk, payment_method, code, decline_code
):
    customer = stripe.Customer.create(email="d@example.com")
    setup = stripe.SetupIntent.create(customer=customer.id, payment_method=payment_method)
    with pytest.raises(stripe.CardError) as caught:
        stripe.SetupIntent.confirm(setup.id)
    assert (caught.value.code, caught.value.error.decline_code) == (code, decline_code)
    assert caught.value.error.setup_intent.id == setup.id
    after = stripe.SetupIntent.retrieve(setup.id)
    assert (after.status, after.payment_method) == ("requires_payment_method", None)
    assert (after.last_setup_error.code, after.last_setup_error.decline_code) == (
        code,
        decline_code,
    )
    assert not PaymentMethod.objects.filter(customer_id=customer.id).exists()
    failed = Event.objects.get(type="setup_intent.setup_failed")
    assert failed.data_object["last_setup_error"]["decline_code"] == decline_code


def test_cancel_and_what_cannot_happen(stripe_sdk):
    setup = stripe.SetupIntent.create()
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe.SetupIntent.confirm(setup.id)
    assert caught.value.param == "payment_method"
    canceled = stripe.SetupIntent.cancel(setup.id, cancellation_reason="abandoned")
    assert (canceled.status, canceled.cancellation_reason) == ("canceled", "abandoned")
    for attempt in (
        lambda: stripe.SetupIntent.confirm(setup.id, payment_method="pm_card_visa"),
        lambda: stripe.SetupIntent.cancel(setup.id),
        lambda: stripe.SetupIntent.modify(setup.id, payment_method="pm_card_visa"),
    ):
        with pytest.raises(stripe.InvalidRequestError) as caught:
            attempt()
        assert caught.value.code == "setup_intent_unexpected_state"
    assert stripe.SetupIntent.modify(setup.id, metadata={"a": "b"}).metadata.a == "b"
    assert _events(setup.id) == ["setup_intent.created", "setup_intent.canceled"]
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe.SetupIntent.create(payment_method_types=["sepa_debit"])
    assert caught.value.param == "payment_method_types"


def test_a_restricted_key_needs_the_setup_intents_permission(acme):
    reader = ApiClient(restricted_key(acme.account, {"setup_intents": Access.READ}))
    other = ApiClient(restricted_key(acme.account, {"customers": Access.WRITE}))
    assert reader.get("/v1/setup_intents").status_code == 200
    refused = reader.post("/v1/setup_intents", {})
    assert refused.status_code == 403
    assert "'setup_intents: write'" in refused.json()["error"]["message"]
    assert other.get("/v1/setup_intents").status_code == 403
    assert SetupIntent.objects.count() == 0


def _setup_in(account, status: str) -> SetupIntent:
    setup = setup_intent_create(
        account=account,
        customer=None,
        payment_method=None,
        payment_method_types=["card"],
        usage="off_session",
        description="",
        metadata={},
        actor=SYSTEM,
    )
    SetupIntent.objects.filter(pk=setup.pk).update(status=status)
    return SetupIntent.objects.select_related("account").get(pk=setup.pk)


def test_the_table_names_every_status():
    assert set(SETUP_INTENT_MOVES) == set(T.values)
    assert set(SETUP_INTENT_EVENTS) <= set(MOVES)
    assert SETUP_INTENT_MOVES[T.SUCCEEDED] == SETUP_INTENT_MOVES[T.CANCELED] == frozenset()


@pytest.mark.parametrize(("before", "after"), MOVES)
def test_an_allowed_move_is_made_with_its_event(acme, before, after):
    setup = _setup_in(acme.account, before)
    setup_intent_move(setup, after, actor=SYSTEM)
    assert SetupIntent.objects.get(pk=setup.pk).status == after
    expected = SETUP_INTENT_EVENTS.get((before, after))
    assert _events(setup.id)[1:] == ([expected] if expected else [])


@pytest.mark.parametrize(("before", "after"), REFUSED)
def test_any_other_move_is_refused_and_changes_nothing(acme, before, after):
    setup = _setup_in(acme.account, before)
    with pytest.raises(InvalidRequestError) as error:
        setup_intent_move(setup, after, actor=SYSTEM)
    assert error.value.code == "setup_intent_unexpected_state"
    assert SetupIntent.objects.get(pk=setup.pk).status == before
    assert _events(setup.id) == ["setup_intent.created"]


class UnreachableProcessor:
    """A gateway that does not answer (the network is down)."""

    def setup(self, **kwargs):
        raise ConnectionError("no route to the gateway")


def test_a_processor_that_does_not_answer_releases_the_intent(acme, settings):
    setup = setup_intent_create(
        account=acme.account,
        customer=None,
        payment_method=None,
        payment_method_types=["card"],
        usage="off_session",
        description="",
        metadata={},
        actor=SYSTEM,
    )
    pm = payment_method_resolve(
        account=acme.account, value="pm_card_visa", customer=None, actor=SYSTEM, param="pm"
    )
    settings.PAYMENT_PROCESSORS = {"test": f"{__name__}.UnreachableProcessor"}
    with pytest.raises(ConnectionError):
        setup_intent_confirm(
            account=acme.account, setup_id=setup.id, payment_method=pm, actor=SYSTEM
        )
    row = SetupIntent.objects.get(pk=setup.pk)
    assert (row.status, row.last_setup_error["type"]) == ("requires_payment_method", "api_error")
    settings.PAYMENT_PROCESSORS = {}
    done = setup_intent_confirm(
        account=acme.account, setup_id=setup.id, payment_method=None, actor=SYSTEM
    )
    assert (done.status, done.last_setup_error) == ("succeeded", None)
