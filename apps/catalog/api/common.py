"""What the catalog endpoints share: list parameters, the deleted-object and metadata-only
schemas, the API resource they are permitted under."""

from drf_spectacular.utils import inline_serializer
from rest_framework import serializers

from apps.core.api.views import ApiView

LIST_PARAMS = {"limit", "starting_after", "ending_before", "created"}
DELETED = inline_serializer(
    name="DeletedCatalogObject",
    fields={
        "id": serializers.CharField(),
        "object": serializers.CharField(),
        "deleted": serializers.BooleanField(),
    },
)
PARAMS = inline_serializer(
    name="CatalogParams", fields={"metadata": serializers.DictField(required=False)}
)


class CatalogApi(ApiView):
    resource = "products"
