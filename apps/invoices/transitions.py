"""How the statuses of invoices and credit notes move: one table of allowed moves each, and the
functions that make them (``invoice_move``, ``invoices_move`` for a batch), writing each move's
events and audit entries in the caller's transaction. No other code assigns these statuses (a
test holds it so); rows are created in their first status (an invoice as a draft, a credit note
issued).

The moves are drawn in the README (Customers and payments), with the payment intent's.
"""

from apps.accounts.audit import change_record, changes_record
from apps.core.actor import Actor
from apps.core.errors import InvalidRequestError
from apps.invoices.enums import CreditNoteStatus
from apps.invoices.enums import InvoiceStatus as S
from apps.invoices.lines_render import invoices_render_prepare
from apps.invoices.models import Invoice
from apps.invoices.render import invoice_render

# status -> the statuses it may move to.
INVOICE_MOVES: dict[str, frozenset[str]] = {
    S.DRAFT: frozenset({S.OPEN, S.PAID}),
    S.OPEN: frozenset({S.PAID, S.UNCOLLECTIBLE, S.VOID}),
    S.UNCOLLECTIBLE: frozenset({S.VOID}),
    S.PAID: frozenset(),
    S.VOID: frozenset(),
}

# (from, to) -> the events the move records, in order.
INVOICE_EVENTS: dict[tuple[str, str], tuple[str, ...]] = {
    (S.DRAFT, S.OPEN): ("invoice.finalized",),
    # Finalized with nothing due (the customer's balance or a zero total): paid at once.
    (S.DRAFT, S.PAID): ("invoice.finalized", "invoice.paid"),
    (S.OPEN, S.PAID): ("invoice.paid", "invoice.payment_succeeded"),
    (S.OPEN, S.UNCOLLECTIBLE): ("invoice.marked_uncollectible",),
    (S.OPEN, S.VOID): ("invoice.voided",),
    (S.UNCOLLECTIBLE, S.VOID): ("invoice.voided",),
}

# A credit note is issued and stays so: nothing voids one yet (no API or dashboard action).
CREDIT_NOTE_MOVES: dict[str, frozenset[str]] = {
    CreditNoteStatus.ISSUED: frozenset(),
    CreditNoteStatus.VOID: frozenset(),
}


def _allowed(invoice: Invoice, to: str) -> None:
    if to not in INVOICE_MOVES[invoice.status]:
        raise InvalidRequestError(
            f"Invoice {invoice.id} is {invoice.status}; it cannot become {to}.",
            code="invoice_unexpected_state",
        )


def invoice_status_set(invoice: Invoice, to: str) -> None:
    """Move ``invoice`` to ``to`` (refused with ``invoice_unexpected_state`` when the table does
    not allow it) without an event of its own: for the move another object's event records
    (a credit note that leaves nothing due: ``credit_note.created``). The caller saves it."""
    _allowed(invoice, to)
    invoice.status = to


def invoice_move(invoice: Invoice, to: str, *, actor: Actor, fields: tuple[str, ...] = ()) -> None:
    """Move the locked ``invoice`` to ``to`` (refused with ``invoice_unexpected_state`` when the
    table does not allow it), save its status with the ``fields`` the caller set, and record
    the move's events and audit entries."""
    _allowed(invoice, to)
    before = invoice.status
    invoice.status = to
    invoice.save(update_fields=["status", *fields, "updated_at"])
    for type in INVOICE_EVENTS[(before, to)]:
        change_record(
            account=invoice.account,
            actor=actor,
            type=type,
            object_type="invoice",
            data_object=invoice_render(invoice),
        )


def invoices_move(*, account, moves: list[tuple[Invoice, str]], actor: Actor) -> None:
    """Move each invoice of ``moves`` (one account's, locked, with what else the move changes
    set) to its status and record each move's events and audit entries in multi-row writes;
    nothing moves when one move is refused. The caller writes the rows in the same
    transaction."""
    if not moves:
        return
    for invoice, to in moves:
        _allowed(invoice, to)
    invoices_render_prepare([invoice for invoice, _ in moves])
    changes = []
    for invoice, to in moves:
        before = invoice.status
        invoice.status = to
        data = invoice_render(invoice)
        changes += [(type, "invoice", data, None) for type in INVOICE_EVENTS[(before, to)]]
    changes_record(account=account, actor=actor, changes=changes)
