from django.urls import path

from apps.customers.api import views

urlpatterns = [
    path("customers", views.CustomerListApi.as_view(), name="customer-list"),
    path("customers/search", views.CustomerSearchApi.as_view(), name="customer-search"),
    path("customers/<str:customer>", views.CustomerDetailApi.as_view(), name="customer-detail"),
    path(
        "customers/<str:customer>/balance_transactions",
        views.BalanceTransactionListApi.as_view(),
        name="customer-balance-transaction-list",
    ),
    path(
        "customers/<str:customer>/balance_transactions/<str:transaction>",
        views.BalanceTransactionDetailApi.as_view(),
        name="customer-balance-transaction-detail",
    ),
    path("customers/<str:customer>/notes", views.NoteListApi.as_view(), name="customer-note-list"),
    path(
        "customers/<str:customer>/notes/<str:note>",
        views.NoteDetailApi.as_view(),
        name="customer-note-detail",
    ),
    path(
        "customers/<str:customer>/tax_ids",
        views.TaxIdListApi.as_view(),
        name="customer-tax-id-list",
    ),
    path(
        "customers/<str:customer>/tax_ids/<str:id>",
        views.TaxIdDetailApi.as_view(),
        name="customer-tax-id-detail",
    ),
]
