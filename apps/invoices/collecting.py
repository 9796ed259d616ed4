"""What collecting an invoice's payment involves beyond charging it, reached through a registry.

An invoice is paid in one place (``apps.invoices.services.payments.invoices_pay``); around the
charge, apps.collections (above this app, so never imported from here) claims the invoice,
says which invoices are not charged at all, writes the attempt rows and the next retry, and
acts after the outcome (after-last-retry actions, a paid subscription's return to active).
``CollectionsConfig.ready()`` registers those functions as one ``PaymentCollection``.
"""

from collections.abc import Callable
from dataclasses import dataclass

from apps.core.errors import ApplicationError


@dataclass
class Tried:
    """One invoice's attempt in invoices_pay: ``invoice`` is the locked row, already updated
    with the outcome (attempt_count, amount paid; a paid one moves to paid once the attempts are
    recorded); ``before`` its attempt_count before."""

    invoice: object
    before: int
    counted: bool
    method_id: str | None
    charge_id: str
    error: ApplicationError | None
    skipped: bool


@dataclass(frozen=True)
class PaymentCollection:
    """The collection steps of a payment (apps.collections.attempts and .services)."""

    # (account, invoices, trigger, made=False) → (claims by invoice id, in-flight errors by
    # invoice id); inside the transaction that locks the open invoices (``made``: that made
    # them).
    claim: Callable[..., tuple[dict, dict[str, ApplicationError]]]
    # (invoices, chosen, methods, trigger) → the invoices not to charge, with their errors.
    skips: Callable[..., dict[str, ApplicationError]]
    # (trigger, attempt_count, skipped) → whether the attempt increments attempt_count.
    counts: Callable[..., bool]
    # (account, tried, trigger, claims) → the invoices whose retry schedule is spent.
    record: Callable[..., list[str]]
    # (claims) → None: claims whose invoice was settled before the outcome, removed.
    release: Callable[[list], None]
    # (invoice) → None, or raises while a payment of the invoice is in flight.
    refuse: Callable[[object], None]
    # (account, paid, exhausted, actor) → None, after the outcome transaction.
    after: Callable[..., None]


_collection: list[PaymentCollection] = []


def register_payment_collection(collection: PaymentCollection) -> None:
    """At start-up (``AppConfig.ready()``): the one set of collection steps."""
    _collection[:] = [collection]


def payment_collection() -> PaymentCollection:
    if not _collection:
        raise RuntimeError("No payment collection is registered (apps.collections not ready)")
    return _collection[0]
