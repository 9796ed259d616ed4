"""Failed invoices for the dashboard tests: subscriptions whose renewal is declined with a
chosen decline code, in a chosen currency, renewed when the test says."""

from datetime import datetime

from apps.core.actor import SYSTEM
from apps.customers.api.params import customer_update_parse
from apps.customers.models import Customer, PaymentMethod
from apps.customers.services import customer_update
from apps.invoices.models import Invoice
from apps.subscriptions.models import Subscription
from apps.subscriptions.services import subscription_renew
from tests.factories import CustomerFactory, PriceFactory, SubscriptionFactory


def declining_subscription(
    account,
    *,
    email: str,
    amount: int = 2500,
    currency: str = "usd",
    scenario: str = "charge_customer_fail",
    name: str = "",
) -> Subscription:
    """A monthly subscription, paid on creation (now, by the clock), whose customer's card is
    then replaced by one declining every charge with ``scenario``'s decline code."""
    subscription = SubscriptionFactory(
        account=account,
        price=PriceFactory(account=account, unit_amount=amount, currency=currency, name="Pro"),
        customer=CustomerFactory(account=account, email=email, name=name, source="tok_visa"),
    )
    customer_update(
        account=account,
        customer_id=subscription.customer_id,
        **customer_update_parse({"source": "tok_chargeCustomerFail"}),
        actor=SYSTEM,
    )
    card_scenario_set(Customer.objects.get(pk=subscription.customer_id), scenario)
    return subscription


def card_scenario_set(customer: Customer, scenario: str) -> None:
    """What the customer's default card does from now on (a test shortcut: no event follows)."""
    PaymentMethod.objects.filter(pk=customer.default_source_id).update(test_scenario=scenario)


def renewal_failed(subscription: Subscription, at, moment: datetime) -> Invoice:
    """Renew ``subscription`` at ``moment`` (its period end plus the draft's hour): its declined
    renewal invoice."""
    at(moment)
    subscription_renew(subscription_id=subscription.id)
    return Invoice.objects.select_related("customer").get(
        subscription=subscription, billing_reason="subscription_cycle"
    )
