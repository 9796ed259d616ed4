"""The Stripe wire shape of a customer and of its ledger rows, notes and tax ids."""

from typing import Any

from apps.core import clock
from apps.customers.models import Customer, CustomerBalanceTransaction, CustomerNote, TaxId
from apps.customers.selectors import customer_balance


def customer_render(customer: Customer, *, balance: int | None = None) -> dict[str, Any]:
    if customer.deleted_at is not None:
        return {"id": customer.id, "object": "customer", "deleted": True}
    return {
        "id": customer.id,
        "object": "customer",
        "address": customer.address,
        "balance": customer_balance(customer) if balance is None else balance,
        "created": clock.to_epoch(customer.created_at),
        "currency": customer.currency or None,
        "default_source": customer.default_source_id,
        "delinquent": False,
        "description": customer.description or None,
        "discount": None,
        "email": customer.email or None,
        "invoice_prefix": customer.invoice_prefix or customer.id[-8:].upper(),
        "invoice_settings": {
            "custom_fields": None,
            "default_payment_method": customer.default_payment_method_id,
            "footer": None,
            "rendering_options": None,
        },
        "livemode": customer.account.livemode,
        "metadata": customer.metadata,
        "name": customer.name or None,
        "next_invoice_sequence": 1,
        "phone": customer.phone or None,
        "preferred_locales": customer.preferred_locales,
        "shipping": customer.shipping,
        "tax_exempt": customer.tax_exempt,
        "test_clock": customer.test_clock_id,
    }


def balance_transaction_render(row: CustomerBalanceTransaction) -> dict[str, Any]:
    return {
        "id": row.id,
        "object": "customer_balance_transaction",
        "amount": row.amount,
        "checkout_session": None,
        "created": clock.to_epoch(row.created_at),
        "credit_note": row.credit_note_id,
        "currency": row.currency,
        "customer": row.customer_id,
        "customer_account": None,
        "description": row.description or None,
        "ending_balance": row.ending_balance,
        "invoice": row.invoice_id,
        "livemode": row.account.livemode,
        "metadata": row.metadata,
        "type": row.type,
    }


def note_render(note: CustomerNote) -> dict[str, Any]:
    return {
        "id": note.id,
        "object": "customer_note",
        "author": {"type": note.author_kind, "name": note.author_label},
        "body": note.body,
        "created": clock.to_epoch(note.created_at),
        "customer": note.customer_id,
        "updated": clock.to_epoch(note.updated_at),
    }


def tax_id_render(tax_id: TaxId) -> dict[str, Any]:
    return {
        "id": tax_id.id,
        "object": "tax_id",
        "country": tax_id.country or None,
        "created": clock.to_epoch(tax_id.created_at),
        "customer": tax_id.customer_id,
        "customer_account": None,
        "livemode": tax_id.account.livemode,
        "owner": {"customer": tax_id.customer_id, "customer_account": None, "type": "customer"},
        "type": tax_id.type,
        "value": tax_id.value,
        "verification": {"status": "unavailable", "verified_address": None, "verified_name": None},
    }
