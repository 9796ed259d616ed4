"""Reads of customers and their ledgers, always scoped to one account."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from apps.accounts.models import Account
from apps.core.models import Event
from apps.core.search import Query, search_q
from apps.customers.models import (
    Customer,
    CustomerBalanceTransaction,
    CustomerNote,
    PaymentMethod,
    TaxId,
)

TIMELINE_LENGTH = 50


def customer_get(
    *,
    account: Account,
    customer_id: str,
    include_deleted: bool = False,
    with_defaults: bool = False,
) -> Customer | None:
    """``with_defaults``: the default source and payment method joined in the same read."""
    rows = Customer.objects.filter(account=account, id=customer_id)
    if with_defaults:
        rows = rows.select_related("default_source", "default_payment_method")
    if not include_deleted:
        rows = rows.filter(deleted_at__isnull=True)
    return rows.first()


def balance_ending_newest(*, account_id, customer_id) -> QuerySet:
    """The ending balance of the customer's newest ledger row (a one-row values query; the ids
    may be ``OuterRef``s, for a subquery)."""
    return (
        CustomerBalanceTransaction.objects.filter(account_id=account_id, customer_id=customer_id)
        .order_by("-id")
        .values("ending_balance")[:1]
    )


def customers_with_balance(queryset: QuerySet) -> QuerySet:
    """``queryset``'s customers, each with its balance read in the same query
    (``customer_balance`` then answers it without another read). For a row about to be
    rendered: a ledger row written after this read is not seen by that instance."""
    newest = balance_ending_newest(account_id=OuterRef("account_id"), customer_id=OuterRef("pk"))
    return queryset.annotate(balance_as_read=Coalesce(Subquery(newest), 0))


def customer_balance(customer: Customer) -> int:
    """The customer's balance: the running total after its newest ledger row (0 without), or
    the balance read with the row itself (``customers_with_balance``)."""
    known = customer.__dict__.get("balance_as_read")
    if known is not None:
        return known
    newest = (
        balance_ending_newest(account_id=customer.account_id, customer_id=customer.id)
        .values_list("ending_balance", flat=True)
        .first()
    )
    return newest or 0


def customer_balances(customers: list[Customer]) -> dict[str, int]:
    """The balances of ``customers`` by id: one query finds the few with a ledger, each of
    those is then read as ``customer_balance`` reads it."""
    with_ledger = set(
        CustomerBalanceTransaction.objects.filter(
            account_id__in={customer.account_id for customer in customers},
            customer_id__in={customer.id for customer in customers},
        )
        .values_list("customer_id", flat=True)
        .distinct()
    )
    return {
        customer.id: customer_balance(customer) if customer.id in with_ledger else 0
        for customer in customers
    }


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


def customer_search(*, account: Account, query: Query) -> QuerySet[Customer]:
    """The customers matching a parsed query (see apps.core.search), not deleted."""
    return customer_list(account=account).filter(search_q(query))


@dataclass(frozen=True)
class TimelineEntry:
    """A timeline row that is not an event (another app's record, e.g. an email sent):
    ``template`` renders it, given ``entry``."""

    created_at: datetime
    template: str
    object: Any


# Other apps' rows for the timeline: each source answers up to ``limit`` entries, newest first.
TimelineSource = Callable[[Account, Customer, int], list[TimelineEntry]]
_timeline_sources: list[TimelineSource] = []


def register_timeline_source(source: TimelineSource) -> None:
    if source not in _timeline_sources:
        _timeline_sources.append(source)


def customer_timeline(
    *, account: Account, customer: Customer, limit: int = TIMELINE_LENGTH
) -> list[Event | TimelineEntry]:
    """Events about the customer or its objects (charges, payment methods, …), with the
    registered sources' entries among them, newest first."""
    events = list(
        Event.objects.filter(account=account, customer_id=customer.id).order_by("-id")[:limit]
    )
    others = [entry for source in _timeline_sources for entry in source(account, customer, limit)]
    if not others:
        return events
    merged = sorted([*events, *others], key=lambda row: row.created_at, reverse=True)
    return merged[:limit]


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


def customer_payment_methods(customer: Customer) -> list[PaymentMethod]:
    return list(
        PaymentMethod.objects.filter(account_id=customer.account_id, customer=customer).order_by(
            "-id"
        )
    )
