from django.urls import path

from apps.customers.api import payment_methods, sources

urlpatterns = [
    path(
        "payment_methods",
        payment_methods.PaymentMethodListApi.as_view(),
        name="payment-method-list",
    ),
    path(
        "payment_methods/<str:payment_method>",
        payment_methods.PaymentMethodDetailApi.as_view(),
        name="payment-method-detail",
    ),
    path(
        "payment_methods/<str:payment_method>/attach",
        payment_methods.PaymentMethodAttachApi.as_view(),
        name="payment-method-attach",
    ),
    path(
        "payment_methods/<str:payment_method>/detach",
        payment_methods.PaymentMethodDetachApi.as_view(),
        name="payment-method-detach",
    ),
    path(
        "customers/<str:customer>/payment_methods",
        payment_methods.CustomerPaymentMethodListApi.as_view(),
        name="customer-payment-method-list",
    ),
    path(
        "customers/<str:customer>/payment_methods/<str:payment_method>",
        payment_methods.CustomerPaymentMethodDetailApi.as_view(),
        name="customer-payment-method-detail",
    ),
    path(
        "customers/<str:customer>/sources",
        sources.CustomerSourceListApi.as_view(),
        name="customer-source-list",
    ),
    path(
        "customers/<str:customer>/sources/<str:id>",
        sources.CustomerSourceDetailApi.as_view(),
        name="customer-source-detail",
    ),
    path(
        "customers/<str:customer>/sources/<str:id>/verify",
        sources.CustomerSourceVerifyApi.as_view(),
        name="customer-source-verify",
    ),
    path("sources", sources.SourceCreateApi.as_view(), name="source-create"),
    path("sources/<str:source>", sources.SourceDetailApi.as_view(), name="source-detail"),
    path("tokens", sources.TokenCreateApi.as_view(), name="token-create"),
    path("tokens/<str:token>", sources.TokenDetailApi.as_view(), name="token-detail"),
]
