"""Where a customer finds an invoice: the hosted page's URL and its PDF's (what they show is
apps.invoices.invoice_document)."""

from apps.core.public_url import public_url
from apps.invoices.models import Invoice


def hosted_invoice_url(invoice: Invoice) -> str | None:
    if invoice.status == "draft" or not invoice.hosted_token:
        return None
    return f"{public_url()}/i/{invoice.hosted_token}/"


def invoice_pdf_url(invoice: Invoice) -> str | None:
    url = hosted_invoice_url(invoice)
    return f"{url}pdf" if url else None
