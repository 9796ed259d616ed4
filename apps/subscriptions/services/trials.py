"""Trials: an item's own trial ending (with the trial's end behaviour when there is no payment
method), and a subscription's ``trial_end`` changed on update.

Each step runs under the subscription's row lock and records what it did on the rows it
changes (``trial_settled_at``, the status), so running it twice, or from two beats at once,
does it once.
"""

from datetime import datetime

from django.db import transaction

from apps.accounts.models import Account
from apps.core import clock
from apps.core.actor import SYSTEM, Actor
from apps.core.errors import InvalidRequestError
from apps.invoices.engine.planner import TRIAL_REMAINDER, Line
from apps.invoices.engine.proration import fraction_remaining, prorate
from apps.invoices.engine.staging import changes_lines
from apps.invoices.stage_choices import stage_choices
from apps.subscriptions.enums import SubscriptionItemState, SubscriptionStatus
from apps.subscriptions.models import Subscription, SubscriptionItem
from apps.subscriptions.render import subscription_record, subscription_render
from apps.subscriptions.services.billing import (
    MISSING_PAYMENT_METHOD,
    AlreadyInvoiced,
    billing_settings,
    invoice_from_lines,
)
from apps.subscriptions.services.cycles import anchor_reset
from apps.subscriptions.services.record import (
    RENEWABLE,
    active_items,
    prorations_pend,
    status_for,
    subscription_pending_prorations_drop,
)
from apps.subscriptions.services.steps import (
    ENDED,
    Outcome,
    discount_at,
    outcome_collect,
    subscription_lock,
)
from apps.subscriptions.terms import item_terms, items_paid
from apps.subscriptions.transitions import item_move, subscription_move, subscription_status_set


def missing_payment_method_behavior(subscription: Subscription) -> str:
    chosen = ((subscription.trial_settings or {}).get("end_behavior") or {}).get(
        "missing_payment_method"
    )
    return chosen or billing_settings(subscription.account).trial_missing_payment_method


def trial_settings_parse(raw) -> dict:
    """``trial_settings[end_behavior][missing_payment_method]``: validated, or an API error."""
    if raw in ("", None):
        return {}
    behavior = raw.get("end_behavior") if isinstance(raw, dict) else None
    if not isinstance(behavior, dict):
        raise InvalidRequestError(
            "Invalid hash: trial_settings[end_behavior]", param="trial_settings[end_behavior]"
        )
    value = behavior.get("missing_payment_method")
    if value not in MISSING_PAYMENT_METHOD:
        raise InvalidRequestError(
            "trial_settings[end_behavior][missing_payment_method] is one of "
            f"{', '.join(MISSING_PAYMENT_METHOD)}.",
            param="trial_settings[end_behavior][missing_payment_method]",
        )
    return {"end_behavior": {"missing_payment_method": value}}


def has_payment_method(subscription: Subscription) -> bool:
    """What an invoice of the subscription would be charged to (as invoice_pay chooses)."""
    customer = subscription.customer
    return bool(
        subscription.default_payment_method_id
        or customer.default_payment_method_id
        or customer.default_source_id
    )


def _trial_remainder(subscription: Subscription, item: SubscriptionItem) -> Line | None:
    start, end = subscription.current_period_start, subscription.current_period_end
    if not start < item.trial_end < end:
        return None
    terms = item_terms(item, currency=subscription.currency, on=item.trial_end)
    if terms.usage_type == "metered":
        return None
    return Line(
        item.id,
        TRIAL_REMAINDER,
        item.trial_end,
        end,
        prorate(terms.period_amount, fraction_remaining(start, end, item.trial_end)),
        item.quantity,
        item.price_id,
        f"Remaining time on {terms.description} after trial",
        tax_rates=terms.tax_rates,
    )


def _ended_items_settle(
    subscription: Subscription, ended: list[SubscriptionItem], *, behavior: str, now: datetime
) -> list[Line]:
    """Each item of ``ended`` settled by the trial's end ``behavior``: removed (``cancel``),
    paused (``pause``) or billing; answers the rest-of-period lines to invoice at once (an
    account that invoices trial ends immediately)."""
    remainders: list[Line] = []
    for item in ended:
        if behavior == "cancel":
            item_move(item, SubscriptionItemState.DELETED, at=item.trial_end, settled_at=now)
        elif behavior == "pause":
            item_move(item, SubscriptionItemState.PAUSED, at=item.trial_end, settled_at=now)
        else:
            item_move(item, SubscriptionItemState.ACTIVE, at=now)
            if billing_settings(subscription.account).invoice_trial_end_immediately:
                line = _trial_remainder(subscription, item)
                if line is not None:
                    remainders.append(line)
        item.save(update_fields=["trial_settled_at", "deleted_at", "paused_at", "updated_at"])
    return remainders


def subscription_trials_settle(
    subscription: Subscription, *, now: datetime, actor: Actor = SYSTEM
) -> Outcome:
    """Deal with every item whose own trial has ended by ``now``; runs in the caller's
    transaction with the subscription locked (renewals call it before planning).

    Without a payment method the trial's end behaviour applies per item: ``cancel`` removes the
    item (the subscription ends with its last one), ``pause`` stops the item billing (the
    subscription is ``paused`` once nothing else bills), ``create_invoice`` bills as usual. With
    one, an account that invoices trial ends at once gets the item's rest of period invoiced."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("subscription_trials_settle runs in the caller's transaction")
    ended = list(
        subscription.items.filter(
            deleted_at__isnull=True, trial_settled_at__isnull=True, trial_end__lte=now
        )
        .select_related("price__product", "price__account")
        .order_by("trial_end", "id")
    )
    outcome = Outcome(subscription)
    if not ended or subscription.status in ENDED:
        return outcome
    before = subscription_render(subscription)
    behavior = "create_invoice"
    if not has_payment_method(subscription):
        behavior = missing_payment_method_behavior(subscription)
    remainders = _ended_items_settle(subscription, ended, behavior=behavior, now=now)
    billing = active_items(subscription)
    remaining = subscription.items.filter(deleted_at__isnull=True).exists()
    if not remaining:
        subscription.canceled_at = subscription.ended_at = max(i.trial_end for i in ended)
        subscription.cancellation_details = {"comment": None, "feedback": None, "reason": None}
        subscription_move(subscription, SubscriptionStatus.CANCELED, actor=actor)
        subscription_pending_prorations_drop(subscription)
        return outcome
    if not billing:
        subscription_move(subscription, SubscriptionStatus.PAUSED, actor=actor)
        return outcome
    if subscription.status in (SubscriptionStatus.TRIALING, SubscriptionStatus.PAUSED):
        # The move is recorded in the update's event below, with what else changed.
        subscription_status_set(subscription, status_for(billing, now))
    subscription.save()
    if remainders:
        try:
            outcome.invoice = invoice_from_lines(
                subscription=subscription,
                lines=remainders,
                period=(min(line.period_start for line in remainders), remainders[0].period_end),
                billing_reason="subscription_update",
                actor=actor,
                include_pending=False,
            )
        except AlreadyInvoiced:
            outcome.invoice = None
    after = subscription_render(subscription)
    previous = {k: v for k, v in before.items() if after.get(k) != v}
    if previous:
        subscription_record(subscription, "customer.subscription.updated", actor, previous=previous)
    return outcome


def subscription_trials_settle_due(*, subscription_id: str, actor: Actor = SYSTEM) -> Subscription:
    with transaction.atomic():
        subscription = subscription_lock(subscription_id)
        now = clock.now(test_clock_id=subscription.customer.test_clock_id)
        outcome = subscription_trials_settle(subscription, now=now, actor=actor)
    return outcome_collect(outcome, actor)


def _unused_time_credits(
    subscription: Subscription, old: list, *, items: list, at: datetime, prorate: str
):
    """The unused time of the ``items``' terms ``old`` from ``at`` to the period's end,
    credited (``billing.prorations``, no more than was paid: ``items_paid``), unless
    ``prorate`` (the proration behaviour) is ``none``."""
    if prorate == "none":
        return []
    period = (subscription.current_period_start, subscription.current_period_end)
    return changes_lines(
        [(terms, None) for terms in old],
        period=period,
        at=at,
        currency=subscription.currency,
        choices=stage_choices(subscription.account),
        paid=items_paid(subscription, period, items),
    )


def subscription_trial_update(
    *,
    account: Account,
    subscription_id: str,
    trial_end: datetime | str,
    actor: Actor,
    proration_behavior: str = "create_prorations",
) -> Subscription:
    """Subscription-level ``trial_end`` on update, with Stripe's meaning for every item:

    - ``now`` ends the trial: the cycle restarts now and its first period is billed at once;
    - a future time (re)starts a trial to then: the anchor moves to it, the unused paid time of
      items not in trial is credited (unless proration_behavior=none) on the next invoice, and
      the first invoice comes when the trial ends."""
    with transaction.atomic():
        subscription = subscription_lock(subscription_id, account)
        if subscription.status not in RENEWABLE:
            raise InvalidRequestError(
                f"A {subscription.status} subscription's trial cannot be changed.",
                param="trial_end",
            )
        now = clock.now(test_clock_id=subscription.customer.test_clock_id)
        items = active_items(subscription)
        discount = discount_at(subscription, now)
        old = [
            item_terms(item, currency=subscription.currency, on=now, discount=discount)
            for item in items
        ]
        before = subscription_render(subscription)
        invoice = None
        if trial_end == "now":
            if not any(terms.trialing_at(now) for terms in old):
                raise InvalidRequestError("The subscription is not in a trial.", param="trial_end")
            for item in items:
                if item.trial_end is not None and item.trial_end > now:
                    item.trial_end = now
                    item_move(item, SubscriptionItemState.ACTIVE, at=now)
                    item.save(update_fields=["trial_end", "trial_settled_at", "updated_at"])
            subscription.trial_end = now
            # Recorded in the restarted cycle's event (apps.subscriptions.services.cycles).
            subscription_status_set(subscription, SubscriptionStatus.ACTIVE)
            invoice = anchor_reset(
                subscription,
                old=old,
                new=[item_terms(item, currency=subscription.currency, on=now) for item in items],
                interval=(subscription.interval, subscription.interval_count),
                at=now,
                prorate=proration_behavior != "none",
                actor=actor,
                items=items,
            )
        else:
            if trial_end <= now:
                raise InvalidRequestError("trial_end must be in the future.", param="trial_end")
            credits = _unused_time_credits(
                subscription, old, items=items, at=now, prorate=proration_behavior
            )
            prorations_pend(subscription, credits, at=now)
            for item in items:
                item.trial_end = trial_end
                item_move(item, SubscriptionItemState.TRIALING, at=now)
                item.save(update_fields=["trial_end", "trial_settled_at", "updated_at"])
            subscription.trial_start = subscription.trial_start or now
            subscription.trial_end = trial_end
            subscription.billing_cycle_anchor = trial_end
            subscription.current_period_start, subscription.current_period_end = now, trial_end
            # The move is recorded in the update's event below, with what else changed.
            subscription_status_set(subscription, SubscriptionStatus.TRIALING)
            subscription.save()
            after = subscription_render(subscription)
            previous = {k: v for k, v in before.items() if after.get(k) != v}
            subscription_record(
                subscription, "customer.subscription.updated", actor, previous=previous
            )
    return outcome_collect(Outcome(subscription, invoice), actor)
