"""An invoice as its customer reads it: the one context from which the hosted page and the PDF
are both rendered, through the same template (``invoices/hosted.html``, its ``document``
partial). Every word and figure the customer sees is decided here; the template only lays it
out, so the page and the PDF cannot disagree."""

from dataclasses import dataclass
from typing import NamedTuple

from django.template.loader import render_to_string

from apps.accounts.selectors import account_branding
from apps.core.money import format_money
from apps.customers.models import Customer, CustomerBalanceTransaction
from apps.invoices.engine.settlement import SETTLEMENT_TYPES
from apps.invoices.enums import InvoiceStatus
from apps.invoices.models import Invoice
from apps.invoices.pdf import html_pdf
from apps.invoices.render import invoice_render
from apps.invoices.taxes import TAX_ID_LABELS, customer_tax_ids_of, tax_lines

DATE = "%Y-%m-%d"
TEMPLATE = "invoices/hosted.html"


class Row(NamedTuple):
    """One line of the totals: a label, an amount already formatted, whether it is stressed."""

    label: str
    amount: str
    strong: bool = False


class LineRow(NamedTuple):
    description: str
    detail: str  # quantity and service period
    amount: str


@dataclass(frozen=True)
class Party:
    """Who sends or receives the invoice: a name and the lines printed under it."""

    name: str
    lines: list[str]


@dataclass(frozen=True)
class InvoiceDocument:
    title: str
    seller: Party
    logo_uri: str | None  # a data: URI, so the page and the PDF need no file storage
    customer: Party
    tax_ids: list[str]  # "EU VAT DE123456789"
    facts: list[tuple[str, str]]  # number, dates
    status: str
    status_detail: str
    memo: list[str]
    lines: list[LineRow]
    totals: list[Row]
    footer: list[str]


def _text_lines(text: str) -> list[str]:
    return [line.rstrip() for line in (text or "").strip().splitlines()]


def _address_lines(address: dict | None) -> list[str]:
    """A Stripe address hash as printed lines: street lines, postal code and city, country."""
    address = address or {}
    place = " ".join(filter(None, (address.get("postal_code"), address.get("city"))))
    return [
        part
        for part in (
            address.get("line1"),
            address.get("line2"),
            ", ".join(filter(None, (place, address.get("state")))),
            address.get("country"),
        )
        if part
    ]


def tax_id_labels(invoice: Invoice) -> list[str]:
    """The customer's tax ids as printed ("EU VAT DE123456789"): the invoice's own record of
    them once finalized, else the customer's tax ids as they are now."""
    return [
        f"{TAX_ID_LABELS.get(entry['type'], entry['type'])} {entry['value']}"
        for entry in customer_tax_ids_of(invoice)
    ]


def tax_rows(invoice: Invoice) -> list[Row]:
    """A row per tax rate of the invoice (``total_tax_amounts``), named as the invoice page
    names it ("VAT (20 %)", "MwSt (19 %, included)"); none when it has none."""
    return [
        Row(tax["label"], format_money(tax["amount"], invoice.currency))
        for tax in tax_lines(invoice.account_id, invoice.total_tax_amounts or [])
    ]


def _status(invoice: Invoice) -> tuple[str, str]:
    label = InvoiceStatus(invoice.status).label
    remaining = format_money(invoice.amount_due - invoice.amount_paid, invoice.currency)
    if invoice.status == InvoiceStatus.PAID and invoice.paid_at:
        return label, f"Paid on {invoice.paid_at:{DATE}}"
    if invoice.status == InvoiceStatus.OPEN and invoice.due_date:
        return label, f"{remaining} due by {invoice.due_date:{DATE}}"
    if invoice.status == InvoiceStatus.OPEN:
        return label, f"{remaining} to pay"
    if invoice.status == InvoiceStatus.VOID and invoice.voided_at:
        return label, f"Voided on {invoice.voided_at:{DATE}}; nothing is owed"
    if invoice.status == InvoiceStatus.UNCOLLECTIBLE:
        return label, f"{remaining} unpaid"
    return label, ""


def _totals(invoice: Invoice, render: dict) -> list[Row]:
    money = lambda amount: format_money(amount, invoice.currency)  # noqa: E731
    rows = [Row("Subtotal", money(invoice.subtotal))]
    if invoice.total_discount:
        coupon = invoice.discount.coupon if invoice.discount_id else None
        rows.append(
            Row(f"Discount{f' ({coupon})' if coupon else ''}", money(-invoice.total_discount))
        )
    taxes = tax_rows(invoice)
    if taxes and render.get("total_excluding_tax") is not None:
        rows.append(Row("Total excluding tax", money(render["total_excluding_tax"])))
    rows += [*taxes, Row("Total", money(invoice.total), True)]
    # What finalizing moved between the invoice and the customer's balance
    # (apps.invoices.engine.settlement): credit or debt applied, a three-decimal rounding, an
    # amount under the minimum charge.
    rows += [
        Row(entry.description or "Applied balance", money(-entry.amount))
        for entry in CustomerBalanceTransaction.objects.filter(
            account_id=invoice.account_id, invoice_id=invoice.id, type__in=SETTLEMENT_TYPES
        ).order_by("id")
    ]
    return [
        *rows,
        Row("Amount due", money(invoice.amount_due), True),
        Row("Amount paid", money(invoice.amount_paid)),
    ]


def _customer(customer: Customer) -> Party:
    name = customer.name or customer.email or customer.id
    lines = _address_lines(customer.address)
    if customer.email and customer.email != name:
        lines.append(customer.email)
    return Party(name, lines)


def invoice_document(invoice: Invoice) -> InvoiceDocument:
    render = invoice_render(invoice)
    account = invoice.account
    branding = account_branding(account=account)
    status, status_detail = _status(invoice)
    facts = [("Invoice number", invoice.number or "Draft")]
    if invoice.finalized_at:
        facts.append(("Date of issue", f"{invoice.finalized_at:{DATE}}"))
    if invoice.due_date:
        facts.append(("Date due", f"{invoice.due_date:{DATE}}"))
    return InvoiceDocument(
        title=f"Invoice {invoice.number or invoice.id}",
        seller=Party(
            account.name,
            [*_text_lines(branding.address), *([account.email] if account.email else [])],
        ),
        logo_uri=branding.logo_uri,
        customer=_customer(invoice.customer),
        tax_ids=tax_id_labels(invoice),
        facts=facts,
        status=status,
        status_detail=status_detail,
        memo=_text_lines(invoice.description),
        lines=[
            LineRow(
                line.description or line.price_id or "Item",
                f"× {line.quantity} · {line.period_start:{DATE}} – {line.period_end:{DATE}}",
                format_money(line.amount, invoice.currency),
            )
            for line in invoice.lines.order_by("period_start", "id")
        ],
        totals=_totals(invoice, render),
        footer=_text_lines(invoice.footer),
    )


def invoice_pdf(invoice: Invoice) -> bytes:
    """The PDF: the hosted page's ``document`` partial, laid out by fpdf2."""
    document = invoice_document(invoice)
    html = render_to_string(f"{TEMPLATE}#document", {"document": document})
    return html_pdf(html, title=document.title, author=document.seller.name)
