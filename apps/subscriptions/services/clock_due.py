"""This app's time-driven jobs, as test clocks run them (apps.subscriptions.clock_jobs): when
each is next due for a clock's customers, and running it on one object."""

from datetime import datetime

from apps.invoices.models import Invoice
from apps.subscriptions.clock_jobs import ClockJob
from apps.subscriptions.models import Subscription, SubscriptionItem
from apps.subscriptions.services.collection import invoices_auto_advance
from apps.subscriptions.services.lifecycle import subscription_cancel_scheduled
from apps.subscriptions.services.renewal_parts import RENEWABLE
from apps.subscriptions.services.renewals import subscription_renew
from apps.subscriptions.services.steps import ENDED
from apps.subscriptions.services.trials import subscription_trials_settle_due


def trial_end_next_due(*, customers, until: datetime) -> tuple[datetime, str] | None:
    return (
        SubscriptionItem.objects.filter(
            subscription__customer_id__in=customers,
            deleted_at__isnull=True,
            trial_settled_at__isnull=True,
            trial_end__lte=until,
        )
        .exclude(subscription__status__in=ENDED)
        .order_by("trial_end", "id")
        .values_list("trial_end", "subscription_id")
        .first()
    )


def cancel_at_next_due(*, customers, until: datetime) -> tuple[datetime, str] | None:
    return (
        Subscription.objects.filter(customer_id__in=customers, cancel_at__lte=until)
        .exclude(status__in=ENDED)
        .order_by("cancel_at", "id")
        .values_list("cancel_at", "id")
        .first()
    )


def draft_next_due(*, customers, until: datetime) -> tuple[datetime, str] | None:
    return (
        Invoice.objects.filter(
            customer_id__in=customers,
            status="draft",
            auto_advance=True,
            automatically_finalizes_at__lte=until,
        )
        .order_by("automatically_finalizes_at", "id")
        .values_list("automatically_finalizes_at", "id")
        .first()
    )


def renewal_next_due(*, customers, until: datetime) -> tuple[datetime, str] | None:
    return (
        Subscription.objects.filter(
            customer_id__in=customers, status__in=RENEWABLE, current_period_end__lte=until
        )
        .order_by("current_period_end", "id")
        .values_list("current_period_end", "id")
        .first()
    )


def _trial_end_run(subscription_id: str) -> bool:
    subscription_trials_settle_due(subscription_id=subscription_id)
    return True


def _cancel_at_run(subscription_id: str) -> bool:
    subscription_cancel_scheduled(subscription_id=subscription_id)
    return True


def _draft_run(invoice_id: str) -> bool:
    return bool(invoices_auto_advance(invoice_ids=[invoice_id]))


def _renewal_run(subscription_id: str) -> bool:
    # None: not renewable any more (canceled meanwhile).
    return subscription_renew(subscription_id=subscription_id) is not None


CLOCK_JOBS = (
    ClockJob("trial_end", 0, trial_end_next_due, _trial_end_run),
    ClockJob("cancel_at", 1, cancel_at_next_due, _cancel_at_run),
    ClockJob("invoice", 2, draft_next_due, _draft_run),
    ClockJob("renewal", 3, renewal_next_due, _renewal_run),
)
