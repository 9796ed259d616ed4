"""Invoices: built from lines, numbered gaplessly, finalized, paid, voided.

Payment happens outside any transaction (apps.payments two-phase charges); every state change
records its event in the transaction that makes it (status moves through
apps.invoices.transitions). The modules by topic: ``lines``, ``locking``, ``finalize``,
``payments``, ``payments_begun``, ``status``, ``totals``; the API objects are in
apps.invoices.render.
"""

from apps.invoices.render import invoice_item_render, invoice_record, invoice_render
from apps.invoices.services.finalize import (
    invoice_finalize,
    invoice_made_write,
    invoices_finalize,
    invoices_insert,
)
from apps.invoices.services.lines import invoice_line_rows, line_discounts_of
from apps.invoices.services.locking import invoice_lock_with_customer
from apps.invoices.services.payments import (
    invoice_pay,
    invoices_outcomes_record,
    invoices_pay,
    payment_in_progress_refuse,
)
from apps.invoices.services.status import (
    invoice_delete_draft,
    invoice_mark_uncollectible,
    invoice_void,
)
from apps.invoices.services.totals import (
    collection_previewed,
    discount_terms,
    invoice_tax_fields,
    invoice_taxes_set,
    invoice_totals,
    rates_effective,
)

__all__ = [
    "collection_previewed",
    "discount_terms",
    "invoice_delete_draft",
    "invoice_finalize",
    "invoice_item_render",
    "invoice_line_rows",
    "invoice_lock_with_customer",
    "invoice_made_write",
    "invoice_mark_uncollectible",
    "invoice_pay",
    "invoice_record",
    "invoice_render",
    "invoice_tax_fields",
    "invoice_taxes_set",
    "invoice_totals",
    "rates_effective",
    "invoice_void",
    "invoices_finalize",
    "invoices_insert",
    "invoices_outcomes_record",
    "invoices_pay",
    "line_discounts_of",
    "payment_in_progress_refuse",
]
