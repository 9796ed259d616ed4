"""Customer objects of one account for the tenant-isolation test."""

from apps.accounts.models import Account
from apps.core.actor import SYSTEM
from apps.customers.services import (
    customer_balance_adjust,
    note_create,
    tax_id_create,
)
from tests.factories import CustomerFactory


def _balance_transaction(account: Account) -> dict[str, str]:
    customer = CustomerFactory(account=account)
    row = customer_balance_adjust(
        account=account, customer=customer, amount=-500, currency="usd", actor=SYSTEM
    )
    return {"customer": customer.id, "transaction": row.id}


def _note(account: Account) -> dict[str, str]:
    customer = CustomerFactory(account=account)
    note = note_create(
        account=account, customer=customer, body="Called about a refund", actor=SYSTEM
    )
    return {"customer": customer.id, "note": note.id}


def _tax_id(account: Account) -> dict[str, str]:
    customer = CustomerFactory(account=account)
    row = tax_id_create(
        account=account, customer=customer, type="eu_vat", value="DE123456789", actor=SYSTEM
    )
    return {"customer": customer.id, "id": row.id}


MAKERS = {
    "customer-detail": lambda a: CustomerFactory(account=a).id,
    "customer-balance-transaction-list": lambda a: CustomerFactory(account=a).id,
    "customer-balance-transaction-detail": _balance_transaction,
    "customer-note-list": lambda a: CustomerFactory(account=a).id,
    "customer-note-detail": _note,
    "customer-tax-id-list": lambda a: CustomerFactory(account=a).id,
    "customer-tax-id-detail": _tax_id,
}
