"""Catalog reads, scoped to one account, and what a price costs in any currency."""

from datetime import date
from decimal import Decimal

from django.db.models import QuerySet

from apps.accounts.models import Account
from apps.catalog import pricing
from apps.catalog.models import Coupon, FxRate, Price, Product, PromotionCode
from apps.catalog.services.prices import terms_of
from apps.core.errors import InvalidRequestError


def product_list(*, account: Account) -> QuerySet[Product]:
    return Product.objects.filter(account=account).select_related("account")


def price_list(*, account: Account) -> QuerySet[Price]:
    return Price.objects.filter(account=account).select_related("account")


def coupon_list(*, account: Account) -> QuerySet[Coupon]:
    return Coupon.objects.filter(account=account, deleted_at__isnull=True).select_related("account")


def coupon_get(*, account: Account, coupon_id: str) -> Coupon | None:
    return coupon_list(account=account).filter(coupon_id=coupon_id).first()


def promotion_code_list(*, account: Account) -> QuerySet[PromotionCode]:
    return PromotionCode.objects.filter(account=account).select_related(
        "account", "coupon__account"
    )


def fx_rate_on(*, account: Account, base: str, quote: str, on: date) -> Decimal | None:
    """The rate in force on ``on``: the latest dated on or before it (or the inverse pair's)."""
    row = (
        FxRate.objects.filter(account=account, base=base, quote=quote, effective_on__lte=on)
        .order_by("-effective_on")
        .values_list("rate", flat=True)
        .first()
    )
    if row is not None:
        return row
    inverse = (
        FxRate.objects.filter(account=account, base=quote, quote=base, effective_on__lte=on)
        .order_by("-effective_on")
        .values_list("rate", flat=True)
        .first()
    )
    return (Decimal(1) / inverse) if inverse else None


def price_terms(price: Price, currency: str) -> pricing.Terms | None:
    """The terms of ``currency``: the price's own or a currency option; None if neither."""
    if currency == price.currency:
        option = {
            "unit_amount_decimal": price.unit_amount_decimal,
            "tiers": price.tiers,
            "custom_unit_amount": price.custom_unit_amount,
        }
    elif currency in price.currency_options:
        option = price.currency_options[currency]
    else:
        return None
    unit = option.get("unit_amount_decimal")
    return terms_of(
        currency=currency,
        billing_scheme=price.billing_scheme,
        unit_amount=Decimal(unit) if unit is not None else None,
        tiers=option.get("tiers"),
        tiers_mode=price.tiers_mode,
        transform_quantity=price.transform_quantity,
        custom=option.get("custom_unit_amount"),
    )


def price_amount(
    price: Price, *, quantity: int, currency: str, on: date, custom_amount: int | None = None
) -> int:
    """What ``quantity`` of ``price`` costs in ``currency``: its own terms for that currency, or
    the price's currency converted at the account's rate for ``on`` (apps.catalog.pricing)."""
    try:
        terms = price_terms(price, currency)
        if terms is not None:
            return pricing.amount_for(terms, quantity, custom_amount=custom_amount)
        rate = fx_rate_on(account=price.account, base=price.currency, quote=currency, on=on)
        if rate is None:
            raise InvalidRequestError(
                f"No {price.currency.upper()}→{currency.upper()} exchange rate on or before "
                f"{on.isoformat()}, and {price.id} has no {currency} option.",
                param="currency",
            )
        own = price_terms(price, price.currency)
        amount = pricing.amount_for(own, quantity, custom_amount=custom_amount)
        return pricing.convert(amount, source=price.currency, target=currency, rate=rate)
    except pricing.PricingError as exc:
        raise InvalidRequestError(str(exc), param=exc.param) from exc
