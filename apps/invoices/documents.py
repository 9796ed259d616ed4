"""What a customer sees of an invoice: the hosted page's context and the PDF, from one source."""

import textwrap

from django.conf import settings

from apps.core.money import format_amount
from apps.customers.models import CustomerBalanceTransaction
from apps.invoices.engine.settlement import SETTLEMENT_TYPES
from apps.invoices.models import Invoice
from apps.invoices.pdf import pdf_document
from apps.invoices.taxes import customer_tax_ids_of, tax_lines

# How a tax id is named on an invoice, by its Stripe type; other types show the type itself.
TAX_ID_LABELS = {
    "eu_vat": "EU VAT",
    "gb_vat": "GB VAT",
    "au_abn": "AU ABN",
    "es_cif": "ES CIF",
    "ca_bn": "CA BN",
    "ch_vat": "CH VAT",
    "no_vat": "NO VAT",
    "in_gst": "IN GST",
    "us_ein": "US EIN",
}


def hosted_invoice_url(invoice: Invoice) -> str | None:
    if invoice.status == "draft" or not invoice.hosted_token:
        return None
    return f"{settings.PUBLIC_URL}/i/{invoice.hosted_token}/"


def invoice_pdf_url(invoice: Invoice) -> str | None:
    url = hosted_invoice_url(invoice)
    return f"{url}pdf" if url else None


# Characters per row of free text (memo, footer): what fits an A4 line of the PDF.
TEXT_WIDTH = 90


def _text_rows(text: str) -> list[tuple[str, str, bool]]:
    """Free text as rows: its own line breaks kept, long lines wrapped."""
    return [
        (row, "", False)
        for paragraph in text.strip().splitlines()
        for row in (textwrap.wrap(paragraph, TEXT_WIDTH) or [""])
    ]


def invoice_rows(invoice: Invoice) -> list[tuple[str, str, bool]]:
    """The invoice as lines of text (left, right, bold), shared by the page and the PDF."""
    money = lambda amount: format_amount(amount, invoice.currency)  # noqa: E731
    customer = invoice.customer
    rows: list[tuple[str, str, bool]] = [
        (invoice.account.name, f"Invoice {invoice.number or invoice.id}", True),
        (f"Billed to: {customer.name or customer.email or customer.id}", "", False),
        *(
            (f"{TAX_ID_LABELS.get(tax_id['type'], tax_id['type'])} {tax_id['value']}", "", False)
            for tax_id in customer_tax_ids_of(invoice)
        ),
        (
            f"Issued: {invoice.finalized_at:%Y-%m-%d}" if invoice.finalized_at else "Draft",
            f"Due: {invoice.due_date:%Y-%m-%d}" if invoice.due_date else "",
            False,
        ),
        ("", "", False),
    ]
    if invoice.description:
        rows += [*_text_rows(invoice.description), ("", "", False)]
    for line in invoice.lines.order_by("period_start", "id"):
        period = f"{line.period_start:%Y-%m-%d} – {line.period_end:%Y-%m-%d}"
        label = line.description or line.price_id or "Item"
        rows.append((f"{label} × {line.quantity} ({period})", money(line.amount), False))
    rows += [
        ("", "", False),
        ("Subtotal", money(invoice.subtotal), False),
    ]
    if invoice.total_discount:
        coupon = invoice.discount.coupon if invoice.discount_id else None
        rows.append(
            (f"Discount{f' ({coupon})' if coupon else ''}", money(-invoice.total_discount), False)
        )
    taxes = tax_lines(invoice.account_id, invoice.total_tax_amounts)
    if taxes:
        rows.append(("Total excluding tax", money(invoice.total - invoice.tax), False))
        rows += [(tax["label"], money(tax["amount"]), False) for tax in taxes]
    rows += [
        ("Total", money(invoice.total), True),
    ]
    # What finalizing moved between the invoice and the customer's balance
    # (apps.invoices.engine.settlement): credit or debt applied, a three-decimal rounding, an
    # amount under the minimum charge.
    for entry in CustomerBalanceTransaction.objects.filter(
        account_id=invoice.account_id, invoice_id=invoice.id, type__in=SETTLEMENT_TYPES
    ).order_by("id"):
        rows.append((entry.description or "Applied balance", money(-entry.amount), False))
    rows += [
        ("Amount due", money(invoice.amount_due), True),
        ("Amount paid", money(invoice.amount_paid), False),
        (f"Status: {invoice.status}", "", False),
    ]
    if invoice.footer:
        rows += [("", "", False), *_text_rows(invoice.footer)]
    return rows


def invoice_pdf(invoice: Invoice) -> bytes:
    return pdf_document(invoice_rows(invoice), title=f"Invoice {invoice.number or invoice.id}")
