from django.urls import path

from apps.catalog.api import views

urlpatterns = [
    path("products", views.ProductListApi.as_view(), name="product-list"),
    path("products/<str:id>", views.ProductDetailApi.as_view(), name="product-detail"),
    path("prices", views.PriceListApi.as_view(), name="price-list"),
    path("prices/<str:price>", views.PriceDetailApi.as_view(), name="price-detail"),
    path("coupons", views.CouponListApi.as_view(), name="coupon-list"),
    path("coupons/<str:coupon>", views.CouponDetailApi.as_view(), name="coupon-detail"),
    path("promotion_codes", views.PromotionCodeListApi.as_view(), name="promotion-code-list"),
    path(
        "promotion_codes/<str:promotion_code>",
        views.PromotionCodeDetailApi.as_view(),
        name="promotion-code-detail",
    ),
]
