from django.db import models


class EndpointStatus(models.TextChoices):
    ENABLED = "enabled", "Enabled"
    DISABLED = "disabled", "Disabled"


class DeliveryStatus(models.TextChoices):
    # Waiting for its next attempt (the first one, a retry, or a replay).
    PENDING = "pending", "Pending"
    # The endpoint answered 2xx.
    SUCCEEDED = "succeeded", "Succeeded"
    # No 2xx within the retry window (3 days after the event); a replay can still send it.
    FAILED = "failed", "Failed"
