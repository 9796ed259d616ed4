from django.db import models

from apps.core.modelbase import TimestampedModel, public_id_field
from apps.subscriptions.enums import CollectionMethod, SubscriptionStatus


class Subscription(TimestampedModel):
    """A customer's desired state: items, their trials, the billing anchor and how to collect.

    Periods are not stored: they follow from ``billing_cycle_anchor`` and the items' interval
    (apps.invoices.engine.periods); ``current_period_end`` is kept as the renewal due time, the
    index the scheduler scans."""

    id = public_id_field("sub")
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="subscriptions"
    )
    status = models.CharField(max_length=20, choices=SubscriptionStatus.choices)
    currency = models.CharField(max_length=3)
    interval = models.CharField(max_length=5)
    interval_count = models.PositiveSmallIntegerField(default=1)
    billing_cycle_anchor = models.DateTimeField()
    current_period_start = models.DateTimeField()
    current_period_end = models.DateTimeField()
    collection_method = models.CharField(
        max_length=20,
        choices=CollectionMethod.choices,
        default=CollectionMethod.CHARGE_AUTOMATICALLY,
    )
    days_until_due = models.PositiveSmallIntegerField(null=True, blank=True)
    default_payment_method = models.ForeignKey(
        "customers.PaymentMethod",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    cancel_at_period_end = models.BooleanField(default=False)
    cancel_at = models.DateTimeField(null=True, blank=True)
    # How the unused time after ``cancel_at`` is treated when it comes (create_prorations: a
    # credit to the customer's balance on a final invoice; none: no credit).
    cancel_at_proration = models.CharField(max_length=20, default="create_prorations")
    canceled_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    cancellation_details = models.JSONField(default=dict, blank=True)
    trial_start = models.DateTimeField(null=True, blank=True)
    trial_end = models.DateTimeField(null=True, blank=True)
    # {"end_behavior": {"missing_payment_method": "cancel" | "pause" | "create_invoice"}}
    trial_settings = models.JSONField(default=dict, blank=True)
    pause_collection = models.JSONField(null=True, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    latest_invoice_id = models.CharField(max_length=64, null=True, blank=True)
    # The period end for which invoice.upcoming was sent (once per period).
    upcoming_sent_for = models.DateTimeField(null=True, blank=True)
    # The stage records of changes not yet invoiced that left no pending item (a waived
    # proration), as Invoice.stages has them; the invoice that takes the subscription's pending
    # items takes these too, and this is emptied.
    pending_stages = models.JSONField(default=dict, blank=True)
    # Tax rate ids applying to every item without its own; its invoices take them as theirs.
    default_tax_rates = models.JSONField(default=list, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["account", "-id"], name="sub_account_id"),
            models.Index(fields=["status", "current_period_end"], name="sub_due"),
            models.Index(
                fields=["cancel_at"],
                condition=models.Q(cancel_at__isnull=False),
                name="sub_cancel_at",
            ),
        ]


class SubscriptionItem(TimestampedModel):
    id = public_id_field("si")
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="items")
    price = models.ForeignKey("catalog.Price", on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(default=1)
    # Pay-what-you-want prices: the amount this subscription pays per unit.
    custom_unit_amount = models.BigIntegerField(null=True, blank=True)
    # The item's own trial (issue #4: per-item trials on one invoice).
    trial_end = models.DateTimeField(null=True, blank=True)
    # When the end of the item's trial was dealt with (a missing payment method, or invoicing
    # at once); null while the trial runs or before the step ran.
    trial_settled_at = models.DateTimeField(null=True, blank=True)
    # Set when the trial ended without a payment method under the "pause" behaviour: the item
    # bills nothing until the subscription is resumed.
    paused_at = models.DateTimeField(null=True, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    # The item's own tax rate ids (overriding the subscription's default_tax_rates).
    tax_rates = models.JSONField(default=list, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["trial_end"],
                condition=models.Q(
                    trial_end__isnull=False, trial_settled_at__isnull=True, deleted_at__isnull=True
                ),
                name="si_trial_unsettled",
            )
        ]


class BillingSettings(models.Model):
    """How an account bills: its choices where Stripe offers several (issue #4)."""

    account = models.OneToOneField(
        "accounts.Account", on_delete=models.CASCADE, related_name="billing_settings"
    )
    # A zero-total invoice is neither created nor shown unless the account asks for them; then it
    # is created and marked paid.
    zero_total_invoices = models.BooleanField(default=False)
    # When an item's own trial ends mid-period, its rest-of-period charge joins the next regular
    # invoice; with this set it is invoiced at once instead.
    invoice_trial_end_immediately = models.BooleanField(default=False)
    default_proration_behavior = models.CharField(max_length=20, default="create_prorations")
    upcoming_invoice_days = models.PositiveSmallIntegerField(default=7)
    will_be_due_days = models.PositiveSmallIntegerField(default=3)
    # What an item's trial end does when the customer has no payment method: create_invoice
    # (bill as usual; collection fails and dunning takes over), cancel (the item is removed; the
    # subscription ends with its last item) or pause (the item stops billing until resumed).
    # A subscription's ``trial_settings[end_behavior][missing_payment_method]`` overrides it.
    trial_missing_payment_method = models.CharField(max_length=20, default="create_invoice")
