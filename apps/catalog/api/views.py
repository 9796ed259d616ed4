"""``/v1/products``, ``/v1/prices``, ``/v1/coupons`` and ``/v1/promotion_codes``."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers

from apps.catalog.render import coupon_render, price_render, product_render, promotion_code_render
from apps.catalog.selectors import (
    coupon_get,
    coupon_list,
    price_list,
    product_list,
    promotion_code_list,
)
from apps.catalog.services import (
    coupon_create,
    coupon_delete,
    coupon_update,
    price_create,
    price_update,
    product_create,
    product_delete,
    product_update,
    promotion_code_create,
    promotion_code_update,
)
from apps.core.api.pagination import created_filter, equal_filters, paginate
from apps.core.api.params import get_bool, get_list, get_str, reject_unknown
from apps.core.api.schema import list_object, object_schema
from apps.core.api.views import ApiView
from apps.core.errors import ResourceMissingError

LIST_PARAMS = {"limit", "starting_after", "ending_before", "created"}
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
COUPON_PARAMS = {
    "id",
    "name",
    "percent_off",
    "amount_off",
    "currency",
    "currency_options",
    "duration",
    "duration_in_months",
    "max_redemptions",
    "redeem_by",
    "applies_to",
    "metadata",
}
PROMO_PARAMS = {
    "coupon",
    "promotion",
    "code",
    "active",
    "customer",
    "max_redemptions",
    "expires_at",
    "restrictions",
    "metadata",
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
CouponSchema = object_schema(
    "Coupon", "coupon", duration=serializers.CharField(), valid=serializers.BooleanField()
)
PromotionCodeSchema = object_schema(
    "PromotionCode", "promotion_code", code=serializers.CharField(), coupon=serializers.DictField()
)
DELETED = inline_serializer(
    name="DeletedCatalogObject",
    fields={
        "id": serializers.CharField(),
        "object": serializers.CharField(),
        "deleted": serializers.BooleanField(),
    },
)
PARAMS = inline_serializer(
    name="CatalogParams", fields={"metadata": serializers.DictField(required=False)}
)


class _CatalogApi(ApiView):
    resource = "products"


class ProductListApi(_CatalogApi):
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
        reject_unknown(self.params, PRODUCT_PARAMS | {"type", "default_price_data"})
        return self.respond(
            product_render(
                product_create(account=self.account, params=self.params, actor=self.actor)
            )
        )


class ProductDetailApi(_CatalogApi):
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
            account=self.account, product_id=id, params=self.params, actor=self.actor
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


class PriceListApi(_CatalogApi):
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
        return self.respond(
            price_render(price_create(account=self.account, params=self.params, actor=self.actor))
        )


class PriceDetailApi(_CatalogApi):
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
        self._price(price)
        row = price_update(
            account=self.account, price_id=price, params=self.params, actor=self.actor
        )
        return self.respond(price_render(row))


class CouponListApi(_CatalogApi):
    @extend_schema(
        operation_id="GetCoupons",
        summary="List coupons",
        responses={200: list_object("CouponList", CouponSchema)},
    )
    def get(self, request):
        reject_unknown(self.params, LIST_PARAMS)
        rows = created_filter(coupon_list(account=self.account), self.params)
        return self.respond(
            paginate(
                rows, self.params, url="/v1/coupons", render=coupon_render, cursor_field="coupon_id"
            )
        )

    @extend_schema(
        operation_id="PostCoupons",
        summary="Create a coupon",
        request=PARAMS,
        responses={200: CouponSchema},
    )
    def post(self, request):
        reject_unknown(self.params, COUPON_PARAMS)
        return self.respond(
            coupon_render(coupon_create(account=self.account, params=self.params, actor=self.actor))
        )


class CouponDetailApi(_CatalogApi):
    def _coupon(self, coupon_id: str):
        coupon = coupon_get(account=self.account, coupon_id=coupon_id)
        if coupon is None:
            raise ResourceMissingError("coupon", coupon_id)
        return coupon

    @extend_schema(
        operation_id="GetCouponsCoupon", summary="Retrieve a coupon", responses={200: CouponSchema}
    )
    def get(self, request, coupon: str):
        reject_unknown(self.params, set())
        return self.respond(coupon_render(self._coupon(coupon)))

    @extend_schema(
        operation_id="PostCouponsCoupon",
        summary="Update a coupon's name or metadata",
        request=PARAMS,
        responses={200: CouponSchema},
    )
    def post(self, request, coupon: str):
        reject_unknown(self.params, {"name", "metadata", "currency_options"})
        row = coupon_update(
            account=self.account, coupon_id=coupon, params=self.params, actor=self.actor
        )
        return self.respond(coupon_render(row))

    @extend_schema(
        operation_id="DeleteCouponsCoupon", summary="Delete a coupon", responses={200: DELETED}
    )
    def delete(self, request, coupon: str):
        reject_unknown(self.params, set())
        coupon_delete(account=self.account, coupon_id=coupon, actor=self.actor)
        return self.respond({"id": coupon, "object": "coupon", "deleted": True})


class PromotionCodeListApi(_CatalogApi):
    @extend_schema(
        operation_id="GetPromotionCodes",
        summary="List promotion codes",
        responses={200: list_object("PromotionCodeList", PromotionCodeSchema)},
    )
    def get(self, request):
        reject_unknown(self.params, LIST_PARAMS | {"code", "coupon", "active", "customer"})
        rows = equal_filters(
            created_filter(promotion_code_list(account=self.account), self.params),
            self.params,
            {"coupon": "coupon__coupon_id", "customer": "customer_id"},
        )
        code = get_str(self.params, "code", max_length=500)
        if code:
            rows = rows.filter(code__iexact=code)  # Stripe: "this case-insensitive code"
        active = get_bool(self.params, "active")
        if active is not None:
            rows = rows.filter(active=active)
        return self.respond(
            paginate(rows, self.params, url="/v1/promotion_codes", render=promotion_code_render)
        )

    @extend_schema(
        operation_id="PostPromotionCodes",
        summary="Create a promotion code for a coupon",
        request=PARAMS,
        responses={200: PromotionCodeSchema},
    )
    def post(self, request):
        reject_unknown(self.params, PROMO_PARAMS)
        promo = promotion_code_create(account=self.account, params=self.params, actor=self.actor)
        return self.respond(promotion_code_render(promo))


class PromotionCodeDetailApi(_CatalogApi):
    @extend_schema(
        operation_id="GetPromotionCodesPromotionCode",
        summary="Retrieve a promotion code",
        responses={200: PromotionCodeSchema},
    )
    def get(self, request, promotion_code: str):
        reject_unknown(self.params, set())
        promo = promotion_code_list(account=self.account).filter(id=promotion_code).first()
        if promo is None:
            raise ResourceMissingError("promotion_code", promotion_code)
        return self.respond(promotion_code_render(promo))

    @extend_schema(
        operation_id="PostPromotionCodesPromotionCode",
        summary="Activate, deactivate or annotate a promotion code",
        request=PARAMS,
        responses={200: PromotionCodeSchema},
    )
    def post(self, request, promotion_code: str):
        reject_unknown(self.params, {"active", "metadata"})
        promo = promotion_code_update(
            account=self.account, promo_id=promotion_code, params=self.params, actor=self.actor
        )
        return self.respond(promotion_code_render(promo))
