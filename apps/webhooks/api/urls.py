from django.urls import path

from apps.webhooks.api.views import WebhookEndpointDetailApi, WebhookEndpointListApi

urlpatterns = [
    path("webhook_endpoints", WebhookEndpointListApi.as_view(), name="webhook-endpoint-list"),
    path(
        "webhook_endpoints/<str:webhook_endpoint>",
        WebhookEndpointDetailApi.as_view(),
        name="webhook-endpoint-detail",
    ),
]
