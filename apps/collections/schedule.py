"""When a failed invoice payment is tried again: a pure core (no ORM, no clock).

Smart mode spreads ``attempts`` tries (the first included) over a window, front-loaded: retry k
of n comes ``window × (2k − 1) / n²`` after the previous attempt, so the retries land at
``window × k² / n²`` after the first and the last one at the window's end. The default, 8 tries
within 2 weeks, retries after about 6.9 h, 20.6 h, 34.3 h, 48 h, 61.7 h, 75.4 h and 89.1 h.
Custom mode is a list of delays in days, each after the previous attempt (Stripe's custom retry
schedule). Source: ../shared/reference/stripe-semantics.md §5.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

DEFAULT_ATTEMPTS = 8
DEFAULT_WINDOW_DAYS = 14
# Smart retries' windows as Stripe offers them: 1, 2, 3 weeks, 1 and 2 months.
WINDOW_DAYS = (7, 14, 21, 30, 60)
MAX_ATTEMPTS = 12
MAX_CUSTOM_RETRIES = 8
MAX_CUSTOM_DELAY_DAYS = 60
# A subscription's first invoice left unpaid this long ends it (incomplete → incomplete_expired).
INCOMPLETE_EXPIRES_AFTER = timedelta(hours=23)

# Declines a retry with the same card cannot fix: retries keep their schedule (and count) but
# charge only once the customer has a new payment method.
HARD_DECLINES = frozenset(
    {
        "card_not_supported",
        "currency_not_supported",
        "do_not_try_again",
        "expired_card",
        "fraudulent",
        "incorrect_number",
        "invalid_account",
        "lost_card",
        "new_account_information_available",
        "pickup_card",
        "restricted_card",
        "stolen_card",
    }
)


@dataclass(frozen=True)
class RetryPolicy:
    mode: str = "smart"  # smart | custom
    attempts: int = DEFAULT_ATTEMPTS
    window_days: int = DEFAULT_WINDOW_DAYS
    delays_days: tuple[int, ...] = ()

    def gaps(self) -> list[timedelta]:
        """The wait before each retry, after the attempt before it."""
        if self.mode == "custom":
            return [timedelta(days=days) for days in self.delays_days]
        retries = self.attempts - 1
        if retries <= 0:
            return []
        window = self.window_days * 86_400
        return [
            timedelta(seconds=window * (2 * k - 1) // (retries * retries))
            for k in range(1, retries + 1)
        ]

    @property
    def retries(self) -> int:
        return len(self.gaps())


def policy_of_plan(plan: dict) -> RetryPolicy:
    """The policy of a retry plan as the ``payments.collection`` stage gives it
    (``{"mode", "attempts", "window_days", "delays_days"}``)."""
    return RetryPolicy(
        mode=plan["mode"],
        attempts=plan["attempts"],
        window_days=plan["window_days"],
        delays_days=tuple(plan["delays_days"]),
    )


def next_attempt_at(policy: RetryPolicy, *, attempt_count: int, last_attempt_at: datetime):
    """When to try again after ``attempt_count`` counted attempts, the last at
    ``last_attempt_at``; None when the schedule is spent."""
    gaps = policy.gaps()
    done = attempt_count - 1  # retries already made
    if attempt_count < 1 or done >= len(gaps):
        return None
    return last_attempt_at + gaps[done]


def is_last_retry(policy: RetryPolicy, *, attempt_count: int) -> bool:
    """Whether the next scheduled attempt (after ``attempt_count``) is the schedule's last."""
    return attempt_count >= 1 and attempt_count == policy.retries


def policy_errors(
    *, mode: str, attempts: int, window_days: int, delays_days: list
) -> dict[str, str]:
    """What is wrong with a retry policy as staff or the API wrote it, by field."""
    errors = {}
    if mode not in ("smart", "custom"):
        errors["retry_mode"] = "Choose smart or custom."
    elif mode == "smart":
        if not 1 <= attempts <= MAX_ATTEMPTS:
            errors["retry_attempts"] = f"Between 1 and {MAX_ATTEMPTS} tries."
        if window_days not in WINDOW_DAYS:
            errors["retry_window_days"] = "One of 7, 14, 21, 30 or 60 days."
    else:
        if not delays_days or len(delays_days) > MAX_CUSTOM_RETRIES:
            errors["retry_delays"] = f"Between 1 and {MAX_CUSTOM_RETRIES} retries."
        elif any(
            not isinstance(days, int)
            or isinstance(days, bool)
            or not 1 <= days <= MAX_CUSTOM_DELAY_DAYS
            for days in delays_days
        ):
            errors["retry_delays"] = f"Each retry 1 to {MAX_CUSTOM_DELAY_DAYS} days after the last."
    return errors
