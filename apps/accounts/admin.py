from datetime import datetime

from django.contrib import admin
from django.db.models import Q
from django.shortcuts import redirect
from unfold.decorators import action, display

from apps.accounts import roles
from apps.accounts.enums import ApiKeyKind
from apps.accounts.models import ApiKey
from apps.core import clock
from apps.dashboard.admin_base import AccountScopedAdmin
from apps.dashboard.badges import STATUS_VARIANTS, badge_html

# ---------------------------------------------------------------------------------------------
# Developers → API keys (Developers pages). Creation, roll and revoke are the custom views in
# apps/dashboard/views/developers.py; this list only shows keys and links to them.
# ---------------------------------------------------------------------------------------------

_API_KEY_STATUSES = {
    "active": "Active",
    "expiring": "Expiring",
    "expired": "Expired",
    "revoked": "Revoked",
}


def api_key_status(api_key: ApiKey, *, now: datetime) -> str:
    """active, expiring (rolled, still working until expires_at), expired or revoked."""
    if api_key.revoked_at is not None:
        return "revoked"
    if api_key.expires_at is None:
        return "active"
    return "expiring" if api_key.expires_at > now else "expired"


class ApiKeyStatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return list(_API_KEY_STATUSES.items())

    def queryset(self, request, queryset):
        now = clock.now()
        conditions = {
            "active": Q(revoked_at__isnull=True, expires_at__isnull=True),
            "expiring": Q(revoked_at__isnull=True, expires_at__gt=now),
            "expired": Q(revoked_at__isnull=True, expires_at__lte=now),
            "revoked": Q(revoked_at__isnull=False),
        }
        condition = conditions.get(self.value())
        return queryset if condition is None else queryset.filter(condition)


@admin.register(ApiKey)
class ApiKeyAdmin(AccountScopedAdmin):
    write_capability = roles.DEVELOPERS
    list_display = (
        "name_display",
        "kind",
        "token_display",
        "created_at",
        "last_used_at",
        "expires_at",
        "status_display",
    )
    list_filter = ("kind", ApiKeyStatusFilter)
    search_fields = ("=id", "name", "redacted")
    ordering = ("-created_at",)
    fields = (
        "id",
        "name",
        "kind",
        "livemode",
        "token_display",
        "status_badge",
        "permissions",
        "created_at",
        "created_by",
        "last_used_at",
        "expires_at",
        "rolled_into",
        "revoked_at",
    )
    readonly_fields = ("token_display", "status_badge")
    actions_list = ("create_key",)
    actions_row = ("roll_key", "revoke_key")

    def has_developers_permission(self, request, obj=None) -> bool:
        return self.can_write(request)

    @display(description="Name")
    def name_display(self, obj: ApiKey) -> str:
        return obj.name or obj.get_kind_display()

    @display(description="Token")
    def token_display(self, obj: ApiKey) -> str:
        # Publishable keys are meant to be embedded in pages; the others are never readable.
        if obj.kind == ApiKeyKind.PUBLISHABLE and obj.publishable_token:
            return obj.publishable_token
        return obj.redacted

    @display(description="Status", label=STATUS_VARIANTS)
    def status_display(self, obj: ApiKey) -> tuple[str, str]:
        status = api_key_status(obj, now=clock.now())
        return status, _API_KEY_STATUSES[status]

    @display(description="Status")
    def status_badge(self, obj: ApiKey) -> str:
        return badge_html(*self.status_display(obj))

    @action(description="Create key", icon="add", permissions=["developers"])
    def create_key(self, request):
        return redirect("dashboard:api-key-create")

    @action(description="Roll key", icon="autorenew", permissions=["developers"])
    def roll_key(self, request, object_id):
        return redirect("dashboard:api-key-roll", key_id=object_id)

    @action(description="Revoke key", icon="block", permissions=["developers"])
    def revoke_key(self, request, object_id):
        return redirect("dashboard:api-key-revoke", key_id=object_id)


# --------------------------------------------------------------------------- end API keys ----
