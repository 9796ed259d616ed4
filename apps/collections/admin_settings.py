"""Dashboard → Billing → Collection settings: the retry schedule (smart or custom), what happens
after the last retry, and which customer emails are sent; saved through
``collection_settings_update`` (audited), the resulting schedule shown in words."""

from django.contrib import admin, messages
from django.shortcuts import redirect, render

from apps.accounts import roles
from apps.accounts.dashboard.admin_base import AccountScopedAdmin, dashboard_actor
from apps.accounts.dashboard.forms import service_error_to_form
from apps.collections.forms import CollectionSettingsForm
from apps.collections.models import CollectionSettings
from apps.collections.recovery import schedule_text
from apps.collections.selectors import collection_settings, retry_policy_of
from apps.collections.settings_services import collection_settings_update
from apps.core.errors import ApplicationError

REFUSED = "Your role does not allow changing account settings."


@admin.register(CollectionSettings)
class CollectionSettingsAdmin(AccountScopedAdmin):
    """One form per account: the list page is the account's collection settings."""

    write_capability = roles.SETTINGS

    def changelist_view(self, request, extra_context=None):
        account = request.account
        current = collection_settings(account)
        form = CollectionSettingsForm(
            request.POST if request.method == "POST" else None,
            initial=CollectionSettingsForm.initial_of(current),
        )
        if request.method == "POST":
            if not self.can_write(request):
                form.add_error(None, REFUSED)
            elif form.is_valid():
                try:
                    collection_settings_update(
                        account=account, actor=dashboard_actor(request), **form.changes()
                    )
                except ApplicationError as error:
                    service_error_to_form(form, error)
                else:
                    messages.success(request, "Collection settings saved.")
                    return redirect("admin:collections_collectionsettings_changelist")
        return render(
            request,
            "collections/collection_settings.html",
            {
                **self.admin_site.each_context(request),
                "title": "Collection settings",
                "opts": self.model._meta,
                "form": form,
                "can_write": self.can_write(request),
                "schedule": schedule_text(retry_policy_of(current).gaps()),
            },
        )
