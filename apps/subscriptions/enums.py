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
