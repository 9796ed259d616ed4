"""A staff member's resend of one delivery."""

from django.db import transaction
from django.db.models import F

from apps.accounts import roles
from apps.accounts.audit import audit_record
from apps.accounts.models import Account
from apps.core import clock
from apps.core.actor import Actor
from apps.core.errors import InvalidRequestError, ResourceMissingError
from apps.core.locks import row_lock
from apps.core.models import Event
from apps.webhooks.enums import DeliveryStatus, EndpointStatus
from apps.webhooks.models import WebhookDelivery
from apps.webhooks.services.deliveries import deliveries_enqueue_on_commit


@transaction.atomic
def webhook_delivery_replay(*, account: Account, delivery_id: str, actor: Actor) -> WebhookDelivery:
    """Send a delivery again now, whatever its status; the attempt is marked manual. If it
    fails inside the 3-day window the automatic retries carry on."""
    roles.actor_require(actor, roles.DEVELOPERS)
    delivery = row_lock(
        WebhookDelivery.objects.select_related("endpoint").filter(account=account, pk=delivery_id)
    )
    if delivery is None:
        raise ResourceMissingError("webhook delivery", delivery_id)
    if delivery.endpoint.status != EndpointStatus.ENABLED:
        raise InvalidRequestError(
            "The endpoint is disabled; enable it before resending.", code="endpoint_disabled"
        )
    before = delivery.status
    now = clock.now()
    if before == DeliveryStatus.SUCCEEDED:
        Event.objects.filter(pk=delivery.event_id).update(
            pending_webhooks=F("pending_webhooks") + 1
        )
    delivery.status = DeliveryStatus.PENDING
    delivery.next_attempt_at = now
    delivery.enqueued_at = now
    delivery.replay_requested_at = now
    delivery.save(
        update_fields=[
            "status",
            "next_attempt_at",
            "enqueued_at",
            "replay_requested_at",
            "updated_at",
        ]
    )
    audit_record(
        account=account,
        actor=actor,
        action="webhook_delivery.replayed",
        object_type="webhook_delivery",
        object_id=delivery.id,
        changes={"status": [before, DeliveryStatus.PENDING]},
    )
    deliveries_enqueue_on_commit([delivery.id])
    return delivery
