"""Customer objects of one account for the tenant-isolation test."""

from apps.accounts.models import Account
from apps.core.actor import SYSTEM
from apps.customers.services import (
    customer_balance_adjust,
    customer_create,
    note_create,
    tax_id_create,
)


def _customer(account: Account):
    return customer_create(account=account, params={"email": "jenny@example.com"}, actor=SYSTEM)


def _balance_transaction(account: Account) -> dict[str, str]:
    customer = _customer(account)
    row = customer_balance_adjust(
        account=account, customer=customer, amount=-500, currency="usd", actor=SYSTEM
    )
    return {"customer": customer.id, "transaction": row.id}


def _note(account: Account) -> dict[str, str]:
    customer = _customer(account)
    note = note_create(
        account=account, customer=customer, body="Called about a refund", actor=SYSTEM
    )
    return {"customer": customer.id, "note": note.id}


def _tax_id(account: Account) -> dict[str, str]:
    customer = _customer(account)
    row = tax_id_create(
        account=account, customer=customer, type="eu_vat", value="DE123456789", actor=SYSTEM
    )
    return {"customer": customer.id, "id": row.id}


MAKERS = {
    "customer-detail": lambda a: _customer(a).id,
    "customer-balance-transaction-list": lambda a: _customer(a).id,
    "customer-balance-transaction-detail": _balance_transaction,
    "customer-note-list": lambda a: _customer(a).id,
    "customer-note-detail": _note,
    "customer-tax-id-list": lambda a: _customer(a).id,
    "customer-tax-id-detail": _tax_id,
}
