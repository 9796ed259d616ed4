"""Finalizing drafts: settled with the customer's balance, numbered gaplessly, recorded."""

from datetime import timedelta

from django.db import transaction

from apps.core import clock
from apps.core.actor import SYSTEM, Actor
from apps.core.bulk import rows_update
from apps.core.errors import InvalidRequestError
from apps.core.locks import row_lock
from apps.customers.models import CustomerBalanceTransaction
from apps.customers.selectors import customer_balance
from apps.customers.services import customer_balance_adjust
from apps.invoices.engine.settlement import invoice_settle
from apps.invoices.enums import InvoiceStatus
from apps.invoices.models import Invoice, InvoiceNumberSequence
from apps.invoices.services.locking import invoice_lock_with_customer, invoices_lock_current
from apps.invoices.transitions import invoices_move


def _numbers_take(account, count: int) -> list[str]:
    """``count`` consecutive invoice numbers of the account, taken as one block under the
    sequence's row lock (held to the end of the caller's transaction, so gapless)."""
    InvoiceNumberSequence.objects.get_or_create(account=account)
    sequence = row_lock(InvoiceNumberSequence.objects.filter(account=account))
    first = sequence.next_number
    sequence.next_number += count
    sequence.save(update_fields=["next_number"])
    prefix = account.id.split("_", 1)[1][:8].upper()
    return [f"{prefix}-{number:04d}" for number in range(first, first + count)]


def _customers_with_balance(account, customer_ids: set[str]) -> set[str]:
    return set(
        CustomerBalanceTransaction.objects.filter(
            account_id=account.id, customer_id__in=customer_ids
        )
        .values_list("customer_id", flat=True)
        .distinct()
    )


# What finalizing writes on an invoice.
_FINALIZED_FIELDS = [
    "number",
    "starting_balance",
    "ending_balance",
    "amount_due",
    "status",
    "finalized_at",
    "automatically_finalizes_at",
    "due_date",
    "paid_at",
    "updated_at",
]


def _finalize_locked(account, invoices: list[Invoice], actor: Actor) -> None:
    """Finalize drafts of one account, locked by the caller, in their order: settle each with
    its customer's balance (apps.invoices.engine.settlement), number them in one block, record
    invoice.finalized (and invoice.paid when nothing is due) — multi-row writes for the
    invoices, events and audit."""
    if not invoices:
        return
    with_balance = _customers_with_balance(account, {invoice.customer_id for invoice in invoices})
    moves = []
    for invoice in invoices:
        # Customers with a ledger (few) are read and adjusted one invoice at a time.
        balance = customer_balance(invoice.customer) if invoice.customer_id in with_balance else 0
        settled = invoice_settle(total=invoice.total, balance=balance, currency=invoice.currency)
        for entry in settled.entries:
            customer_balance_adjust(
                account=account,
                customer=invoice.customer,
                amount=entry.amount,
                currency=invoice.currency,
                actor=actor,
                type=entry.type,
                description=entry.description,
                invoice_id=invoice.id,
            )
            with_balance.add(invoice.customer_id)
        invoice.starting_balance = settled.starting_balance
        invoice.ending_balance = settled.ending_balance
        invoice.amount_due = settled.amount_due
        to = InvoiceStatus.PAID if invoice.amount_due == 0 else InvoiceStatus.OPEN
        moves.append((invoice, to))
        invoice.finalized_at = clock.now(test_clock_id=invoice.customer.test_clock_id)
        invoice.automatically_finalizes_at = None  # only a draft waits to be finalized
        # A one-off invoice got its due date when it was made (days_until_due or due_date).
        if (
            invoice.collection_method == "send_invoice"
            and invoice.subscription_id
            and invoice.due_date is None
        ):
            days = invoice.subscription.days_until_due or 0
            invoice.due_date = invoice.finalized_at + timedelta(days=days)
        if to == InvoiceStatus.PAID:
            invoice.paid_at = invoice.finalized_at
        invoice.updated_at = clock.now()
    # Numbers last: the sequence's lock is held only for the writes that follow.
    for invoice, number in zip(invoices, _numbers_take(account, len(invoices)), strict=True):
        invoice.number = number
    invoices_move(account=account, moves=moves, actor=actor)  # each with its events
    rows_update(Invoice, invoices, _FINALIZED_FIELDS)


def invoice_finalize(*, invoice_id: str, account, actor: Actor = SYSTEM) -> Invoice:
    """Number the invoice (gapless, under a lock) and apply the customer's credit balance."""
    with transaction.atomic():
        # Finalizing may apply the customer's balance.
        invoice = invoice_lock_with_customer(account, invoice_id)
        if invoice.status != "draft":
            raise InvalidRequestError(
                f"Invoice {invoice.id} is {invoice.status}; only drafts can be finalized.",
                code="invoice_not_editable",
            )
        _finalize_locked(account, [invoice], actor)
    return invoice


def invoices_finalize(
    *, account, invoices: list[Invoice], actor: Actor = SYSTEM, due_only: bool = False
) -> list[Invoice]:
    """Finalize the drafts among ``invoices`` (one account, loaded with customer and
    subscription) in one transaction; rows another transaction holds are skipped (it is
    finalizing or editing them). ``due_only``: only auto-advancing drafts whose
    ``automatically_finalizes_at`` has come. Answers the invoices this call finalized, in id
    order."""
    with transaction.atomic():
        invoices = invoices_lock_current(account, invoices, skip_locked=True, status="draft")
        if due_only:
            invoices = [
                invoice
                for invoice in invoices
                if invoice.auto_advance
                and invoice.automatically_finalizes_at is not None
                and invoice.automatically_finalizes_at
                <= clock.now(test_clock_id=invoice.customer.test_clock_id)
            ]
        _finalize_locked(account, invoices, actor)
    return invoices
