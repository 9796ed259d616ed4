"""Catalog reads, scoped to one account, and what a price costs in any currency."""

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from django.db.models import QuerySet

from apps.accounts.models import Account
from apps.catalog import pricing
from apps.catalog.models import Coupon, FxRate, Price, Product, PromotionCode, TaxRate
from apps.catalog.render import plan_render
from apps.core.compiled import CompiledQuery
from apps.core.errors import InvalidRequestError, ResourceMissingError


def product_list(*, account: Account) -> QuerySet[Product]:
    return Product.objects.filter(account=account).select_related("account")


def price_list(*, account: Account) -> QuerySet[Price]:
    """The account's prices; a plan deleted while still billed is not among them."""
    return Price.objects.filter(account=account, deleted_at__isnull=True).select_related("account")


def plan_list(*, account: Account) -> QuerySet[Price]:
    """The account's plans: its recurring prices, as Stripe lists them under ``/v1/plans``."""
    return price_list(account=account).filter(type="recurring")


def plans_of(*, account: Account, price_ids, known: Iterable[Price] = ()) -> dict[str, dict]:
    """The plan shape (``apps.catalog.render.plan_or_none``) of each of ``price_ids`` that is a
    recurring price, in one read; a plan deleted while billed is among them, as its lines keep
    naming it. ``known``: the account's prices the caller has loaded already (an invoice
    preview has every item's), rendered as they are: only the others are read."""
    ids = {price_id for price_id in price_ids if price_id}
    loaded = {price.id: price for price in known if price.id in ids}
    plans = {price.id: plan_render(price) for price in loaded.values() if price.type == "recurring"}
    ids -= loaded.keys()
    if not ids:
        return plans
    rows = Price.objects.filter(account=account, id__in=ids, type="recurring")
    plans.update((price.id, plan_render(price)) for price in rows.select_related("account"))
    return plans


_price_with_product = CompiledQuery(
    lambda account_id, price_id: Price.objects.filter(
        account_id=account_id, id=price_id
    ).select_related("product"),
    "account_id",
    "price_id",
)


def price_with_product_get(*, account: Account, price_id: str) -> Price | None:
    """The account's price ``price_id`` with its product, its ``account`` the one given (the
    same row: no join). By primary key, one row at most: no ``first()``, whose ORDER BY costs
    more to build than the row."""
    price = next(iter(_price_with_product(account_id=account.id, price_id=price_id)), None)
    if price is not None:
        price.account = account
    return price


def coupon_list(*, account: Account) -> QuerySet[Coupon]:
    return Coupon.objects.filter(account=account, deleted_at__isnull=True).select_related("account")


def coupon_get(*, account: Account, coupon_id: str) -> Coupon | None:
    return coupon_list(account=account).filter(coupon_id=coupon_id).first()


def promotion_code_list(*, account: Account) -> QuerySet[PromotionCode]:
    return PromotionCode.objects.filter(account=account).select_related(
        "account", "coupon__account"
    )


def fx_rates_near(*, account: Account, base: str, quote: str, on: date) -> list[pricing.DatedRate]:
    """The rows ``pricing.rate_on`` may pick for ``base→quote`` on ``on``: the latest of the pair
    and the latest of its inverse dated on or before ``on`` (at most two rows)."""
    rows = []
    for first, second in ((base, quote), (quote, base)):
        row = (
            FxRate.objects.filter(account=account, base=first, quote=second, effective_on__lte=on)
            .order_by("-effective_on")
            .first()
        )
        if row is not None:
            rows.append(pricing.DatedRate(row.base, row.quote, row.effective_on, row.rate))
    return rows


def fx_rate_on(*, account: Account, base: str, quote: str, on: date) -> Decimal | None:
    """The rate in force on ``on`` (see ``pricing.rate_on``), or None."""
    try:
        return pricing.rate_on(
            fx_rates_near(account=account, base=base, quote=quote, on=on),
            base=base,
            quote=quote,
            on=on,
        )
    except pricing.PricingError:
        return None


def _option_terms(price: Price, currency: str, option: dict) -> pricing.Terms:
    unit = option.get("unit_amount_decimal")
    return pricing.terms_of(
        currency=currency,
        billing_scheme=price.billing_scheme,
        unit_amount=Decimal(unit) if unit is not None else None,
        tiers=option.get("tiers"),
        tiers_mode=price.tiers_mode,
        transform_quantity=price.transform_quantity,
        custom=option.get("custom_unit_amount"),
    )


def price_terms(price: Price, currency: str) -> pricing.Terms | None:
    """The terms of ``currency``: the price's own or a currency option; None if neither."""
    if currency == price.currency:
        return _option_terms(
            price,
            currency,
            {
                "unit_amount_decimal": price.unit_amount_decimal,
                "tiers": price.tiers,
                "custom_unit_amount": price.custom_unit_amount,
            },
        )
    if currency in price.currency_options:
        return _option_terms(price, currency, price.currency_options[currency])
    return None


def price_amount(
    price: Price, *, quantity: int, currency: str, on: date, custom_amount: int | None = None
) -> int:
    """What ``quantity`` of ``price`` costs in ``currency``: its own terms for that currency, or
    the price's currency converted at the account's rate for ``on`` (``pricing.amount_in``)."""
    own = price_terms(price, price.currency)
    option = price_terms(price, currency) if currency != price.currency else None
    rates = (
        fx_rates_near(account=price.account, base=price.currency, quote=currency, on=on)
        if currency != price.currency and option is None
        else []
    )
    try:
        return pricing.amount_in(
            own,
            {currency: option} if option is not None else {},
            currency=currency,
            quantity=quantity,
            on=on,
            rates=rates,
            custom_amount=custom_amount,
        )
    except pricing.PricingError as exc:
        message = str(exc)
        if exc.param == "currency":
            message = f"{message} {price.id} has no {currency} option either."
        raise InvalidRequestError(message, param=exc.param) from exc


def tax_rate_list(*, account: Account) -> QuerySet[TaxRate]:
    return TaxRate.objects.filter(account=account).select_related("account")


def tax_rate_get(*, account: Account, tax_rate_id: str) -> TaxRate | None:
    return tax_rate_list(account=account).filter(id=tax_rate_id).first()


def tax_rates_applicable(*, account: Account, ids: list[str], param: str) -> list[str]:
    """``ids`` checked as tax rates of the account that can be newly applied (active), in the
    order given, without repeats; the first unknown or inactive one is refused at ``param``."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return []
    found = dict(TaxRate.objects.filter(account=account, id__in=wanted).values_list("id", "active"))
    for index, rate_id in enumerate(wanted):
        if rate_id not in found:
            raise ResourceMissingError("tax_rate", rate_id, param=f"{param}[{index}]")
        if not found[rate_id]:
            raise InvalidRequestError(
                f"Tax rate {rate_id} is inactive and cannot be applied.",
                param=f"{param}[{index}]",
            )
    return wanted


def tax_rate_terms(*, account_id: str, ids) -> dict[str, dict]:
    """The rates ``ids`` names as ``billing.compute_bill`` is given them (one query, none for
    no ids): ``{id: {"id", "percentage", "inclusive"}}``."""
    wanted = set(ids)
    if not wanted:
        return {}
    return {
        rate_id: {
            "id": rate_id,
            "percentage": format(percentage.normalize(), "f"),
            "inclusive": inclusive,
        }
        for rate_id, percentage, inclusive in TaxRate.objects.filter(
            account_id=account_id, id__in=wanted
        ).values_list("id", "percentage", "inclusive")
    }
