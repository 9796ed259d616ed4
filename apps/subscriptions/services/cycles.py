"""A new cycle: a change of interval (or free to paid) restarts it and bills it at once; a
change inside the period prorates."""

from apps.core import clock
from apps.invoices.engine.periods import boundary
from apps.invoices.engine.planner import reset_lines
from apps.invoices.engine.staging import changes_lines
from apps.invoices.stage_choices import stage_choices
from apps.subscriptions.render import subscription_record
from apps.subscriptions.services.billing import invoice_from_lines
from apps.subscriptions.services.record import prorations_pend
from apps.subscriptions.terms import items_paid


def anchor_reset(subscription, *, old, new, interval, at, prorate, actor, choices=None, items=()):
    """A new interval (or free to paid) restarts the cycle at ``at`` and bills it at once: the
    unused old time credited (``billing.prorations``, no more than what ``items``, the rows
    of ``old``, were paid: apps.subscriptions.terms.items_paid), the first new period charged
    (engine.planner.reset_lines)."""
    choices = stage_choices(subscription.account) if choices is None else choices
    period = (subscription.current_period_start, subscription.current_period_end)
    new_period = (at, boundary(at, interval[0], interval[1], 1))
    credits = (
        changes_lines(
            [(terms, None) for terms in old],
            period=period,
            at=at,
            currency=subscription.currency,
            choices=choices,
            paid=items_paid(subscription, period, list(items)) if items else None,
        )
        if prorate
        else []
    )
    lines = credits + reset_lines(
        old, new, period=period, at=at, new_period=new_period, prorate_old=False
    )
    return cycle_restart(
        subscription,
        lines=lines,
        period=new_period,
        interval=interval,
        actor=actor,
        choices=choices,
    )


def cycle_restart(subscription, *, lines, period, interval, actor, choices=None):
    """The cycle restarts with ``period`` (at the change) and ``lines`` are invoiced now."""
    before = {
        "billing_cycle_anchor": clock.to_epoch(subscription.billing_cycle_anchor),
        "current_period_start": clock.to_epoch(subscription.current_period_start),
        "current_period_end": clock.to_epoch(subscription.current_period_end),
    }
    subscription.interval, subscription.interval_count = interval
    subscription.billing_cycle_anchor = period[0]
    subscription.current_period_start, subscription.current_period_end = period
    subscription.save()
    subscription_record(subscription, "customer.subscription.updated", actor, previous=before)
    return invoice_from_lines(
        subscription=subscription,
        lines=lines,
        period=period,
        billing_reason="subscription_update",
        actor=actor,
        choices=choices,
    )


def prorate_change(subscription, lines, proration_behavior, at, now, actor, choices=None):
    """A change's proration lines inside the period: pending for the next invoice, or invoiced
    at once with ``always_invoice``."""
    period = (subscription.current_period_start, subscription.current_period_end)
    prorations_pend(subscription, lines, at=now)
    subscription_record(subscription, "customer.subscription.updated", actor)
    if proration_behavior != "always_invoice" or not lines:
        return None
    return invoice_from_lines(
        subscription=subscription,
        lines=[],
        period=(at, period[1]),
        billing_reason="subscription_update",
        actor=actor,
        choices=choices,
    )
