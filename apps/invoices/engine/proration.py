"""Prorations by the second (pure), as Stripe computes them (reference §1.2).

For a change at ``t`` inside a period ``[start, end)`` the unused share of the period is
``f = (end − t) / (end − start)``, exact. Each proration line is rounded on its own, half away
from zero by the one rounding rule (``apps.core.money.round_minor``): a credit
``−round(old × f)`` for the old terms and a debit ``+round(new × f)`` for the new ones, where
``old`` and ``new`` are what a whole period costs (amount × quantity, tiers applied). Rounding
each line separately is Stripe's behaviour; the net may differ by one minor unit from rounding
the difference.
"""

from datetime import datetime
from fractions import Fraction

from apps.core.money import round_minor


class ProrationError(ValueError):
    pass


def fraction_remaining(start: datetime, end: datetime, at: datetime) -> Fraction:
    if not start <= at <= end or start >= end:
        raise ProrationError("The proration time must lie within the period.")
    total = int((end - start).total_seconds())
    remaining = int((end - at).total_seconds())
    return Fraction(remaining, total)


def prorate(amount: int, share: Fraction) -> int:
    """``amount × share`` in minor units, rounded half away from zero."""
    return round_minor(Fraction(amount) * share)
