from apps.webhooks.services.deliveries import (
    deliveries_enqueue_on_commit,
    webhook_deliveries_send,
    webhook_deliveries_sweep,
)
from apps.webhooks.services.endpoints import (
    enabled_events_validate,
    url_validate,
    webhook_endpoint_create,
    webhook_endpoint_delete,
    webhook_endpoint_update,
)
from apps.webhooks.services.outbox import (
    webhook_event_consume,
    webhook_events_consume,
    webhook_events_fan_out,
    webhook_events_fan_out_sweep,
)
from apps.webhooks.services.replay import webhook_delivery_replay

__all__ = [
    "deliveries_enqueue_on_commit",
    "enabled_events_validate",
    "url_validate",
    "webhook_deliveries_send",
    "webhook_deliveries_sweep",
    "webhook_delivery_replay",
    "webhook_endpoint_create",
    "webhook_endpoint_delete",
    "webhook_endpoint_update",
    "webhook_event_consume",
    "webhook_events_consume",
    "webhook_events_fan_out",
    "webhook_events_fan_out_sweep",
]
