"""The next invoice of a subscription, with proposed changes applied — computed, never written.

The change's lines come from the plan the update itself writes (apps.subscriptions.changes),
the next period's from the planner renewals use, so what a preview shows is what the change then
invoices (for the same ``proration_date``), line by line."""

from datetime import datetime

from apps.core import clock
from apps.customers.selectors import customer_balance
from apps.invoices.discounts import discount_in_force
from apps.invoices.engine.periods import period_containing
from apps.invoices.engine.planner import Line, cycle_lines
from apps.invoices.engine.settlement import invoice_settle
from apps.invoices.models import InvoiceItem
from apps.invoices.services import line_discounts_of
from apps.subscriptions.changes import ItemChange, change_plan
from apps.subscriptions.models import Subscription
from apps.subscriptions.terms import item_terms


def line_preview_render(line: Line, currency: str) -> dict:
    return {
        "object": "line_item",
        "amount": line.amount,
        "currency": currency,
        "description": line.description or None,
        "parent": {
            "type": "subscription_item_details",
            "subscription_item_details": {
                "subscription_item": line.item_id,
                "proration": line.proration,
            },
        },
        "period": {
            "start": clock.to_epoch(line.period_start),
            "end": clock.to_epoch(line.period_end),
        },
        "pricing": {"price_details": {"price": line.price_id}, "type": "price_details"},
        "proration": line.proration,
        "quantity": line.quantity,
    }


def _pending_lines(subscription: Subscription) -> list[Line]:
    """The subscription's pending invoice items, as the lines its next invoice takes them."""
    return [
        Line(
            item.subscription_item_id or "",
            item.kind,
            item.period_start,
            item.period_end,
            item.amount,
            item.quantity,
            item.price_id or "",
            item.description,
        )
        for item in InvoiceItem.objects.filter(
            account=subscription.account,
            customer=subscription.customer,
            invoice__isnull=True,
            subscription_id=subscription.id,
        )
    ]


def _next_cycle(subscription: Subscription, items, period) -> tuple[tuple, list[Line]]:
    """The period after ``period`` and the lines ``items`` bill for it (as a renewal would)."""
    next_period = period_containing(
        subscription.billing_cycle_anchor,
        subscription.interval,
        subscription.interval_count,
        period[1],
    )
    cycle = cycle_lines(
        [item_terms(item, currency=subscription.currency, on=next_period[0]) for item in items],
        previous=period,
        period=next_period,
    )
    return next_period, cycle


def invoice_preview(
    *,
    subscription: Subscription,
    changes: list[ItemChange],
    proration_date: datetime | None = None,
    proration_behavior: str = "create_prorations",
) -> dict:
    now = clock.now(test_clock_id=subscription.customer.test_clock_id)
    at = proration_date or now
    period = (subscription.current_period_start, subscription.current_period_end)
    plan = change_plan(
        subscription=subscription,
        changes=changes,
        at=at,
        proration_behavior=proration_behavior,
    )
    pending_lines = _pending_lines(subscription)
    next_period, cycle = _next_cycle(subscription, plan.after, period)
    # always_invoice bills the prorations (and pending items) at once: that invoice is the preview;
    # so does a change that restarts the cycle (a new interval, or free to paid).
    immediate = proration_behavior == "always_invoice" or plan.reset is not None
    lines = pending_lines + plan.lines + ([] if immediate else cycle)
    if plan.reset is not None:
        period = plan.reset
    discount = discount_in_force(
        customer=subscription.customer,
        subscription=subscription,
        at=at if immediate else next_period[0],
    )
    discounts = line_discounts_of(
        discount, [(line.amount, line.kind, line.price_id) for line in lines]
    )
    subtotal = sum(line.amount for line in lines)
    total = subtotal - sum(discounts)
    # As finalizing settles it (a credit total goes to the balance, nothing is then due).
    settled = invoice_settle(
        total=total,
        balance=customer_balance(subscription.customer),
        currency=subscription.currency,
    )
    return {
        "id": None,
        "object": "invoice",
        "amount_due": settled.amount_due,
        "amount_paid": 0,
        "amount_remaining": settled.amount_due,
        "billing_reason": "subscription_update" if immediate else "upcoming",
        "currency": subscription.currency,
        "customer": subscription.customer_id,
        "ending_balance": settled.ending_balance,
        "lines": {
            "object": "list",
            "data": [line_preview_render(line, subscription.currency) for line in lines],
            "has_more": False,
            "url": "/v1/invoices/create_preview/lines",
        },
        "next_payment_attempt": clock.to_epoch(at if immediate else next_period[0])
        if subscription.collection_method == "charge_automatically"
        else None,
        "parent": {
            "type": "subscription_details",
            "subscription_details": {
                "subscription": subscription.id,
                "subscription_proration_date": clock.to_epoch(at) if proration_date else None,
            },
        },
        "period_end": clock.to_epoch(period[1] if immediate else next_period[0]),
        "period_start": clock.to_epoch(at if immediate else period[0]),
        "starting_balance": settled.starting_balance,
        "status": "draft",
        "subscription": subscription.id,
        "subscription_proration_date": clock.to_epoch(at) if proration_date else None,
        "subtotal": subtotal,
        "total_discount_amounts": (
            [{"amount": sum(discounts), "discount": discount.id}] if any(discounts) else []
        ),
        "total": total,
    }
