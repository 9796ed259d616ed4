"""Webhook endpoint writes: create, update, enable/disable, delete (each audited)."""

from typing import Any
from urllib.parse import urlsplit

from django.db import transaction
from django.db.models import F

from apps.accounts import roles
from apps.accounts.audit import audit_record, changes_between
from apps.accounts.models import Account
from apps.core import event_types
from apps.core.actor import Actor
from apps.core.errors import InvalidRequestError, ResourceMissingError
from apps.core.locks import row_lock, rows_lock
from apps.core.models import Event
from apps.webhooks.enums import DeliveryStatus, EndpointStatus
from apps.webhooks.models import WebhookDelivery, WebhookEndpoint
from apps.webhooks.signing import secret_generate

MAX_URL_LENGTH = 2048
MAX_DESCRIPTION_LENGTH = 5000


def url_validate(url: Any, *, param: str = "url") -> str:
    """An endpoint URL as stored; ``url`` is what a client or a form sent (the API parses its
    parameter with this, the services check their argument with it again)."""
    if not isinstance(url, str) or not url.strip():
        raise InvalidRequestError(
            "Missing required param: url.", param=param, code="parameter_missing"
        )
    url = url.strip()
    if len(url) > MAX_URL_LENGTH:
        raise InvalidRequestError(
            f"Invalid URL: must be at most {MAX_URL_LENGTH} characters.", param=param
        )
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise InvalidRequestError(f"Invalid URL: {url}", param=param, code="url_invalid") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname or port == 0:
        raise InvalidRequestError(
            f"Invalid URL: {url}. An endpoint URL must be an http:// or https:// address.",
            param=param,
            code="url_invalid",
        )
    if any(ch.isspace() for ch in url):
        raise InvalidRequestError(f"Invalid URL: {url}", param=param, code="url_invalid")
    return url


def enabled_events_validate(events: Any, *, param: str = "enabled_events") -> list[str]:
    """The event types an endpoint receives, without repeats; ``events`` as for url_validate."""
    if events is None or events == "" or events == []:
        raise InvalidRequestError(
            f"Missing required param: {param}.", param=param, code="parameter_missing"
        )
    if isinstance(events, str):
        events = [events]
    if not isinstance(events, list):
        raise InvalidRequestError(f"Invalid array: {param}", param=param)
    clean: list[str] = []
    for index, event_type in enumerate(events):
        if not isinstance(event_type, str):
            raise InvalidRequestError(
                f"Invalid {param}[{index}]: must be a string.", param=f"{param}[{index}]"
            )
        if event_type != "*" and event_type not in event_types.EVENT_TYPES:
            raise InvalidRequestError(
                f"Invalid {param}[{index}]: {event_type!r} is not an event type Ledgerline "
                "sends (like 'invoice.paid'), nor '*' for all events.",
                param=f"{param}[{index}]",
            )
        if event_type not in clean:
            clean.append(event_type)
    return clean


def _description_validate(description: str | None) -> str:
    description = (description or "").strip()
    if len(description) > MAX_DESCRIPTION_LENGTH:
        raise InvalidRequestError(
            f"Invalid description: must be at most {MAX_DESCRIPTION_LENGTH} characters.",
            param="description",
        )
    return description


def _metadata_merge(current: dict[str, str], update: dict[str, str]) -> dict[str, str]:
    if not update:
        return {}
    merged = dict(current)
    for key, value in update.items():
        if value == "":
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


def _snapshot(endpoint: WebhookEndpoint) -> dict[str, Any]:
    """What the audit trail compares (never the secret)."""
    return {
        "url": endpoint.url,
        "enabled_events": endpoint.enabled_events,
        "status": endpoint.status,
        "description": endpoint.description,
        "metadata": endpoint.metadata,
        "api_version": endpoint.api_version,
    }


@transaction.atomic
def webhook_endpoint_create(
    *,
    account: Account,
    url: str,
    enabled_events: list[str],
    description: str | None = None,
    metadata: dict[str, str] | None = None,
    api_version: str | None = None,
    actor: Actor,
) -> WebhookEndpoint:
    roles.actor_require(actor, roles.DEVELOPERS)
    endpoint = WebhookEndpoint.objects.create(
        account=account,
        url=url_validate(url),
        enabled_events=enabled_events_validate(enabled_events),
        description=_description_validate(description),
        metadata=metadata or {},
        api_version=api_version or None,
        secret=secret_generate(),
    )
    audit_record(
        account=account,
        actor=actor,
        action="webhook_endpoint.created",
        object_type="webhook_endpoint",
        object_id=endpoint.id,
        changes=changes_between({}, _snapshot(endpoint)),
    )
    return endpoint


def _endpoint_lock(*, account: Account, endpoint_id: str, delete: bool = False) -> WebhookEndpoint:
    endpoint = row_lock(
        WebhookEndpoint.objects.filter(account=account, pk=endpoint_id), delete=delete
    )
    if endpoint is None:
        raise ResourceMissingError("webhook endpoint", endpoint_id)
    return endpoint


@transaction.atomic
def webhook_endpoint_update(
    *,
    account: Account,
    endpoint_id: str,
    url: str | None = None,
    enabled_events: list[str] | None = None,
    description: str | None = None,
    metadata: dict[str, str] | None = None,
    disabled: bool | None = None,
    actor: Actor,
) -> WebhookEndpoint:
    """Change what is given; None leaves a field as it is. ``metadata`` is merged the Stripe
    way: a key set to "" is removed, an empty mapping clears them all."""
    roles.actor_require(actor, roles.DEVELOPERS)
    endpoint = _endpoint_lock(account=account, endpoint_id=endpoint_id)
    before = _snapshot(endpoint)
    if url is not None:
        endpoint.url = url_validate(url)
    if enabled_events is not None:
        endpoint.enabled_events = enabled_events_validate(enabled_events)
    if description is not None:
        endpoint.description = _description_validate(description)
    if metadata is not None:
        endpoint.metadata = _metadata_merge(endpoint.metadata, metadata)
    if disabled is not None:
        endpoint.status = EndpointStatus.DISABLED if disabled else EndpointStatus.ENABLED
    changes = changes_between(before, _snapshot(endpoint))
    if changes:
        endpoint.save()
        audit_record(
            account=account,
            actor=actor,
            action="webhook_endpoint.updated",
            object_type="webhook_endpoint",
            object_id=endpoint.id,
            changes=changes,
        )
    return endpoint


@transaction.atomic
def webhook_endpoint_delete(*, account: Account, endpoint_id: str, actor: Actor) -> str:
    """Delete the endpoint with its deliveries; events stop counting them as pending."""
    roles.actor_require(actor, roles.DEVELOPERS)
    # FOR UPDATE: waits for the transactions creating deliveries for it (which hold the
    # endpoint with KEY SHARE), so the deliveries listed below are all of them.
    endpoint = _endpoint_lock(account=account, endpoint_id=endpoint_id, delete=True)
    undelivered_event_ids = list(
        WebhookDelivery.objects.filter(endpoint=endpoint)
        .exclude(status=DeliveryStatus.SUCCEEDED)
        .values_list("event_id", flat=True)
    )
    audit_record(
        account=account,
        actor=actor,
        action="webhook_endpoint.deleted",
        object_type="webhook_endpoint",
        object_id=endpoint.id,
        changes=changes_between(_snapshot(endpoint), {}),
    )
    endpoint_id = endpoint.id
    # Deliveries go first (locked in pk order, then deleted by the cascade), then their events:
    # the order in which a worker recording an outcome takes the same rows, so the two cannot
    # deadlock.
    rows_lock(WebhookDelivery.objects.filter(endpoint=endpoint).values_list("pk"), delete=True)
    endpoint.delete()
    # One delivery per (endpoint, event), so each of these events loses exactly one.
    Event.objects.filter(pk__in=undelivered_event_ids).update(
        pending_webhooks=F("pending_webhooks") - 1
    )
    return endpoint_id
