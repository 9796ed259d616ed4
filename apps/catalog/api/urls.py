from django.urls import path

from apps.catalog.api import discounts, plans, products, tax_rates

urlpatterns = [
    path("products", products.ProductListApi.as_view(), name="product-list"),
    path("products/<str:id>", products.ProductDetailApi.as_view(), name="product-detail"),
    path("prices", products.PriceListApi.as_view(), name="price-list"),
    path("prices/<str:price>", products.PriceDetailApi.as_view(), name="price-detail"),
    path("plans", plans.PlanListApi.as_view(), name="plan-list"),
    path("plans/<str:plan>", plans.PlanDetailApi.as_view(), name="plan-detail"),
    path("coupons", discounts.CouponListApi.as_view(), name="coupon-list"),
    path("coupons/<str:coupon>", discounts.CouponDetailApi.as_view(), name="coupon-detail"),
    path("promotion_codes", discounts.PromotionCodeListApi.as_view(), name="promotion-code-list"),
    path(
        "promotion_codes/<str:promotion_code>",
        discounts.PromotionCodeDetailApi.as_view(),
        name="promotion-code-detail",
    ),
    path("tax_rates", tax_rates.TaxRateListApi.as_view(), name="tax-rate-list"),
    path("tax_rates/<str:tax_rate>", tax_rates.TaxRateDetailApi.as_view(), name="tax-rate-detail"),
]
