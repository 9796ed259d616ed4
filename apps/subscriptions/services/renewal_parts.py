"""What renewing a batch works with: each locked subscription's next step, the batch's items
and discounts loaded at once, the planned renewal and its invoice
(apps.subscriptions.services.renewals)."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction

from apps.catalog.models import Price
from apps.catalog.selectors import tax_rate_terms
from apps.core.bulk import instance_new, rows_insert
from apps.core.ids import new_secret
from apps.invoices.discounts import discount_amounts
from apps.invoices.engine.planner import Line
from apps.invoices.engine.settlement import invoice_settle
from apps.invoices.engine.stages import Choices
from apps.invoices.engine.staging import BALANCE, COMPUTE_BILL, bill_totals
from apps.invoices.models import Discount, Invoice, InvoiceItem, InvoiceLine
from apps.invoices.services import (
    discount_terms,
    invoice_line_rows,
    invoice_tax_fields,
    rates_effective,
)
from apps.subscriptions.enums import SubscriptionStatus
from apps.subscriptions.models import Subscription, SubscriptionItem
from apps.subscriptions.services.billing import billing_settings, invoice_stages
from apps.subscriptions.services.collection import pause_behavior

# How long a renewal's invoice stays a draft before it is finalized and collected (Stripe's hour).
AUTO_ADVANCE_DELAY = timedelta(hours=1)
# An unpaid subscription (its retries spent, apps.collections) keeps renewing; its invoices stay
# drafts that are never attempted (apps.subscriptions.services.collection.pause_behavior), as
# Stripe.
RENEWABLE = (
    SubscriptionStatus.ACTIVE,
    SubscriptionStatus.TRIALING,
    SubscriptionStatus.PAST_DUE,
    SubscriptionStatus.UNPAID,
)


@dataclass
class Renewal:
    subscription: Subscription
    now: datetime
    before: dict
    period: tuple[datetime, datetime]
    items: list[SubscriptionItem]  # every item not removed (the render's), in id order
    lines: list[Line]
    pending: list[InvoiceItem] = field(default_factory=list)
    discount: Discount | None = None
    invoice: Invoice | None = None
    rows: list[InvoiceLine] = field(default_factory=list)
    finalizes_at: datetime | None = None
    choices: Choices | None = None  # the billing stages' implementations
    balance: int = 0  # the customer's balance before the invoice


@dataclass
class Renewed:
    subscriptions: list[Subscription] = field(default_factory=list)
    # Invoices of trial ends settled first (invoiced at once, collected one by one).
    settled: list[tuple[Subscription, Invoice]] = field(default_factory=list)
    # Invoices already past their auto-advance hour finalized as they were inserted (not the
    # ones whose customer has a balance or whose settling would move one, nor those kept as
    # drafts by pause_collection keep_as_draft: ``late``, finalized after the commit).
    finalized: list[Invoice] = field(default_factory=list)
    late: list[Invoice] = field(default_factory=list)


# What renewing a locked subscription does next (``renewal_next_step``).
WAIT = "wait"
SETTLE_TRIALS = "settle_trials"
END = "end"
RENEW = "renew"


def renewal_next_step(
    subscription: Subscription, items: list[SubscriptionItem], now: datetime
) -> str:
    """What renewing the locked ``subscription`` (its ``items`` not removed) at ``now`` does next:
    the one place that decides whether it is due and what happens.

    - ``WAIT``: its period has not ended; it has ended (or expired) or does not bill (paused,
      incomplete); or a ``cancel_at`` inside the period ends it instead
      (apps.subscriptions.services.lifecycle.subscription_cancel_scheduled).
    - ``SETTLE_TRIALS``: items' own trials ended by ``now`` are settled first (the subscription
      may end, pause or resume with them, and an account may invoice them at once); then ask
      again.
    - ``END``: ``cancel_at_period_end``: it ends at the boundary, nothing billed.
    - ``RENEW``: the next period is invoiced."""
    if subscription.current_period_end > now or subscription.status in (
        SubscriptionStatus.CANCELED,
        SubscriptionStatus.INCOMPLETE_EXPIRED,
    ):
        return WAIT
    if subscription.cancel_at and subscription.cancel_at <= subscription.current_period_end:
        return WAIT
    if any(
        item.trial_settled_at is None and item.trial_end is not None and item.trial_end <= now
        for item in items
    ):
        return SETTLE_TRIALS
    if subscription.status not in RENEWABLE:
        return WAIT
    return END if subscription.cancel_at_period_end else RENEW


def renewal_items_of(subscriptions: list[Subscription]) -> dict[str, list[SubscriptionItem]]:
    """The batch's items not removed, in id order, by subscription; their prices (few, shared
    by many items) loaded once each with product and account."""
    items = list(
        SubscriptionItem.objects.filter(
            subscription_id__in=[s.id for s in subscriptions], deleted_at__isnull=True
        ).order_by("id")
    )
    prices = Price.objects.select_related("product", "account").in_bulk(
        {item.price_id for item in items}
    )
    found = defaultdict(list)
    for item in items:
        item.price = prices[item.price_id]
        found[item.subscription_id].append(item)
    return found


def renewal_discounts_of(renewals: list[Renewal]) -> dict[str, list[Discount]]:
    """Every discount not removed of the batch's customers, newest first, by customer."""
    found = defaultdict(list)
    for discount in (
        Discount.objects.select_related("coupon")
        .filter(
            customer_id__in={r.subscription.customer_id for r in renewals},
            removed_at__isnull=True,
        )
        .order_by("-id")
    ):
        found[discount.customer_id].append(discount)
    return found


def renewal_invoice_plan(r: Renewal, products: dict, settings: dict) -> None:
    """The renewal's invoice and line rows (unsaved), with the discount's shares; none for a
    zero total unless the account asks for them. ``products``: price id → product id, filled
    as prices are met; ``settings``: the accounts' billing settings, filled the same way."""
    subscription = r.subscription
    account = subscription.account
    parts = [(line.amount, line.kind, line.price_id) for line in r.lines] + [
        (item.amount, item.kind, item.price_id) for item in r.pending
    ]
    if r.discount is not None:
        unknown = {price for _, _, price in parts if price and price not in products}
        if unknown:
            products.update(Price.objects.filter(id__in=unknown).values_list("id", "product_id"))
    amounts = discount_amounts(
        r.discount, [(amount, kind, products.get(price)) for amount, kind, price in parts]
    )
    applying = rates_effective(
        [line.tax_rates for line in r.lines] + [item.tax_rates for item in r.pending],
        subscription.default_tax_rates,
    )
    totals = bill_totals(
        [(line.amount, line.proration) for line in r.lines]
        + [(item.amount, item.proration) for item in r.pending],
        amounts,
        discount=discount_terms(r.discount),
        currency=subscription.currency,
        balance=r.balance,
        choice=r.choices.of(COMPUTE_BILL),
        line_rates=applying,
        tax_rates=tax_rate_terms(
            account_id=account.id, ids={rate for rates in applying for rate in rates}
        ),
    )
    subtotal, total = totals.subtotal, totals.total
    if total == 0:
        if account.id not in settings:
            settings[account.id] = billing_settings(account)
        if not settings[account.id].zero_total_invoices:
            return
    r.invoice = instance_new(
        Invoice,
        account=account,
        customer=subscription.customer,
        subscription=subscription,
        status="draft",
        billing_reason="subscription_cycle",
        currency=subscription.currency,
        period_start=r.period[0],
        period_end=r.period[1],
        subtotal=subtotal,
        total_discount=totals.total_discount,
        total=total,
        **invoice_tax_fields(totals, subscription.default_tax_rates),
        amount_due=total,
        discount=r.discount if any(amounts) else None,
        collection_method=subscription.collection_method,
        automatically_finalizes_at=r.finalizes_at,
        hosted_token=new_secret(32),
        created_at=r.now,
        stages=invoice_stages(r.lines, r.pending, totals, subscription.pending_stages),
    )
    r.rows = invoice_line_rows(
        invoice=r.invoice,
        currency=subscription.currency,
        lines=r.lines,
        pending=r.pending,
        discounts=amounts,
        line_taxes=totals.line_taxes,
    )


def renewal_lines_insert(renewals: list[Renewal]) -> list[Renewal]:
    """Write the batch's lines in one multi-row insert (their invoices are inserted last: the
    foreign key is checked at commit); when a line key was billed before, each renewal's lines
    are written on their own and the renewals that hit it are dropped."""
    try:
        with transaction.atomic():
            rows_insert(InvoiceLine, [row for r in renewals for row in r.rows])
        return renewals
    except IntegrityError:
        pass
    kept = []
    for r in renewals:
        if r.rows:
            try:
                with transaction.atomic():
                    rows_insert(InvoiceLine, r.rows)
            except IntegrityError:
                continue  # this period was billed already: the renewal ran before
        kept.append(r)
    return kept


def renewal_finalizing(renewals: list[Renewal]) -> list[Invoice]:
    """The batch's invoices already past their auto-advance hour that are finalized as they are
    inserted: not kept as drafts by ``pause_collection``, their customer without a balance
    (``Renewal.balance``) that none of its invoices here moves (``billing.customer_balance_
    application`` as the renewal's choices run it, then rounding and the minimum charge: an
    entry would lock the customer, out of the lock order there). The others are finalized
    after the commit, as a due draft is."""
    late = [
        r
        for r in renewals
        if r.invoice is not None
        and r.finalizes_at <= r.now
        and pause_behavior(r.subscription, r.subscription.customer) != "keep_as_draft"
    ]
    moving = {
        r.subscription.customer_id
        for r in late
        if r.balance
        or invoice_settle(
            total=r.invoice.total,
            balance=0,
            currency=r.invoice.currency,
            choice=r.choices.of(BALANCE),
        ).entries
    }
    return [r.invoice for r in late if r.subscription.customer_id not in moving]
