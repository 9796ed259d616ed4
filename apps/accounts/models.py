import base64

from django.conf import settings
from django.db import models
from django.db.models import Q

from apps.accounts.enums import AccountKind, ActorKind, ApiKeyKind, Role, SecurityEventType
from apps.core.modelbase import TimestampedModel, public_id_field


class Organization(TimestampedModel):
    """Groups accounts for aggregated reporting and shared team membership."""

    id = public_id_field("org")
    name = models.CharField(max_length=200)
    # ISO currency code reports are converted into.
    reporting_currency = models.CharField(max_length=3, default="usd")

    def __str__(self) -> str:
        return self.name


class Account(TimestampedModel):
    """The tenant: every domain row belongs to exactly one account."""

    id = public_id_field("acct")
    name = models.CharField(max_length=200)
    kind = models.CharField(
        max_length=24, choices=AccountKind.choices, default=AccountKind.STANDARD
    )
    # Fixed at creation: live accounts issue sk_live_ keys, test ones (and sandboxes) sk_test_.
    livemode = models.BooleanField(default=False)
    country = models.CharField(max_length=2, default="US")
    default_currency = models.CharField(max_length=3, default="usd")
    email = models.EmailField(blank=True, default="")
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.SET_NULL, related_name="accounts"
    )
    # A sandbox's live account.
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="sandboxes"
    )
    # A connected account's platform.
    platform = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="connected_accounts"
    )
    api_version = models.CharField(max_length=40, default="2026-10-28.endive")
    # Account-level settings that later features read (billing, collections...), copied to
    # sandboxes made from this account.
    settings = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind=AccountKind.SANDBOX) | Q(parent__isnull=False, livemode=False),
                name="sandbox_has_parent_and_is_test",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.id})"

    @property
    def is_sandbox(self) -> bool:
        return self.kind == AccountKind.SANDBOX


class Membership(TimestampedModel):
    """A user's role on one account or on a whole organization."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.CASCADE, related_name="memberships"
    )
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=24, choices=Role.choices)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(account__isnull=False, organization__isnull=True)
                | Q(account__isnull=True, organization__isnull=False),
                name="membership_account_xor_organization",
            ),
            models.UniqueConstraint(
                fields=["user", "account"],
                name="membership_user_account",
                condition=Q(account__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["user", "organization"],
                name="membership_user_organization",
                condition=Q(organization__isnull=False),
            ),
        ]


class Invitation(TimestampedModel):
    id = public_id_field("inv")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=24, choices=Role.choices)
    # sha256 of the token sent in the invitation link; the token itself is never stored.
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)


class ApiKey(TimestampedModel):
    id = public_id_field("key")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="api_keys")
    kind = models.CharField(max_length=12, choices=ApiKeyKind.choices)
    livemode = models.BooleanField()
    name = models.CharField(max_length=100, blank=True, default="")
    # sha256 of the full token; secret and restricted tokens are shown once and never stored.
    token_hash = models.CharField(max_length=64, unique=True)
    # Publishable keys are not secret and stay readable.
    publishable_token = models.CharField(max_length=120, null=True, blank=True)
    # "sk_test_…wxyz": enough to recognise a key in lists and logs.
    redacted = models.CharField(max_length=40)
    # Restricted keys: {resource: "none" | "read" | "write"}; absent resources are "none".
    permissions = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Set when a key is rolled: it keeps working until then.
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    rolled_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["account", "kind"], name="apikey_account_kind")]

    def __str__(self) -> str:
        return self.name or self.redacted


class TwoFactorDevice(TimestampedModel):
    """A staff user's TOTP authenticator (RFC 6238, 30 s steps, 6 digits)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="two_factor_device"
    )
    # Base32 secret shared with the authenticator app; needed in clear to check codes.
    secret = models.CharField(max_length=64)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # Last accepted time step: a code is never accepted twice.
    last_used_step = models.BigIntegerField(default=0)


class AuditLogEntry(models.Model):
    """Who did what to which object, written in the same transaction as the change."""

    id = public_id_field("aud")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField()
    actor_kind = models.CharField(max_length=10, choices=ActorKind.choices)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_api_key_id = models.CharField(max_length=64, null=True, blank=True)
    # Email or redacted key as it was at the time.
    actor_label = models.CharField(max_length=254)
    action = models.CharField(max_length=100)
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=64)
    # {field: [before, after]}
    changes = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=64, null=True, blank=True)

    class Meta:
        # Shown in the dashboard as Team → Team activity.
        verbose_name = "team activity entry"
        verbose_name_plural = "team activity"
        indexes = [
            models.Index(fields=["account", "-id"], name="audit_account_id"),
            models.Index(fields=["account", "object_id", "-id"], name="audit_account_object"),
        ]


class SecurityEvent(models.Model):
    id = public_id_field("sec")
    created_at = models.DateTimeField()
    type = models.CharField(max_length=40, choices=SecurityEventType.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Null for user-level events (logins), which show on every account the user belongs to.
    account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # The name typed at login, kept for failed attempts on unknown users.
    username = models.CharField(max_length=254, blank=True, default="")
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True, default="")
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["user", "-created_at"], name="security_user_created"),
            models.Index(fields=["username", "type", "-created_at"], name="security_username"),
            models.Index(fields=["ip", "type", "-created_at"], name="security_ip"),
            models.Index(fields=["account", "-created_at"], name="security_account"),
        ]


class TestClock(TimestampedModel):
    """A frozen time for the customers attached to it (test mode): advancing it runs everything
    that would have happened to them in between, in time order."""

    __test__ = False  # not a pytest test class

    id = public_id_field("clock")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=300, blank=True, default="")
    frozen_time = models.DateTimeField()
    # ready | advancing | internal_failure
    status = models.CharField(max_length=20, default="ready")
    advancing_to = models.DateTimeField(null=True, blank=True)
    deletes_after = models.DateTimeField()


class AccountBranding(models.Model):
    """What an account's invoices show of the business beside its name: the logo and the postal
    address. Kept off Account so the logo's bytes are never loaded with the tenant on every
    request; kept in the database so every web process and worker sees the same logo without
    shared file storage."""

    account = models.OneToOneField(
        Account, on_delete=models.CASCADE, primary_key=True, related_name="branding"
    )
    # Printed as written, one line per line ("Musterstraße 1\n10115 Berlin\nGermany").
    address = models.TextField(blank=True, default="")
    # A PNG or JPEG checked by its content (apps.accounts.services.branding); empty: no logo.
    logo = models.BinaryField(blank=True, default=b"")
    logo_content_type = models.CharField(max_length=20, blank=True, default="")
    updated_at = models.DateTimeField(auto_now=True)

    @property
    def logo_uri(self) -> str | None:
        """The logo as a data: URI, which a page and a PDF both embed as they are."""
        if not self.logo:
            return None
        return f"data:{self.logo_content_type};base64,{base64.b64encode(self.logo).decode()}"
