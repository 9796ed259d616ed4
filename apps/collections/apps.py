from django.apps import AppConfig


class CollectionsConfig(AppConfig):
    name = "apps.collections"
    label = "collections"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from apps.collections.attempts import (
            attempts_claim,
            attempts_record,
            claims_release,
            counts,
            payment_in_progress_refuse,
            skips_of,
        )
        from apps.collections.card_updater import card_update_apply, card_updates_next_due
        from apps.collections.consumers import (
            payment_method_changes_consume,
            payment_method_changes_consume_batch,
        )
        from apps.collections.emails import (
            customer_emails_consume,
            customer_emails_consume_batch,
        )
        from apps.collections.incomplete import incomplete_expiry_run, incomplete_next_due
        from apps.collections.retries import retry_next_due, retry_run
        from apps.collections.selectors import sent_emails_timeline
        from apps.collections.services import invoices_after_attempts
        from apps.core.events import register_event_consumer
        from apps.customers.selectors import register_timeline_source
        from apps.invoices.collecting import PaymentCollection, register_payment_collection
        from apps.subscriptions.clock_jobs import ClockJob, register_clock_job

        # An invoice's payment is claimed, judged, recorded and followed up here.
        register_payment_collection(
            PaymentCollection(
                claim=attempts_claim,
                skips=skips_of,
                counts=counts,
                record=attempts_record,
                release=claims_release,
                refuse=payment_in_progress_refuse,
                after=invoices_after_attempts,
            )
        )
        # What a test clock runs of collections as it advances (ranks: apps.subscriptions
        # .clock_jobs): card updates first at an instant, retries and expiries last.
        register_clock_job(
            ClockJob(
                "card_update",
                -1,
                card_updates_next_due,
                lambda pk: card_update_apply(payment_method_id=pk),
            )
        )
        register_clock_job(ClockJob("retry", 4, retry_next_due, retry_run))
        register_clock_job(
            ClockJob("incomplete_expiry", 5, incomplete_next_due, incomplete_expiry_run)
        )
        # A new or changed payment method pays the customer's failed invoices at once.
        register_event_consumer(
            payment_method_changes_consume, batch=payment_method_changes_consume_batch
        )
        # Customer emails: failed payments, final notices, receipts, renewals, expiring cards.
        register_event_consumer(customer_emails_consume, batch=customer_emails_consume_batch)
        # The emails sent to a customer, among the events of their timeline.
        register_timeline_source(sent_emails_timeline)
