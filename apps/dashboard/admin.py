"""Developers → Logs (API requests) and Events: the dashboard pages of apps.core's tables.

They are here, in the top app, because they show rows of other apps too (the API key of a
request, the webhook deliveries of an event). Both tables grow without bound, so lists order by
the time-sortable primary key (indexed with the account first), never count the table, and
search only by exact ids or the path.
"""

from django.apps import apps
from django.contrib import admin
from django.db.models import OuterRef, Q, Subquery
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from unfold.decorators import display
from unfold.paginator import InfinitePaginator

from apps.accounts.dashboard.admin_base import AccountScopedAdmin
from apps.accounts.dashboard.badges import STATUS_VARIANTS, badge_html, http_status_class
from apps.accounts.models import ApiKey
from apps.core.events import event_render
from apps.core.models import ApiRequestLog, Event

_JSON_PARTIAL = "dashboard/developers/_json.html"


def _json_block(value) -> str:
    return render_to_string(_JSON_PARTIAL, {"value": value})


class _BigTableAdmin(AccountScopedAdmin):
    paginator = InfinitePaginator
    show_full_result_count = False
    ordering = ("-id",)
    list_per_page = 50


class StatusClassFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status_class"
    _RANGES = {"2xx": (200, 300), "4xx": (400, 500), "5xx": (500, 600)}

    def lookups(self, request, model_admin):
        return [
            ("2xx", "Succeeded (2xx)"),
            ("4xx", "Failed (4xx)"),
            ("5xx", "Server error (5xx)"),
        ]

    def queryset(self, request, queryset):
        bounds = self._RANGES.get(self.value())
        if bounds is None:
            return queryset
        return queryset.filter(status__gte=bounds[0], status__lt=bounds[1])


class MethodFilter(admin.SimpleListFilter):
    title = "method"
    parameter_name = "method"
    _METHODS = ("GET", "POST", "DELETE")

    def lookups(self, request, model_admin):
        return [(method, method) for method in self._METHODS]

    def queryset(self, request, queryset):
        if self.value() in self._METHODS:
            return queryset.filter(method=self.value())
        return queryset


@admin.register(ApiRequestLog)
class ApiRequestLogAdmin(_BigTableAdmin):
    list_title = "Logs"
    list_display = ("created_at", "method", "path", "status_display", "duration_display", "key")
    list_filter = (StatusClassFilter, MethodFilter)
    search_fields = ("id", "path")
    search_help_text = "A request id (req_…) or part of a path."
    fields = (
        "id",
        "created_at",
        "method",
        "path",
        "status_badge",
        "duration_display",
        "key",
        "ip",
        "idempotency_key",
        "stripe_version",
        "request_params_json",
        "response_body_json",
    )
    readonly_fields = fields

    def get_queryset(self, request):
        redacted = ApiKey.objects.filter(pk=OuterRef("api_key_id")).values("redacted")[:1]
        return super().get_queryset(request).annotate(api_key_redacted=Subquery(redacted))

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        if term.startswith("req_"):
            return queryset.filter(pk=term), False
        return queryset.filter(path__icontains=term), False

    @display(description="Status", label=STATUS_VARIANTS, ordering="status")
    def status_display(self, obj: ApiRequestLog) -> tuple[str, str]:
        return http_status_class(obj.status), str(obj.status)

    @display(description="Status")
    def status_badge(self, obj: ApiRequestLog) -> str:
        return badge_html(*self.status_display(obj))

    @display(description="Duration")
    def duration_display(self, obj: ApiRequestLog) -> str:
        return f"{obj.duration_ms} ms"

    @display(description="Key")
    def key(self, obj: ApiRequestLog) -> str:
        return getattr(obj, "api_key_redacted", None) or obj.api_key_id or "-"

    @display(description="Request parameters")
    def request_params_json(self, obj: ApiRequestLog) -> str:
        return _json_block(obj.request_params)

    @display(description="Response body")
    def response_body_json(self, obj: ApiRequestLog) -> str:
        return _json_block(obj.response_body or None)


class EventFamilyFilter(admin.SimpleListFilter):
    """``customer`` matches ``customer.created`` and ``customer.subscription.updated``."""

    title = "type"
    parameter_name = "family"

    def lookups(self, request, model_admin):
        types = model_admin.get_queryset(request).order_by().values_list("type", flat=True)
        families = sorted({t.split(".", 1)[0] for t in types.distinct()})
        return [(family, f"{family}.*") for family in families]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        return queryset.filter(Q(type=self.value()) | Q(type__startswith=f"{self.value()}."))


def _webhook_deliveries_url(event: Event) -> str | None:
    """Link to the event's webhook deliveries, when the webhooks app has them."""
    try:
        delivery_model = apps.get_model("webhooks", "WebhookDelivery")
    except LookupError:
        return None
    opts = delivery_model._meta
    try:
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    except NoReverseMatch:
        return None
    return f"{url}?event__exact={event.id}"


@admin.register(Event)
class EventAdmin(_BigTableAdmin):
    list_display = ("id", "type", "object_id", "created_at")
    list_filter = (EventFamilyFilter,)
    search_fields = ("id", "object_id")
    search_help_text = "An event id (evt_…) or the id of the object it is about."
    fields = (
        "id",
        "type",
        "object_id",
        "created_at",
        "request_id",
        "webhook_deliveries",
        "event_json",
    )
    readonly_fields = fields

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        return queryset.filter(Q(pk=term) | Q(object_id=term)), False

    @display(description="Webhook deliveries")
    def webhook_deliveries(self, obj: Event) -> str:
        url = _webhook_deliveries_url(obj)
        if url is None:
            return "-"
        return format_html('<a class="text-primary-600" href="{}">View deliveries</a>', url)

    @display(description="Event")
    def event_json(self, obj: Event) -> str:
        raw_url = reverse("dashboard:event-json", kwargs={"event_id": obj.id})
        return format_html(
            '{}<a class="text-primary-600 text-sm" href="{}">Raw JSON</a>',
            _json_block(event_render(obj)),
            raw_url,
        )
