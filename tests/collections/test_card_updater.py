"""The card updater in test mode and expiring-card notices (apps.collections.card_updater), run
as the daily beat runs them, for customers not on test clocks. ACCEPTANCE P3 on test clocks
through the SDK is in test_card_updater_acceptance.py."""

import pytest
from django.db import connection

from apps.collections.card_updater import card_update_apply, card_updates_due_ids
from apps.collections.schedule import HARD_DECLINES
from apps.collections.tasks import card_updates_fan_out_task
from apps.core import clock
from apps.core.actor import SYSTEM
from apps.core.models import Event
from apps.customers.api.params import customer_create_parse
from apps.customers.models import PaymentMethod
from apps.customers.payment_method_render import payment_method_render
from apps.customers.services import customer_create
from apps.customers.services.payment_methods import payment_method_attach, payment_method_update
from apps.customers.services.payment_methods.requests import PaymentMethodChange
from apps.invoices.engine.periods import utc
from apps.payments.services.charges import ChargeRequest, charge_attempt
from tests.factories import CustomerFactory


class CardholderFactory(CustomerFactory):
    """A customer of the card-updater tests (``source`` gives it a legacy card)."""

    email = "card@example.com"


UPDATER_EVENTS = ("payment_method.automatically_updated", "customer.source.updated")


@pytest.fixture
def clock_start():
    return utc(2025, 3, 10, 9)


def _attach(account, customer, payment_method_id: str) -> PaymentMethod:
    return payment_method_attach(
        account=account, payment_method_id=payment_method_id, customer=customer, actor=SYSTEM
    )


def _charge(account, customer, card: PaymentMethod):
    card.refresh_from_db()
    charge, _ = charge_attempt(
        account=account,
        request=ChargeRequest(amount=1000, currency="usd", payment_method=card, customer=customer),
        actor=SYSTEM,
    )
    return charge


def _events(account, *types: str) -> list[Event]:
    return list(Event.objects.filter(account=account, type__in=types).order_by("created_at", "id"))


def test_updater_test_cards_expire_this_month_and_charge_until_the_updater_acts(acme, at):
    customer = CardholderFactory(account=acme.account)
    reissued = _attach(acme.account, customer, "pm_card_reissued")
    closed = _attach(acme.account, customer, "pm_card_closedByIssuer")
    assert [(c.last4, c.exp_month, c.exp_year) for c in (reissued, closed)] == [
        ("8815", 3, 2025),
        ("8823", 3, 2025),
    ]
    assert _charge(acme.account, customer, reissued).status == "succeeded"
    assert _charge(acme.account, customer, closed).status == "succeeded"
    ordinary = _attach(acme.account, customer, "pm_card_visa")
    assert (ordinary.exp_month, ordinary.exp_year) == (3, 2030)


def test_a_reissued_payment_method_gets_a_new_expiry_once(acme, at, tasks_inline):
    customer = CardholderFactory(account=acme.account)
    card = _attach(acme.account, customer, "pm_card_reissued")
    fingerprint = card.fingerprint
    assert card_updates_fan_out_task() == 1

    card.refresh_from_db()
    assert (card.exp_month, card.exp_year, card.last4, card.fingerprint) == (
        3,
        2028,
        "8815",
        fingerprint,
    )
    assert (card.test_scenario, card.closed_at) == ("succeed", None)
    [event] = _events(acme.account, *UPDATER_EVENTS)
    assert event.type == "payment_method.automatically_updated"
    assert event.previous_attributes == {"card": {"exp_month": 3, "exp_year": 2025}}
    assert event.data_object == payment_method_render(card)
    assert event.data_object["card"]["exp_year"] == 2028
    # No expiring notice: the card no longer expires this month.
    assert _events(acme.account, "customer.source.expiring") == []

    # Run again (the next daily beat, or a redelivered task): nothing is due, nothing changes.
    assert card_updates_fan_out_task() == 0
    assert card_update_apply(payment_method_id=card.id) is False
    assert len(_events(acme.account, *UPDATER_EVENTS)) == 1
    card.refresh_from_db()
    assert (card.exp_month, card.exp_year) == (3, 2028)


def test_a_reissued_legacy_card_emits_customer_source_updated(acme, at, tasks_inline):
    customer = CardholderFactory(account=acme.account, source="tok_reissued")
    card = PaymentMethod.objects.get(customer=customer)
    assert card.id.startswith("card_")
    assert card_updates_fan_out_task() == 1

    [event] = _events(acme.account, *UPDATER_EVENTS)
    assert event.type == "customer.source.updated"
    assert event.previous_attributes == {"exp_month": 3, "exp_year": 2025}
    assert (event.data_object["object"], event.data_object["id"]) == ("card", card.id)
    assert (event.data_object["exp_month"], event.data_object["exp_year"]) == (3, 2028)


def test_a_closed_card_is_closed_once_and_then_hard_declined(acme, at, tasks_inline):
    customer = CardholderFactory(account=acme.account)
    card = _attach(acme.account, customer, "pm_card_closedByIssuer")
    before = payment_method_render(card)
    at(utc(2025, 3, 11, 0, 5))
    assert card_updates_fan_out_task() == 1

    card.refresh_from_db()
    assert card.closed_at == utc(2025, 3, 11, 0, 5)
    assert (card.exp_month, card.exp_year) == (3, 2025)
    [event] = _events(acme.account, *UPDATER_EVENTS)
    assert event.type == "payment_method.automatically_updated"
    assert event.previous_attributes is None
    # Stripe's card objects have no closed state: the object renders as before.
    assert event.data_object == before
    # A closed card gets no expiring notice.
    assert _events(acme.account, "customer.source.expiring") == []

    charge = _charge(acme.account, customer, card)
    assert (charge.status, charge.failure_code) == ("failed", "card_declined")
    assert charge.outcome["reason"] == "invalid_account"
    assert charge.outcome["reason"] in HARD_DECLINES

    assert card_updates_fan_out_task() == 0
    assert card_update_apply(payment_method_id=card.id) is False
    assert len(_events(acme.account, *UPDATER_EVENTS)) == 1


def test_the_updater_waits_for_the_cards_expiry_month(acme, at):
    customer = CardholderFactory(account=acme.account)
    card = _attach(acme.account, customer, "pm_card_reissued")
    payment_method_update(
        account=acme.account,
        payment_method_id=card.id,
        change=PaymentMethodChange(exp_month="5", exp_year="2025"),
        actor=SYSTEM,
    )
    assert card_updates_due_ids(now=utc(2025, 4, 30, 23, 59)) == []
    assert card_update_apply(payment_method_id=card.id) is False
    at(utc(2025, 5, 1))
    assert card_updates_due_ids(now=utc(2025, 5, 1)) == [card.id]
    assert card_update_apply(payment_method_id=card.id) is True
    card.refresh_from_db()
    assert (card.exp_month, card.exp_year) == (5, 2028)


def test_a_card_past_its_expiry_month_is_declined_as_expired(acme, at):
    customer = CardholderFactory(account=acme.account)
    card = _attach(acme.account, customer, "pm_card_visa")
    payment_method_update(
        account=acme.account,
        payment_method_id=card.id,
        change=PaymentMethodChange(exp_month="3", exp_year="2025"),
        actor=SYSTEM,
    )
    at(utc(2025, 3, 31, 23, 59, 59))
    assert _charge(acme.account, customer, card).status == "succeeded"
    at(utc(2025, 4, 1))
    charge = _charge(acme.account, customer, card)
    assert (charge.status, charge.failure_code, charge.outcome["reason"]) == (
        "failed",
        "expired_card",
        "expired_card",
    )
    assert charge.failure_message == "Your card has expired."


def test_expiring_notice_once_per_card_and_expiry_month(acme, at, tasks_inline):
    customer = CardholderFactory(account=acme.account, source="tok_visa")
    legacy = PaymentMethod.objects.get(customer=customer)
    expiring = _attach(acme.account, customer, "pm_card_mastercard")
    later = _attach(acme.account, customer, "pm_card_amex")
    for card, month in ((legacy, "3"), (expiring, "3"), (later, "4")):
        payment_method_update(
            account=acme.account,
            payment_method_id=card.id,
            change=PaymentMethodChange(exp_month=month, exp_year="2025"),
            actor=SYSTEM,
        )
    assert card_updates_fan_out_task() == 2

    notices = _events(acme.account, "customer.source.expiring")
    assert sorted(e.object_id for e in notices) == sorted([legacy.id, expiring.id])
    by_id = {e.object_id: e for e in notices}
    legacy.refresh_from_db()
    expiring.refresh_from_db()
    assert by_id[legacy.id].data_object == payment_method_render(legacy)
    assert by_id[legacy.id].data_object["object"] == "card"
    assert by_id[expiring.id].data_object["object"] == "payment_method"
    assert by_id[expiring.id].customer_id == customer.id
    assert by_id[expiring.id].previous_attributes is None

    # Later the same month: nothing new.
    at(utc(2025, 3, 25))
    assert card_updates_fan_out_task() == 0
    assert len(_events(acme.account, "customer.source.expiring")) == 2
    # April: the April card's notice only.
    at(utc(2025, 4, 1, 0, 5))
    assert card_updates_fan_out_task() == 1
    notices = _events(acme.account, "customer.source.expiring")
    assert [e.object_id for e in notices[2:]] == [later.id]
    assert card_updates_fan_out_task() == 0


def test_a_new_expiry_gets_its_own_notice(acme, at):
    customer = CardholderFactory(account=acme.account)
    card = _attach(acme.account, customer, "pm_card_visa")
    update = PaymentMethodChange(exp_month="3", exp_year="2025")
    payment_method_update(
        account=acme.account, payment_method_id=card.id, change=update, actor=SYSTEM
    )
    assert card_update_apply(payment_method_id=card.id) is True
    update = PaymentMethodChange(exp_month="4", exp_year="2025")
    payment_method_update(
        account=acme.account, payment_method_id=card.id, change=update, actor=SYSTEM
    )
    assert card_update_apply(payment_method_id=card.id) is False  # April has not begun
    at(utc(2025, 4, 2))
    assert card_update_apply(payment_method_id=card.id) is True
    assert card_update_apply(payment_method_id=card.id) is False
    card.refresh_from_db()
    assert card.expiring_notice_for == 202504
    notices = _events(acme.account, "customer.source.expiring")
    assert [e.data_object["card"]["exp_month"] for e in notices] == [3, 4]


def test_a_card_found_after_its_expiry_month_is_marked_without_a_notice(acme, at):
    customer = CardholderFactory(account=acme.account)
    card = _attach(acme.account, customer, "pm_card_visa")
    payment_method_update(
        account=acme.account,
        payment_method_id=card.id,
        change=PaymentMethodChange(exp_month="3", exp_year="2025"),
        actor=SYSTEM,
    )
    at(utc(2025, 6, 1))
    assert card_updates_due_ids(now=utc(2025, 6, 1)) == [card.id]
    assert card_update_apply(payment_method_id=card.id) is True
    assert card_updates_due_ids(now=utc(2025, 6, 1)) == []
    assert _events(acme.account, "customer.source.expiring") == []


def test_detached_cards_cards_of_deleted_customers_and_clock_customers_are_not_due(acme, at):
    from apps.customers.services import customer_delete
    from apps.customers.services.payment_methods import payment_method_detach
    from apps.subscriptions.services.test_clocks import test_clock_create

    gone = CardholderFactory(account=acme.account, source="tok_reissued")
    customer_delete(account=acme.account, customer_id=gone.id, actor=SYSTEM)
    kept = CardholderFactory(account=acme.account)
    detached = _attach(acme.account, kept, "pm_card_reissued")
    payment_method_detach(account=acme.account, payment_method_id=detached.id, actor=SYSTEM)
    test_clock = test_clock_create(
        account=acme.account, frozen_time=utc(2025, 3, 1), name="", actor=SYSTEM
    )
    on_clock = customer_create(
        account=acme.account,
        **customer_create_parse(
            {"email": "c@example.com", "source": "tok_reissued", "test_clock": test_clock.id}
        ),
        actor=SYSTEM,
    )
    assert card_updates_due_ids(now=utc(2025, 3, 10)) == []
    assert PaymentMethod.objects.filter(customer=on_clock, test_scenario="card_reissued").exists()


def test_the_updater_acts_on_each_account_alike(acme, globex, at, tasks_inline):
    for account in (acme.account, globex.account):
        _attach(account, CardholderFactory(account=account), "pm_card_reissued")
    assert card_updates_fan_out_task() == 2
    for account in (acme.account, globex.account):
        [event] = _events(account, *UPDATER_EVENTS)
        assert event.data_object["customer"] in {
            c.customer_id for c in PaymentMethod.objects.filter(account=account)
        }


concurrent_writers = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="concurrent writers need a database with row-level locks (PostgreSQL in CI)",
)


@concurrent_writers
def test_two_beats_at_once_emit_each_event_once(transactional_db, acme):
    import threading

    customer = CardholderFactory(account=acme.account)
    reissued = _attach(acme.account, customer, "pm_card_reissued")
    expiring = _attach(acme.account, customer, "pm_card_visa")
    today = clock.now()
    payment_method_update(
        account=acme.account,
        payment_method_id=expiring.id,
        change=PaymentMethodChange(exp_month=str(today.month), exp_year=str(today.year)),
        actor=SYSTEM,
    )
    ids = [reissued.id, expiring.id]
    start = threading.Barrier(2)
    answers, failures = [], []

    def beat():
        try:
            start.wait()
            answers.append(sum(card_update_apply(payment_method_id=pk) for pk in ids))
        except BaseException as error:  # reported below
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=beat) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == []
    assert sum(answers) == 2
    assert len(_events(acme.account, *UPDATER_EVENTS)) == 1
    assert len(_events(acme.account, "customer.source.expiring")) == 1


def test_dashboard_marks_closed_expired_and_expiring_cards(acme, at):
    from django.test import Client

    from tests.dashboard.conftest import staff_login

    customer = CardholderFactory(account=acme.account)
    at(utc(2025, 2, 10))
    expired = _attach(acme.account, customer, "pm_card_visa")
    payment_method_update(
        account=acme.account,
        payment_method_id=expired.id,
        change=PaymentMethodChange(exp_month="2", exp_year="2025"),
        actor=SYSTEM,
    )
    at(utc(2025, 3, 10))
    closed = _attach(acme.account, customer, "pm_card_closedByIssuer")
    assert card_update_apply(payment_method_id=closed.id) is True
    expiring = _attach(acme.account, customer, "pm_card_mastercard")
    payment_method_update(
        account=acme.account,
        payment_method_id=expiring.id,
        change=PaymentMethodChange(exp_month="3", exp_year="2025"),
        actor=SYSTEM,
    )
    ordinary = _attach(acme.account, customer, "pm_card_amex")

    client = staff_login(Client(), account=acme.account)
    page = client.get(f"/dashboard/customers/customer/{customer.id}/change/").content.decode()

    def state_cell(card: PaymentMethod) -> str:
        row = page.split(f'data-payment-method="{card.id}"', 1)[1].split("</tr>", 1)[0]
        return row.split("data-card-state>", 1)[1].split("</td>", 1)[0]

    assert "Closed" in state_cell(closed)
    assert "Expired" in state_cell(expired)
    assert "Expires this month" in state_cell(expiring)
    assert state_cell(ordinary).strip() == "03/2030"
