"""Dashboard → Customers: list and search, customer page, create, notes, balance, test cards."""

from apps.core.actor import SYSTEM
from apps.core.models import Event
from apps.customers.models import Customer, CustomerNote, PaymentMethod
from tests.factories import CustomerFactory

LIST = "/dashboard/customers/customer/"


def test_list_searches_by_exact_email_id_and_name_start(staff_client, acme, globex):
    jenny = CustomerFactory(account=acme.account, name="Jenny Rosen")
    other = CustomerFactory(account=acme.account, email="max@example.com", name="Max Mustermann")
    CustomerFactory(account=globex.account, email="jenny@example.com")
    page = staff_client.get(LIST).content.decode()
    assert jenny.id in page
    assert other.id in page
    by_email = staff_client.get(LIST, {"q": "jenny@example.com"}).content.decode()
    assert jenny.id in by_email
    assert other.id not in by_email
    assert staff_client.get(LIST, {"q": "Max"}).content.decode().count(other.id) >= 1
    assert jenny.id not in staff_client.get(LIST, {"q": "Max"}).content.decode()


def test_customer_page_shows_timeline_and_panels(staff_client, acme):
    jenny = CustomerFactory(account=acme.account, source="tok_visa")
    page = staff_client.get(f"{LIST}{jenny.id}/change/").content.decode()
    assert "customer.created" in page
    assert "customer.source.created" in page
    assert "•••• 4242" in page
    assert "Add test card" in page


def test_create_customer_and_bad_email_is_a_form_error(staff_client, acme):
    bad = staff_client.post(f"{LIST}create/", {"email": "not-an-email"})
    assert bad.status_code == 200
    assert "Invalid email address" in bad.content.decode()
    assert not Customer.objects.filter(account=acme.account).exists()
    good = staff_client.post(f"{LIST}create/", {"email": "new@example.com", "name": "New"})
    customer = Customer.objects.get(account=acme.account)
    assert good.status_code == 302
    assert good["Location"].endswith(f"/{customer.id}/change/")
    assert Event.objects.filter(type="customer.created", object_id=customer.id).exists()


def test_note_and_balance_forms(staff_client, acme):
    jenny = CustomerFactory(account=acme.account)
    staff_client.post(f"{LIST}{jenny.id}/notes/add/", {"body": "Asked for an invoice copy"})
    note = CustomerNote.objects.get(customer=jenny)
    assert note.author_kind == "user"
    staff_client.post(f"{LIST}{jenny.id}/balance/adjust/", {"amount": "-12.50", "currency": "usd"})
    staff_client.post(f"{LIST}{jenny.id}/balance/adjust/", {"amount": "1.005", "currency": "usd"})
    page = staff_client.get(f"{LIST}{jenny.id}/change/").content.decode()
    assert "-12.50 USD" in page
    assert "Asked for an invoice copy" in page


def test_add_test_card_and_a_decline_card_is_refused(staff_client, acme):
    jenny = CustomerFactory(account=acme.account)
    refused = staff_client.post(
        f"{LIST}{jenny.id}/payment_methods/add/",
        {"number": "4000000000000002", "exp_month": "12", "exp_year": "2040"},
    )
    assert refused.status_code == 200
    assert "Your card was declined." in refused.content.decode()
    added = staff_client.post(
        f"{LIST}{jenny.id}/payment_methods/add/",
        {"number": "4242424242424242", "exp_month": "12", "exp_year": "2040"},
    )
    assert added.status_code == 302
    card = PaymentMethod.objects.get(customer=jenny)
    assert card.last4 == "4242"
    staff_client.post(f"{LIST}{jenny.id}/payment_methods/{card.id}/detach/", {"confirm": "yes"})
    assert PaymentMethod.objects.get(pk=card.pk).customer_id is None


def _ids_on(page: str, customers) -> set[str]:
    return {c.email for c in customers if c.id in page}


def test_list_filters_balance_created_and_deleted(staff_client, acme):
    from datetime import UTC, datetime

    from apps.customers.services import customer_balance_adjust, customer_delete

    owes, credit, zero, gone = (
        CustomerFactory(account=acme.account, email=f"{name}@example.com")
        for name in ("owes", "credit", "zero", "gone")
    )
    for customer, amount in ((owes, 700), (credit, -300), (zero, 500), (zero, -500)):
        customer_balance_adjust(
            account=acme.account, customer=customer, amount=amount, currency="usd", actor=SYSTEM
        )
    customer_delete(account=acme.account, customer_id=gone.id, actor=SYSTEM)
    Customer.objects.filter(pk=owes.pk).update(created_at=datetime(2024, 3, 10, 23, 59, tzinfo=UTC))
    Customer.objects.filter(pk=credit.pk).update(created_at=datetime(2024, 3, 11, tzinfo=UTC))
    everyone = (owes, credit, zero, gone)

    def shown(**params):
        response = staff_client.get(LIST, params)
        assert response.status_code == 200
        return _ids_on(response.content.decode(), everyone)

    assert shown() == {"owes@example.com", "credit@example.com", "zero@example.com"}
    assert shown(state="deleted") == {"gone@example.com"}
    assert shown(balance="owes") == {"owes@example.com"}
    assert shown(balance="credit") == {"credit@example.com"}
    assert shown(balance="none") == {"zero@example.com"}
    assert shown(created_at_from="2024-03-10", created_at_to="2024-03-10") == {"owes@example.com"}
    assert shown(created_at_from="2024-03-11") == {"credit@example.com", "zero@example.com"}
    assert shown(created_at_to="not a date") == {
        "owes@example.com",
        "credit@example.com",
        "zero@example.com",
    }
    assert "7.00 USD" in staff_client.get(LIST).content.decode()


def test_list_runs_no_count_and_searches_email_ignoring_case(staff_client, acme):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for index in range(3):
        CustomerFactory(account=acme.account, email=f"c{index}@example.com")
    with CaptureQueriesContext(connection) as queries:
        response = staff_client.get(LIST, {"q": "C1@Example.com"})
    assert response.status_code == 200
    assert "c1@example.com" in response.content.decode()
    assert "c2@example.com" not in response.content.decode()
    sql = [q["sql"] for q in queries.captured_queries if "customers_customer" in q["sql"]]
    assert not [q for q in sql if "COUNT(" in q.upper()]
    listing = [q for q in sql if "ORDER BY" in q and "LIMIT" in q]
    assert listing
    # The forms the customer_email_iprefix index answers (tests/dashboard/test_search.py).
    indexed = {
        "sqlite": '"customers_customer"."email" LIKE ',
        "postgresql": 'UPPER("customers_customer"."email"::text) = UPPER(',
    }[connection.vendor]
    assert all(indexed in q for q in listing)


def test_deleted_customer_page_and_other_accounts_customer(staff_client, acme, globex):
    from apps.customers.services import customer_delete

    jenny = CustomerFactory(account=acme.account)
    customer_delete(account=acme.account, customer_id=jenny.id, actor=SYSTEM)
    page = staff_client.get(f"{LIST}{jenny.id}/change/")
    assert page.status_code == 200
    assert "This customer was deleted" in page.content.decode()
    theirs = CustomerFactory(account=globex.account)
    assert staff_client.get(f"{LIST}{theirs.id}/change/").status_code == 404
    assert staff_client.post(f"{LIST}{theirs.id}/notes/add/", {"body": "x"}).status_code == 404


def test_balance_form_errors_are_messages_and_write_nothing(staff_client, acme):
    from apps.customers.models import CustomerBalanceTransaction
    from apps.customers.services import customer_balance_adjust

    jenny = CustomerFactory(account=acme.account)
    customer_balance_adjust(
        account=acme.account, customer=jenny, amount=100, currency="eur", actor=SYSTEM
    )
    url = f"{LIST}{jenny.id}/balance/adjust/"
    for data in (
        {"amount": "abc", "currency": "eur"},
        {"amount": "5", "currency": "usd"},
        {"amount": "0", "currency": "eur"},
        {"amount": "", "currency": ""},
    ):
        response = staff_client.post(url, data, follow=True)
        assert response.status_code == 200
        assert "The balance was adjusted" not in response.content.decode()
    assert CustomerBalanceTransaction.objects.count() == 1


def test_edit_customer_and_empty_note(staff_client, acme):
    jenny = CustomerFactory(account=acme.account, name="Jenny")
    response = staff_client.post(
        f"{LIST}{jenny.id}/edit/", {"email": "bad", "name": "J", "phone": "", "description": ""}
    )
    assert response.status_code == 200
    assert "Invalid email address" in response.content.decode()
    assert Customer.objects.get(pk=jenny.pk).name == "Jenny"
    staff_client.post(
        f"{LIST}{jenny.id}/edit/",
        {"email": "jenny@example.com", "name": "Jenny Rosen", "phone": "", "description": ""},
    )
    assert Customer.objects.get(pk=jenny.pk).name == "Jenny Rosen"
    staff_client.post(f"{LIST}{jenny.id}/notes/add/", {"body": "   "})
    assert not CustomerNote.objects.exists()


def test_customer_page_works_without_the_other_apps_panels(staff_client, acme, monkeypatch):
    from apps.customers import admin as customers_admin

    monkeypatch.setattr(customers_admin, "PANELS", ("customers/_no_such_panel.html",))
    monkeypatch.setattr(customers_admin, "PAYMENT_METHODS_PANEL", "customers/_missing.html")
    jenny = CustomerFactory(account=acme.account)
    page = staff_client.get(f"{LIST}{jenny.id}/change/")
    assert page.status_code == 200
    assert "Add test card" not in page.content.decode()
    assert "customer.created" in page.content.decode()


def test_add_and_remove_tax_ids_from_the_page(staff_client, acme, globex):
    from apps.customers.models import TaxId
    from apps.customers.services import tax_id_create

    jenny = CustomerFactory(account=acme.account)
    url = f"{LIST}{jenny.id}/tax_ids/add/"
    refused = staff_client.post(url, {"type": "us_ein", "value": "12"}, follow=True)
    assert "Invalid value for us_ein" in refused.content.decode()
    assert staff_client.post(url, {"type": "xx_nope", "value": "1"}).status_code == 302
    assert not TaxId.objects.exists()
    staff_client.post(url, {"type": "eu_vat", "value": "DE123456789"})
    tax_id = TaxId.objects.get(customer=jenny)
    page = staff_client.get(f"{LIST}{jenny.id}/change/").content.decode()
    assert "DE123456789" in page
    assert "customer.tax_id.created" in page
    theirs = CustomerFactory(account=globex.account)
    their_tax_id = tax_id_create(
        account=globex.account, customer=theirs, type="gb_vat", value="GB123456789", actor=SYSTEM
    )
    staff_client.post(f"{LIST}{jenny.id}/tax_ids/{their_tax_id.id}/delete/")
    assert TaxId.objects.filter(pk=their_tax_id.pk).exists()
    staff_client.post(f"{LIST}{jenny.id}/tax_ids/{tax_id.id}/delete/")
    assert not TaxId.objects.filter(pk=tax_id.pk).exists()


def test_view_only_members_see_the_page_but_write_nothing(acme):
    from django.test import Client

    from apps.accounts.enums import Role
    from apps.customers.models import CustomerBalanceTransaction, TaxId
    from tests.dashboard.conftest import staff_login

    viewer = staff_login(Client(), account=acme.account, role=Role.VIEW_ONLY)
    jenny = CustomerFactory(account=acme.account)
    page = viewer.get(f"{LIST}{jenny.id}/change/")
    assert page.status_code == 200
    assert "data-add-note" not in page.content.decode()
    assert "data-add-tax-id" not in page.content.decode()
    viewer.post(f"{LIST}{jenny.id}/notes/add/", {"body": "hello"})
    viewer.post(f"{LIST}{jenny.id}/balance/adjust/", {"amount": "5", "currency": "usd"})
    viewer.post(f"{LIST}{jenny.id}/tax_ids/add/", {"type": "eu_vat", "value": "DE123456789"})
    assert viewer.get(f"{LIST}create/").status_code == 403
    assert viewer.post(f"{LIST}create/", {"email": "x@example.com"}).status_code == 403
    assert viewer.post(f"{LIST}{jenny.id}/edit/", {"email": "x@example.com"}).status_code == 403
    assert not CustomerNote.objects.exists()
    assert not CustomerBalanceTransaction.objects.exists()
    assert not TaxId.objects.exists()
    assert Customer.objects.count() == 1


def test_make_default_moves_the_default_and_its_badge(staff_client, acme, globex):
    jenny = CustomerFactory(account=acme.account)
    for number in ("4242424242424242", "5555555555554444"):
        staff_client.post(
            f"{LIST}{jenny.id}/payment_methods/add/",
            {"number": number, "exp_month": "12", "exp_year": "2040"},
        )
    visa, mastercard = PaymentMethod.objects.filter(customer=jenny).order_by("created_at", "id")

    def make_default(card) -> str:
        response = staff_client.post(
            f"{LIST}{jenny.id}/payment_methods/{card.id}/make_default/", follow=True
        )
        return response.content.decode()

    def row(page: str, card) -> str:
        return page.split(f'data-payment-method="{card.id}"')[1].split("</tr>")[0]

    make_default(visa)
    page = make_default(mastercard)

    jenny.refresh_from_db()
    assert jenny.default_payment_method_id == mastercard.id
    assert ">Default</span>" in row(page, mastercard)
    assert "Make default" not in row(page, mastercard)
    assert "Default</span>" not in row(page, visa)
    assert "Make default" in row(page, visa)
    assert f"{mastercard} is now {jenny}&#x27;s default." in page
    events = Event.objects.filter(type="customer.updated", object_id=jenny.id).order_by("id")
    assert [e.data_object["invoice_settings"]["default_payment_method"] for e in events][-2:] == [
        visa.id,
        mastercard.id,
    ]
    # Another account's payment method cannot be made the default.
    stranger = CustomerFactory(account=globex.account)
    refused = staff_client.post(f"{LIST}{stranger.id}/payment_methods/{visa.id}/make_default/")
    assert refused.status_code == 404
