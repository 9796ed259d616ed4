"""Coupons and promotion codes. What the API sends is parsed into these arguments by
``apps.catalog.discount_params``."""

import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db import IntegrityError, transaction

from apps.accounts.audit import change_record, previous_of
from apps.accounts.models import Account
from apps.catalog.models import Coupon, Product, PromotionCode
from apps.catalog.render import coupon_render, promotion_code_render
from apps.core import clock
from apps.core.actor import Actor
from apps.core.api.params import metadata_merge
from apps.core.errors import InvalidRequestError, ResourceMissingError
from apps.core.ids import new_secret
from apps.core.locks import row_lock, rows_lock
from apps.customers.selectors import customer_get

_ID = re.compile(r"[A-Za-z0-9_\-]{1,64}")
_CODE = re.compile(r"[A-Za-z0-9\-]{1,500}")


@dataclass(frozen=True)
class NewCoupon:
    """A coupon to create: ``percent_off`` (above 0, at most 100, 2 decimals) or ``amount_off``
    in minor units of ``currency``, other currencies' amounts in ``currency_options``
    (``{"eur": {"amount_off": 900}}``). ``coupon_id`` None for a generated one;
    ``applies_to_products`` product ids, None for every product."""

    coupon_id: str | None = None
    percent_off: Decimal | None = None
    amount_off: int | None = None
    currency: str = ""
    currency_options: dict[str, dict[str, int]] = field(default_factory=dict)
    duration: str = "once"
    duration_in_months: int | None = None
    applies_to_products: list[str] | None = None
    redeem_by: datetime | None = None
    name: str = ""
    max_redemptions: int | None = None
    metadata: dict[str, str] = field(default_factory=dict)


def coupon_id_check(coupon_id: str) -> None:
    if not _ID.fullmatch(coupon_id):
        raise InvalidRequestError("A coupon id has letters, digits, - and _ only.", param="id")


def coupon_discount_check(*, percent_given: bool, amount_given: bool) -> None:
    if percent_given == amount_given:
        raise InvalidRequestError(
            "Pass exactly one of percent_off and amount_off.",
            param="percent_off",
            code="parameter_missing",
        )


def coupon_percent_check(value: Decimal) -> None:
    if not Decimal(0) < value <= Decimal(100) or -value.as_tuple().exponent > 2:
        raise InvalidRequestError(
            "percent_off is above 0 and at most 100, with at most 2 decimals.",
            param="percent_off",
        )


def coupon_duration_check(duration: str, months: int | None) -> None:
    if (duration == "repeating") != (months is not None):
        raise InvalidRequestError(
            "duration_in_months goes with duration=repeating, and only with it.",
            param="duration_in_months",
        )


def coupon_redeem_by_check(redeem_by: datetime | None) -> None:
    if redeem_by is not None and redeem_by <= clock.now():
        raise InvalidRequestError("redeem_by must be in the future.", param="redeem_by")


def _products_check(account: Account, products: list[str] | None) -> None:
    """Each product ``applies_to[products]`` names is a product of the account."""
    if products is None:
        return
    known = set(
        Product.objects.filter(account=account, id__in=products).values_list("id", flat=True)
    )
    missing = [p for p in products if p not in known]
    if missing:
        raise ResourceMissingError("product", missing[0], param="applies_to[products]")


def coupon_create(*, account: Account, coupon: NewCoupon, actor: Actor) -> Coupon:
    coupon_id = coupon.coupon_id or new_secret(8).upper()
    coupon_id_check(coupon_id)
    coupon_discount_check(
        percent_given=coupon.percent_off is not None, amount_given=coupon.amount_off is not None
    )
    if coupon.percent_off is not None:
        coupon_percent_check(coupon.percent_off)
    coupon_duration_check(coupon.duration, coupon.duration_in_months)
    coupon_redeem_by_check(coupon.redeem_by)
    _products_check(account, coupon.applies_to_products)
    try:
        with transaction.atomic():
            row = Coupon.objects.create(
                account=account,
                coupon_id=coupon_id,
                name=coupon.name,
                percent_off=coupon.percent_off,
                amount_off=coupon.amount_off,
                currency=coupon.currency,
                currency_options=coupon.currency_options,
                duration=coupon.duration,
                duration_in_months=coupon.duration_in_months,
                max_redemptions=coupon.max_redemptions,
                redeem_by=coupon.redeem_by,
                applies_to_products=coupon.applies_to_products,
                metadata=coupon.metadata,
                created_at=clock.now(),
            )
            change_record(
                account=account,
                actor=actor,
                type="coupon.created",
                object_type="coupon",
                data_object=coupon_render(row),
            )
    except IntegrityError as exc:
        raise InvalidRequestError(
            f"Coupon already exists: {coupon_id}", param="id", code="resource_already_exists"
        ) from exc
    return row


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


@dataclass(frozen=True)
class NewPromotionCode:
    """A code for the coupon ``coupon_id``: ``code`` None for a generated one; ``customer`` a
    customer id it is restricted to; ``minimum_amount`` (minor units) and its currency go
    together."""

    coupon_id: str
    code: str | None = None
    active: bool = True
    max_redemptions: int | None = None
    expires_at: datetime | None = None
    customer: str | None = None
    first_time_transaction: bool = False
    minimum_amount: int | None = None
    minimum_amount_currency: str = ""
    metadata: dict[str, str] = field(default_factory=dict)


def promotion_code_check(code: str) -> None:
    if not _CODE.fullmatch(code):
        raise InvalidRequestError(
            "A promotion code has letters, digits and dashes only.", param="code"
        )


def promotion_minimum_check(minimum: int | None, currency: str) -> None:
    if (minimum is None) != (not currency):
        raise InvalidRequestError(
            "restrictions[minimum_amount] and [minimum_amount_currency] go together.",
            param="restrictions[minimum_amount_currency]",
        )


def _limits_check(coupon: Coupon, promo: NewPromotionCode) -> None:
    """A code expires and is redeemed no later and no more than its coupon."""
    if promo.expires_at and coupon.redeem_by and promo.expires_at > coupon.redeem_by:
        raise InvalidRequestError(
            "expires_at cannot be after the coupon's redeem_by.", param="expires_at"
        )
    if (
        promo.max_redemptions is not None
        and coupon.max_redemptions is not None
        and promo.max_redemptions > coupon.max_redemptions
    ):
        raise InvalidRequestError(
            "max_redemptions cannot exceed the coupon's max_redemptions.",
            param="max_redemptions",
        )


def promotion_code_create(
    *, account: Account, promo: NewPromotionCode, actor: Actor
) -> PromotionCode:
    code = promo.code or new_secret(8).upper()
    promotion_code_check(code)
    promotion_minimum_check(promo.minimum_amount, promo.minimum_amount_currency)
    if promo.customer and customer_get(account=account, customer_id=promo.customer) is None:
        raise ResourceMissingError("customer", promo.customer, param="customer")
    with transaction.atomic():
        coupon = _locked_coupon(account, promo.coupon_id)
        _limits_check(coupon, promo)
        try:
            with transaction.atomic():
                row = PromotionCode.objects.create(
                    account=account,
                    coupon=coupon,
                    code=code,
                    customer_id=promo.customer,
                    active=promo.active,
                    max_redemptions=promo.max_redemptions,
                    expires_at=promo.expires_at,
                    first_time_transaction=promo.first_time_transaction,
                    minimum_amount=promo.minimum_amount,
                    minimum_amount_currency=promo.minimum_amount_currency.lower(),
                    metadata=promo.metadata,
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
            data_object=promotion_code_render(row),
        )
    return row


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
