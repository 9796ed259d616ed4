"""Stripe's product parameters as the typed arguments of the product services, each checked with
the parameter it names (the API's product endpoints and a new price's ``product_data``)."""

import re
from typing import Any

from apps.catalog.services.products import NewProduct
from apps.core.api.params import get_bool, get_int, get_metadata, get_str
from apps.core.errors import InvalidRequestError

# The ids an integrator may choose (a plan's, a product's): they appear in URL paths.
_CUSTOM_ID = re.compile(r"[A-Za-z0-9_.\-]{1,64}")

_TEXT = {
    "name": 250,
    "description": 5000,
    "unit_label": 12,
    "statement_descriptor": 22,
    "tax_code": 40,
    "url": 2048,
}


def product_fields(params: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    """The product fields ``params`` holds, checked (``type`` and a required name on create)."""
    fields: dict[str, Any] = {}
    if creating and "type" in params:
        fields["type"] = get_str(params, "type", choices=["service", "good"]) or "service"
    for name, length in _TEXT.items():
        if name in params:
            fields[name] = get_str(params, name, max_length=length) or ""
    if creating and not fields.get("name"):
        raise InvalidRequestError(
            "Missing required param: name.", param="name", code="parameter_missing"
        )
    if "active" in params:
        fields["active"] = get_bool(params, "active")
    if "shippable" in params:
        fields["shippable"] = get_bool(params, "shippable")
    if "images" in params:
        images = params["images"] or []
        if not isinstance(images, list) or len(images) > 8:
            raise InvalidRequestError("images is a list of at most 8 URLs.", param="images")
        fields["images"] = [str(i) for i in images]
    if "marketing_features" in params:
        features = params["marketing_features"] or []
        if not isinstance(features, list) or any(
            not isinstance(f, dict) or not f.get("name") for f in features
        ):
            raise InvalidRequestError(
                "marketing_features is a list of {name}.", param="marketing_features"
            )
        fields["marketing_features"] = [{"name": str(f["name"])[:80]} for f in features[:15]]
    if "default_trial_days" in params:
        fields["default_trial_days"] = get_int(params, "default_trial_days", minimum=0, maximum=730)
    return fields


def new_product_parse(params: dict[str, Any]) -> NewProduct:
    """A new product's parameters (``POST /v1/products`` or ``product_data``) as a NewProduct."""
    fields = product_fields(params, creating=True)
    return NewProduct(**fields, metadata=get_metadata(params) or {})


def custom_id_parse(params: dict[str, Any], name: str = "id") -> str | None:
    """The id an integrator chose for a new object, or None to generate one."""
    value = get_str(params, name, max_length=64)
    if value is not None and not _CUSTOM_ID.fullmatch(value):
        raise InvalidRequestError(
            f"Invalid {name}: use letters, digits, '_', '-' and '.' only.", param=name
        )
    return value
