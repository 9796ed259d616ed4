"""``POST /v1/plans`` as the typed arguments of the plan services.

A plan is a recurring price under Stripe's older names, so its parameters are read as the
price's (``apps.catalog.price_params``) and every error names the plan's parameter: ``amount``
for ``unit_amount``, ``interval`` for ``recurring[interval]``, ``product[name]`` for
``product_data[name]``."""

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from apps.catalog.price_params import new_price_parse
from apps.catalog.product_params import custom_id_parse
from apps.catalog.services import NewPrice, PlanChanges
from apps.core.api.params import get_bool, get_int, get_metadata, get_str
from apps.core.errors import InvalidRequestError
from apps.core.unset import UNSET

PLAN_CREATE_PARAMS = {
    "id",
    "active",
    "aggregate_usage",
    "amount",
    "amount_decimal",
    "billing_scheme",
    "currency",
    "interval",
    "interval_count",
    "metadata",
    "meter",
    "nickname",
    "product",
    "tiers",
    "tiers_mode",
    "transform_usage",
    "trial_period_days",
    "usage_type",
}
PLAN_UPDATE_PARAMS = {"active", "metadata", "nickname", "product", "trial_period_days"}
# The plan's own fields that are a price's ``recurring`` terms.
_RECURRING = ("interval", "interval_count", "usage_type", "aggregate_usage", "trial_period_days")
# The plan's fields read as the price's: its top-level ones and its product hash.
_PRICE_NAMES = {
    "unit_amount_decimal": "amount_decimal",
    "unit_amount": "amount",
    "transform_quantity": "transform_usage",
    "product_data": "product",
    **{f"recurring[{name}]": name for name in (*_RECURRING, "meter")},
}
_PRODUCT_FIELDS = {"id", "name", "active", "metadata", "statement_descriptor", "unit_label"}


def _plan_name(name: str) -> str:
    for price_name, plan_name in _PRICE_NAMES.items():
        if name == price_name or name.startswith(f"{price_name}["):
            return plan_name + name[len(price_name) :]
    return name


@contextmanager
def _plan_names() -> Iterator[None]:
    """Errors of the price's parameters, told with the plan's names."""
    try:
        yield
    except InvalidRequestError as exc:
        if exc.param:
            renamed = _plan_name(exc.param)
            exc.message = exc.message.replace(exc.param, renamed)
            exc.args = (exc.message,)
            exc.param = renamed
        raise


def _product_hash(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise InvalidRequestError("Invalid hash: product", param="product")
    unknown = set(raw) - _PRODUCT_FIELDS
    if unknown:
        name = sorted(unknown)[0]
        raise InvalidRequestError(
            f"Received unknown parameter: product[{name}]", param=f"product[{name}]"
        )
    if raw.get("name") in (None, ""):
        raise InvalidRequestError(
            "Missing required param: product[name].",
            param="product[name]",
            code="parameter_missing",
        )
    return {name: value for name, value in raw.items() if name != "id"}


def new_plan_parse(params: dict[str, Any]) -> NewPrice:
    """A new plan as the recurring price it is; ``product`` is an id or a new product's hash."""
    plan_id = custom_id_parse(params)
    if params.get("interval") in (None, ""):
        raise InvalidRequestError(
            "Missing required param: interval.", param="interval", code="parameter_missing"
        )
    recurring = {name: params[name] for name in (*_RECURRING, "meter") if name in params}
    price_params = {
        name: params[plan_name]
        for name, plan_name in (
            ("currency", "currency"),
            ("billing_scheme", "billing_scheme"),
            ("tiers", "tiers"),
            ("tiers_mode", "tiers_mode"),
            ("unit_amount", "amount"),
            ("unit_amount_decimal", "amount_decimal"),
            ("transform_quantity", "transform_usage"),
            ("nickname", "nickname"),
            ("active", "active"),
            ("metadata", "metadata"),
        )
        if plan_name in params
    }
    price_params["recurring"] = recurring
    product = params.get("product")
    product_id = None
    if isinstance(product, dict):
        product_id = custom_id_parse(product, "id")
        price_params["product_data"] = _product_hash(product)
    elif product not in (None, ""):
        price_params["product"] = product
    with _plan_names():
        price = new_price_parse(price_params)
    if product_id is not None and price.product_data is not None:
        price = dataclasses.replace(
            price, product_data=dataclasses.replace(price.product_data, id=product_id)
        )
    return dataclasses.replace(price, id=plan_id)


def plan_changes_parse(params: dict[str, Any]) -> PlanChanges:
    """``POST /v1/plans/:id``: what Stripe lets change on a plan (its amounts never do)."""
    nickname = None
    if "nickname" in params:
        nickname = get_str(params, "nickname", max_length=250) or ""
    trial_days: int | None | object = UNSET
    if "trial_period_days" in params:
        trial_days = get_int(params, "trial_period_days", minimum=0, maximum=730) or None
    product = None
    if "product" in params:
        product = get_str(params, "product", required=True, max_length=64)
    return PlanChanges(
        active=get_bool(params, "active"),
        nickname=nickname,
        metadata=get_metadata(params),
        product=product,
        trial_period_days=trial_days,
    )
