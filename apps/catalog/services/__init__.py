from apps.catalog.services.coupons import (
    NewCoupon,
    NewPromotionCode,
    coupon_create,
    coupon_delete,
    coupon_update,
    promotion_code_create,
    promotion_code_update,
)
from apps.catalog.services.default_prices import product_create
from apps.catalog.services.fx import fx_rate_set, fx_rates_import, rate_row
from apps.catalog.services.plans import PlanChanges, plan_create, plan_delete, plan_update
from apps.catalog.services.prices import (
    NewPrice,
    PriceChanges,
    price_create,
    price_delete,
    price_update,
)
from apps.catalog.services.products import (
    NewProduct,
    ProductChanges,
    product_delete,
    product_update,
)
from apps.catalog.services.tax_rates import (
    NewTaxRate,
    TaxRateChanges,
    tax_rate_create,
    tax_rate_update,
)

__all__ = [
    "NewCoupon",
    "NewPrice",
    "NewProduct",
    "NewPromotionCode",
    "NewTaxRate",
    "PlanChanges",
    "PriceChanges",
    "ProductChanges",
    "TaxRateChanges",
    "coupon_create",
    "coupon_delete",
    "coupon_update",
    "fx_rate_set",
    "fx_rates_import",
    "plan_create",
    "plan_delete",
    "plan_update",
    "price_create",
    "price_delete",
    "price_update",
    "product_create",
    "product_delete",
    "product_update",
    "promotion_code_create",
    "promotion_code_update",
    "rate_row",
    "tax_rate_create",
    "tax_rate_update",
]
