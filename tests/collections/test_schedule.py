"""The retry schedule's pure core."""

from datetime import UTC, datetime, timedelta

import pytest

from apps.collections.schedule import (
    RetryPolicy,
    is_last_retry,
    next_attempt_at,
    policy_errors,
)

T0 = datetime(2025, 3, 1, tzinfo=UTC)


def test_the_default_spreads_eight_tries_over_two_weeks_front_loaded():
    policy = RetryPolicy()
    gaps = policy.gaps()
    assert len(gaps) == 7  # 8 tries: the first and 7 retries
    assert gaps[0] == timedelta(seconds=24_685)  # 14 d × 1/49, about 6.9 hours
    assert gaps == sorted(gaps)
    # The last retry lands within a minute of the window's end.
    assert timedelta(days=14) - timedelta(minutes=1) < sum(gaps, timedelta()) <= timedelta(days=14)


def test_next_attempt_follows_the_previous_one_until_the_schedule_is_spent():
    policy = RetryPolicy(attempts=3, window_days=7)  # retries 1/4 and 3/4 of the window apart
    first = next_attempt_at(policy, attempt_count=1, last_attempt_at=T0)
    assert first == T0 + timedelta(days=7) / 4
    late = T0 + timedelta(days=3)  # a retry that ran late: the next one counts from it
    assert (
        next_attempt_at(policy, attempt_count=2, last_attempt_at=late)
        == late + timedelta(days=7) * 3 / 4
    )
    assert next_attempt_at(policy, attempt_count=3, last_attempt_at=late) is None
    assert is_last_retry(policy, attempt_count=2)
    assert not is_last_retry(policy, attempt_count=1)


def test_custom_delays_count_days_after_the_previous_attempt():
    policy = RetryPolicy(mode="custom", delays_days=(3, 5, 5))
    assert next_attempt_at(policy, attempt_count=1, last_attempt_at=T0) == T0 + timedelta(days=3)
    assert next_attempt_at(policy, attempt_count=3, last_attempt_at=T0) == T0 + timedelta(days=5)
    assert next_attempt_at(policy, attempt_count=4, last_attempt_at=T0) is None


def test_one_try_means_no_retries():
    assert next_attempt_at(RetryPolicy(attempts=1), attempt_count=1, last_attempt_at=T0) is None


@pytest.mark.parametrize(
    ("mode", "attempts", "window_days", "delays_days", "field"),
    [
        ("smart", 0, 14, [], "retry_attempts"),
        ("smart", 8, 10, [], "retry_window_days"),
        ("custom", 8, 14, [], "retry_delays"),
        ("custom", 8, 14, [3, 0], "retry_delays"),
        ("custom", 8, 14, ["3"], "retry_delays"),
        ("weekly", 8, 14, [], "retry_mode"),
    ],
)
def test_bad_policies_are_refused_by_field(mode, attempts, window_days, delays_days, field):
    errors = policy_errors(
        mode=mode, attempts=attempts, window_days=window_days, delays_days=delays_days
    )
    assert field in errors


def test_good_policies_pass():
    assert policy_errors(mode="smart", attempts=8, window_days=14, delays_days=[]) == {}
    assert policy_errors(mode="custom", attempts=8, window_days=14, delays_days=[3, 5, 5]) == {}
