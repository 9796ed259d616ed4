"""Finalizing and collecting invoices in batches, and auto-advance.

``invoices_collect`` finalizes drafts of one account in one transaction (numbers in one block),
applies the subscriptions' ``pause_collection`` at that moment, and charges the ones charged
automatically in one batch (processor calls outside transactions). Every invoice the billing
engine collects goes through it: a renewal's batch, a draft whose auto-advance hour has come,
and the single invoices made at once by changes (the batch of one).

Auto-advance: drafts with ``auto_advance`` are finalized and collected once their
``automatically_finalizes_at`` has come (a renewal's invoice an hour after the period boundary,
a one-off invoice when its creator said), as Stripe does. Beat fans the due drafts out in
batches (``invoicing.invoices_auto_advance``); each draft is re-checked under its row lock
(``skip_locked``) when it is finalized, so two beats or a redelivered task finalize and charge
it once: whoever finalizes it collects it, the other finds it no longer a draft.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction

from apps.core import clock
from apps.core.actor import SYSTEM, Actor
from apps.core.locks import rows_lock
from apps.invoices.engine.stages import Choices
from apps.invoices.models import Invoice
from apps.invoices.services import (
    invoice_made_write,
    invoice_mark_uncollectible,
    invoice_void,
    invoices_finalize,
    invoices_pay,
)
from apps.invoices.services.payments_begun import (
    PaymentsBegun,
    invoices_payments_begin,
    invoices_payments_complete,
)
from apps.subscriptions.enums import SubscriptionStatus
from apps.subscriptions.models import Subscription
from apps.subscriptions.transitions import subscription_move


@dataclass
class Collected:
    finalized: list[Invoice] = field(default_factory=list)
    # Drafts kept for staff (``pause_collection`` keep_as_draft), no longer auto-advancing.
    kept: list[str] = field(default_factory=list)
    # Invoices whose automatic payment failed (or had nothing to charge).
    failed: set[str] = field(default_factory=set)


def due_draft_ids(*, limit: int = 100_000) -> list[str]:
    """Auto-advancing drafts whose time has come (customers on test clocks step their own)."""
    return list(
        Invoice.objects.filter(
            status="draft",
            auto_advance=True,
            automatically_finalizes_at__lte=clock.now(),
            customer__test_clock_id__isnull=True,
        )
        .order_by("automatically_finalizes_at", "id")
        .values_list("id", flat=True)[:limit]
    )


def pause_behavior(subscription: Subscription | None, customer) -> str | None:
    """The subscription's ``pause_collection`` behaviour now (None once ``resumes_at`` passed).
    An ``unpaid`` subscription's new invoices are kept as drafts, never attempted (Stripe: they
    are still created, not collected)."""
    if subscription is not None and subscription.status == SubscriptionStatus.UNPAID:
        return "keep_as_draft"
    pause = (subscription.pause_collection if subscription else None) or {}
    resumes_at = pause.get("resumes_at")
    if resumes_at and clock.from_epoch(resumes_at) <= clock.now(
        test_clock_id=customer.test_clock_id
    ):
        return None
    return pause.get("behavior")


def _due(invoice: Invoice) -> bool:
    return (
        invoice.auto_advance
        and invoice.automatically_finalizes_at is not None
        and invoice.automatically_finalizes_at
        <= clock.now(test_clock_id=invoice.customer.test_clock_id)
    )


def invoices_collect(
    *,
    account,
    invoices: list[Invoice],
    actor: Actor = SYSTEM,
    due_only: bool = False,
    choices: Choices | None = None,
    finalized: list[Invoice] = (),
) -> Collected:
    """Finalize and collect drafts of one account (loaded with customer and subscription), and
    collect the ones the caller ``finalized`` already (a late renewal's, finalized as inserted).

    A subscription paused with ``keep_as_draft`` keeps its draft, no longer auto-advancing;
    ``mark_uncollectible`` / ``void`` apply to the finalized invoice; the rest charged
    automatically are charged. ``due_only``: only drafts whose auto-advance time has come."""
    collected = Collected()
    pauses = {
        invoice.id: pause_behavior(invoice.subscription, invoice.customer)
        for invoice in (*invoices, *finalized)
    }
    collected.kept = kept = [
        invoice.id
        for invoice in invoices
        if pauses[invoice.id] == "keep_as_draft" and (not due_only or _due(invoice))
    ]
    if kept:
        # No email, no payment: the draft waits for staff.
        Invoice.objects.filter(pk__in=kept, status="draft").update(
            auto_advance=False, automatically_finalizes_at=None
        )
    finalizing = [invoice for invoice in invoices if invoice.id not in kept]
    collected.finalized = sorted(
        [
            *finalized,
            *(
                invoices_finalize(
                    account=account,
                    invoices=finalizing,
                    actor=actor,
                    due_only=due_only,
                    choices=choices,
                )
                if finalizing
                else []
            ),
        ],
        key=lambda invoice: invoice.id,
    )
    charging = []
    for invoice in collected.finalized:
        paused = pauses[invoice.id]
        if paused in ("mark_uncollectible", "void") and invoice.status == "open":
            action = invoice_mark_uncollectible if paused == "mark_uncollectible" else invoice_void
            action(account=account, invoice_id=invoice.id, actor=actor)
            continue
        # Finalizing decided how it is collected (payments.collection).
        if invoice.status == "open" and invoice.collection_method == "charge_automatically":
            charging.append(invoice)
    if charging:
        _, failures = invoices_pay(account=account, invoices=charging, actor=actor)
        collected.failed = set(failures)
    return collected


def subscriptions_past_due(*, subscription_ids: set[str], actor: Actor = SYSTEM) -> None:
    """A failed automatic payment leaves an active (or trialing) subscription ``past_due``; one
    already past_due, unpaid or ended (its retries spent: apps.collections) stays as it is."""
    if not subscription_ids:
        return
    with transaction.atomic():
        (subscriptions,) = rows_lock(
            Subscription.objects.select_related("customer", "account").filter(
                id__in=subscription_ids,
                status__in=(SubscriptionStatus.ACTIVE, SubscriptionStatus.TRIALING),
            )
        )
        for subscription in subscriptions:
            subscription_move(subscription, SubscriptionStatus.PAST_DUE, actor=actor, fields=())


def invoices_auto_advance(
    *, invoice_ids: list[str], actor: Actor = SYSTEM, choices: Choices | None = None
) -> int:
    """Finalize and collect the due drafts among ``invoice_ids``; how many were finalized (or
    kept as drafts for staff)."""
    drafts = (
        Invoice.objects.select_related("customer", "account", "subscription")
        .filter(id__in=invoice_ids, status="draft", auto_advance=True)
        .order_by("id")
    )
    by_account = defaultdict(list)
    for invoice in drafts:
        by_account[invoice.account_id].append(invoice)
    advanced = 0
    for invoices in by_account.values():
        collected = invoices_collect(
            account=invoices[0].account,
            invoices=invoices,
            actor=actor,
            due_only=True,
            choices=choices,
        )
        advanced += len(collected.finalized) + len(collected.kept)
        subscriptions_past_due(
            subscription_ids={
                invoice.subscription_id
                for invoice in collected.finalized
                if invoice.id in collected.failed and invoice.subscription_id
            },
            actor=actor,
        )
    return advanced


def invoice_collect(subscription: Subscription, invoice, actor: Actor, choices=None) -> bool:
    """Finalize and, when charging automatically, pay one invoice of ``subscription`` (the batch
    of one). False when an automatic payment failed (an invoice sent to the customer is not a
    failure before its due date)."""
    invoice = Invoice.objects.select_related("customer", "account", "subscription").get(
        pk=invoice.pk
    )
    collected = invoices_collect(
        account=subscription.account, invoices=[invoice], actor=actor, choices=choices
    )
    return invoice.id not in collected.failed


def invoice_collect_begin(
    subscription: Subscription, invoice, actor: Actor, choices: Choices, *, balance: int
) -> PaymentsBegun | None:
    """``invoice_collect`` of the first invoice of a subscription made in the caller's
    transaction, up to the processor call: inside that transaction the invoice (made in
    memory) is inserted finalized (``balance``: the customer's, read in it) and, when charged
    automatically, its payment claimed and its charge written pending
    (``invoices_payments_begin``). A new subscription's collection is not paused. None when
    there is nothing to charge."""
    account = subscription.account
    invoice.subscription = subscription
    invoice.customer = subscription.customer
    invoice.account = account
    invoice_made_write(
        account=account, invoice=invoice, balance=balance, actor=actor, choices=choices
    )
    if invoice.status == "open" and invoice.collection_method == "charge_automatically":
        return invoices_payments_begin(account=account, invoices=[invoice])
    return None


def invoice_collect_complete(invoice, begun: PaymentsBegun | None, actor: Actor) -> bool:
    """After the transaction of ``invoice_collect_begin``: the charge made and recorded. As
    ``invoice_collect``, False when the automatic payment failed."""
    if begun is None:
        return True
    _, failures = invoices_payments_complete(begun, actor=actor)
    return invoice.id not in failures


def subscription_invoice_collect(subscription: Subscription, invoice, actor: Actor) -> None:
    """After the transaction that made ``invoice``: finalize and collect it; a failed automatic
    payment leaves the subscription past_due."""
    if not invoice_collect(subscription, invoice, actor):
        subscriptions_past_due(subscription_ids={subscription.id}, actor=actor)
        subscription.refresh_from_db(fields=["status", "updated_at"])
