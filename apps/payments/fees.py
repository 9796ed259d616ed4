"""Processing fees and availability: pure arithmetic over integers of minor units."""

from datetime import datetime, timedelta
from decimal import Decimal

from apps.core.money import round_minor


def processing_fee(amount: int, *, percent: Decimal, fixed: int) -> int:
    """``round(amount × percent / 100) + fixed``, halves away from zero (2.9 % + 30 by default)."""
    return round_minor(Decimal(amount) * percent / 100) + fixed


def available_on(created: datetime, *, days: int) -> datetime:
    return created + timedelta(days=days)
