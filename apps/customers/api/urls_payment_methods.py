from django.urls import path

from apps.customers.api import payment_methods as views

urlpatterns = [
    path("payment_methods", views.PaymentMethodListApi.as_view(), name="payment-method-list"),
    path(
        "payment_methods/<str:payment_method>",
        views.PaymentMethodDetailApi.as_view(),
        name="payment-method-detail",
    ),
    path(
        "payment_methods/<str:payment_method>/attach",
        views.PaymentMethodAttachApi.as_view(),
        name="payment-method-attach",
    ),
    path(
        "payment_methods/<str:payment_method>/detach",
        views.PaymentMethodDetachApi.as_view(),
        name="payment-method-detach",
    ),
    path(
        "customers/<str:customer>/payment_methods",
        views.CustomerPaymentMethodListApi.as_view(),
        name="customer-payment-method-list",
    ),
    path(
        "customers/<str:customer>/payment_methods/<str:payment_method>",
        views.CustomerPaymentMethodDetailApi.as_view(),
        name="customer-payment-method-detail",
    ),
    path(
        "customers/<str:customer>/sources",
        views.CustomerSourceListApi.as_view(),
        name="customer-source-list",
    ),
    path(
        "customers/<str:customer>/sources/<str:id>",
        views.CustomerSourceDetailApi.as_view(),
        name="customer-source-detail",
    ),
    path(
        "customers/<str:customer>/sources/<str:id>/verify",
        views.CustomerSourceVerifyApi.as_view(),
        name="customer-source-verify",
    ),
    path("sources", views.SourceCreateApi.as_view(), name="source-create"),
    path("sources/<str:source>", views.SourceDetailApi.as_view(), name="source-detail"),
    path("tokens", views.TokenCreateApi.as_view(), name="token-create"),
    path("tokens/<str:token>", views.TokenDetailApi.as_view(), name="token-detail"),
]
