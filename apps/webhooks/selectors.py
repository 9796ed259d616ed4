from django.db.models import QuerySet

from apps.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint


def webhook_endpoint_list(*, account) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(account=account)


def webhook_endpoint_get(*, account, endpoint_id: str) -> WebhookEndpoint | None:
    return WebhookEndpoint.objects.filter(account=account, pk=endpoint_id).first()


def webhook_delivery_list(*, account) -> QuerySet[WebhookDelivery]:
    return WebhookDelivery.objects.filter(account=account)


def webhook_delivery_get(*, account, delivery_id: str) -> WebhookDelivery | None:
    return (
        WebhookDelivery.objects.filter(account=account, pk=delivery_id)
        .select_related("endpoint", "event")
        .first()
    )


def webhook_attempt_list(*, delivery: WebhookDelivery) -> QuerySet[WebhookAttempt]:
    return WebhookAttempt.objects.filter(delivery=delivery).order_by("-number")
