"""The retry schedule (pure)."""

from datetime import UTC, datetime, timedelta

import pytest

from apps.webhooks.schedule import RETRY_WINDOW, next_attempt_at, retry_delay

T0 = datetime(2030, 1, 1, tzinfo=UTC)


def test_delays_back_off_then_repeat_the_last():
    delays = [retry_delay(n) for n in range(1, 11)]
    assert delays == [
        timedelta(minutes=1),
        timedelta(minutes=5),
        timedelta(minutes=30),
        timedelta(hours=2),
        timedelta(hours=5),
        timedelta(hours=10),
        timedelta(hours=10),
        timedelta(hours=12),
        timedelta(hours=12),
        timedelta(hours=12),
    ]


def test_attempt_numbers_start_at_one():
    with pytest.raises(ValueError, match="start at 1"):
        retry_delay(0)


def test_next_attempt_inside_the_window():
    failed = T0 + timedelta(minutes=1)
    assert next_attempt_at(attempt_number=2, failed_at=failed, started_at=T0) == failed + timedelta(
        minutes=5
    )


def test_no_next_attempt_past_three_days():
    assert RETRY_WINDOW == timedelta(days=3)
    failed = T0 + timedelta(hours=63)
    # 63 h + 12 h = 75 h > 72 h: give up.
    assert next_attempt_at(attempt_number=11, failed_at=failed, started_at=T0) is None
    # Exactly at the window's end is still allowed.
    at_end = T0 + RETRY_WINDOW - timedelta(hours=12)
    assert next_attempt_at(attempt_number=9, failed_at=at_end, started_at=T0) == T0 + RETRY_WINDOW


def test_full_schedule_is_eleven_attempts_over_three_days():
    attempts = [T0]
    while True:
        following = next_attempt_at(
            attempt_number=len(attempts), failed_at=attempts[-1], started_at=T0
        )
        if following is None:
            break
        attempts.append(following)
    assert len(attempts) == 11
    assert attempts[-1] - T0 == timedelta(hours=63, minutes=36)
