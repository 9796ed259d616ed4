"""Billing periods (pure). Times are aware UTC datetimes; intervals as Stripe's.

Monthly and yearly periods count from the **anchor**, not from the previous period: the n-th
boundary is the anchor plus n × interval, its day clamped to the month's last day. So an anchor
on Jan 31 gives Feb 28 (29 in leap years), then Mar 31, Apr 30 — the anchor day comes back as
soon as the month has it. Days and weeks are exact multiples of 24 h / 7 × 24 h.
"""

import calendar
from datetime import UTC, datetime, timedelta

INTERVALS = ("day", "week", "month", "year")


class PeriodError(ValueError):
    pass


def _months(anchor: datetime, months: int) -> datetime:
    total = anchor.year * 12 + (anchor.month - 1) + months
    year, month = divmod(total, 12)
    month += 1
    day = min(anchor.day, calendar.monthrange(year, month)[1])
    return anchor.replace(year=year, month=month, day=day)


def boundary(anchor: datetime, interval: str, count: int, n: int) -> datetime:
    """The n-th period boundary after ``anchor`` (n may be negative; 0 is the anchor)."""
    if anchor.tzinfo is None:
        raise PeriodError("Billing times are aware UTC datetimes.")
    if interval not in INTERVALS or count < 1:
        raise PeriodError(f"Unknown interval {interval!r} × {count}.")
    steps = n * count
    if interval == "day":
        return anchor + timedelta(days=steps)
    if interval == "week":
        return anchor + timedelta(weeks=steps)
    return _months(anchor, steps * (12 if interval == "year" else 1))


def period_containing(
    anchor: datetime, interval: str, count: int, at: datetime
) -> tuple[datetime, datetime]:
    """The period ``[start, end)`` that contains ``at`` on the anchor's grid."""
    if interval in ("day", "week"):
        length = timedelta(days=count * (7 if interval == "week" else 1))
        n = (at - anchor) // length
    else:
        months = (at.year - anchor.year) * 12 + (at.month - anchor.month)
        n = months // (count * (12 if interval == "year" else 1))
        # Clamping can put the boundary before or after ``at`` in its month: settle on the grid.
        while boundary(anchor, interval, count, n) > at:
            n -= 1
        while boundary(anchor, interval, count, n + 1) <= at:
            n += 1
    return boundary(anchor, interval, count, n), boundary(anchor, interval, count, n + 1)


def utc(year: int, month: int, day: int, *rest: int) -> datetime:
    """A UTC datetime (for callers and tests)."""
    return datetime(year, month, day, *rest, tzinfo=UTC)
