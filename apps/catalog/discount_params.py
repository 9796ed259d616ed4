"""Stripe's coupon and promotion code parameters as the typed arguments of their services, each
checked with the parameter it names, in the order Stripe's fields are read. The dashboard's
coupon form builds the same parameters, so both accept and refuse the same coupons."""

from typing import Any

from apps.catalog.services.coupons import (
    NewCoupon,
    NewPromotionCode,
    coupon_discount_check,
    coupon_duration_check,
    coupon_id_check,
    coupon_percent_check,
    coupon_redeem_by_check,
    promotion_code_check,
    promotion_minimum_check,
)
from apps.core import money
from apps.core.api.params import (
    get_amount,
    get_bool,
    get_currency,
    get_int,
    get_list,
    get_metadata,
    get_str,
    get_timestamp,
    within,
)
from apps.core.errors import InvalidRequestError


def coupon_amounts_parse(options: Any, *, currency: str) -> dict[str, dict[str, int]]:
    """``currency_options`` of an amount-off coupon: ``{"eur": {"amount_off": 900}}``."""
    if not isinstance(options, dict):
        raise InvalidRequestError("Invalid hash: currency_options", param="currency_options")
    checked: dict[str, dict[str, int]] = {}
    for code, option in options.items():
        try:
            other = money.currency_normalize(code)
        except money.MoneyError as exc:
            raise InvalidRequestError(
                f"Invalid currency: {code}", param=f"currency_options[{code}]"
            ) from exc
        if other == currency:
            raise InvalidRequestError(
                "currency_options lists other currencies than the coupon's own.",
                param=f"currency_options[{code}]",
            )
        if not isinstance(option, dict):
            raise InvalidRequestError("Invalid hash", param=f"currency_options[{code}]")
        with within(f"currency_options[{code}]"):
            checked[other] = {
                "amount_off": get_amount(
                    option, "amount_off", currency=other, required=True, minimum=1
                )
            }
    return checked


def _discount_fields(params: dict[str, Any], percent: Any) -> dict[str, Any]:
    """``percent_off``, or ``amount_off`` with its currency and other currencies' amounts."""
    fields: dict[str, Any] = {}
    if percent not in (None, ""):
        try:
            value = money.to_decimal(percent)
        except money.MoneyError as exc:
            raise InvalidRequestError(f"Invalid decimal: {percent}", param="percent_off") from exc
        coupon_percent_check(value)
        fields["percent_off"] = value
    else:
        try:
            fields["currency"] = money.currency_normalize(params.get("currency") or "")
        except money.MoneyError as exc:
            raise InvalidRequestError(
                "amount_off needs a currency.", param="currency", code="parameter_missing"
            ) from exc
        fields["amount_off"] = get_amount(
            params, "amount_off", currency=fields["currency"], minimum=1
        )
        options = params.get("currency_options") or {}
        fields["currency_options"] = coupon_amounts_parse(options, currency=fields["currency"])
    return fields


def _applies_to_products(applies_to: Any) -> list[str] | None:
    if applies_to in (None, ""):
        return None
    return [
        str(p) for p in get_list(applies_to if isinstance(applies_to, dict) else {}, "products")
    ]


def new_coupon_parse(params: dict[str, Any]) -> NewCoupon:
    """``POST /v1/coupons`` as a NewCoupon."""
    coupon_id = get_str(params, "id", max_length=64)
    if coupon_id:
        coupon_id_check(coupon_id)
    percent, amount = params.get("percent_off"), params.get("amount_off")
    coupon_discount_check(
        percent_given=percent not in (None, ""), amount_given=amount not in (None, "")
    )
    fields = _discount_fields(params, percent)
    duration = get_str(params, "duration", choices=["once", "repeating", "forever"]) or "once"
    months = get_int(params, "duration_in_months", minimum=1, maximum=1200)
    coupon_duration_check(duration, months)
    products = _applies_to_products(params.get("applies_to"))
    redeem_by = get_timestamp(params, "redeem_by")
    coupon_redeem_by_check(redeem_by)
    return NewCoupon(
        coupon_id=coupon_id,
        **fields,
        duration=duration,
        duration_in_months=months,
        applies_to_products=products,
        redeem_by=redeem_by,
        name=get_str(params, "name", max_length=40) or "",
        max_redemptions=get_int(params, "max_redemptions", minimum=1),
        metadata=get_metadata(params) or {},
    )


def _promotion_coupon(params: dict[str, Any]) -> str:
    """The coupon of a new code: ``promotion[coupon]`` (API 2025-09-30 and later, with
    ``promotion[type]=coupon``) or ``coupon`` (earlier versions); exactly one."""
    promotion = params.get("promotion")
    if promotion in (None, ""):
        return get_str(params, "coupon", required=True, max_length=64)
    if params.get("coupon") not in (None, ""):
        raise InvalidRequestError("Pass promotion[coupon] or coupon, not both.", param="coupon")
    if not isinstance(promotion, dict):
        raise InvalidRequestError("Invalid hash: promotion", param="promotion")
    with within("promotion"):
        get_str(promotion, "type", required=True, choices=["coupon"])
        return get_str(promotion, "coupon", required=True, max_length=64)


def new_promotion_code_parse(params: dict[str, Any]) -> NewPromotionCode:
    """``POST /v1/promotion_codes`` as a NewPromotionCode."""
    coupon_id = _promotion_coupon(params)
    code = get_str(params, "code", max_length=500)
    if code:
        promotion_code_check(code)
    restrictions = params.get("restrictions") or {}
    if not isinstance(restrictions, dict):
        raise InvalidRequestError("Invalid hash: restrictions", param="restrictions")
    with within("restrictions"):
        minimum_currency = get_currency(restrictions, "minimum_amount_currency") or ""
        minimum = get_amount(
            restrictions, "minimum_amount", currency=minimum_currency or None, minimum=1
        )
        first_time = get_bool(restrictions, "first_time_transaction", default=False)
    promotion_minimum_check(minimum, minimum_currency)
    return NewPromotionCode(
        coupon_id=coupon_id,
        code=code,
        expires_at=get_timestamp(params, "expires_at"),
        customer=get_str(params, "customer", max_length=64),
        max_redemptions=get_int(params, "max_redemptions", minimum=1),
        active=get_bool(params, "active", default=True),
        first_time_transaction=first_time,
        minimum_amount=minimum,
        minimum_amount_currency=minimum_currency,
        metadata=get_metadata(params) or {},
    )
