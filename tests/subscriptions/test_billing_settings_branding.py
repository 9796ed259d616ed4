"""Billing settings → Invoice branding: staff upload the logo and type the address that every
invoice page and PDF then carries; a file that is not a PNG or JPEG is refused whatever its
name, and nothing on the page is saved with it."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from apps.accounts.enums import Role
from apps.accounts.models import AccountBranding, AuditLogEntry
from apps.invoices.models import Invoice
from apps.subscriptions.models import BillingSettings
from tests.accounts.test_branding import image
from tests.dashboard.conftest import staff_login
from tests.factories import SubscriptionFactory
from tests.invoices.pdf_text import pdf_text

PAGE = "/dashboard/subscriptions/billingsettings/"
BILLING = {
    "default_proration_behavior": "create_prorations",
    "upcoming_invoice_days": "7",
    "will_be_due_days": "3",
    "trial_missing_payment_method": "create_invoice",
}


def _post(client: Client, *, logo: bytes | None = None, name="logo.png", **values):
    data = {**BILLING, "branding-address": "Acme GmbH\nMusterstraße 1\n10115 Berlin", **values}
    if logo is not None:
        data["branding-logo"] = SimpleUploadedFile(name, logo, content_type="image/png")
    return client.post(PAGE, data)


def test_staff_brand_the_invoices_from_billing_settings(acme):
    staff = staff_login(Client(), account=acme.account)
    page = staff.get(PAGE).content.decode()
    assert "Invoice branding" in page
    assert "No logo yet." in page
    assert 'enctype="multipart/form-data"' in page

    png = image("PNG")
    saved = _post(staff, logo=png, **{"will_be_due_days": "5"})
    assert saved.status_code == 302
    branding = AccountBranding.objects.get(account=acme.account)
    assert (bytes(branding.logo), branding.address) == (
        png,
        "Acme GmbH\nMusterstraße 1\n10115 Berlin",
    )
    assert BillingSettings.objects.get(account=acme.account).will_be_due_days == 5
    page = staff.get(PAGE).content.decode()
    assert 'alt="The current logo"' in page
    assert "Remove the current logo" in page
    assert "Musterstraße 1" in page  # the address field shows what is saved

    invoice = Invoice.objects.get(subscription=SubscriptionFactory(account=acme.account))
    hosted = Client().get(f"/i/{invoice.hosted_token}/").content.decode()
    assert 'src="data:image/png;base64,' in hosted
    assert "10115 Berlin" in hosted
    text = pdf_text(Client().get(f"/i/{invoice.hosted_token}/pdf").content)
    assert "Musterstraße 1" in text

    # Saving without a new file keeps the logo; the box removes it.
    _post(staff)
    assert bytes(AccountBranding.objects.get(account=acme.account).logo) == png
    _post(staff, **{"branding-logo_remove": "on"})
    assert bytes(AccountBranding.objects.get(account=acme.account).logo) == b""


def test_a_file_that_is_not_a_png_or_jpeg_is_refused_and_nothing_is_saved(acme):
    staff = staff_login(Client(), account=acme.account)
    trail = AuditLogEntry.objects.filter(account=acme.account).count()
    refused = _post(staff, logo=image("GIF"), name="logo.png", **{"will_be_due_days": "9"})
    assert refused.status_code == 200
    assert "The logo must be a PNG or JPEG image; this file is a GIF image." in (
        refused.content.decode()
    )
    refused = _post(staff, logo=b"%PDF-1.4\n", name="logo.png")
    assert "this file is not one" in refused.content.decode()
    assert not AccountBranding.objects.filter(account=acme.account).exists()
    assert BillingSettings.objects.get(account=acme.account).will_be_due_days == 3
    assert AuditLogEntry.objects.filter(account=acme.account).count() == trail


def test_members_who_may_not_change_settings_cannot_brand_invoices(acme):
    viewer = staff_login(Client(), account=acme.account, role=Role.VIEW_ONLY)
    page = viewer.get(PAGE).content.decode()
    assert "Your role does not allow this change." in page
    refused = _post(viewer, logo=image("PNG"))
    assert "Your role does not allow changing account settings." in refused.content.decode()
    assert not AccountBranding.objects.filter(account=acme.account).exists()
