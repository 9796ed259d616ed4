"""The customer-facing invoice: a page at an unguessable URL and its PDF (no login)."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from apps.invoices.documents import invoice_pdf_url
from apps.invoices.invoice_document import TEMPLATE, invoice_document, invoice_pdf
from apps.invoices.models import Invoice


def _invoice(token: str) -> Invoice:
    invoice = (
        Invoice.objects.select_related("account", "customer")
        .filter(hosted_token=token)
        .exclude(status="draft")
        .first()
    )
    if invoice is None or len(token) < 32:
        raise Http404("No such invoice")
    return invoice


@require_GET
def hosted_invoice_view(request: HttpRequest, token: str) -> HttpResponse:
    invoice = _invoice(token)
    response = render(
        request,
        TEMPLATE,
        {
            "invoice": invoice,
            "document": invoice_document(invoice),
            "pdf_url": invoice_pdf_url(invoice),
        },
    )
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"
    return response


@require_GET
def hosted_invoice_pdf_view(request: HttpRequest, token: str) -> HttpResponse:
    invoice = _invoice(token)
    response = HttpResponse(invoice_pdf(invoice), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="invoice-{invoice.number or invoice.id}.pdf"'
    )
    response["X-Robots-Tag"] = "noindex"
    return response
