"""The next invoice of a subscription, with proposed changes applied — computed, never written.

The same planner functions as renewals and updates produce the lines, so what a preview shows
is what the change then invoices (for the same ``proration_date``)."""

from dataclasses import dataclass
from datetime import datetime

from apps.catalog.models import Price
from apps.core import clock
from apps.core.errors import InvalidRequestError, ResourceMissingError
from apps.customers.selectors import customer_balance
from apps.invoices.discounts import discount_in_force
from apps.invoices.engine.periods import boundary, period_containing
from apps.invoices.engine.planner import Line, change_lines, cycle_lines, reset_lines, resets_anchor
from apps.invoices.engine.settlement import invoice_settle
from apps.invoices.models import InvoiceItem
from apps.invoices.services import item_terms, line_discounts_of
from apps.subscriptions.models import Subscription, SubscriptionItem


@dataclass(frozen=True)
class ItemChange:
    item_id: str | None  # None: a new item
    price: Price | None = None
    quantity: int | None = None


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


def _anchor_reset(subscription, current: dict, desired: dict, at: datetime):
    """The new period when the proposed items restart the billing cycle, else None."""
    intervals = {
        (item.price.recurring["interval"], item.price.recurring["interval_count"])
        for item in desired.values()
    }
    if len(intervals) > 1:
        raise InvalidRequestError(
            "Every item of a subscription bills on one interval.", param="subscription_details"
        )
    (interval,) = intervals

    def total(items) -> int:
        return sum(
            item_terms(item, currency=subscription.currency, on=at).period_amount
            for item in items.values()
        )

    before = (subscription.interval, subscription.interval_count)
    if not resets_anchor(before, interval, total(current), total(desired)):
        return None
    return (at, boundary(at, interval[0], interval[1], 1))


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
    current = {
        item.id: item
        for item in subscription.items.filter(deleted_at__isnull=True).select_related(
            "price__product"
        )
    }
    for item in current.values():
        item.price.account = subscription.account  # the same account: no join, no query
    desired = dict(current)
    proration_lines: list[Line] = []
    for index, change in enumerate(changes):
        if change.item_id is None:
            new = SubscriptionItem(
                id=f"si_preview_{index}",
                account=subscription.account,
                subscription=subscription,
                price=change.price,
                quantity=change.quantity or 1,
            )
            old_terms = None
        else:
            old = current.get(change.item_id)
            if old is None:
                raise ResourceMissingError("subscription_item", change.item_id, param="items")
            new = SubscriptionItem(
                id=old.id,
                account=old.account,
                subscription=subscription,
                price=change.price or old.price,
                quantity=change.quantity or (1 if change.price else old.quantity),
                trial_end=old.trial_end,
                custom_unit_amount=old.custom_unit_amount,
            )
            old_terms = item_terms(old, currency=subscription.currency, on=at)
        desired[new.id] = new
        if proration_behavior != "none":
            proration_lines += change_lines(
                old_terms,
                item_terms(new, currency=subscription.currency, on=at),
                period=period,
                at=at,
            )
    pending = InvoiceItem.objects.filter(
        account=subscription.account,
        customer=subscription.customer,
        invoice__isnull=True,
        subscription_id=subscription.id,
    )
    pending_lines = [
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
        for item in pending
    ]
    next_period = period_containing(
        subscription.billing_cycle_anchor,
        subscription.interval,
        subscription.interval_count,
        period[1],
    )
    cycle = cycle_lines(
        [
            item_terms(item, currency=subscription.currency, on=next_period[0])
            for item in desired.values()
        ],
        previous=period,
        period=next_period,
    )
    # always_invoice bills the prorations (and pending items) at once: that invoice is the preview.
    immediate = proration_behavior == "always_invoice"
    lines = pending_lines + proration_lines + ([] if immediate else cycle)
    reset = _anchor_reset(subscription, current, desired, at) if changes else None
    if reset is not None:
        # A new interval (or free to paid) restarts the cycle now and bills it at once.
        immediate, new_period = True, reset
        lines = pending_lines + reset_lines(
            [item_terms(item, currency=subscription.currency, on=at) for item in current.values()],
            [item_terms(item, currency=subscription.currency, on=at) for item in desired.values()],
            period=period,
            at=at,
            new_period=new_period,
            prorate_old=proration_behavior != "none",
        )
        period = new_period
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
