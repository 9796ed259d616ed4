"""Subscription and test-clock objects of one account for the tenant-isolation test."""

from apps.accounts.models import Account
from apps.catalog.services import price_create
from apps.core.actor import SYSTEM
from apps.customers.services import customer_create
from apps.subscriptions.services import ItemRequest, subscription_create


def make_subscription(account: Account, source: str = "tok_visa"):
    price = price_create(
        account=account,
        params={
            "product_data": {"name": "Basic"},
            "currency": "usd",
            "unit_amount": 2500,
            "recurring": {"interval": "month"},
        },
        actor=SYSTEM,
    )
    customer = customer_create(
        account=account, params={"email": "sub@example.com", "source": source}, actor=SYSTEM
    )
    return subscription_create(
        account=account, customer=customer, items=[ItemRequest(price)], actor=SYSTEM
    )


def _clock(account: Account) -> str:
    from apps.invoices.engine.periods import utc
    from apps.subscriptions.test_clocks import test_clock_create

    return test_clock_create(account=account, frozen_time=utc(2025, 1, 1), name="", actor=SYSTEM).id


def _discounted(account: Account) -> str:
    from apps.catalog.services import coupon_create
    from apps.invoices.discounts import discount_apply

    subscription = make_subscription(account)
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
    "subscription-item-detail": lambda a: make_subscription(a).items.get().id,
    "test-clock-detail": _clock,
    "test-clock-advance": _clock,
    "subscription-detail": lambda a: make_subscription(a).id,
    "subscription-resume": lambda a: make_subscription(a).id,
}
