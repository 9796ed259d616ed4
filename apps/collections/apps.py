from django.apps import AppConfig


class CollectionsConfig(AppConfig):
    name = "apps.collections"
    label = "collections"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from apps.collections.consumers import (
            payment_method_changes_consume,
            payment_method_changes_consume_batch,
        )
        from apps.core.events import register_event_consumer

        # A new or changed payment method pays the customer's failed invoices at once.
        register_event_consumer(
            payment_method_changes_consume, batch=payment_method_changes_consume_batch
        )
