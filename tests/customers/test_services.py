"""Customer services: the balance ledger, soft delete, updates with their events, test clocks,
default payment methods, notes and tax ids; failures write nothing."""

import threading
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from django.db import connection

from apps.accounts.models import AuditLogEntry
from apps.core.actor import SYSTEM, Actor
from apps.core.errors import ApplicationError, InvalidRequestError, ResourceMissingError
from apps.core.models import Event
from apps.customers.api.params import customer_update_parse
from apps.customers.models import Customer, CustomerBalanceTransaction, PaymentMethod, TaxId
from apps.customers.render import customer_render
from apps.customers.selectors import customer_balance, customer_get, customer_timeline
from apps.customers.services import balance as balance_module
from apps.customers.services import (
    balance_transaction_update,
    customer_balance_adjust,
    customer_delete,
    customer_update,
    note_create,
    note_delete,
    note_update,
    tax_id_create,
    tax_id_delete,
)
from apps.customers.services.payment_methods import payment_method_attach, payment_method_detach
from apps.subscriptions.services import test_clocks
from tests.factories import CustomerFactory


def _adjust(customer, amount, currency="usd", **kwargs):
    return customer_balance_adjust(
        account=customer.account,
        customer=customer,
        amount=amount,
        currency=currency,
        actor=SYSTEM,
        **kwargs,
    )


def _counts():
    return (
        CustomerBalanceTransaction.objects.count(),
        Event.objects.count(),
        AuditLogEntry.objects.count(),
    )


# --- the ledger ---


def test_ledger_rows_carry_running_ending_balances(acme):
    customer = CustomerFactory(account=acme.account)
    assert customer_balance(customer) == 0
    rows = [_adjust(customer, amount) for amount in (-1500, 400, 1100, 250)]
    assert [row.ending_balance for row in rows] == [-1500, -1100, 0, 250]
    assert customer_balance(customer) == 250
    customer.refresh_from_db()
    assert customer.currency == "usd"
    assert customer_render(customer)["balance"] == 250


def test_each_adjustment_is_a_customer_updated_event_with_the_previous_balance(acme):
    customer = CustomerFactory(account=acme.account)
    _adjust(customer, -500, description="Goodwill")
    _adjust(customer, 200)
    events = list(Event.objects.filter(type="customer.updated").order_by("id"))
    assert [e.previous_attributes for e in events] == [
        {"balance": 0, "currency": None},
        {"balance": -500},
    ]
    assert [e.data_object["balance"] for e in events] == [-500, -300]
    assert not Event.objects.exclude(type__startswith="customer.").exists()
    assert AuditLogEntry.objects.filter(action="customer_balance_transaction.created").count() == 2


def test_another_currency_is_refused_and_writes_nothing(acme):
    customer = CustomerFactory(account=acme.account)
    _adjust(customer, -500, "eur")
    before = _counts()
    with pytest.raises(InvalidRequestError) as caught:
        _adjust(customer, 100, "usd")
    assert caught.value.param == "currency"
    assert _counts() == before
    assert customer_balance(customer) == -500
    assert Customer.objects.get(pk=customer.pk).currency == "eur"


@pytest.mark.parametrize(
    ("amount", "currency", "kwargs", "param"),
    [
        (0, "usd", {}, "amount"),
        (True, "usd", {}, "amount"),
        ("100", "usd", {}, "amount"),
        (10**12, "usd", {}, "amount"),
        (100, "usdollars", {}, "currency"),
        (100, "u$d", {}, "currency"),
        (100, "usd", {"type": "gift"}, "type"),
        (100, "usd", {"description": "x" * 351}, "description"),
    ],
)
def test_bad_adjustments_are_refused(acme, amount, currency, kwargs, param):
    customer = CustomerFactory(account=acme.account)
    before = _counts()
    with pytest.raises(InvalidRequestError) as caught:
        _adjust(customer, amount, currency, **kwargs)
    assert caught.value.param == param
    assert _counts() == before
    assert Customer.objects.get(pk=customer.pk).currency == ""


def test_a_deleted_customer_takes_no_adjustment(acme):
    customer = CustomerFactory(account=acme.account)
    customer_delete(account=acme.account, customer_id=customer.id, actor=SYSTEM)
    with pytest.raises(ResourceMissingError):
        _adjust(customer, 100)
    assert not CustomerBalanceTransaction.objects.exists()


def test_initial_balance_on_create(acme):
    customer = CustomerFactory(account=acme.account, balance=-2500, currency="eur")
    row = CustomerBalanceTransaction.objects.get(customer=customer)
    assert (row.type, row.amount, row.currency, row.ending_balance) == (
        "initial",
        -2500,
        "eur",
        -2500,
    )
    assert customer.currency == "eur"
    assert customer_render(customer)["balance"] == -2500
    # Without a currency, the account's default.
    other = CustomerFactory(account=acme.account, email="b@example.com", balance=300)
    assert CustomerBalanceTransaction.objects.get(customer=other).currency == "usd"


def test_a_bad_initial_balance_leaves_no_customer(acme):
    before = _counts()
    with pytest.raises(InvalidRequestError):
        CustomerFactory(account=acme.account, balance=100, currency="nope")
    assert not Customer.objects.exists()
    assert _counts() == before


def test_only_description_and_metadata_of_a_row_change(acme):
    customer = CustomerFactory(account=acme.account)
    row = _adjust(customer, -500, description="Goodwill", metadata={"ticket": "7"})
    updated = balance_transaction_update(
        account=acme.account,
        customer=customer,
        transaction_id=row.id,
        description="Goodwill credit",
        metadata={"ticket": "", "by": "ann"},
        actor=SYSTEM,
    )
    assert (updated.description, updated.metadata) == ("Goodwill credit", {"by": "ann"})
    assert (updated.amount, updated.ending_balance) == (-500, -500)
    audit = AuditLogEntry.objects.get(action="customer_balance_transaction.updated")
    assert audit.changes["description"] == ["Goodwill", "Goodwill credit"]


def test_a_new_row_sorts_after_a_row_written_in_the_same_millisecond(acme, monkeypatch):
    """The balance is the newest row's: a new id never sorts before the newest one."""
    customer = CustomerFactory(account=acme.account)
    first = _adjust(customer, -500)
    made = iter(["cbtxn_000000000000000000000000", "cbtxn_zzzzzzzzzzzzzzzzzzzzzzzz"])
    monkeypatch.setattr(balance_module, "ids", SimpleNamespace(new_id=lambda prefix: next(made)))
    second = _adjust(customer, 200)
    assert second.id == "cbtxn_zzzzzzzzzzzzzzzzzzzzzzzz"
    assert second.id > first.id
    assert customer_balance(customer) == -300


def test_a_row_from_the_future_stops_the_write(acme, monkeypatch):
    customer = CustomerFactory(account=acme.account)
    _adjust(customer, -500)
    CustomerBalanceTransaction.objects.update(id="cbtxn_zzzzzzzzzzzzzzzzzzzzzzzz")
    monkeypatch.setattr(balance_module, "_ID_WAIT_SECONDS", 0.01)
    before = _counts()
    with pytest.raises(ApplicationError):
        _adjust(customer, 100)
    assert _counts() == before


# --- customers ---


def test_update_records_only_what_changed(acme):
    customer = CustomerFactory(account=acme.account, name="Jenny", metadata={"plan": "pro"})
    customer_update(
        account=acme.account,
        customer_id=customer.id,
        **customer_update_parse(
            {"name": "Jenny Rosen", "metadata": {"seats": "3"}, "email": "jenny@example.com"}
        ),
        actor=SYSTEM,
    )
    event = Event.objects.get(type="customer.updated")
    assert event.previous_attributes == {"name": "Jenny", "metadata": {"plan": "pro"}}
    assert event.data_object["metadata"] == {"plan": "pro", "seats": "3"}
    customer_update(
        account=acme.account,
        customer_id=customer.id,
        **customer_update_parse({"name": "Jenny Rosen"}),
        actor=SYSTEM,
    )
    assert Event.objects.filter(type="customer.updated").count() == 1


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"email": "no-at-sign"}, "email"),
        ({"email": "a@b.co" + "x" * 512}, "email"),
        ({"address": {"planet": "Mars"}}, "address[planet]"),
        ({"address": "Berlin"}, "address"),
        ({"shipping": {"address": {"city": "Berlin"}}}, "shipping[name]"),
        ({"tax_exempt": "sometimes"}, "tax_exempt"),
        ({"invoice_prefix": "ab"}, "invoice_prefix"),
        ({"metadata": {"k" * 41: "v"}}, None),
        ({"preferred_locales": "en"}, "preferred_locales"),
        ({"preferred_locales": ["en", ""]}, "preferred_locales"),
    ],
)
def test_bad_fields_are_refused_and_nothing_changes(acme, params, param):
    customer = CustomerFactory(account=acme.account, name="Jenny")
    before = (_counts(), customer_render(Customer.objects.get(pk=customer.pk)))
    with pytest.raises(InvalidRequestError) as caught:
        customer_update(
            account=acme.account,
            customer_id=customer.id,
            **customer_update_parse(params),
            actor=SYSTEM,
        )
    if param:
        assert caught.value.param == param
    assert (_counts(), customer_render(Customer.objects.get(pk=customer.pk))) == before


def test_soft_delete_keeps_the_row_and_answers_a_stub(acme):
    customer = CustomerFactory(account=acme.account, source="tok_visa")
    card = PaymentMethod.objects.get(customer=customer)
    customer_delete(account=acme.account, customer_id=customer.id, actor=SYSTEM)
    row = Customer.objects.get(pk=customer.pk)
    assert row.deleted_at is not None
    assert customer_get(account=acme.account, customer_id=customer.id) is None
    stub = customer_get(account=acme.account, customer_id=customer.id, include_deleted=True)
    assert customer_render(stub) == {"id": customer.id, "object": "customer", "deleted": True}
    card.refresh_from_db()
    assert (card.customer_id, card.detached_at) == (None, row.deleted_at)
    deleted = Event.objects.get(type="customer.deleted")
    assert deleted.data_object["email"] == "jenny@example.com"
    assert AuditLogEntry.objects.filter(action="customer.deleted", object_id=customer.id).exists()
    with pytest.raises(ResourceMissingError):
        customer_delete(account=acme.account, customer_id=customer.id, actor=SYSTEM)
    with pytest.raises(ResourceMissingError):
        customer_update(
            account=acme.account,
            customer_id=customer.id,
            **customer_update_parse({"name": "x"}),
            actor=SYSTEM,
        )


def test_another_accounts_customer_is_missing(acme, globex):
    customer = CustomerFactory(account=globex.account)
    assert customer_get(account=acme.account, customer_id=customer.id) is None
    with pytest.raises(ResourceMissingError):
        customer_delete(account=acme.account, customer_id=customer.id, actor=SYSTEM)
    with pytest.raises(ResourceMissingError):
        customer_update(
            account=acme.account,
            customer_id=customer.id,
            **customer_update_parse({"name": "x"}),
            actor=SYSTEM,
        )
    with pytest.raises(ResourceMissingError):
        _adjust(Customer(id=customer.id, account=acme.account), 100)


def test_default_payment_method_must_be_attached_to_this_customer(acme):
    jenny = CustomerFactory(account=acme.account)
    max_ = CustomerFactory(account=acme.account, email="max@example.com")
    mine = payment_method_attach(
        account=acme.account, payment_method_id="pm_card_visa", customer=jenny, actor=SYSTEM
    )
    theirs = payment_method_attach(
        account=acme.account, payment_method_id="pm_card_visa", customer=max_, actor=SYSTEM
    )
    param = "invoice_settings[default_payment_method]"
    with pytest.raises(InvalidRequestError) as caught:
        customer_update(
            account=acme.account,
            customer_id=jenny.id,
            **customer_update_parse({"invoice_settings": {"default_payment_method": theirs.id}}),
            actor=SYSTEM,
        )
    assert caught.value.param == param
    updated = customer_update(
        account=acme.account,
        customer_id=jenny.id,
        **customer_update_parse({"invoice_settings": {"default_payment_method": mine.id}}),
        actor=SYSTEM,
    )
    assert customer_render(updated)["invoice_settings"]["default_payment_method"] == mine.id
    payment_method_detach(account=acme.account, payment_method_id=mine.id, actor=SYSTEM)
    with pytest.raises(InvalidRequestError):
        customer_update(
            account=acme.account,
            customer_id=jenny.id,
            **customer_update_parse({"default_source": mine.id}),
            actor=SYSTEM,
        )


def test_test_clock_must_be_one_of_this_account(acme, globex):
    frozen = datetime(2025, 1, 1, tzinfo=UTC)
    mine = test_clocks.test_clock_create(
        account=acme.account, frozen_time=frozen, name="", actor=SYSTEM
    )
    theirs = test_clocks.test_clock_create(
        account=globex.account, frozen_time=frozen, name="", actor=SYSTEM
    )
    for clock_id in ("clock_nope", theirs.id):
        with pytest.raises(ResourceMissingError) as caught:
            CustomerFactory(account=acme.account, test_clock=clock_id)
        assert caught.value.param == "test_clock"
    assert not Customer.objects.exists()
    customer = CustomerFactory(account=acme.account, test_clock=mine.id)
    assert customer.test_clock_id == mine.id
    assert customer.created_at == frozen
    assert _adjust(customer, 100).created_at == frozen


def test_timeline_shows_this_customers_events_newest_first(acme):
    jenny = CustomerFactory(account=acme.account)
    other = CustomerFactory(account=acme.account, email="max@example.com")
    _adjust(jenny, -500)
    tax_id_create(
        account=acme.account, customer=jenny, type="eu_vat", value="DE123456789", actor=SYSTEM
    )
    _adjust(other, 100)
    timeline = customer_timeline(account=acme.account, customer=jenny)
    assert [e.type for e in timeline] == [
        "customer.tax_id.created",
        "customer.updated",
        "customer.created",
    ]
    assert len(customer_timeline(account=acme.account, customer=jenny, limit=1)) == 1


# --- notes ---


def test_notes_carry_their_author_and_are_audited(acme, staff_client):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get()
    actor = Actor(kind="user", label=user.email, user_id=user.id)
    customer = CustomerFactory(account=acme.account)
    note = note_create(account=acme.account, customer=customer, body="  Called  ", actor=actor)
    assert (note.body, note.author_kind, note.author_label, note.author_user_id) == (
        "Called",
        "user",
        user.email,
        user.id,
    )
    note_update(
        account=acme.account, customer=customer, note_id=note.id, body="Called back", actor=actor
    )
    with pytest.raises(InvalidRequestError):
        note_update(account=acme.account, customer=customer, note_id=note.id, body=" ", actor=actor)
    note_delete(account=acme.account, customer=customer, note_id=note.id, actor=actor)
    assert list(
        AuditLogEntry.objects.filter(object_id=customer.id, action__startswith="customer_note")
        .order_by("id")
        .values_list("action", flat=True)
    ) == ["customer_note.created", "customer_note.updated", "customer_note.deleted"]
    with pytest.raises(ResourceMissingError):
        note_delete(account=acme.account, customer=customer, note_id=note.id, actor=actor)


# --- tax ids ---


@pytest.mark.parametrize(
    ("type", "value", "country"),
    [
        ("eu_vat", "DE123456789", "DE"),
        ("eu_vat", "fr12345678901", "FR"),
        ("eu_vat", "EL123456789", "GR"),
        ("gb_vat", "GB123456789", "GB"),
        ("us_ein", "12-3456789", "US"),
        ("us_ein", "123456789", "US"),
        ("au_abn", "51824753556", "AU"),  # the ATO's example; it passes the modulus 89 check
        ("ca_bn", "123456789", "CA"),
        ("in_gst", "22AAAAA0000A1Z5", "IN"),
        ("br_cnpj", "01.234.456/5432-10", "BR"),
    ],
)
def test_valid_tax_ids(acme, type, value, country):
    customer = CustomerFactory(account=acme.account)
    row = tax_id_create(
        account=acme.account, customer=customer, type=type, value=value, actor=SYSTEM
    )
    assert (row.type, row.country) == (type, country)
    assert Event.objects.filter(type="customer.tax_id.created", object_id=row.id).exists()


@pytest.mark.parametrize(
    ("type", "value", "param"),
    [
        ("eu_vat", "US123456789", "value"),
        ("eu_vat", "DE1", "value"),
        ("gb_vat", "123456789", "value"),
        ("us_ein", "12-345", "value"),
        ("au_abn", "1234567891", "value"),
        ("ca_bn", "12345678A", "value"),
        ("in_gst", "22AAAAA0000A1Y5", "value"),
        ("eu_vat", "", "value"),
        ("vat", "DE123456789", "type"),
        (None, "DE123456789", "type"),
        ("br_cnpj", "<script>", "value"),
    ],
)
def test_invalid_tax_ids_are_refused(acme, type, value, param):
    customer = CustomerFactory(account=acme.account)
    before = _counts()
    with pytest.raises(InvalidRequestError) as caught:
        tax_id_create(account=acme.account, customer=customer, type=type, value=value, actor=SYSTEM)
    assert caught.value.param == param
    assert _counts() == before
    assert not TaxId.objects.exists()


def test_tax_id_duplicate_and_delete(acme):
    customer = CustomerFactory(account=acme.account)
    row = tax_id_create(
        account=acme.account, customer=customer, type="eu_vat", value="DE123456789", actor=SYSTEM
    )
    with pytest.raises(InvalidRequestError) as caught:
        tax_id_create(
            account=acme.account,
            customer=customer,
            type="eu_vat",
            value="de123456789",
            actor=SYSTEM,
        )
    assert caught.value.code == "tax_id_exists"
    tax_id_delete(account=acme.account, customer=customer, tax_id_id=row.id, actor=SYSTEM)
    assert not TaxId.objects.exists()
    deleted = Event.objects.get(type="customer.tax_id.deleted")
    assert deleted.data_object["id"] == row.id
    with pytest.raises(ResourceMissingError):
        tax_id_delete(account=acme.account, customer=customer, tax_id_id=row.id, actor=SYSTEM)


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="concurrent writers need a database with row-level locks (PostgreSQL in CI)",
)
def test_concurrent_adjustments_keep_the_running_total(transactional_db, acme):
    customer = CustomerFactory(account=acme.account)
    start = threading.Barrier(6)
    failures: list[BaseException] = []

    def adjust() -> None:
        try:
            start.wait()
            _adjust(customer, 100)
        except BaseException as error:  # reported below; a thread cannot fail the test itself
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=adjust) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    rows = CustomerBalanceTransaction.objects.filter(customer=customer).order_by("id")
    assert [row.ending_balance for row in rows] == [100, 200, 300, 400, 500, 600]
    assert customer_balance(customer) == 600


def test_a_new_source_replaces_the_default_and_deletes_the_old_one(acme):
    customer = CustomerFactory(account=acme.account, source="tok_visa")
    old = PaymentMethod.objects.get(customer=customer)
    Event.objects.all().delete()
    updated = customer_update(
        account=acme.account,
        customer_id=customer.id,
        **customer_update_parse({"source": "tok_mastercard", "name": "Jenny"}),
        actor=SYSTEM,
    )
    new = PaymentMethod.objects.get(customer=customer)
    assert updated.default_source_id == new.id != old.id
    old.refresh_from_db()
    assert (old.customer_id, old.detached_at is not None) == (None, True)
    assert sorted(Event.objects.values_list("type", flat=True)) == [
        "customer.source.created",
        "customer.source.deleted",
        "customer.updated",
    ]
    event = Event.objects.get(type="customer.updated")
    assert event.previous_attributes == {"default_source": old.id, "name": None}


def test_a_source_with_a_bad_field_attaches_nothing(acme):
    customer = CustomerFactory(account=acme.account, source="tok_visa")
    old = PaymentMethod.objects.get(customer=customer)
    before = (_counts(), PaymentMethod.objects.count())
    with pytest.raises(InvalidRequestError):
        customer_update(
            account=acme.account,
            customer_id=customer.id,
            **customer_update_parse({"source": "tok_mastercard", "email": "bad"}),
            actor=SYSTEM,
        )
    with pytest.raises(InvalidRequestError):
        customer_update(
            account=acme.account,
            customer_id=customer.id,
            **customer_update_parse(
                {
                    "source": "tok_mastercard",
                    "invoice_settings": {"default_payment_method": "pm_x"},
                }
            ),
            actor=SYSTEM,
        )
    assert (_counts(), PaymentMethod.objects.count()) == before
    assert Customer.objects.get(pk=customer.pk).default_source_id == old.id


def test_currency_on_create_fixes_the_balance_currency(acme):
    customer = CustomerFactory(account=acme.account, currency="EUR")
    assert customer.currency == "eur"
    with pytest.raises(InvalidRequestError):
        _adjust(customer, 100, "usd")
    with pytest.raises(InvalidRequestError) as caught:
        CustomerFactory(account=acme.account, email="b@example.com", currency="euro")
    assert caught.value.param == "currency"
    assert Customer.objects.count() == 1
    located = CustomerFactory(
        account=acme.account, email="c@example.com", preferred_locales=["fr-CA", "en"]
    )
    assert customer_render(located)["preferred_locales"] == ["fr-CA", "en"]
