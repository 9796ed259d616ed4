"""When a failed delivery is tried again (pure).

Retries back off from a minute to half a day and stop once the next try would fall more than
``RETRY_WINDOW`` after the event: about eleven attempts over three days.
"""

from datetime import datetime, timedelta

RETRY_WINDOW = timedelta(days=3)
# Wait after the n-th failed attempt (the last entry repeats).
BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
    timedelta(hours=12),
)


def retry_delay(attempt_number: int) -> timedelta:
    """The wait after failed attempt ``attempt_number`` (1-based)."""
    if attempt_number < 1:
        raise ValueError("attempt numbers start at 1")
    return BACKOFF[min(attempt_number, len(BACKOFF)) - 1]


def next_attempt_at(
    *, attempt_number: int, failed_at: datetime, started_at: datetime
) -> datetime | None:
    """When to try again after failed attempt ``attempt_number``; None once past the window
    that opened at ``started_at`` (the event's time)."""
    candidate = failed_at + retry_delay(attempt_number)
    if candidate > started_at + RETRY_WINDOW:
        return None
    return candidate
