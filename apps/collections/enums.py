from django.db import models


class AttemptTrigger(models.TextChoices):
    """Why a payment of an invoice was attempted."""

    AUTOMATIC = "automatic"  # the invoice's first automatic collection
    RETRY = "retry"  # a scheduled retry
    MANUAL = "manual"  # staff or API asked for it
    PAYMENT_METHOD = "payment_method"  # the customer's payment method changed


class AttemptOutcome(models.TextChoices):
    """Where a payment attempt stands: ``pending`` while it claims its invoice (the payment is
    in flight), then how it ended (apps.collections.transitions)."""

    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    # Not charged: no payment method, or only one known not to work (hard decline, closed).
    SKIPPED = "skipped"
