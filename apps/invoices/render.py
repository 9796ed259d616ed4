"""The invoice and invoice item API objects, and the audit entry with an invoice's event."""

from apps.accounts.audit import change_record
from apps.core import clock
from apps.core.actor import Actor
from apps.invoices.documents import hosted_invoice_url, invoice_pdf_url
from apps.invoices.models import Invoice, InvoiceItem
from apps.invoices.taxes import customer_tax_ids_of, tax_amounts_render, tax_rates_rendered


def invoice_render(invoice: Invoice) -> dict:
    return {
        "id": invoice.id,
        "object": "invoice",
        "amount_due": invoice.amount_due,
        "amount_paid": invoice.amount_paid,
        "amount_remaining": invoice.amount_due - invoice.amount_paid,
        # Counted attempts: the first, then only scheduled retries (apps.collections.attempts).
        "attempt_count": invoice.attempt_count,
        "attempted": invoice.attempt_count > 0,
        "auto_advance": invoice.auto_advance,
        # Only a draft finalizes automatically; the time is history once it is finalized.
        "automatically_finalizes_at": clock.to_epoch(
            invoice.automatically_finalizes_at if invoice.status == "draft" else None
        ),
        "billing_reason": invoice.billing_reason,
        "collection_method": invoice.collection_method,
        "created": clock.to_epoch(invoice.created_at),
        "currency": invoice.currency,
        "customer": invoice.customer_id,
        "customer_tax_ids": customer_tax_ids_of(invoice),
        "default_tax_rates": tax_rates_rendered(invoice.account_id, invoice.default_tax_rates),
        "description": invoice.description or None,
        "discounts": [invoice.discount_id] if invoice.discount_id else [],
        "due_date": clock.to_epoch(invoice.due_date),
        "ending_balance": invoice.ending_balance,
        "footer": invoice.footer or None,
        "hosted_invoice_url": hosted_invoice_url(invoice),
        "invoice_pdf": invoice_pdf_url(invoice),
        # A draft charged automatically is first attempted when it finalizes; then the retry
        # schedule's next slot (null once spent, and for send_invoice invoices).
        "next_payment_attempt": clock.to_epoch(
            invoice.automatically_finalizes_at
            if invoice.status == "draft" and invoice.collection_method == "charge_automatically"
            else invoice.next_payment_attempt
        ),
        "number": invoice.number,
        "paid": invoice.status == "paid",
        "period_end": clock.to_epoch(invoice.period_end),
        "period_start": clock.to_epoch(invoice.period_start),
        "starting_balance": invoice.starting_balance,
        "status": invoice.status,
        "subscription": invoice.subscription_id,
        "subtotal": invoice.subtotal,
        "subtotal_excluding_tax": (
            invoice.subtotal
            if invoice.subtotal_excluding_tax is None
            else invoice.subtotal_excluding_tax
        ),
        "tax": invoice.tax,
        "total_discount_amounts": (
            [{"amount": invoice.total_discount, "discount": invoice.discount_id}]
            if invoice.total_discount
            else []
        ),
        "total": invoice.total,
        "total_excluding_tax": invoice.total - invoice.tax,
        "total_tax_amounts": tax_amounts_render(invoice.total_tax_amounts),
        "metadata": invoice.metadata,
    }


def invoice_record(invoice: Invoice, type: str, actor: Actor) -> None:
    change_record(
        account=invoice.account,
        actor=actor,
        type=type,
        object_type="invoice",
        data_object=invoice_render(invoice),
    )


def invoice_item_render(item: InvoiceItem) -> dict:
    return {
        "id": item.id,
        "object": "invoiceitem",
        "amount": item.amount,
        "currency": item.currency,
        "customer": item.customer_id,
        "date": clock.to_epoch(item.created_at),
        "description": item.description or None,
        "invoice": item.invoice_id,
        "metadata": item.metadata,
        "period": {
            "start": clock.to_epoch(item.period_start),
            "end": clock.to_epoch(item.period_end),
        },
        "pricing": (
            {"price_details": {"price": item.price_id}, "type": "price_details"}
            if item.price_id
            else None
        ),
        "proration": item.proration,
        "quantity": item.quantity,
        "subscription": item.subscription_id,
        "tax_rates": tax_rates_rendered(item.account_id, item.tax_rates),
    }
