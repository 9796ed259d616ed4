"""Coupons and promotion codes."""

import re
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction

from apps.accounts.audit import change_record, previous_of
from apps.accounts.models import Account
from apps.catalog.models import Coupon, Product, PromotionCode
from apps.catalog.render import coupon_render, promotion_code_render
from apps.core import clock, money
from apps.core.actor import Actor
from apps.core.api.params import (
    get_amount,
    get_bool,
    get_currency,
    get_int,
    get_list,
    get_metadata,
    get_str,
    get_timestamp,
    metadata_merge,
    within,
)
from apps.core.errors import InvalidRequestError, ResourceMissingError
from apps.core.ids import new_secret
from apps.core.locks import row_lock, rows_lock
from apps.customers.selectors import customer_get

_ID = re.compile(r"[A-Za-z0-9_\-]{1,64}")
_CODE = re.compile(r"[A-Za-z0-9\-]{1,500}")


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
        if not Decimal(0) < value <= Decimal(100) or -value.as_tuple().exponent > 2:
            raise InvalidRequestError(
                "percent_off is above 0 and at most 100, with at most 2 decimals.",
                param="percent_off",
            )
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


def _applies_to_products(account: Account, applies_to: Any) -> list[str] | None:
    """The products ``applies_to[products]`` names, each a product of the account."""
    if applies_to in (None, ""):
        return None
    products = [
        str(p) for p in get_list(applies_to if isinstance(applies_to, dict) else {}, "products")
    ]
    known = set(
        Product.objects.filter(account=account, id__in=products).values_list("id", flat=True)
    )
    missing = [p for p in products if p not in known]
    if missing:
        raise ResourceMissingError("product", missing[0], param="applies_to[products]")
    return products


def coupon_create(*, account: Account, params: dict[str, Any], actor: Actor) -> Coupon:
    coupon_id = get_str(params, "id", max_length=64) or new_secret(8).upper()
    if not _ID.fullmatch(coupon_id):
        raise InvalidRequestError("A coupon id has letters, digits, - and _ only.", param="id")
    percent, amount = params.get("percent_off"), params.get("amount_off")
    if (percent in (None, "")) == (amount in (None, "")):
        raise InvalidRequestError(
            "Pass exactly one of percent_off and amount_off.",
            param="percent_off",
            code="parameter_missing",
        )
    fields = _discount_fields(params, percent)
    duration = get_str(params, "duration", choices=["once", "repeating", "forever"]) or "once"
    months = get_int(params, "duration_in_months", minimum=1, maximum=1200)
    if (duration == "repeating") != (months is not None):
        raise InvalidRequestError(
            "duration_in_months goes with duration=repeating, and only with it.",
            param="duration_in_months",
        )
    products = _applies_to_products(account, params.get("applies_to"))
    redeem_by = get_timestamp(params, "redeem_by")
    if redeem_by is not None and redeem_by <= clock.now():
        raise InvalidRequestError("redeem_by must be in the future.", param="redeem_by")
    try:
        with transaction.atomic():
            coupon = Coupon.objects.create(
                account=account,
                coupon_id=coupon_id,
                name=get_str(params, "name", max_length=40) or "",
                duration=duration,
                duration_in_months=months,
                max_redemptions=get_int(params, "max_redemptions", minimum=1),
                redeem_by=redeem_by,
                applies_to_products=products,
                metadata=get_metadata(params) or {},
                created_at=clock.now(),
                **fields,
            )
            change_record(
                account=account,
                actor=actor,
                type="coupon.created",
                object_type="coupon",
                data_object=coupon_render(coupon),
            )
    except IntegrityError as exc:
        raise InvalidRequestError(
            f"Coupon already exists: {coupon_id}", param="id", code="resource_already_exists"
        ) from exc
    return coupon


def _locked_coupon(account: Account, coupon_id: str) -> Coupon:
    coupon = row_lock(
        Coupon.objects.filter(account=account, coupon_id=coupon_id, deleted_at__isnull=True)
    )
    if coupon is None:
        raise ResourceMissingError("coupon", coupon_id)
    coupon.account = account
    return coupon


def coupon_update(
    *,
    account: Account,
    coupon_id: str,
    name: str | None = None,
    currency_options: dict[str, dict[str, int]] | None = None,
    metadata: dict[str, str] | None = None,
    actor: Actor,
) -> Coupon:
    """Only the name (None leaves it, "" clears it), metadata and other currencies' amounts
    (``{"eur": {"amount_off": 450}}``, added to the ones it has) of a coupon change (as Stripe);
    its own terms are fixed."""
    with transaction.atomic():
        coupon = _locked_coupon(account, coupon_id)
        before = coupon_render(coupon)
        if name is not None:
            coupon.name = name
        if currency_options:
            if coupon.amount_off is None:
                raise InvalidRequestError(
                    "Only an amount_off coupon has amounts in other currencies.",
                    param="currency_options",
                )
            if coupon.currency in currency_options:
                raise InvalidRequestError(
                    "currency_options lists other currencies than the coupon's own.",
                    param=f"currency_options[{coupon.currency}]",
                )
            coupon.currency_options = {**coupon.currency_options, **currency_options}
        coupon.metadata = metadata_merge(coupon.metadata, metadata)
        coupon.save()
        after = coupon_render(coupon)
        previous = previous_of(before, after)
        if previous:
            change_record(
                account=account,
                actor=actor,
                type="coupon.updated",
                object_type="coupon",
                data_object=after,
                previous=previous,
            )
    return coupon


def coupon_delete(*, account: Account, coupon_id: str, actor: Actor) -> str:
    """Deleted coupons can no longer be redeemed; discounts already applied keep running."""
    with transaction.atomic():
        # Its codes first, then the coupon: the order a redemption locks them in.
        codes = PromotionCode.objects.filter(
            coupon__account=account, coupon__coupon_id=coupon_id, coupon__deleted_at__isnull=True
        )
        _, coupons = rows_lock(
            codes,
            Coupon.objects.filter(account=account, coupon_id=coupon_id, deleted_at__isnull=True),
        )
        if not coupons:
            raise ResourceMissingError("coupon", coupon_id)
        coupon = coupons[0]
        coupon.account = account
        data = coupon_render(coupon)
        coupon.deleted_at = clock.now()
        coupon.save(update_fields=["deleted_at", "updated_at"])
        coupon.promotion_codes.update(active=False)
        change_record(
            account=account,
            actor=actor,
            type="coupon.deleted",
            object_type="coupon",
            data_object=data,
        )
    return coupon_id


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


def promotion_code_create(
    *, account: Account, params: dict[str, Any], actor: Actor
) -> PromotionCode:
    coupon_id = _promotion_coupon(params)
    code = get_str(params, "code", max_length=500) or new_secret(8).upper()
    if not _CODE.fullmatch(code):
        raise InvalidRequestError(
            "A promotion code has letters, digits and dashes only.", param="code"
        )
    restrictions = params.get("restrictions") or {}
    if not isinstance(restrictions, dict):
        raise InvalidRequestError("Invalid hash: restrictions", param="restrictions")
    with within("restrictions"):
        minimum_currency = get_currency(restrictions, "minimum_amount_currency") or ""
        minimum = get_amount(
            restrictions, "minimum_amount", currency=minimum_currency or None, minimum=1
        )
        first_time = get_bool(restrictions, "first_time_transaction", default=False)
    if (minimum is None) != (not minimum_currency):
        raise InvalidRequestError(
            "restrictions[minimum_amount] and [minimum_amount_currency] go together.",
            param="restrictions[minimum_amount_currency]",
        )
    expires_at = get_timestamp(params, "expires_at")
    customer = get_str(params, "customer", max_length=64)
    if customer:
        if customer_get(account=account, customer_id=customer) is None:
            raise ResourceMissingError("customer", customer, param="customer")
    with transaction.atomic():
        coupon = _locked_coupon(account, coupon_id)
        if expires_at and coupon.redeem_by and expires_at > coupon.redeem_by:
            raise InvalidRequestError(
                "expires_at cannot be after the coupon's redeem_by.", param="expires_at"
            )
        max_redemptions = get_int(params, "max_redemptions", minimum=1)
        if (
            max_redemptions is not None
            and coupon.max_redemptions is not None
            and max_redemptions > coupon.max_redemptions
        ):
            raise InvalidRequestError(
                "max_redemptions cannot exceed the coupon's max_redemptions.",
                param="max_redemptions",
            )
        try:
            with transaction.atomic():
                promo = PromotionCode.objects.create(
                    account=account,
                    coupon=coupon,
                    code=code,
                    customer_id=customer,
                    active=get_bool(params, "active", default=True),
                    max_redemptions=max_redemptions,
                    expires_at=expires_at,
                    first_time_transaction=first_time,
                    minimum_amount=minimum,
                    minimum_amount_currency=minimum_currency.lower(),
                    metadata=get_metadata(params) or {},
                    created_at=clock.now(),
                )
        except IntegrityError as exc:
            raise InvalidRequestError(
                f"An active promotion code {code!r} already exists.", param="code"
            ) from exc
        change_record(
            account=account,
            actor=actor,
            type="promotion_code.created",
            object_type="promotion_code",
            data_object=promotion_code_render(promo),
        )
    return promo


def promotion_code_update(
    *,
    account: Account,
    promo_id: str,
    active: bool | None = None,
    metadata: dict[str, str] | None = None,
    actor: Actor,
) -> PromotionCode:
    """Activate or deactivate a code (None leaves it) and change its metadata."""
    with transaction.atomic():
        promo = row_lock(
            PromotionCode.objects.select_related("coupon").filter(account=account, id=promo_id)
        )
        if promo is None:
            raise ResourceMissingError("promotion_code", promo_id)
        promo.account = promo.coupon.account = account
        before = promotion_code_render(promo)
        if active is not None:
            if active and promo.coupon.deleted_at is not None:
                raise InvalidRequestError("The coupon of this code was deleted.", param="active")
            promo.active = active
        promo.metadata = metadata_merge(promo.metadata, metadata)
        try:
            with transaction.atomic():
                promo.save()
        except IntegrityError as exc:
            raise InvalidRequestError(
                f"Another active promotion code is {promo.code!r}.", param="active"
            ) from exc
        after = promotion_code_render(promo)
        previous = previous_of(before, after)
        if previous:
            change_record(
                account=account,
                actor=actor,
                type="promotion_code.updated",
                object_type="promotion_code",
                data_object=after,
                previous=previous,
            )
    return promo
