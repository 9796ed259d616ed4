"""Monthly recurring revenue, as Stripe's billing analytics define it (no ORM).

A subscription counts while it is ``active`` or ``past_due``; trialing items, metered (usage)
prices, taxes and free items add nothing. Each item's amount for one billing interval (price ×
quantity, rounded as an invoice line is) less a ``forever`` coupon's discount (a coupon that
ends does not change MRR) is normalised to one month: a year is 12 months, a week 7/(365/12)
of one, a day 1/(365/12), each divided by ``interval_count``. The shares stay exact fractions
and each currency's sum is rounded once, by ``apps.core.money.round_minor``.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction

from apps.core.money import round_minor

COUNTED_STATUSES = ("active", "past_due")

# How many of each interval make one month (a year has 365 days, a month a twelfth of it).
_PER_MONTH = {
    "month": Fraction(1),
    "year": Fraction(1, 12),
    "week": Fraction(365, 12 * 7),
    "day": Fraction(365, 12),
}


@dataclass(frozen=True)
class RecurringAmount:
    """What one subscription bills per interval in ``currency``, discount already taken."""

    currency: str
    amount: int
    interval: str
    interval_count: int = 1


def monthly_share(amount: int, *, interval: str, interval_count: int = 1) -> Fraction:
    """``amount`` per ``interval_count`` ``interval``s as an exact amount per month."""
    if interval not in _PER_MONTH or interval_count < 1:
        raise ValueError(f"No monthly share of every {interval_count} {interval}.")
    return Fraction(amount) * _PER_MONTH[interval] / interval_count


def mrr_by_currency(amounts: Iterable[RecurringAmount]) -> dict[str, int]:
    """The MRR of each currency in minor units (currencies are never added together)."""
    totals: dict[str, Fraction] = {}
    for row in amounts:
        share = monthly_share(row.amount, interval=row.interval, interval_count=row.interval_count)
        totals[row.currency] = totals.get(row.currency, Fraction(0)) + share
    return {currency: round_minor(total) for currency, total in sorted(totals.items())}
