"""Credit notes: lower an open invoice's amount due, or settle part of a paid one by refund,
customer-balance credit or out of band. The credited total never exceeds the invoice's total.

``credit_note_create`` takes a ``CreditNoteDraft``: the API parses it from Stripe's wire format
(apps.invoices.api.credit_notes), the dashboard's form builds it."""

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Sum

from apps.accounts.audit import change_record
from apps.accounts.models import Account
from apps.core import clock
from apps.core.actor import Actor
from apps.core.errors import InvalidRequestError
from apps.customers.enums import BalanceTransactionType
from apps.customers.services import customer_balance_adjust
from apps.invoices.enums import InvoiceStatus
from apps.invoices.models import CreditNote, Invoice
from apps.invoices.services import invoice_lock_with_customer, payment_in_progress_refuse
from apps.invoices.transitions import invoice_status_set
from apps.payments.services import refund_create

REASONS = ("duplicate", "fraudulent", "order_change", "product_unsatisfactory")

# The parts of a paid invoice's credit note: refunded, credited to the balance, settled elsewhere.
SETTLEMENTS = ("refund_amount", "credit_amount", "out_of_band_amount")


@dataclass(frozen=True)
class CreditLine:
    """A line of a credit note: part of an ``invoice_line`` of the invoice, or a custom line with
    its ``description``."""

    amount: int
    invoice_line: str | None = None
    description: str = ""


@dataclass(frozen=True)
class CreditNoteDraft:
    """A credit note: its ``lines``, or (without lines) one line of ``amount``; ``reason`` is
    one of ``REASONS`` or ""; on a paid invoice the ``SETTLEMENTS`` add up to the amount."""

    amount: int | None = None
    lines: Sequence[CreditLine] = ()
    reason: str = ""
    memo: str = ""
    refund_amount: int = 0
    credit_amount: int = 0
    out_of_band_amount: int = 0


def _line_render(line: dict, livemode: bool) -> dict:
    """A stored line in Stripe's shape; lines are kept inside their credit note, without ids."""
    custom = line["invoice_line"] is None
    return {
        "id": None,
        "object": "credit_note_line_item",
        "amount": line["amount"],
        "description": line["description"],
        "discount_amount": 0,
        "discount_amounts": [],
        "invoice_line_item": line["invoice_line"],
        "livemode": livemode,
        "metadata": {},
        "pretax_credit_amounts": [],
        "quantity": 1,
        "tax_rates": [],
        "taxes": [],
        "type": "custom_line_item" if custom else "invoice_line_item",
        "unit_amount": line["amount"] if custom else None,
        "unit_amount_decimal": str(line["amount"]) if custom else None,
    }


def credit_note_render(note: CreditNote) -> dict:
    livemode = note.account.livemode
    settled = note.refund_amount + note.credit_amount + note.out_of_band_amount
    return {
        "id": note.id,
        "object": "credit_note",
        "amount": note.amount,
        "amount_shipping": 0,
        "created": clock.to_epoch(note.created_at),
        "currency": note.currency,
        "customer": note.customer_id,
        "customer_account": None,
        "customer_balance_transaction": None,
        "discount_amount": 0,
        "discount_amounts": [],
        "effective_at": clock.to_epoch(note.created_at),
        "invoice": note.invoice_id,
        "lines": {
            "object": "list",
            "data": [_line_render(line, livemode) for line in note.lines],
            "has_more": False,
            "url": f"/v1/credit_notes/{note.id}/lines",
        },
        "livemode": livemode,
        "memo": note.memo or None,
        "metadata": {},
        "number": note.number,
        "out_of_band_amount": note.out_of_band_amount or None,
        # Ledgerline renders invoices, not credit notes, as PDFs.
        "pdf": None,
        "post_payment_amount": settled,
        "pre_payment_amount": note.amount - settled,
        "pretax_credit_amounts": [],
        "reason": note.reason or None,
        "refunds": [{"refund": note.refund_id, "amount_refunded": note.refund_amount}]
        if note.refund_id
        else [],
        "shipping_cost": None,
        "status": note.status,
        "subtotal": note.amount,
        "subtotal_excluding_tax": note.amount,
        "total": note.amount,
        "total_excluding_tax": note.amount,
        "total_taxes": [],
        "type": "post_payment"
        if note.refund_amount or note.credit_amount or note.out_of_band_amount
        else "pre_payment",
        "voided_at": None,
    }


def _lines(invoice: Invoice, lines: Sequence[CreditLine]) -> list[dict]:
    """The lines as the credit note stores them; each credits a line of the invoice at most what
    it charged, or is a custom line with a description."""
    known = {line.id: line for line in invoice.lines.all()}
    out = []
    for index, line in enumerate(lines):
        if line.amount <= 0:
            raise InvalidRequestError("Line amounts are positive.", param=f"lines[{index}][amount]")
        line_id = line.invoice_line
        if line_id:
            source = known.get(line_id)
            if source is None:
                raise InvalidRequestError(
                    f"{line_id} is not a line of {invoice.id}.",
                    param=f"lines[{index}][invoice_line]",
                )
            if line.amount > source.amount - source.discount_amount:
                raise InvalidRequestError(
                    "A line cannot be credited more than it charged.",
                    param=f"lines[{index}][amount]",
                )
            description = source.description
        else:
            description = line.description
            if not description:
                raise InvalidRequestError(
                    "A custom line needs a description.", param=f"lines[{index}][description]"
                )
        out.append({"invoice_line": line_id, "amount": line.amount, "description": description})
    return out


def _draft_check(draft: CreditNoteDraft) -> None:
    """A credit note's parts are never negative."""
    for name in SETTLEMENTS:
        if getattr(draft, name) < 0:
            raise InvalidRequestError(f"Invalid {name}: must be at least 0", param=name)


def _single_line(draft: CreditNoteDraft) -> list[dict]:
    """The one line of a credit note given by its ``amount``."""
    if draft.amount is None:
        raise InvalidRequestError(
            "Missing required param: amount.", param="amount", code="parameter_missing"
        )
    if draft.amount < 1:
        raise InvalidRequestError("Invalid amount: must be at least 1", param="amount")
    return [{"invoice_line": None, "amount": draft.amount, "description": draft.memo or "Credit"}]


def _amounts_check(
    invoice, *, amount: int, refund_amount: int, credit_amount: int, out_of_band: int
) -> None:
    """The credit note's amount fits what is left of the invoice's total; on a paid invoice its
    refund, credit and out-of-band parts add up to it (an open one takes none of them)."""
    credited = invoice.credit_notes.filter(status="issued").aggregate(s=Sum("amount"))["s"] or 0
    if credited + amount > invoice.total:
        raise InvalidRequestError(
            f"The credit notes of {invoice.id} would exceed its total "
            f"({credited} already credited of {invoice.total}).",
            param="amount",
        )
    if invoice.status == "paid":
        if refund_amount + credit_amount + out_of_band != amount:
            raise InvalidRequestError(
                "On a paid invoice, refund_amount + credit_amount + out_of_band_amount must "
                "equal the credit note's amount.",
                param="refund_amount",
            )
        if refund_amount and not invoice.charge_id:
            raise InvalidRequestError(
                "This invoice was not paid by a charge; credit or settle out of band.",
                param="refund_amount",
            )
    elif refund_amount or credit_amount or out_of_band:
        raise InvalidRequestError(
            "An open invoice's credit note lowers what is due; nothing is refunded.",
            param="refund_amount",
        )


def _due_lower(invoice: Invoice, amount: int) -> None:
    """An open invoice's credit note lowers what is due; when nothing is left the invoice is
    paid, with no event of its own (the note's credit_note.created records it)."""
    invoice.amount_due -= amount
    if invoice.amount_due - invoice.amount_paid <= 0:
        invoice_status_set(invoice, InvoiceStatus.PAID)
        invoice.paid_at = clock.now()
    invoice.save()


def credit_note_create(
    *, account: Account, invoice_id: str, draft: CreditNoteDraft, actor: Actor
) -> CreditNote:
    _draft_check(draft)
    refund_amount, credit_amount = draft.refund_amount, draft.credit_amount
    out_of_band = draft.out_of_band_amount
    with transaction.atomic():
        # The customer's balance may be credited.
        invoice = invoice_lock_with_customer(account, invoice_id, param="invoice")
        payment_in_progress_refuse(invoice)
        if invoice.status not in ("open", "paid"):
            raise InvalidRequestError(
                f"Credit notes are for open or paid invoices; this one is {invoice.status}.",
                param="invoice",
            )
        lines = _lines(invoice, draft.lines) if draft.lines else _single_line(draft)
        amount = sum(line["amount"] for line in lines)
        _amounts_check(
            invoice,
            amount=amount,
            refund_amount=refund_amount,
            credit_amount=credit_amount,
            out_of_band=out_of_band,
        )
        count = invoice.credit_notes.count() + 1
        note = CreditNote.objects.create(
            account=account,
            invoice=invoice,
            customer=invoice.customer,
            number=f"{invoice.number}-CN-{count:02d}",
            amount=amount,
            currency=invoice.currency,
            reason=draft.reason,
            memo=draft.memo,
            refund_amount=refund_amount,
            credit_amount=credit_amount,
            out_of_band_amount=out_of_band,
            lines=lines,
        )
        if invoice.status == InvoiceStatus.OPEN:
            _due_lower(invoice, amount)
        if credit_amount:
            customer_balance_adjust(
                account=account,
                customer=invoice.customer,
                amount=-credit_amount,
                currency=invoice.currency,
                actor=actor,
                type=BalanceTransactionType.CREDIT_NOTE,
                credit_note_id=note.id,
                invoice_id=invoice.id,
            )
        change_record(
            account=account,
            actor=actor,
            type="credit_note.created",
            object_type="credit_note",
            data_object=credit_note_render(note),
        )
    if refund_amount:
        refund = refund_create(
            account=account,
            charge_id=invoice.charge_id,
            amount=refund_amount,
            reason="requested_by_customer",
            actor=actor,
        )
        CreditNote.objects.filter(pk=note.pk).update(refund_id=refund.id)
        note.refund_id = refund.id
    return note
