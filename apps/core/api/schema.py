"""What the OpenAPI document says about every ``/v1`` operation, stated once.

``StripeAutoSchema`` (the ``DEFAULT_SCHEMA_CLASS``) adds the headers Stripe's conventions give
every operation and keeps the base view's docstring out of each description; the authentication
extension documents the secret key as bearer or basic auth; ``list_object`` describes a list.
"""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import get_doc
from drf_spectacular.utils import OpenApiParameter, inline_serializer
from rest_framework import serializers

IDEMPOTENCY_KEY_HEADER = OpenApiParameter(
    name="Idempotency-Key",
    type=str,
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        "Up to 255 characters. A retry with the same key and parameters within 24 hours "
        "replays the first response instead of acting twice."
    ),
)
STRIPE_VERSION_HEADER = OpenApiParameter(
    name="Stripe-Version",
    type=str,
    location=OpenApiParameter.HEADER,
    required=False,
    description="API version for this request; the account's default when absent.",
)


class StripeAutoSchema(AutoSchema):
    def get_description(self) -> str:
        # Only the handler's own docstring: the view classes' docstrings describe the code.
        handler = getattr(self.view, getattr(self.view, "action", self.method.lower()), None)
        return get_doc(handler) if handler is not None else ""

    def get_override_parameters(self) -> list:
        parameters = [STRIPE_VERSION_HEADER]
        if self.method == "POST":
            parameters.append(IDEMPOTENCY_KEY_HEADER)
        return parameters + list(super().get_override_parameters())


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "apps.core.api.authentication.ApiKeyAuthentication"
    name = ["BearerAuth", "BasicAuth"]
    priority = 1

    def get_security_requirement(self, auto_schema) -> list[dict]:
        # Either scheme on its own is enough (OR), not both together.
        return [{name: []} for name in self.name]

    def get_security_definition(self, auto_schema) -> list[dict]:
        return [
            {
                "type": "http",
                "scheme": "bearer",
                "description": "A secret (sk_…) or restricted (rk_…) key as the bearer token.",
            },
            {
                "type": "http",
                "scheme": "basic",
                "description": "The key as user name and an empty password.",
            },
        ]


def list_object(name: str, item: type[serializers.Serializer]) -> serializers.Serializer:
    """A Stripe list object (``object: list``, ``data``, ``has_more``, ``url``) of ``item``."""
    return inline_serializer(
        name=name,
        fields={
            "object": serializers.ChoiceField(choices=["list"]),
            "data": item(many=True),
            "has_more": serializers.BooleanField(),
            "url": serializers.CharField(),
        },
    )


def search_result(name: str, item: type[serializers.Serializer]) -> serializers.Serializer:
    """A Stripe search result (``object: search_result``, ``data``, ``next_page``) of ``item``."""
    return inline_serializer(
        name=name,
        fields={
            "object": serializers.ChoiceField(choices=["search_result"]),
            "data": item(many=True),
            "has_more": serializers.BooleanField(),
            "next_page": serializers.CharField(allow_null=True),
            "url": serializers.CharField(),
        },
    )


def object_schema(ref: str, object_name: str, /, **fields) -> type[serializers.Serializer]:
    """A documentation-only serializer for a Stripe object (``id``, ``object`` and ``fields``)."""
    attrs = {
        "id": serializers.CharField(),
        "object": serializers.ChoiceField(choices=[object_name]),
        **fields,
        "Meta": type("Meta", (), {"ref_name": ref}),
    }
    return type(f"{ref}Schema", (serializers.Serializer,), attrs)
