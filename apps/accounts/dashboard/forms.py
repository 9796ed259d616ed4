"""The form side of the dashboard's rule "views validate a form and call a service"."""

from django import forms
from unfold.widgets import (
    UnfoldAdminFileFieldWidget,
    UnfoldAdminTextareaWidget,
    UnfoldBooleanWidget,
)

from apps.accounts.services.branding import LOGO_MAX_BYTES, LOGO_MAX_SIDE
from apps.core.errors import ApplicationError


def service_error_to_form(form: forms.Form, error: ApplicationError) -> None:
    """Show a service's refusal on the form: on its field when the service names one."""
    field = error.param if error.param in form.fields else None
    form.add_error(field, error.message)


class InvoiceBrandingForm(forms.Form):
    """The account's logo and address as its invoices print them (apps.accounts.services
    .branding checks the logo's content; this form only keeps an oversized upload from being
    read at all)."""

    address = forms.CharField(
        required=False,
        label="Business address on invoices",
        help_text="Printed under the account's name on every invoice page and PDF, line by line.",
        widget=UnfoldAdminTextareaWidget(attrs={"rows": 4}),
    )
    logo = forms.FileField(
        required=False,
        label="Logo",
        help_text=(
            f"A PNG or JPEG image of at most {LOGO_MAX_BYTES // 1024} KB and {LOGO_MAX_SIDE} "
            "pixels a side; printed above the account's name."
        ),
        widget=UnfoldAdminFileFieldWidget(attrs={"accept": "image/png,image/jpeg"}),
    )
    logo_remove = forms.BooleanField(
        required=False, label="Remove the current logo", widget=UnfoldBooleanWidget
    )

    def clean_logo(self) -> bytes | None:
        upload = self.cleaned_data.get("logo")
        if upload is None:
            return None
        if upload.size > LOGO_MAX_BYTES:
            raise forms.ValidationError(
                f"The logo is {upload.size // 1024} KB; it can be at most "
                f"{LOGO_MAX_BYTES // 1024} KB."
            )
        return upload.read()
