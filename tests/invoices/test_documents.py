"""The hosted invoice page and its PDF: one content in any script and currency, the account's
branding, the customer's tax ids, the payment status; an unguessable URL."""

import io
from urllib.parse import urlparse

import stripe
from django.template.loader import render_to_string
from django.test import Client
from PIL import Image
from pypdf import PdfReader

from apps.accounts.services import account_branding_update
from apps.core.actor import SYSTEM
from apps.invoices.invoice_document import (
    TEMPLATE,
    InvoiceDocument,
    LineRow,
    Party,
    Row,
)
from apps.invoices.models import Invoice
from apps.invoices.pdf import html_pdf
from tests.factories import SubscriptionFactory

ADDRESS = "Acme GmbH\nMusterstraße 1\n10115 Berlin"


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (240, 80), (79, 70, 229)).save(buffer, "PNG")
    return buffer.getvalue()


def _pdf(url: str) -> tuple[str, PdfReader]:
    response = Client().get(urlparse(url).path)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    return "\n".join(page.extract_text() for page in reader.pages), reader


def _paid_euro_invoice():
    customer = stripe.Customer.create(
        name="山田太郎",
        email="taro@example.jp",
        source="tok_visa",
        address={
            "line1": "千代田1-1",
            "city": "東京都",
            "postal_code": "100-0001",
            "country": "JP",
        },
    )
    stripe.Customer.create_tax_id(customer.id, type="eu_vat", value="DE123456788")
    stripe.InvoiceItem.create(
        customer=customer.id, amount=125000, currency="eur", description="Implementation"
    )
    invoice = stripe.Invoice.create(
        customer=customer.id, currency="eur", pending_invoice_items_behavior="include"
    )
    stripe.Invoice.finalize_invoice(invoice.id)
    return stripe.Invoice.pay(invoice.id)


def test_the_pdf_prints_every_script_and_currency_with_the_accounts_branding(stripe_sdk, acme):
    account_branding_update(account=acme.account, address=ADDRESS, logo=_png(), actor=SYSTEM)
    paid = _paid_euro_invoice()
    assert (paid.status, paid.total, paid.currency) == ("paid", 125000, "eur")

    text, reader = _pdf(paid.invoice_pdf)
    assert "€1,250.00" in text
    assert "山田太郎" in text
    assert "東京都" in text
    assert "EU VAT DE123456788" in text
    assert "Acme" in text
    assert "Musterstraße 1" in text
    invoice = Invoice.objects.get(pk=paid.id)
    assert f"Paid · Paid on {invoice.paid_at:%Y-%m-%d}" in text
    assert paid.number in text
    assert "?" not in text  # nothing was replaced for want of a glyph
    assert len(reader.pages[0].images) == 1  # the logo
    assert reader.metadata.title == f"Invoice {paid.number}"

    # The hosted page is made of the same document.
    page = Client().get(urlparse(paid.hosted_invoice_url).path).content.decode()
    for shown in ("€1,250.00", "山田太郎", "EU VAT DE123456788", "Musterstraße 1", "Paid on"):
        assert shown in page
    assert 'src="data:image/png;base64,' in page


def test_an_open_yen_invoice_shows_what_is_due_and_no_logo_without_one(stripe_sdk, acme):
    customer = stripe.Customer.create(name="佐藤花子", email="hanako@example.jp")
    stripe.InvoiceItem.create(customer=customer.id, amount=1250, currency="jpy")
    invoice = stripe.Invoice.create(
        customer=customer.id,
        currency="jpy",
        collection_method="send_invoice",
        days_until_due=30,
        pending_invoice_items_behavior="include",
    )
    opened = stripe.Invoice.finalize_invoice(invoice.id)
    due = Invoice.objects.get(pk=opened.id).due_date

    text, reader = _pdf(opened.invoice_pdf)
    assert "¥1,250" in text
    assert "¥1,250.00" not in text  # yen have no minor unit
    assert "佐藤花子" in text
    assert f"Open · ¥1,250 due by {due:%Y-%m-%d}" in text
    assert "EU VAT" not in text  # this customer has no tax id
    assert "Tax" not in text  # nor the invoice any tax amount
    assert len(reader.pages[0].images) == 0


def test_a_void_invoice_says_nothing_is_owed(stripe_sdk):
    customer = stripe.Customer.create(name="Grace", email="grace@example.com")
    stripe.InvoiceItem.create(customer=customer.id, amount=2500, currency="usd")
    invoice = stripe.Invoice.create(
        customer=customer.id,
        collection_method="send_invoice",
        days_until_due=30,
        pending_invoice_items_behavior="include",
    )
    stripe.Invoice.finalize_invoice(invoice.id)
    voided = stripe.Invoice.void_invoice(invoice.id)
    text, _ = _pdf(voided.invoice_pdf)
    voided_at = Invoice.objects.get(pk=voided.id).voided_at
    assert f"Void · Voided on {voided_at:%Y-%m-%d}; nothing is owed" in text
    assert "$25.00" in text


def test_hosted_page_and_pdf_are_behind_an_unguessable_token(api, acme):
    subscription = SubscriptionFactory(account=acme.account)
    invoice = Invoice.objects.get(subscription=subscription)
    shown = api.get(f"/v1/invoices/{invoice.id}").json()
    assert shown["hosted_invoice_url"].endswith(f"/i/{invoice.hosted_token}/")
    assert shown["invoice_pdf"].endswith(f"/i/{invoice.hosted_token}/pdf")
    assert len(invoice.hosted_token) >= 32
    page = Client().get(f"/i/{invoice.hosted_token}/")
    assert page.status_code == 200
    assert "$25.00" in page.content.decode()
    assert invoice.number in page.content.decode()
    assert page["X-Robots-Tag"] == "noindex"
    text, _ = _pdf(shown["invoice_pdf"])
    assert "$25.00" in text
    # Another token: the last character changed (to one it is not), never the same token.
    last = "y" if invoice.hosted_token.endswith("x") else "x"
    assert Client().get(f"/i/{invoice.hosted_token[:-1]}{last}/").status_code == 404
    assert Client().get(f"/i/{invoice.hosted_token[:-1]}{last}/pdf").status_code == 404


def test_a_long_invoice_runs_over_pages_with_the_column_headings_on_each():
    document = InvoiceDocument(
        title="Invoice ACME-0001",
        seller=Party("Acme", ["Musterstraße 1"]),
        logo_uri=None,
        customer=Party("山田太郎", []),
        tax_ids=[],
        facts=[("Invoice number", "ACME-0001")],
        status="Open",
        status_detail="",
        memo=[],
        lines=[LineRow(f"Seat {n} (山田)", "× 1", f"€{n}.00") for n in range(1, 151)],
        totals=[Row("Total", "€11,325.00", True)],
        footer=["Pay within 30 days."],
    )
    html = render_to_string(f"{TEMPLATE}#document", {"document": document})
    reader = PdfReader(io.BytesIO(html_pdf(html, title=document.title, author="Acme")))
    pages = [page.extract_text() for page in reader.pages]
    assert len(pages) > 1
    assert all("Description" in page and "Amount" in page for page in pages)
    text = "\n".join(pages)
    assert all(f"Seat {n} (山田) × 1 €{n}.00" in text for n in range(1, 151))
    assert text.rstrip().endswith("Pay within 30 days.")
