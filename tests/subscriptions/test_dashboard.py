"""Dashboard → Billing: the subscription page's preview equals what the change invoices."""

import re

from django.test import Client

from apps.collections.attempts import attempts_claim
from apps.invoices.engine.periods import utc
from apps.invoices.models import Invoice
from apps.payments.models import Charge
from tests.customers.conftest import staff_client  # noqa: F401
from tests.factories import PriceFactory, SubscriptionFactory
from tests.invoices.pdf_text import pdf_text

BASE = "/dashboard/subscriptions/subscription"


def test_change_price_preview_then_confirm_invoices_the_same(staff_client, acme, at):  # noqa: F811
    subscription = SubscriptionFactory(account=acme.account)
    pro = PriceFactory(account=acme.account, unit_amount=2700, name="Pro")
    at(utc(2025, 1, 16))
    page = staff_client.get(f"{BASE}/{subscription.id}/change/").content.decode()
    assert "Change price" in page
    proration_date = re.search(r'name="proration_date" value="(\d+)"', page).group(1)
    item = subscription.items.get().id
    form = {
        "item": item,
        "price": pro.id,
        "quantity": "1",
        "proration_behavior": "always_invoice",
        "proration_date": proration_date,
    }
    at(utc(2025, 1, 16, 0, 5))  # staff take five minutes to confirm
    preview = staff_client.get(f"{BASE}/{subscription.id}/preview/", form).content.decode()
    assert "-12.90 USD" in preview
    assert "13.94 USD" in preview
    assert re.search(r"data-preview-total>1\.04 USD<", preview)
    assert Invoice.objects.count() == 1  # the preview wrote nothing
    response = staff_client.post(f"{BASE}/{subscription.id}/change-price/", form)
    assert response.status_code == 302
    invoice = Invoice.objects.get(billing_reason="subscription_update")
    assert sorted(invoice.lines.values_list("amount", flat=True)) == [-1290, 1394]
    assert (invoice.total, invoice.status) == (104, "paid")
    invoice_page = staff_client.get(f"/dashboard/invoices/invoice/{invoice.id}/change/")
    assert "1.04 USD" in invoice_page.content.decode()
    pdf = Client().get(f"/i/{invoice.hosted_token}/pdf")
    assert pdf["Content-Type"] == "application/pdf"
    text = pdf_text(pdf.content)
    assert "-$12.90" in text
    assert "$13.94" in text
    assert "$1.04" in text


def test_cancel_with_feedback_and_lists(staff_client, acme):  # noqa: F811
    subscription = SubscriptionFactory(account=acme.account)
    assert subscription.id in staff_client.get(f"{BASE}/").content.decode()
    staff_client.post(
        f"{BASE}/{subscription.id}/cancel/", {"feedback": "too_expensive", "confirm": "yes"}
    )
    subscription.refresh_from_db()
    assert subscription.status == "canceled"
    assert subscription.cancellation_details["feedback"] == "too_expensive"
    assert "Canceled" in staff_client.get(f"{BASE}/{subscription.id}/change/").content.decode()
    invoices = staff_client.get("/dashboard/invoices/invoice/").content.decode()
    assert Invoice.objects.get().number in invoices


def test_billing_settings_zero_total_invoices_and_default_proration(staff_client, acme):  # noqa: F811

    free = PriceFactory(account=acme.account, unit_amount=0, name="Free")

    def subscribe():
        return SubscriptionFactory(account=acme.account, price=free, email="z@example.com")

    subscribe()
    assert not Invoice.objects.exists()  # by default a zero-total invoice is not created
    page = staff_client.get("/dashboard/subscriptions/billingsettings/")
    assert "Create (and mark paid) invoices that total zero" in page.content.decode()
    refused = staff_client.post(
        "/dashboard/subscriptions/billingsettings/",
        {
            "zero_total_invoices": "on",
            "default_proration_behavior": "none",
            "upcoming_invoice_days": "90",
            "will_be_due_days": "3",
            "trial_missing_payment_method": "cancel",
        },
    )
    assert "between 0 and 60" in refused.content.decode()
    staff_client.post(
        "/dashboard/subscriptions/billingsettings/",
        {
            "zero_total_invoices": "on",
            "default_proration_behavior": "none",
            "upcoming_invoice_days": "7",
            "will_be_due_days": "3",
            "trial_missing_payment_method": "pause",
        },
    )
    assert (
        acme.account.billing_settings.__class__.objects.get(
            account=acme.account
        ).trial_missing_payment_method
        == "pause"
    )
    subscribe()
    invoice = Invoice.objects.get()
    assert (invoice.total, invoice.status) == (0, "paid")
    subscription = SubscriptionFactory(account=acme.account)
    page = staff_client.get(f"{BASE}/{subscription.id}/change/").content.decode()
    assert re.search(r'<option value="none" selected>', page)


def test_credit_note_form_on_a_paid_invoice(staff_client, acme):  # noqa: F811
    subscription = SubscriptionFactory(account=acme.account)
    invoice = Invoice.objects.get(subscription=subscription)
    page = f"/dashboard/invoices/invoice/{invoice.id}/change/"
    assert "Issue credit note" in staff_client.get(page).content.decode()
    staff_client.post(
        f"/dashboard/invoices/invoice/{invoice.id}/credit-note/",
        {"amount": "5.00", "reason": "order_change", "settle": "credit_amount"},
    )
    staff_client.post(
        f"/dashboard/invoices/invoice/{invoice.id}/credit-note/",
        {"amount": "99.00", "settle": "credit_amount"},
    )
    note = invoice.credit_notes.get()
    assert (note.amount, note.credit_amount) == (500, 500)
    assert note.number in staff_client.get(page).content.decode()


def test_paying_or_voiding_an_invoice_being_charged_says_so(staff_client, acme):  # noqa: F811
    subscription = SubscriptionFactory(account=acme.account)
    invoice = Invoice.objects.get(subscription=subscription)
    Invoice.objects.filter(id=invoice.id).update(status="open", amount_paid=0, paid_at=None)
    invoice.refresh_from_db()
    attempts_claim(account=acme.account, invoices=[invoice], trigger="retry")  # a retry in flight
    page = f"/dashboard/invoices/invoice/{invoice.id}/change/"

    for name in ("pay", "void", "mark_uncollectible"):
        response = staff_client.post(
            f"/dashboard/invoices/invoice/{invoice.id}/action/{name}/",
            {"confirm": "yes"},
            follow=True,
        )
        assert response.redirect_chain[-1][0] == page
        assert (
            f"Invoice {invoice.id} has a payment in progress; try again when it has finished."
            in response.content.decode()
        )
    invoice.refresh_from_db()
    assert (invoice.status, invoice.amount_paid) == ("open", 0)
    assert Charge.objects.filter(account=acme.account).count() == 1  # the first payment only
