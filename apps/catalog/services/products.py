"""Product writes."""

from dataclasses import dataclass

from django.db import transaction

from apps.accounts.audit import change_record, previous_of
from apps.accounts.models import Account
from apps.catalog.models import Product
from apps.catalog.render import product_render
from apps.core import clock
from apps.core.actor import Actor
from apps.core.api.params import metadata_merge
from apps.core.errors import InvalidRequestError, ResourceMissingError
from apps.core.locks import row_lock


@dataclass(frozen=True)
class NewProduct:
    """A product to create; a field left None takes the column's default (``id``: generated)."""

    name: str
    id: str | None = None
    type: str | None = None
    description: str | None = None
    unit_label: str | None = None
    statement_descriptor: str | None = None
    tax_code: str | None = None
    url: str | None = None
    active: bool | None = None
    shippable: bool | None = None
    images: list[str] | None = None
    marketing_features: list[dict[str, str]] | None = None
    default_trial_days: int | None = None
    metadata: dict[str, str] | None = None


# The fields of NewProduct that are product columns, set when given.
_NEW_COLUMNS = (
    "name",
    "type",
    "description",
    "unit_label",
    "statement_descriptor",
    "tax_code",
    "url",
    "active",
    "shippable",
    "images",
    "marketing_features",
    "default_trial_days",
)


def product_insert(*, account: Account, product: NewProduct, actor: Actor) -> Product:
    """A product without prices (``product_data`` of a new price, or the start of
    ``product_create``)."""
    if not product.name:
        raise InvalidRequestError(
            "Missing required param: name.", param="name", code="parameter_missing"
        )
    columns = {
        name: value for name in _NEW_COLUMNS if (value := getattr(product, name)) is not None
    }
    if product.id is not None:
        # Ids are primary keys across accounts, so a taken id is refused whoever holds it.
        if Product.objects.filter(id=product.id).exists():
            raise InvalidRequestError(
                "Product already exists.", code="resource_already_exists", param="id"
            )
        columns["id"] = product.id
    with transaction.atomic():
        row = Product.objects.create(
            account=account, metadata=product.metadata or {}, created_at=clock.now(), **columns
        )
        change_record(
            account=account,
            actor=actor,
            type="product.created",
            object_type="product",
            data_object=product_render(row),
        )
    return row


def _locked(account: Account, product_id: str) -> Product:
    product = row_lock(Product.objects.filter(account=account, id=product_id))
    if product is None:
        raise ResourceMissingError("product", product_id)
    product.account = account
    return product


@dataclass(frozen=True)
class ProductChanges:
    """What a product update sets; a field left None keeps its value. ``default_price`` is a
    price id, or "" for none; ``metadata`` merges as Stripe's does (``metadata_merge``)."""

    name: str | None = None
    description: str | None = None
    unit_label: str | None = None
    statement_descriptor: str | None = None
    tax_code: str | None = None
    url: str | None = None
    active: bool | None = None
    shippable: bool | None = None
    images: list[str] | None = None
    marketing_features: list[dict[str, str]] | None = None
    default_trial_days: int | None = None
    metadata: dict[str, str] | None = None
    default_price: str | None = None


# The fields of ProductChanges that are product columns, set as given.
_COLUMNS = (
    "name",
    "description",
    "unit_label",
    "statement_descriptor",
    "tax_code",
    "url",
    "active",
    "shippable",
    "images",
    "marketing_features",
    "default_trial_days",
)


def product_update(
    *, account: Account, product_id: str, changes: ProductChanges, actor: Actor
) -> Product:
    if changes.name == "":
        raise InvalidRequestError("A product needs a name.", param="name")
    with transaction.atomic():
        product = _locked(account, product_id)
        before = product_render(product)
        for name in _COLUMNS:
            value = getattr(changes, name)
            if value is not None:
                setattr(product, name, value)
        product.metadata = metadata_merge(product.metadata, changes.metadata)
        if changes.default_price is not None:
            price_id = changes.default_price
            if price_id and not product.prices.filter(id=price_id, active=True).exists():
                raise InvalidRequestError(
                    f"The default price must be an active price of {product.id}.",
                    param="default_price",
                )
            product.default_price_id = price_id or None
        product.save()
        after = product_render(product)
        previous = previous_of(before, after)
        previous.pop("updated", None)
        if previous:
            change_record(
                account=account,
                actor=actor,
                type="product.updated",
                object_type="product",
                data_object=after,
                previous=previous,
            )
    return product


def product_delete(*, account: Account, product_id: str, actor: Actor) -> str:
    """As Stripe: only a product without prices can be deleted; others are archived."""
    with transaction.atomic():
        product = _locked(account, product_id)
        if product.prices.exists():
            raise InvalidRequestError(
                "This product has prices: archive it (active=false) instead of deleting it.",
                param="id",
            )
        data = product_render(product)
        product.delete()
        change_record(
            account=account,
            actor=actor,
            type="product.deleted",
            object_type="product",
            data_object=data,
        )
    return product_id
