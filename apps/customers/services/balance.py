"""The customer balance ledger: append-only rows with a running ``ending_balance``."""

from typing import Any

from django.db import transaction

from apps.accounts.audit import audit_record
from apps.accounts.models import Account
from apps.core import clock, money
from apps.core.actor import Actor
from apps.core.api.params import metadata_merge
from apps.core.errors import InvalidRequestError, ResourceMissingError
from apps.core.events import event_record
from apps.customers.enums import BalanceTransactionType
from apps.customers.models import Customer, CustomerBalanceTransaction
from apps.customers.selectors import customer_balance

MAX_AMOUNT = 99_999_999_999


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
    from apps.customers.render import balance_transaction_render, customer_render

    if isinstance(amount, bool) or not isinstance(amount, int) or amount == 0:
        raise InvalidRequestError(
            "Invalid amount: a non-zero integer of minor units.", param="amount"
        )
    if abs(amount) > MAX_AMOUNT:
        raise InvalidRequestError("Invalid amount: too large.", param="amount")
    try:
        currency = money.currency_normalize(currency)
    except money.MoneyError as exc:
        raise InvalidRequestError(str(exc), param="currency") from exc
    with transaction.atomic():
        locked = (
            Customer.objects.select_for_update()
            .filter(account=account, id=customer.id, deleted_at__isnull=True)
            .first()
        )
        if locked is None:
            raise ResourceMissingError("customer", customer.id)
        if locked.currency and locked.currency != currency:
            raise InvalidRequestError(
                f"The customer's balance is in {locked.currency}; it cannot take {currency}.",
                param="currency",
            )
        before = customer_balance(locked)
        row = CustomerBalanceTransaction.objects.create(
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
        event_record(
            account=account,
            type="customer.balance_transaction.created",
            data_object=balance_transaction_render(row),
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
        row = (
            CustomerBalanceTransaction.objects.select_for_update()
            .filter(account=account, customer=customer, id=transaction_id)
            .first()
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
