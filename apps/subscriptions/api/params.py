"""The subscription parameters in Stripe's wire format, parsed for the services: items,
item changes, discounts, trials, the billing cycle anchor and the settings."""

from datetime import datetime, timedelta
from typing import Any

from apps.catalog.selectors import price_list, price_with_product_get, tax_rates_applicable
from apps.core.api.params import (
    get_amount,
    get_bool,
    get_ids,
    get_int,
    get_metadata,
    get_quantity,
    get_str,
    get_timestamp,
    within,
)
from apps.core.errors import InvalidRequestError, ResourceMissingError
from apps.subscriptions.changes import ItemChange
from apps.subscriptions.services import (
    CancellationDetails,
    ItemRequest,
    PauseCollection,
    SubscriptionSettings,
)
from apps.subscriptions.services.create import COLLECTION_METHODS
from apps.subscriptions.services.settings import PAUSE_BEHAVIORS
from apps.subscriptions.services.trials import trial_settings_parse


def discount_params(params) -> dict:
    """``coupon`` / ``promotion_code`` or the newer ``discounts[0][coupon|promotion_code]``."""
    coupon = get_str(params, "coupon", max_length=64)
    code = get_str(params, "promotion_code", max_length=500)
    discounts = params.get("discounts")
    if isinstance(discounts, dict):
        discounts = [discounts[k] for k in sorted(discounts, key=int)]
    if isinstance(discounts, list) and discounts:
        if len(discounts) > 1 or not isinstance(discounts[0], dict):
            raise InvalidRequestError("One discount per subscription.", param="discounts")
        coupon = get_str(discounts[0], "coupon", max_length=64) or coupon
        code = get_str(discounts[0], "promotion_code", max_length=500) or code
    return {"coupon_id": coupon, "promotion_code": code} if coupon or code else {}


def items_parse(raw: Any) -> list[tuple[dict, int]]:
    if isinstance(raw, dict):
        raw = [raw[k] for k in sorted(raw, key=int)]
    if not isinstance(raw, list):
        raise InvalidRequestError("Invalid array: items", param="items")
    return [(item, index) for index, item in enumerate(raw) if isinstance(item, dict)]


def price_or_plan(params: dict, *, required: bool = False) -> tuple[str, str | None]:
    """An item's ``price``, or ``plan`` (Stripe's older name for the same object): which one was
    given, and its id."""
    price_id = get_str(params, "price", max_length=64)
    plan_id = get_str(params, "plan", max_length=64)
    if price_id and plan_id:
        raise InvalidRequestError("Pass price or plan, not both.", param="plan")
    if plan_id:
        return "plan", plan_id
    if required and not price_id:
        raise InvalidRequestError(
            "Missing required param: price.", param="price", code="parameter_missing"
        )
    return "price", price_id


def item_request_parse(
    account, item: dict, index: int, *, now, prefix: str = "items"
) -> ItemRequest:
    """One ``items[N]`` of a new subscription: an active price, quantity, its own trial."""
    param = f"{prefix}[{index}]"
    with within(param):
        name, price_id = price_or_plan(item, required=True)
    price = (
        price_list(account=account)
        .filter(id=price_id, active=True)
        .select_related("product")
        .first()
    )
    if price is None:
        raise ResourceMissingError(name, price_id, param=f"{param}[{name}]")
    with within(param):
        trial_end = get_timestamp(item, "trial_end")
        days = get_int(item, "trial_period_days", minimum=1, maximum=730)
        quantity = get_quantity(item, "quantity", default=1)
        custom_unit_amount = get_amount(item, "custom_unit_amount", currency=price.currency)
        tax_rates = tax_rates_applicable(
            account=account, ids=get_ids(item, "tax_rates") or [], param="tax_rates"
        )
    if trial_end and days:
        raise InvalidRequestError(
            "Pass trial_end or trial_period_days, not both.", param=f"{param}[trial_end]"
        )
    end = trial_end or (now + timedelta(days=days) if days else None)
    if end is not None and end <= now:
        raise InvalidRequestError("trial_end must be in the future.", param=f"{param}[trial_end]")
    return ItemRequest(
        price=price,
        quantity=quantity,
        trial_end=end,
        custom_unit_amount=custom_unit_amount,
        tax_rates=tuple(tax_rates),
    )


def new_items_parse(account, params: dict, *, now) -> list[ItemRequest]:
    """A new subscription's ``items``, or its one ``plan`` with ``quantity`` (Stripe's older
    way to name a single item)."""
    if params.get("plan") in (None, ""):
        return [
            item_request_parse(account, item, index, now=now)
            for item, index in items_parse(params.get("items"))
        ]
    if params.get("items"):
        raise InvalidRequestError("Pass plan or items, not both.", param="plan")
    plan_id = get_str(params, "plan", required=True, max_length=64)
    plan = price_list(account=account).filter(id=plan_id, active=True, type="recurring").first()
    if plan is None:
        raise ResourceMissingError("plan", plan_id, param="plan")
    return [ItemRequest(price=plan, quantity=get_quantity(params, "quantity", default=1))]


def item_changes_parse(account, raw: Any, *, now, prefix: str = "items") -> list[ItemChange]:
    """``items[N]`` of an update (or of its preview): an item's new price or quantity, its
    removal (``deleted``, ``clear_usage``), or a new item as on create."""
    changes = []
    for item, index in items_parse(raw):
        with within(f"{prefix}[{index}]"):
            deleted = bool(get_bool(item, "deleted"))
            clear_usage = bool(get_bool(item, "clear_usage"))
            item_id = get_str(item, "id", max_length=64)
            quantity = get_quantity(item, "quantity")
            custom_unit_amount = (
                get_amount(item, "custom_unit_amount", currency=None) if item_id else None
            )
            tax_rates = get_ids(item, "tax_rates") if item_id else None
            if tax_rates is not None:
                tax_rates = tax_rates_applicable(account=account, ids=tax_rates, param="tax_rates")
        if not item_id:
            request = item_request_parse(account, item, index, now=now, prefix=prefix)
            changes.append(
                ItemChange(
                    item_id=None,
                    price=request.price,
                    quantity=request.quantity,
                    deleted=deleted,
                    clear_usage=clear_usage,
                    trial_end=request.trial_end,
                    custom_unit_amount=request.custom_unit_amount,
                    tax_rates=request.tax_rates,
                )
            )
            continue
        price = None
        with within(f"{prefix}[{index}]"):
            name, price_id = price_or_plan(item)
        if price_id:
            price = price_with_product_get(account=account, price_id=price_id)
            if price is None:
                raise ResourceMissingError(name, price_id, param=f"{prefix}[{index}][{name}]")
        changes.append(
            ItemChange(
                item_id=item_id,
                price=price,
                quantity=quantity,
                deleted=deleted,
                clear_usage=clear_usage,
                custom_unit_amount=custom_unit_amount,
                tax_rates=None if tax_rates is None else tuple(tax_rates),
            )
        )
    return changes


def trial_parse(params: dict, *, now, param: str = "trial_end") -> datetime | None:
    """A subscription's ``trial_end`` (an epoch or ``now``: no trial) or ``trial_period_days``."""
    raw = params.get("trial_end")
    days = get_int(params, "trial_period_days", minimum=1, maximum=730)
    if raw not in (None, "") and days:
        raise InvalidRequestError("Pass trial_end or trial_period_days, not both.", param=param)
    if days:
        return now + timedelta(days=days)
    if raw in (None, "", "now"):
        return None
    end = get_timestamp(params, "trial_end", required=True)
    if end <= now:
        raise InvalidRequestError("trial_end must be in the future.", param=param)
    return end


def anchor_parse(params: dict, name: str = "billing_cycle_anchor") -> datetime | None:
    return get_timestamp(params, name)


# The settings of an update (``subscription_update_settings``).
SETTINGS = frozenset(
    {
        "cancel_at",
        "trial_settings",
        "pause_collection",
        "cancel_at_period_end",
        "cancellation_details",
        "collection_method",
        "days_until_due",
        "default_payment_method",
        "default_tax_rates",
        "metadata",
    }
)


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return str(value) if value else None


def cancellation_details_parse(raw: Any) -> CancellationDetails:
    """``cancellation_details[comment|feedback]``; anything but a hash gives none."""
    if not isinstance(raw, dict):
        return CancellationDetails()
    return CancellationDetails(
        comment=_text(raw.get("comment")), feedback=_text(raw.get("feedback"))
    )


def pause_collection_parse(raw: Any) -> PauseCollection | None:
    """``pause_collection[behavior|resumes_at]``; ``""`` clears it."""
    if raw in ("", None):
        return None
    if not isinstance(raw, dict):
        raise InvalidRequestError("Invalid hash: pause_collection", param="pause_collection")
    behavior = get_str(raw, "behavior", required=True, choices=list(PAUSE_BEHAVIORS))
    return PauseCollection(behavior=behavior, resumes_at=get_timestamp(raw, "resumes_at"))


def _cancel_at_parse(params: dict) -> datetime | None:
    if params["cancel_at"] in ("", None):
        return None
    return get_timestamp(params, "cancel_at", required=True)


# Each setting given, parsed; in the order they are checked.
_SETTING_PARSERS = {
    "cancel_at_period_end": lambda params: bool(get_bool(params, "cancel_at_period_end")),
    "cancel_at": _cancel_at_parse,
    "trial_settings": lambda params: trial_settings_parse(params["trial_settings"]),
    "pause_collection": lambda params: pause_collection_parse(params["pause_collection"]),
    "collection_method": lambda params: get_str(
        params, "collection_method", choices=list(COLLECTION_METHODS)
    ),
    "days_until_due": lambda params: get_int(params, "days_until_due", minimum=0, maximum=365),
    "default_payment_method": lambda params: get_str(
        params, "default_payment_method", max_length=64
    ),
    "metadata": get_metadata,
    "default_tax_rates": lambda params: get_ids(params, "default_tax_rates"),
}


def settings_parse(params: dict, *, proration_behavior: str) -> SubscriptionSettings | None:
    """The settings an update gives (None if it gives none); ``proration_behavior`` goes with a
    ``cancel_at``."""
    if not any(name in params for name in SETTINGS):
        return None
    given = {name: parse(params) for name, parse in _SETTING_PARSERS.items() if name in params}
    if "cancel_at" in given:
        given["proration_behavior"] = proration_behavior
    return SubscriptionSettings(
        cancellation_details=cancellation_details_parse(params.get("cancellation_details")),
        **given,
    )
