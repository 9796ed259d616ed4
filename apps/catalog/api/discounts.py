"""``/v1/coupons`` and ``/v1/promotion_codes``."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers

from apps.catalog.api.common import DELETED, LIST_PARAMS, PARAMS, CatalogApi
from apps.catalog.discount_params import (
    coupon_amounts_parse,
    new_coupon_parse,
    new_promotion_code_parse,
)
from apps.catalog.render import coupon_render, promotion_code_render
from apps.catalog.selectors import (
    coupon_get,
    coupon_list,
    promotion_code_list,
)
from apps.catalog.services import (
    coupon_create,
    coupon_delete,
    coupon_update,
    promotion_code_create,
    promotion_code_update,
)
from apps.core.api.pagination import created_filter, equal_filters, paginate
from apps.core.api.params import get_bool, get_metadata, get_str, reject_unknown
from apps.core.api.schema import list_object, object_schema
from apps.core.errors import ResourceMissingError

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

CouponSchema = object_schema(
    "Coupon", "coupon", duration=serializers.CharField(), valid=serializers.BooleanField()
)
PromotionCodeSchema = object_schema(
    "PromotionCode", "promotion_code", code=serializers.CharField(), coupon=serializers.DictField()
)


class CouponListApi(CatalogApi):
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
            coupon_render(
                coupon_create(
                    account=self.account, coupon=new_coupon_parse(self.params), actor=self.actor
                )
            )
        )


class CouponDetailApi(CatalogApi):
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
        current = self._coupon(coupon)
        name = None
        if "name" in self.params:
            name = get_str(self.params, "name", max_length=40) or ""
        options = self.params.get("currency_options")
        row = coupon_update(
            account=self.account,
            coupon_id=coupon,
            name=name,
            currency_options=(
                coupon_amounts_parse(options, currency=current.currency)
                if options not in (None, "")
                else None
            ),
            metadata=get_metadata(self.params),
            actor=self.actor,
        )
        return self.respond(coupon_render(row))

    @extend_schema(
        operation_id="DeleteCouponsCoupon", summary="Delete a coupon", responses={200: DELETED}
    )
    def delete(self, request, coupon: str):
        reject_unknown(self.params, set())
        coupon_delete(account=self.account, coupon_id=coupon, actor=self.actor)
        return self.respond({"id": coupon, "object": "coupon", "deleted": True})


class PromotionCodeListApi(CatalogApi):
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
        promo = promotion_code_create(
            account=self.account, promo=new_promotion_code_parse(self.params), actor=self.actor
        )
        return self.respond(promotion_code_render(promo))


class PromotionCodeDetailApi(CatalogApi):
    @extend_schema(
        operation_id="GetPromotionCodesPromotionCode",
        summary="Retrieve a promotion code",
        responses={200: PromotionCodeSchema},
    )
    def get(self, request, promotion_code: str):
        reject_unknown(self.params, set())
        return self.respond(promotion_code_render(self._promo(promotion_code)))

    def _promo(self, promo_id: str):
        promo = promotion_code_list(account=self.account).filter(id=promo_id).first()
        if promo is None:
            raise ResourceMissingError("promotion_code", promo_id)
        return promo

    @extend_schema(
        operation_id="PostPromotionCodesPromotionCode",
        summary="Activate, deactivate or annotate a promotion code",
        request=PARAMS,
        responses={200: PromotionCodeSchema},
    )
    def post(self, request, promotion_code: str):
        reject_unknown(self.params, {"active", "metadata"})
        self._promo(promotion_code)
        promo = promotion_code_update(
            account=self.account,
            promo_id=promotion_code,
            active=get_bool(self.params, "active"),
            metadata=get_metadata(self.params),
            actor=self.actor,
        )
        return self.respond(promotion_code_render(promo))
