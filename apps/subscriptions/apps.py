from django.apps import AppConfig


class SubscriptionsConfig(AppConfig):
    name = "apps.subscriptions"
    label = "subscriptions"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from apps.accounts.models import TestClock
        from apps.core.api.expand import register_expandable
        from apps.core.events import register_event_consumer
        from apps.subscriptions.clock_jobs import register_clock_job
        from apps.subscriptions.services.cancel import subscriptions_end_with_customer
        from apps.subscriptions.services.clock_due import CLOCK_JOBS
        from apps.subscriptions.services.test_clocks import test_clock_render

        # A deleted customer's subscriptions end with it, in the deletion's transaction.
        register_event_consumer(subscriptions_end_with_customer)
        # Trial ends, scheduled cancellations, drafts' finalization and renewals, as test clocks
        # advance (with the other apps' jobs, in rank order: apps.subscriptions.clock_jobs).
        for job in CLOCK_JOBS:
            register_clock_job(job)

        def test_clock(account, clock_id):
            row = TestClock.objects.filter(account=account, id=clock_id).first()
            return test_clock_render(row) if row is not None else None

        register_expandable("clock", test_clock)
