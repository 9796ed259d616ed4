from django.apps import AppConfig


class SubscriptionsConfig(AppConfig):
    name = "apps.subscriptions"
    label = "subscriptions"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from apps.accounts.models import TestClock
        from apps.core.api.expand import register_expandable, register_includable
        from apps.core.events import register_event_consumer
        from apps.invoices.stage_choices import waived_stages_resolver_register
        from apps.subscriptions.clock_jobs import register_clock_job
        from apps.subscriptions.enums import SubscriptionStatus
        from apps.subscriptions.models import Subscription, SubscriptionItem
        from apps.subscriptions.render import subscription_item_render, subscription_render
        from apps.subscriptions.services.cancel import subscriptions_end_with_customer
        from apps.subscriptions.services.clock_due import CLOCK_JOBS
        from apps.subscriptions.services.record import subscription_pending_stages_take
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

        def subscription(account, subscription_id):
            row = (
                Subscription.objects.select_related("account", "customer")
                .filter(account=account, id=subscription_id)
                .first()
            )
            return subscription_render(row) if row is not None else None

        def subscription_item(account, item_id):
            row = (
                SubscriptionItem.objects.select_related("subscription", "price__account")
                .filter(account=account, id=item_id, deleted_at__isnull=True)
                .first()
            )
            return subscription_item_render(row) if row is not None else None

        def customer_subscriptions(account, customer_id, limit):
            # A customer's current subscriptions: the ended ones are left out, as in Stripe.
            rows = list(
                Subscription.objects.select_related("account", "customer")
                .filter(account=account, customer_id=customer_id)
                .exclude(
                    status__in=[
                        SubscriptionStatus.CANCELED,
                        SubscriptionStatus.INCOMPLETE_EXPIRED,
                    ]
                )
                .order_by("-id")[: limit + 1]
            )
            data = [subscription_render(row) for row in rows[:limit]]
            return data, len(rows) > limit, f"/v1/customers/{customer_id}/subscriptions"

        register_expandable("clock", test_clock)
        register_expandable("sub", subscription)
        register_expandable("si", subscription_item)
        register_includable("customer", "subscriptions", customer_subscriptions)
        # A one-off invoice taking a subscription's pending items takes the records of its
        # changes that left none (a waived proration).
        waived_stages_resolver_register(subscription_pending_stages_take)
