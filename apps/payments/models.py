from decimal import Decimal

from django.db import models

from apps.core.modelbase import TimestampedModel, public_id_field
from apps.payments.enums import (
    BalanceTransactionType,
    ChargeStatus,
    PaymentIntentStatus,
    RefundReason,
    RefundStatus,
    SetupIntentStatus,
)


class PaymentSettings(models.Model):
    """What the account pays per charge and when the money becomes available."""

    account = models.OneToOneField(
        "accounts.Account", on_delete=models.CASCADE, related_name="payment_settings"
    )
    # Percent of the amount (2.9 = 2.9 %) plus a fixed fee in minor units of the charge currency.
    fee_percent = models.DecimalField(max_digits=5, decimal_places=3, default=Decimal("2.900"))
    fee_fixed = models.PositiveIntegerField(default=30)
    availability_days = models.PositiveSmallIntegerField(default=2)


class PaymentIntent(TimestampedModel):
    id = public_id_field("pi")
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    payment_method = models.ForeignKey(
        "customers.PaymentMethod", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=30, choices=PaymentIntentStatus.choices)
    capture_method = models.CharField(max_length=20, default="automatic")
    amount_capturable = models.BigIntegerField(default=0)
    amount_received = models.BigIntegerField(default=0)
    client_secret = models.CharField(max_length=100)
    last_payment_error = models.JSONField(null=True, blank=True)
    cancellation_reason = models.CharField(max_length=40, blank=True, default="")
    canceled_at = models.DateTimeField(null=True, blank=True)
    description = models.CharField(max_length=1000, blank=True, default="")
    metadata = models.JSONField(default=dict, blank=True)
    off_session = models.BooleanField(default=False)
    setup_future_usage = models.CharField(max_length=20, blank=True, default="")
    latest_charge = models.ForeignKey(
        "payments.Charge", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["account", "-id"], name="pi_account_id")]


class SetupIntent(TimestampedModel):
    """A payment method saved for later payments: checked with the processor (authenticated
    when the card asks for it), then attached to the customer."""

    id = public_id_field("seti")
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    payment_method = models.ForeignKey(
        "customers.PaymentMethod", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=30, choices=SetupIntentStatus.choices)
    usage = models.CharField(max_length=12, default="off_session")  # off_session | on_session
    payment_method_types = models.JSONField(default=list)
    client_secret = models.CharField(max_length=100)
    # The last failed attempt's error object (card_error with its decline code), as Stripe's.
    last_setup_error = models.JSONField(null=True, blank=True)
    cancellation_reason = models.CharField(max_length=40, blank=True, default="")
    description = models.CharField(max_length=1000, blank=True, default="")
    metadata = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [models.Index(fields=["account", "-id"], name="seti_account_id")]


class Charge(TimestampedModel):
    id = public_id_field("ch")
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    amount = models.BigIntegerField()
    amount_captured = models.BigIntegerField(default=0)
    amount_refunded = models.BigIntegerField(default=0)
    captured = models.BooleanField(default=False)
    currency = models.CharField(max_length=3)
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    payment_method = models.ForeignKey(
        "customers.PaymentMethod", on_delete=models.PROTECT, related_name="+"
    )
    # Charged through ``source=`` / ``card=`` (the legacy API shows ``source``) or not.
    via_source = models.BooleanField(default=False)
    payment_intent = models.ForeignKey(
        PaymentIntent, null=True, blank=True, on_delete=models.SET_NULL, related_name="charges"
    )
    status = models.CharField(max_length=20, choices=ChargeStatus.choices)
    failure_code = models.CharField(max_length=60, blank=True, default="")
    failure_message = models.CharField(max_length=500, blank=True, default="")
    outcome = models.JSONField(default=dict, blank=True)
    description = models.CharField(max_length=1000, blank=True, default="")
    metadata = models.JSONField(default=dict, blank=True)
    receipt_email = models.CharField(max_length=512, blank=True, default="")
    statement_descriptor = models.CharField(max_length=22, blank=True, default="")
    fraud_details = models.JSONField(default=dict, blank=True)
    # The processor's reference once authorized (the test processor's own id).
    processor_reference = models.CharField(max_length=100, blank=True, default="")
    # Test mode: the dispute this charge will receive (apps.customers.testcards), for the
    # disputes work to open.
    dispute_reason_pending = models.CharField(max_length=40, blank=True, default="")
    # The amount a capture in flight asked for: its claim, taken under the row lock before the
    # processor is called, so a second capture of the charge is refused (never sent twice).
    capturing_amount = models.BigIntegerField(null=True, blank=True)
    balance_transaction = models.ForeignKey(
        "payments.BalanceTransaction",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        indexes = [
            models.Index(fields=["account", "-id"], name="charge_account_id"),
            models.Index(fields=["account", "customer", "-id"], name="charge_account_customer"),
            models.Index(fields=["account", "status", "-id"], name="charge_account_status"),
        ]

    @property
    def refunded(self) -> bool:
        return self.captured and self.amount_refunded >= self.amount_captured > 0


class Refund(TimestampedModel):
    id = public_id_field("re")
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    charge = models.ForeignKey(Charge, on_delete=models.PROTECT, related_name="refunds")
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    reason = models.CharField(max_length=30, choices=RefundReason.choices, blank=True, default="")
    status = models.CharField(max_length=20, choices=RefundStatus.choices)
    failure_reason = models.CharField(max_length=60, blank=True, default="")
    metadata = models.JSONField(default=dict, blank=True)
    processor_reference = models.CharField(max_length=100, blank=True, default="")
    balance_transaction = models.ForeignKey(
        "payments.BalanceTransaction",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        indexes = [models.Index(fields=["account", "-id"], name="refund_account_id")]


class BalanceTransaction(models.Model):
    """The account's ledger: append-only; available once ``available_on`` has passed."""

    id = public_id_field("txn")
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    type = models.CharField(max_length=20, choices=BalanceTransactionType.choices)
    amount = models.BigIntegerField()
    fee = models.BigIntegerField(default=0)
    net = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    fee_details = models.JSONField(default=list, blank=True)
    # The charge, refund, … it records.
    source_id = models.CharField(max_length=64)
    description = models.CharField(max_length=1000, blank=True, default="")
    reporting_category = models.CharField(max_length=40)
    created_at = models.DateTimeField()
    available_on = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["account", "-id"], name="txn_account_id"),
            models.Index(fields=["account", "currency", "available_on"], name="txn_account_avail"),
        ]
