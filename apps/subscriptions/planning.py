"""A new subscription planned before anything is written (issue #4).

``subscription_create`` writes what ``create_plan`` decides and bills ``first_lines``; the
preview of a new subscription (apps.subscriptions.preview) shows the same two, so what staff or
an API client read before creating is what the creation bills. No ORM here: prices come in with
the request, amounts as the planner's ``ItemTerms``.

Stripe's meanings on create:
- ``trial_end`` (or ``trial_period_days``) of the subscription: every item trials to then, the
  billing cycle anchor becomes the trial end and nothing is billed before it;
- a future ``billing_cycle_anchor``: the first period runs from the start to the anchor and is
  billed at once, prorated by the second against the whole period that ends at the anchor,
  unless ``proration_behavior=none`` (then the time up to the anchor is free);
- items' own trials (Ledgerline's): the anchor stays at the start; an item bills from its trial
  end, its rest of that period joining the next regular invoice (apps.invoices.engine.planner).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from apps.catalog.models import Price
from apps.core.errors import InvalidRequestError
from apps.invoices.engine.periods import boundary, period_containing
from apps.invoices.engine.planner import ItemTerms, Line, cycle_lines
from apps.invoices.engine.stages import Choices
from apps.invoices.engine.staging import changes_lines, recurring_lines
from apps.subscriptions.enums import SubscriptionStatus

PRORATION_BEHAVIORS = ("create_prorations", "always_invoice", "none")
MAX_ITEMS = 20
# How long a pinned start (a dashboard page's "now") stays good: an older page is refused.
STARTS_AT_WINDOW = timedelta(hours=1)


def starts_at_check(starts_at: datetime | None, *, now: datetime) -> datetime:
    """The start of a new subscription: now, or a moment of the last hour (a pinned preview)."""
    starts_at = starts_at or now
    if not now - STARTS_AT_WINDOW <= starts_at <= now:
        raise InvalidRequestError(
            "The start must lie within the last hour: preview again.", param="starts_at"
        )
    return starts_at


@dataclass(frozen=True)
class ItemRequest:
    price: Price
    quantity: int = 1
    trial_end: datetime | None = None
    custom_unit_amount: int | None = None
    # The item's own tax rate ids (checked: the account's, active).
    tax_rates: tuple[str, ...] = ()


@dataclass(frozen=True)
class CreatePlan:
    """What a new subscription is at its start."""

    starts_at: datetime
    currency: str
    interval: str
    interval_count: int
    anchor: datetime
    # The first period: a whole one, the stub up to a future anchor, or the trial.
    period: tuple[datetime, datetime]
    # Each requested item's trial end, in the request's order.
    item_trial_ends: tuple[datetime | None, ...]
    # The subscription's trial_start / trial_end (set when every item starts in a trial).
    trial: tuple[datetime, datetime] | None
    status: str
    # The first period is the stub before a future anchor, billed prorated unless ``prorate``
    # is off.
    stub: bool = False
    prorate: bool = True


def _items_check(items: list[ItemRequest], starts_at: datetime, currency: str | None) -> Price:
    """The items of a creation request, checked: recurring prices of one interval, billable in
    one currency (``currency`` when given, which a price without an option for it bills at the
    FX table's rate; else the first price's, which each price must have or offer as an option),
    trials in the future. Answers the first item's price (the others bill as it does)."""
    if not items:
        raise InvalidRequestError(
            "Missing required param: items.", param="items", code="parameter_missing"
        )
    if len(items) > MAX_ITEMS:
        raise InvalidRequestError(f"A subscription has at most {MAX_ITEMS} items.", param="items")
    first = items[0].price
    for index, item in enumerate(items):
        recurring = item.price.recurring
        if recurring is None:
            raise InvalidRequestError(
                "A subscription item needs a recurring price.", param=f"items[{index}][price]"
            )
        if (recurring["interval"], recurring["interval_count"]) != (
            first.recurring["interval"],
            first.recurring["interval_count"],
        ) or (currency is None and not _offers(item.price, first.currency)):
            raise InvalidRequestError(
                "All items of a subscription share one currency and billing interval.",
                param=f"items[{index}][price]",
            )
        if item.trial_end is not None and item.trial_end <= starts_at:
            raise InvalidRequestError(
                "trial_end must be in the future.", param=f"items[{index}][trial_end]"
            )
    return first


def _offers(price: Price, currency: str) -> bool:
    return price.currency == currency or currency in (price.currency_options or {})


def create_plan(
    *,
    items: list[ItemRequest],
    starts_at: datetime,
    currency: str | None = None,
    trial_end: datetime | None = None,
    billing_cycle_anchor: datetime | None = None,
    proration_behavior: str = "create_prorations",
) -> CreatePlan:
    """Validate a creation request and settle its anchor, first period, trials and status."""
    if proration_behavior not in PRORATION_BEHAVIORS:
        raise InvalidRequestError(
            f"proration_behavior is one of {', '.join(PRORATION_BEHAVIORS)}.",
            param="proration_behavior",
        )
    first = _items_check(items, starts_at, currency)
    interval, count = first.recurring["interval"], first.recurring["interval_count"]
    whole = (starts_at, boundary(starts_at, interval, count, 1))
    trial_ends = tuple(item.trial_end for item in items)
    anchor, period, stub = starts_at, whole, False
    if trial_end is not None:
        if trial_end <= starts_at:
            raise InvalidRequestError("trial_end must be in the future.", param="trial_end")
        if any(trial_ends):
            raise InvalidRequestError(
                "Give the trial to the subscription or to its items, not both.",
                param="trial_end",
            )
        if billing_cycle_anchor is not None:
            raise InvalidRequestError(
                "With trial_end the billing cycle anchor is the trial end: pass one of them.",
                param="billing_cycle_anchor",
            )
        trial_ends = (trial_end,) * len(items)
        anchor, period = trial_end, (starts_at, trial_end)
    elif billing_cycle_anchor is not None and billing_cycle_anchor != starts_at:
        if billing_cycle_anchor < starts_at:
            raise InvalidRequestError(
                "billing_cycle_anchor must be in the future.", param="billing_cycle_anchor"
            )
        if billing_cycle_anchor > whole[1]:
            raise InvalidRequestError(
                "billing_cycle_anchor must fall within the first whole period "
                f"(by {whole[1].isoformat()}).",
                param="billing_cycle_anchor",
            )
        for index, end in enumerate(trial_ends):
            # The rest of a period after an item's trial is priced on whole periods; a trial
            # ending inside the stub would be priced on the stub.
            if end is not None and end < billing_cycle_anchor:
                raise InvalidRequestError(
                    "An item's trial cannot end before a future billing_cycle_anchor.",
                    param=f"items[{index}][trial_end]",
                )
        anchor, period, stub = billing_cycle_anchor, (starts_at, billing_cycle_anchor), True
    all_trial = all(end is not None and end > starts_at for end in trial_ends)
    return CreatePlan(
        starts_at=starts_at,
        currency=currency or first.currency,
        interval=interval,
        interval_count=count,
        anchor=anchor,
        period=period,
        item_trial_ends=trial_ends,
        trial=(starts_at, max(trial_ends)) if all_trial else None,
        status=SubscriptionStatus.TRIALING if all_trial else SubscriptionStatus.ACTIVE,
        stub=stub,
        prorate=proration_behavior != "none",
    )


def first_lines(plan: CreatePlan, terms: list[ItemTerms], *, choices: Choices) -> list[Line]:
    """The lines of the invoice the creation makes (``terms`` priced at the start); a stub
    period before the anchor is prorated through ``billing.prorations``."""
    if not plan.stub:
        return cycle_lines(terms, previous=None, period=plan.period)
    if not plan.prorate:
        return []
    start = min(plan.starts_at, boundary(plan.anchor, plan.interval, plan.interval_count, -1))
    return changes_lines(
        [(None, item) for item in terms],
        period=(start, plan.anchor),
        at=plan.starts_at,
        currency=plan.currency,
        choices=choices,
    )


def next_period(plan: CreatePlan) -> tuple[datetime, datetime]:
    """The period the first renewal opens (at the end of the first period)."""
    return period_containing(plan.anchor, plan.interval, plan.interval_count, plan.period[1])


def next_lines(plan: CreatePlan, terms: list[ItemTerms], *, choices: Choices) -> list[Line]:
    """The first renewal's lines (``terms`` priced at its start), as subscription_renew plans
    them (through ``billing.recurring_billing_item_handling``)."""
    period = next_period(plan)
    return recurring_lines(
        cycle_lines(terms, previous=plan.period, period=period),
        period=period,
        currency=plan.currency,
        choices=choices,
    )
