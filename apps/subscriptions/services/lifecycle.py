"""A subscription's life between renewals: scheduled cancellation (``cancel_at``), pause and
resume, a reset billing cycle; items' trial ends are in apps.subscriptions.services.trials.

Each step runs under the subscription's row lock and records what it did on the rows it
changes (the status, ``cancel_at`` cleared), so running it twice, or from two beats at once,
does it once. Beat runs them for customers on the real clock (``lifecycle_due``); test clocks
run them in time order with renewals.
"""

from datetime import datetime

from django.db import transaction

from apps.accounts.models import Account
from apps.core import clock
from apps.core.actor import SYSTEM, Actor
from apps.core.errors import InvalidRequestError
from apps.invoices.engine.periods import period_containing
from apps.invoices.engine.planner import Line, cycle_lines
from apps.invoices.engine.staging import changes_lines
from apps.invoices.stage_choices import stage_choices
from apps.subscriptions.enums import SubscriptionItemState, SubscriptionStatus
from apps.subscriptions.models import Subscription, SubscriptionItem
from apps.subscriptions.planning import PRORATION_BEHAVIORS
from apps.subscriptions.render import subscription_record, subscription_render
from apps.subscriptions.services.billing import AlreadyInvoiced, invoice_from_lines
from apps.subscriptions.services.cycles import anchor_reset
from apps.subscriptions.services.record import (
    RENEWABLE,
    active_items,
    prorations_pend,
    status_for,
    subscription_pending_prorations_drop,
)
from apps.subscriptions.services.steps import (
    ENDED,
    Outcome,
    discount_at,
    outcome_collect,
    subscription_lock,
)
from apps.subscriptions.services.trials import subscription_trials_settle_due
from apps.subscriptions.terms import item_terms, items_paid
from apps.subscriptions.transitions import item_move, subscription_move, subscription_status_set

ANCHORS = ("now", "unchanged")


def cancel_at_due(subscription: Subscription, *, now: datetime) -> bool:
    return (
        subscription.cancel_at is not None
        and subscription.cancel_at <= now
        and subscription.status not in ENDED
    )


def subscription_cancel_scheduled(
    *, subscription_id: str, actor: Actor = SYSTEM
) -> Subscription | None:
    """End a subscription whose ``cancel_at`` has come. The unused rest of a paid period is
    credited (unless the cancel was set with proration_behavior=none) on a final invoice with the
    subscription's pending items; a credit total goes to the customer's balance."""
    with transaction.atomic():
        subscription = subscription_lock(subscription_id)
        now = clock.now(test_clock_id=subscription.customer.test_clock_id)
        if not cancel_at_due(subscription, now=now):
            return None
        at = subscription.cancel_at
        start, end = subscription.current_period_start, subscription.current_period_end
        lines: list[Line] = []
        if subscription.cancel_at_proration != "none" and start < at < end:
            discount, currency = discount_at(subscription, at), subscription.currency
            items = active_items(subscription)
            lines = changes_lines(
                [
                    (item_terms(item, currency=currency, on=at, discount=discount), None)
                    for item in items
                ],
                period=(start, end),
                at=at,
                currency=currency,
                choices=stage_choices(subscription.account),
                paid=items_paid(subscription, (start, end), items),
            )
        invoice = None
        if subscription.cancel_at_proration == "none":
            subscription_pending_prorations_drop(subscription)
        if lines or subscription.cancel_at_proration != "none":
            try:
                invoice = invoice_from_lines(
                    subscription=subscription,
                    lines=lines,
                    period=(at, max(at, end)),
                    billing_reason="subscription_update",
                    actor=actor,
                )
            except AlreadyInvoiced:
                invoice = None
        previous = {"status": subscription.status, "cancel_at": clock.to_epoch(at)}
        subscription.ended_at = at
        subscription.canceled_at = subscription.canceled_at or at
        subscription.cancellation_details = subscription.cancellation_details or {
            "comment": None,
            "feedback": None,
            "reason": "cancellation_requested",
        }
        subscription_move(subscription, SubscriptionStatus.CANCELED, actor=actor, previous=previous)
    return outcome_collect(Outcome(subscription, invoice), actor)


def _paused_items(
    subscription: Subscription, *, billing_cycle_anchor: str
) -> list[SubscriptionItem]:
    """The paused items of a subscription that resumes, in id order; refused when neither it
    nor an item is paused, or when ``now`` would reset the anchor of one still billing."""
    paused_items = list(
        subscription.items.filter(deleted_at__isnull=True, paused_at__isnull=False)
        .select_related("price__product", "price__account")
        .order_by("id")
    )
    if subscription.status != SubscriptionStatus.PAUSED and not paused_items:
        raise InvalidRequestError(
            f"Subscription {subscription.id} is not paused; only paused subscriptions resume.",
            code="subscription_not_paused",
        )
    if billing_cycle_anchor == "now" and subscription.status != SubscriptionStatus.PAUSED:
        raise InvalidRequestError(
            "billing_cycle_anchor=now resets the anchor of a paused subscription only; "
            "its other items are billing: resume with billing_cycle_anchor=unchanged.",
            param="billing_cycle_anchor",
        )
    return paused_items


def _resume_lines(
    subscription: Subscription,
    *,
    items: list[SubscriptionItem],
    paused_items: list[SubscriptionItem],
    billing_cycle_anchor: str,
    proration_behavior: str,
    now: datetime,
    at: datetime,
) -> tuple[tuple[datetime, datetime], list[Line], bool]:
    """What resuming bills: the period it resumes in, its lines, and whether they are invoiced
    now. ``now`` anchors a new period at once (all of ``items``, billed now); ``unchanged``
    prorates the resumed ``paused_items`` over the current period at ``at``."""
    if billing_cycle_anchor == "now":
        subscription.billing_cycle_anchor = now
        period = period_containing(now, subscription.interval, subscription.interval_count, now)
        lines = cycle_lines(
            [item_terms(item, currency=subscription.currency, on=now) for item in items],
            previous=None,
            period=period,
        )
        return period, lines, True
    period = period_containing(
        subscription.billing_cycle_anchor,
        subscription.interval,
        subscription.interval_count,
        now,
    )
    lines = []
    if proration_behavior != "none":
        discount, currency = discount_at(subscription, at), subscription.currency
        lines = changes_lines(
            [
                (None, item_terms(item, currency=currency, on=at, discount=discount))
                for item in paused_items
            ],
            period=period,
            at=at,
            currency=currency,
            choices=stage_choices(subscription.account),
            paid=items_paid(subscription, period, paused_items),
        )
    return period, lines, proration_behavior == "always_invoice" and bool(lines)


def subscription_resume(
    *,
    account: Account,
    subscription_id: str,
    actor: Actor,
    billing_cycle_anchor: str = "now",
    proration_behavior: str = "create_prorations",
    proration_date: datetime | None = None,
) -> Subscription:
    """Resume a paused subscription (or its paused items).

    ``billing_cycle_anchor=now`` (a paused subscription only) starts a new period now and
    invoices it at once; ``unchanged`` keeps the anchor and bills the resumed items' rest of the
    current period per ``proration_behavior`` (pending for the next invoice, invoiced now, or not
    at all). The paused time itself is never billed."""
    if billing_cycle_anchor not in ANCHORS:
        raise InvalidRequestError(
            "billing_cycle_anchor is now or unchanged.", param="billing_cycle_anchor"
        )
    if proration_behavior not in PRORATION_BEHAVIORS:
        raise InvalidRequestError(
            f"proration_behavior is one of {', '.join(PRORATION_BEHAVIORS)}.",
            param="proration_behavior",
        )
    with transaction.atomic():
        subscription = subscription_lock(subscription_id, account)
        paused_items = _paused_items(subscription, billing_cycle_anchor=billing_cycle_anchor)
        whole = subscription.status == SubscriptionStatus.PAUSED
        now = clock.now(test_clock_id=subscription.customer.test_clock_id)
        at = proration_date or now
        before = subscription_render(subscription)
        for item in paused_items:
            item_move(item, SubscriptionItemState.ACTIVE, at=now)
            item.save(update_fields=["paused_at", "updated_at"])
        items = active_items(subscription)
        invoice = None
        period, lines, bill_now = _resume_lines(
            subscription,
            items=items,
            paused_items=paused_items,
            billing_cycle_anchor=billing_cycle_anchor,
            proration_behavior=proration_behavior,
            now=now,
            at=at,
        )
        subscription.current_period_start, subscription.current_period_end = period
        if bill_now:
            try:
                invoice = invoice_from_lines(
                    subscription=subscription,
                    lines=lines,
                    period=period,
                    billing_reason="subscription_update",
                    actor=actor,
                )
            except AlreadyInvoiced:
                invoice = None
        else:
            prorations_pend(subscription, lines, at=now)
        # The move is recorded in the resume's event, with what else changed.
        subscription_status_set(subscription, status_for(items, now))
        subscription.save()
        after = subscription_render(subscription)
        previous = {k: v for k, v in before.items() if after.get(k) != v}
        if whole:
            subscription_record(
                subscription, "customer.subscription.resumed", actor, previous=previous
            )
        else:
            subscription_record(
                subscription, "customer.subscription.updated", actor, previous=previous
            )
    return outcome_collect(Outcome(subscription, invoice), actor)


def lifecycle_due(*, limit: int = 10_000) -> dict[str, int]:
    """Beat: items whose trial has ended and subscriptions whose cancel_at has come (customers on
    the real clock; test clocks step their own)."""
    now = clock.now()
    trials = (
        SubscriptionItem.objects.filter(
            deleted_at__isnull=True,
            trial_settled_at__isnull=True,
            trial_end__lte=now,
            subscription__customer__test_clock_id__isnull=True,
        )
        .values_list("subscription_id", flat=True)
        .distinct()
    )
    settled = 0
    for subscription_id in list(trials[:limit]):
        subscription_trials_settle_due(subscription_id=subscription_id)
        settled += 1
    cancels = Subscription.objects.filter(
        cancel_at__lte=now, customer__test_clock_id__isnull=True
    ).exclude(status__in=ENDED)
    canceled = 0
    for subscription_id in list(cancels.values_list("id", flat=True)[:limit]):
        if subscription_cancel_scheduled(subscription_id=subscription_id) is not None:
            canceled += 1
    return {"trials_settled": settled, "canceled": canceled}


def subscription_anchor_reset(
    *, account: Account, subscription_id: str, actor: Actor, proration_behavior: str
) -> Subscription:
    """``billing_cycle_anchor=now`` on update: the cycle restarts now and its first period is
    billed at once, the unused rest of the current one credited unless not prorating."""
    with transaction.atomic():
        subscription = subscription_lock(subscription_id, account)
        if subscription.status not in RENEWABLE:
            raise InvalidRequestError(
                f"A {subscription.status} subscription's billing cycle cannot be reset.",
                param="billing_cycle_anchor",
            )
        now = clock.now(test_clock_id=subscription.customer.test_clock_id)
        # The credits bake in the discount; the new period's charge is discounted on the invoice.
        discount = discount_at(subscription, now)
        items = active_items(subscription)
        terms = [
            item_terms(item, currency=subscription.currency, on=now, discount=discount)
            for item in items
        ]
        invoice = anchor_reset(
            subscription,
            old=terms,
            new=terms,
            interval=(subscription.interval, subscription.interval_count),
            at=now,
            prorate=proration_behavior != "none",
            actor=actor,
            items=items,
        )
    return outcome_collect(Outcome(subscription, invoice), actor)
