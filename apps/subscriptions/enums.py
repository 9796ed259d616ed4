from django.db import models


class SubscriptionStatus(models.TextChoices):
    INCOMPLETE = "incomplete", "Incomplete"
    INCOMPLETE_EXPIRED = "incomplete_expired", "Incomplete, expired"
    TRIALING = "trialing", "Trialing"
    ACTIVE = "active", "Active"
    PAST_DUE = "past_due", "Past due"
    UNPAID = "unpaid", "Unpaid"
    CANCELED = "canceled", "Canceled"
    PAUSED = "paused", "Paused"


class CollectionMethod(models.TextChoices):
    CHARGE_AUTOMATICALLY = "charge_automatically", "Charge automatically"
    SEND_INVOICE = "send_invoice", "Send invoice"


class SubscriptionItemState(models.TextChoices):
    """Where an item stands, as its dates say (not stored: apps.subscriptions.transitions.
    item_state reads it from ``trial_settled_at``, ``paused_at`` and ``deleted_at``)."""

    # Its own trial has not been settled yet (the trial may have ended: the next step settles it).
    TRIALING = "trialing", "Trialing"
    ACTIVE = "active", "Active"
    # Its trial ended without a payment method under the "pause" behaviour: it bills nothing.
    PAUSED = "paused", "Paused"
    DELETED = "deleted", "Deleted"
