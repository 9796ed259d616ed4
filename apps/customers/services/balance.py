"""The customer balance ledger: append-only rows with a running ``ending_balance``."""

import time
from typing import Any

from django.db import transaction

from apps.accounts.audit import audit_record
from apps.accounts.models import Account
from apps.core import clock, ids, money
from apps.core.actor import Actor
from apps.core.api.params import metadata_merge
from apps.core.errors import ApplicationError, InvalidRequestError, ResourceMissingError
from apps.core.events import event_record
from apps.core.locks import row_lock
from apps.customers.enums import BalanceTransactionType
from apps.customers.models import Customer, CustomerBalanceTransaction
from apps.customers.render import customer_render

MAX_AMOUNT = 99_999_999_999
MAX_DESCRIPTION = 350
# How long a writer waits for the clock to pass the newest row's id (see _id_after).
_ID_WAIT_SECONDS = 2.0


def _id_after(newest_id: str) -> str:
    """A new ledger id sorting after the customer's newest one.

    The balance is the ``ending_balance`` of the row with the greatest id, and ids sort by
    their millisecond. Another process may have written the newest row in this same
    millisecond (or with a clock slightly ahead): waiting for a later id keeps the order."""
    deadline = time.monotonic() + _ID_WAIT_SECONDS
    while True:
        candidate = ids.new_id("cbtxn")
        if candidate > newest_id:
            return candidate
        if time.monotonic() > deadline:
            raise ApplicationError(
                "The customer's ledger has a row from the future; check the server clocks."
            )
        time.sleep(0.001)


def _adjustment_check(*, type: str, description: str, amount: int, currency: str) -> str:
    """Refuses a ledger row that cannot be written; answers its normalized currency."""
    if type not in BalanceTransactionType.values:
        raise InvalidRequestError(f"Invalid type: {type}", param="type")
    if len(description or "") > MAX_DESCRIPTION:
        raise InvalidRequestError(
            f"Invalid description: at most {MAX_DESCRIPTION} characters.", param="description"
        )
    if isinstance(amount, bool) or not isinstance(amount, int) or amount == 0:
        raise InvalidRequestError(
            "Invalid amount: a non-zero integer of minor units.", param="amount"
        )
    if abs(amount) > MAX_AMOUNT:
        raise InvalidRequestError("Invalid amount: too large.", param="amount")
    try:
        return money.currency_normalize(currency)
    except money.MoneyError as exc:
        raise InvalidRequestError(str(exc), param="currency") from exc


def customer_balance_adjust(
    *,
    account: Account,
    customer: Customer,
    amount: int,
    currency: str,
    actor: Actor,
    description: str = "",
    metadata: dict[str, str] | None = None,
    type: str = BalanceTransactionType.ADJUSTMENT,
    invoice_id: str | None = None,
    credit_note_id: str | None = None,
) -> CustomerBalanceTransaction:
    """Append one row; a negative amount is credit the customer holds.

    The customer row is locked so two writers cannot compute the same ending balance."""
    currency = _adjustment_check(
        type=type, description=description, amount=amount, currency=currency
    )
    with transaction.atomic():
        locked = row_lock(
            Customer.objects.filter(account=account, id=customer.id, deleted_at__isnull=True)
        )
        if locked is None:
            raise ResourceMissingError("customer", customer.id)
        if locked.currency and locked.currency != currency:
            raise InvalidRequestError(
                f"The customer's balance is in {locked.currency}; it cannot take {currency}.",
                param="currency",
            )
        newest = (
            CustomerBalanceTransaction.objects.filter(account=account, customer=locked)
            .order_by("-id")
            .values_list("id", "ending_balance")
            .first()
        )
        before = newest[1] if newest else 0
        row = CustomerBalanceTransaction.objects.create(
            id=_id_after(newest[0] if newest else ""),
            account=account,
            customer=locked,
            type=type,
            amount=amount,
            currency=currency,
            ending_balance=before + amount,
            description=description,
            metadata=metadata or {},
            invoice_id=invoice_id,
            credit_note_id=credit_note_id,
            created_at=clock.now(test_clock_id=locked.test_clock_id),
        )
        previous: dict[str, Any] = {"balance": before}
        if not locked.currency:
            locked.currency = currency
            locked.save(update_fields=["currency", "updated_at"])
            previous["currency"] = None
        audit_record(
            account=account,
            actor=actor,
            action="customer_balance_transaction.created",
            object_type="customer",
            object_id=locked.id,
            changes={"balance": [before, before + amount]},
        )
        event_record(
            account=account,
            type="customer.updated",
            data_object=customer_render(locked, balance=before + amount),
            previous_attributes=previous,
            actor=actor,
        )
    return row


def balance_transaction_update(
    *,
    account: Account,
    customer: Customer,
    transaction_id: str,
    description: str | None,
    metadata: dict[str, str] | None,
    actor: Actor,
) -> CustomerBalanceTransaction:
    """Only the description and metadata of a ledger row may change."""
    with transaction.atomic():
        row = row_lock(
            CustomerBalanceTransaction.objects.filter(
                account=account, customer=customer, id=transaction_id
            )
        )
        if row is None:
            raise ResourceMissingError("customer balance transaction", transaction_id)
        before = {"description": row.description, "metadata": row.metadata}
        if description is not None:
            row.description = description
        row.metadata = metadata_merge(row.metadata, metadata)
        row.save(update_fields=["description", "metadata"])
        after = {"description": row.description, "metadata": row.metadata}
        if after != before:
            audit_record(
                account=account,
                actor=actor,
                action="customer_balance_transaction.updated",
                object_type="customer_balance_transaction",
                object_id=row.id,
                changes={k: [before[k], after[k]] for k in before if before[k] != after[k]},
            )
    return row
