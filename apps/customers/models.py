from django.conf import settings
from django.db import models

from apps.core.modelbase import TimestampedModel, public_id_field
from apps.customers.enums import (
    BalanceTransactionType,
    PaymentMethodType,
    SourceObject,
    TaxExempt,
)


class Customer(TimestampedModel):
    """A payer of the account.

    The balance is not a column: it is the ``ending_balance`` of the customer's newest
    ``CustomerBalanceTransaction`` (0 without one), read through the selectors.
    """

    id = public_id_field("cus")
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    email = models.CharField(max_length=512, blank=True, default="")
    name = models.CharField(max_length=256, blank=True, default="")
    phone = models.CharField(max_length=40, blank=True, default="")
    description = models.CharField(max_length=5000, blank=True, default="")
    # Stripe's address hash: line1, line2, city, state, postal_code, country (all optional).
    address = models.JSONField(null=True, blank=True)
    shipping = models.JSONField(null=True, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    # Lowercase ISO code of the currency the customer is billed in; set by the first charge,
    # invoice or balance transaction, then never changed.
    currency = models.CharField(max_length=3, blank=True, default="")
    # The legacy ``default_source`` (a card_/ba_/src_ row) and the newer
    # ``invoice_settings.default_payment_method`` (a pm_ row): both point at PaymentMethod.
    default_source = models.ForeignKey(
        "customers.PaymentMethod",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    default_payment_method = models.ForeignKey(
        "customers.PaymentMethod",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    invoice_prefix = models.CharField(max_length=12, blank=True, default="")
    preferred_locales = models.JSONField(default=list, blank=True)
    tax_exempt = models.CharField(max_length=10, choices=TaxExempt.choices, default=TaxExempt.NONE)
    # The sandbox test clock the customer lives on (``clock_…``); its time is the customer's now.
    test_clock_id = models.CharField(max_length=64, null=True, blank=True)
    # Stripe deletes customers; their charges and invoices stay, so the row stays too.
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["account", "-id"], name="customer_account_id"),
            models.Index(fields=["account", "email"], name="customer_account_email"),
            models.Index(fields=["account", "created_at"], name="customer_account_created"),
        ]

    def __str__(self) -> str:
        return self.email or self.name or self.id


class PaymentMethod(TimestampedModel):
    """A card, bank debit or wallet: one row whether the API made it as a PaymentMethod or as a
    legacy source (``source_object``). Never holds a full card or account number."""

    # pm_ / card_ / ba_ / src_ by source_object; chosen by the service that creates the row.
    id = models.CharField(primary_key=True, max_length=64, editable=False)
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    customer = models.ForeignKey(
        Customer,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="payment_methods",
        db_index=False,
    )
    type = models.CharField(max_length=20, choices=PaymentMethodType.choices)
    source_object = models.CharField(
        max_length=20, choices=SourceObject.choices, default=SourceObject.PAYMENT_METHOD
    )
    livemode = models.BooleanField(default=False)
    # Cards: brand ("visa", "mastercard", "amex", …), funding ("credit", "debit", "prepaid",
    # "unknown"); banks: the bank's name.
    brand = models.CharField(max_length=30, blank=True, default="")
    funding = models.CharField(max_length=10, blank=True, default="")
    bank_name = models.CharField(max_length=100, blank=True, default="")
    last4 = models.CharField(max_length=4, blank=True, default="")
    exp_month = models.PositiveSmallIntegerField(null=True, blank=True)
    exp_year = models.PositiveSmallIntegerField(null=True, blank=True)
    # Two-letter country of the issuer / bank.
    country = models.CharField(max_length=2, blank=True, default="")
    # Same card or account number → same fingerprint within an account (keyed hash).
    fingerprint = models.CharField(max_length=32, blank=True, default="")
    # Type-specific extras as the API renders them (routing number, bank code, payer email …).
    details = models.JSONField(default=dict, blank=True)
    billing_details = models.JSONField(default=dict, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    # Test mode only: the behaviour of the test number or token it came from (a key of
    # apps.customers.testcards.SCENARIOS), which the test processor acts on.
    test_scenario = models.CharField(max_length=40, blank=True, default="")
    detached_at = models.DateTimeField(null=True, blank=True)
    # Set when the card's issuer closed it (the card updater, apps.collections): never charged
    # again, so dunning does not retry it.
    closed_at = models.DateTimeField(null=True, blank=True)
    # The expiry month (``yyyymm``) whose ``customer.source.expiring`` notice the card updater
    # has handled (sent, or passed over as the card had already expired); claimed by a
    # conditional update, so two runs at once send it once.
    expiring_notice_for = models.PositiveIntegerField(null=True, blank=True)
    # Legacy sources only: ``<id>_secret_<random>``, what a client proves it may read the source
    # with (compared in constant time). Empty for other rows.
    client_secret = models.CharField(max_length=100, blank=True, default="")

    class Meta:
        indexes = [
            models.Index(fields=["account", "customer", "-id"], name="pm_account_customer"),
            models.Index(fields=["account", "fingerprint"], name="pm_account_fingerprint"),
        ]

    def __str__(self) -> str:
        return f"{self.brand or self.type} •••• {self.last4}" if self.last4 else self.id


class CustomerBalanceTransaction(models.Model):
    """Append-only ledger of a customer's balance (negative = credit the customer holds).

    Rows are never updated or deleted; ``ending_balance`` is the running total after the row,
    written under a lock on the customer row so two writers can't interleave.
    """

    id = public_id_field("cbtxn")
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="balance_transactions", db_index=False
    )
    type = models.CharField(max_length=30, choices=BalanceTransactionType.choices)
    # Minor units of ``currency``; positive increases what the customer owes.
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    ending_balance = models.BigIntegerField()
    description = models.CharField(max_length=350, blank=True, default="")
    metadata = models.JSONField(default=dict, blank=True)
    # The invoice or credit note that caused it (ids; those apps come later in the graph).
    invoice_id = models.CharField(max_length=64, null=True, blank=True)
    credit_note_id = models.CharField(max_length=64, null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["account", "customer", "-id"], name="cbtxn_account_customer"),
        ]


class CustomerNote(TimestampedModel):
    """A staff or API note on a customer, with its author."""

    id = public_id_field("note")
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="notes", db_index=False
    )
    body = models.TextField()
    # Who wrote it: a staff user or an API key, as the audit log names actors.
    author_kind = models.CharField(max_length=20)
    author_label = models.CharField(max_length=255)
    author_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        indexes = [
            models.Index(fields=["account", "customer", "-id"], name="note_account_customer"),
        ]


class TaxId(TimestampedModel):
    id = public_id_field("txi")
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="tax_ids", db_index=False
    )
    # Stripe's tax id type, e.g. "eu_vat", "us_ein", "au_abn".
    type = models.CharField(max_length=20)
    value = models.CharField(max_length=100)
    country = models.CharField(max_length=2, blank=True, default="")

    class Meta:
        indexes = [models.Index(fields=["account", "customer"], name="taxid_account_customer")]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "type", "value"], name="taxid_unique_per_customer"
            )
        ]
