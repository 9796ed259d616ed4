"""Dashboard forms for webhook endpoints; validation of the values is the services' job."""

import re

from django import forms
from unfold.widgets import UnfoldAdminTextareaWidget, UnfoldAdminTextInputWidget

from apps.core.errors import ApplicationError


class EndpointCreateForm(forms.Form):
    url = forms.CharField(
        label="Endpoint URL",
        max_length=2048,
        widget=UnfoldAdminTextInputWidget(attrs={"placeholder": "https://example.com/webhooks"}),
    )
    description = forms.CharField(
        max_length=5000, required=False, widget=UnfoldAdminTextInputWidget
    )
    enabled_events = forms.CharField(
        label="Events to send",
        initial="*",
        widget=UnfoldAdminTextareaWidget(attrs={"rows": 4}),
        help_text="Event types such as invoice.paid, one per line or separated by commas; "
        "* for every event.",
    )

    def events(self) -> list[str]:
        return [part for part in re.split(r"[\s,]+", self.cleaned_data["enabled_events"]) if part]


def service_error_to_form(form: forms.Form, error: ApplicationError) -> None:
    """Show a service's error on the field it names (``enabled_events[2]`` → enabled_events)."""
    field = (error.param or "").split("[", 1)[0]
    form.add_error(field if field in form.fields else None, error.message)
