from django.db import models


class ChargeStatus(models.TextChoices):
    # Written before the processor is called; resolved by the second transaction (or the sweeper).
    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class OutcomeType(models.TextChoices):
    AUTHORIZED = "authorized", "Authorized"
    ISSUER_DECLINED = "issuer_declined", "Declined by the issuer"
    BLOCKED = "blocked", "Blocked"
    INVALID = "invalid", "Invalid"


class RefundStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELED = "canceled", "Canceled"


class RefundReason(models.TextChoices):
    DUPLICATE = "duplicate", "Duplicate"
    FRAUDULENT = "fraudulent", "Fraudulent"
    REQUESTED_BY_CUSTOMER = "requested_by_customer", "Requested by customer"


class PaymentIntentStatus(models.TextChoices):
    REQUIRES_PAYMENT_METHOD = "requires_payment_method", "Requires payment method"
    REQUIRES_CONFIRMATION = "requires_confirmation", "Requires confirmation"
    REQUIRES_ACTION = "requires_action", "Requires action"
    PROCESSING = "processing", "Processing"
    REQUIRES_CAPTURE = "requires_capture", "Requires capture"
    CANCELED = "canceled", "Canceled"
    SUCCEEDED = "succeeded", "Succeeded"


class BalanceTransactionType(models.TextChoices):
    CHARGE = "charge", "Charge"
    REFUND = "refund", "Refund"
    ADJUSTMENT = "adjustment", "Adjustment"


class SetupIntentStatus(models.TextChoices):
    REQUIRES_PAYMENT_METHOD = "requires_payment_method", "Requires payment method"
    REQUIRES_CONFIRMATION = "requires_confirmation", "Requires confirmation"
    REQUIRES_ACTION = "requires_action", "Requires action"
    # Claimed while the processor checks the payment method (never seen after the call).
    PROCESSING = "processing", "Processing"
    SUCCEEDED = "succeeded", "Succeeded"
    CANCELED = "canceled", "Canceled"
