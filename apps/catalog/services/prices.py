"""Price writes. Amounts are fixed at creation (as Stripe); updates touch the rest. What the
API sends as amounts is checked in ``apps.catalog.price_params``."""

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import ProtectedError, Q

from apps.accounts.audit import change_record, previous_of
from apps.accounts.models import Account
from apps.catalog.models import Price, Product
from apps.catalog.render import price_render, product_render
from apps.catalog.services.products import NewProduct, product_insert
from apps.core import clock
from apps.core.actor import Actor
from apps.core.api.params import metadata_merge
from apps.core.errors import InvalidRequestError, ResourceMissingError
from apps.core.locks import rows_lock


@dataclass(frozen=True)
class NewPrice:
    """A price to create, its amounts checked as ``apps.catalog.price_params`` checks them: the
    own currency's ``unit_amount_decimal`` (a decimal string of minor units), ``tiers`` or
    ``custom_unit_amount``; ``currency_options`` other currencies' amounts; ``recurring`` and
    ``transform_quantity`` as stored. Exactly one of ``product`` (an id) and ``product_data``.
    ``transfer_lookup_key`` takes the key from the prices holding it. ``id``: the id a plan is
    created with (``POST /v1/plans``), generated when None."""

    currency: str
    id: str | None = None
    billing_scheme: str = "per_unit"
    tiers_mode: str = ""
    unit_amount_decimal: str | None = None
    tiers: list[dict[str, Any]] | None = None
    custom_unit_amount: dict[str, int | None] | None = None
    tax_behavior: str = "unspecified"
    currency_options: dict[str, Any] = field(default_factory=dict)
    recurring: dict[str, Any] | None = None
    transform_quantity: dict[str, Any] | None = None
    product: str | None = None
    product_data: NewProduct | None = None
    lookup_key: str | None = None
    transfer_lookup_key: bool = False
    active: bool = True
    nickname: str = ""
    metadata: dict[str, str] = field(default_factory=dict)


def price_create(*, account: Account, price: NewPrice, actor: Actor) -> Price:
    if bool(price.product) == bool(price.product_data):
        raise InvalidRequestError(
            "Pass exactly one of product and product_data.",
            param="product",
            code="parameter_missing",
        )
    if price.id is not None and Price.objects.filter(id=price.id).exists():
        # Ids are primary keys across accounts, so a taken id is refused whoever holds it.
        raise InvalidRequestError(
            "Plan already exists.", code="resource_already_exists", param="id"
        )
    with transaction.atomic():
        product = _product(account, price, actor)
        if price.lookup_key and price.transfer_lookup_key:
            _release_lookup_key(account, price.lookup_key, actor)
        exact = Decimal(price.unit_amount_decimal) if price.unit_amount_decimal else None
        row = Price(
            **({"id": price.id} if price.id is not None else {}),
            account=account,
            product=product,
            active=price.active,
            currency=price.currency,
            nickname=price.nickname,
            metadata=price.metadata,
            lookup_key=price.lookup_key,
            type="recurring" if price.recurring else "one_time",
            billing_scheme=price.billing_scheme,
            unit_amount_decimal=exact,
            unit_amount=int(exact) if exact is not None and exact == int(exact) else None,
            tiers=price.tiers,
            tiers_mode=price.tiers_mode,
            transform_quantity=price.transform_quantity,
            recurring=price.recurring,
            custom_unit_amount=price.custom_unit_amount,
            currency_options=price.currency_options,
            tax_behavior=price.tax_behavior,
            created_at=clock.now(),
        )
        try:
            with transaction.atomic():
                row.save(force_insert=True)
        except IntegrityError as exc:
            if price.id is not None and Price.objects.filter(id=price.id).exists():
                raise InvalidRequestError(
                    "Plan already exists.", code="resource_already_exists", param="id"
                ) from exc
            raise InvalidRequestError(
                f"A price with lookup_key {price.lookup_key!r} already exists; pass "
                "transfer_lookup_key=true to move it to this price.",
                param="lookup_key",
            ) from exc
        change_record(
            account=account,
            actor=actor,
            type="price.created",
            object_type="price",
            data_object=price_render(row),
        )
    return row


def _product(account: Account, price: NewPrice, actor: Actor) -> Product:
    if price.product_data is not None:
        return product_insert(account=account, product=price.product_data, actor=actor)
    product = Product.objects.filter(account=account, id=price.product).first()
    if product is None:
        raise ResourceMissingError("product", price.product, param="product")
    return product


def _release_lookup_key(account: Account, lookup_key: str, actor: Actor) -> None:
    (prices,) = rows_lock(Price.objects.filter(account=account, lookup_key=lookup_key))
    field_cleared(account, prices, "lookup_key", render=price_render, actor=actor)


def field_cleared(account: Account, rows: list, field: str, *, render, actor: Actor) -> None:
    """Clear ``field`` on each of the locked catalog ``rows`` (prices, products) and record
    each one's ``<object>.updated`` with what it was."""
    for row in rows:
        row.account = account
        before = render(row)
        setattr(row, field, None)
        row.save(update_fields=[field, "updated_at"])
        after = render(row)
        change_record(
            account=account,
            actor=actor,
            type=f"{after['object']}.updated",
            object_type=after["object"],
            data_object=after,
            previous=previous_of(before, after),
        )


@dataclass(frozen=True)
class PriceChanges:
    """What a price update sets; a field left None keeps its value (a price's amounts never
    change). ``nickname`` and ``lookup_key``: "" for none. ``currency_options``: other
    currencies' amounts as ``apps.catalog.price_params.currency_options_parse`` checks them
    against the price, an entry of None removed. ``transfer_lookup_key`` takes the key from the
    prices holding it."""

    active: bool | None = None
    nickname: str | None = None
    tax_behavior: str | None = None
    metadata: dict[str, str] | None = None
    currency_options: dict[str, dict[str, Any] | None] | None = None
    lookup_key: str | None = None
    transfer_lookup_key: bool = False


def _locked_for_update(account: Account, price_id: str, changes: PriceChanges) -> Price:
    """The price, locked; with a ``lookup_key`` to move to it, the prices holding that key are
    locked with it (one lock, in primary-key order)."""
    rows = Price.objects.filter(account=account)
    if changes.lookup_key and changes.transfer_lookup_key:
        rows = rows.filter(Q(id=price_id) | Q(lookup_key=changes.lookup_key))
    else:
        rows = rows.filter(id=price_id)
    (locked,) = rows_lock(rows)
    price = next((row for row in locked if row.id == price_id), None)
    if price is None:
        raise ResourceMissingError("price", price_id)
    price.account = account
    return price


def price_update(*, account: Account, price_id: str, changes: PriceChanges, actor: Actor) -> Price:
    with transaction.atomic():
        price = _locked_for_update(account, price_id, changes)
        before = price_render(price)
        if changes.active is not None:
            price.active = changes.active
        if changes.nickname is not None:
            price.nickname = changes.nickname
        if changes.tax_behavior is not None:
            behavior = changes.tax_behavior
            if price.tax_behavior != "unspecified" and behavior != price.tax_behavior:
                raise InvalidRequestError(
                    "tax_behavior can only be set once, from unspecified.", param="tax_behavior"
                )
            price.tax_behavior = behavior
        price.metadata = metadata_merge(price.metadata, changes.metadata)
        if changes.currency_options is not None:
            # Amounts of the price's own currency never change; other currencies may be added,
            # replaced or removed, as Stripe allows.
            options = dict(price.currency_options)
            for code, option in changes.currency_options.items():
                if option is None:
                    options.pop(code, None)
                else:
                    options[code] = option
            price.currency_options = options
        if changes.lookup_key is not None:
            lookup_key = changes.lookup_key or None
            if lookup_key and changes.transfer_lookup_key:
                _release_lookup_key(account, lookup_key, actor)
            price.lookup_key = lookup_key
        try:
            with transaction.atomic():
                price.save()
        except IntegrityError as exc:
            raise InvalidRequestError(
                "Another active price has this lookup_key; pass transfer_lookup_key=true.",
                param="lookup_key",
            ) from exc
        after = price_render(price)
        previous = previous_of(before, after)
        if previous:
            change_record(
                account=account,
                actor=actor,
                type="price.updated",
                object_type="price",
                data_object=after,
                previous=previous,
            )
    return price


def price_delete(*, account: Account, price_id: str, actor: Actor) -> str:
    """Only a price nothing bills (no subscription item) can be deleted; others are archived
    (active=false). A product whose default price it was is left without one."""
    with transaction.atomic():
        # The products first, then the price: the global lock order.
        products, prices = rows_lock(
            Product.objects.filter(account=account, default_price_id=price_id),
            Price.objects.filter(account=account, id=price_id),
        )
        if not prices:
            raise ResourceMissingError("price", price_id)
        price = prices[0]
        price.account = account
        data = price_render(price)
        for product in products:
            product.account = account
            before = product_render(product)
            product.default_price_id = None
            product.save(update_fields=["default_price", "updated_at"])
            change_record(
                account=account,
                actor=actor,
                type="product.updated",
                object_type="product",
                data_object=product_render(product),
                previous=previous_of(before, product_render(product)),
            )
        try:
            with transaction.atomic():
                price.delete()
        except ProtectedError as exc:
            raise InvalidRequestError(
                "This price is in use by subscriptions: archive it (active=false) instead.",
                param="id",
            ) from exc
        change_record(
            account=account,
            actor=actor,
            type="price.deleted",
            object_type="price",
            data_object={**data, "deleted": True},
        )
    return price_id
