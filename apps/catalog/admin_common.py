"""What the catalog's dashboard pages share: the base admin (list settings, a page in the
dashboard frame) and the submit of a form to a catalog service."""

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from unfold.paginator import InfinitePaginator

from apps.accounts import roles
from apps.accounts.dashboard.admin_base import AccountScopedAdmin, dashboard_actor
from apps.accounts.dashboard.forms import service_error_to_form
from apps.core.errors import ApplicationError


def form_submit(request: HttpRequest, form: forms.Form, write, *, allowed: bool) -> object | None:
    """Validate ``form`` and run ``write(actor)``; refusals become form errors. None on failure."""
    if not allowed:
        form.add_error(None, "Your role does not allow changing the catalog.")
        return None
    if not form.is_valid():
        return None
    try:
        return write(dashboard_actor(request))
    except forms.ValidationError as error:
        form.add_error(None, error)
    except ApplicationError as error:
        service_error_to_form(form, error)
    return None


class CatalogAdmin(AccountScopedAdmin):
    paginator = InfinitePaginator
    show_full_result_count = False
    list_per_page = 50
    ordering = ("-id",)
    write_capability = roles.BILLING_WRITE

    def _page(self, request: HttpRequest, template: str, title: str, **context) -> HttpResponse:
        return render(
            request,
            template,
            {
                **self.admin_site.each_context(request),
                "title": title,
                "opts": self.model._meta,
                "can_write": self.can_write(request),
                **context,
            },
        )

    def has_create_permission(self, request) -> bool:
        return self.can_write(request)
