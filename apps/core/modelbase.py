"""Building blocks every domain model uses."""

from django.db import models

from apps.core import clock
from apps.core.ids import IdGenerator


def public_id_field(prefix: str) -> models.CharField:
    """Primary key of an object the API exposes: ``prefix_…``, never reused, never changed."""
    return models.CharField(
        primary_key=True, max_length=64, default=IdGenerator(prefix), editable=False
    )


class TimestampedModel(models.Model):
    # Set once from the domain clock; for objects under a test clock this is simulated time.
    created_at = models.DateTimeField(default=clock.now, db_index=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
