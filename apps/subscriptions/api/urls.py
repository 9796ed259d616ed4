from django.urls import path

from apps.subscriptions.api import items, previews, test_clocks, views

urlpatterns = [
    # Subscription billing previews, under /v1/invoices: routed here, before the invoices'
    # routes (config/urls.py includes this app's first), so invoices/<id> does not take them.
    path(
        "invoices/create_preview",
        previews.InvoiceCreatePreviewApi.as_view(),
        name="invoice-create-preview",
    ),
    path("invoices/upcoming", previews.InvoiceUpcomingApi.as_view(), name="invoice-upcoming"),
    path(
        "invoices/upcoming/lines",
        previews.InvoiceUpcomingLinesApi.as_view(),
        name="invoice-upcoming-lines",
    ),
    path(
        "subscriptions/<str:subscription>/discount",
        views.SubscriptionDiscountApi.as_view(),
        name="subscription-discount",
    ),
    path("subscriptions", views.SubscriptionListApi.as_view(), name="subscription-list"),
    path("subscriptions/search", views.SubscriptionSearchApi.as_view(), name="subscription-search"),
    path(
        "subscriptions/<str:subscription>/resume",
        views.SubscriptionResumeApi.as_view(),
        name="subscription-resume",
    ),
    path(
        "subscriptions/<str:subscription>",
        views.SubscriptionDetailApi.as_view(),
        name="subscription-detail",
    ),
    path(
        "subscription_items", items.SubscriptionItemListApi.as_view(), name="subscription-item-list"
    ),
    path(
        "subscription_items/<str:item>",
        items.SubscriptionItemDetailApi.as_view(),
        name="subscription-item-detail",
    ),
    path(
        "test_helpers/test_clocks",
        test_clocks.TestClockListApi.as_view(),
        name="test-clock-list",
    ),
    path(
        "test_helpers/test_clocks/<str:test_clock>",
        test_clocks.TestClockDetailApi.as_view(),
        name="test-clock-detail",
    ),
    path(
        "test_helpers/test_clocks/<str:test_clock>/advance",
        test_clocks.TestClockAdvanceApi.as_view(),
        name="test-clock-advance",
    ),
]
