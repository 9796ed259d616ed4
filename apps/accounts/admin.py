import json
from datetime import datetime

from django.contrib import admin
from django.db.models import Q
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe
from unfold.decorators import action, display

from apps.accounts import roles
from apps.accounts.dashboard.admin_base import AccountScopedAdmin, ObjectHistoryMixin
from apps.accounts.dashboard.badges import STATUS_VARIANTS, badge_html
from apps.accounts.enums import ApiKeyKind
from apps.accounts.models import ApiKey, AuditLogEntry
from apps.core import clock

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
class ApiKeyAdmin(ObjectHistoryMixin, AccountScopedAdmin):
    list_title = "API keys"
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


# ---------------------------------------------------------------------------------------------
# Team → Team activity: the audit log of the current account, read-only. Services write it in
# the same transaction as each change; nothing here can add, edit or delete entries.
# ---------------------------------------------------------------------------------------------


class AuditActionFilter(admin.SimpleListFilter):
    """The actions recorded in the current account (not every account's)."""

    title = "action"
    parameter_name = "action"

    def lookups(self, request, model_admin):
        account = getattr(request, "account", None)
        if account is None:
            return []
        actions = (
            AuditLogEntry.objects.filter(account=account)
            .order_by("action")
            .values_list("action", flat=True)
            .distinct()
        )
        return [(action, action) for action in actions]

    def queryset(self, request, queryset):
        return queryset.filter(action=self.value()) if self.value() else queryset


@admin.register(AuditLogEntry)
class AuditLogEntryAdmin(AccountScopedAdmin):
    # Team activity has its own export, with the trail's full columns (changes, ip, request id).
    csv_export = False
    actions_list = ("export_csv",)
    list_display = ("created_at", "actor_display", "action", "object_display", "changes_display")
    list_filter = (AuditActionFilter, "actor_kind")
    search_fields = ("=object_id",)
    search_help_text = "Object id, e.g. key_… or acct_…"
    ordering = ("-id",)
    show_full_result_count = False
    list_per_page = 50
    fields = (
        "id",
        "created_at",
        "actor_kind",
        "actor_label",
        "actor_api_key_id",
        "action",
        "object_type",
        "object_id",
        "changes_display",
        "ip",
        "request_id",
    )
    readonly_fields = ("changes_display",)

    def has_export_permission(self, request) -> bool:
        return roles.role_allows(getattr(request, "account_role", None), roles.EXPORT)

    @action(description="Export CSV", icon="download", permissions=["export"])
    def export_csv(self, request):
        """The export keeps the list's filters (action, actor kind, searched object id)."""
        query = request.META.get("HTTP_REFERER", "").partition("?")[2]
        return redirect(f"{reverse('dashboard:team-activity-export')}?{query}")

    @display(description="Actor", header=True)
    def actor_display(self, obj: AuditLogEntry) -> tuple[str, str]:
        return obj.actor_label, obj.get_actor_kind_display()

    @display(description="Object", header=True)
    def object_display(self, obj: AuditLogEntry) -> tuple[str, str]:
        return obj.object_id, obj.object_type

    @display(description="Changes")
    def changes_display(self, obj: AuditLogEntry) -> SafeString:
        if not obj.changes:
            return "—"
        return format_html_join(
            mark_safe("<br>"),
            "<strong>{}</strong>: {} → {}",
            (
                (field, _audit_value(values[0]), _audit_value(values[1]))
                for field, values in obj.changes.items()
            ),
        )


def _audit_value(value) -> str:
    if value is None or value == "" or value == {}:
        return "—"
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    return str(value)


# ----------------------------------------------------------------------- end Team activity ----
