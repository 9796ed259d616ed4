"""Subscription writes: create, change an item's price or quantity (with prorations), renew.

Lines always come from the pure planner (apps.invoices.engine.planner); invoices from
apps.invoices.services. A renewal locks the subscription and re-checks that it is due, and the
invoice lines' unique keys make a second invoice for one period impossible.
"""

from datetime import datetime

from django.db import transaction

from apps.accounts.audit import change_record
from apps.accounts.models import Account
from apps.catalog.models import Price
from apps.core import clock
from apps.core.actor import SYSTEM, Actor
from apps.core.api.params import (
    get_bool,
    get_int,
    get_metadata,
    get_str,
    get_timestamp,
    metadata_merge,
)
from apps.core.errors import CardError, InvalidRequestError, ResourceMissingError
from apps.core.locks import row_lock
from apps.customers.models import Customer, PaymentMethod
from apps.invoices.discounts import discount_apply, discount_period_used
from apps.invoices.engine.periods import boundary
from apps.invoices.engine.planner import reset_lines
from apps.invoices.engine.stages import Choices
from apps.invoices.engine.staging import changes_lines, stages_recorded
from apps.invoices.models import Invoice, InvoiceItem
from apps.invoices.services import (
    invoice_finalize,
    invoice_from_lines,
    invoice_void,
    item_terms,
)
from apps.invoices.stage_choices import stage_choices
from apps.subscriptions.changes import ItemChange, change_plan
from apps.subscriptions.collection import invoices_collect, subscriptions_past_due
from apps.subscriptions.enums import SubscriptionStatus
from apps.subscriptions.lifecycle import MISSING_PAYMENT_METHOD
from apps.subscriptions.models import Subscription, SubscriptionItem
from apps.subscriptions.planning import (
    PRORATION_BEHAVIORS,
    ItemRequest,
    create_plan,
    first_lines,
    starts_at_check,
)

# The statuses a renewal bills (paused, canceled and expired ones do not renew).
RENEWABLE = (SubscriptionStatus.ACTIVE, SubscriptionStatus.TRIALING, SubscriptionStatus.PAST_DUE)
PAYMENT_BEHAVIORS = ("allow_incomplete", "default_incomplete", "error_if_incomplete")
PAUSE_BEHAVIORS = ("keep_as_draft", "mark_uncollectible", "void")
COLLECTION_METHODS = ("charge_automatically", "send_invoice")


def subscription_render(
    subscription: Subscription,
    *,
    items: list[SubscriptionItem] | None = None,
    discount_ids: list[str] | None = None,
) -> dict:
    """The API object; ``items`` (not removed, in id order) and ``discount_ids`` (not removed)
    when the caller loaded them for many subscriptions at once."""
    if items is None:
        items = list(subscription.items.filter(deleted_at__isnull=True).order_by("id"))
    if discount_ids is None:
        discount_ids = list(
            subscription.discounts.filter(removed_at__isnull=True).values_list("id", flat=True)
        )
    return {
        "id": subscription.id,
        "object": "subscription",
        "billing_cycle_anchor": clock.to_epoch(subscription.billing_cycle_anchor),
        "cancel_at": clock.to_epoch(
            subscription.current_period_end
            if subscription.cancel_at_period_end
            else subscription.cancel_at
        ),
        "cancel_at_period_end": subscription.cancel_at_period_end,
        "canceled_at": clock.to_epoch(subscription.canceled_at),
        "cancellation_details": subscription.cancellation_details or None,
        "ended_at": clock.to_epoch(subscription.ended_at),
        "collection_method": subscription.collection_method,
        "days_until_due": subscription.days_until_due,
        "default_payment_method": subscription.default_payment_method_id,
        "created": clock.to_epoch(subscription.created_at),
        "currency": subscription.currency,
        "current_period_end": clock.to_epoch(subscription.current_period_end),
        "current_period_start": clock.to_epoch(subscription.current_period_start),
        "customer": subscription.customer_id,
        "items": {
            "object": "list",
            "data": [subscription_item_render(item, subscription=subscription) for item in items],
            "has_more": False,
            "url": f"/v1/subscription_items?subscription={subscription.id}",
        },
        "discounts": list(discount_ids),
        "latest_invoice": subscription.latest_invoice_id,
        "metadata": subscription.metadata,
        "pause_collection": subscription.pause_collection,
        "status": subscription.status,
        "trial_end": clock.to_epoch(subscription.trial_end),
        "trial_settings": {
            "end_behavior": {
                "missing_payment_method": (
                    (subscription.trial_settings or {}).get("end_behavior") or {}
                ).get("missing_payment_method", "create_invoice")
            }
        },
        "trial_start": clock.to_epoch(subscription.trial_start),
    }


def subscription_item_render(
    item: SubscriptionItem, *, subscription: Subscription | None = None
) -> dict:
    subscription = subscription or item.subscription
    return {
        "id": item.id,
        "object": "subscription_item",
        "created": clock.to_epoch(item.created_at),
        "current_period_end": clock.to_epoch(subscription.current_period_end),
        "current_period_start": clock.to_epoch(subscription.current_period_start),
        "metadata": item.metadata,
        "price": item.price_id,
        "quantity": item.quantity,
        "subscription": item.subscription_id,
        "trial_end": clock.to_epoch(item.trial_end),
    }


def _record(subscription: Subscription, type: str, actor: Actor, previous=None) -> None:
    change_record(
        account=subscription.account,
        actor=actor,
        type=type,
        object_type="subscription",
        data_object=subscription_render(subscription),
        previous=previous,
    )


def item_bills(item: SubscriptionItem) -> bool:
    """Whether an item not removed bills: a paused one does not (apps.subscriptions.lifecycle).
    The one rule: ``_active_items`` and the batch renewals (apps.subscriptions.renewals, which
    load many subscriptions' items at once) both choose by it."""
    return item.paused_at is None


def _active_items(subscription: Subscription) -> list[SubscriptionItem]:
    """The items that bill (``item_bills``), in id order."""
    items = (
        subscription.items.filter(deleted_at__isnull=True)
        .select_related("price__product", "price__account")
        .order_by("id")
    )
    return [item for item in items if item_bills(item)]


def _prorations_pend(subscription: Subscription, lines: list, *, at: datetime) -> None:
    """Proration lines wait as pending invoice items for the next invoice (or the one made now)."""
    InvoiceItem.objects.bulk_create(
        InvoiceItem(
            account=subscription.account,
            customer=subscription.customer,
            subscription_id=subscription.id,
            subscription_item_id=line.item_id,
            price_id=line.price_id,
            kind=line.kind,
            amount=line.amount,
            currency=subscription.currency,
            quantity=line.quantity,
            period_start=line.period_start,
            period_end=line.period_end,
            proration=True,
            description=line.description,
            created_at=at,
            stages=stages_recorded([line.stage]),
        )
        for line in lines
    )


def _status_for(items: list[SubscriptionItem], at: datetime) -> str:
    trialing = all(item.trial_end is not None and item.trial_end > at for item in items)
    return SubscriptionStatus.TRIALING if trialing else SubscriptionStatus.ACTIVE


def subscription_pending_prorations_drop(subscription: Subscription) -> None:
    """Pending prorations die with the subscription (Stripe's default on cancel)."""
    InvoiceItem.objects.filter(
        account=subscription.account,
        subscription_id=subscription.id,
        invoice__isnull=True,
        proration=True,
    ).delete()


def subscription_invoice_collect(subscription: Subscription, invoice, actor: Actor) -> None:
    """After the transaction that made ``invoice``: finalize and collect it; a failed automatic
    payment leaves the subscription past_due."""
    if not _collect(subscription, invoice, actor):
        subscriptions_past_due(subscription_ids={subscription.id}, actor=actor)
        subscription.refresh_from_db(fields=["status", "updated_at"])


def _collect(subscription: Subscription, invoice, actor: Actor, choices=None) -> bool:
    """Finalize and, when charging automatically, pay (apps.subscriptions.collection, the batch
    of one). False when an automatic payment failed (an invoice sent to the customer is not a
    failure before its due date)."""
    invoice = Invoice.objects.select_related("customer", "account", "subscription").get(
        pk=invoice.pk
    )
    collected = invoices_collect(
        account=subscription.account, invoices=[invoice], actor=actor, choices=choices
    )
    return invoice.id not in collected.failed


def subscription_create(
    *,
    account: Account,
    customer: Customer,
    items: list[ItemRequest],
    actor: Actor,
    collection_method: str = "charge_automatically",
    days_until_due: int | None = None,
    metadata: dict[str, str] | None = None,
    coupon_id: str | None = None,
    promotion_code: str | None = None,
    payment_behavior: str = "allow_incomplete",
    trial_settings: dict | None = None,
    trial_end: datetime | None = None,
    billing_cycle_anchor: datetime | None = None,
    proration_behavior: str = "create_prorations",
    starts_at: datetime | None = None,
    choices: Choices | None = None,
) -> Subscription:
    """Create and bill the first invoice (apps.subscriptions.planning decides what), the
    billing stages run as ``choices`` (None: the account's) chooses.

    ``starts_at`` pins the start to a moment shortly before now (a dashboard page's preview
    time), so the creation bills exactly what the preview showed."""
    if payment_behavior not in PAYMENT_BEHAVIORS:
        raise InvalidRequestError(
            f"payment_behavior is one of {', '.join(PAYMENT_BEHAVIORS)}.", param="payment_behavior"
        )
    if collection_method not in COLLECTION_METHODS:
        raise InvalidRequestError(
            f"collection_method is one of {', '.join(COLLECTION_METHODS)}.",
            param="collection_method",
        )
    starts_at = starts_at_check(starts_at, now=clock.now(test_clock_id=customer.test_clock_id))
    plan = create_plan(
        items=items,
        starts_at=starts_at,
        trial_end=trial_end,
        billing_cycle_anchor=billing_cycle_anchor,
        proration_behavior=proration_behavior,
    )
    with transaction.atomic():
        subscription = Subscription.objects.create(
            account=account,
            customer=customer,
            status=SubscriptionStatus.INCOMPLETE,
            currency=plan.currency,
            interval=plan.interval,
            interval_count=plan.interval_count,
            billing_cycle_anchor=plan.anchor,
            current_period_start=plan.period[0],
            current_period_end=plan.period[1],
            collection_method=collection_method,
            days_until_due=days_until_due,
            metadata=metadata or {},
            trial_settings=trial_settings or {},
            created_at=starts_at,
        )
        rows = [
            SubscriptionItem.objects.create(
                account=account,
                subscription=subscription,
                price=item.price,
                quantity=item.quantity,
                trial_end=item_trial_end,
                custom_unit_amount=item.custom_unit_amount,
                created_at=starts_at,
            )
            for item, item_trial_end in zip(items, plan.item_trial_ends, strict=True)
        ]
        if plan.trial is not None:
            subscription.trial_start, subscription.trial_end = plan.trial
        if coupon_id or promotion_code:
            discount_apply(
                account=account,
                customer=customer,
                subscription=subscription,
                actor=actor,
                coupon_id=coupon_id,
                promotion_code=promotion_code,
            )
        # In the request's order, as the preview plans them.
        choices = stage_choices(account) if choices is None else choices
        lines = first_lines(
            plan,
            [item_terms(row, currency=plan.currency, on=starts_at) for row in rows],
            choices=choices,
        )
        invoice = invoice_from_lines(
            subscription=subscription,
            lines=lines,
            period=plan.period,
            billing_reason="subscription_create",
            actor=actor,
            choices=choices,
        )
        discount_period_used(
            customer=customer,
            subscription=subscription,
            at=clock.now(test_clock_id=customer.test_clock_id),
        )
        subscription.status = plan.status
        subscription.save()
        _record(subscription, "customer.subscription.created", actor)
    if invoice is not None and payment_behavior == "default_incomplete":
        # The first invoice is finalized and left for the customer to pay (e.g. on a page).
        invoice_finalize(invoice_id=invoice.id, account=account, actor=actor, choices=choices)
        with transaction.atomic():
            subscription.status = SubscriptionStatus.INCOMPLETE
            subscription.save(update_fields=["status", "updated_at"])
            _record(
                subscription,
                "customer.subscription.updated",
                actor,
                previous={"status": SubscriptionStatus.ACTIVE},
            )
        return subscription
    if invoice is not None and not _collect(subscription, invoice, actor, choices):
        if payment_behavior == "error_if_incomplete":
            # As if it had not been created: the invoice is voided, the subscription expires.
            invoice_void(account=account, invoice_id=invoice.id, actor=actor)
            with transaction.atomic():
                subscription.status = SubscriptionStatus.INCOMPLETE_EXPIRED
                subscription.ended_at = clock.now(test_clock_id=customer.test_clock_id)
                subscription.save(update_fields=["status", "ended_at", "updated_at"])
                _record(
                    subscription,
                    "customer.subscription.deleted",
                    actor,
                    previous={"status": SubscriptionStatus.ACTIVE},
                )
            raise CardError(
                "The first payment failed, so the subscription was not created.",
                code="card_declined",
                extra={"decline_code": "generic_decline"},
            )
        with transaction.atomic():
            subscription.status = SubscriptionStatus.INCOMPLETE
            subscription.save(update_fields=["status", "updated_at"])
            _record(
                subscription,
                "customer.subscription.updated",
                actor,
                previous={"status": SubscriptionStatus.ACTIVE},
            )
    return subscription


def subscription_items_change(
    *,
    account: Account,
    subscription_id: str,
    changes: list[ItemChange],
    actor: Actor,
    proration_behavior: str = "create_prorations",
    proration_date: datetime | None = None,
    choices: Choices | None = None,
) -> list[SubscriptionItem]:
    """Change, add and delete items at once (``items[N]`` of an update), as
    apps.subscriptions.changes plans them (with the billing stages ``choices`` choose, None:
    the account's): every proration at ``proration_date`` (else now),
    pending for the next invoice or invoiced at once with ``always_invoice``; a new interval
    (or free to paid) restarts the cycle and bills it now. Answers the changed rows, then the
    added ones (removed ones left out)."""
    with transaction.atomic():
        subscription = row_lock(
            Subscription.objects.select_related("customer", "account").filter(
                account=account, id=subscription_id
            )
        )
        if subscription is None:
            raise ResourceMissingError("subscription", subscription_id)
        now = clock.now(test_clock_id=subscription.customer.test_clock_id)
        at = proration_date or now
        choices = stage_choices(account) if choices is None else choices
        plan = change_plan(
            subscription=subscription,
            changes=changes,
            at=at,
            proration_behavior=proration_behavior,
            choices=choices,
        )
        for row in plan.updated:
            row.save(update_fields=["price", "quantity", "updated_at"])
        for row in plan.added:
            row.created_at = now
            row.save(force_insert=True)
        for row in plan.removed:
            row.deleted_at = now
            row.save(update_fields=["deleted_at", "updated_at"])
        if plan.reset is not None:
            invoice = _cycle_restart(
                subscription,
                lines=plan.lines,
                period=plan.reset,
                interval=plan.interval,
                actor=actor,
                choices=choices,
            )
        else:
            invoice = _prorate_change(
                subscription, plan.lines, proration_behavior, at, now, actor, choices
            )
    if invoice is not None:
        _collect(subscription, invoice, actor, choices)
    return [*plan.updated, *plan.added]


def subscription_item_update(
    *,
    account: Account,
    item_id: str,
    actor: Actor,
    price: Price | None = None,
    quantity: int | None = None,
    proration_behavior: str = "create_prorations",
    proration_date: datetime | None = None,
) -> SubscriptionItem:
    """Change an item's price or quantity mid-period (``subscription_items_change``)."""
    subscription_items_change(
        account=account,
        subscription_id=_subscription_of(account, item_id),
        changes=[ItemChange(item_id=item_id, price=price, quantity=quantity)],
        proration_behavior=proration_behavior,
        proration_date=proration_date,
        actor=actor,
    )
    return SubscriptionItem.objects.select_related("subscription").get(account=account, id=item_id)


def subscription_item_add(
    *,
    account: Account,
    subscription_id: str,
    request: ItemRequest,
    actor: Actor,
    proration_behavior: str = "create_prorations",
    proration_date: datetime | None = None,
) -> SubscriptionItem:
    """Add an item mid-period (``subscription_items_change``); an item with its own trial
    prorates nothing until it ends."""
    (item,) = subscription_items_change(
        account=account,
        subscription_id=subscription_id,
        changes=[
            ItemChange(
                item_id=None,
                price=request.price,
                quantity=request.quantity,
                trial_end=request.trial_end,
                custom_unit_amount=request.custom_unit_amount,
            )
        ],
        proration_behavior=proration_behavior,
        proration_date=proration_date,
        actor=actor,
    )
    return item


def subscription_item_delete(
    *,
    account: Account,
    item_id: str,
    actor: Actor,
    proration_behavior: str = "create_prorations",
    proration_date: datetime | None = None,
    clear_usage: bool = False,
) -> None:
    """Remove an item (``subscription_items_change``); its unused time is credited unless
    ``proration_behavior`` is none. The last item cannot be removed (cancel the subscription
    instead)."""
    subscription_items_change(
        account=account,
        subscription_id=_subscription_of(account, item_id),
        changes=[ItemChange(item_id=item_id, deleted=True, clear_usage=clear_usage)],
        proration_behavior=proration_behavior,
        proration_date=proration_date,
        actor=actor,
    )


def _subscription_of(account: Account, item_id: str) -> str:
    subscription_id = (
        SubscriptionItem.objects.filter(account=account, id=item_id, deleted_at__isnull=True)
        .values_list("subscription_id", flat=True)
        .first()
    )
    if subscription_id is None:
        raise ResourceMissingError("subscription_item", item_id)
    return subscription_id


def _anchor_reset(subscription, *, old, new, interval, at, prorate, actor, choices=None):
    """A new interval (or free to paid) restarts the cycle at ``at`` and bills it at once: the
    unused old time credited (``billing.prorations``), the first new period charged
    (engine.planner.reset_lines)."""
    choices = stage_choices(subscription.account) if choices is None else choices
    period = (subscription.current_period_start, subscription.current_period_end)
    new_period = (at, boundary(at, interval[0], interval[1], 1))
    credits = (
        changes_lines(
            [(terms, None) for terms in old],
            period=period,
            at=at,
            currency=subscription.currency,
            choices=choices,
        )
        if prorate
        else []
    )
    lines = credits + reset_lines(
        old, new, period=period, at=at, new_period=new_period, prorate_old=False
    )
    return _cycle_restart(
        subscription,
        lines=lines,
        period=new_period,
        interval=interval,
        actor=actor,
        choices=choices,
    )


def _cycle_restart(subscription, *, lines, period, interval, actor, choices=None):
    """The cycle restarts with ``period`` (at the change) and ``lines`` are invoiced now."""
    before = {
        "billing_cycle_anchor": clock.to_epoch(subscription.billing_cycle_anchor),
        "current_period_start": clock.to_epoch(subscription.current_period_start),
        "current_period_end": clock.to_epoch(subscription.current_period_end),
    }
    subscription.interval, subscription.interval_count = interval
    subscription.billing_cycle_anchor = period[0]
    subscription.current_period_start, subscription.current_period_end = period
    subscription.save()
    _record(subscription, "customer.subscription.updated", actor, previous=before)
    return invoice_from_lines(
        subscription=subscription,
        lines=lines,
        period=period,
        billing_reason="subscription_update",
        actor=actor,
        choices=choices,
    )


def _prorate_change(subscription, lines, proration_behavior, at, now, actor, choices=None):
    """A change's proration lines inside the period: pending for the next invoice, or invoiced
    at once with ``always_invoice``."""
    period = (subscription.current_period_start, subscription.current_period_end)
    _prorations_pend(subscription, lines, at=now)
    _record(subscription, "customer.subscription.updated", actor)
    if proration_behavior != "always_invoice" or not lines:
        return None
    return invoice_from_lines(
        subscription=subscription,
        lines=[],
        period=(at, period[1]),
        billing_reason="subscription_update",
        actor=actor,
        choices=choices,
    )


def subscription_renew(
    *, subscription_id: str, actor: Actor = SYSTEM, choices: Choices | None = None
) -> Subscription | None:
    """Invoice the next period of a subscription that is due; a no-op when not due (or done).
    The batch renewal of one (apps.subscriptions.renewals), waiting for the row lock."""
    from apps.subscriptions.renewals import subscriptions_renew_and_collect

    renewed = subscriptions_renew_and_collect(
        subscription_ids=[subscription_id], actor=actor, skip_locked=False, choices=choices
    )
    return renewed[0] if renewed else None


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


def subscription_cancel(
    *,
    account: Account,
    subscription_id: str,
    details: dict,
    actor: Actor,
    reason: str = "cancellation_requested",
) -> Subscription:
    """Cancel at once; pending prorations of the subscription are dropped (Stripe's default).
    ``reason``: cancellation_details.reason (``payment_failed`` when dunning ends it)."""
    feedback = details.get("feedback") or None
    if feedback is not None and feedback not in FEEDBACK:
        raise InvalidRequestError(
            f"cancellation_details[feedback] is one of {', '.join(FEEDBACK)}.",
            param="cancellation_details[feedback]",
        )
    comment = str(details.get("comment") or "")[:5000] or None
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
        previous = {"status": subscription.status}
        subscription.status = SubscriptionStatus.CANCELED
        subscription.canceled_at = subscription.ended_at = now
        subscription.cancellation_details = {
            "comment": comment,
            "feedback": feedback,
            "reason": reason,
        }
        subscription.cancel_at = None
        subscription.save()
        subscription_pending_prorations_drop(subscription)
        _record(subscription, "customer.subscription.deleted", actor, previous=previous)
    return subscription


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
            ending = bool(get_bool(params, "cancel_at_period_end"))
            details = params.get("cancellation_details") or {}
            feedback = details.get("feedback") if isinstance(details, dict) else None
            if feedback and feedback not in FEEDBACK:
                raise InvalidRequestError(
                    f"cancellation_details[feedback] is one of {', '.join(FEEDBACK)}.",
                    param="cancellation_details[feedback]",
                )
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
        if "cancel_at" in params:
            raw = params["cancel_at"]
            if raw in ("", None):
                subscription.cancel_at = None
                if not subscription.cancel_at_period_end:
                    subscription.canceled_at = None
                    subscription.cancellation_details = {}
            else:
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
                if details.get("feedback") and details["feedback"] not in FEEDBACK:
                    raise InvalidRequestError(
                        f"cancellation_details[feedback] is one of {', '.join(FEEDBACK)}.",
                        param="cancellation_details[feedback]",
                    )
                subscription.cancel_at = at
                subscription.cancel_at_proration = "none" if behavior == "none" else behavior
                subscription.cancel_at_period_end = False
                subscription.canceled_at = now
                subscription.cancellation_details = {
                    "comment": details.get("comment") or None,
                    "feedback": details.get("feedback") or None,
                    "reason": "cancellation_requested",
                }
        if "trial_settings" in params:
            from apps.subscriptions.lifecycle import trial_settings_parse

            subscription.trial_settings = trial_settings_parse(params["trial_settings"])
        if "pause_collection" in params:
            raw = params["pause_collection"]
            if raw in ("", None):
                subscription.pause_collection = None
            elif not isinstance(raw, dict):
                raise InvalidRequestError(
                    "Invalid hash: pause_collection", param="pause_collection"
                )
            else:
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
        subscription.metadata = metadata_merge(subscription.metadata, get_metadata(params))
        subscription.save()
        after = subscription_render(subscription)
        previous = {k: v for k, v in before.items() if after.get(k) != v}
        if previous:
            _record(subscription, "customer.subscription.updated", actor, previous=previous)
    return subscription


def billing_settings_update(*, account: Account, values: dict, actor: Actor):
    """The account's billing choices; each change is audited."""
    from apps.accounts.audit import audit_record
    from apps.invoices.services import billing_settings

    if values.get("default_proration_behavior") not in (None, *PRORATION_BEHAVIORS):
        raise InvalidRequestError(
            f"default_proration_behavior is one of {', '.join(PRORATION_BEHAVIORS)}.",
            param="default_proration_behavior",
        )
    if values.get("trial_missing_payment_method") not in (None, *MISSING_PAYMENT_METHOD):
        raise InvalidRequestError(
            f"trial_missing_payment_method is one of {', '.join(MISSING_PAYMENT_METHOD)}.",
            param="trial_missing_payment_method",
        )
    for name in ("upcoming_invoice_days", "will_be_due_days"):
        if name in values and not 0 <= int(values[name]) <= 60:
            raise InvalidRequestError(f"{name} is between 0 and 60 days.", param=name)
    with transaction.atomic():
        settings = billing_settings(account)
        settings = type(settings).objects.select_for_update().get(pk=settings.pk)
        changes = {}
        for name, value in values.items():
            if getattr(settings, name) != value:
                changes[name] = [getattr(settings, name), value]
                setattr(settings, name, value)
        settings.save()
        if changes:
            audit_record(
                account=account,
                actor=actor,
                action="billing_settings.updated",
                object_type="billing_settings",
                object_id=account.id,
                changes=changes,
            )
    return settings


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
            details={"comment": "The customer was deleted."},
            actor=SYSTEM,
        )
