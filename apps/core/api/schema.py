"""What the OpenAPI document says about every ``/v1`` operation, stated once.

``StripeAutoSchema`` (the ``DEFAULT_SCHEMA_CLASS``) adds the headers Stripe's conventions give
every operation and keeps the base view's docstring out of each description; ``list_object``
describes a list. (How the secret key is sent is documented beside the authentication class, in
apps.accounts.api.authentication.)
"""

import re

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


ERROR_STATUSES = {
    "400": "Invalid parameters",
    "401": "No valid API key",
    "402": "The card or payment was declined",
    "403": "The key may not call this endpoint",
    "404": "No such object, or no such URL",
    "409": "The object changed in a conflicting way, or an Idempotency-Key is being used",
    "413": "The request body is too large",
    "429": "Too many requests",
}
ERROR_SCHEMA = {
    "type": "object",
    "description": "Stripe's error object: every failure answers one.",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "type": {
                    "type": "string",
                    "enum": [
                        "api_error",
                        "card_error",
                        "idempotency_error",
                        "invalid_request_error",
                    ],
                },
                "message": {"type": "string"},
                "code": {"type": "string"},
                "decline_code": {"type": "string"},
                "doc_url": {"type": "string"},
                "param": {"type": "string"},
                "charge": {"type": "string"},
            },
            "required": ["type", "message"],
        }
    },
    "required": ["error"],
}
# An id of the object behind each path parameter (by name; ``id`` by the collection before it),
# shaped as the API makes them.
ID_EXAMPLES = {
    "balance_transactions": "txn_0mx9h9o0200003zg4zb6byhy",
    "charge": "ch_0mx9h9o0200003zg4zb6byhy",
    "coupon": "25OFF",
    "credit_notes": "cn_0mx9h9o0200003zg4zb6byhy",
    "customer": "cus_0mx9h9o0200003zg4zb6byhy",
    "event_id": "evt_0mx9h9o0200003zg4zb6byhy",
    "intent": "pi_0mx9h9o0200003zg4zb6byhy",
    "invoice": "in_0mx9h9o0200003zg4zb6byhy",
    "invoiceitem": "ii_0mx9h9o0200003zg4zb6byhy",
    "item": "si_0mx9h9o0200003zg4zb6byhy",
    "note": "note_0mx9h9o0200003zg4zb6byhy",
    "payment_method": "pm_0mx9h9o0200003zg4zb6byhy",
    # A plan id is the integrator's choice (or a price id).
    "plan": "gold-monthly",
    "price": "price_0mx9h9o0200003zg4zb6byhy",
    "products": "prod_0mx9h9o0200003zg4zb6byhy",
    "promotion_code": "promo_0mx9h9o0200003zg4zb6byhy",
    "refund": "re_0mx9h9o0200003zg4zb6byhy",
    "source": "src_0mx9h9o0200003zg4zb6byhy",
    "setup_intent": "seti_0mx9h9o0200003zg4zb6byhy",
    "sources": "card_0mx9h9o0200003zg4zb6byhy",
    "subscription": "sub_0mx9h9o0200003zg4zb6byhy",
    "tax_ids": "txi_0mx9h9o0200003zg4zb6byhy",
    "tax_rate": "txr_0mx9h9o0200003zg4zb6byhy",
    "test_clock": "clock_0mx9h9o0200003zg4zb6byhy",
    "token": "tok_0mx9h9o0200003zg4zb6byhy",
    "transaction": "cbtxn_0mx9h9o0200003zg4zb6byhy",
    "webhook_endpoint": "we_0mx9h9o0200003zg4zb6byhy",
}
_PARAM = re.compile(r"\{([^}]+)\}")


def path_parameter_key(path: str, name: str) -> str:
    """What ``ID_EXAMPLES`` knows the parameter ``name`` of ``path`` by."""
    if name != "id":
        return name
    segments = path.split("/")
    return segments[segments.index("{id}") - 1]


def _operations(paths: dict):
    for path, item in paths.items():
        for method, operation in item.items():
            yield path, method, operation


def _link_targets(paths: dict, create_path: str) -> tuple[str, list[tuple[str, dict]]] | None:
    """The parameter naming what ``POST create_path`` creates, and the operations taking it:
    those under ``create_path/{name}`` and, for a name other than ``id``, any other path whose
    only parameter it is (``/v1/test_helpers/payment_intents/{intent}/…``)."""
    prefix = create_path + "/{"
    children = [path for path in paths if path.startswith(prefix)]
    if not children:
        return None
    name = children[0][len(prefix) :].split("}", 1)[0]
    known = set(_PARAM.findall(create_path)) | {name}
    targets = []
    for path, _, operation in _operations(paths):
        params = set(_PARAM.findall(path))
        under = path.startswith(f"{prefix}{name}}}")
        elsewhere = name != "id" and params == {name} and not path.startswith(create_path)
        if name in params and params <= known and (under or elsewhere):
            targets.append((path, operation))
    return name, targets


def _add_links(paths: dict) -> None:
    """OpenAPI links from each create operation to the operations on what it created."""
    for create_path, item in paths.items():
        create = item.get("post")
        if create is None or create_path.endswith("}"):
            continue
        found = _link_targets(paths, create_path)
        if found is None:
            continue
        name, targets = found
        links = {}
        for path, operation in targets:
            parameters = {
                param: "$response.body#/id" if param == name else f"$request.path.{param}"
                for param in _PARAM.findall(path)
            }
            links[operation["operationId"]] = {
                "operationId": operation["operationId"],
                "parameters": parameters,
            }
        for status, response in create["responses"].items():
            if status.startswith("2"):
                response["links"] = links


def stripe_schema_postprocess(result: dict, generator, request, public) -> dict:
    """Stated once for every operation: the error responses, path parameter examples and
    links from creating an object to using it (so clients and fuzzers can follow them)."""
    result["components"].setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    error = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    for path, _, operation in _operations(result["paths"]):
        for status, description in ERROR_STATUSES.items():
            operation["responses"].setdefault(status, {"description": description, **error})
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "path":
                key = path_parameter_key(path, parameter["name"])
                parameter["example"] = ID_EXAMPLES[key]
    _add_links(result["paths"])
    return result
