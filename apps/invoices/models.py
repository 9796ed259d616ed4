from django.db import models

from apps.core.modelbase import TimestampedModel, public_id_field
from apps.invoices.enums import CreditNoteStatus, InvoiceStatus


class Invoice(TimestampedModel):
    id = public_id_field("in")
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="+")
    subscription = models.ForeignKey(
        "subscriptions.Subscription",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="invoices",
    )
    # Moves only through apps.invoices.transitions.
    status = models.CharField(max_length=15, choices=InvoiceStatus.choices)
    billing_reason = models.CharField(max_length=40, default="manual")
    currency = models.CharField(max_length=3)
    number = models.CharField(max_length=40, null=True, blank=True)
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    subtotal = models.BigIntegerField(default=0)
    # The sum of the lines' discounts (total = subtotal − total_discount).
    total_discount = models.BigIntegerField(default=0)
    discount = models.ForeignKey(
        "invoices.Discount", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    total = models.BigIntegerField(default=0)
    # The lines' taxes (inclusive ones are inside the amounts; exclusive ones are in the total),
    # and each rate's share: [{"tax_rate", "amount", "inclusive", "taxable_amount"}].
    tax = models.BigIntegerField(default=0)
    total_tax_amounts = models.JSONField(default=list, blank=True)
    # The subtotal with the inclusive taxes of the lines' amounts taken out; null (invoices made
    # before tax rates existed): the subtotal.
    subtotal_excluding_tax = models.BigIntegerField(null=True, blank=True)
    # The tax rate ids applying to every line without its own (a subscription's invoice takes
    # the subscription's default_tax_rates).
    default_tax_rates = models.JSONField(default=list, blank=True)
    # The customer's tax ids as they were when the invoice was finalized ([{"type", "value"}]);
    # null until then (the draft shows the customer's current ones).
    customer_tax_ids = models.JSONField(null=True, blank=True)
    starting_balance = models.BigIntegerField(default=0)
    ending_balance = models.BigIntegerField(null=True, blank=True)
    amount_due = models.BigIntegerField(default=0)
    amount_paid = models.BigIntegerField(default=0)
    auto_advance = models.BooleanField(default=True)
    # A draft with auto_advance is finalized (and collected) at this time: one hour after a
    # renewal or a one-off invoice is created, as Stripe does; null once finalized.
    automatically_finalizes_at = models.DateTimeField(null=True, blank=True)
    description = models.TextField(blank=True, default="")
    footer = models.TextField(blank=True, default="")
    # When the invoice was last emailed to the customer (POST /v1/invoices/:id/send).
    sent_at = models.DateTimeField(null=True, blank=True)
    collection_method = models.CharField(max_length=20, default="charge_automatically")
    due_date = models.DateTimeField(null=True, blank=True)
    finalized_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    marked_uncollectible_at = models.DateTimeField(null=True, blank=True)
    charge_id = models.CharField(max_length=64, null=True, blank=True)
    attempt_count = models.PositiveIntegerField(default=0)
    will_be_due_sent_at = models.DateTimeField(null=True, blank=True)
    next_payment_attempt = models.DateTimeField(null=True, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    # The customer-facing page's unguessable token.
    hosted_token = models.CharField(max_length=64, blank=True, default="")
    # Which implementation of each billing stage computed part of this invoice:
    # {"<stage id>": {"implementation": key, "version": n, "fallback": bool}}
    # (apps.invoices.engine.stages). Not part of the API object.
    stages = models.JSONField(default=dict, blank=True)
    # The retry plan payments.collection decided at finalizing when it is not the account's
    # ({"mode", "attempts", "window_days", "delays_days"}): failed payments of this invoice are
    # retried on it. Null: on the account's retry settings (and for invoices finalized before).
    retry_plan = models.JSONField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["account", "-id"], name="invoice_account_id"),
            models.Index(fields=["account", "customer", "-id"], name="invoice_account_customer"),
            models.Index(
                fields=["automatically_finalizes_at"],
                condition=models.Q(status="draft", automatically_finalizes_at__isnull=False),
                name="invoice_finalizes_due",
            ),
            # The collections sweep: open invoices whose next retry has come.
            models.Index(
                fields=["next_payment_attempt"],
                condition=models.Q(status="open", next_payment_attempt__isnull=False),
                name="invoice_retry_due",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "number"],
                condition=models.Q(number__isnull=False),
                name="invoice_number_unique",
            )
        ]


class InvoiceLine(models.Model):
    """One line; a subscription line's key ``(item, kind, period)`` can be billed once only."""

    id = public_id_field("il")
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    subscription_item_id = models.CharField(max_length=64, null=True, blank=True)
    price_id = models.CharField(max_length=64, null=True, blank=True)
    kind = models.CharField(max_length=20)
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    quantity = models.PositiveIntegerField(default=1)
    proration = models.BooleanField(default=False)
    description = models.CharField(max_length=500, blank=True, default="")
    discount_amount = models.BigIntegerField(default=0)
    # The line's own tax rate ids (its item's); none: the invoice's default_tax_rates apply.
    tax_rates = models.JSONField(default=list, blank=True)
    # The line's taxes: [{"tax_rate", "amount", "inclusive", "taxable_amount"}].
    tax_amounts = models.JSONField(default=list, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["subscription_item_id", "kind", "period_start", "period_end"],
                condition=models.Q(subscription_item_id__isnull=False),
                name="invoice_line_billed_once",
            )
        ]


class InvoiceItem(TimestampedModel):
    """A pending line (a proration, a one-off charge) waiting for the customer's next invoice."""

    id = public_id_field("ii")
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="+")
    subscription_id = models.CharField(max_length=64, null=True, blank=True)
    subscription_item_id = models.CharField(max_length=64, null=True, blank=True)
    price_id = models.CharField(max_length=64, null=True, blank=True)
    kind = models.CharField(max_length=20, default="invoice_item")
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    quantity = models.PositiveIntegerField(default=1)
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    proration = models.BooleanField(default=False)
    description = models.CharField(max_length=500, blank=True, default="")
    invoice = models.ForeignKey(
        Invoice, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    metadata = models.JSONField(default=dict, blank=True)
    # The item's own tax rate ids (a proration takes its subscription item's); none: the
    # invoice's default_tax_rates apply.
    tax_rates = models.JSONField(default=list, blank=True)
    # The billing stage that computed a proration, as Invoice.stages has it; the invoice that
    # takes the item takes this record.
    stages = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["account", "customer", "invoice"], name="ii_pending"),
        ]


class InvoiceNumberSequence(models.Model):
    """The next invoice number of an account; taken under a row lock, so gapless."""

    account = models.OneToOneField("accounts.Account", on_delete=models.CASCADE, related_name="+")
    next_number = models.PositiveIntegerField(default=1)


class Discount(TimestampedModel):
    """A coupon applied to a subscription (or to all of a customer's invoices), for the coupon's
    duration: ``end`` null is forever; a ``once`` coupon ends after the first invoice."""

    id = public_id_field("di")
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    coupon = models.ForeignKey("catalog.Coupon", on_delete=models.PROTECT, related_name="+")
    promotion_code = models.ForeignKey(
        "catalog.PromotionCode", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="+")
    subscription = models.ForeignKey(
        "subscriptions.Subscription",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="discounts",
    )
    start = models.DateTimeField()
    end = models.DateTimeField(null=True, blank=True)
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["customer", "subscription"], name="discount_owner")]


class CreditNote(TimestampedModel):
    """A reduction of a finalized invoice: it lowers what is due on an open invoice, or, on a
    paid one, is refunded and/or credited to the customer's balance."""

    id = public_id_field("cn")
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="credit_notes")
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="+")
    number = models.CharField(max_length=60)
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    # duplicate | fraudulent | order_change | product_unsatisfactory | "" (none given)
    reason = models.CharField(max_length=30, blank=True, default="")
    memo = models.CharField(max_length=500, blank=True, default="")
    # How it was settled (paid invoices): refunded, put on the customer's balance, or outside.
    refund_amount = models.BigIntegerField(default=0)
    credit_amount = models.BigIntegerField(default=0)
    out_of_band_amount = models.BigIntegerField(default=0)
    refund_id = models.CharField(max_length=64, null=True, blank=True)
    # [{"invoice_line": "il_…", "amount": 100, "description": "…"}]
    lines = models.JSONField(default=list)
    status = models.CharField(
        max_length=10, choices=CreditNoteStatus.choices, default=CreditNoteStatus.ISSUED
    )

    class Meta:
        indexes = [models.Index(fields=["account", "-id"], name="creditnote_account_id")]
