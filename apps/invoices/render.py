"""The invoice and invoice item API objects, and the audit entry with an invoice's event."""

from typing import Any

from apps.accounts.audit import change_record
from apps.core import clock
from apps.core.actor import Actor
from apps.customers.models import Customer
from apps.invoices.documents import hosted_invoice_url, invoice_pdf_url
from apps.invoices.lines_render import CREDIT_NOTES, invoice_lines_render
from apps.invoices.models import Invoice, InvoiceItem
from apps.invoices.taxes import (
    customer_tax_ids_now,
    customer_tax_ids_of,
    tax_amounts_render,
    tax_rates_rendered,
)

# Stripe's keys of features a Ledgerline invoice does not use (Connect, automatic tax, shipping,
# revisions, quotes, custom rendering...), with the value Stripe gives an invoice without them.
INVOICE_UNUSED: dict[str, Any] = {
    "account_tax_ids": None,
    "amount_overpaid": 0,
    "amount_shipping": 0,
    "application": None,
    "automatic_tax": {
        "disabled_reason": None,
        "enabled": False,
        "liability": None,
        "provider": None,
        "status": None,
    },
    "custom_fields": None,
    "customer_account": None,
    # An invoice's own payment method or source overrides its subscription's and its
    # customer's; Ledgerline invoices have none of their own.
    "default_payment_method": None,
    "default_source": None,
    "default_tax_rates": [],
    "from_invoice": None,
    "issuer": {"type": "self"},
    "last_finalization_error": None,
    "latest_revision": None,
    "on_behalf_of": None,
    "payment_settings": {
        "default_mandate": None,
        "payment_method_options": None,
        "payment_method_types": None,
    },
    "receipt_number": None,
    "rendering": None,
    "shipping_cost": None,
    "shipping_details": None,
    "statement_descriptor": None,
    "total_pretax_credit_amounts": [],
    "total_taxes": [],
}


def invoice_customer_render(customer: Customer) -> dict[str, Any]:
    """What an invoice shows of its customer."""
    return {
        "customer_address": customer.address,
        "customer_email": customer.email or None,
        "customer_name": customer.name or None,
        "customer_phone": customer.phone or None,
        "customer_shipping": customer.shipping,
        "customer_tax_exempt": customer.tax_exempt,
    }


def invoice_render(invoice: Invoice) -> dict:
    account = invoice.account
    return {
        **INVOICE_UNUSED,
        **invoice_customer_render(invoice.customer),
        "id": invoice.id,
        "object": "invoice",
        "account_country": account.country,
        "account_name": account.name,
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
        "description": invoice.description or None,
        "discounts": [invoice.discount_id] if invoice.discount_id else [],
        "due_date": clock.to_epoch(invoice.due_date),
        "effective_at": clock.to_epoch(invoice.finalized_at),
        "ending_balance": invoice.ending_balance,
        "footer": invoice.footer or None,
        "hosted_invoice_url": hosted_invoice_url(invoice),
        "invoice_pdf": invoice_pdf_url(invoice),
        "lines": invoice_lines_render(invoice),
        "livemode": account.livemode,
        # A draft charged automatically is first attempted when it finalizes; then the retry
        # schedule's next slot (null once spent, and for send_invoice invoices).
        "next_payment_attempt": clock.to_epoch(
            invoice.automatically_finalizes_at
            if invoice.status == "draft" and invoice.collection_method == "charge_automatically"
            else invoice.next_payment_attempt
        ),
        "number": invoice.number,
        "paid": invoice.status == "paid",
        "parent": _parent(invoice),
        "period_end": clock.to_epoch(invoice.period_end),
        "period_start": clock.to_epoch(invoice.period_start),
        **_credit_notes_amounts(invoice),
        "starting_balance": invoice.starting_balance,
        "status": invoice.status,
        "status_transitions": {
            "finalized_at": clock.to_epoch(invoice.finalized_at),
            "marked_uncollectible_at": clock.to_epoch(invoice.marked_uncollectible_at),
            "paid_at": clock.to_epoch(invoice.paid_at),
            "voided_at": clock.to_epoch(invoice.voided_at),
        },
        "subscription": invoice.subscription_id,
        "subtotal": invoice.subtotal,
        "test_clock": invoice.customer.test_clock_id,
        "total_discount_amounts": (
            [{"amount": invoice.total_discount, "discount": invoice.discount_id}]
            if invoice.total_discount
            else []
        ),
        "total": invoice.total,
        **_tax_fields(invoice),
        "metadata": invoice.metadata,
        # Finalizing never waits for webhook deliveries, which is how Stripe treats an invoice
        # with none to wait for: the time is its creation.
        "webhooks_delivered_at": clock.to_epoch(invoice.created_at),
    }


def _tax_fields(invoice: Invoice) -> dict[str, Any]:
    """The invoice's tax figures (apps.invoices.taxes), the customer's tax ids it carries and
    its default tax rates."""
    return {
        "customer_tax_ids": customer_tax_ids_of(invoice),
        "default_tax_rates": tax_rates_rendered(invoice.account_id, invoice.default_tax_rates),
        "subtotal_excluding_tax": (
            invoice.subtotal
            if invoice.subtotal_excluding_tax is None
            else invoice.subtotal_excluding_tax
        ),
        "tax": invoice.tax,
        "total_excluding_tax": invoice.total - invoice.tax,
        "total_tax_amounts": tax_amounts_render(invoice.total_tax_amounts),
    }


def _parent(invoice: Invoice) -> dict[str, Any] | None:
    """What the invoice was made for: its subscription, if it has one."""
    if not invoice.subscription_id:
        return None
    return {
        "quote_details": None,
        "subscription_details": {"metadata": None, "subscription": invoice.subscription_id},
        "type": "subscription_details",
    }


def _credit_notes_amounts(invoice: Invoice) -> dict[str, int]:
    """What the invoice's issued credit notes took off before it was paid (lowering the amount
    due) and after (settled by refund, balance credit or out of band). The notes read by
    ``invoices_render_prepare`` when it read them, else through ``all()`` so a caller's
    prefetch is used; a draft has none."""
    pre = post = 0
    if invoice.status != "draft":
        notes = invoice.__dict__.get(CREDIT_NOTES)
        for note in invoice.credit_notes.all() if notes is None else notes:
            if note.status != "issued":
                continue
            settled = note.refund_amount + note.credit_amount + note.out_of_band_amount
            post += settled
            pre += note.amount - settled
    return {"post_payment_credit_notes_amount": post, "pre_payment_credit_notes_amount": pre}


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
        "customer_account": None,
        "date": clock.to_epoch(item.created_at),
        "description": item.description or None,
        "discountable": True,
        "discounts": [],
        "invoice": item.invoice_id,
        "livemode": item.account.livemode,
        "metadata": item.metadata,
        # Discounts apply on the invoice, to its lines; the item itself carries none.
        "net_amount": item.amount,
        "parent": (
            {
                "subscription_details": {
                    "subscription": item.subscription_id,
                    "subscription_item": item.subscription_item_id,
                },
                "type": "subscription_details",
            }
            if item.subscription_id
            else None
        ),
        "period": {
            "start": clock.to_epoch(item.period_start),
            "end": clock.to_epoch(item.period_end),
        },
        "pricing": (
            {
                "price_details": {"price": item.price_id},
                "type": "price_details",
                "unit_amount_decimal": None,
            }
            if item.price_id
            else None
        ),
        "proration": item.proration,
        "quantity": item.quantity,
        "quantity_decimal": str(item.quantity),
        "subscription": item.subscription_id,
        "tax_rates": tax_rates_rendered(item.account_id, item.tax_rates),
        "test_clock": item.customer.test_clock_id,
    }


def invoice_preview_base(
    *, account, customer: Customer, at, tax_ids: list[dict] | None = None
) -> dict[str, Any]:
    """The keys of an invoice preview (``create_preview``, ``upcoming``) that are the same for
    every invoice not yet created: a draft of ``customer``'s, as of ``at``, with nothing paid,
    numbered or credited. The preview adds its amounts, lines and period. ``tax_ids``: the
    customer's, when the caller knows them (a preview that learnt there are none), else read."""
    return {
        **INVOICE_UNUSED,
        **invoice_customer_render(customer),
        "customer_tax_ids": (
            customer_tax_ids_now(account.id, customer.id) if tax_ids is None else tax_ids
        ),
        "account_country": account.country,
        "account_name": account.name,
        "attempt_count": 0,
        "attempted": False,
        "auto_advance": False,
        "automatically_finalizes_at": None,
        "collection_method": "charge_automatically",
        "created": clock.to_epoch(at),
        "description": None,
        "discounts": [],
        "due_date": None,
        "effective_at": None,
        "footer": None,
        "hosted_invoice_url": None,
        "invoice_pdf": None,
        "livemode": account.livemode,
        "metadata": {},
        "number": None,
        "paid": False,
        "post_payment_credit_notes_amount": 0,
        "pre_payment_credit_notes_amount": 0,
        "status_transitions": {
            "finalized_at": None,
            "marked_uncollectible_at": None,
            "paid_at": None,
            "voided_at": None,
        },
        "test_clock": customer.test_clock_id,
        "webhooks_delivered_at": None,
    }
