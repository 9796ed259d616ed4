from django.urls import path

from apps.payments.api import balance, charges, intents, setup_intents

urlpatterns = [
    path("charges", charges.ChargeListApi.as_view(), name="charge-list"),
    path("charges/<str:charge>", charges.ChargeDetailApi.as_view(), name="charge-detail"),
    path("charges/<str:charge>/capture", charges.ChargeCaptureApi.as_view(), name="charge-capture"),
    path("refunds", charges.RefundListApi.as_view(), name="refund-list"),
    path("refunds/<str:refund>", charges.RefundDetailApi.as_view(), name="refund-detail"),
    path("balance", balance.BalanceApi.as_view(), name="balance"),
    path(
        "balance_transactions",
        balance.BalanceTransactionListApi.as_view(),
        name="balance-transaction-list",
    ),
    path(
        "balance_transactions/<str:id>",
        balance.BalanceTransactionDetailApi.as_view(),
        name="balance-transaction-detail",
    ),
    path("payment_intents", intents.PaymentIntentListApi.as_view(), name="payment-intent-list"),
    path(
        "payment_intents/<str:intent>",
        intents.PaymentIntentDetailApi.as_view(),
        name="payment-intent-detail",
    ),
    path(
        "payment_intents/<str:intent>/confirm",
        intents.PaymentIntentConfirmApi.as_view(),
        name="payment-intent-confirm",
    ),
    path(
        "payment_intents/<str:intent>/capture",
        intents.PaymentIntentCaptureApi.as_view(),
        name="payment-intent-capture",
    ),
    path(
        "payment_intents/<str:intent>/cancel",
        intents.PaymentIntentCancelApi.as_view(),
        name="payment-intent-cancel",
    ),
    path(
        "test_helpers/payment_intents/<str:intent>/authenticate",
        intents.PaymentIntentAuthenticateApi.as_view(),
        name="payment-intent-authenticate",
    ),
    path("setup_intents", setup_intents.SetupIntentListApi.as_view(), name="setup-intent-list"),
    path(
        "setup_intents/<str:setup_intent>",
        setup_intents.SetupIntentDetailApi.as_view(),
        name="setup-intent-detail",
    ),
    path(
        "setup_intents/<str:setup_intent>/confirm",
        setup_intents.SetupIntentConfirmApi.as_view(),
        name="setup-intent-confirm",
    ),
    path(
        "setup_intents/<str:setup_intent>/cancel",
        setup_intents.SetupIntentCancelApi.as_view(),
        name="setup-intent-cancel",
    ),
    path(
        "test_helpers/setup_intents/<str:setup_intent>/authenticate",
        setup_intents.SetupIntentAuthenticateApi.as_view(),
        name="setup-intent-authenticate",
    ),
]
