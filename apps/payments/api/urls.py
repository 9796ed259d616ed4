from django.urls import path

from apps.payments.api import views

urlpatterns = [
    path("charges", views.ChargeListApi.as_view(), name="charge-list"),
    path("charges/<str:charge>", views.ChargeDetailApi.as_view(), name="charge-detail"),
    path("charges/<str:charge>/capture", views.ChargeCaptureApi.as_view(), name="charge-capture"),
    path("refunds", views.RefundListApi.as_view(), name="refund-list"),
    path("refunds/<str:refund>", views.RefundDetailApi.as_view(), name="refund-detail"),
    path("balance", views.BalanceApi.as_view(), name="balance"),
    path(
        "balance_transactions",
        views.BalanceTransactionListApi.as_view(),
        name="balance-transaction-list",
    ),
    path(
        "balance_transactions/<str:id>",
        views.BalanceTransactionDetailApi.as_view(),
        name="balance-transaction-detail",
    ),
    path("payment_intents", views.PaymentIntentListApi.as_view(), name="payment-intent-list"),
    path(
        "payment_intents/<str:intent>",
        views.PaymentIntentDetailApi.as_view(),
        name="payment-intent-detail",
    ),
    path(
        "payment_intents/<str:intent>/confirm",
        views.PaymentIntentConfirmApi.as_view(),
        name="payment-intent-confirm",
    ),
    path(
        "payment_intents/<str:intent>/capture",
        views.PaymentIntentCaptureApi.as_view(),
        name="payment-intent-capture",
    ),
    path(
        "payment_intents/<str:intent>/cancel",
        views.PaymentIntentCancelApi.as_view(),
        name="payment-intent-cancel",
    ),
    path(
        "test_helpers/payment_intents/<str:intent>/authenticate",
        views.PaymentIntentAuthenticateApi.as_view(),
        name="payment-intent-authenticate",
    ),
]
