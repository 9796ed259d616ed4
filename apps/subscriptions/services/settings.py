"""A subscription's settings that change no amounts: cancellation at period end or at a time,
trial settings, paused collection, the collection method and due days, the default payment
method, metadata.

The service takes a ``SubscriptionSettings``: the API parses it from Stripe's wire format
(apps.subscriptions.api.params), the dashboard's actions build it."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction

from apps.accounts.models import Account
from apps.catalog.selectors import tax_rates_applicable
from apps.core import clock
from apps.core.actor import Actor
from apps.core.api.params import metadata_merge
from apps.core.errors import InvalidRequestError, ResourceMissingError
from apps.core.locks import row_lock
from apps.core.unset import UNSET, Unset
from apps.customers.models import PaymentMethod
from apps.subscriptions.enums import SubscriptionStatus
from apps.subscriptions.models import Subscription
from apps.subscriptions.planning import PRORATION_BEHAVIORS
from apps.subscriptions.render import subscription_record, subscription_render
from apps.subscriptions.services.cancel import FEEDBACK, CancellationDetails

PAUSE_BEHAVIORS = ("keep_as_draft", "mark_uncollectible", "void")


@dataclass(frozen=True)
class PauseCollection:
    """Collection paused: the subscription's invoices are handled by ``behavior`` (one of
    ``PAUSE_BEHAVIORS``) until ``resumes_at``, if given."""

    behavior: str
    resumes_at: datetime | None = None


@dataclass(frozen=True)
class SubscriptionSettings:
    """What a settings update changes: each field left ``UNSET`` is not given; None clears
    (``cancel_at``, ``pause_collection``, ``days_until_due``, ``default_payment_method``, a
    payment method id). ``cancellation_details`` and ``proration_behavior`` (of a ``cancel_at``)
    go with a cancellation; ``trial_settings`` is the validated ``trial_settings_parse`` value;
    ``metadata`` merges as Stripe's does (``metadata_merge``)."""

    cancel_at_period_end: bool | Unset = UNSET
    cancel_at: datetime | None | Unset = UNSET
    proration_behavior: str = "create_prorations"
    cancellation_details: CancellationDetails = CancellationDetails()
    trial_settings: dict[str, Any] | Unset = UNSET
    pause_collection: PauseCollection | None | Unset = UNSET
    collection_method: str | None | Unset = UNSET
    days_until_due: int | None | Unset = UNSET
    default_payment_method: str | None | Unset = UNSET
    metadata: dict[str, str] | None | Unset = UNSET
    # Tax rate ids for the invoices to come ([] clears them).
    default_tax_rates: list[str] | Unset = UNSET


def _feedback_check(feedback) -> None:
    if feedback and feedback not in FEEDBACK:
        raise InvalidRequestError(
            f"cancellation_details[feedback] is one of {', '.join(FEEDBACK)}.",
            param="cancellation_details[feedback]",
        )


def _cancel_at_period_end_set(
    subscription: Subscription, ending: bool, details: CancellationDetails, now: datetime
) -> None:
    _feedback_check(details.feedback)
    subscription.cancel_at_period_end = ending
    if ending:
        subscription.cancel_at = None
    subscription.canceled_at = now if ending else None
    subscription.cancellation_details = (
        {
            "comment": details.comment,
            "feedback": details.feedback,
            "reason": "cancellation_requested",
        }
        if ending
        else {}
    )


def _cancel_at_set(
    subscription: Subscription, settings: SubscriptionSettings, now: datetime
) -> None:
    at = settings.cancel_at
    if at is None:
        subscription.cancel_at = None
        if not subscription.cancel_at_period_end:
            subscription.canceled_at = None
            subscription.cancellation_details = {}
        return
    if at <= now:
        raise InvalidRequestError("cancel_at must be in the future.", param="cancel_at")
    behavior = settings.proration_behavior
    if behavior not in PRORATION_BEHAVIORS:
        raise InvalidRequestError(
            f"proration_behavior is one of {', '.join(PRORATION_BEHAVIORS)}.",
            param="proration_behavior",
        )
    details = settings.cancellation_details
    _feedback_check(details.feedback)
    subscription.cancel_at = at
    subscription.cancel_at_proration = "none" if behavior == "none" else behavior
    subscription.cancel_at_period_end = False
    subscription.canceled_at = now
    subscription.cancellation_details = {
        "comment": details.comment or None,
        "feedback": details.feedback or None,
        "reason": "cancellation_requested",
    }


def _pause_collection_set(
    subscription: Subscription, pause: PauseCollection | None, now: datetime
) -> None:
    if pause is None:
        subscription.pause_collection = None
        return
    if pause.resumes_at and pause.resumes_at <= now:
        raise InvalidRequestError(
            "resumes_at must be in the future.", param="pause_collection[resumes_at]"
        )
    subscription.pause_collection = {
        "behavior": pause.behavior,
        "resumes_at": clock.to_epoch(pause.resumes_at),
    }


def _collection_set(
    account: Account, subscription: Subscription, settings: SubscriptionSettings
) -> None:
    if settings.collection_method is not UNSET:
        subscription.collection_method = settings.collection_method
    if settings.days_until_due is not UNSET:
        subscription.days_until_due = settings.days_until_due
    if subscription.collection_method == "send_invoice" and subscription.days_until_due is None:
        raise InvalidRequestError(
            "send_invoice subscriptions need days_until_due.", param="days_until_due"
        )
    if settings.default_payment_method is not UNSET:
        value = settings.default_payment_method
        method = None
        if value:
            method = PaymentMethod.objects.filter(
                account=account, id=value, customer=subscription.customer
            ).first()
            if method is None:
                raise InvalidRequestError(
                    f"{value} is not a payment method of {subscription.customer_id}.",
                    param="default_payment_method",
                )
        subscription.default_payment_method = method


def subscription_update_settings(
    *, account: Account, subscription_id: str, settings: SubscriptionSettings, actor: Actor
) -> Subscription:
    """Fields that change no amounts already billed: cancel at period end or at a time (with its
    reason), trial settings, paused collection, collection method and due days, the default
    payment method, the default tax rates of the invoices to come, metadata."""
    with transaction.atomic():
        subscription = row_lock(
            Subscription.objects.select_related("customer", "account").filter(
                account=account, id=subscription_id
            )
        )
        if subscription is None:
            raise ResourceMissingError("subscription", subscription_id)
        if subscription.status == SubscriptionStatus.CANCELED:
            raise InvalidRequestError("A canceled subscription cannot be updated.")
        before = subscription_render(subscription)
        now = clock.now(test_clock_id=subscription.customer.test_clock_id)
        if settings.cancel_at_period_end is not UNSET:
            _cancel_at_period_end_set(
                subscription, settings.cancel_at_period_end, settings.cancellation_details, now
            )
        if settings.cancel_at is not UNSET:
            _cancel_at_set(subscription, settings, now)
        if settings.trial_settings is not UNSET:
            subscription.trial_settings = settings.trial_settings
        if settings.pause_collection is not UNSET:
            _pause_collection_set(subscription, settings.pause_collection, now)
        _collection_set(account, subscription, settings)
        if settings.default_tax_rates is not UNSET:
            subscription.default_tax_rates = tax_rates_applicable(
                account=account, ids=settings.default_tax_rates, param="default_tax_rates"
            )
        metadata = None if settings.metadata is UNSET else settings.metadata
        subscription.metadata = metadata_merge(subscription.metadata, metadata)
        subscription.save()
        after = subscription_render(subscription)
        previous = {k: v for k, v in before.items() if after.get(k) != v}
        if previous:
            subscription_record(
                subscription, "customer.subscription.updated", actor, previous=previous
            )
    return subscription
