"""Status changes of a finalized invoice (void, uncollectible) and a draft's deletion."""

from django.db import transaction

from apps.accounts.audit import change_record
from apps.core import clock
from apps.core.actor import Actor
from apps.core.errors import InvalidRequestError
from apps.invoices.enums import InvoiceStatus
from apps.invoices.models import Invoice, InvoiceItem
from apps.invoices.render import invoice_render
from apps.invoices.services.locking import invoice_lock
from apps.invoices.services.payments import payment_in_progress_refuse
from apps.invoices.transitions import invoice_move


def invoice_void(*, account, invoice_id: str, actor: Actor) -> Invoice:
    """An open (or uncollectible) invoice is voided: it stays, numbered, and is never collected."""
    with transaction.atomic():
        invoice = invoice_lock(account, invoice_id)
        payment_in_progress_refuse(invoice)
        if invoice.status not in ("open", "uncollectible"):
            raise InvalidRequestError(
                f"Only an open or uncollectible invoice can be voided; it is {invoice.status}.",
                code="invoice_not_open",
            )
        invoice.voided_at = clock.now()
        invoice_move(invoice, InvoiceStatus.VOID, actor=actor, fields=("voided_at",))
    return invoice


def invoice_mark_uncollectible(*, account, invoice_id: str, actor: Actor) -> Invoice:
    with transaction.atomic():
        invoice = invoice_lock(account, invoice_id)
        payment_in_progress_refuse(invoice)
        if invoice.status != "open":
            raise InvalidRequestError(
                f"Only an open invoice can be marked uncollectible; this one is {invoice.status}.",
                code="invoice_not_open",
            )
        invoice.marked_uncollectible_at = clock.now()
        invoice_move(
            invoice,
            InvoiceStatus.UNCOLLECTIBLE,
            actor=actor,
            fields=("marked_uncollectible_at",),
        )
    return invoice


def invoice_delete_draft(*, account, invoice_id: str, actor: Actor) -> str:
    """A draft disappears; its pending items go back to waiting for the next invoice."""
    with transaction.atomic():
        invoice = invoice_lock(account, invoice_id)
        if invoice.status != "draft":
            raise InvalidRequestError(
                "Only draft invoices can be deleted; void a finalized one instead.",
                code="invoice_not_editable",
            )
        InvoiceItem.objects.filter(invoice=invoice).update(invoice=None)
        data = invoice_render(invoice)
        invoice.delete()
        change_record(
            account=account,
            actor=actor,
            type="invoice.deleted",
            object_type="invoice",
            data_object=data,
        )
    return invoice_id
