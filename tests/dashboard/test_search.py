"""The Ctrl+K search: customers by email, name or id (prefix, case ignored), invoices by number,
subscriptions and payments, any object by its id; one account only, from indexes."""

import re

import pytest
from django.db import connection

from apps.core.actor import SYSTEM
from apps.core.models import Event
from apps.customers.models import Customer, PaymentMethod
from apps.dashboard.selectors import dashboard_search
from apps.invoices.engine.periods import utc
from apps.invoices.models import Invoice
from apps.payments.models import Charge
from apps.payments.services import refund_create
from apps.subscriptions.services import test_clocks
from tests.factories import (
    ChargeFactory,
    CustomerFactory,
    PaymentIntentFactory,
    PriceFactory,
    SubscriptionFactory,
)


def _found(account, term) -> list[tuple[str, str]]:
    return [(hit.kind, hit.row.pk) for hit in dashboard_search(account=account, term=term)]


@pytest.fixture
def ada(acme):
    subscription = SubscriptionFactory(account=acme.account, email="Ada.Lovelace@Example.com")
    Customer.objects.filter(id=subscription.customer_id).update(name="Ada Lovelace")
    return subscription


def test_customers_by_email_and_name_prefix_case_ignored(acme, ada):
    CustomerFactory(account=acme.account, email="bob@example.com", name="Bob")
    customer = ("customer", ada.customer_id)
    assert customer in _found(acme.account, "ada.love")
    assert customer in _found(acme.account, "ADA.LOVELACE@EXAMPLE.COM")
    assert customer in _found(acme.account, "ada lov")
    assert customer not in _found(acme.account, "lovelace")  # a prefix, not a substring
    assert [kind for kind, _ in _found(acme.account, "bo")] == ["customer"]


def test_a_customer_brings_their_subscriptions_and_payments(acme, ada):
    charge = Charge.objects.get(customer_id=ada.customer_id)
    found = _found(acme.account, "ada")
    assert found == [
        ("customer", ada.customer_id),
        ("subscription", ada.id),
        ("charge", charge.id),
    ]


def test_invoices_by_number_in_any_case(acme, ada):
    invoice = Invoice.objects.get(subscription=ada)
    assert _found(acme.account, invoice.number) == [("invoice", invoice.id)]
    assert _found(acme.account, invoice.number.lower()) == [("invoice", invoice.id)]


def _objects(acme, ada) -> list[tuple[str, str]]:
    charge = Charge.objects.get(customer_id=ada.customer_id)
    refund = refund_create(account=acme.account, charge_id=charge.id, amount=100, actor=SYSTEM)
    price = PriceFactory(account=acme.account)
    card = PaymentMethod.objects.get(customer_id=ada.customer_id)
    event = Event.objects.filter(account=acme.account).first()
    invoice = Invoice.objects.get(subscription=ada)
    intent = PaymentIntentFactory(account=acme.account)
    clock = test_clocks.test_clock_create(
        account=acme.account, frozen_time=utc(2025, 1, 1), name="Q1", actor=SYSTEM
    )
    return [
        ("payment_intent", intent.id),
        ("test_clock", clock.id),
        ("customer", ada.customer_id),
        ("subscription", ada.id),
        ("subscription_item", ada.items.get().id),
        ("invoice", invoice.id),
        ("charge", charge.id),
        ("refund", refund.id),
        ("payment_method", card.id),
        ("price", price.id),
        ("product", price.product_id),
        ("event", event.id),
    ]


def test_any_object_by_its_id(acme, ada):
    for kind, pk in _objects(acme, ada):
        assert _found(acme.account, pk) == [(kind, pk)], kind
    assert _found(acme.account, "cus_doesnotexist") == []


def test_every_kind_of_result_links_to_a_dashboard_page_that_opens(staff_client, acme, ada):
    for kind, pk in _objects(acme, ada):
        html = staff_client.get("/dashboard/search/", {"s": pk, "extended": "1"}).content.decode()
        links = re.findall(r'<a class="[^"]*"\s+href="([^"]+)"', html)
        assert len(links) == 1, kind
        assert staff_client.get(links[0]).status_code == 200, (kind, links[0])


def test_other_accounts_never_appear(acme, globex, ada):
    theirs = SubscriptionFactory(account=globex.account, email="ada@globex.example")
    their_charge = ChargeFactory(account=globex.account)
    their_invoice = Invoice.objects.get(subscription=theirs)
    mine = {pk for _, pk in _found(acme.account, "ada")}
    assert theirs.customer_id not in mine
    assert theirs.id not in mine
    for term in (theirs.customer_id, theirs.id, their_charge.id, their_invoice.id):
        assert _found(acme.account, term) == []
    Invoice.objects.filter(id=their_invoice.id).update(number="SAME-0001")
    Invoice.objects.filter(subscription=ada).update(number="SAME-0001")
    assert _found(acme.account, "same-0001") == [
        ("invoice", Invoice.objects.get(subscription=ada).id)
    ]


def test_the_palette_endpoint_answers_the_results_partial(staff_client, acme, globex, ada):
    SubscriptionFactory(account=globex.account, email="ada@globex.example")
    page = staff_client.get("/dashboard/search/", {"s": "ADA", "extended": "1"})
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="command-results-list"' in html
    assert f'href="/dashboard/customers/customer/{ada.customer_id}/change/"' in html
    assert f'href="/dashboard/subscriptions/subscription/{ada.id}/change/"' in html
    assert "ada@globex.example" not in html
    assert html.count('<li class="group"') == 3


def test_the_customer_list_search_ignores_case(staff_client, acme, ada):
    CustomerFactory(account=acme.account, email="bob@example.com")
    listed = staff_client.get(
        "/dashboard/customers/customer/", {"q": "ada.lovelace@example.COM"}
    ).content.decode()
    assert ada.customer_id in listed
    assert "bob@example.com" not in listed
    by_prefix = staff_client.get("/dashboard/customers/customer/", {"q": "ADA"}).content.decode()
    assert ada.customer_id in by_prefix


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's plan")
@pytest.mark.parametrize(
    ("lookup", "index"),
    [
        ({"email__istartswith": "ada"}, "customer_email_iprefix"),
        ({"email__iexact": "Ada@example.com"}, "customer_email_iprefix"),
        ({"name__istartswith": "ada"}, "customer_name_iprefix"),
    ],
)
def test_sqlite_answers_the_search_from_the_nocase_indexes(acme, lookup, index):
    rows = Customer.objects.filter(account=acme.account, **lookup)
    sql, params = rows.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        plan = " ".join(str(row) for row in cursor.fetchall())
    assert f"USING INDEX {index} (account_id=? AND " in plan


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plan")
def test_postgresql_answers_the_prefix_search_from_the_upper_indexes(acme):
    Customer.objects.bulk_create(
        Customer(id=f"cus_plan{n:04d}", account=acme.account, email=f"u{n}@example.com")
        for n in range(500)
    )
    rows = Customer.objects.filter(account=acme.account, email__istartswith="u1")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE customers_customer")
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = rows.explain()
    assert "customer_email_iprefix" in plan
    assert "(upper((email)::text) ~>=~ 'U1'::text)" in plan
