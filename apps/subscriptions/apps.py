from django.apps import AppConfig


class SubscriptionsConfig(AppConfig):
    name = "apps.subscriptions"
    label = "subscriptions"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from apps.accounts.models import TestClock
        from apps.core.api.expand import register_expandable
        from apps.core.events import register_event_consumer
        from apps.subscriptions.services import subscriptions_end_with_customer
        from apps.subscriptions.test_clocks import test_clock_render

        # A deleted customer's subscriptions end with it, in the deletion's transaction.
        register_event_consumer(subscriptions_end_with_customer)

        def test_clock(account, clock_id):
            row = TestClock.objects.filter(account=account, id=clock_id).first()
            return test_clock_render(row) if row is not None else None

        register_expandable("clock", test_clock)
