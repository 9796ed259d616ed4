"""Dashboard → Customers: list and search, customer page, create, notes, balance, test cards."""

from apps.core.actor import SYSTEM
from apps.core.models import Event
from apps.customers.models import Customer, CustomerNote, PaymentMethod
from apps.customers.services import customer_create

LIST = "/dashboard/customers/customer/"


def _customer(account, email="jenny@example.com", **params):
    return customer_create(account=account, params={"email": email, **params}, actor=SYSTEM)


def test_list_searches_by_exact_email_id_and_name_start(staff_client, acme, globex):
    jenny = _customer(acme.account, name="Jenny Rosen")
    other = _customer(acme.account, "max@example.com", name="Max Mustermann")
    _customer(globex.account, "jenny@example.com")
    page = staff_client.get(LIST).content.decode()
    assert jenny.id in page
    assert other.id in page
    by_email = staff_client.get(LIST, {"q": "jenny@example.com"}).content.decode()
    assert jenny.id in by_email
    assert other.id not in by_email
    assert staff_client.get(LIST, {"q": "Max"}).content.decode().count(other.id) >= 1
    assert jenny.id not in staff_client.get(LIST, {"q": "Max"}).content.decode()


def test_customer_page_shows_timeline_and_panels(staff_client, acme):
    jenny = _customer(acme.account, source="tok_visa")
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
    jenny = _customer(acme.account)
    staff_client.post(f"{LIST}{jenny.id}/notes/add/", {"body": "Asked for an invoice copy"})
    note = CustomerNote.objects.get(customer=jenny)
    assert note.author_kind == "user"
    staff_client.post(f"{LIST}{jenny.id}/balance/adjust/", {"amount": "-12.50", "currency": "usd"})
    staff_client.post(f"{LIST}{jenny.id}/balance/adjust/", {"amount": "1.005", "currency": "usd"})
    page = staff_client.get(f"{LIST}{jenny.id}/change/").content.decode()
    assert "-12.50 USD" in page
    assert "Asked for an invoice copy" in page


def test_add_test_card_and_a_decline_card_is_refused(staff_client, acme):
    jenny = _customer(acme.account)
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
    staff_client.post(f"{LIST}{jenny.id}/payment_methods/{card.id}/detach/")
    assert PaymentMethod.objects.get(pk=card.pk).customer_id is None
