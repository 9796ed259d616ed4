"""Collections: how an account chases failed payments, every attempt made, the emails sent."""

from django.db import models
from django.db.models import Q

from apps.collections.enums import AttemptOutcome, AttemptTrigger
from apps.collections.schedule import DEFAULT_ATTEMPTS, DEFAULT_WINDOW_DAYS


class CollectionSettings(models.Model):
    """An account's dunning choices (issue #5); a missing row means the defaults."""

    account = models.OneToOneField(
        "accounts.Account", on_delete=models.CASCADE, related_name="collection_settings"
    )
    # "smart": ``retry_attempts`` tries (the first included) spread over ``retry_window_days``;
    # "custom": one retry per entry of ``retry_delays``, each that many days after the previous
    # attempt (apps.collections.schedule).
    retry_mode = models.CharField(max_length=10, default="smart")
    retry_attempts = models.PositiveSmallIntegerField(default=DEFAULT_ATTEMPTS)
    retry_window_days = models.PositiveSmallIntegerField(default=DEFAULT_WINDOW_DAYS)
    retry_delays = models.JSONField(default=list, blank=True)
    # After the last failed retry: the subscription is "cancel"ed, marked "unpaid" or left
    # "past_due"; the invoice marked "uncollectible" or left "open".
    subscription_after = models.CharField(max_length=10, default="cancel")
    invoice_after = models.CharField(max_length=15, default="open")
    # Customer emails (apps.collections.emails), each on or off.
    email_payment_failed = models.BooleanField(default=True)
    email_final_notice = models.BooleanField(default=True)
    email_receipt = models.BooleanField(default=True)
    email_upcoming_renewal = models.BooleanField(default=True)
    email_card_expiring = models.BooleanField(default=True)

    class Meta:
        verbose_name = "collection settings"
        verbose_name_plural = "collection settings"


class PaymentAttempt(models.Model):
    """One attempt to pay an invoice that is, or was, in dunning: its first failure and every
    attempt after it. Append-only except ``pending`` → outcome.

    Every payment of an invoice first claims it with a ``pending`` attempt (apps.collections.
    attempts.attempts_claim), unique per invoice, so two requests, workers or beats can never
    charge it at once. A scheduled retry takes its slot (``scheduled_for``) once: the unique
    constraint makes a second claim of the same slot impossible."""

    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    invoice = models.ForeignKey(
        "invoices.Invoice", on_delete=models.CASCADE, related_name="payment_attempts"
    )
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    # The invoice's attempt_count after this attempt (manual ones after the first don't count).
    number = models.PositiveSmallIntegerField()
    trigger = models.CharField(max_length=20, choices=AttemptTrigger.choices)
    scheduled_for = models.DateTimeField(null=True, blank=True)
    attempted_at = models.DateTimeField()
    outcome = models.CharField(max_length=10, choices=AttemptOutcome.choices)
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    payment_method_id = models.CharField(max_length=64, blank=True, default="")
    charge_id = models.CharField(max_length=64, blank=True, default="")
    failure_code = models.CharField(max_length=60, blank=True, default="")
    decline_code = models.CharField(max_length=60, blank=True, default="")
    failure_message = models.CharField(max_length=500, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["invoice", "scheduled_for"],
                condition=Q(trigger="retry"),
                name="payment_attempt_retry_slot_once",
            ),
            # One payment of an invoice in flight at a time: the claim a second request finds.
            models.UniqueConstraint(
                fields=["invoice"],
                condition=Q(outcome="pending"),
                name="payment_attempt_one_in_flight",
            ),
        ]
        indexes = [
            models.Index(fields=["account", "attempted_at"], name="payment_attempt_account_at"),
            models.Index(
                fields=["outcome", "attempted_at"],
                condition=Q(outcome="pending"),
                name="payment_attempt_pending",
            ),
        ]


class EmailTemplate(models.Model):
    """An account's own wording of one customer email; without a row the built-in one is used."""

    class Kind(models.TextChoices):
        PAYMENT_FAILED = "payment_failed"
        FINAL_NOTICE = "final_notice"
        RECEIPT = "receipt"
        UPCOMING_RENEWAL = "upcoming_renewal"
        CARD_EXPIRING = "card_expiring"

    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "kind"], name="email_template_kind_once")
        ]


class SentEmail(models.Model):
    """Every customer email Ledgerline sent (or failed to send), shown on the customer's
    timeline."""

    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    kind = models.CharField(max_length=20, choices=EmailTemplate.Kind.choices)
    # The object it is about (an invoice, a subscription, a payment method), if any.
    object_id = models.CharField(max_length=64, blank=True, default="")
    # The event that caused it: one email per event, however often its task runs.
    event_id = models.CharField(max_length=64, blank=True, default="")
    to = models.CharField(max_length=254)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    sent_at = models.DateTimeField()
    # "" when the backend took it; else why not.
    error = models.CharField(max_length=500, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "event_id"],
                condition=~Q(event_id=""),
                name="sent_email_event_once",
            )
        ]
        indexes = [
            models.Index(fields=["account", "customer", "-sent_at"], name="sent_email_customer"),
        ]
