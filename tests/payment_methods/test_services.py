"""Payment method services: tokenization, fingerprints, attach rules, defaults, events."""

import pytest

from apps.core.actor import SYSTEM
from apps.core.errors import CardError, InvalidRequestError
from apps.core.models import Event
from apps.customers.models import Customer, PaymentMethod
from apps.customers.services.payment_methods import (
    bank_account_verify,
    customer_source_add,
    payment_method_attach,
    payment_method_create,
    payment_method_detach,
    payment_method_resolve,
    payment_method_update,
    source_create,
    token_create,
    token_id,
)
from apps.customers.services.payment_methods.inputs import card_entry
from apps.customers.services.payment_methods.requests import (
    CardEntry,
    NewPaymentMethod,
    NewSource,
    NewToken,
    PaymentMethodChange,
)
from tests.factories import CustomerRowFactory


def _card(account, number="4242424242424242", **extra):
    card = {"number": number, "exp_month": "12", "exp_year": "2040", **extra}
    return payment_method_create(
        account=account,
        request=NewPaymentMethod(type="card", card=card_entry(card, param="card")),
        actor=SYSTEM,
    )


def test_a_card_keeps_brand_last4_expiry_and_never_the_number(acme):
    pm = _card(acme.account, "5555 5555 5555 4444")
    row = PaymentMethod.objects.get(pk=pm.pk)
    assert (row.brand, row.last4, row.exp_month, row.exp_year) == ("mastercard", "4444", 12, 2040)
    assert row.id.startswith("pm_")
    stored = " ".join(str(v) for v in PaymentMethod.objects.values_list().get(pk=pm.pk))
    assert "5555555555554444" not in stored


def test_same_card_same_fingerprint_within_an_account_only(acme, globex):
    first, second = _card(acme.account), _card(acme.account)
    other_card = _card(acme.account, "4000056655665556")
    elsewhere = _card(globex.account)
    assert first.fingerprint == second.fingerprint
    assert first.fingerprint != other_card.fingerprint
    assert first.fingerprint != elsewhere.fingerprint


@pytest.mark.parametrize(
    ("number", "extra", "code"),
    [
        ("4242424242424241", {}, "incorrect_number"),
        ("4111111111111111", {}, "card_declined"),
        ("4242424242424242", {"exp_month": "13"}, "invalid_expiry_month"),
        ("4242424242424242", {"exp_year": "2001"}, "invalid_expiry_year"),
    ],
)
def test_bad_card_details_are_card_errors_and_write_nothing(acme, number, extra, code):
    with pytest.raises(CardError) as caught:
        _card(acme.account, number, **extra)
    assert caught.value.code == code
    assert PaymentMethod.objects.count() == 0


def test_decline_cards_cannot_be_attached_but_charge_customer_fail_can(acme):
    customer = CustomerRowFactory(account=acme.account)
    with pytest.raises(CardError) as caught:
        payment_method_attach(
            account=acme.account,
            payment_method_id="pm_card_visa_chargeDeclinedInsufficientFunds",
            customer=customer,
            actor=SYSTEM,
        )
    assert caught.value.extra["decline_code"] == "insufficient_funds"
    assert not PaymentMethod.objects.filter(customer=customer).exists()
    attached = payment_method_attach(
        account=acme.account,
        payment_method_id="pm_card_chargeCustomerFail",
        customer=customer,
        actor=SYSTEM,
    )
    assert attached.customer_id == customer.id
    assert Event.objects.filter(type="payment_method.attached", object_id=attached.id).exists()


def test_first_source_becomes_default_and_detaching_clears_it(acme):
    customer = CustomerRowFactory(account=acme.account)
    card = customer_source_add(
        account=acme.account, customer=customer, source="tok_visa", actor=SYSTEM
    )
    second = customer_source_add(
        account=acme.account, customer=customer, source="tok_mastercard", actor=SYSTEM
    )
    customer.refresh_from_db()
    assert card.id.startswith("card_")
    assert customer.default_source_id == card.id
    updated = Event.objects.get(type="customer.updated", object_id=customer.id)
    assert updated.previous_attributes == {"default_source": None}
    assert updated.data_object["default_source"] == card.id
    payment_method_detach(
        account=acme.account, payment_method_id=card.id, actor=SYSTEM, customer=customer
    )
    customer.refresh_from_db()
    assert customer.default_source_id is None
    assert Event.objects.filter(type="customer.source.deleted", object_id=card.id).exists()
    assert PaymentMethod.objects.get(pk=second.pk).customer_id == customer.id


def test_a_token_is_spent_once(acme):
    customer = CustomerRowFactory(account=acme.account)
    _, row = token_create(
        account=acme.account,
        request=NewToken(card=CardEntry("4242424242424242", exp_month=1, exp_year=2041)),
        actor=SYSTEM,
    )
    token = token_id(row)
    card = customer_source_add(account=acme.account, customer=customer, source=token, actor=SYSTEM)
    assert card.id == row.id
    assert card.customer_id == customer.id
    with pytest.raises(InvalidRequestError) as caught:
        customer_source_add(account=acme.account, customer=customer, source=token, actor=SYSTEM)
    assert caught.value.code == "token_already_used"


def test_sepa_wallet_and_bank_sources(acme):
    customer = CustomerRowFactory(account=acme.account)
    with pytest.raises(InvalidRequestError) as caught:
        source_create(
            account=acme.account,
            request=NewSource(
                type="sepa_debit", iban="DE00370400440532013000", owner={"name": "Jenny"}
            ),
            actor=SYSTEM,
        )
    assert caught.value.code == "invalid_iban"
    sepa = source_create(
        account=acme.account,
        request=NewSource(
            type="sepa_debit", iban="DE89 3704 0044 0532 0130 00", owner={"name": "Jenny Rosen"}
        ),
        actor=SYSTEM,
    )
    wallet = source_create(
        account=acme.account,
        request=NewSource(type="paypal", owner={"email": "Payer@Example.com"}),
        actor=SYSTEM,
    )
    for source in (sepa.id, wallet.id, "btok_us_verified"):
        customer_source_add(account=acme.account, customer=customer, source=source, actor=SYSTEM)
    rows = {pm.type: pm for pm in PaymentMethod.objects.filter(customer=customer)}
    assert set(rows) == {"sepa_debit", "paypal", "us_bank_account"}
    assert rows["sepa_debit"].last4 == "3000"
    assert rows["sepa_debit"].country == "DE"
    assert rows["paypal"].details["payer_email"] == "payer@example.com"
    assert rows["us_bank_account"].id.startswith("ba_")


def test_bank_account_verification_takes_the_test_amounts(acme):
    customer = CustomerRowFactory(account=acme.account)
    bank = customer_source_add(
        account=acme.account, customer=customer, source="btok_us_verified", actor=SYSTEM
    )
    with pytest.raises(InvalidRequestError):
        bank_account_verify(
            account=acme.account,
            customer=customer,
            bank_account_id=bank.id,
            amounts=["32", "46"],
            actor=SYSTEM,
        )
    verified = bank_account_verify(
        account=acme.account,
        customer=customer,
        bank_account_id=bank.id,
        amounts=["45", "32"],
        actor=SYSTEM,
    )
    assert verified.details["status"] == "verified"


def test_resolve_follows_stripes_ownership_rules(acme):
    alice, bob = CustomerRowFactory(account=acme.account), CustomerRowFactory(account=acme.account)
    card = customer_source_add(
        account=acme.account, customer=alice, source="tok_visa", actor=SYSTEM
    )
    with pytest.raises(InvalidRequestError) as caught:
        payment_method_resolve(
            account=acme.account, value="tok_visa", customer=alice, actor=SYSTEM, param="source"
        )
    assert caught.value.http_status == 404
    with pytest.raises(InvalidRequestError):
        payment_method_resolve(
            account=acme.account, value=card.id, customer=bob, actor=SYSTEM, param="source"
        )
    assert (
        payment_method_resolve(
            account=acme.account, value=card.id, customer=alice, actor=SYSTEM, param="source"
        )
        == card
    )
    fresh = payment_method_resolve(
        account=acme.account, value="tok_visa", customer=None, actor=SYSTEM, param="source"
    )
    assert fresh.customer_id is None
    assert fresh.test_scenario == "succeed"


def test_attach_twice_to_different_customers_is_refused(acme):
    alice, bob = CustomerRowFactory(account=acme.account), CustomerRowFactory(account=acme.account)
    pm = _card(acme.account)
    payment_method_attach(
        account=acme.account, payment_method_id=pm.id, customer=alice, actor=SYSTEM
    )
    with pytest.raises(InvalidRequestError):
        payment_method_attach(
            account=acme.account, payment_method_id=pm.id, customer=bob, actor=SYSTEM
        )


def test_update_records_previous_attributes(acme):
    customer = CustomerRowFactory(account=acme.account)
    card = customer_source_add(
        account=acme.account, customer=customer, source="tok_visa", actor=SYSTEM
    )
    payment_method_update(
        account=acme.account,
        payment_method_id=card.id,
        customer=customer,
        change=PaymentMethodChange(exp_year="2045", name="Jenny Rosen"),
        actor=SYSTEM,
    )
    event = Event.objects.get(type="customer.source.updated", object_id=card.id)
    assert event.data_object["exp_year"] == 2045
    assert event.previous_attributes["exp_year"] == card.exp_year
    assert event.previous_attributes["name"] is None
    assert Customer.objects.get(pk=customer.pk).default_source_id == card.id
