"""Failed invoices for the dashboard tests: subscriptions whose renewal is declined with a
chosen decline code, in a chosen currency, renewed when the test says."""

from datetime import datetime

from apps.catalog.services import price_create
from apps.core.actor import SYSTEM
from apps.customers.models import Customer, PaymentMethod
from apps.customers.services import customer_create, customer_update
from apps.invoices.models import Invoice
from apps.subscriptions.models import Subscription
from apps.subscriptions.services import ItemRequest, subscription_create, subscription_renew


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
    price = price_create(
        account=account,
        params={
            "product_data": {"name": "Pro"},
            "currency": currency,
            "unit_amount": amount,
            "recurring": {"interval": "month"},
        },
        actor=SYSTEM,
    )
    customer = customer_create(
        account=account, params={"email": email, "name": name, "source": "tok_visa"}, actor=SYSTEM
    )
    subscription = subscription_create(
        account=account, customer=customer, items=[ItemRequest(price)], actor=SYSTEM
    )
    customer_update(
        account=account,
        customer_id=customer.id,
        params={"source": "tok_chargeCustomerFail"},
        actor=SYSTEM,
    )
    card_scenario_set(Customer.objects.get(pk=customer.pk), scenario)
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
