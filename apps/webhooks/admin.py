"""Developers → Webhooks: endpoints (create, enable/disable, deliveries and their attempts)
and deliveries (filter by status or event, resend).

Every change is a custom admin view that validates a form and calls a service; a service's
ApplicationError (a role without the developers capability included) becomes a form error.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils.html import format_html
from unfold.decorators import action, display

from apps.accounts import roles
from apps.accounts.dashboard.admin_base import (
    AccountScopedAdmin,
    ObjectHistoryMixin,
    dashboard_actor,
)
from apps.accounts.dashboard.badges import STATUS_VARIANTS, badge_html
from apps.core.errors import ApplicationError
from apps.webhooks.enums import EndpointStatus
from apps.webhooks.forms import EndpointCreateForm, service_error_to_form
from apps.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from apps.webhooks.selectors import (
    webhook_attempt_list,
    webhook_delivery_get,
    webhook_delivery_list,
    webhook_endpoint_get,
)
from apps.webhooks.services import (
    webhook_delivery_replay,
    webhook_endpoint_create,
    webhook_endpoint_update,
)

# Deliveries shown on an endpoint's page, newest first; the rest are in the deliveries list.
RECENT_DELIVERIES = 20


def _page(request: HttpRequest, template: str, title: str, **context) -> HttpResponse:
    return render(
        request,
        f"webhooks/{template}",
        {**admin.site.each_context(request), "title": title, **context},
    )


def _posted(request: HttpRequest):
    return request.POST if request.method == "POST" else None


def _can_write(request: HttpRequest) -> bool:
    return roles.role_allows(getattr(request, "account_role", None), roles.DEVELOPERS)


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ObjectHistoryMixin, AccountScopedAdmin):
    list_title = "Webhooks"
    write_capability = roles.DEVELOPERS
    list_display = ("url", "status_display", "events_display", "created_at")
    list_filter = ("status",)
    search_fields = ("=id", "url", "description")
    search_help_text = "An endpoint id (we_…), part of its URL or description."
    ordering = ("-id",)
    fields = (
        "id",
        "url",
        "description",
        "status_badge",
        "events_display",
        "signing_secret",
        "api_version",
        "metadata",
        "created_at",
        "recent_deliveries",
    )
    readonly_fields = (*fields, "signing_secret_hidden")
    actions_list = ("create_endpoint",)
    actions_detail = ("disable_endpoint", "enable_endpoint")

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("create/", view(self.create_view), name="webhooks_webhookendpoint_create"),
            path(
                "<path:object_id>/status/",
                view(self.status_view),
                name="webhooks_webhookendpoint_status",
            ),
            *super().get_urls(),
        ]

    # --- permissions of the actions ---

    def has_developers_permission(self, request, object_id=None) -> bool:
        return self.can_write(request)

    def _endpoint_status(self, request, object_id) -> str | None:
        endpoint = webhook_endpoint_get(account=request.account, endpoint_id=unquote(object_id))
        return endpoint.status if endpoint else None

    def has_disable_permission(self, request, object_id=None) -> bool:
        return self.can_write(request) and (
            object_id is None or self._endpoint_status(request, object_id) == EndpointStatus.ENABLED
        )

    def has_enable_permission(self, request, object_id=None) -> bool:
        return self.can_write(request) and (
            object_id is None
            or self._endpoint_status(request, object_id) == EndpointStatus.DISABLED
        )

    # --- columns and fields ---

    @display(description="Status", label=STATUS_VARIANTS, ordering="status")
    def status_display(self, obj: WebhookEndpoint) -> tuple[str, str]:
        return obj.status, obj.get_status_display()

    @display(description="Status")
    def status_badge(self, obj: WebhookEndpoint) -> str:
        return badge_html(*self.status_display(obj))

    @display(description="Events")
    def events_display(self, obj: WebhookEndpoint) -> str:
        if "*" in obj.enabled_events:
            return "All events (*)"
        return ", ".join(obj.enabled_events)

    def get_fields(self, request, obj=None):
        # The signing secret is shown only to roles that manage endpoints.
        if _can_write(request):
            return self.fields
        return tuple("signing_secret_hidden" if f == "signing_secret" else f for f in self.fields)

    @display(description="Signing secret")
    def signing_secret(self, obj: WebhookEndpoint) -> str:
        return format_html('<code data-signing-secret class="font-mono">{}</code>', obj.secret)

    @display(description="Signing secret")
    def signing_secret_hidden(self, obj: WebhookEndpoint) -> str:
        return "whsec_… (shown to administrators and developers)"

    @display(description="Recent deliveries")
    def recent_deliveries(self, obj: WebhookEndpoint) -> str:
        deliveries = (
            webhook_delivery_list(account=obj.account_id)
            .filter(endpoint=obj)
            .select_related("event")
            .prefetch_related(
                Prefetch("attempts", queryset=WebhookAttempt.objects.order_by("-number"))
            )
            .order_by("-id")[:RECENT_DELIVERIES]
        )
        return render_to_string("webhooks/_deliveries.html", {"deliveries": deliveries})

    # --- actions ---

    @action(description="Add endpoint", icon="add", permissions=["developers"])
    def create_endpoint(self, request):
        return redirect("admin:webhooks_webhookendpoint_create")

    @action(description="Disable", icon="block", permissions=["disable"])
    def disable_endpoint(self, request, object_id):
        return redirect("admin:webhooks_webhookendpoint_status", object_id=object_id)

    @action(description="Enable", icon="check_circle", permissions=["enable"])
    def enable_endpoint(self, request, object_id):
        return redirect("admin:webhooks_webhookendpoint_status", object_id=object_id)

    # --- custom views ---

    def create_view(self, request: HttpRequest) -> HttpResponse:
        form = EndpointCreateForm(_posted(request))
        if request.method == "POST" and form.is_valid():
            try:
                endpoint = webhook_endpoint_create(
                    account=request.account,
                    url=form.cleaned_data["url"],
                    enabled_events=form.events(),
                    description=form.cleaned_data["description"],
                    actor=dashboard_actor(request),
                )
            except ApplicationError as error:
                service_error_to_form(form, error)
            else:
                messages.success(
                    request,
                    "The endpoint was created. Use its signing secret, shown below, to verify "
                    "the Stripe-Signature header of each delivery.",
                )
                return redirect("admin:webhooks_webhookendpoint_change", endpoint.id)
        return _page(
            request,
            "endpoint_create.html",
            "Add webhook endpoint",
            form=form,
            can_write=_can_write(request),
        )

    def status_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        endpoint = webhook_endpoint_get(account=request.account, endpoint_id=unquote(object_id))
        if endpoint is None:
            raise Http404("No such webhook endpoint")
        disable = endpoint.status == EndpointStatus.ENABLED
        form = forms.Form(_posted(request))
        if request.method == "POST" and form.is_valid():
            try:
                webhook_endpoint_update(
                    account=request.account,
                    endpoint_id=endpoint.id,
                    disabled=disable,
                    actor=dashboard_actor(request),
                )
            except ApplicationError as error:
                service_error_to_form(form, error)
            else:
                word = "disabled" if disable else "enabled"
                messages.success(request, f"The endpoint {endpoint.url} was {word}.")
                return redirect("admin:webhooks_webhookendpoint_change", endpoint.id)
        verb = "Disable" if disable else "Enable"
        return _page(
            request,
            "confirm.html",
            f"{verb} webhook endpoint",
            form=form,
            message=(
                f"{verb} {endpoint.url}? "
                + (
                    "No new events are sent to it and pending retries wait until it is "
                    "enabled again."
                    if disable
                    else "New events are sent to it again and pending retries resume."
                )
            ),
            submit_label=f"{verb} endpoint",
            danger=disable,
            cancel_url=reverse("admin:webhooks_webhookendpoint_change", args=[endpoint.id]),
        )


class DeliveryEventFilter(admin.SimpleListFilter):
    """Set by links from an event's page (``?event__exact=evt_…``); no list of choices."""

    title = "event"
    parameter_name = "event__exact"

    def lookups(self, request, model_admin):
        return [(self.value(), self.value())] if self.value() else []

    def queryset(self, request, queryset):
        return queryset.filter(event_id=self.value()) if self.value() else queryset


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(AccountScopedAdmin):
    write_capability = roles.DEVELOPERS
    list_display = (
        "event_display",
        "endpoint_display",
        "status_display",
        "attempt_count",
        "last_status_code",
        "next_attempt_at",
        "created_at",
    )
    list_filter = ("status", DeliveryEventFilter)
    search_fields = ("=id", "=event__id")
    search_help_text = "A delivery id (whd_…) or an event id (evt_…)."
    ordering = ("-id",)
    show_full_result_count = False
    list_per_page = 50
    list_select_related = ("event", "endpoint")
    fields = (
        "id",
        "event_display",
        "endpoint_display",
        "status_badge",
        "attempt_count",
        "last_status_code",
        "next_attempt_at",
        "created_at",
        "attempts_table",
    )
    readonly_fields = fields
    actions_detail = ("resend_delivery",)

    def get_urls(self):
        return [
            path(
                "<path:object_id>/resend/",
                self.admin_site.admin_view(self.resend_view),
                name="webhooks_webhookdelivery_resend",
            ),
            *super().get_urls(),
        ]

    def has_developers_permission(self, request, object_id=None) -> bool:
        return self.can_write(request)

    @display(description="Event", header=True)
    def event_display(self, obj: WebhookDelivery) -> tuple[str, str]:
        return obj.event.type, obj.event_id

    @display(description="Endpoint")
    def endpoint_display(self, obj: WebhookDelivery) -> str:
        url = reverse("admin:webhooks_webhookendpoint_change", args=[obj.endpoint_id])
        return format_html('<a class="text-primary-600" href="{}">{}</a>', url, obj.endpoint.url)

    @display(description="Status", label=STATUS_VARIANTS, ordering="status")
    def status_display(self, obj: WebhookDelivery) -> tuple[str, str]:
        return obj.status, obj.get_status_display()

    @display(description="Status")
    def status_badge(self, obj: WebhookDelivery) -> str:
        return badge_html(*self.status_display(obj))

    @display(description="Attempts")
    def attempts_table(self, obj: WebhookDelivery) -> str:
        return render_to_string(
            "webhooks/_attempts.html", {"attempts": webhook_attempt_list(delivery=obj)}
        )

    @action(description="Resend", icon="replay", permissions=["developers"])
    def resend_delivery(self, request, object_id):
        return redirect("admin:webhooks_webhookdelivery_resend", object_id=object_id)

    def resend_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        delivery = webhook_delivery_get(account=request.account, delivery_id=unquote(object_id))
        if delivery is None:
            raise Http404("No such webhook delivery")
        change_url = reverse("admin:webhooks_webhookdelivery_change", args=[delivery.id])
        form = forms.Form(_posted(request))
        if request.method == "POST" and form.is_valid():
            try:
                webhook_delivery_replay(
                    account=request.account, delivery_id=delivery.id, actor=dashboard_actor(request)
                )
            except ApplicationError as error:
                service_error_to_form(form, error)
            else:
                messages.success(
                    request,
                    f"{delivery.event.type} is being sent again to {delivery.endpoint.url}.",
                )
                return redirect(change_url)
        return _page(
            request,
            "confirm.html",
            "Resend webhook delivery",
            form=form,
            message=(
                f"Send {delivery.event.type} ({delivery.event_id}) to {delivery.endpoint.url} "
                "again now?"
            ),
            submit_label="Resend",
            danger=False,
            cancel_url=change_url,
        )
