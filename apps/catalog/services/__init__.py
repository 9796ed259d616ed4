from apps.catalog.services.coupons import (
    coupon_amounts_parse,
    coupon_create,
    coupon_delete,
    coupon_update,
    promotion_code_create,
    promotion_code_update,
)
from apps.catalog.services.default_prices import product_create
from apps.catalog.services.fx import fx_rate_set, fx_rates_import, rate_row
from apps.catalog.services.price_params import TAX_BEHAVIORS, currency_options_parse
from apps.catalog.services.prices import PriceChanges, price_create, price_delete, price_update
from apps.catalog.services.products import (
    ProductChanges,
    product_delete,
    product_fields,
    product_update,
)

__all__ = [
    "PriceChanges",
    "TAX_BEHAVIORS",
    "ProductChanges",
    "coupon_amounts_parse",
    "coupon_create",
    "coupon_delete",
    "coupon_update",
    "currency_options_parse",
    "fx_rate_set",
    "fx_rates_import",
    "price_create",
    "price_delete",
    "price_update",
    "product_create",
    "product_delete",
    "product_fields",
    "product_update",
    "promotion_code_create",
    "promotion_code_update",
    "rate_row",
]
