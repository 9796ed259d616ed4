from django.urls import path

from apps.subscriptions.api import views

urlpatterns = [
    path("subscriptions", views.SubscriptionListApi.as_view(), name="subscription-list"),
    path(
        "subscriptions/<str:subscription>",
        views.SubscriptionDetailApi.as_view(),
        name="subscription-detail",
    ),
]
