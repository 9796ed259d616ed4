"""The form side of the dashboard's rule "views validate a form and call a service"."""

from django import forms

from apps.core.errors import ApplicationError


def service_error_to_form(form: forms.Form, error: ApplicationError) -> None:
    """Show a service's refusal on the form: on its field when the service names one."""
    field = error.param if error.param in form.fields else None
    form.add_error(field, error.message)
