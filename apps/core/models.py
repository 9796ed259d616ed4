from django.db import models
from django.db.models import Q

from apps.core.modelbase import TimestampedModel, public_id_field


class Event(TimestampedModel):
    """A state change, written in the same transaction as the change (the outbox).

    Never updated after creation except ``pending_webhooks`` and ``fanned_out_at``, both written
    by the webhooks layer.
    """

    id = public_id_field("evt")
    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="+")
    type = models.CharField(max_length=100)
    livemode = models.BooleanField(default=False)
    api_version = models.CharField(max_length=40)
    # Snapshot of the object as the API renders it, after the change.
    data_object = models.JSONField()
    # Only the fields that changed, with their values before the change (``*.updated``).
    previous_attributes = models.JSONField(null=True, blank=True)
    # The API request that caused it; null for automatic actions.
    request_id = models.CharField(max_length=64, null=True, blank=True)
    idempotency_key = models.CharField(max_length=255, null=True, blank=True)
    # Id of the object the event is about, for "history of this object" and per-object ordering.
    object_id = models.CharField(max_length=64, db_index=True)
    # The customer the event concerns (the object itself or its ``customer``), for timelines.
    customer_id = models.CharField(max_length=64, null=True, blank=True)
    pending_webhooks = models.IntegerField(default=0)
    # When the event's webhook deliveries were made (apps.webhooks.services.outbox), after its
    # transaction committed; null until then. The webhooks sweep finds the events whose fan-out
    # was never enqueued through the partial index below.
    fanned_out_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=Q(fanned_out_at__isnull=True),
                name="event_fan_out_due",
            ),
            models.Index(fields=["account", "-id"], name="event_account_id"),
            models.Index(fields=["account", "type", "-id"], name="event_account_type_id"),
            models.Index(fields=["account", "created_at"], name="event_account_created"),
            models.Index(fields=["account", "customer_id", "-id"], name="event_account_customer"),
        ]

    def __str__(self) -> str:
        return f"{self.id} {self.type}"


class IdempotencyKey(models.Model):
    """The stored outcome of a POST sent with an ``Idempotency-Key`` (replayed for 24 h)."""

    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    # sha256 of method, path and parameters: the same key with other parameters is refused.
    request_fingerprint = models.CharField(max_length=64)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=255)
    created_at = models.DateTimeField()
    # Refreshed while the first request runs; a stale lock means its process died.
    locked_at = models.DateTimeField(null=True, blank=True)
    response_status = models.IntegerField(null=True, blank=True)
    response_body = models.TextField(null=True, blank=True)
    request_id = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "key"], name="idempotency_key_unique"),
        ]
        indexes = [models.Index(fields=["created_at"], name="idempotency_created")]


class ApiRequestLog(models.Model):
    """One API request, for Developers → Logs."""

    id = public_id_field("req")
    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField()
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=255)
    status = models.IntegerField()
    duration_ms = models.IntegerField()
    api_key_id = models.CharField(max_length=64, null=True, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    idempotency_key = models.CharField(max_length=255, null=True, blank=True)
    stripe_version = models.CharField(max_length=40, blank=True, default="")
    request_params = models.JSONField(null=True, blank=True)
    # The response body, cut at RESPONSE_EXCERPT characters.
    response_body = models.TextField(blank=True, default="")

    RESPONSE_EXCERPT = 8000

    class Meta:
        indexes = [
            models.Index(fields=["account", "-id"], name="reqlog_account_id"),
            models.Index(fields=["account", "status", "-id"], name="reqlog_account_status"),
        ]
