"""A product created with its first price, made its default price (``default_price_data``)."""

from typing import Any

from django.db import transaction

from apps.accounts.models import Account
from apps.catalog.models import Product
from apps.catalog.services.prices import price_create
from apps.catalog.services.products import (
    ProductChanges,
    product_fields,
    product_insert,
    product_update,
)
from apps.core.actor import Actor
from apps.core.api.params import within
from apps.core.errors import InvalidRequestError

# What Stripe's product create takes in default_price_data.
DEFAULT_PRICE_DATA = {
    "currency",
    "currency_options",
    "custom_unit_amount",
    "metadata",
    "recurring",
    "tax_behavior",
    "unit_amount",
    "unit_amount_decimal",
}


def product_create(*, account: Account, params: dict[str, Any], actor: Actor) -> Product:
    """A product; with ``default_price_data``, also its first price, made its default price."""
    product_fields(params, creating=True)
    price_data = params.get("default_price_data")
    if price_data not in (None, "") and not isinstance(price_data, dict):
        raise InvalidRequestError("Invalid hash: default_price_data", param="default_price_data")
    with transaction.atomic():
        product = product_insert(account=account, params=params, actor=actor)
        if price_data:
            unknown = set(price_data) - DEFAULT_PRICE_DATA
            if unknown:
                name = sorted(unknown)[0]
                raise InvalidRequestError(
                    f"Received unknown parameter: default_price_data[{name}]",
                    param=f"default_price_data[{name}]",
                )
            with within("default_price_data"):
                price = price_create(
                    account=account, params={**price_data, "product": product.id}, actor=actor
                )
            product = product_update(
                account=account,
                product_id=product.id,
                changes=ProductChanges(default_price=price.id),
                actor=actor,
            )
    return product
