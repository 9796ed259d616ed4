"""A subscription's settings that change no amounts: cancellation at period end or at a time,
trial settings, paused collection, the collection method and due days, the default payment
method, metadata."""

from datetime import datetime

from django.db import transaction

from apps.accounts.models import Account
from apps.core import clock
from apps.core.actor import Actor
from apps.core.api.params import (
    get_bool,
    get_int,
    get_metadata,
    get_str,
    get_timestamp,
    metadata_merge,
)
from apps.core.errors import InvalidRequestError, ResourceMissingError
from apps.core.locks import row_lock
from apps.customers.models import PaymentMethod
from apps.subscriptions.enums import SubscriptionStatus
from apps.subscriptions.models import Subscription
from apps.subscriptions.planning import PRORATION_BEHAVIORS
from apps.subscriptions.render import subscription_record, subscription_render
from apps.subscriptions.services.cancel import FEEDBACK
from apps.subscriptions.services.create import COLLECTION_METHODS
from apps.subscriptions.services.trials import trial_settings_parse

PAUSE_BEHAVIORS = ("keep_as_draft", "mark_uncollectible", "void")


def _feedback_check(feedback) -> None:
    if feedback and feedback not in FEEDBACK:
        raise InvalidRequestError(
            f"cancellation_details[feedback] is one of {', '.join(FEEDBACK)}.",
            param="cancellation_details[feedback]",
        )


def _cancel_at_period_end_set(subscription: Subscription, params: dict, now: datetime) -> None:
    ending = bool(get_bool(params, "cancel_at_period_end"))
    details = params.get("cancellation_details") or {}
    feedback = details.get("feedback") if isinstance(details, dict) else None
    _feedback_check(feedback)
    subscription.cancel_at_period_end = ending
    if ending:
        subscription.cancel_at = None
    subscription.canceled_at = now if ending else None
    subscription.cancellation_details = (
        {
            "comment": details.get("comment") if isinstance(details, dict) else None,
            "feedback": feedback,
            "reason": "cancellation_requested",
        }
        if ending
        else {}
    )


def _cancel_at_set(subscription: Subscription, params: dict, now: datetime) -> None:
    raw = params["cancel_at"]
    if raw in ("", None):
        subscription.cancel_at = None
        if not subscription.cancel_at_period_end:
            subscription.canceled_at = None
            subscription.cancellation_details = {}
        return
    at = get_timestamp(params, "cancel_at", required=True)
    if at <= now:
        raise InvalidRequestError("cancel_at must be in the future.", param="cancel_at")
    behavior = params.get("proration_behavior") or "create_prorations"
    if behavior not in PRORATION_BEHAVIORS:
        raise InvalidRequestError(
            f"proration_behavior is one of {', '.join(PRORATION_BEHAVIORS)}.",
            param="proration_behavior",
        )
    details = params.get("cancellation_details") or {}
    details = details if isinstance(details, dict) else {}
    _feedback_check(details.get("feedback"))
    subscription.cancel_at = at
    subscription.cancel_at_proration = "none" if behavior == "none" else behavior
    subscription.cancel_at_period_end = False
    subscription.canceled_at = now
    subscription.cancellation_details = {
        "comment": details.get("comment") or None,
        "feedback": details.get("feedback") or None,
        "reason": "cancellation_requested",
    }


def _pause_collection_set(subscription: Subscription, raw, now: datetime) -> None:
    if raw in ("", None):
        subscription.pause_collection = None
        return
    if not isinstance(raw, dict):
        raise InvalidRequestError("Invalid hash: pause_collection", param="pause_collection")
    behavior = get_str(raw, "behavior", required=True, choices=list(PAUSE_BEHAVIORS))
    resumes = get_timestamp(raw, "resumes_at")
    if resumes and resumes <= now:
        raise InvalidRequestError(
            "resumes_at must be in the future.", param="pause_collection[resumes_at]"
        )
    subscription.pause_collection = {
        "behavior": behavior,
        "resumes_at": clock.to_epoch(resumes),
    }


def _collection_set(account: Account, subscription: Subscription, params: dict) -> None:
    if "collection_method" in params:
        subscription.collection_method = get_str(
            params, "collection_method", choices=list(COLLECTION_METHODS)
        )
    if "days_until_due" in params:
        subscription.days_until_due = get_int(params, "days_until_due", minimum=0, maximum=365)
    if subscription.collection_method == "send_invoice" and subscription.days_until_due is None:
        raise InvalidRequestError(
            "send_invoice subscriptions need days_until_due.", param="days_until_due"
        )
    if "default_payment_method" in params:
        value = get_str(params, "default_payment_method", max_length=64)
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
    *, account: Account, subscription_id: str, params: dict, actor: Actor
) -> Subscription:
    """Fields that change no amounts: cancel at period end (with its reason), collection method
    and due days, the default payment method, metadata."""
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
        if "cancel_at_period_end" in params:
            _cancel_at_period_end_set(subscription, params, now)
        if "cancel_at" in params:
            _cancel_at_set(subscription, params, now)
        if "trial_settings" in params:
            subscription.trial_settings = trial_settings_parse(params["trial_settings"])
        if "pause_collection" in params:
            _pause_collection_set(subscription, params["pause_collection"], now)
        _collection_set(account, subscription, params)
        subscription.metadata = metadata_merge(subscription.metadata, get_metadata(params))
        subscription.save()
        after = subscription_render(subscription)
        previous = {k: v for k, v in before.items() if after.get(k) != v}
        if previous:
            subscription_record(
                subscription, "customer.subscription.updated", actor, previous=previous
            )
    return subscription
