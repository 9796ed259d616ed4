"""Base classes for dashboard pages over account-owned models."""

from django.contrib.admin.utils import unquote
from django.http import HttpRequest
from django.utils.text import capfirst
from unfold.admin import ModelAdmin

from apps.accounts import roles
from apps.accounts.dashboard.exports import CsvExportMixin
from apps.accounts.models import AuditLogEntry
from apps.accounts.selectors import audit_list
from apps.core.actor import Actor
from apps.core.api.views import client_ip


def dashboard_actor(request: HttpRequest) -> Actor:
    """The Actor services record for a staff member acting in the dashboard."""
    return Actor(
        kind="user",
        label=request.user.email or request.user.get_username(),
        user_id=request.user.pk,
        role=request.account_role,
        ip=client_ip(request),
        request_id=getattr(request, "request_id", None),
    )


class AccountScopedAdmin(CsvExportMixin, ModelAdmin):
    """Lists only the current account's rows; writes go through services (custom views or
    actions), never through the generic add/change/delete forms. Every list can be exported
    as CSV with its current filters (apps.accounts.dashboard.exports)."""

    account_field = "account"
    # The list page's title, as the sidebar names it (default: the model's plural name).
    list_title = ""
    # Capability needed for this page's actions (apps.accounts.roles).
    write_capability = roles.BILLING_WRITE

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if getattr(request, "account", None) is None:
            return queryset.none()
        return queryset.filter(**{self.account_field: request.account})

    def has_module_permission(self, request) -> bool:
        return roles.role_allows(getattr(request, "account_role", None), roles.READ)

    def has_view_permission(self, request, obj=None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def changelist_view(self, request, extra_context=None):
        """Titled by what the list is ("FX rates"), not Django's "Select fx rate to view"."""
        title = self.list_title or capfirst(self.model._meta.verbose_name_plural)
        return super().changelist_view(request, {"title": title, **(extra_context or {})})

    def export_actor(self, request) -> Actor:
        return dashboard_actor(request)

    def can_write(self, request) -> bool:
        return roles.role_allows(getattr(request, "account_role", None), self.write_capability)


class ObjectHistoryMixin:
    """Adds a "History" section to an AccountScopedAdmin change page: the audit entries of the
    object in the current account (``templates/dashboard/_object_history.html``).

    Use before the admin class: ``class InvoiceAdmin(ObjectHistoryMixin, AccountScopedAdmin)``.
    """

    change_form_outer_after_template = "dashboard/_object_history.html"
    # Newest entries shown; the full trail is in Team activity, filtered by object id.
    object_history_limit = 50

    def object_history(self, request: HttpRequest, object_id: str) -> list[AuditLogEntry]:
        account = getattr(request, "account", None)
        if account is None:
            return []
        entries = audit_list(account=account, object_id=object_id)
        return list(entries[: self.object_history_limit])

    def change_view(self, request, object_id, form_url="", extra_context=None):
        object_id = unquote(object_id)
        context = {
            **(extra_context or {}),
            "object_history_entries": self.object_history(request, object_id),
            "object_history_object_id": object_id,
        }
        return super().change_view(request, object_id, form_url, context)
