"""``/v1/products`` and ``/v1/prices``."""

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers

from apps.catalog.api.common import DELETED, LIST_PARAMS, PARAMS, CatalogApi
from apps.catalog.models import Price
from apps.catalog.price_params import TAX_BEHAVIORS, currency_options_parse, new_price_parse
from apps.catalog.product_params import custom_id_parse, product_fields
from apps.catalog.render import price_render, product_render
from apps.catalog.selectors import (
    price_list,
    product_list,
)
from apps.catalog.services import (
    NewPrice,
    NewProduct,
    PriceChanges,
    ProductChanges,
    price_create,
    price_update,
    product_create,
    product_delete,
    product_update,
)
from apps.core.api.pagination import created_filter, equal_filters, paginate
from apps.core.api.params import (
    get_bool,
    get_list,
    get_metadata,
    get_str,
    reject_unknown,
    within,
)
from apps.core.api.schema import list_object, object_schema
from apps.core.errors import InvalidRequestError, ResourceMissingError

PRODUCT_PARAMS = {
    "name",
    "description",
    "active",
    "metadata",
    "images",
    "unit_label",
    "statement_descriptor",
    "tax_code",
    "url",
    "shippable",
    "marketing_features",
    "default_trial_days",
}
PRICE_CREATE_PARAMS = {
    "currency",
    "product",
    "product_data",
    "unit_amount",
    "unit_amount_decimal",
    "billing_scheme",
    "tiers",
    "tiers_mode",
    "transform_quantity",
    "recurring",
    "custom_unit_amount",
    "currency_options",
    "lookup_key",
    "transfer_lookup_key",
    "nickname",
    "active",
    "metadata",
    "tax_behavior",
}
PRICE_UPDATE_PARAMS = {
    "active",
    "currency_options",
    "metadata",
    "nickname",
    "lookup_key",
    "transfer_lookup_key",
    "tax_behavior",
}

ProductSchema = object_schema(
    "Product", "product", name=serializers.CharField(), active=serializers.BooleanField()
)
PriceSchema = object_schema(
    "Price",
    "price",
    currency=serializers.CharField(),
    unit_amount=serializers.IntegerField(allow_null=True),
    unit_amount_decimal=serializers.CharField(allow_null=True),
    billing_scheme=serializers.CharField(),
    tiers=serializers.ListField(child=serializers.DictField(), allow_null=True),
    recurring=serializers.DictField(allow_null=True),
)


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


def _default_price(params: dict[str, Any]) -> NewPrice | None:
    """``default_price_data``: the first price of a new product, its product left unset."""
    price_data = params.get("default_price_data")
    if not price_data:
        return None
    unknown = set(price_data) - DEFAULT_PRICE_DATA
    if unknown:
        name = sorted(unknown)[0]
        raise InvalidRequestError(
            f"Received unknown parameter: default_price_data[{name}]",
            param=f"default_price_data[{name}]",
        )
    with within("default_price_data"):
        return new_price_parse(price_data, of_new_product=True)


def product_create_parse(params: dict[str, Any]) -> dict[str, Any]:
    """``POST /v1/products`` as the keyword arguments of ``product_create``: the product, and its
    default price if any."""
    fields = product_fields(params, creating=True)
    price_data = params.get("default_price_data")
    if price_data not in (None, "") and not isinstance(price_data, dict):
        raise InvalidRequestError("Invalid hash: default_price_data", param="default_price_data")
    product = NewProduct(**fields, id=custom_id_parse(params), metadata=get_metadata(params) or {})
    return {"product": product, "default_price": _default_price(params)}


def _product_changes(params: dict[str, Any]) -> ProductChanges:
    """``POST /v1/products/:id`` as the typed changes of ``product_update``."""
    default_price = None
    fields = product_fields(params, creating=False)
    metadata = get_metadata(params)
    if "default_price" in params:
        default_price = get_str(params, "default_price", max_length=64) or ""
    return ProductChanges(**fields, metadata=metadata, default_price=default_price)


def price_changes(params: dict[str, Any], price: Price) -> PriceChanges:
    """``POST /v1/prices/:id`` as the typed changes of ``price_update``; other currencies'
    amounts are checked against the price's fixed terms."""
    active = get_bool(params, "active")
    nickname = None
    if "nickname" in params:
        nickname = get_str(params, "nickname", max_length=250) or ""
    tax_behavior = None
    if "tax_behavior" in params:
        tax_behavior = get_str(params, "tax_behavior", required=True, choices=TAX_BEHAVIORS)
    metadata = get_metadata(params)
    options = None
    if "currency_options" in params:
        options = currency_options_parse(
            params["currency_options"],
            currency=price.currency,
            billing_scheme=price.billing_scheme,
            tiers_mode=price.tiers_mode,
            transform_quantity=price.transform_quantity,
            removable=True,
        )
    lookup_key, transfer = None, False
    if "lookup_key" in params:
        lookup_key = get_str(params, "lookup_key", max_length=200) or ""
        transfer = bool(lookup_key) and bool(get_bool(params, "transfer_lookup_key"))
    return PriceChanges(
        active=active,
        nickname=nickname,
        tax_behavior=tax_behavior,
        metadata=metadata,
        currency_options=options,
        lookup_key=lookup_key,
        transfer_lookup_key=transfer,
    )


class ProductListApi(CatalogApi):
    @extend_schema(
        operation_id="GetProducts",
        summary="List products",
        responses={200: list_object("ProductList", ProductSchema)},
    )
    def get(self, request):
        reject_unknown(self.params, LIST_PARAMS | {"active", "ids", "url", "shippable"})
        rows = equal_filters(
            created_filter(product_list(account=self.account), self.params),
            self.params,
            {"url": "url"},
        )
        for name in ("active", "shippable"):
            value = get_bool(self.params, name)
            if value is not None:
                rows = rows.filter(**{name: value})
        ids = get_list(self.params, "ids")
        if ids:
            rows = rows.filter(id__in=[str(i) for i in ids])
        return self.respond(paginate(rows, self.params, url="/v1/products", render=product_render))

    @extend_schema(
        operation_id="PostProducts",
        summary="Create a product",
        request=PARAMS,
        responses={200: ProductSchema},
    )
    def post(self, request):
        reject_unknown(self.params, PRODUCT_PARAMS | {"id", "type", "default_price_data"})
        row = product_create(
            account=self.account, **product_create_parse(self.params), actor=self.actor
        )
        return self.respond(product_render(row))


class ProductDetailApi(CatalogApi):
    def _product(self, product_id: str):
        product = product_list(account=self.account).filter(id=product_id).first()
        if product is None:
            raise ResourceMissingError("product", product_id)
        return product

    @extend_schema(
        operation_id="GetProductsId", summary="Retrieve a product", responses={200: ProductSchema}
    )
    def get(self, request, id: str):
        reject_unknown(self.params, set())
        return self.respond(product_render(self._product(id)))

    @extend_schema(
        operation_id="PostProductsId",
        summary="Update a product",
        request=PARAMS,
        responses={200: ProductSchema},
    )
    def post(self, request, id: str):
        reject_unknown(self.params, PRODUCT_PARAMS | {"default_price"})
        self._product(id)
        product = product_update(
            account=self.account,
            product_id=id,
            changes=_product_changes(self.params),
            actor=self.actor,
        )
        return self.respond(product_render(product))

    @extend_schema(
        operation_id="DeleteProductsId",
        summary="Delete a product without prices",
        responses={200: DELETED},
    )
    def delete(self, request, id: str):
        reject_unknown(self.params, set())
        self._product(id)
        product_delete(account=self.account, product_id=id, actor=self.actor)
        return self.respond({"id": id, "object": "product", "deleted": True})


class PriceListApi(CatalogApi):
    @extend_schema(
        operation_id="GetPrices",
        summary="List prices",
        responses={200: list_object("PriceList", PriceSchema)},
    )
    def get(self, request):
        reject_unknown(
            self.params,
            LIST_PARAMS | {"active", "currency", "product", "type", "lookup_keys", "recurring"},
        )
        rows = equal_filters(
            created_filter(price_list(account=self.account), self.params),
            self.params,
            {"currency": "currency", "product": "product_id", "type": "type"},
        )
        active = get_bool(self.params, "active")
        if active is not None:
            rows = rows.filter(active=active)
        keys = get_list(self.params, "lookup_keys")
        if keys:
            rows = rows.filter(lookup_key__in=[str(k) for k in keys])
        recurring = self.params.get("recurring")
        if isinstance(recurring, dict):
            interval = get_str(recurring, "interval", choices=["day", "week", "month", "year"])
            if interval:
                rows = rows.filter(recurring__interval=interval)
            usage = get_str(recurring, "usage_type", choices=["licensed", "metered"])
            if usage:
                rows = rows.filter(recurring__usage_type=usage)
        return self.respond(paginate(rows, self.params, url="/v1/prices", render=price_render))

    @extend_schema(
        operation_id="PostPrices",
        summary="Create a price",
        request=PARAMS,
        responses={200: PriceSchema},
    )
    def post(self, request):
        reject_unknown(self.params, PRICE_CREATE_PARAMS)
        row = price_create(
            account=self.account, price=new_price_parse(self.params), actor=self.actor
        )
        return self.respond(price_render(row))


class PriceDetailApi(CatalogApi):
    def _price(self, price_id: str):
        price = price_list(account=self.account).filter(id=price_id).first()
        if price is None:
            raise ResourceMissingError("price", price_id)
        return price

    @extend_schema(
        operation_id="GetPricesPrice", summary="Retrieve a price", responses={200: PriceSchema}
    )
    def get(self, request, price: str):
        reject_unknown(self.params, set())
        return self.respond(price_render(self._price(price)))

    @extend_schema(
        operation_id="PostPricesPrice",
        summary="Update a price (amounts never change)",
        request=PARAMS,
        responses={200: PriceSchema},
    )
    def post(self, request, price: str):
        reject_unknown(self.params, PRICE_UPDATE_PARAMS)
        row = price_update(
            account=self.account,
            price_id=price,
            changes=price_changes(self.params, self._price(price)),
            actor=self.actor,
        )
        return self.respond(price_render(row))
