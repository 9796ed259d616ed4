"""``/v1/webhook_endpoints``: Stripe's webhook endpoint object over the webhooks services."""

from typing import Any

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers

from apps.core import clock
from apps.core.api.pagination import paginate
from apps.core.api.params import (
    get_bool,
    get_list,
    get_metadata,
    get_str,
    reject_unknown,
)
from apps.core.api.schema import list_object
from apps.core.api.views import ApiView
from apps.core.errors import ResourceMissingError
from apps.webhooks.models import WebhookEndpoint
from apps.webhooks.selectors import webhook_endpoint_get, webhook_endpoint_list
from apps.webhooks.services import (
    enabled_events_validate,
    url_validate,
    webhook_endpoint_create,
    webhook_endpoint_delete,
    webhook_endpoint_update,
)

CREATE_PARAMS = {"url", "enabled_events", "description", "metadata", "api_version"}
UPDATE_PARAMS = {"url", "enabled_events", "description", "metadata", "disabled"}
LIST_PARAMS = {"limit", "starting_after", "ending_before"}


def webhook_endpoint_render(endpoint: WebhookEndpoint, *, with_secret: bool = False) -> dict:
    data: dict[str, Any] = {
        "id": endpoint.id,
        "object": "webhook_endpoint",
        "api_version": endpoint.api_version,
        "application": None,
        "created": clock.to_epoch(endpoint.created_at),
        "description": endpoint.description or None,
        "enabled_events": list(endpoint.enabled_events),
        "livemode": endpoint.account.livemode,
        "metadata": endpoint.metadata,
        "status": endpoint.status,
        "url": endpoint.url,
    }
    if with_secret:
        data["secret"] = endpoint.secret
    return data


class WebhookEndpointSchema(serializers.Serializer):
    """The wire shape ``webhook_endpoint_render`` produces (documentation only)."""

    id = serializers.CharField()
    object = serializers.ChoiceField(choices=["webhook_endpoint"])
    api_version = serializers.CharField(allow_null=True)
    application = serializers.CharField(allow_null=True)
    created = serializers.IntegerField(help_text="Unix epoch seconds.")
    description = serializers.CharField(allow_null=True)
    enabled_events = serializers.ListField(child=serializers.CharField())
    livemode = serializers.BooleanField()
    metadata = serializers.DictField(child=serializers.CharField())
    secret = serializers.CharField(
        required=False, help_text="The signing secret (whsec_…); only in the create response."
    )
    status = serializers.ChoiceField(choices=["enabled", "disabled"])
    url = serializers.CharField()

    class Meta:
        ref_name = "WebhookEndpoint"


DELETED_SCHEMA = inline_serializer(
    name="DeletedWebhookEndpoint",
    fields={
        "id": serializers.CharField(),
        "object": serializers.ChoiceField(choices=["webhook_endpoint"]),
        "deleted": serializers.BooleanField(),
    },
)
CREATE_REQUEST = inline_serializer(
    name="WebhookEndpointCreateRequest",
    fields={
        "url": serializers.URLField(),
        "enabled_events": serializers.ListField(child=serializers.CharField()),
        "description": serializers.CharField(required=False),
        "metadata": serializers.DictField(child=serializers.CharField(), required=False),
        "api_version": serializers.CharField(required=False),
    },
)
UPDATE_REQUEST = inline_serializer(
    name="WebhookEndpointUpdateRequest",
    fields={
        "url": serializers.URLField(required=False),
        "enabled_events": serializers.ListField(child=serializers.CharField(), required=False),
        "description": serializers.CharField(required=False),
        "metadata": serializers.DictField(child=serializers.CharField(), required=False),
        "disabled": serializers.BooleanField(required=False),
    },
)


class WebhookEndpointListApi(ApiView):
    resource = "webhook_endpoints"

    @extend_schema(
        operation_id="GetWebhookEndpoints",
        summary="List webhook endpoints",
        responses={200: list_object("WebhookEndpointList", WebhookEndpointSchema)},
    )
    def get(self, request):
        reject_unknown(self.params, LIST_PARAMS)
        endpoints = webhook_endpoint_list(account=self.account).select_related("account")
        return self.respond(
            paginate(
                endpoints, self.params, url="/v1/webhook_endpoints", render=webhook_endpoint_render
            )
        )

    @extend_schema(
        operation_id="PostWebhookEndpoints",
        summary="Create a webhook endpoint",
        request=CREATE_REQUEST,
        responses={200: WebhookEndpointSchema},
    )
    def post(self, request):
        reject_unknown(self.params, CREATE_PARAMS)
        description = get_str(self.params, "description", max_length=5000)
        metadata = get_metadata(self.params)
        api_version = get_str(self.params, "api_version", max_length=40)
        endpoint = webhook_endpoint_create(
            account=self.account,
            url=url_validate(self.params.get("url")),
            enabled_events=enabled_events_validate(self.params.get("enabled_events")),
            description=description,
            metadata=metadata,
            api_version=api_version,
            actor=self.actor,
        )
        return self.respond(webhook_endpoint_render(endpoint, with_secret=True))


class WebhookEndpointDetailApi(ApiView):
    resource = "webhook_endpoints"

    def _get(self, endpoint_id: str) -> WebhookEndpoint:
        endpoint = webhook_endpoint_get(account=self.account, endpoint_id=endpoint_id)
        if endpoint is None:
            raise ResourceMissingError("webhook endpoint", endpoint_id)
        return endpoint

    @extend_schema(
        operation_id="GetWebhookEndpointsWebhookEndpoint",
        summary="Retrieve a webhook endpoint",
        responses={200: WebhookEndpointSchema},
    )
    def get(self, request, webhook_endpoint: str):
        reject_unknown(self.params, set())
        return self.respond(webhook_endpoint_render(self._get(webhook_endpoint)))

    @extend_schema(
        operation_id="PostWebhookEndpointsWebhookEndpoint",
        summary="Update a webhook endpoint",
        request=UPDATE_REQUEST,
        responses={200: WebhookEndpointSchema},
    )
    def post(self, request, webhook_endpoint: str):
        reject_unknown(self.params, UPDATE_PARAMS)
        events = (
            get_list(self.params, "enabled_events") if "enabled_events" in self.params else None
        )
        description = (
            (get_str(self.params, "description", max_length=5000) or "")
            if "description" in self.params
            else None
        )
        metadata = get_metadata(self.params)
        disabled = get_bool(self.params, "disabled")
        # An unknown endpoint is answered before its new values are looked at.
        self._get(webhook_endpoint)
        url = self.params.get("url")
        endpoint = webhook_endpoint_update(
            account=self.account,
            endpoint_id=webhook_endpoint,
            url=None if url is None else url_validate(url),
            enabled_events=None if events is None else enabled_events_validate(events),
            description=description,
            metadata=metadata,
            disabled=disabled,
            actor=self.actor,
        )
        return self.respond(webhook_endpoint_render(endpoint))

    @extend_schema(
        operation_id="DeleteWebhookEndpointsWebhookEndpoint",
        summary="Delete a webhook endpoint",
        responses={200: DELETED_SCHEMA},
    )
    def delete(self, request, webhook_endpoint: str):
        reject_unknown(self.params, set())
        deleted_id = webhook_endpoint_delete(
            account=self.account, endpoint_id=webhook_endpoint, actor=self.actor
        )
        return self.respond({"id": deleted_id, "object": "webhook_endpoint", "deleted": True})
