"""Developers pages beyond the plain lists: create, roll and revoke API keys; event JSON.

Each view validates a form and calls a service; a service's ApplicationError (including a role
without the developers capability) becomes a form error and nothing is written. New tokens are
handed to the next page through the session and removed on first display, so reloading that
page (or going back to it) never shows a token again.
"""

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods
from unfold.widgets import UnfoldAdminRadioSelectWidget, UnfoldAdminTextInputWidget

from apps.accounts import roles
from apps.accounts.dashboard.admin_base import dashboard_actor
from apps.accounts.dashboard.forms import service_error_to_form
from apps.accounts.enums import Access, ApiKeyKind
from apps.accounts.models import ApiKey
from apps.accounts.selectors import api_key_list
from apps.accounts.services import api_key_create, api_key_revoke, api_key_roll
from apps.core.api.resources import RESOURCES
from apps.core.errors import ApplicationError
from apps.core.events import event_render
from apps.core.selectors import event_get

NEW_TOKEN_SESSION_KEY = "ledgerline_new_api_token"

ROLL_EXPIRY_CHOICES = [
    ("0", "Now"),
    ("3600", "In 1 hour"),
    ("86400", "In 24 hours"),
    ("259200", "In 3 days"),
    ("604800", "In 7 days"),
]


class ApiKeyCreateForm(forms.Form):
    kind = forms.ChoiceField(
        label="Key type",
        choices=[
            (ApiKeyKind.SECRET, "Secret key: full access to the API"),
            (ApiKeyKind.RESTRICTED, "Restricted key: only the access chosen below"),
        ],
        initial=ApiKeyKind.SECRET,
        widget=UnfoldAdminRadioSelectWidget(attrs={"x-model": "kind"}),
    )
    name = forms.CharField(
        max_length=100,
        required=False,
        widget=UnfoldAdminTextInputWidget,
        help_text="Required for restricted keys.",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for resource, label in RESOURCES.items():
            self.fields[self.access_field(resource)] = forms.ChoiceField(
                label=label,
                choices=Access.choices,
                initial=Access.NONE,
                widget=UnfoldAdminRadioSelectWidget,
            )

    @staticmethod
    def access_field(resource: str) -> str:
        return f"access_{resource}"

    def access_rows(self) -> list[forms.BoundField]:
        return [self[self.access_field(resource)] for resource in RESOURCES]

    def permissions(self) -> dict[str, str]:
        return {r: self.cleaned_data[self.access_field(r)] for r in RESOURCES}


class ApiKeyRollForm(forms.Form):
    expires_in = forms.TypedChoiceField(
        label="The current key stops working",
        choices=ROLL_EXPIRY_CHOICES,
        coerce=lambda seconds: timedelta(seconds=int(seconds)),
        initial="0",
        widget=UnfoldAdminRadioSelectWidget,
    )


def _posted(request: HttpRequest):
    return request.POST if request.method == "POST" else None


def _page(request: HttpRequest, template: str, title: str, **context) -> HttpResponse:
    return render(
        request,
        f"dashboard/developers/{template}",
        {**admin.site.each_context(request), "title": title, **context},
    )


def _key_get_or_404(request: HttpRequest, key_id: str) -> ApiKey:
    api_key = api_key_list(account=request.account).filter(pk=key_id).first()
    if api_key is None:
        raise Http404("No such API key")
    return api_key


def _token_hand_over(request: HttpRequest, api_key: ApiKey, token: str) -> HttpResponse:
    request.session[NEW_TOKEN_SESSION_KEY] = {"key_id": api_key.id, "token": token}
    return redirect("dashboard:api-key-token", key_id=api_key.id)


@require_http_methods(["GET", "POST"])
def api_key_create_view(request: HttpRequest) -> HttpResponse:
    form = ApiKeyCreateForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            api_key, token = api_key_create(
                account=request.account,
                kind=form.cleaned_data["kind"],
                name=form.cleaned_data["name"],
                permissions=form.permissions(),
                actor=dashboard_actor(request),
            )
        except ApplicationError as error:
            service_error_to_form(form, error)
        else:
            return _token_hand_over(request, api_key, token)
    return _page(
        request,
        "api_key_create.html",
        "Create API key",
        form=form,
        can_write=roles.role_allows(request.account_role, roles.DEVELOPERS),
    )


@require_GET
def api_key_token_view(request: HttpRequest, key_id: str) -> HttpResponse:
    api_key = _key_get_or_404(request, key_id)
    handed = request.session.pop(NEW_TOKEN_SESSION_KEY, None)
    token = handed["token"] if handed and handed.get("key_id") == api_key.id else None
    rolled_from = ApiKey.objects.filter(account=request.account, rolled_into=api_key).first()
    return _page(
        request,
        "api_key_token.html",
        "Your new API key",
        api_key=api_key,
        token=token,
        rolled_from=rolled_from,
    )


@require_http_methods(["GET", "POST"])
def api_key_roll_view(request: HttpRequest, key_id: str) -> HttpResponse:
    api_key = _key_get_or_404(request, key_id)
    form = ApiKeyRollForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            new_key, token = api_key_roll(
                account=request.account,
                key_id=api_key.id,
                expires_in=form.cleaned_data["expires_in"],
                actor=dashboard_actor(request),
            )
        except ApplicationError as error:
            service_error_to_form(form, error)
        else:
            return _token_hand_over(request, new_key, token)
    return _page(request, "api_key_roll.html", "Roll API key", api_key=api_key, form=form)


@require_http_methods(["GET", "POST"])
def api_key_revoke_view(request: HttpRequest, key_id: str) -> HttpResponse:
    api_key = _key_get_or_404(request, key_id)
    form = forms.Form(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            api_key_revoke(
                account=request.account, key_id=api_key.id, actor=dashboard_actor(request)
            )
        except ApplicationError as error:
            service_error_to_form(form, error)
        else:
            messages.success(request, f"The key {api_key.redacted} was revoked.")
            return redirect("admin:accounts_apikey_changelist")
    return _page(request, "api_key_revoke.html", "Revoke API key", api_key=api_key, form=form)


@require_GET
def event_json_view(request: HttpRequest, event_id: str) -> JsonResponse:
    """The event exactly as ``GET /v1/events/<id>`` renders it, for the current account."""
    event = event_get(account=request.account, event_id=event_id)
    if event is None:
        raise Http404("No such event")
    return JsonResponse(event_render(event), json_dumps_params={"indent": 2})
