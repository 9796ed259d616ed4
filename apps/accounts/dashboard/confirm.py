"""One confirmation step before the dashboard's actions that move money or cannot be undone:
charging, refunding, removing a payment method, cancelling a subscription, voiding an invoice.

The action's form is posted first without ``confirm``: the view validates it and answers with a
page saying exactly what will happen and for how much, re-posting the same fields with
``confirm=yes``. Only that second POST (CSRF-checked like every admin POST) calls the service, so
a stray click, a replayed form or a script posting the first step writes nothing.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme

CONFIRM_FIELD = "confirm"
CONFIRM_VALUE = "yes"


@dataclass(frozen=True)
class Confirmation:
    """What the confirmation page shows: ``summary`` is the one sentence naming the action, the
    amount and who it touches; ``details`` are its further consequences."""

    title: str
    summary: str
    button: str
    action_url: str
    cancel_url: str
    details: tuple[str, ...] = ()
    fields: tuple[tuple[str, str], ...] = ()
    danger: bool = True


def is_confirmed(request: HttpRequest) -> bool:
    return request.method == "POST" and request.POST.get(CONFIRM_FIELD) == CONFIRM_VALUE


def posted(request: HttpRequest, names: Iterable[str]) -> tuple[tuple[str, str], ...]:
    """The fields of the first POST to carry, unchanged (each value of a repeated one), into
    the confirming one."""
    return tuple((name, value) for name in names for value in request.POST.getlist(name))


def back_url(request: HttpRequest, default: str) -> str:
    """The page the action was started from (a posted ``next`` on this host), else ``default``."""
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return back
    return default


def confirmation_response(
    request: HttpRequest, confirmation: Confirmation, *, site_context: dict
) -> HttpResponse:
    """The confirmation page, or only its panel for an htmx request."""
    htmx = bool(getattr(request, "htmx", False))
    return render(
        request,
        "dashboard/_confirm.html" if htmx else "dashboard/confirm.html",
        {
            **site_context,
            "title": confirmation.title,
            "confirmation": confirmation,
            "confirm_field": CONFIRM_FIELD,
            "confirm_value": CONFIRM_VALUE,
        },
    )
