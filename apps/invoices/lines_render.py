"""An invoice's lines as Stripe shows them: each ``line_item``, the first page an invoice object
carries (``invoice.lines``), and the reads a batch of invoices' renders share."""

from collections import defaultdict
from typing import Any

from apps.catalog.selectors import plans_of
from apps.core import clock
from apps.invoices.models import CreditNote, Invoice, InvoiceLine
from apps.invoices.taxes import (
    TAX_IDS_NOW,
    customer_tax_ids_now,
    customers_tax_ids_now,
    tax_amounts_render,
    tax_rates_rendered,
)

# How many lines an invoice object carries; the rest are read from its ``lines.url``.
LINES_PAGE = 10


def line_render(
    line: InvoiceLine,
    *,
    invoice: Invoice,
    subscription_id: str | None = None,
    plans: dict[str, dict] | None = None,
) -> dict[str, Any]:
    """An invoice line; ``invoice`` (its own, loaded) gives what the row does not keep,
    ``plans`` the plan shape of its price (``plans_of``), if it has one."""
    subscription_id = subscription_id or invoice.subscription_id
    discounts = [invoice.discount_id] if line.discount_amount and invoice.discount_id else []
    return {
        "id": line.id,
        "object": "line_item",
        "amount": line.amount,
        "currency": line.currency,
        "description": line.description or None,
        "discount_amounts": (
            [{"amount": line.discount_amount, "discount": invoice.discount_id}]
            if line.discount_amount
            else []
        ),
        "discountable": True,
        "discounts": discounts,
        "invoice": line.invoice_id,
        "livemode": invoice.account.livemode,
        "metadata": {},
        "parent": {
            "type": "subscription_item_details"
            if line.subscription_item_id
            else "invoice_item_details",
            "invoice_item_details": None,
            "subscription_item_details": (
                {
                    "invoice_item": None,
                    "proration": line.proration,
                    "proration_details": None,
                    "subscription": subscription_id,
                    "subscription_item": line.subscription_item_id,
                }
                if line.subscription_item_id
                else None
            ),
        },
        "period": {
            "start": clock.to_epoch(line.period_start),
            "end": clock.to_epoch(line.period_end),
        },
        "plan": (plans or {}).get(line.price_id or ""),
        "pretax_credit_amounts": [],
        # The price's own unit amount is on the price (expand ``pricing.price_details.price``).
        "pricing": {
            "price_details": {"price": line.price_id},
            "type": "price_details",
            "unit_amount_decimal": None,
        },
        "proration": line.proration,
        "quantity": line.quantity,
        "quantity_decimal": str(line.quantity),
        "subscription": subscription_id,
        "subtotal": line.amount,
        "tax_amounts": tax_amounts_render(line.tax_amounts),
        "tax_rates": tax_rates_rendered(line.account_id, line.tax_rates),
        "taxes": [],
    }


# Where ``invoices_render_prepare`` keeps the plans of an invoice's lines on the instance.
_PLANS = "render_plans"
# Where ``invoice_lines_render`` keeps a prepared invoice's rendered lines.
_LINES = "render_lines"
# Where ``invoices_render_prepare`` keeps an invoice's lines and credit notes, read for a batch.
_ROWS = "render_line_rows"
CREDIT_NOTES = "render_credit_notes"


def invoices_render_prepare(invoices: list[Invoice]) -> None:
    """Reads what ``invoice_render`` needs of many invoices at once: their lines, the lines'
    plans, their credit notes and their customers' tax ids, in four statements for the lot,
    not several per invoice (a renewal batch renders each invoice as it is created, finalized
    and paid). For a batch's own invoices, whose lines, credit notes and customers' tax ids do
    not change before the renders."""
    invoices = [i for i in invoices if _PLANS not in i.__dict__]
    if not invoices:
        return
    # Read as two plain lists kept on each invoice, not by ``prefetch_related_objects``, which
    # builds a filtered queryset per invoice and relation (more CPU than the reads themselves).
    ids = {invoice.id for invoice in invoices}
    lines, notes = defaultdict(list), defaultdict(list)
    for line in InvoiceLine.objects.filter(invoice_id__in=ids):
        lines[line.invoice_id].append(line)
    for note in CreditNote.objects.filter(invoice_id__in=ids):
        notes[note.invoice_id].append(note)
    by_account = defaultdict(list)
    for invoice in invoices:
        invoice.__dict__[_ROWS] = lines[invoice.id]
        invoice.__dict__[CREDIT_NOTES] = notes[invoice.id]
        by_account[invoice.account_id].append(invoice)
    for group in by_account.values():
        account = group[0].account
        plans = plans_of(
            account=account,
            price_ids=[line.price_id for i in group for line in i.__dict__[_ROWS]],
        )
        tax_ids = customers_tax_ids_now(account.id, {i.customer_id for i in group})
        for invoice in group:
            invoice.__dict__[_PLANS] = plans
            invoice.__dict__[TAX_IDS_NOW] = tax_ids.get(invoice.customer_id, [])


def invoice_render_known(invoice: Invoice, *, lines: list[InvoiceLine], prices=()) -> None:
    """What ``invoices_render_prepare`` reads, for an invoice made in the caller's transaction
    from what it holds: its ``lines`` as inserted, no credit notes (none can exist yet), the
    plans of its lines' ``prices`` (the account's, loaded: only others are read) and its
    customer's tax ids, read now (one statement). Its renders in this transaction (created,
    finalized, paid) and its finalization's tax id snapshot then read nothing."""
    cache = invoice.__dict__.setdefault("_prefetched_objects_cache", {})
    for name, rows in (("lines", lines), ("credit_notes", [])):
        cache.pop(name, None)
        known = getattr(invoice, name).get_queryset()
        known._result_cache = list(rows)
        known._prefetch_done = True
        cache[name] = known
    invoice.__dict__[_PLANS] = plans_of(
        account=invoice.account, price_ids=[line.price_id for line in lines], known=prices
    )
    invoice.__dict__[TAX_IDS_NOW] = customer_tax_ids_now(invoice.account_id, invoice.customer_id)


def invoice_lines_render(invoice: Invoice) -> dict[str, Any]:
    """``invoice.lines``: the first page of ``GET /v1/invoices/:id/lines``. Of an invoice
    prepared by ``invoices_render_prepare``, rendered once (its lines do not change before its
    renders; what the render takes of the invoice itself is checked): an invoice's events of
    one batch carry the same object, rendered and encoded once (apps.core.bulk)."""
    prepared = _PLANS in invoice.__dict__
    key = (invoice.id, invoice.subscription_id, invoice.discount_id, invoice.account.livemode)
    if prepared:
        cached = invoice.__dict__.get(_LINES)
        if cached is not None and cached[0] == key:
            return cached[1]
    rendered = _lines_render(invoice)
    if prepared:
        invoice.__dict__[_LINES] = (key, rendered)
    return rendered


def _lines_render(invoice: Invoice) -> dict[str, Any]:
    # A prepared invoice (``invoices_render_prepare``), or one whose caller prefetched its
    # lines, is not queried again.
    if _ROWS in invoice.__dict__:
        rows = sorted(invoice.__dict__[_ROWS], key=lambda line: line.pk, reverse=True)
    elif "lines" in getattr(invoice, "_prefetched_objects_cache", {}):
        rows = sorted(invoice.lines.all(), key=lambda line: line.pk, reverse=True)
    else:
        # One page and one more row, however many lines a large invoice has.
        rows = list(invoice.lines.order_by("-pk")[: LINES_PAGE + 1])
    rows = rows[: LINES_PAGE + 1]
    plans = invoice.__dict__.get(_PLANS)
    if plans is None:
        plans = plans_of(account=invoice.account, price_ids=[line.price_id for line in rows])
    return {
        "object": "list",
        "data": [line_render(line, invoice=invoice, plans=plans) for line in rows[:LINES_PAGE]],
        "has_more": len(rows) > LINES_PAGE,
        "url": f"/v1/invoices/{invoice.id}/lines",
    }
