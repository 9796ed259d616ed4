"""A subscription's life between renewals: items' trial ends, scheduled cancellation
(``cancel_at``), pause and resume.

Each step runs under the subscription's row lock and records what it did on the rows it
changes (``trial_settled_at``, the status, ``cancel_at`` cleared), so running it twice, or from
two beats at once, does it once. Beat runs them for customers on the real clock
(``lifecycle_due``); test clocks run them in time order with renewals.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from apps.accounts.models import Account
from apps.core import clock
from apps.core.actor import SYSTEM, Actor
from apps.core.errors import InvalidRequestError
from apps.core.locks import row_lock
from apps.invoices.discounts import discount_in_force
from apps.invoices.engine.periods import period_containing
from apps.invoices.engine.planner import TRIAL_REMAINDER, Line, cycle_lines
from apps.invoices.engine.proration import fraction_remaining, prorate
from apps.invoices.engine.staging import changes_lines
from apps.invoices.services import AlreadyInvoiced, billing_settings, invoice_from_lines, item_terms
from apps.invoices.stage_choices import stage_choices
from apps.subscriptions.enums import SubscriptionStatus
from apps.subscriptions.models import Subscription, SubscriptionItem

MISSING_PAYMENT_METHOD = ("create_invoice", "cancel", "pause")
ANCHORS = ("now", "unchanged")
ENDED = (SubscriptionStatus.CANCELED, SubscriptionStatus.INCOMPLETE_EXPIRED)


@dataclass
class Outcome:
    """What a step changed, and the invoice it made that still has to be collected (after the
    transaction: payment calls never run inside one)."""

    subscription: Subscription
    invoice: object | None = None


def _services():
    # services imports this module's callers; import late to keep one direction of imports.
    from apps.subscriptions import services

    return services


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


def _billing_items(subscription: Subscription) -> list[SubscriptionItem]:
    return _services()._active_items(subscription)


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
    )


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
    services = _services()
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
    before = services.subscription_render(subscription)
    behavior = "create_invoice"
    if not has_payment_method(subscription):
        behavior = missing_payment_method_behavior(subscription)
    remainders: list[Line] = []
    for item in ended:
        item.trial_settled_at = now
        if behavior == "cancel":
            item.deleted_at = item.trial_end
        elif behavior == "pause":
            item.paused_at = item.trial_end
        elif billing_settings(subscription.account).invoice_trial_end_immediately:
            line = _trial_remainder(subscription, item)
            if line is not None:
                remainders.append(line)
        item.save(update_fields=["trial_settled_at", "deleted_at", "paused_at", "updated_at"])
    billing = _billing_items(subscription)
    remaining = subscription.items.filter(deleted_at__isnull=True).exists()
    if not remaining:
        subscription.status = SubscriptionStatus.CANCELED
        subscription.canceled_at = subscription.ended_at = max(i.trial_end for i in ended)
        subscription.cancellation_details = {"comment": None, "feedback": None, "reason": None}
        subscription.save()
        services.subscription_pending_prorations_drop(subscription)
        services._record(
            subscription,
            "customer.subscription.deleted",
            actor,
            previous={"status": before["status"]},
        )
        return outcome
    if not billing:
        subscription.status = SubscriptionStatus.PAUSED
        subscription.save()
        services._record(
            subscription,
            "customer.subscription.paused",
            actor,
            previous={"status": before["status"]},
        )
        return outcome
    if subscription.status in (SubscriptionStatus.TRIALING, SubscriptionStatus.PAUSED):
        subscription.status = services._status_for(billing, now)
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
    after = services.subscription_render(subscription)
    previous = {k: v for k, v in before.items() if after.get(k) != v}
    if previous:
        services._record(subscription, "customer.subscription.updated", actor, previous=previous)
    return outcome


def _discount_at(subscription: Subscription, at: datetime):
    """The discount in force at a proration's moment: its percent off is baked into the
    proration lines (which invoices do not discount again), as on an item change."""
    return discount_in_force(customer=subscription.customer, subscription=subscription, at=at)


def _locked(subscription_id: str, account: Account | None = None) -> Subscription:
    rows = Subscription.objects.select_related("customer", "account")
    if account is not None:
        rows = rows.filter(account=account)
    subscription = row_lock(rows.filter(id=subscription_id))
    if subscription is None:
        from apps.core.errors import ResourceMissingError

        raise ResourceMissingError("subscription", subscription_id)
    return subscription


def _collect_after(outcome: Outcome, actor: Actor) -> Subscription:
    """Finalize and collect what a step invoiced, once its transaction has committed."""
    if outcome.invoice is not None:
        _services().subscription_invoice_collect(outcome.subscription, outcome.invoice, actor)
    return outcome.subscription


def subscription_trials_settle_due(*, subscription_id: str, actor: Actor = SYSTEM) -> Subscription:
    with transaction.atomic():
        subscription = _locked(subscription_id)
        now = clock.now(test_clock_id=subscription.customer.test_clock_id)
        outcome = subscription_trials_settle(subscription, now=now, actor=actor)
    return _collect_after(outcome, actor)


def cancel_at_due(subscription: Subscription, *, now: datetime) -> bool:
    return (
        subscription.cancel_at is not None
        and subscription.cancel_at <= now
        and subscription.status not in ENDED
    )


def subscription_cancel_scheduled(
    *, subscription_id: str, actor: Actor = SYSTEM
) -> Subscription | None:
    """End a subscription whose ``cancel_at`` has come. The unused rest of a paid period is
    credited (unless the cancel was set with proration_behavior=none) on a final invoice with the
    subscription's pending items; a credit total goes to the customer's balance."""
    services = _services()
    with transaction.atomic():
        subscription = _locked(subscription_id)
        now = clock.now(test_clock_id=subscription.customer.test_clock_id)
        if not cancel_at_due(subscription, now=now):
            return None
        at = subscription.cancel_at
        start, end = subscription.current_period_start, subscription.current_period_end
        lines: list[Line] = []
        if subscription.cancel_at_proration != "none" and start < at < end:
            discount, currency = _discount_at(subscription, at), subscription.currency
            lines = changes_lines(
                [
                    (item_terms(item, currency=currency, on=at, discount=discount), None)
                    for item in _billing_items(subscription)
                ],
                period=(start, end),
                at=at,
                currency=subscription.currency,
                choices=stage_choices(subscription.account),
            )
        invoice = None
        if subscription.cancel_at_proration == "none":
            services.subscription_pending_prorations_drop(subscription)
        if lines or subscription.cancel_at_proration != "none":
            try:
                invoice = invoice_from_lines(
                    subscription=subscription,
                    lines=lines,
                    period=(at, max(at, end)),
                    billing_reason="subscription_update",
                    actor=actor,
                )
            except AlreadyInvoiced:
                invoice = None
        previous = {"status": subscription.status, "cancel_at": clock.to_epoch(at)}
        subscription.status = SubscriptionStatus.CANCELED
        subscription.ended_at = at
        subscription.canceled_at = subscription.canceled_at or at
        subscription.cancellation_details = subscription.cancellation_details or {
            "comment": None,
            "feedback": None,
            "reason": "cancellation_requested",
        }
        subscription.save()
        services._record(subscription, "customer.subscription.deleted", actor, previous=previous)
    return _collect_after(Outcome(subscription, invoice), actor)


def subscription_resume(
    *,
    account: Account,
    subscription_id: str,
    actor: Actor,
    billing_cycle_anchor: str = "now",
    proration_behavior: str = "create_prorations",
    proration_date: datetime | None = None,
) -> Subscription:
    """Resume a paused subscription (or its paused items).

    ``billing_cycle_anchor=now`` (a paused subscription only) starts a new period now and
    invoices it at once; ``unchanged`` keeps the anchor and bills the resumed items' rest of the
    current period per ``proration_behavior`` (pending for the next invoice, invoiced now, or not
    at all). The paused time itself is never billed."""
    services = _services()
    if billing_cycle_anchor not in ANCHORS:
        raise InvalidRequestError(
            "billing_cycle_anchor is now or unchanged.", param="billing_cycle_anchor"
        )
    if proration_behavior not in services.PRORATION_BEHAVIORS:
        raise InvalidRequestError(
            f"proration_behavior is one of {', '.join(services.PRORATION_BEHAVIORS)}.",
            param="proration_behavior",
        )
    with transaction.atomic():
        subscription = _locked(subscription_id, account)
        paused_items = list(
            subscription.items.filter(deleted_at__isnull=True, paused_at__isnull=False)
            .select_related("price__product", "price__account")
            .order_by("id")
        )
        if subscription.status != SubscriptionStatus.PAUSED and not paused_items:
            raise InvalidRequestError(
                f"Subscription {subscription.id} is not paused; only paused subscriptions resume.",
                code="subscription_not_paused",
            )
        whole = subscription.status == SubscriptionStatus.PAUSED
        if billing_cycle_anchor == "now" and not whole:
            raise InvalidRequestError(
                "billing_cycle_anchor=now resets the anchor of a paused subscription only; "
                "its other items are billing: resume with billing_cycle_anchor=unchanged.",
                param="billing_cycle_anchor",
            )
        now = clock.now(test_clock_id=subscription.customer.test_clock_id)
        at = proration_date or now
        before = services.subscription_render(subscription)
        for item in paused_items:
            item.paused_at = None
            item.save(update_fields=["paused_at", "updated_at"])
        items = _billing_items(subscription)
        invoice = None
        if billing_cycle_anchor == "now":
            subscription.billing_cycle_anchor = now
            period = period_containing(now, subscription.interval, subscription.interval_count, now)
            lines = cycle_lines(
                [item_terms(item, currency=subscription.currency, on=now) for item in items],
                previous=None,
                period=period,
            )
            bill_now = True
        else:
            period = period_containing(
                subscription.billing_cycle_anchor,
                subscription.interval,
                subscription.interval_count,
                now,
            )
            lines = []
            if proration_behavior != "none":
                discount, currency = _discount_at(subscription, at), subscription.currency
                lines = changes_lines(
                    [
                        (None, item_terms(item, currency=currency, on=at, discount=discount))
                        for item in paused_items
                    ],
                    period=period,
                    at=at,
                    currency=subscription.currency,
                    choices=stage_choices(subscription.account),
                )
            bill_now = proration_behavior == "always_invoice" and bool(lines)
        subscription.current_period_start, subscription.current_period_end = period
        if bill_now:
            try:
                invoice = invoice_from_lines(
                    subscription=subscription,
                    lines=lines,
                    period=period,
                    billing_reason="subscription_update",
                    actor=actor,
                )
            except AlreadyInvoiced:
                invoice = None
        else:
            services._prorations_pend(subscription, lines, at=now)
        subscription.status = services._status_for(items, now)
        subscription.save()
        after = services.subscription_render(subscription)
        previous = {k: v for k, v in before.items() if after.get(k) != v}
        if whole:
            services._record(
                subscription, "customer.subscription.resumed", actor, previous=previous
            )
        else:
            services._record(
                subscription, "customer.subscription.updated", actor, previous=previous
            )
    return _collect_after(Outcome(subscription, invoice), actor)


def lifecycle_due(*, limit: int = 10_000) -> dict[str, int]:
    """Beat: items whose trial has ended and subscriptions whose cancel_at has come (customers on
    the real clock; test clocks step their own)."""
    now = clock.now()
    trials = (
        SubscriptionItem.objects.filter(
            deleted_at__isnull=True,
            trial_settled_at__isnull=True,
            trial_end__lte=now,
            subscription__customer__test_clock_id__isnull=True,
        )
        .values_list("subscription_id", flat=True)
        .distinct()
    )
    settled = 0
    for subscription_id in list(trials[:limit]):
        subscription_trials_settle_due(subscription_id=subscription_id)
        settled += 1
    cancels = Subscription.objects.filter(
        cancel_at__lte=now, customer__test_clock_id__isnull=True
    ).exclude(status__in=ENDED)
    canceled = 0
    for subscription_id in list(cancels.values_list("id", flat=True)[:limit]):
        if subscription_cancel_scheduled(subscription_id=subscription_id) is not None:
            canceled += 1
    return {"trials_settled": settled, "canceled": canceled}


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
    services = _services()
    with transaction.atomic():
        subscription = _locked(subscription_id, account)
        if subscription.status not in services.RENEWABLE:
            raise InvalidRequestError(
                f"A {subscription.status} subscription's trial cannot be changed.",
                param="trial_end",
            )
        now = clock.now(test_clock_id=subscription.customer.test_clock_id)
        items = _billing_items(subscription)
        discount = _discount_at(subscription, now)
        old = [
            item_terms(item, currency=subscription.currency, on=now, discount=discount)
            for item in items
        ]
        before = services.subscription_render(subscription)
        invoice = None
        if trial_end == "now":
            if not any(terms.trialing_at(now) for terms in old):
                raise InvalidRequestError("The subscription is not in a trial.", param="trial_end")
            for item in items:
                if item.trial_end is not None and item.trial_end > now:
                    item.trial_end = item.trial_settled_at = now
                    item.save(update_fields=["trial_end", "trial_settled_at", "updated_at"])
            subscription.trial_end = now
            subscription.status = SubscriptionStatus.ACTIVE
            invoice = services._anchor_reset(
                subscription,
                old=old,
                new=[item_terms(item, currency=subscription.currency, on=now) for item in items],
                interval=(subscription.interval, subscription.interval_count),
                at=now,
                prorate=proration_behavior != "none",
                actor=actor,
            )
        else:
            if trial_end <= now:
                raise InvalidRequestError("trial_end must be in the future.", param="trial_end")
            period = (subscription.current_period_start, subscription.current_period_end)
            credits = (
                changes_lines(
                    [(terms, None) for terms in old],
                    period=period,
                    at=now,
                    currency=subscription.currency,
                    choices=stage_choices(subscription.account),
                )
                if proration_behavior != "none"
                else []
            )
            services._prorations_pend(subscription, credits, at=now)
            for item in items:
                item.trial_end, item.trial_settled_at = trial_end, None
                item.save(update_fields=["trial_end", "trial_settled_at", "updated_at"])
            subscription.trial_start = subscription.trial_start or now
            subscription.trial_end = trial_end
            subscription.billing_cycle_anchor = trial_end
            subscription.current_period_start, subscription.current_period_end = now, trial_end
            subscription.status = SubscriptionStatus.TRIALING
            subscription.save()
            after = services.subscription_render(subscription)
            previous = {k: v for k, v in before.items() if after.get(k) != v}
            services._record(
                subscription, "customer.subscription.updated", actor, previous=previous
            )
    return _collect_after(Outcome(subscription, invoice), actor)


def subscription_anchor_reset(
    *, account: Account, subscription_id: str, actor: Actor, proration_behavior: str
) -> Subscription:
    """``billing_cycle_anchor=now`` on update: the cycle restarts now and its first period is
    billed at once, the unused rest of the current one credited unless not prorating."""
    services = _services()
    with transaction.atomic():
        subscription = _locked(subscription_id, account)
        if subscription.status not in services.RENEWABLE:
            raise InvalidRequestError(
                f"A {subscription.status} subscription's billing cycle cannot be reset.",
                param="billing_cycle_anchor",
            )
        now = clock.now(test_clock_id=subscription.customer.test_clock_id)
        # The credits bake in the discount; the new period's charge is discounted on the invoice.
        discount = _discount_at(subscription, now)
        terms = [
            item_terms(item, currency=subscription.currency, on=now, discount=discount)
            for item in _billing_items(subscription)
        ]
        invoice = services._anchor_reset(
            subscription,
            old=terms,
            new=terms,
            interval=(subscription.interval, subscription.interval_count),
            at=now,
            prorate=proration_behavior != "none",
            actor=actor,
        )
    return _collect_after(Outcome(subscription, invoice), actor)
