"""The line planner (pure): a subscription's desired state and a moment in time → invoice lines.

The same functions serve previews (nothing is written), renewals and prorations; given the same
input they return the same lines. Every line has a stable key ``(item, kind, start, end)`` that
the invoices store under a unique constraint, so one period cannot be billed twice.

Line kinds:
- ``subscription``: an item's whole period, billed in advance (licensed items out of trial);
- ``trial_remainder``: the rest of the previous period after an item's own trial ended in it,
  billed with the next regular invoice;
- ``proration_credit`` / ``proration_debit``: the unused rest of the period on the old terms
  (negative) and the rest on the new terms (positive) after a change at ``at``
  (apps.invoices.engine.proration);
- ``usage``: a metered item's usage over the previous period, billed in arrears (the caller
  prices the usage; metered items are never prorated).
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from fractions import Fraction

from apps.invoices.engine.proration import fraction_remaining, prorate

SUBSCRIPTION = "subscription"
TRIAL_REMAINDER = "trial_remainder"
PRORATION_CREDIT = "proration_credit"
PRORATION_DEBIT = "proration_debit"
USAGE = "usage"


@dataclass(frozen=True)
class ItemTerms:
    """One subscription item as the planner sees it."""

    item_id: str
    price_id: str
    quantity: int
    # What a whole period of this item costs at its quantity, tiers applied (before discounts:
    # the invoice discounts its regular lines).
    period_amount: int
    usage_type: str = "licensed"
    trial_end: datetime | None = None
    description: str = ""
    # The share of ``period_amount`` a proration of this item bills: below 1 when a percent-off
    # discount is in force at the change (Stripe bakes discounts into prorations, which are
    # never discounted on the invoice; apps.invoices.engine.discounts.proration_rate).
    proration_rate: Fraction = Fraction(1)
    # The item's own tax rate ids; its lines carry them. Not part of its terms' value: a change
    # of rates alone prorates nothing.
    tax_rates: tuple[str, ...] = field(default=(), compare=False, hash=False)

    def trialing_at(self, at: datetime) -> bool:
        return self.trial_end is not None and at < self.trial_end


@dataclass(frozen=True)
class ItemCharge:
    """What an item was charged for the rest of its period on some terms (price, quantity):
    its line on the period's invoice, after discounts, or the debit of a change, from
    ``period_start`` to the period's end (``billing.prorations`` caps lines by it)."""

    price_id: str
    quantity: int
    amount: int
    period_start: datetime
    period_end: datetime


@dataclass(frozen=True)
class Line:
    item_id: str
    kind: str
    period_start: datetime
    period_end: datetime
    amount: int
    quantity: int
    price_id: str
    description: str = ""
    # The billing stage run that made or kept the line, as ``(stage id, {"implementation": key,
    # "version": n, "fallback": bool})`` (apps.invoices.engine.staging); not part of its value.
    stage: tuple[str, dict] | None = field(default=None, compare=False, hash=False)
    # The tax rate ids of the line's own item (none: the invoice's defaults apply).
    tax_rates: tuple[str, ...] = field(default=(), compare=False, hash=False)

    @property
    def key(self) -> tuple[str, str, datetime, datetime]:
        return (self.item_id, self.kind, self.period_start, self.period_end)

    @property
    def proration(self) -> bool:
        return self.kind in (PRORATION_CREDIT, PRORATION_DEBIT, TRIAL_REMAINDER)


def cycle_lines(
    items: list[ItemTerms],
    *,
    previous: tuple[datetime, datetime] | None,
    period: tuple[datetime, datetime],
    usage: Mapping[str, int] | None = None,
) -> list[Line]:
    """The lines of the invoice that opens ``period`` (``previous`` is the period it closes)."""
    start, end = period
    lines: list[Line] = []
    for item in items:
        if item.usage_type == "metered":
            if previous is not None and (usage or {}).get(item.item_id):
                lines.append(
                    Line(
                        item.item_id,
                        USAGE,
                        previous[0],
                        previous[1],
                        usage[item.item_id],
                        item.quantity,
                        item.price_id,
                        item.description,
                        tax_rates=item.tax_rates,
                    )
                )
            continue
        if previous is not None and item.trial_end is not None:
            prev_start, prev_end = previous
            if prev_start < item.trial_end < prev_end:
                share = fraction_remaining(prev_start, prev_end, item.trial_end)
                lines.append(
                    Line(
                        item.item_id,
                        TRIAL_REMAINDER,
                        item.trial_end,
                        prev_end,
                        prorate(item.period_amount, share),
                        item.quantity,
                        item.price_id,
                        f"Remaining time on {item.description or item.price_id} after trial",
                        tax_rates=item.tax_rates,
                    )
                )
        if item.trialing_at(start) and item.trial_end >= end:
            continue  # the whole new period is still trial
        if item.trialing_at(start):
            continue  # the trial ends inside the period: its remainder joins the next invoice
        lines.append(
            Line(
                item.item_id,
                SUBSCRIPTION,
                start,
                end,
                item.period_amount,
                item.quantity,
                item.price_id,
                item.description,
                tax_rates=item.tax_rates,
            )
        )
    return lines


def proration_description(terms: ItemTerms, kind: str) -> str:
    name = terms.description or terms.price_id
    return f"Unused time on {name}" if kind == PRORATION_CREDIT else f"Remaining time on {name}"


def change_lines(
    old: ItemTerms | None,
    new: ItemTerms | None,
    *,
    period: tuple[datetime, datetime],
    at: datetime,
    share: Fraction | None = None,
) -> list[Line]:
    """Credit for the unused rest of the old terms and debit for the new, each rounded alone
    (once, after its proration rate), for the unused ``share`` of the period (by default to the
    second, engine.proration.fraction_remaining).

    Nothing when the terms are the same (no change), for metered items, nor for terms in trial
    at ``at`` (nothing was or will be paid for that time)."""
    start, end = period
    by_second = fraction_remaining(start, end, at)  # raises when ``at`` is not in the period
    share = by_second if share is None else share
    if old == new:
        return []
    lines: list[Line] = []
    if old is not None and old.usage_type != "metered" and not old.trialing_at(at):
        lines.append(
            Line(
                old.item_id,
                PRORATION_CREDIT,
                at,
                end,
                -prorate(old.period_amount, share * old.proration_rate),
                old.quantity,
                old.price_id,
                proration_description(old, PRORATION_CREDIT),
                tax_rates=old.tax_rates,
            )
        )
    if new is not None and new.usage_type != "metered" and not new.trialing_at(at):
        lines.append(
            Line(
                new.item_id,
                PRORATION_DEBIT,
                at,
                end,
                prorate(new.period_amount, share * new.proration_rate),
                new.quantity,
                new.price_id,
                proration_description(new, PRORATION_DEBIT),
                tax_rates=new.tax_rates,
            )
        )
    return lines


def resets_anchor(
    old_interval: tuple[str, int], new_interval: tuple[str, int], old_total: int, new_total: int
) -> bool:
    """Stripe restarts the billing cycle (and bills at once) when the interval changes, or when
    a subscription that cost nothing starts to cost something."""
    return old_interval != new_interval or (old_total == 0 and new_total > 0)


def reset_lines(
    old: list[ItemTerms],
    new: list[ItemTerms],
    *,
    period: tuple[datetime, datetime],
    at: datetime,
    new_period: tuple[datetime, datetime],
    prorate_old: bool = True,
) -> list[Line]:
    """The invoice of an anchor reset at ``at``: the unused rest of every old item credited
    (unless not prorating) and every new item's first whole period, billed now."""
    credits = (
        [line for terms in old for line in change_lines(terms, None, period=period, at=at)]
        if prorate_old
        else []
    )
    return credits + cycle_lines(new, previous=None, period=new_period)
