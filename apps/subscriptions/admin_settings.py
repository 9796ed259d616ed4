"""Dashboard → Billing settings: how the account bills, and how its invoices look (the logo and
address every invoice page and PDF carries). One page, one Save: both parts are saved together
or, when either is refused, neither is."""

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.shortcuts import redirect, render
from unfold.widgets import (
    UnfoldAdminIntegerFieldWidget,
    UnfoldAdminSelectWidget,
    UnfoldBooleanSwitchWidget,
)

from apps.accounts import roles
from apps.accounts.dashboard.admin_base import AccountScopedAdmin, dashboard_actor
from apps.accounts.dashboard.forms import InvoiceBrandingForm, service_error_to_form
from apps.accounts.selectors import account_branding
from apps.accounts.services import account_branding_update
from apps.core.errors import ApplicationError
from apps.subscriptions.models import BillingSettings
from apps.subscriptions.services import billing_settings_update
from apps.subscriptions.services.billing import billing_settings

BEHAVIORS = [
    ("always_invoice", "Prorate and invoice now"),
    ("create_prorations", "Prorate on the next invoice"),
    ("none", "No proration"),
]


class BillingSettingsForm(forms.ModelForm):
    class Meta:
        model = BillingSettings
        fields = (
            "zero_total_invoices",
            "invoice_trial_end_immediately",
            "trial_missing_payment_method",
            "default_proration_behavior",
            "upcoming_invoice_days",
            "will_be_due_days",
        )
        labels = {
            "zero_total_invoices": "Create (and mark paid) invoices that total zero",
            "invoice_trial_end_immediately": "Invoice an item's rest of period as soon as its "
            "trial ends (instead of on the next regular invoice)",
            "trial_missing_payment_method": "When an item's trial ends and the customer has no "
            "payment method",
            "default_proration_behavior": "Default proration behaviour",
            "upcoming_invoice_days": "Days before a renewal to send invoice.upcoming",
            "will_be_due_days": "Days before a due date to send invoice.will_be_due",
        }
        widgets = {
            "zero_total_invoices": UnfoldBooleanSwitchWidget,
            "invoice_trial_end_immediately": UnfoldBooleanSwitchWidget,
            "upcoming_invoice_days": UnfoldAdminIntegerFieldWidget,
            "will_be_due_days": UnfoldAdminIntegerFieldWidget,
            "default_proration_behavior": UnfoldAdminSelectWidget(choices=BEHAVIORS),
            "trial_missing_payment_method": UnfoldAdminSelectWidget(
                choices=[
                    ("create_invoice", "Bill as usual (the payment then fails and dunning runs)"),
                    ("cancel", "Remove the item (the subscription ends with its last item)"),
                    ("pause", "Pause the item until the subscription is resumed"),
                ]
            ),
        }


def _saved(request, form: BillingSettingsForm, branding_form: InvoiceBrandingForm) -> bool:
    """Both parts saved in one transaction; a refusal is shown on the form it concerns."""
    actor = dashboard_actor(request)
    target = form
    try:
        with transaction.atomic():
            billing_settings_update(account=request.account, values=form.cleaned_data, actor=actor)
            target = branding_form
            account_branding_update(
                account=request.account,
                address=branding_form.cleaned_data["address"],
                logo=branding_form.cleaned_data["logo"],
                logo_remove=branding_form.cleaned_data["logo_remove"],
                actor=actor,
            )
    except ApplicationError as error:
        service_error_to_form(target, error)
        return False
    return True


@admin.register(BillingSettings)
class BillingSettingsAdmin(AccountScopedAdmin):
    """One page per account: the list page is the account's billing settings."""

    write_capability = roles.SETTINGS

    def changelist_view(self, request, extra_context=None):
        current = billing_settings(request.account)
        branding = account_branding(account=request.account)
        posted = request.method == "POST"
        form = BillingSettingsForm(
            request.POST if posted else None,
            instance=BillingSettings(
                **{f: getattr(current, f) for f in BillingSettingsForm.Meta.fields}
            ),
        )
        branding_form = InvoiceBrandingForm(
            request.POST if posted else None,
            request.FILES if posted else None,
            initial={"address": branding.address},
            prefix="branding",
        )
        if posted:
            if not self.can_write(request):
                form.add_error(None, "Your role does not allow changing account settings.")
            elif form.is_valid() & branding_form.is_valid() and _saved(
                request, form, branding_form
            ):
                messages.success(request, "Billing settings saved.")
                return redirect("admin:subscriptions_billingsettings_changelist")
        return render(
            request,
            "subscriptions/billing_settings.html",
            {
                **self.admin_site.each_context(request),
                "title": "Billing settings",
                "opts": self.model._meta,
                "form": form,
                "branding_form": branding_form,
                "logo_uri": branding.logo_uri,
                "can_write": self.can_write(request),
            },
        )
