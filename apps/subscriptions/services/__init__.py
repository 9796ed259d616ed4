"""Subscription writes, by topic: ``create``, ``items`` (changes with prorations), ``cycles``,
``settings``, ``cancel``, ``trials`` and ``lifecycle`` (trial ends, scheduled cancellation,
pause and resume), ``renewals``, ``collection`` (finalizing and paying their invoices),
``billing`` (billing settings, a subscription's invoice), ``notices``, ``test_clocks``; the rules
they share in ``record``. The API objects and the audit entry are in apps.subscriptions.render,
the status moves in apps.subscriptions.transitions.

Lines always come from the pure planner (apps.invoices.engine.planner). A renewal locks the
subscription and re-checks that it is due, and the invoice lines' unique keys make a second
invoice for one period impossible.
"""

from apps.subscriptions.planning import ItemRequest
from apps.subscriptions.render import subscription_item_render, subscription_render
from apps.subscriptions.services.billing import billing_settings, billing_settings_update
from apps.subscriptions.services.cancel import FEEDBACK, CancellationDetails, subscription_cancel
from apps.subscriptions.services.create import subscription_create
from apps.subscriptions.services.items import (
    subscription_item_add,
    subscription_item_delete,
    subscription_item_update,
    subscription_items_change,
)
from apps.subscriptions.services.renewals import subscription_renew
from apps.subscriptions.services.settings import (
    PauseCollection,
    SubscriptionSettings,
    subscription_update_settings,
)

__all__ = [
    "FEEDBACK",
    "CancellationDetails",
    "ItemRequest",
    "PauseCollection",
    "SubscriptionSettings",
    "billing_settings",
    "billing_settings_update",
    "subscription_cancel",
    "subscription_create",
    "subscription_item_add",
    "subscription_item_delete",
    "subscription_item_render",
    "subscription_item_update",
    "subscription_items_change",
    "subscription_render",
    "subscription_renew",
    "subscription_update_settings",
]
