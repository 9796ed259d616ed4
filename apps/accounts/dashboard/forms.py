"""The form side of the dashboard's rule "views validate a form and call a service"."""

import re

from django import forms
from django.forms.utils import pretty_name

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
