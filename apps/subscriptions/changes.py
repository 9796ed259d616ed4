"""A change to a subscription's items, planned before anything is written (issue #14).

``subscription_items_change`` (apps.subscriptions.services) writes what ``change_plan`` decides
and bills its lines; the preview of a change (apps.subscriptions.invoice_preview) shows the same
plan's lines. So a preview for a ``proration_date`` is, line by line, what the change with that date
bills. The plan reads the subscription's items and discount and writes nothing.

Stripe's meanings of one ``items[N]``:
- with ``id``: a new price and/or quantity for that item (a new price without a quantity resets
  it to 1); the same price and quantity again is no change and prorates nothing;
- with ``id`` and ``deleted``: the item is removed; its unused time is credited (unless
  ``proration_behavior=none``) and the next period bills nothing for it. ``clear_usage`` goes
  with deleting a metered item only;
- without ``id``: a new item (with its own trial it prorates nothing until the trial ends).

Every proration line of one change is at one moment ``at`` (``proration_date``, else now), added
items included, and bakes in a percent-off discount in force then (engine.discounts), no more
than what the item was paid for the rest of the period on the same terms (its line on the
period's invoice after discounts, the debits of earlier changes: apps.subscriptions.terms
.items_paid), so a credit never gives back more than was paid and a change undone at once
nets to 0.
"""

from dataclasses import dataclass
from datetime import datetime

from apps.catalog.models import Price
from apps.core.errors import InvalidRequestError, ResourceMissingError
from apps.invoices.discounts import discount_among, discounts_live
from apps.invoices.engine.periods import boundary
from apps.invoices.engine.planner import Line, reset_lines, resets_anchor
from apps.invoices.engine.stages import Choices
from apps.invoices.engine.staging import changes_prorate
from apps.invoices.models import Discount
from apps.invoices.stage_choices import stage_choices
from apps.subscriptions.currency import price_bills_in
from apps.subscriptions.models import Subscription, SubscriptionItem
from apps.subscriptions.planning import PRORATION_BEHAVIORS
from apps.subscriptions.selectors import subscription_items_live
from apps.subscriptions.terms import item_bills, item_terms, items_paid


@dataclass(frozen=True)
class ItemChange:
    item_id: str | None  # None: a new item
    price: Price | None = None
    quantity: int | None = None
    deleted: bool = False
    clear_usage: bool = False
    # A new item's own trial and pay-what-you-want amount.
    trial_end: datetime | None = None
    custom_unit_amount: int | None = None
    # The item's own tax rate ids (checked), None: as they are. A change of rates alone
    # prorates nothing; the invoices to come use them.
    tax_rates: tuple[str, ...] | None = None


@dataclass(frozen=True)
class ChangePlan:
    at: datetime
    # The items that bill before the change and after it (unsaved rows for the changed and the
    # added ones), in id order then the added ones in the request's order.
    before: list[SubscriptionItem]
    after: list[SubscriptionItem]
    # Rows to write: new prices or quantities of existing items, added items, removed items.
    updated: list[SubscriptionItem]
    added: list[SubscriptionItem]
    removed: list[SubscriptionItem]
    interval: tuple[str, int]
    # The proration lines of the change; for an anchor reset, the lines of the invoice made now.
    lines: list[Line]
    # The new period when the change restarts the billing cycle at ``at``, else None.
    reset: tuple[datetime, datetime] | None
    # The records of the billing.prorations runs that made no line (engine.staging.Prorated).
    waived: list[tuple[str, dict]]
    # The customer's live discounts (apps.invoices.discounts.discounts_live), for the discount
    # in force at another moment of the same plan (the preview's next period).
    discounts: list[Discount]


def _interval(price: Price) -> tuple[str, int]:
    return (price.recurring["interval"], price.recurring["interval_count"])


def price_fits(subscription: Subscription, price: Price, param: str) -> None:
    if not price.recurring:
        raise InvalidRequestError("A subscription item needs a recurring price.", param=param)
    if not price_bills_in(
        subscription.account, price, subscription.currency, on=subscription.current_period_start
    ):
        raise InvalidRequestError(
            f"The price has no {subscription.currency.upper()} amount, the subscription's "
            "currency.",
            param=param,
        )


def _changed(
    subscription: Subscription, row: SubscriptionItem, change: ItemChange, param: str
) -> SubscriptionItem:
    """The unsaved row ``change`` makes of an existing item."""
    price = change.price or row.price
    if change.price is not None:
        price_fits(subscription, change.price, f"{param}[price]")
    quantity = change.quantity or (row.quantity if price.id == row.price_id else 1)
    changed = SubscriptionItem(
        id=row.id,
        account=subscription.account,  # the same account, loaded: no query
        subscription=subscription,
        price=price,
        quantity=quantity,
        trial_end=row.trial_end,
        # A pay-what-you-want item's amount: the one chosen now, else the one chosen before
        # (while the price stays the same).
        custom_unit_amount=change.custom_unit_amount
        if change.custom_unit_amount is not None
        else (row.custom_unit_amount if price.id == row.price_id else None),
        paused_at=row.paused_at,
        created_at=row.created_at,
        tax_rates=row.tax_rates if change.tax_rates is None else list(change.tax_rates),
    )
    changed._state.adding = False  # the row exists: saving it updates it
    return changed


def _added(subscription: Subscription, change: ItemChange, param: str) -> SubscriptionItem:
    if change.price is None:
        raise InvalidRequestError("A new item needs a price.", param=f"{param}[price]")
    if change.deleted or change.clear_usage:
        raise InvalidRequestError(
            "deleted and clear_usage need the id of an item.", param=f"{param}[id]"
        )
    price_fits(subscription, change.price, f"{param}[price]")
    return SubscriptionItem(
        account=subscription.account,
        subscription=subscription,
        price=change.price,
        quantity=change.quantity or 1,
        trial_end=change.trial_end,
        custom_unit_amount=change.custom_unit_amount,
        tax_rates=list(change.tax_rates or ()),
    )


def _change_check(period, *, changes: list[ItemChange], at: datetime, proration_behavior: str):
    if proration_behavior not in PRORATION_BEHAVIORS:
        raise InvalidRequestError(
            f"proration_behavior is one of {', '.join(PRORATION_BEHAVIORS)}.",
            param="proration_behavior",
        )
    if changes and not period[0] <= at <= period[1]:
        raise InvalidRequestError(
            "proration_date must lie within the current period.", param="proration_date"
        )


def _changes_planned(subscription: Subscription, rows: dict, changes: list[ItemChange]):
    """The items after ``changes`` (by id), the (before, after) pairs they prorate, and the
    rows updated, added and removed; ``rows``: the items not removed, by id."""
    after = dict(rows)
    pairs: list[tuple[SubscriptionItem | None, SubscriptionItem | None]] = []
    updated, added, removed = [], [], []
    for index, change in enumerate(changes):
        param = f"items[{index}]"
        if change.item_id is None:
            new = _added(subscription, change, param)
            after[new.id] = new
            added.append(new)
            pairs.append((None, new))
            continue
        row = rows.get(change.item_id)
        if row is None:
            raise ResourceMissingError("subscription_item", change.item_id, param=f"{param}[id]")
        if after.get(row.id) is not row:
            raise InvalidRequestError(f"items names {row.id} more than once.", param=f"{param}[id]")
        metered = (row.price.recurring or {}).get("usage_type") == "metered"
        if change.clear_usage and not (change.deleted and metered):
            raise InvalidRequestError(
                "clear_usage goes with deleting a metered item.", param=f"{param}[clear_usage]"
            )
        if change.deleted:
            del after[row.id]
            removed.append(row)
            pairs.append((row, None))
            continue
        new = _changed(subscription, row, change, param)
        after[row.id] = new
        updated.append(new)
        pairs.append((row, new))
    return after, pairs, updated, added, removed


def _interval_of(items) -> tuple[str, int]:
    """The one interval every item bills on (a subscription keeps at least one item)."""
    if not items:
        raise InvalidRequestError(
            "A subscription keeps at least one item: cancel it instead.", param="items"
        )
    intervals = {_interval(row.price) for row in items}
    if len(intervals) > 1:
        raise InvalidRequestError(
            "Every item of a subscription bills on one interval: remove the other items "
            "before moving one to another interval.",
            param="price",
        )
    (interval,) = intervals
    return interval


def _current_items(subscription: Subscription) -> dict[str, SubscriptionItem]:
    """The subscription's items not removed, by id (in id order)."""
    # Sorted here, not by an ORDER BY: a few rows, and building the clause costs more CPU than
    # sorting them (ids are lowercase ASCII of one length: the same order as the database's).
    found = subscription_items_live(subscription_id=subscription.id)
    rows = {row.id: row for row in sorted(found, key=lambda row: row.id)}
    for row in rows.values():
        row.subscription = subscription  # as ``subscription.items`` would set it: no query
        row.price.account = subscription.account  # the same account: no join, no query
    return rows


def _discounts_live(subscription: Subscription, known: list[Discount] | None) -> list[Discount]:
    """The customer's live discounts (``discounts_live``): ``known`` when the caller has them."""
    if known is not None:
        return known
    return discounts_live(customer=subscription.customer, subscription=subscription)


def change_plan(
    *,
    subscription: Subscription,
    changes: list[ItemChange],
    at: datetime,
    proration_behavior: str = "create_prorations",
    choices: Choices | None = None,
    discounts: list[Discount] | None = None,
) -> ChangePlan:
    """Validate ``changes`` (``items[N]`` in order) and plan their items and lines at ``at``,
    prorated as ``choices`` (None: the account's) chooses; ``discounts``: the customer's live
    discounts when the caller knows them (a preview that learnt there are none), else read."""
    period = (subscription.current_period_start, subscription.current_period_end)
    _change_check(period, changes=changes, at=at, proration_behavior=proration_behavior)
    rows = _current_items(subscription)
    after, pairs, updated, added, removed = _changes_planned(subscription, rows, changes)
    interval = _interval_of(after.values())
    discounts = _discounts_live(subscription, discounts)
    discount = discount_among(discounts, subscription, at)

    def terms(row: SubscriptionItem):
        return item_terms(row, currency=subscription.currency, on=at, discount=discount)

    before_rows = [row for row in rows.values() if item_bills(row)]
    after_rows = [row for row in after.values() if item_bills(row)]
    choices = stage_choices(subscription.account) if choices is None else choices
    waived: list[tuple[str, dict]] = []

    def prorated(pairs: list) -> list[Line]:
        result = changes_prorate(
            [
                (None if old is None else terms(old), None if new is None else terms(new))
                for old, new in pairs
            ],
            period=period,
            at=at,
            currency=subscription.currency,
            choices=choices,
            paid=items_paid(subscription, period, [*rows.values(), *after.values()])
            if pairs
            else None,
        )
        waived.extend(result.waived)
        return result.lines

    prorate = proration_behavior != "none"
    reset = None
    if changes and resets_anchor(
        (subscription.interval, subscription.interval_count),
        interval,
        sum(terms(row).period_amount for row in before_rows),
        sum(terms(row).period_amount for row in after_rows),
    ):
        # A new interval (or free to paid) restarts the cycle at the change and bills it now;
        # the old items' unused time is credited through billing.prorations.
        reset = (at, boundary(at, interval[0], interval[1], 1))
        lines = (prorated([(row, None) for row in before_rows]) if prorate else []) + reset_lines(
            [terms(row) for row in before_rows],
            [terms(row) for row in after_rows],
            period=period,
            at=at,
            new_period=reset,
            prorate_old=False,
        )
    else:
        lines = prorated(pairs) if prorate else []
    return ChangePlan(
        at=at,
        before=before_rows,
        after=after_rows,
        updated=updated,
        added=added,
        removed=removed,
        interval=interval,
        lines=lines,
        reset=reset,
        waived=waived,
        discounts=discounts,
    )
