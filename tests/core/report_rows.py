"""Failed first payments for the report tests."""

from apps.invoices.engine.periods import utc
from tests.collections.failures import declining_subscription, renewal_failed


def first_failure(account, at):
    at(utc(2025, 1, 1))
    subscription = declining_subscription(account, email="a@example.com")
    return renewal_failed(subscription, at, utc(2025, 2, 1, 1))
