"""The form side of the dashboard's rule "views validate a form and call a service"."""

import re

from django import forms
from django.forms.utils import pretty_name
from unfold.widgets import (
    UnfoldAdminFileFieldWidget,
    UnfoldAdminTextareaWidget,
    UnfoldBooleanWidget,
)

from apps.accounts.services.branding import LOGO_MAX_BYTES, LOGO_MAX_SIDE
from apps.core.errors import ApplicationError

# Services speak the API's language ("Missing required param: items[0][price]."); staff read
# the field's own label instead.
_MISSING = re.compile(r"^Missing required param: (?P<param>[\w\[\].]+?)\.?(?:\s+(?P<rest>.*))?$")
_INVALID = re.compile(
    r"^Invalid (?:integer|string|array|decimal|boolean|hash|object|number): "
    r"(?P<param>[\w\[\].]+)\.?(?:\s*(?P<rest>.*))?$"
)


def _field_for(form: forms.Form, param: str | None) -> str | None:
    """The form field a service's ``param`` names: itself, or its last part that is a field
    (``items[0][price]`` → ``price``)."""
    if not param:
        return None
    if param in form.fields:
        return param
    parts = re.findall(r"[A-Za-z_]+", param)
    return next((part for part in reversed(parts) if part in form.fields), None)


def _label(form: forms.Form, field: str | None) -> str:
    if field is None:
        return "this value"
    return str(form.fields[field].label or pretty_name(field))


def staff_message(form: forms.Form, error: ApplicationError) -> tuple[str | None, str]:
    """The field a service's refusal belongs to and its message written for staff."""
    field = _field_for(form, error.param)
    message = error.message
    label = _label(form, field).lower()
    if match := _MISSING.match(message):
        message = " ".join(filter(None, [f"Enter {label}.", match["rest"]]))
    elif match := _INVALID.match(message):
        message = " ".join(filter(None, [f"Enter a valid {label}.", match["rest"]]))
    else:
        message = _API_NAME.sub(lambda m: _named(form, m.group(0)), message)
    return field, message


# A parameter's name as the API spells it: snake_case or with brackets, never a plain word.
_API_NAME = re.compile(r"\b[a-z]+(?:_[a-z]+)+(?:\[\w*\])*|\b[a-z]+(?:\[\w*\])+")


def _named(form: forms.Form, name: str) -> str:
    field = _field_for(form, name)
    return f"“{_label(form, field)}”" if field else name


def service_error_to_form(form: forms.Form, error: ApplicationError) -> None:
    """Show a service's refusal on the form: on its field when the service names one."""
    field, message = staff_message(form, error)
    form.add_error(field, message)


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
