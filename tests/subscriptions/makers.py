"""Subscription and test-clock objects of one account for the tenant-isolation test."""

from apps.accounts.models import Account
from apps.core.actor import SYSTEM
from tests.factories import SubscriptionFactory


def _clock(account: Account) -> str:
    from apps.invoices.engine.periods import utc
    from apps.subscriptions.services.test_clocks import test_clock_create

    return test_clock_create(account=account, frozen_time=utc(2025, 1, 1), name="", actor=SYSTEM).id


def _discounted(account: Account) -> str:
    from apps.catalog.services import coupon_create
    from apps.invoices.discounts import discount_apply

    subscription = SubscriptionFactory(account=account)
    coupon_create(account=account, params={"id": "TENOFF", "percent_off": "10"}, actor=SYSTEM)
    discount_apply(
        account=account,
        customer=subscription.customer,
        subscription=subscription,
        coupon_id="TENOFF",
        actor=SYSTEM,
    )
    return subscription.id


MAKERS = {
    "subscription-discount": _discounted,
    "subscription-item-detail": lambda a: SubscriptionFactory(account=a).items.get().id,
    "test-clock-detail": _clock,
    "test-clock-advance": _clock,
    "subscription-detail": lambda a: SubscriptionFactory(account=a).id,
    "subscription-resume": lambda a: SubscriptionFactory(account=a).id,
}
