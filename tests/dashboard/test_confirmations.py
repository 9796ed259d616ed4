"""The confirmation step before charge, refund, card removal, cancel and void: the first POST
writes nothing and states what will happen with the amount; only the confirming POST acts."""

import pytest
from django.test import Client

from apps.accounts.models import AuditLogEntry
from apps.core.models import Event
from apps.customers.models import PaymentMethod
from apps.invoices.engine.periods import utc
from apps.invoices.models import Invoice
from apps.payments.models import Charge, Refund
from apps.subscriptions.models import Subscription
from tests.dashboard.conftest import staff_login
from tests.factories import ChargeFactory, CustomerFactory, SubscriptionFactory

CHARGES = "/dashboard/payments/charge"
CUSTOMERS = "/dashboard/customers/customer"
SUBSCRIPTIONS = "/dashboard/subscriptions/subscription"
INVOICES = "/dashboard/invoices/invoice"


@pytest.fixture
def clock_start():
    return utc(2025, 1, 1)


def _rows() -> dict[str, int]:
    """Everything an action could write; a first step must leave all of it unchanged."""
    return {
        "events": Event.objects.count(),
        "audit": AuditLogEntry.objects.count(),
        "charges": Charge.objects.count(),
        "refunds": Refund.objects.count(),
        "attached": PaymentMethod.objects.filter(customer__isnull=False).count(),
        "invoices": list(Invoice.objects.order_by("id").values_list("status", "amount_paid")),
        "subscriptions": list(Subscription.objects.order_by("id").values_list("status")),
    }


def _summary(response) -> str:
    page = response.content.decode()
    assert response.status_code == 200
    assert 'name="confirm" value="yes"' in page
    assert 'name="csrfmiddlewaretoken"' in page
    return page.split("data-confirm-summary>", 1)[1].split("</p>", 1)[0]


def _open_invoice(subscription) -> Invoice:
    invoice = Invoice.objects.get(subscription=subscription)
    Invoice.objects.filter(id=invoice.id).update(status="open", amount_paid=0, paid_at=None)
    return Invoice.objects.get(id=invoice.id)


def test_refund_is_confirmed_before_it_is_made(staff_client, acme):
    charge = ChargeFactory(account=acme.account)
    before = _rows()
    first = staff_client.post(f"{CHARGES}/{charge.id}/refund/", {"amount": "5.00"})
    assert _summary(first) == "Refund 5.00 USD of 20.00 USD to Visa •••• 4242 of p@example.com."
    assert "15.00 USD will remain refundable." in first.content.decode()
    assert _rows() == before
    done = staff_client.post(f"{CHARGES}/{charge.id}/refund/", {"amount": "5.00", "confirm": "yes"})
    assert done.status_code == 302
    assert list(Refund.objects.values_list("charge_id", "amount")) == [(charge.id, 500)]


def test_refund_over_the_refundable_amount_never_reaches_the_confirmation(staff_client, acme):
    charge = ChargeFactory(account=acme.account)
    page = staff_client.post(f"{CHARGES}/{charge.id}/refund/", {"amount": "20.01"})
    assert "data-confirmation" not in page.content.decode()
    assert "greater than the unrefunded amount on the charge (20.00 USD)" in page.content.decode()


def test_charge_is_confirmed_before_the_card_is_charged(staff_client, acme):
    jenny = CustomerFactory(account=acme.account, email="jenny@example.com", source="tok_visa")
    card = PaymentMethod.objects.get(customer=jenny)
    form = {"amount": "12.50", "currency_code": "usd", "payment_method": card.id}
    before = _rows()
    first = staff_client.post(f"/dashboard/payments/charge/for/{jenny.id}/", form)
    assert _summary(first) == "Charge 12.50 USD to Visa •••• 4242 of jenny@example.com."
    assert f'name="payment_method" value="{card.id}"' in first.content.decode()
    assert _rows() == before
    staff_client.post(f"/dashboard/payments/charge/for/{jenny.id}/", {**form, "confirm": "yes"})
    assert list(Charge.objects.values_list("customer_id", "amount", "status")) == [
        (jenny.id, 1250, "succeeded")
    ]


def test_card_removal_is_confirmed(staff_client, acme):
    jenny = CustomerFactory(account=acme.account, email="jenny@example.com", source="tok_visa")
    card = PaymentMethod.objects.get(customer=jenny)
    url = f"{CUSTOMERS}/{jenny.id}/payment_methods/{card.id}/detach/"
    before = _rows()
    first = staff_client.post(url)
    assert _summary(first) == "Remove Visa •••• 4242 from jenny@example.com."
    assert "It is the customer&#x27;s default" in first.content.decode()
    assert _rows() == before
    staff_client.post(url, {"confirm": "yes"})
    assert PaymentMethod.objects.get(pk=card.pk).customer_id is None


def test_cancel_states_the_unused_time_and_cancels_only_when_confirmed(staff_client, acme, at):
    subscription = SubscriptionFactory(account=acme.account)
    at(utc(2025, 1, 16))
    url = f"{SUBSCRIPTIONS}/{subscription.id}/cancel/"
    before = _rows()
    first = staff_client.post(url, {"feedback": "too_expensive"})
    assert _summary(first) == "Cancel Basic — 25.00 USD / month for sub@example.com now."
    # 16 of January's 31 days are left: −round(2500 × 16/31) = −1290, not credited.
    assert (
        "The unused time until 2025-02-01 is worth -12.90 USD; cancelling now does not credit it."
        in first.content.decode()
    )
    assert 'name="feedback" value="too_expensive"' in first.content.decode()
    assert _rows() == before
    staff_client.post(url, {"feedback": "too_expensive", "confirm": "yes"})
    subscription.refresh_from_db()
    assert (subscription.status, subscription.cancellation_details["feedback"]) == (
        "canceled",
        "too_expensive",
    )


def test_void_is_confirmed(staff_client, acme):
    invoice = _open_invoice(SubscriptionFactory(account=acme.account))
    url = f"{INVOICES}/{invoice.id}/action/void/"
    before = _rows()
    first = staff_client.post(url)
    assert _summary(first) == (
        f"Void invoice {invoice.number} of 25.00 USD for sub@example.com; it can no longer be paid."
    )
    assert _rows() == before
    staff_client.post(url, {"confirm": "yes"})
    assert Invoice.objects.get(id=invoice.id).status == "void"


def test_paying_an_invoice_is_confirmed(staff_client, acme):
    invoice = _open_invoice(SubscriptionFactory(account=acme.account))
    url = f"{INVOICES}/{invoice.id}/action/pay/"
    before = _rows()
    first = staff_client.post(url)
    assert _summary(first) == (
        f"Charge 25.00 USD due on invoice {invoice.number} to Visa •••• 4242 of sub@example.com."
    )
    assert _rows() == before
    staff_client.post(url, {"confirm": "yes"})
    paid = Invoice.objects.get(id=invoice.id)
    assert (paid.status, paid.amount_paid) == ("paid", 2500)
    assert Charge.objects.count() == before["charges"] + 1


def test_the_confirming_post_needs_the_csrf_token(acme):
    charge = ChargeFactory(account=acme.account)
    client = staff_login(Client(enforce_csrf_checks=True), account=acme.account)
    refused = client.post(f"{CHARGES}/{charge.id}/refund/", {"amount": "5.00", "confirm": "yes"})
    assert refused.status_code == 403
    assert not Refund.objects.exists()


def test_a_read_only_member_gets_no_confirmation(acme):
    charge = ChargeFactory(account=acme.account)
    viewer = staff_login(Client(), account=acme.account, role="view_only")
    page = viewer.post(f"{CHARGES}/{charge.id}/refund/", {"amount": "5.00"}).content.decode()
    assert "data-confirmation" not in page
    assert not Refund.objects.exists()
