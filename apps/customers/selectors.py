"""Reads of customers and their ledgers, always scoped to one account."""

import base64
from datetime import datetime, timedelta

from django.db.models import Q, QuerySet
from django.db.models.fields.json import KeyTextTransform
from django.db.models.lookups import Exact, IsNull

from apps.accounts.models import Account
from apps.core import clock
from apps.core.errors import InvalidRequestError
from apps.core.models import Event
from apps.customers.models import (
    Customer,
    CustomerBalanceTransaction,
    CustomerNote,
    PaymentMethod,
    TaxId,
)
from apps.customers.search import Clause, Query

TIMELINE_LENGTH = 50


def customer_get(
    *, account: Account, customer_id: str, include_deleted: bool = False
) -> Customer | None:
    rows = Customer.objects.filter(account=account, id=customer_id)
    if not include_deleted:
        rows = rows.filter(deleted_at__isnull=True)
    return rows.first()


def customer_balance(customer: Customer) -> int:
    """The customer's balance: the running total after its newest ledger row (0 without)."""
    newest = (
        CustomerBalanceTransaction.objects.filter(account_id=customer.account_id, customer=customer)
        .order_by("-id")
        .values_list("ending_balance", flat=True)
        .first()
    )
    return newest or 0


def customer_list(
    *,
    account: Account,
    email: str | None = None,
    created: dict[str, datetime] | None = None,
    test_clock: str | None = None,
) -> QuerySet[Customer]:
    """Customers not deleted; ``created`` maps gt/gte/lt/lte to a moment. An exact ``email``
    uses the (account, email) index."""
    rows = Customer.objects.filter(account=account, deleted_at__isnull=True)
    if email:
        rows = rows.filter(email=email)
    if test_clock:
        rows = rows.filter(test_clock_id=test_clock)
    for lookup, moment in (created or {}).items():
        if lookup not in ("gt", "gte", "lt", "lte"):
            raise ValueError(f"unknown created lookup {lookup!r}")
        rows = rows.filter(**{f"created_at__{lookup}": moment})
    return rows


def _clause_q(clause: Clause) -> Q:
    if clause.field == "created":
        # The API shows whole seconds while rows keep microseconds, so each bound is compared
        # at second granularity, as the list filters do: created<=t includes a row at t.4.
        start = clock.from_epoch(int(clause.value))
        after = start + timedelta(seconds=1)
        q = {
            ":": Q(created_at__gte=start, created_at__lt=after),
            ">": Q(created_at__gte=after),
            ">=": Q(created_at__gte=start),
            "<": Q(created_at__lt=start),
            "<=": Q(created_at__lt=after),
        }[clause.operator]
    elif clause.field == "metadata":
        # An expression, not a "metadata__<key>" lookup: a key may hold "__" or a lookup name.
        value = KeyTextTransform(clause.key, "metadata")
        if clause.value is None:
            q = Q(IsNull(value, True))
        elif clause.negated:
            # Stripe's -metadata['k']:'v' also matches customers without the key.
            return Q(IsNull(value, True)) | ~Q(Exact(value, clause.value))
        else:
            q = Q(Exact(value, clause.value))
    elif clause.value is None:
        q = Q(**{clause.field: ""})
    elif clause.operator == "~":
        q = Q(**{f"{clause.field}__icontains": clause.value})
    else:
        q = Q(**{clause.field: clause.value})
    return ~q if clause.negated else q


def customer_search(*, account: Account, query: Query) -> QuerySet[Customer]:
    """The customers matching a parsed query (see apps.customers.search), not deleted."""
    combined = Q()
    for clause in query.clauses:
        q = _clause_q(clause)
        combined = (combined | q) if query.combinator == "OR" and combined else (combined & q)
    return customer_list(account=account).filter(combined)


def search_page_encode(last_id: str) -> str:
    return base64.urlsafe_b64encode(last_id.encode()).decode().rstrip("=")


def search_page_decode(page: str) -> str:
    """The id a ``next_page`` cursor names; anything else is refused."""
    try:
        padded = (page + "=" * (-len(page) % 4)).encode()
        last_id = base64.b64decode(padded, altchars=b"-_", validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        last_id = ""
    if not last_id.startswith("cus_"):
        raise InvalidRequestError("Invalid page: it must come from next_page.", param="page")
    return last_id


def customer_timeline(
    *, account: Account, customer: Customer, limit: int = TIMELINE_LENGTH
) -> list[Event]:
    """Events about the customer or its objects (charges, payment methods, …), newest first."""
    return list(
        Event.objects.filter(account=account, customer_id=customer.id).order_by("-id")[:limit]
    )


def balance_transaction_list(
    *, account: Account, customer: Customer
) -> QuerySet[CustomerBalanceTransaction]:
    return CustomerBalanceTransaction.objects.filter(account=account, customer=customer)


def note_list(*, account: Account, customer: Customer) -> QuerySet[CustomerNote]:
    return CustomerNote.objects.filter(account=account, customer=customer)


def tax_id_list(*, account: Account, customer: Customer) -> QuerySet[TaxId]:
    return TaxId.objects.filter(account=account, customer=customer)


def payment_method_list(*, account: Account, customer: Customer) -> QuerySet[PaymentMethod]:
    return PaymentMethod.objects.filter(account=account, customer=customer)
