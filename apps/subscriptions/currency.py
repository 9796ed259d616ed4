"""Which currency a new subscription bills in (adaptive pricing, ACCEPTANCE X1).

In order: the currency the request names; else the customer's own (set by their first charge),
or before they have one the currency of their country (their address), when the first price can
bill it; else the first price's currency. A price bills a currency
other than its own through its ``currency_options`` entry, or at the account's FX rate for the
day (``apps.catalog.selectors.price_amount``).
"""

from datetime import datetime

from apps.accounts.models import Account
from apps.catalog.models import Price
from apps.catalog.selectors import fx_rate_on
from apps.core.money import LOCAL_CURRENCIES
from apps.customers.models import Customer
from apps.subscriptions.planning import CreatePlan, ItemRequest, create_plan


def price_bills_in(account: Account, price: Price, currency: str, *, on: datetime) -> bool:
    """Whether ``price`` has an amount in ``currency``: its own, an option, or an FX rate."""
    if price.currency == currency or currency in (price.currency_options or {}):
        return True
    return (
        fx_rate_on(account=account, base=price.currency, quote=currency, on=on.date()) is not None
    )


def subscription_currency(
    *,
    account: Account,
    customer: Customer,
    items: list[ItemRequest],
    requested: str | None,
    on: datetime,
) -> str | None:
    """The currency to bill, or None for the first price's own (see the module's docstring)."""
    if requested or not items:
        return requested
    first_price = items[0].price
    country = ((customer.address or {}).get("country") or "").upper()
    candidate = customer.currency or LOCAL_CURRENCIES.get(country)
    if (
        candidate
        and candidate != first_price.currency
        and price_bills_in(account, first_price, candidate, on=on)
    ):
        return candidate
    return None


def subscription_plan(
    *,
    account: Account,
    customer: Customer,
    items: list[ItemRequest],
    starts_at: datetime,
    currency: str | None,
    trial_end: datetime | None,
    billing_cycle_anchor: datetime | None,
    proration_behavior: str,
) -> CreatePlan:
    """What a new subscription is at ``starts_at`` (``create_plan``), billed in the currency
    ``subscription_currency`` chooses: the creation and its preview plan it the same way."""
    return create_plan(
        items=items,
        starts_at=starts_at,
        currency=subscription_currency(
            account=account, customer=customer, items=items, requested=currency, on=starts_at
        ),
        trial_end=trial_end,
        billing_cycle_anchor=billing_cycle_anchor,
        proration_behavior=proration_behavior,
    )
