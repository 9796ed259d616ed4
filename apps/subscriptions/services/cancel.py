"""Cancelling a subscription at once, and when its customer is deleted.

As Stripe's ``DELETE /v1/subscriptions/:id``: ``prorate`` credits the unused rest of the paid
period as pending proration items (the ``billing.prorations`` stage a change runs, capped by
what was paid); ``invoice_now`` bills the subscription's pending items (those credits
included) on a final invoice, finalized in the cancel's transaction and collected after it
(a negative total goes to the customer's balance, as every finalized invoice's does); with
neither, pending prorations are dropped."""

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from apps.accounts.audit import change_record
from apps.accounts.models import Account
from apps.core import clock
from apps.core.actor import SYSTEM, Actor
from apps.core.errors import InvalidRequestError, ResourceMissingError
from apps.core.locks import row_lock
from apps.invoices.engine.planner import Line
from apps.invoices.engine.staging import changes_lines
from apps.invoices.models import Invoice
from apps.invoices.services import invoice_item_render, invoices_finalize
from apps.invoices.stage_choices import stage_choices
from apps.subscriptions.enums import SubscriptionStatus
from apps.subscriptions.models import Subscription, SubscriptionItem
from apps.subscriptions.services.billing import invoice_from_lines
from apps.subscriptions.services.collection import invoices_collect
from apps.subscriptions.services.record import (
    active_items,
    prorations_pend,
    subscription_pending_prorations_drop,
)
from apps.subscriptions.services.steps import discount_at
from apps.subscriptions.terms import item_terms, items_paid
from apps.subscriptions.transitions import subscription_move

# Statuses whose current period was paid for, so that cancelling leaves unused time behind.
PAID_PERIOD = (SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE)

FEEDBACK = (
    "customer_service",
    "low_quality",
    "missing_features",
    "other",
    "switched_service",
    "too_complex",
    "too_expensive",
    "unused",
)


@dataclass(frozen=True)
class CancellationDetails:
    """Why the customer cancels: a free ``comment`` and a ``feedback`` of ``FEEDBACK``."""

    comment: str | None = None
    feedback: str | None = None


def unused_time_lines(
    subscription: Subscription, items: list[SubscriptionItem], now: datetime
) -> list[Line]:
    """The credit lines a proration at ``now`` gives for the rest of the paid period of
    ``items`` (``billing.prorations``, no more than what they were paid:
    apps.subscriptions.terms.items_paid); none outside a paid period."""
    start, end = subscription.current_period_start, subscription.current_period_end
    if subscription.status not in PAID_PERIOD or not items or not (start < now < end):
        return []
    currency = subscription.currency
    discount = discount_at(subscription, now)
    return changes_lines(
        [(item_terms(item, currency=currency, on=now, discount=discount), None) for item in items],
        period=(start, end),
        at=now,
        currency=currency,
        choices=stage_choices(subscription.account),
        paid=items_paid(subscription, (start, end), items),
    )


def _final_invoice(subscription: Subscription, now: datetime, actor: Actor) -> Invoice | None:
    """The final invoice of the subscription's pending items, made and finalized in the
    cancel's transaction (None when nothing is pending, or a zero total the account does not
    invoice)."""
    invoice = invoice_from_lines(
        subscription=subscription,
        lines=[],
        period=(subscription.current_period_start, now),
        billing_reason="subscription_cycle",
        actor=actor,
    )
    if invoice is None:
        return None
    (finalized,) = invoices_finalize(account=subscription.account, invoices=[invoice], actor=actor)
    return finalized


def subscription_cancel(
    *,
    account: Account,
    subscription_id: str,
    details: CancellationDetails = CancellationDetails(),
    actor: Actor,
    reason: str = "cancellation_requested",
    prorate: bool = False,
    invoice_now: bool = False,
) -> Subscription:
    """Cancel at once. ``prorate``: the unused time is credited (pending proration items,
    ``invoiceitem.created``); ``invoice_now``: a final invoice of the pending items is made,
    finalized and collected; with neither, pending prorations are dropped (Stripe's default).
    ``reason``: cancellation_details.reason (``payment_failed`` when dunning ends it)."""
    feedback = details.feedback or None
    if feedback is not None and feedback not in FEEDBACK:
        raise InvalidRequestError(
            f"cancellation_details[feedback] is one of {', '.join(FEEDBACK)}.",
            param="cancellation_details[feedback]",
        )
    comment = (details.comment or "")[:5000] or None
    with transaction.atomic():
        subscription = row_lock(
            Subscription.objects.select_related("customer", "account").filter(
                account=account, id=subscription_id
            )
        )
        if subscription is None:
            raise ResourceMissingError("subscription", subscription_id)
        if subscription.status == SubscriptionStatus.CANCELED:
            raise InvalidRequestError(
                f"Subscription {subscription.id} is already canceled.", code="resource_missing"
            )
        now = clock.now(test_clock_id=subscription.customer.test_clock_id)
        invoice = None
        if prorate:
            credits = unused_time_lines(subscription, active_items(subscription), now)
            for item in prorations_pend(subscription, credits, at=now):
                change_record(
                    account=account,
                    actor=actor,
                    type="invoiceitem.created",
                    object_type="invoiceitem",
                    data_object=invoice_item_render(item),
                )
        if invoice_now:
            invoice = _final_invoice(subscription, now, actor)
        subscription.canceled_at = subscription.ended_at = now
        subscription.cancellation_details = {
            "comment": comment,
            "feedback": feedback,
            "reason": reason,
        }
        subscription.cancel_at = None
        subscription_move(subscription, SubscriptionStatus.CANCELED, actor=actor)
        if not (prorate or invoice_now):
            subscription_pending_prorations_drop(subscription)
    if invoice is not None and invoice.status == "open":
        # The payment, outside the transaction (a failed one leaves the invoice open).
        invoices_collect(account=account, invoices=[], actor=actor, finalized=[invoice])
    return subscription


def subscriptions_end_with_customer(event) -> None:
    """Event consumer: ``customer.deleted`` cancels the customer's subscriptions, as Stripe."""
    if event.type != "customer.deleted":
        return
    for subscription_id in (
        Subscription.objects.filter(account_id=event.account_id, customer_id=event.object_id)
        .exclude(status=SubscriptionStatus.CANCELED)
        .values_list("id", flat=True)
    ):
        subscription_cancel(
            account=event.account,
            subscription_id=subscription_id,
            details=CancellationDetails(comment="The customer was deleted."),
            actor=SYSTEM,
        )
