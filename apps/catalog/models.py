from django.db import models
from django.db.models.functions import Upper

from apps.core.modelbase import TimestampedModel, public_id_field


class Product(TimestampedModel):
    id = public_id_field("prod")
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    name = models.CharField(max_length=250)
    description = models.CharField(max_length=5000, blank=True, default="")
    active = models.BooleanField(default=True)
    metadata = models.JSONField(default=dict, blank=True)
    images = models.JSONField(default=list, blank=True)
    unit_label = models.CharField(max_length=12, blank=True, default="")
    statement_descriptor = models.CharField(max_length=22, blank=True, default="")
    tax_code = models.CharField(max_length=40, blank=True, default="")
    url = models.CharField(max_length=2048, blank=True, default="")
    type = models.CharField(max_length=10, default="service")  # service | good
    shippable = models.BooleanField(null=True, blank=True)
    # Marketing features: [{"name": "…"}, …]
    marketing_features = models.JSONField(default=list, blank=True)
    default_price = models.ForeignKey(
        "catalog.Price", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # How many days a subscription to this product's prices is free by default (0: none).
    default_trial_days = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["account", "-id"], name="product_account_id")]

    def __str__(self) -> str:
        return self.name


class Price(TimestampedModel):
    """What a product costs: the amounts never change after creation, as with Stripe.

    Money amounts are integers of minor units; ``unit_amount_decimal`` (and the tiers'
    ``*_decimal``) allow fractions of a minor unit, kept as decimal strings.
    """

    id = public_id_field("price")
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="prices")
    active = models.BooleanField(default=True)
    currency = models.CharField(max_length=3)
    nickname = models.CharField(max_length=250, blank=True, default="")
    metadata = models.JSONField(default=dict, blank=True)
    lookup_key = models.CharField(max_length=200, null=True, blank=True)
    type = models.CharField(max_length=10)  # one_time | recurring
    billing_scheme = models.CharField(max_length=10, default="per_unit")  # per_unit | tiered
    unit_amount = models.BigIntegerField(null=True, blank=True)
    unit_amount_decimal = models.DecimalField(
        max_digits=24, decimal_places=12, null=True, blank=True
    )
    # [{"up_to": int | None, "unit_amount_decimal": "…" | None, "flat_amount_decimal": "…" | None}]
    tiers = models.JSONField(null=True, blank=True)
    tiers_mode = models.CharField(max_length=10, blank=True, default="")  # graduated | volume
    # {"divide_by": int, "round": "up" | "down"} (package pricing)
    transform_quantity = models.JSONField(null=True, blank=True)
    # {"interval", "interval_count", "usage_type", "aggregate_usage", "trial_period_days"}
    recurring = models.JSONField(null=True, blank=True)
    # Pay what you want: {"minimum": int | None, "maximum": int | None, "preset": int | None}
    custom_unit_amount = models.JSONField(null=True, blank=True)
    # Other currencies: {"eur": {"unit_amount_decimal": "…", "tiers": …, "custom_unit_amount": …}}
    currency_options = models.JSONField(default=dict, blank=True)
    tax_behavior = models.CharField(max_length=12, default="unspecified")
    # A plan deleted while subscriptions still bill it: gone from the API and from new
    # subscriptions (inactive too), kept for the items and invoices that name it, as Stripe.
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["account", "-id"], name="price_account_id"),
            models.Index(fields=["account", "lookup_key"], name="price_account_lookup"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "lookup_key"],
                condition=models.Q(lookup_key__isnull=False, active=True),
                name="price_lookup_key_unique_active",
            )
        ]

    def __str__(self) -> str:
        return self.nickname or self.id


class Coupon(TimestampedModel):
    """A discount. Its public id (``coupon_id``) is the account's choice or generated, unique
    within the account; two accounts may both have ``SUMMER25``."""

    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    coupon_id = models.CharField(max_length=64)
    name = models.CharField(max_length=40, blank=True, default="")
    percent_off = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    amount_off = models.BigIntegerField(null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True, default="")
    # {"eur": {"amount_off": 900}}
    currency_options = models.JSONField(default=dict, blank=True)
    duration = models.CharField(max_length=10, default="once")  # once | repeating | forever
    duration_in_months = models.PositiveIntegerField(null=True, blank=True)
    max_redemptions = models.PositiveIntegerField(null=True, blank=True)
    redeem_by = models.DateTimeField(null=True, blank=True)
    times_redeemed = models.PositiveIntegerField(default=0)
    applies_to_products = models.JSONField(null=True, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        # A coupon id is the account's choice, so it is unique per account, not globally.
        constraints = [
            models.UniqueConstraint(
                fields=["account", "coupon_id"],
                condition=models.Q(deleted_at__isnull=True),
                name="coupon_unique_per_account",
            )
        ]
        indexes = [models.Index(fields=["account", "-id"], name="coupon_account_id")]

    def __str__(self) -> str:
        return self.name or self.coupon_id


class PromotionCode(TimestampedModel):
    id = public_id_field("promo")
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    coupon = models.ForeignKey(Coupon, on_delete=models.PROTECT, related_name="promotion_codes")
    code = models.CharField(max_length=500)
    active = models.BooleanField(default=True)
    customer_id = models.CharField(max_length=64, null=True, blank=True)
    max_redemptions = models.PositiveIntegerField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    times_redeemed = models.PositiveIntegerField(default=0)
    first_time_transaction = models.BooleanField(default=False)
    minimum_amount = models.BigIntegerField(null=True, blank=True)
    minimum_amount_currency = models.CharField(max_length=3, blank=True, default="")
    metadata = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [models.Index(fields=["account", "-id"], name="promo_account_id")]
        constraints = [
            # Stripe: "regardless of case, unique across all active promotion codes".
            models.UniqueConstraint(
                "account",
                Upper("code"),
                condition=models.Q(active=True),
                name="promo_code_unique_active",
            )
        ]

    def __str__(self) -> str:
        return self.code


class FxRate(models.Model):
    """One unit of ``base`` is worth ``rate`` units of ``quote`` from ``effective_on``."""

    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    base = models.CharField(max_length=3)
    quote = models.CharField(max_length=3)
    rate = models.DecimalField(max_digits=20, decimal_places=10)
    effective_on = models.DateField()
    source = models.CharField(max_length=10, default="manual")  # manual | csv
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "base", "quote", "effective_on"], name="fxrate_unique_per_day"
            )
        ]
        indexes = [
            models.Index(fields=["account", "base", "quote", "-effective_on"], name="fxrate_lookup")
        ]

    def __str__(self) -> str:
        return f"1 {self.base.upper()} = {self.rate} {self.quote.upper()} ({self.effective_on})"


class TaxRate(TimestampedModel):
    """A percentage of tax applied to invoice lines (Stripe's tax rate). ``percentage`` and
    ``inclusive`` never change after creation: invoices computed with a rate must keep meaning
    what they meant, so a new rate is made instead (as Stripe requires)."""

    id = public_id_field("txr")
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    display_name = models.CharField(max_length=50)
    description = models.CharField(max_length=500, blank=True, default="")
    # Percent, at most 4 decimals (20.0000 is 20 %); never changes.
    percentage = models.DecimalField(max_digits=8, decimal_places=4)
    # Whether line amounts already contain the tax; never changes.
    inclusive = models.BooleanField()
    jurisdiction = models.CharField(max_length=50, blank=True, default="")
    country = models.CharField(max_length=2, blank=True, default="")
    state = models.CharField(max_length=3, blank=True, default="")
    tax_type = models.CharField(max_length=30, blank=True, default="")
    # An inactive rate cannot be newly applied; where it is applied it keeps working.
    active = models.BooleanField(default=True)
    metadata = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [models.Index(fields=["account", "-id"], name="taxrate_account_id")]

    def __str__(self) -> str:
        kind = "inclusive" if self.inclusive else "exclusive"
        return f"{self.display_name} {self.percentage.normalize():f} % ({kind})"
