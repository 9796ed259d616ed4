"""The hosted invoice page and the PDF: same figures, unguessable URL, a well-formed PDF."""

import re

from django.test import Client

from apps.invoices.models import Invoice
from apps.invoices.pdf import pdf_document
from tests.factories import SubscriptionFactory


def test_hosted_page_and_pdf_show_the_invoice(api, acme):
    subscription = SubscriptionFactory(account=acme.account)
    invoice = Invoice.objects.get(subscription=subscription)
    shown = api.get(f"/v1/invoices/{invoice.id}").json()
    assert shown["hosted_invoice_url"].endswith(f"/i/{invoice.hosted_token}/")
    assert len(invoice.hosted_token) >= 32
    page = Client().get(f"/i/{invoice.hosted_token}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "$25.00" in text
    assert invoice.number in text
    assert page["X-Robots-Tag"] == "noindex"
    pdf = Client().get(f"/i/{invoice.hosted_token}/pdf")
    assert pdf["Content-Type"] == "application/pdf"
    assert b"($25.00) Tj" in pdf.content
    # Another token: the last character changed (to one it is not), never the same token.
    last = "y" if invoice.hosted_token.endswith("x") else "x"
    assert Client().get(f"/i/{invoice.hosted_token[:-1]}{last}/").status_code == 404


def test_pdf_structure_is_valid():
    document = pdf_document([("Line (with parens) \\ back", "$1.00", False)] * 100, title="Test")
    assert document.startswith(b"%PDF-1.4")
    assert document.rstrip().endswith(b"%%EOF")
    start = int(re.search(rb"startxref\n(\d+)", document).group(1))
    assert document[start : start + 4] == b"xref"
    offsets = re.findall(rb"(\d{10}) 00000 n", document[start:])
    for number, offset in enumerate(offsets, start=1):
        assert document[int(offset) :].startswith(b"%d 0 obj" % number)
    assert b"/Count 3" in document  # 100 lines over pages of 48
    assert b"\\(with parens\\) \\\\ back" in document
