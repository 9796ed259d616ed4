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
        from apps.collections.emails import (
            customer_emails_consume,
            customer_emails_consume_batch,
        )
        from apps.collections.selectors import retry_plan_of_account, sent_emails_timeline
        from apps.core.events import register_event_consumer
        from apps.customers.selectors import register_timeline_source
        from apps.invoices.stage_choices import retry_plan_resolver_register

        # A new or changed payment method pays the customer's failed invoices at once.
        register_event_consumer(
            payment_method_changes_consume, batch=payment_method_changes_consume_batch
        )
        # Customer emails: failed payments, final notices, receipts, renewals, expiring cards.
        register_event_consumer(customer_emails_consume, batch=customer_emails_consume_batch)
        # The emails sent to a customer, among the events of their timeline.
        register_timeline_source(sent_emails_timeline)
        # The account's retry plan, given to the payments.collection billing stage.
        retry_plan_resolver_register(retry_plan_of_account)
