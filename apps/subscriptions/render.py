"""The subscription and subscription item API objects, and the audit entry with a
subscription's event."""

from apps.accounts.audit import change_record
from apps.catalog.render import plan_or_none, price_render
from apps.core import clock
from apps.core.actor import Actor
from apps.invoices.taxes import tax_rates_rendered
from apps.subscriptions.models import Subscription, SubscriptionItem

# Where ``subscription_children_known`` keeps a new subscription's items and discount ids.
_KNOWN = "children_known"


def subscription_children_known(
    subscription: Subscription, *, items: list[SubscriptionItem], discount_ids: list[str]
) -> None:
    """The items (in id order) and discount ids ``subscription``'s creation has just written,
    kept on the instance so its renders in the same request (the creation's event, the answer)
    do not read them back. Only for an instance nothing else changes the items of."""
    subscription.__dict__[_KNOWN] = (list(items), list(discount_ids))


# Stripe's keys of features a Ledgerline subscription does not use (Connect on-behalf-of
# charges, automatic tax, schedules, billing thresholds, pending updates...), with the value
# Stripe gives a subscription that does not use them.
_UNUSED = {
    "application": None,
    "application_fee_percent": None,
    "automatic_tax": {"disabled_reason": None, "enabled": False, "liability": None},
    "billing_cycle_anchor_config": None,
    "billing_mode": {"flexible": None, "type": "classic"},
    "billing_schedules": [],
    "billing_thresholds": None,
    "customer_account": None,
    "default_source": None,
    "description": None,
    "invoice_settings": {
        "account_tax_ids": None,
        "custom_fields": None,
        "description": None,
        "footer": None,
        "issuer": {"type": "self"},
    },
    "managed_payments": None,
    "next_pending_invoice_item_invoice": None,
    "on_behalf_of": None,
    "payment_settings": {
        "payment_method_options": None,
        "payment_method_types": None,
        "save_default_payment_method": "off",
    },
    "pending_invoice_item_interval": None,
    "pending_setup_intent": None,
    "pending_update": None,
    "schedule": None,
    "transfer_data": None,
}


def subscription_render(
    subscription: Subscription,
    *,
    items: list[SubscriptionItem] | None = None,
    discount_ids: list[str] | None = None,
) -> dict:
    """The API object; ``items`` (not removed, in id order) and ``discount_ids`` (not removed)
    when the caller loaded them for many subscriptions at once, or when the instance carries
    what its creation wrote (``subscription_children_known``)."""
    known = subscription.__dict__.get(_KNOWN)
    if known is not None:
        items = known[0] if items is None else items
        discount_ids = known[1] if discount_ids is None else discount_ids
    if items is None:
        items = list(
            subscription.items.filter(deleted_at__isnull=True)
            .select_related("price__account")
            .order_by("id")
        )
    if discount_ids is None:
        discount_ids = list(
            subscription.discounts.filter(removed_at__isnull=True).values_list("id", flat=True)
        )
    named = list(dict.fromkeys([*subscription.default_tax_rates, *_item_rates(items)]))
    rates = {rate["id"]: rate for rate in tax_rates_rendered(subscription.account_id, named)}
    return {
        **_UNUSED,
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
        "default_tax_rates": [rates[i] for i in subscription.default_tax_rates if i in rates],
        "created": clock.to_epoch(subscription.created_at),
        "currency": subscription.currency,
        "current_period_end": clock.to_epoch(subscription.current_period_end),
        "current_period_start": clock.to_epoch(subscription.current_period_start),
        "customer": subscription.customer_id,
        "items": {
            "object": "list",
            "data": [
                subscription_item_render(item, subscription=subscription, rates=rates)
                for item in items
            ],
            "has_more": False,
            "url": f"/v1/subscription_items?subscription={subscription.id}",
        },
        "discounts": list(discount_ids),
        "latest_invoice": subscription.latest_invoice_id,
        "livemode": subscription.account.livemode,
        "metadata": subscription.metadata,
        "pause_collection": subscription.pause_collection,
        # Stripe's older field: the plan of a subscription with a single item, else null.
        "plan": plan_or_none(items[0].price) if len(items) == 1 else None,
        "start_date": clock.to_epoch(subscription.created_at),
        "status": subscription.status,
        # A subscription runs on its customer's test clock (set when the customer is created).
        "test_clock": subscription.customer.test_clock_id,
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


def _item_rates(items: list[SubscriptionItem]) -> list[str]:
    return [rate_id for item in items for rate_id in item.tax_rates]


def subscription_item_render(
    item: SubscriptionItem,
    *,
    subscription: Subscription | None = None,
    rates: dict[str, dict] | None = None,
) -> dict:
    """``rates``: the tax rate objects by id, when the caller read them for many items."""
    subscription = subscription or item.subscription
    if rates is None:
        rates = {rate["id"]: rate for rate in tax_rates_rendered(item.account_id, item.tax_rates)}
    return {
        "id": item.id,
        "object": "subscription_item",
        "billing_thresholds": None,
        "created": clock.to_epoch(item.created_at),
        "current_period_end": clock.to_epoch(subscription.current_period_end),
        "current_period_start": clock.to_epoch(subscription.current_period_start),
        "discounts": [],
        "metadata": item.metadata,
        "plan": plan_or_none(item.price),
        # The whole price, as Stripe always returns it.
        "price": price_render(item.price),
        "quantity": item.quantity,
        "subscription": item.subscription_id,
        "tax_rates": [rates[i] for i in item.tax_rates if i in rates],
        "trial_end": clock.to_epoch(item.trial_end),
    }


def subscription_record(subscription: Subscription, type: str, actor: Actor, previous=None) -> None:
    change_record(
        account=subscription.account,
        actor=actor,
        type=type,
        object_type="subscription",
        data_object=subscription_render(subscription),
        previous=previous,
    )
