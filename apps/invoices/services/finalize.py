"""Finalizing drafts: settled with the customer's balance, numbered gaplessly, recorded."""

from datetime import timedelta

from django.db import connections, router, transaction

from apps.core import clock
from apps.core.actor import SYSTEM, Actor
from apps.core.bulk import rows_insert, rows_update
from apps.core.errors import InvalidRequestError
from apps.customers.models import CustomerBalanceTransaction, TaxId
from apps.customers.selectors import customer_balance
from apps.customers.services import customer_balance_adjust
from apps.invoices.engine.settlement import invoice_settle
from apps.invoices.engine.stages import Choices
from apps.invoices.engine.staging import BALANCE, COLLECTION, collection_plan, stages_recorded
from apps.invoices.enums import InvoiceStatus
from apps.invoices.models import Invoice, InvoiceLine, InvoiceNumberSequence
from apps.invoices.services.locking import invoice_lock_with_customer, invoices_lock_current
from apps.invoices.stage_choices import retry_plan, stage_choices
from apps.invoices.taxes import TAX_IDS_NOW
from apps.invoices.transitions import invoices_move


def _numbers_take(account, count: int) -> list[str]:
    """``count`` consecutive invoice numbers of the account, taken as one block under the
    sequence's row lock (held to the end of the caller's transaction, so gapless)."""
    after = _sequence_advance(account, count)
    if after is None:
        # The account's first invoice: the sequence is made once (get_or_create settles two
        # first invoices at once), then advanced like every later time.
        InvoiceNumberSequence.objects.get_or_create(account=account)
        after = _sequence_advance(account, count)
    first = after - count
    prefix = account.id.split("_", 1)[1][:8].upper()
    return [f"{prefix}-{number:04d}" for number in range(first, first + count)]


def _sequence_advance(account, count: int) -> int | None:
    """Advance the account's sequence by ``count`` in one ``UPDATE … RETURNING`` (which holds
    the row's lock, as ``SELECT … FOR UPDATE`` would, to the end of the transaction): its next
    number after, None when the account has none yet."""
    connection = connections[router.db_for_write(InvoiceNumberSequence)]
    table = connection.ops.quote_name(InvoiceNumberSequence._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET next_number = next_number + %s WHERE account_id = %s "
            "RETURNING next_number",
            [count, account.id],
        )
        row = cursor.fetchone()
    return None if row is None else row[0]


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
    "collection_method",
    "due_date",
    "paid_at",
    "stages",
    "retry_plan",
    "customer_tax_ids",
    "updated_at",
]


def _tax_ids_snapshot(account, invoices: list[Invoice]) -> None:
    """Each invoice keeps its customer's tax ids as they are at finalization (one query): what
    the customer changes later does not rewrite an issued invoice."""
    found: dict[str, list[dict]] = {invoice.customer_id: [] for invoice in invoices}
    # Read in this transaction already for the invoice's renders (invoice_render_known).
    known = {i.customer_id: i.__dict__[TAX_IDS_NOW] for i in invoices if TAX_IDS_NOW in i.__dict__}
    for customer_id, type, value in (
        TaxId.objects.filter(
            account_id=account.id, customer_id__in=[pk for pk in found if pk not in known]
        )
        .order_by("id")
        .values_list("customer_id", "type", "value")
    ):
        found[customer_id].append({"type": type, "value": value})
    found.update(known)
    for invoice in invoices:
        invoice.customer_tax_ids = list(found[invoice.customer_id])


def _collection_decide(invoice: Invoice, plan: dict, choices: Choices) -> tuple[str, dict]:
    """How the finalized ``invoice`` is collected (``payments.collection``): a subscription's
    invoice as its subscription says (days until due from it), another as the invoice says. A
    sent invoice gets its due date now unless it was given one when made (a one-off invoice
    that is sent by its own method was). A retry plan other than the account's ``plan`` is
    kept on the invoice, for its failed payments."""
    subscription = invoice.subscription if invoice.subscription_id else None
    given = subscription.collection_method if subscription else invoice.collection_method
    result = collection_plan(
        total=invoice.total,
        amount_due=invoice.amount_due,
        currency=invoice.currency,
        collection_method=given,
        days_until_due=subscription.days_until_due if subscription else None,
        retry_plan=plan,
        choice=choices.of(COLLECTION),
    )
    changed = result.output["collection_method"] != given
    decided = result.output["retry_plan"]
    invoice.retry_plan = None if decided == plan else decided
    invoice.collection_method = result.output["collection_method"]
    if (
        invoice.collection_method == "send_invoice"
        and invoice.due_date is None
        and (subscription is not None or changed)
    ):
        days = result.output["days_until_due"] or 0
        invoice.due_date = invoice.finalized_at + timedelta(days=days)
    return (COLLECTION, result.record())


def _finalized_set(
    account,
    invoices: list[Invoice],  # not empty
    with_balance: set[str],
    actor: Actor,
    choices: Choices,
    plan: dict,
) -> None:
    """Finalize drafts of one account in memory, in their order: settle each with its customer's
    balance (apps.invoices.engine.settlement; only customers in ``with_balance`` have one),
    decide how it is collected (``payments.collection``, the account's retry plan ``plan``),
    the stages run as ``choices`` chooses, then number them in one block and move each to open
    (paid when nothing is due) with its events (apps.invoices.transitions: invoice.finalized,
    and invoice.paid). The caller writes the rows in the same transaction, which holds the
    sequence's lock from here to its end."""
    moves = []
    _tax_ids_snapshot(account, invoices)
    for invoice in invoices:
        # Customers with a ledger (few) are read and adjusted one invoice at a time.
        balance = customer_balance(invoice.customer) if invoice.customer_id in with_balance else 0
        settled = invoice_settle(
            total=invoice.total,
            balance=balance,
            currency=invoice.currency,
            choice=choices.of(BALANCE),
        )
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
        collection = _collection_decide(invoice, plan, choices)
        invoice.stages = {**invoice.stages, **stages_recorded([settled.stage, collection])}
        if to == InvoiceStatus.PAID:
            invoice.paid_at = invoice.finalized_at
        invoice.updated_at = clock.now()
    # Numbers last: the sequence's lock is held only for the writes that follow.
    for invoice, number in zip(invoices, _numbers_take(account, len(invoices)), strict=True):
        invoice.number = number
    invoices_move(account=account, moves=moves, actor=actor)  # each with its events


def _finalize_locked(
    account, invoices: list[Invoice], actor: Actor, choices: Choices | None = None
) -> None:
    """Finalize drafts of one account, locked by the caller, in their order: settled, their
    collection decided and numbered (``_finalized_set``), invoice.finalized (and invoice.paid
    when nothing is due) recorded — multi-row writes for the invoices, events and audit. The
    stages run as ``choices`` (None: the account's) chooses."""
    if not invoices:
        return
    choices = stage_choices(account) if choices is None else choices
    plan = retry_plan(account)
    with_balance = _customers_with_balance(account, {invoice.customer_id for invoice in invoices})
    _finalized_set(account, invoices, with_balance, actor, choices, plan)
    rows_update(Invoice, invoices, _FINALIZED_FIELDS)


def invoices_insert(
    *,
    account,
    invoices: list[Invoice],
    finalizing: list[Invoice],
    actor: Actor = SYSTEM,
    choices: Choices | None = None,
) -> None:
    """Inside the transaction that makes them: insert new drafts of one account in one
    multi-row insert, the ones in ``finalizing`` (drafts in memory) moved to open or paid with
    their events as they are written (a renewal past its auto-advance hour: one insert instead
    of an insert and an update), the stages run as ``choices`` (None: the account's) chooses,
    as ``invoices_finalize`` runs them. Their
    customers have no balance and their settlement moves nothing onto it (the caller checks:
    adjusting one locks the customer, out of the lock order there). Numbered last, so the
    sequence's lock is held for the insert and the events only."""
    if finalizing:
        choices = stage_choices(account) if choices is None else choices
        _finalized_set(account, finalizing, set(), actor, choices, retry_plan(account))
    rows_insert(Invoice, invoices)


def invoice_made_write(
    *,
    account,
    invoice: Invoice,
    balance: int | None,
    actor: Actor = SYSTEM,
    choices: Choices | None = None,
) -> None:
    """Inside the transaction that made ``invoice`` in memory (loaded with customer and
    subscription, its lines known: ``invoice_render_known``): insert it and its lines, as a
    draft (``balance`` None), or finalized as ``invoices_finalize`` finalizes (``balance``: the
    customer's, read in this transaction). Without a balance it is finalized as it is
    inserted (``invoices_insert``); with one, after, so the balance is read again as it is
    applied. No lock and no read back: no other transaction sees it yet."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("invoice_made_write runs in the transaction that made the invoice")
    finalizing = [invoice] if balance == 0 else []
    invoices_insert(
        account=account, invoices=[invoice], finalizing=finalizing, actor=actor, choices=choices
    )
    rows_insert(InvoiceLine, list(invoice.lines.all()))
    if balance:
        choices = stage_choices(account) if choices is None else choices
        _finalized_set(
            account, [invoice], {invoice.customer_id}, actor, choices, retry_plan(account)
        )
        rows_update(Invoice, [invoice], _FINALIZED_FIELDS)


def invoice_finalize(
    *, invoice_id: str, account, actor: Actor = SYSTEM, choices: Choices | None = None
) -> Invoice:
    """Number the invoice (gapless, under a lock) and apply the customer's credit balance, the
    stages run as ``choices`` (None: the account's) chooses."""
    with transaction.atomic():
        # Finalizing may apply the customer's balance.
        invoice = invoice_lock_with_customer(account, invoice_id)
        if invoice.status != "draft":
            raise InvalidRequestError(
                f"Invoice {invoice.id} is {invoice.status}; only drafts can be finalized.",
                code="invoice_not_editable",
            )
        _finalize_locked(account, [invoice], actor, choices)
    return invoice


def invoices_finalize(
    *,
    account,
    invoices: list[Invoice],
    actor: Actor = SYSTEM,
    due_only: bool = False,
    choices: Choices | None = None,
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
        _finalize_locked(account, invoices, actor, choices)
    return invoices
