"""Subscription writes: create, change an item's price or quantity (with prorations), renew.

Lines always come from the pure planner (apps.invoices.engine.planner); invoices from
apps.invoices.services. A renewal locks the subscription and re-checks that it is due, and the
invoice lines' unique keys make a second invoice for one period impossible.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from apps.accounts.audit import change_record
from apps.accounts.models import Account
from apps.catalog.models import Price
from apps.core import clock
from apps.core.actor import SYSTEM, Actor
from apps.core.api.params import get_bool, get_int, get_metadata, get_str, metadata_merge
from apps.core.errors import ApplicationError, InvalidRequestError
from apps.customers.models import Customer, PaymentMethod
from apps.invoices.discounts import discount_apply
from apps.invoices.engine.periods import boundary, period_containing
from apps.invoices.engine.planner import change_lines, cycle_lines
from apps.invoices.models import InvoiceItem
from apps.invoices.services import (
    AlreadyInvoiced,
    invoice_finalize,
    invoice_from_lines,
    invoice_pay,
    item_terms,
)
from apps.subscriptions.enums import SubscriptionStatus
from apps.subscriptions.models import Subscription, SubscriptionItem

PRORATION_BEHAVIORS = ("create_prorations", "always_invoice", "none")


@dataclass(frozen=True)
class ItemRequest:
    price: Price
    quantity: int = 1
    trial_end: datetime | None = None
    custom_unit_amount: int | None = None


def subscription_render(subscription: Subscription) -> dict:
    items = list(subscription.items.filter(deleted_at__isnull=True).order_by("id"))
    return {
        "id": subscription.id,
        "object": "subscription",
        "billing_cycle_anchor": clock.to_epoch(subscription.billing_cycle_anchor),
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
        "discounts": list(
            subscription.discounts.filter(removed_at__isnull=True).values_list("id", flat=True)
        ),
        "latest_invoice": subscription.latest_invoice_id,
        "metadata": subscription.metadata,
        "status": subscription.status,
        "trial_end": clock.to_epoch(subscription.trial_end),
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


def _active_items(subscription: Subscription) -> list[SubscriptionItem]:
    return list(
        subscription.items.filter(deleted_at__isnull=True)
        .select_related("price__product", "price__account")
        .order_by("id")
    )


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
        )
        for line in lines
    )


def _status_for(items: list[SubscriptionItem], at: datetime) -> str:
    trialing = all(item.trial_end is not None and item.trial_end > at for item in items)
    return SubscriptionStatus.TRIALING if trialing else SubscriptionStatus.ACTIVE


def _collect(subscription: Subscription, invoice, actor: Actor) -> bool:
    """Finalize and, when charging automatically, pay. False when an automatic payment failed
    (an invoice sent to the customer is not a failure before its due date)."""
    invoice = invoice_finalize(invoice_id=invoice.id, account=subscription.account, actor=actor)
    if invoice.status == "paid" or subscription.collection_method != "charge_automatically":
        return True
    try:
        invoice_pay(invoice_id=invoice.id, account=subscription.account, actor=actor)
    except ApplicationError:
        return False
    return True


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
) -> Subscription:
    if not items:
        raise InvalidRequestError(
            "Missing required param: items.", param="items", code="parameter_missing"
        )
    if len(items) > 20:
        raise InvalidRequestError("A subscription has at most 20 items.", param="items")
    first = items[0].price
    for index, item in enumerate(items):
        recurring = item.price.recurring
        if recurring is None:
            raise InvalidRequestError(
                "A subscription item needs a recurring price.", param=f"items[{index}][price]"
            )
        if (recurring["interval"], recurring["interval_count"]) != (
            first.recurring["interval"],
            first.recurring["interval_count"],
        ) or item.price.currency != first.currency:
            raise InvalidRequestError(
                "All items of a subscription share one currency and billing interval.",
                param=f"items[{index}][price]",
            )
    now = clock.now(test_clock_id=customer.test_clock_id)
    interval, count = first.recurring["interval"], first.recurring["interval_count"]
    period = (now, boundary(now, interval, count, 1))
    with transaction.atomic():
        subscription = Subscription.objects.create(
            account=account,
            customer=customer,
            status=SubscriptionStatus.INCOMPLETE,
            currency=first.currency,
            interval=interval,
            interval_count=count,
            billing_cycle_anchor=now,
            current_period_start=period[0],
            current_period_end=period[1],
            collection_method=collection_method,
            days_until_due=days_until_due,
            metadata=metadata or {},
            created_at=now,
        )
        rows = [
            SubscriptionItem.objects.create(
                account=account,
                subscription=subscription,
                price=item.price,
                quantity=item.quantity,
                trial_end=item.trial_end,
                custom_unit_amount=item.custom_unit_amount,
                created_at=now,
            )
            for item in items
        ]
        trial_ends = [row.trial_end for row in rows if row.trial_end]
        if trial_ends and len(trial_ends) == len(rows):
            subscription.trial_start, subscription.trial_end = now, max(trial_ends)
        if coupon_id or promotion_code:
            discount_apply(
                account=account,
                customer=customer,
                subscription=subscription,
                actor=actor,
                coupon_id=coupon_id,
                promotion_code=promotion_code,
            )
        lines = cycle_lines(
            [
                item_terms(row, currency=subscription.currency, on=now)
                for row in _active_items(subscription)
            ],
            previous=None,
            period=period,
        )
        invoice = invoice_from_lines(
            subscription=subscription,
            lines=lines,
            period=period,
            billing_reason="subscription_create",
            actor=actor,
        )
        subscription.status = _status_for(rows, now)
        subscription.save()
        _record(subscription, "customer.subscription.created", actor)
    if invoice is not None and not _collect(subscription, invoice, actor):
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
    """Change an item's price or quantity mid-period; prorations per ``proration_behavior``."""
    if proration_behavior not in PRORATION_BEHAVIORS:
        raise InvalidRequestError(
            f"proration_behavior is one of {', '.join(PRORATION_BEHAVIORS)}.",
            param="proration_behavior",
        )
    with transaction.atomic():
        item = (
            SubscriptionItem.objects.select_for_update()
            .select_related("subscription__customer", "subscription__account", "price__product")
            .get(account=account, id=item_id, deleted_at__isnull=True)
        )
        subscription = (
            Subscription.objects.select_for_update()
            .select_related("customer", "account")
            .get(pk=item.subscription_id)
        )
        now = clock.now(test_clock_id=subscription.customer.test_clock_id)
        at = proration_date or now
        period = (subscription.current_period_start, subscription.current_period_end)
        if not period[0] <= at <= period[1]:
            raise InvalidRequestError(
                "proration_date must lie within the current period.", param="proration_date"
            )
        old = item_terms(item, currency=subscription.currency, on=at)
        if price is not None:
            item.price = price
            if quantity is None:
                quantity = 1  # as Stripe: a new price without a quantity resets it to 1
        if quantity is not None:
            item.quantity = quantity
        item.save()
        new = item_terms(item, currency=subscription.currency, on=at)
        lines = [] if proration_behavior == "none" else change_lines(old, new, period=period, at=at)
        _prorations_pend(subscription, lines, at=now)
        _record(subscription, "customer.subscription.updated", actor)
        invoice = None
        if proration_behavior == "always_invoice" and lines:
            invoice = invoice_from_lines(
                subscription=subscription,
                lines=[],
                period=(at, period[1]),
                billing_reason="subscription_update",
                actor=actor,
            )
    if invoice is not None:
        _collect(subscription, invoice, actor)
    return item


def subscription_item_add(
    *,
    account: Account,
    subscription_id: str,
    request: ItemRequest,
    actor: Actor,
    proration_behavior: str = "create_prorations",
) -> SubscriptionItem:
    """Add an item mid-period; an item with its own trial prorates nothing until it ends."""
    with transaction.atomic():
        subscription = (
            Subscription.objects.select_for_update(of=("self",))
            .select_related("customer", "account")
            .get(account=account, id=subscription_id)
        )
        recurring = request.price.recurring or {}
        if (recurring.get("interval"), recurring.get("interval_count")) != (
            subscription.interval,
            subscription.interval_count,
        ) or request.price.currency != subscription.currency:
            raise InvalidRequestError(
                "The price must share the subscription's currency and interval.", param="price"
            )
        now = clock.now(test_clock_id=subscription.customer.test_clock_id)
        item = SubscriptionItem.objects.create(
            account=account,
            subscription=subscription,
            price=request.price,
            quantity=request.quantity,
            trial_end=request.trial_end,
            custom_unit_amount=request.custom_unit_amount,
            created_at=now,
        )
        period = (subscription.current_period_start, subscription.current_period_end)
        lines = (
            []
            if proration_behavior == "none"
            else change_lines(
                None,
                item_terms(item, currency=subscription.currency, on=now),
                period=period,
                at=now,
            )
        )
        _prorations_pend(subscription, lines, at=now)
        _record(subscription, "customer.subscription.updated", actor)
    return item


def subscription_renew(*, subscription_id: str, actor: Actor = SYSTEM) -> Subscription | None:
    """Invoice the next period of a subscription that is due; a no-op when not due (or done)."""
    with transaction.atomic():
        subscription = (
            Subscription.objects.select_for_update(of=("self",))
            .select_related("customer", "account")
            .get(id=subscription_id)
        )
        now = clock.now(test_clock_id=subscription.customer.test_clock_id)
        if subscription.current_period_end > now or subscription.status in (
            SubscriptionStatus.CANCELED,
            SubscriptionStatus.INCOMPLETE_EXPIRED,
        ):
            return None
        if subscription.cancel_at_period_end:
            ended = {"status": subscription.status}
            subscription.status = SubscriptionStatus.CANCELED
            subscription.ended_at = subscription.current_period_end
            subscription.save()
            _record(subscription, "customer.subscription.deleted", actor, previous=ended)
            return subscription
        previous = (subscription.current_period_start, subscription.current_period_end)
        period = period_containing(
            subscription.billing_cycle_anchor,
            subscription.interval,
            subscription.interval_count,
            previous[1],
        )
        items = _active_items(subscription)
        lines = cycle_lines(
            [item_terms(item, currency=subscription.currency, on=period[0]) for item in items],
            previous=previous,
            period=period,
        )
        try:
            invoice = invoice_from_lines(
                subscription=subscription,
                lines=lines,
                period=period,
                billing_reason="subscription_cycle",
                actor=actor,
            )
        except AlreadyInvoiced:
            return None
        before = {
            "current_period_start": clock.to_epoch(previous[0]),
            "current_period_end": clock.to_epoch(previous[1]),
            "status": subscription.status,
        }
        subscription.current_period_start, subscription.current_period_end = period
        subscription.status = _status_for(items, period[0])
        subscription.save()
        _record(subscription, "customer.subscription.updated", actor, previous=before)
    if invoice is not None and not _collect(subscription, invoice, actor):
        with transaction.atomic():
            subscription.status = SubscriptionStatus.PAST_DUE
            subscription.save(update_fields=["status", "updated_at"])
            _record(
                subscription,
                "customer.subscription.updated",
                actor,
                previous={"status": SubscriptionStatus.ACTIVE},
            )
    return subscription


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
    *, account: Account, subscription_id: str, details: dict, actor: Actor
) -> Subscription:
    """Cancel at once; pending prorations of the subscription are dropped (Stripe's default)."""
    feedback = details.get("feedback") or None
    if feedback is not None and feedback not in FEEDBACK:
        raise InvalidRequestError(
            f"cancellation_details[feedback] is one of {', '.join(FEEDBACK)}.",
            param="cancellation_details[feedback]",
        )
    comment = str(details.get("comment") or "")[:5000] or None
    with transaction.atomic():
        subscription = (
            Subscription.objects.select_for_update(of=("self",))
            .select_related("customer", "account")
            .get(account=account, id=subscription_id)
        )
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
            "reason": "cancellation_requested",
        }
        subscription.save()
        InvoiceItem.objects.filter(
            account=account, subscription_id=subscription.id, invoice__isnull=True, proration=True
        ).delete()
        _record(subscription, "customer.subscription.deleted", actor, previous=previous)
    return subscription


COLLECTION_METHODS = ("charge_automatically", "send_invoice")


def subscription_update_settings(
    *, account: Account, subscription_id: str, params: dict, actor: Actor
) -> Subscription:
    """Fields that change no amounts: cancel at period end (with its reason), collection method
    and due days, the default payment method, metadata."""
    with transaction.atomic():
        subscription = (
            Subscription.objects.select_for_update(of=("self",))
            .select_related("customer", "account")
            .get(account=account, id=subscription_id)
        )
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


def subscription_item_delete(
    *, account: Account, item_id: str, actor: Actor, proration_behavior: str = "create_prorations"
) -> None:
    """Remove an item; its unused time is credited unless ``proration_behavior`` is none. The
    last item cannot be removed (cancel the subscription instead)."""
    with transaction.atomic():
        item = (
            SubscriptionItem.objects.select_for_update()
            .select_related("price__product")
            .get(account=account, id=item_id, deleted_at__isnull=True)
        )
        subscription = (
            Subscription.objects.select_for_update(of=("self",))
            .select_related("customer", "account")
            .get(pk=item.subscription_id)
        )
        if subscription.items.filter(deleted_at__isnull=True).count() == 1:
            raise InvalidRequestError(
                "A subscription keeps at least one item: cancel it instead.", param="id"
            )
        now = clock.now(test_clock_id=subscription.customer.test_clock_id)
        period = (subscription.current_period_start, subscription.current_period_end)
        lines = (
            []
            if proration_behavior == "none"
            else change_lines(
                item_terms(item, currency=subscription.currency, on=now),
                None,
                period=period,
                at=now,
            )
        )
        _prorations_pend(subscription, lines, at=now)
        item.deleted_at = now
        item.save(update_fields=["deleted_at", "updated_at"])
        _record(subscription, "customer.subscription.updated", actor)
