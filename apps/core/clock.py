"""The one source of "now" for domain code.

Everything that depends on the current time asks ``now()``. Passing ``test_clock_id`` (or an
object that carries one) answers that test clock's frozen time instead, so a sandbox customer's
renewals and retries run on simulated time.
"""

from collections.abc import Callable
from datetime import UTC, datetime

# The epoch seconds a timestamp parameter may take: from 1970 to 2100, far enough for any
# billing date and far enough from datetime's year 9999 that period arithmetic never reaches it.
EPOCH_MIN = 0
EPOCH_MAX = 4_102_444_800  # 2100-01-01T00:00:00Z

# Test clocks register a resolver here (apps.accounts): test_clock_id -> frozen time.
_clock_resolvers: list[Callable[[str], datetime | None]] = []


def register_clock_resolver(resolver: Callable[[str], datetime | None]) -> None:
    if resolver not in _clock_resolvers:
        _clock_resolvers.append(resolver)


def now(*, test_clock_id: str | None = None) -> datetime:
    if test_clock_id:
        for resolver in _clock_resolvers:
            frozen = resolver(test_clock_id)
            if frozen is not None:
                return frozen
    return datetime.now(tz=UTC)


def test_clock_exists(test_clock_id: str) -> bool:
    return any(resolver(test_clock_id) is not None for resolver in _clock_resolvers)


def to_epoch(moment: datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp())


def from_epoch(seconds: int) -> datetime:
    return datetime.fromtimestamp(int(seconds), tz=UTC)
