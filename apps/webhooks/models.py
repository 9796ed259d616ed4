from django.db import models
from django.db.models import Q

from apps.core.modelbase import TimestampedModel, public_id_field
from apps.webhooks.enums import DeliveryStatus, EndpointStatus


class WebhookEndpoint(TimestampedModel):
    """A URL that receives the account's events, signed with its own secret."""

    id = public_id_field("we")
    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="+")
    url = models.URLField(max_length=2048)
    description = models.CharField(max_length=5000, blank=True, default="")
    # Event types sent to this endpoint; ["*"] means every type.
    enabled_events = models.JSONField(default=list)
    status = models.CharField(
        max_length=10, choices=EndpointStatus.choices, default=EndpointStatus.ENABLED
    )
    # "whsec_…": kept in clear because every delivery is signed with it (an HMAC key, not a
    # password); shown to the API only in the create response.
    secret = models.CharField(max_length=100)
    api_version = models.CharField(max_length=40, null=True, blank=True)
    metadata = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["account", "-id"], name="webhook_endpoint_account_id"),
            models.Index(fields=["account", "status"], name="webhook_endpoint_status"),
        ]

    def __str__(self) -> str:
        return self.url

    def receives(self, event_type: str) -> bool:
        return "*" in self.enabled_events or event_type in self.enabled_events


class WebhookDelivery(TimestampedModel):
    """One event to one endpoint: pending until an attempt gets a 2xx or the window closes.

    ``created_at`` is when the event was recorded; retries stop 3 days after it.
    """

    id = public_id_field("whd")
    # Both foreign keys are covered by the composite indexes below that lead with them.
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries", db_index=False
    )
    event = models.ForeignKey("core.Event", on_delete=models.CASCADE, related_name="+")
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    # Attempts started so far; an attempt's ``number`` is the count right after it was claimed,
    # so a worker can tell whether the delivery is still its own when it records the outcome.
    attempt_count = models.IntegerField(default=0)
    # When a worker may next claim it. While an attempt is in flight this is the end of the
    # claim's lease: if the worker dies, the sweeper finds the delivery due again after it.
    # Null once the delivery is finished.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # When it was last put on the queue; the sweeper re-enqueues only after a grace period,
    # so a backed-up queue is not flooded with duplicates.
    enqueued_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    # Set by a staff replay; the next attempt is marked manual and this is cleared.
    replay_requested_at = models.DateTimeField(null=True, blank=True)
    # HTTP status of the last finished attempt; null if it got no response.
    last_status_code = models.IntegerField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event"], name="webhook_delivery_once"),
            models.CheckConstraint(
                condition=Q(attempt_count__gte=0), name="webhook_delivery_attempts_gte_0"
            ),
        ]
        indexes = [
            # The sweeper: pending deliveries by due time (finished ones are not indexed).
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status=DeliveryStatus.PENDING),
                name="webhook_delivery_due",
            ),
            models.Index(fields=["account", "-id"], name="webhook_delivery_account_id"),
            models.Index(fields=["endpoint", "-id"], name="webhook_delivery_endpoint_id"),
        ]

    def __str__(self) -> str:
        return self.id


class WebhookAttempt(models.Model):
    """One POST of a delivery. Written when claimed, completed when the answer (or error) is in;
    one left without ``finished_at`` means its worker stopped mid-send."""

    RESPONSE_EXCERPT = 2000

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempts")
    number = models.IntegerField()
    attempted_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    # Null when no HTTP response came back (timeout, refused connection, TLS error).
    status_code = models.IntegerField(null=True, blank=True)
    error = models.TextField(blank=True, default="")
    latency_ms = models.IntegerField(null=True, blank=True)
    # The start of the response body, at most RESPONSE_EXCERPT characters.
    response_excerpt = models.TextField(blank=True, default="")
    # Started from a staff replay rather than the automatic schedule.
    manual = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["delivery", "number"], name="webhook_attempt_number"),
        ]

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300
