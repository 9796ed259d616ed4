"""The current-account switcher and the sandboxes of the current live account.

Role checks are the services' (PermissionDeniedError becomes a form error); the pages only
hide what the member's role cannot use. A new sandbox's secret key is handed to the next page
through the session and removed when shown, so it appears once.
"""

from dataclasses import dataclass, field, replace

from django import forms
from django.contrib import admin, messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from apps.accounts import roles
from apps.accounts.dashboard.admin_base import dashboard_actor
from apps.accounts.dashboard.forms import service_error_to_form
from apps.accounts.models import Account
from apps.accounts.selectors import (
    account_list_for_user,
    membership_role,
    sandbox_get,
    sandbox_list,
)
from apps.accounts.services import sandbox_create, sandbox_delete
from apps.core.actor import Actor
from apps.core.errors import ApplicationError
from apps.dashboard.forms import AccountSwitchForm, SandboxCreateForm
from apps.dashboard.session import SESSION_ACCOUNT_KEY

NEW_SANDBOX_SESSION_KEY = "ledgerline_new_sandbox"


def live_account(request: HttpRequest) -> Account:
    """The live account behind the current one (a sandbox's parent; otherwise itself)."""
    account = request.account
    return account.parent if account.is_sandbox else account


def actor_on(request: HttpRequest, account: Account) -> Actor:
    """The dashboard actor with the member's role on ``account`` (not the current account)."""
    return replace(
        dashboard_actor(request), role=membership_role(user=request.user, account=account)
    )


def page(request: HttpRequest, template: str, title: str, **context) -> HttpResponse:
    return render(
        request,
        f"dashboard/{template}",
        {**admin.site.each_context(request), "title": title, **context},
    )


# --- switcher ---------------------------------------------------------------------------------


@dataclass
class AccountGroup:
    title: str
    accounts: list[Account] = field(default_factory=list)


def _group_title(account: Account) -> str:
    if account.is_sandbox:
        return f"Sandboxes of {account.parent.name}"
    if account.platform_id:
        return f"Connected accounts of {account.platform.name}"
    if account.organization_id:
        return f"Organization: {account.organization.name}"
    return "Your accounts"


def _account_groups(user) -> list[AccountGroup]:
    groups: dict[str, AccountGroup] = {}
    accounts = account_list_for_user(user=user).select_related("parent", "platform", "organization")
    for account in accounts:
        title = _group_title(account)
        groups.setdefault(title, AccountGroup(title)).accounts.append(account)
    # Live accounts first, then sandboxes and connected accounts under their headings.
    return sorted(groups.values(), key=lambda g: (g.title != "Your accounts", g.title))


@require_http_methods(["GET", "POST"])
def account_switch_view(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = AccountSwitchForm(request.POST)
        if not form.is_valid():
            raise Http404("No such account")
        account = (
            account_list_for_user(user=request.user).filter(pk=form.cleaned_data["account"]).first()
        )
        # Cross-tenant ids answer 404, like everywhere else, so they reveal nothing.
        if account is None or membership_role(user=request.user, account=account) is None:
            raise Http404("No such account")
        request.session[SESSION_ACCOUNT_KEY] = account.pk
        messages.success(request, f"You are now working in {account.name}.")
        if request.htmx:
            return HttpResponseClientRedirect(reverse("admin:index"))
        return redirect("admin:index")
    return page(
        request,
        "account_switch.html",
        "Switch account",
        groups=_account_groups(request.user),
        current=request.account,
    )


# --- sandboxes --------------------------------------------------------------------------------


def _sandbox_page(request: HttpRequest, form: SandboxCreateForm) -> HttpResponse:
    live = live_account(request)
    return page(
        request,
        "sandboxes/list.html",
        "Sandboxes",
        live=live,
        sandboxes=sandbox_list(account=live),
        form=form,
        can_manage=roles.role_allows(actor_on(request, live).role, roles.SANDBOXES),
    )


@require_GET
def sandbox_list_view(request: HttpRequest) -> HttpResponse:
    return _sandbox_page(request, SandboxCreateForm())


@require_POST
def sandbox_create_view(request: HttpRequest) -> HttpResponse:
    form = SandboxCreateForm(request.POST)
    if form.is_valid():
        live = live_account(request)
        try:
            sandbox, tokens = sandbox_create(
                parent=live, name=form.cleaned_data["name"], actor=actor_on(request, live)
            )
        except ApplicationError as error:
            service_error_to_form(form, error)
        else:
            request.session[NEW_SANDBOX_SESSION_KEY] = {
                "sandbox_id": sandbox.pk,
                "secret_key": tokens["secret_key"],
            }
            return redirect("dashboard:sandbox-created", sandbox_id=sandbox.pk)
    return _sandbox_page(request, form)


def _sandbox_or_404(request: HttpRequest, sandbox_id: str) -> Account:
    sandbox = sandbox_get(account=live_account(request), sandbox_id=sandbox_id)
    if sandbox is None:
        raise Http404("No such sandbox")
    return sandbox


@require_GET
def sandbox_created_view(request: HttpRequest, sandbox_id: str) -> HttpResponse:
    sandbox = _sandbox_or_404(request, sandbox_id)
    handed = request.session.pop(NEW_SANDBOX_SESSION_KEY, None)
    secret_key = handed["secret_key"] if handed and handed["sandbox_id"] == sandbox.pk else None
    return page(
        request, "sandboxes/created.html", "Sandbox created", sandbox=sandbox, secret_key=secret_key
    )


@require_http_methods(["GET", "POST"])
def sandbox_delete_view(request: HttpRequest, sandbox_id: str) -> HttpResponse:
    sandbox = _sandbox_or_404(request, sandbox_id)
    live = sandbox.parent
    form = forms.Form(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            sandbox_delete(sandbox=sandbox, actor=actor_on(request, live))
        except ApplicationError as error:
            service_error_to_form(form, error)
        else:
            if request.session.get(SESSION_ACCOUNT_KEY) == sandbox_id:
                request.session[SESSION_ACCOUNT_KEY] = live.pk
            messages.success(request, f"The sandbox {sandbox.name} was deleted.")
            return redirect("dashboard:sandbox-list")
    return page(
        request,
        "sandboxes/delete.html",
        "Delete sandbox",
        sandbox=sandbox,
        form=form,
        can_manage=roles.role_allows(actor_on(request, live).role, roles.SANDBOXES),
    )
