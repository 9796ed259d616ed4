from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "apps.webhooks"
    label = "webhooks"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Each recorded event is noted in its transaction and fanned out after the commit
        # (apps.webhooks.services.outbox).
        from apps.core.events import register_event_consumer
        from apps.webhooks.services import webhook_event_consume, webhook_events_consume

        register_event_consumer(webhook_event_consume, batch=webhook_events_consume)
