"""Renewals, a batch of subscriptions per transaction: the one renewal path (a single renewal,
as test clocks run it, is the batch of one).

1. One transaction locks the batch (``skip_locked`` for beat batches: rows another transaction
   holds are left to it and stay due for the next beat), re-checks that each is due, settles
   items' trial ends first (apps.subscriptions.services.trials), plans each invoice with the
   pure planner and writes the invoices, their lines, the subscriptions' new periods, and the
   events and audit entries in multi-row writes. A line key billed before (the unique
   constraint) makes that subscription's renewal a no-op; the rest of the batch still renews.
2. After the commit, the invoices whose auto-advance hour has passed already (a late run) are
   finalized and collected as one batch (apps.subscriptions.services.collection); the others
   stay drafts for the auto-advance sweep.
"""

import logging
from collections import defaultdict

from django.db import transaction

from apps.accounts.audit import changes_record
from apps.accounts.models import Account
from apps.core import clock
from apps.core.actor import SYSTEM, Actor
from apps.core.bulk import rows_update
from apps.core.locks import rows_lock
from apps.customers.selectors import customer_balances
from apps.invoices.discounts import discount_among, discount_used
from apps.invoices.engine.periods import period_containing
from apps.invoices.engine.planner import TRIAL_REMAINDER, cycle_lines
from apps.invoices.engine.stages import Choices
from apps.invoices.engine.staging import recurring_lines
from apps.invoices.lines_render import invoices_render_prepare
from apps.invoices.models import Discount, Invoice, InvoiceItem, InvoiceLine
from apps.invoices.services import invoice_render, invoices_insert
from apps.invoices.stage_choices import stage_choices
from apps.subscriptions.enums import SubscriptionStatus
from apps.subscriptions.models import Subscription
from apps.subscriptions.render import subscription_render
from apps.subscriptions.services.collection import (
    invoices_collect,
    subscription_invoice_collect,
    subscriptions_past_due,
)
from apps.subscriptions.services.record import status_for
from apps.subscriptions.services.renewal_parts import (
    AUTO_ADVANCE_DELAY,
    END,
    RENEW,
    SETTLE_TRIALS,
    Renewal,
    Renewed,
    renewal_discounts_of,
    renewal_finalizing,
    renewal_invoice_plan,
    renewal_items_of,
    renewal_lines_insert,
    renewal_next_step,
)
from apps.subscriptions.services.trials import subscription_trials_settle
from apps.subscriptions.terms import item_bills, item_terms
from apps.subscriptions.transitions import subscription_move, subscription_status_set

log = logging.getLogger(__name__)


def _plan(subscription, items, now, actor, renewed, choices: Choices) -> Renewal | None:
    """The renewal of one locked subscription as ``renewal_next_step`` decides: None when it
    waits or ends (``END`` is done here), else its planned lines and new period."""
    step = renewal_next_step(subscription, items, now)
    if step == SETTLE_TRIALS:
        settled = subscription_trials_settle(subscription, now=now, actor=actor)
        if settled.invoice is not None:
            renewed.settled.append((subscription, settled.invoice))
        items = renewal_items_of([subscription])[subscription.id]
        step = renewal_next_step(subscription, items, now)
    if step not in (END, RENEW):
        return None
    resumes_at = (subscription.pause_collection or {}).get("resumes_at")
    if resumes_at and clock.from_epoch(resumes_at) <= now:
        subscription.pause_collection = None
    if step == END:
        subscription.ended_at = subscription.current_period_end
        subscription_move(subscription, SubscriptionStatus.CANCELED, actor=actor)
        renewed.subscriptions.append(subscription)
        return None
    previous = (subscription.current_period_start, subscription.current_period_end)
    period = period_containing(
        subscription.billing_cycle_anchor,
        subscription.interval,
        subscription.interval_count,
        previous[1],
    )
    billing = [item for item in items if item_bills(item)]
    lines = recurring_lines(
        cycle_lines(
            [item_terms(item, currency=subscription.currency, on=period[0]) for item in billing],
            previous=previous,
            period=period,
        ),
        period=period,
        currency=subscription.currency,
        choices=choices,
    )
    renewal = Renewal(
        subscription=subscription,
        now=now,
        before={
            "current_period_start": clock.to_epoch(previous[0]),
            "current_period_end": clock.to_epoch(previous[1]),
            "status": subscription.status,
        },
        period=period,
        items=items,
        lines=lines,
        # Stripe leaves a renewal's invoice a draft for an hour after the period boundary.
        finalizes_at=previous[1] + AUTO_ADVANCE_DELAY,
        choices=choices,
    )
    subscription.current_period_start, subscription.current_period_end = period
    if subscription.status not in (SubscriptionStatus.PAST_DUE, SubscriptionStatus.UNPAID):
        # A subscription in dunning stays so until its open invoices are paid (apps.collections).
        # The move is recorded in the renewal's event, with the period (``before``).
        subscription_status_set(subscription, status_for(billing, period[0]))
    return renewal


def _pending_of(renewals: list[Renewal]) -> dict[tuple[str, str], list[InvoiceItem]]:
    """The batch's pending items, locked until they are invoiced, by (customer, subscription)."""
    (items,) = rows_lock(
        InvoiceItem.objects.filter(
            account_id__in={r.subscription.account_id for r in renewals},
            # The customers lead the pending-items index (account, customer, invoice).
            customer_id__in={r.subscription.customer_id for r in renewals},
            subscription_id__in=[r.subscription.id for r in renewals],
            invoice__isnull=True,
        )
    )
    pending = defaultdict(list)
    for item in items:
        pending[(item.customer_id, item.subscription_id)].append(item)
    return pending


def _invoices_build(renewals: list[Renewal]) -> None:
    """As apps.subscriptions.services.billing.invoice_from_lines, for the batch: the trial
    remainders not billed before, the pending items, the discount in force (of every renewal,
    invoiced or not), totals; a zero total makes no invoice unless the account asks for them."""
    remainders = [
        line.item_id for r in renewals for line in r.lines if line.kind == TRIAL_REMAINDER
    ]
    billed = (
        set(
            InvoiceLine.objects.filter(
                subscription_item_id__in=remainders, kind=TRIAL_REMAINDER
            ).values_list("subscription_item_id", "period_start", "period_end")
        )
        if remainders
        else set()
    )
    pending = _pending_of(renewals)
    discounts = renewal_discounts_of(renewals)
    products = {
        item.price_id: item.price.product_id for r in renewals for item in r.items if item.price_id
    }
    settings = {}
    balances = customer_balances([r.subscription.customer for r in renewals])
    for r in renewals:
        subscription = r.subscription
        r.balance = balances[subscription.customer_id]
        r.lines = [
            line
            for line in r.lines
            if line.kind != TRIAL_REMAINDER
            or (line.item_id, line.period_start, line.period_end) not in billed
        ]
        r.pending = pending.get((subscription.customer_id, subscription.id), [])
        # Looked up for every period, invoiced or not: the period spends a once coupon.
        r.discount = discount_among(
            discounts.get(subscription.customer_id, []), subscription, r.now
        )
        if r.lines or r.pending:
            renewal_invoice_plan(r, products, settings)


def _invoices_insert(renewals: list[Renewal], finalizing: list[Invoice], actor: Actor) -> None:
    """The batch's invoices, written last (``invoices_insert``): one multi-row insert per
    account, in account order, the ones in ``finalizing`` finalized as they are written, the
    stages run as the account's renewals' choices run them."""
    by_account = defaultdict(list)
    for r in renewals:
        if r.invoice is not None:
            by_account[r.subscription.account_id].append(r)
    finalized = {invoice.id for invoice in finalizing}
    for account_id in sorted(by_account):
        invoiced = by_account[account_id]
        invoices_insert(
            account=invoiced[0].subscription.account,
            invoices=[r.invoice for r in invoiced],
            finalizing=[r.invoice for r in invoiced if r.invoice.id in finalized],
            actor=actor,
            choices=invoiced[0].choices,
        )


def _record_all(renewals: list[Renewal], actor: Actor) -> None:
    discount_ids = defaultdict(list)
    for discount in Discount.objects.filter(
        subscription_id__in=[r.subscription.id for r in renewals], removed_at__isnull=True
    ).order_by("id"):
        discount_ids[discount.subscription_id].append(discount.id)
    invoices_render_prepare([r.invoice for r in renewals if r.invoice is not None])
    by_account = defaultdict(list)
    accounts = {}
    for r in renewals:
        subscription = r.subscription
        accounts[subscription.account_id] = subscription.account
        changes = by_account[subscription.account_id]
        if r.invoice is not None:
            changes.append(("invoice.created", "invoice", invoice_render(r.invoice), None))
        data = subscription_render(
            subscription, items=r.items, discount_ids=discount_ids[subscription.id]
        )
        changes.append(("customer.subscription.updated", "subscription", data, r.before))
    for account_id, changes in by_account.items():
        changes_record(account=accounts[account_id], actor=actor, changes=changes)


def subscriptions_renew(
    *,
    subscription_ids: list[str],
    actor: Actor = SYSTEM,
    skip_locked: bool = True,
    choices: Choices | None = None,
) -> Renewed:
    """Renew the due subscriptions among ``subscription_ids`` in one transaction, then collect
    the invoices already past their auto-advance hour. The billing stages run as ``choices``
    choose (None: each account's own)."""
    renewed = Renewed()
    with transaction.atomic():
        (subscriptions,) = rows_lock(
            Subscription.objects.select_related("customer").filter(id__in=subscription_ids),
            skip_locked=skip_locked,
        )
        accounts = Account.objects.in_bulk({s.account_id for s in subscriptions})
        for subscription in subscriptions:
            subscription.account = accounts[subscription.account_id]
        moments = {s.id: clock.now(test_clock_id=s.customer.test_clock_id) for s in subscriptions}
        items = renewal_items_of(subscriptions)
        renewals = []
        chosen = {
            account.id: stage_choices(account) if choices is None else choices
            for account in accounts.values()
        }
        for subscription in subscriptions:
            renewal = _plan(
                subscription,
                items[subscription.id],
                moments[subscription.id],
                actor,
                renewed,
                chosen[subscription.account_id],
            )
            if renewal is not None:
                renewals.append(renewal)
        _invoices_build(renewals)
        renewals = renewal_lines_insert(renewals)
        for r in renewals:
            if r.invoice is None:
                continue
            r.subscription.latest_invoice_id = r.invoice.id
            r.subscription.pending_stages = {}  # the invoice took them (renewal_invoice_plan)
            if r.pending:
                InvoiceItem.objects.filter(pk__in=[item.pk for item in r.pending]).update(
                    invoice=r.invoice
                )
        for r in renewals:
            # The period spends a once coupon in force, whether or not it made an invoice or
            # discounted anything (apps.invoices.discounts.discount_period_used).
            if r.discount is not None:
                discount_used(r.discount, r.now)
        now = clock.now()
        for r in renewals:
            r.subscription.updated_at = now
        rows_update(
            Subscription,
            [r.subscription for r in renewals],
            [
                "current_period_start",
                "current_period_end",
                "status",
                "latest_invoice_id",
                "pending_stages",
                "pause_collection",
                "updated_at",
            ],
        )
        _record_all(renewals, actor)
        renewed.finalized = renewal_finalizing(renewals)
        _invoices_insert(renewals, renewed.finalized, actor)
        renewed.subscriptions += [r.subscription for r in renewals]
        finalized = {invoice.id for invoice in renewed.finalized}
        renewed.late = [
            invoice
            for r, invoice in ((r, r.invoice) for r in renewals)
            if invoice is not None and r.finalizes_at <= r.now and invoice.id not in finalized
        ]
    return renewed


def subscriptions_renew_and_collect(
    *,
    subscription_ids: list[str],
    actor: Actor = SYSTEM,
    skip_locked: bool = True,
    choices: Choices | None = None,
) -> list[Subscription]:
    """``subscriptions_renew``, then (after its commit) collect what it invoiced at once: trial
    ends' invoices, and the late renewals' invoices as one batch per account."""
    renewed = subscriptions_renew(
        subscription_ids=subscription_ids, actor=actor, skip_locked=skip_locked, choices=choices
    )
    for subscription, invoice in renewed.settled:
        subscription_invoice_collect(subscription, invoice, actor)
    by_account = defaultdict(lambda: ([], []))
    for invoice in renewed.late:
        by_account[invoice.account_id][0].append(invoice)
    for invoice in renewed.finalized:
        by_account[invoice.account_id][1].append(invoice)
    for drafts, finalized in by_account.values():
        collected = invoices_collect(
            account=(drafts or finalized)[0].account,
            invoices=drafts,
            finalized=finalized,
            actor=actor,
            due_only=True,
            choices=choices,
        )
        failed = {
            invoice.subscription_id
            for invoice in collected.finalized
            if invoice.id in collected.failed
        }
        subscriptions_past_due(subscription_ids=failed, actor=actor)
    return renewed.subscriptions


def subscriptions_renew_batch(*, subscription_ids: list[str], actor: Actor = SYSTEM) -> int:
    """A beat batch: renewed together; if the batch fails (one subscription's data the planner
    refuses), each is renewed on its own so one bad subscription does not hold up the others
    (it stays due, and is retried and logged at every beat). How many renewed."""
    try:
        return len(subscriptions_renew_and_collect(subscription_ids=subscription_ids, actor=actor))
    except Exception:
        log.exception("renewal batch of %d failed; renewing one by one", len(subscription_ids))
    renewed = 0
    for subscription_id in subscription_ids:
        try:
            renewed += len(
                subscriptions_renew_and_collect(subscription_ids=[subscription_id], actor=actor)
            )
        except Exception:
            log.exception("renewal of %s failed", subscription_id)
    return renewed


def subscription_renew(
    *, subscription_id: str, actor: Actor = SYSTEM, choices: Choices | None = None
) -> Subscription | None:
    """Invoice the next period of a subscription that is due; a no-op when not due (or done).
    The batch renewal of one, waiting for the row lock."""
    renewed = subscriptions_renew_and_collect(
        subscription_ids=[subscription_id], actor=actor, skip_locked=False, choices=choices
    )
    return renewed[0] if renewed else None
