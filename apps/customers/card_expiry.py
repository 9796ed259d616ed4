"""When a card expires: a pure core (no ORM, no clock).

A card is good through the last moment of its expiry month (UTC) and expired from the first
instant of the month after. "Expiring" means expiring at the end of the current month: from the
first instant of the expiry month (Stripe's ``customer.source.expiring``).
"""

from datetime import UTC, datetime


def expiry_month_start(exp_month: int, exp_year: int) -> datetime:
    """The first instant of the card's expiry month: from then on the card is expiring."""
    return datetime(exp_year, exp_month, 1, tzinfo=UTC)


def expires_at(exp_month: int, exp_year: int) -> datetime:
    """The first instant the card is expired: the start of the month after its expiry month."""
    if exp_month == 12:
        return datetime(exp_year + 1, 1, 1, tzinfo=UTC)
    return datetime(exp_year, exp_month + 1, 1, tzinfo=UTC)


def is_expired(exp_month: int | None, exp_year: int | None, at: datetime) -> bool:
    """Whether a card with this expiry is expired at ``at`` (no expiry: never)."""
    if not exp_month or not exp_year:
        return False
    return at >= expires_at(exp_month, exp_year)


def expiry_key(exp_month: int, exp_year: int) -> int:
    """One integer per expiry month (``yyyymm``), ordered as the months are."""
    return exp_year * 100 + exp_month


def card_state(exp_month: int | None, exp_year: int | None, *, closed: bool, at: datetime) -> str:
    """How a saved card stands at ``at``: "closed", "expired", "expiring" (this month) or ""."""
    if closed:
        return "closed"
    if not exp_month or not exp_year:
        return ""
    if is_expired(exp_month, exp_year, at):
        return "expired"
    return "expiring" if at >= expiry_month_start(exp_month, exp_year) else ""
