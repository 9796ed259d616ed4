"""Stripe wire shapes of products, prices, coupons, promotion codes and tax rates."""

from decimal import Decimal
from typing import Any

from apps.catalog.models import Coupon, Price, Product, PromotionCode, TaxRate
from apps.core import clock


def decimal_text(value: Decimal | str | None) -> str | None:
    """A decimal as Stripe writes it: no exponent, no trailing zeros ("12.5", "1000")."""
    if value is None:
        return None
    text = format(Decimal(value).normalize(), "f")
    return text


def _whole(value: Decimal | str | None) -> int | None:
    if value is None:
        return None
    number = Decimal(value)
    return int(number) if number == number.to_integral_value() else None


def product_render(product: Product) -> dict[str, Any]:
    return {
        "id": product.id,
        "object": "product",
        "active": product.active,
        "created": clock.to_epoch(product.created_at),
        "default_price": product.default_price_id,
        "description": product.description or None,
        "images": product.images,
        "livemode": product.account.livemode,
        "marketing_features": product.marketing_features,
        "metadata": product.metadata,
        "name": product.name,
        "package_dimensions": None,
        "shippable": product.shippable,
        "statement_descriptor": product.statement_descriptor or None,
        "tax_code": product.tax_code or None,
        "type": product.type,
        "unit_label": product.unit_label or None,
        "updated": clock.to_epoch(product.updated_at),
        "url": product.url or None,
    }


def tiers_render(tiers: list[dict] | None) -> list[dict[str, Any]] | None:
    if tiers is None:
        return None
    return [
        {
            "flat_amount": _whole(tier.get("flat_amount_decimal")),
            "flat_amount_decimal": decimal_text(tier.get("flat_amount_decimal")),
            "unit_amount": _whole(tier.get("unit_amount_decimal")),
            "unit_amount_decimal": decimal_text(tier.get("unit_amount_decimal")),
            "up_to": tier.get("up_to"),
        }
        for tier in tiers
    ]


def _option_render(option: dict[str, Any]) -> dict[str, Any]:
    return {
        "custom_unit_amount": option.get("custom_unit_amount"),
        "tax_behavior": option.get("tax_behavior", "unspecified"),
        "tiers": tiers_render(option.get("tiers")),
        "unit_amount": _whole(option.get("unit_amount_decimal")),
        "unit_amount_decimal": decimal_text(option.get("unit_amount_decimal")),
    }


def price_render(price: Price) -> dict[str, Any]:
    custom = price.custom_unit_amount
    return {
        "id": price.id,
        "object": "price",
        "active": price.active,
        "billing_scheme": price.billing_scheme,
        "created": clock.to_epoch(price.created_at),
        "currency": price.currency,
        "currency_options": {
            price.currency: _option_render(
                {
                    "unit_amount_decimal": price.unit_amount_decimal,
                    "tiers": price.tiers,
                    "custom_unit_amount": custom,
                    "tax_behavior": price.tax_behavior,
                }
            ),
            **{cur: _option_render(opt) for cur, opt in sorted(price.currency_options.items())},
        },
        "custom_unit_amount": custom,
        "livemode": price.account.livemode,
        "lookup_key": price.lookup_key,
        "metadata": price.metadata,
        "nickname": price.nickname or None,
        "product": price.product_id,
        "recurring": price.recurring,
        "tax_behavior": price.tax_behavior,
        "tiers": tiers_render(price.tiers),
        "tiers_mode": price.tiers_mode or None,
        "transform_quantity": price.transform_quantity,
        "type": price.type,
        "unit_amount": _whole(price.unit_amount_decimal),
        "unit_amount_decimal": decimal_text(price.unit_amount_decimal),
    }


def plan_render(price: Price) -> dict[str, Any]:
    """A recurring price in the shape of Stripe's Plan: the same object under the same id, its
    ``recurring`` terms flattened and ``transform_quantity`` named ``transform_usage``."""
    recurring = price.recurring or {}
    return {
        "id": price.id,
        "object": "plan",
        "active": price.active,
        "amount": _whole(price.unit_amount_decimal),
        "amount_decimal": decimal_text(price.unit_amount_decimal),
        "billing_scheme": price.billing_scheme,
        "created": clock.to_epoch(price.created_at),
        "currency": price.currency,
        "interval": recurring.get("interval"),
        "interval_count": recurring.get("interval_count"),
        "livemode": price.account.livemode,
        "metadata": price.metadata,
        "meter": recurring.get("meter"),
        "nickname": price.nickname or None,
        "product": price.product_id,
        "tiers": tiers_render(price.tiers),
        "tiers_mode": price.tiers_mode or None,
        "transform_usage": price.transform_quantity,
        "trial_period_days": recurring.get("trial_period_days"),
        "usage_type": recurring.get("usage_type", "licensed"),
    }


def plan_or_none(price: Price | None) -> dict[str, Any] | None:
    """The ``plan`` of an item or a line: its price as a plan, or null for a one-time price."""
    if price is None or price.type != "recurring":
        return None
    return plan_render(price)


def coupon_render(coupon: Coupon) -> dict[str, Any]:
    return {
        "id": coupon.coupon_id,
        "object": "coupon",
        "amount_off": coupon.amount_off,
        "applies_to": (
            {"products": coupon.applies_to_products}
            if coupon.applies_to_products is not None
            else None
        ),
        "created": clock.to_epoch(coupon.created_at),
        "currency": coupon.currency or None,
        "currency_options": coupon.currency_options or None,
        "duration": coupon.duration,
        "duration_in_months": coupon.duration_in_months,
        "livemode": coupon.account.livemode,
        "max_redemptions": coupon.max_redemptions,
        "metadata": coupon.metadata,
        "name": coupon.name or None,
        "percent_off": float(coupon.percent_off) if coupon.percent_off is not None else None,
        "redeem_by": clock.to_epoch(coupon.redeem_by),
        "times_redeemed": coupon.times_redeemed,
        "valid": coupon_valid(coupon),
    }


def coupon_valid(coupon: Coupon) -> bool:
    if coupon.deleted_at is not None:
        return False
    if coupon.redeem_by is not None and coupon.redeem_by <= clock.now():
        return False
    return coupon.max_redemptions is None or coupon.times_redeemed < coupon.max_redemptions


def promotion_code_render(promo: PromotionCode) -> dict[str, Any]:
    return {
        "id": promo.id,
        "object": "promotion_code",
        "active": promo.active,
        "code": promo.code,
        "coupon": coupon_render(promo.coupon),
        "created": clock.to_epoch(promo.created_at),
        "customer": promo.customer_id,
        "customer_account": None,
        "expires_at": clock.to_epoch(promo.expires_at),
        "livemode": promo.account.livemode,
        "max_redemptions": promo.max_redemptions,
        "metadata": promo.metadata,
        # API 2025-09-30 and later; ``coupon`` (the whole coupon) is the earlier versions' field.
        "promotion": {"coupon": promo.coupon.coupon_id, "type": "coupon"},
        "restrictions": {
            "currency_options": {},
            "first_time_transaction": promo.first_time_transaction,
            "minimum_amount": promo.minimum_amount,
            "minimum_amount_currency": promo.minimum_amount_currency or None,
        },
        "times_redeemed": promo.times_redeemed,
    }


def tax_rate_render(rate: TaxRate) -> dict[str, Any]:
    # Stripe writes the percentage as a JSON number; the stored value is an exact decimal.
    exact = rate.percentage.normalize()
    percentage = int(exact) if exact == exact.to_integral_value() else float(exact)
    return {
        "id": rate.id,
        "object": "tax_rate",
        "active": rate.active,
        "country": rate.country or None,
        "created": clock.to_epoch(rate.created_at),
        "description": rate.description or None,
        "display_name": rate.display_name,
        # A rate applied by hand is applied as it is (Stripe Tax's rates may differ).
        "effective_percentage": percentage,
        "flat_amount": None,
        "inclusive": rate.inclusive,
        "jurisdiction": rate.jurisdiction or None,
        "jurisdiction_level": None,
        "livemode": rate.account.livemode,
        "metadata": rate.metadata,
        "percentage": percentage,
        "rate_type": "percentage",
        "state": rate.state or None,
        "tax_type": rate.tax_type or None,
    }
