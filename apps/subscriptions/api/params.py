"""The subscription parameters in Stripe's wire format, parsed for the services: items,
item changes, discounts, trials and the billing cycle anchor."""

from datetime import datetime, timedelta
from typing import Any

from apps.catalog.selectors import price_list
from apps.core.api.params import (
    get_amount,
    get_bool,
    get_int,
    get_quantity,
    get_str,
    get_timestamp,
    within,
)
from apps.core.errors import InvalidRequestError, ResourceMissingError
from apps.subscriptions.changes import ItemChange
from apps.subscriptions.services import (
    ItemRequest,
)


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


def item_request_parse(
    account, item: dict, index: int, *, now, prefix: str = "items"
) -> ItemRequest:
    """One ``items[N]`` of a new subscription: an active price, quantity, its own trial."""
    param = f"{prefix}[{index}]"
    price_id = get_str(item, "price", required=True, max_length=64)
    price = price_list(account=account).filter(id=price_id, active=True).first()
    if price is None:
        raise ResourceMissingError("price", price_id, param=f"{param}[price]")
    with within(param):
        trial_end = get_timestamp(item, "trial_end")
        days = get_int(item, "trial_period_days", minimum=1, maximum=730)
        quantity = get_quantity(item, "quantity", default=1)
        custom_unit_amount = get_amount(item, "custom_unit_amount", currency=price.currency)
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
    )


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
                )
            )
            continue
        price = None
        price_id = get_str(item, "price", max_length=64)
        if price_id:
            price = (
                price_list(account=account).select_related("product").filter(id=price_id).first()
            )
            if price is None:
                raise ResourceMissingError("price", price_id, param=f"{prefix}[{index}][price]")
        changes.append(
            ItemChange(
                item_id=item_id,
                price=price,
                quantity=quantity,
                deleted=deleted,
                clear_usage=clear_usage,
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
