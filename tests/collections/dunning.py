"""Shared setup of the dunning tests: a subscription whose renewal fails on a card that
attaches but declines (test scenario charge_customer_fail), on a clock the test moves."""

from apps.collections.models import CollectionSettings
from apps.core.actor import SYSTEM
from apps.customers.api.params import customer_update_parse
from apps.customers.models import PaymentMethod
from apps.customers.services import customer_update
from apps.invoices.engine.periods import utc
from apps.invoices.models import Invoice
from apps.subscriptions.services import subscription_renew
from tests.factories import PriceFactory, SubscriptionFactory

START = utc(2025, 1, 1)
# The first renewal: its period boundary, plus the draft's hour.
RENEWED_AT = utc(2025, 2, 1, 1)


def subscribe(account, *, email: str = "pat@example.com", amount: int = 2500):
    return SubscriptionFactory(
        account=account,
        price=PriceFactory(account=account, unit_amount=amount, name="Pro"),
        email=email,
    )


def failing_renewal(account, at, *, email: str = "pat@example.com", **settings) -> Invoice:
    """A subscription paid on creation whose first renewal is declined (the customer's card
    replaced by one that declines every charge): answers the renewal's open invoice."""
    if settings:
        CollectionSettings.objects.update_or_create(account=account, defaults=settings)
    subscription = subscribe(account, email=email)
    customer_update(
        account=account,
        customer_id=subscription.customer_id,
        **customer_update_parse({"source": "tok_chargeCustomerFail"}),
        actor=SYSTEM,
    )
    at(RENEWED_AT)
    subscription_renew(subscription_id=subscription.id)
    return Invoice.objects.select_related("customer", "subscription").get(
        subscription=subscription, billing_reason="subscription_cycle"
    )


def card_fixed(invoice: Invoice) -> None:
    """The declining card starts working (as if the bank lifted its block): a test shortcut
    that changes no default, so no payment-method event follows."""
    PaymentMethod.objects.filter(pk=invoice.customer.default_source_id).update(
        test_scenario="succeed"
    )
