"""A product created with its first price, made its default price (``default_price_data``)."""

from dataclasses import replace

from django.db import transaction

from apps.accounts.models import Account
from apps.catalog.models import Product
from apps.catalog.services.prices import NewPrice, price_create
from apps.catalog.services.products import (
    NewProduct,
    ProductChanges,
    product_insert,
    product_update,
)
from apps.core.actor import Actor


def product_create(
    *,
    account: Account,
    product: NewProduct,
    default_price: NewPrice | None = None,
    actor: Actor,
) -> Product:
    """A product; with ``default_price`` (its ``product`` left unset), also its first price,
    made its default price."""
    with transaction.atomic():
        row = product_insert(account=account, product=product, actor=actor)
        if default_price is not None:
            price = price_create(
                account=account, price=replace(default_price, product=row.id), actor=actor
            )
            row = product_update(
                account=account,
                product_id=row.id,
                changes=ProductChanges(default_price=price.id),
                actor=actor,
            )
    return row
