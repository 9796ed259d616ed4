from django.urls import path

from apps.customers.api import subresources, views

urlpatterns = [
    path("customers", views.CustomerListApi.as_view(), name="customer-list"),
    path("customers/search", views.CustomerSearchApi.as_view(), name="customer-search"),
    path("customers/<str:customer>", views.CustomerDetailApi.as_view(), name="customer-detail"),
    path(
        "customers/<str:customer>/balance_transactions",
        subresources.BalanceTransactionListApi.as_view(),
        name="customer-balance-transaction-list",
    ),
    path(
        "customers/<str:customer>/balance_transactions/<str:transaction>",
        subresources.BalanceTransactionDetailApi.as_view(),
        name="customer-balance-transaction-detail",
    ),
    path(
        "customers/<str:customer>/notes",
        subresources.NoteListApi.as_view(),
        name="customer-note-list",
    ),
    path(
        "customers/<str:customer>/notes/<str:note>",
        subresources.NoteDetailApi.as_view(),
        name="customer-note-detail",
    ),
    path(
        "customers/<str:customer>/tax_ids",
        subresources.TaxIdListApi.as_view(),
        name="customer-tax-id-list",
    ),
    path(
        "customers/<str:customer>/tax_ids/<str:id>",
        subresources.TaxIdDetailApi.as_view(),
        name="customer-tax-id-detail",
    ),
]
