"""Extension points: which implementation of each billing stage an account runs.

The stages and their implementations are the pure registry in apps.invoices.engine.stages; this
app keeps an account's choices (Dashboard → Billing → Billing customizations).
"""

from django.db import models
from django.db.models import Q

from apps.accounts.models import Account
from apps.catalog.models import Price
from apps.core import clock
from apps.core.modelbase import public_id_field


class BillingCustomization(models.Model):
    """One revision of an account's choice for a billing stage, for the whole account or (a
    per-price stage) for one price. Never edited: saving a choice supersedes the current
    revision (``superseded_at``) and writes the next one; resetting supersedes it and writes
    none, so the stage runs its default (or, for a price, the account's choice) again."""

    id = public_id_field("bcus")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    stage = models.CharField(max_length=80)  # a key of apps.invoices.engine.stages.STAGES
    # Set: an override for the lines of this price only.
    price = models.ForeignKey(
        Price, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    implementation = models.CharField(max_length=80)
    implementation_version = models.PositiveIntegerField()
    # The implementation's settings as ``config_clean`` typed them: money in minor units of the
    # invoice's currency, percents as integers 0–100.
    config = models.JSONField(default=dict, blank=True)
    # 1, 2, … per (account, stage, price).
    revision = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=clock.now, editable=False)
    created_by = models.CharField(max_length=200)  # the actor's description
    superseded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["account", "stage", "revision"])]
        # Two pairs of constraints: a NULL price never equals another in a unique index.
        constraints = [
            models.UniqueConstraint(
                fields=["account", "stage"],
                condition=Q(superseded_at__isnull=True, price__isnull=True),
                name="billing_customization_one_current",
            ),
            models.UniqueConstraint(
                fields=["account", "stage", "price"],
                condition=Q(superseded_at__isnull=True, price__isnull=False),
                name="billing_customization_one_current_per_price",
            ),
            models.UniqueConstraint(
                fields=["account", "stage", "revision"],
                condition=Q(price__isnull=True),
                name="billing_customization_revision_unique",
            ),
            models.UniqueConstraint(
                fields=["account", "stage", "price", "revision"],
                condition=Q(price__isnull=False),
                name="billing_customization_revision_unique_per_price",
            ),
            models.CheckConstraint(
                condition=Q(revision__gte=1), name="billing_customization_revision_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.stage} → {self.implementation} v{self.implementation_version}"
