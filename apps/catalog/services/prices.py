"""Price writes. Amounts are fixed at creation (as Stripe); updates touch the rest."""

from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from apps.accounts.audit import change_record, previous_of
from apps.accounts.models import Account
from apps.catalog import pricing
from apps.catalog.models import Price, Product
from apps.catalog.render import price_render, product_render
from apps.catalog.services.products import product_create
from apps.core import clock, money
from apps.core.actor import Actor
from apps.core.api.params import (
    get_amount,
    get_bool,
    get_currency,
    get_int,
    get_metadata,
    get_str,
    metadata_merge,
    nested,
    within,
)
from apps.core.errors import InvalidRequestError, ResourceMissingError

INTERVALS = ["day", "week", "month", "year"]
# Stripe's longest recurring interval: three years (3 years, 36 months or 156 weeks; in days,
# 3 × 365).
MAX_INTERVAL_COUNT = {"day": 1095, "week": 156, "month": 36, "year": 3}
TAX_BEHAVIORS = ["exclusive", "inclusive", "unspecified"]
MAX_DECIMALS = 12


def _at(prefix: str, name: str) -> str:
    """A parameter's name under ``prefix`` (``currency_options[eur]``, ``tiers[0]``, or none)."""
    return f"{prefix}[{name}]" if prefix else name


def _decimal(value: Any, param: str, currency: str) -> Decimal:
    try:
        number = money.to_decimal(value)
    except money.MoneyError as exc:
        raise InvalidRequestError(f"Invalid decimal: {value}", param=param) from exc
    if number < 0 or -number.as_tuple().exponent > MAX_DECIMALS:
        raise InvalidRequestError(
            f"{param} is a non-negative decimal with at most {MAX_DECIMALS} decimal places.",
            param=param,
        )
    if number > money.amount_max(currency):
        raise InvalidRequestError(
            f"Invalid {param}: must be at most {money.amount_max(currency)}", param=param
        )
    return number


def _amount(source: dict[str, Any], name: str, prefix: str, currency: str) -> Decimal | None:
    """``name`` (integer) or ``name_decimal`` (decimal string); not both."""
    whole, exact = source.get(name), source.get(f"{name}_decimal")
    if whole not in (None, "") and exact not in (None, ""):
        raise InvalidRequestError(
            f"Pass only one of {_at(prefix, name)} and {_at(prefix, name)}_decimal.",
            param=_at(prefix, f"{name}_decimal"),
        )
    if whole not in (None, ""):
        with within(prefix):
            return Decimal(get_amount({name: whole}, name, currency=currency) or 0)
    if exact not in (None, ""):
        return _decimal(exact, _at(prefix, f"{name}_decimal"), currency)
    return None


def _tiers(raw: Any, prefix: str, currency: str) -> list[dict[str, Any]]:
    if isinstance(raw, dict):  # tiers[0][…] parsed as a dict keyed by index
        raw = [raw[k] for k in sorted(raw, key=int)]
    if not isinstance(raw, list) or not raw:
        raise InvalidRequestError(
            f"Missing required param: {_at(prefix, 'tiers')}.",
            param=_at(prefix, "tiers"),
            code="parameter_missing",
        )
    tiers = []
    for index, tier in enumerate(raw):
        at = f"{_at(prefix, 'tiers')}[{index}]"
        if not isinstance(tier, dict):
            raise InvalidRequestError(f"Invalid hash: {at}", param=at)
        up_to = tier.get("up_to")
        if up_to == "inf":
            up_to = None
        elif up_to in (None, ""):
            raise InvalidRequestError(
                f"Missing required param: {at}[up_to] (a number, or inf for the last tier).",
                param=f"{at}[up_to]",
                code="parameter_missing",
            )
        else:
            with within(at):
                up_to = get_int({"up_to": up_to}, "up_to", minimum=1)
        unit = _amount(tier, "unit_amount", at, currency)
        flat = _amount(tier, "flat_amount", at, currency)
        if unit is None and flat is None:
            raise InvalidRequestError(
                f"{at} needs unit_amount or flat_amount.", param=f"{at}[unit_amount]"
            )
        tiers.append(
            {
                "up_to": up_to,
                "unit_amount_decimal": str(unit) if unit is not None else None,
                "flat_amount_decimal": str(flat) if flat is not None else None,
            }
        )
    return tiers


def terms_of(
    *,
    currency: str,
    billing_scheme: str,
    unit_amount: Decimal | None,
    tiers: list[dict] | None,
    tiers_mode: str,
    transform_quantity: dict | None,
    custom: dict | None,
) -> pricing.Terms:
    """The pure pricing terms of stored price fields (one currency)."""
    return pricing.Terms(
        currency=currency,
        billing_scheme=billing_scheme,
        unit_amount=unit_amount,
        tiers=tuple(
            pricing.Tier(
                up_to=t["up_to"],
                unit_amount=Decimal(t["unit_amount_decimal"] or 0),
                flat_amount=Decimal(t["flat_amount_decimal"] or 0),
            )
            for t in (tiers or [])
        ),
        tiers_mode=tiers_mode,
        divide_by=(transform_quantity or {}).get("divide_by"),
        round=(transform_quantity or {}).get("round", "up"),
        custom=pricing.CustomAmount(**custom) if custom else None,
    )


def _custom(raw: Any, prefix: str, currency: str) -> dict[str, int | None] | None:
    if raw in (None, ""):
        return None
    if not isinstance(raw, dict):
        raise InvalidRequestError(
            f"Invalid hash: {_at(prefix, 'custom_unit_amount')}",
            param=_at(prefix, "custom_unit_amount"),
        )
    with within(_at(prefix, "custom_unit_amount")):
        enabled = get_bool(raw, "enabled")
    if enabled is not True:
        raise InvalidRequestError(
            "custom_unit_amount[enabled] must be true.",
            param=f"{_at(prefix, 'custom_unit_amount')}[enabled]",
        )
    with within(_at(prefix, "custom_unit_amount")):
        values = {
            name: get_amount(raw, name, currency=currency)
            for name in ("minimum", "maximum", "preset")
        }
    low, high, preset = values["minimum"], values["maximum"], values["preset"]
    if low is not None and high is not None and low > high:
        raise InvalidRequestError(
            "custom_unit_amount[minimum] cannot exceed maximum.",
            param=f"{_at(prefix, 'custom_unit_amount')}[minimum]",
        )
    if preset is not None and (
        (low is not None and preset < low) or (high is not None and preset > high)
    ):
        raise InvalidRequestError(
            "custom_unit_amount[preset] must lie between minimum and maximum.",
            param=f"{_at(prefix, 'custom_unit_amount')}[preset]",
        )
    return values


def _option(
    raw: dict[str, Any],
    *,
    currency: str,
    billing_scheme: str,
    tiers_mode: str,
    prefix: str,
    transform_quantity: dict | None,
) -> dict[str, Any]:
    """One currency's amounts (the price's own, or a ``currency_options`` entry), checked."""
    custom = _custom(raw.get("custom_unit_amount"), prefix, currency)
    unit = _amount(raw, "unit_amount", prefix, currency)
    tiers = _tiers(raw.get("tiers"), prefix, currency) if billing_scheme == "tiered" else None
    if billing_scheme == "tiered" and unit is not None:
        raise InvalidRequestError(
            "A tiered price takes tiers, not unit_amount.", param=_at(prefix, "unit_amount")
        )
    if custom is not None and (unit is not None or billing_scheme == "tiered"):
        raise InvalidRequestError(
            "A pay-what-you-want price has no unit_amount and no tiers: the customer chooses.",
            param=_at(prefix, "custom_unit_amount"),
        )
    if billing_scheme == "per_unit" and unit is None and custom is None:
        raise InvalidRequestError(
            f"Missing required param: {_at(prefix, 'unit_amount')}.",
            param=_at(prefix, "unit_amount"),
            code="parameter_missing",
        )
    terms = terms_of(
        currency=currency,
        billing_scheme=billing_scheme,
        unit_amount=unit,
        tiers=tiers,
        tiers_mode=tiers_mode,
        transform_quantity=transform_quantity,
        custom=custom,
    )
    try:
        if tiers is not None:
            pricing.tiers_validate(terms.tiers)
    except pricing.PricingError as exc:
        raise InvalidRequestError(str(exc), param=nested(prefix, exc.param or "tiers")) from exc
    return {
        "unit_amount_decimal": str(unit) if unit is not None else None,
        "tiers": tiers,
        "custom_unit_amount": custom,
        "tax_behavior": _tax_behavior(raw, prefix),
    }


def _tax_behavior(raw: dict[str, Any], prefix: str) -> str:
    with within(prefix):
        return get_str(raw, "tax_behavior", choices=TAX_BEHAVIORS) or "unspecified"


def _options(
    raw_options: Any,
    *,
    currency: str,
    billing_scheme: str,
    tiers_mode: str,
    transform_quantity: dict | None,
    removable: bool = False,
) -> dict[str, Any]:
    """``currency_options``, checked: each entry as the price's own amounts are. With
    ``removable`` (an update), an empty entry (``currency_options[eur]=""``) maps to None."""
    if raw_options in (None, ""):
        return {}
    if not isinstance(raw_options, dict):
        raise InvalidRequestError("Invalid hash: currency_options", param="currency_options")
    options: dict[str, Any] = {}
    for code, raw in raw_options.items():
        try:
            other = money.currency_normalize(code)
        except money.MoneyError as exc:
            raise InvalidRequestError(
                f"Invalid currency: {code}", param=f"currency_options[{code}]"
            ) from exc
        if other == currency:
            raise InvalidRequestError(
                "currency_options lists other currencies than the price's own.",
                param=f"currency_options[{code}]",
            )
        if removable and raw in (None, ""):
            options[other] = None
            continue
        if not isinstance(raw, dict):
            raise InvalidRequestError("Invalid hash", param=f"currency_options[{code}]")
        options[other] = _option(
            raw,
            currency=other,
            billing_scheme=billing_scheme,
            tiers_mode=tiers_mode,
            prefix=f"currency_options[{code}]",
            transform_quantity=transform_quantity,
        )
    return options


def _recurring(raw: Any) -> dict[str, Any] | None:
    if raw in (None, ""):
        return None
    if not isinstance(raw, dict):
        raise InvalidRequestError("Invalid hash: recurring", param="recurring")
    with within("recurring"):
        return _recurring_fields(raw)


def _recurring_fields(raw: dict[str, Any]) -> dict[str, Any]:
    interval = get_str(raw, "interval", required=True, choices=INTERVALS)
    count = get_int(raw, "interval_count", default=1, minimum=1)
    if count > MAX_INTERVAL_COUNT[interval]:
        raise InvalidRequestError(
            "The maximum recurring interval is three years.", param="recurring[interval_count]"
        )
    usage_type = get_str(raw, "usage_type", choices=["licensed", "metered"]) or "licensed"
    aggregate = get_str(
        raw, "aggregate_usage", choices=["sum", "last_during_period", "last_ever", "max"]
    )
    if aggregate and usage_type != "metered":
        raise InvalidRequestError(
            "aggregate_usage applies to metered prices only.", param="recurring[aggregate_usage]"
        )
    return {
        "aggregate_usage": aggregate or ("sum" if usage_type == "metered" else None),
        "interval": interval,
        "interval_count": count,
        "meter": get_str(raw, "meter", max_length=64),
        "trial_period_days": get_int(raw, "trial_period_days", minimum=1, maximum=730),
        "usage_type": usage_type,
    }


def _transform(raw: Any) -> dict[str, Any] | None:
    if raw in (None, ""):
        return None
    if not isinstance(raw, dict):
        raise InvalidRequestError("Invalid hash: transform_quantity", param="transform_quantity")
    with within("transform_quantity"):
        return {
            "divide_by": get_int(raw, "divide_by", required=True, minimum=1),
            "round": get_str(raw, "round", required=True, choices=["up", "down"]),
        }


def price_create(*, account: Account, params: dict[str, Any], actor: Actor) -> Price:
    currency = get_currency(params, "currency", required=True)
    billing_scheme = get_str(params, "billing_scheme", choices=["per_unit", "tiered"]) or "per_unit"
    tiers_mode = get_str(params, "tiers_mode", choices=["graduated", "volume"]) or ""
    if (billing_scheme == "tiered") != bool(tiers_mode):
        raise InvalidRequestError(
            "A tiered price needs tiers_mode (graduated or volume); other prices take none.",
            param="tiers_mode",
        )
    transform = _transform(params.get("transform_quantity"))
    if transform and billing_scheme == "tiered":
        raise InvalidRequestError(
            "transform_quantity applies to per-unit prices only.", param="transform_quantity"
        )
    recurring = _recurring(params.get("recurring"))
    if recurring and recurring["usage_type"] == "metered" and params.get("custom_unit_amount"):
        raise InvalidRequestError(
            "A metered price cannot be pay-what-you-want.", param="custom_unit_amount"
        )
    own = _option(
        params,
        currency=currency,
        billing_scheme=billing_scheme,
        tiers_mode=tiers_mode,
        prefix="",
        transform_quantity=transform,
    )
    options = _options(
        params.get("currency_options"),
        currency=currency,
        billing_scheme=billing_scheme,
        tiers_mode=tiers_mode,
        transform_quantity=transform,
    )
    lookup_key = get_str(params, "lookup_key", max_length=200)
    with transaction.atomic():
        product = _product(account, params, actor)
        if lookup_key and get_bool(params, "transfer_lookup_key"):
            _release_lookup_key(account, lookup_key, actor)
        price = Price(
            account=account,
            product=product,
            active=get_bool(params, "active", default=True),
            currency=currency,
            nickname=get_str(params, "nickname", max_length=250) or "",
            metadata=get_metadata(params) or {},
            lookup_key=lookup_key,
            type="recurring" if recurring else "one_time",
            billing_scheme=billing_scheme,
            unit_amount_decimal=(
                Decimal(own["unit_amount_decimal"]) if own["unit_amount_decimal"] else None
            ),
            tiers=own["tiers"],
            tiers_mode=tiers_mode,
            transform_quantity=transform,
            recurring=recurring,
            custom_unit_amount=own["custom_unit_amount"],
            currency_options=options,
            tax_behavior=own["tax_behavior"],
            created_at=clock.now(),
        )
        exact = price.unit_amount_decimal
        price.unit_amount = int(exact) if exact is not None and exact == int(exact) else None
        try:
            with transaction.atomic():
                price.save(force_insert=True)
        except IntegrityError as exc:
            raise InvalidRequestError(
                f"A price with lookup_key {lookup_key!r} already exists; pass "
                "transfer_lookup_key=true to move it to this price.",
                param="lookup_key",
            ) from exc
        change_record(
            account=account,
            actor=actor,
            type="price.created",
            object_type="price",
            data_object=price_render(price),
        )
    return price


def _product(account: Account, params: dict[str, Any], actor: Actor) -> Product:
    product_id, product_data = params.get("product"), params.get("product_data")
    if bool(product_id) == bool(product_data):
        raise InvalidRequestError(
            "Pass exactly one of product and product_data.",
            param="product",
            code="parameter_missing",
        )
    if product_data:
        if not isinstance(product_data, dict):
            raise InvalidRequestError("Invalid hash: product_data", param="product_data")
        return product_create(account=account, params=product_data, actor=actor)
    product = Product.objects.filter(account=account, id=str(product_id)).first()
    if product is None:
        raise ResourceMissingError("product", str(product_id), param="product")
    return product


def _release_lookup_key(account: Account, lookup_key: str, actor: Actor) -> None:
    for price in Price.objects.select_for_update().filter(account=account, lookup_key=lookup_key):
        price.account = account
        before = price_render(price)
        price.lookup_key = None
        price.save(update_fields=["lookup_key", "updated_at"])
        change_record(
            account=account,
            actor=actor,
            type="price.updated",
            object_type="price",
            data_object=price_render(price),
            previous=previous_of(before, price_render(price)),
        )


def price_update(*, account: Account, price_id: str, params: dict[str, Any], actor: Actor) -> Price:
    with transaction.atomic():
        price = Price.objects.select_for_update().filter(account=account, id=price_id).first()
        if price is None:
            raise ResourceMissingError("price", price_id)
        price.account = account
        before = price_render(price)
        if "active" in params:
            price.active = get_bool(params, "active")
        if "nickname" in params:
            price.nickname = get_str(params, "nickname", max_length=250) or ""
        if "tax_behavior" in params:
            behavior = get_str(params, "tax_behavior", required=True, choices=TAX_BEHAVIORS)
            if price.tax_behavior != "unspecified" and behavior != price.tax_behavior:
                raise InvalidRequestError(
                    "tax_behavior can only be set once, from unspecified.", param="tax_behavior"
                )
            price.tax_behavior = behavior
        price.metadata = metadata_merge(price.metadata, get_metadata(params))
        if "currency_options" in params:
            # Amounts of the price's own currency never change; other currencies may be added,
            # replaced or removed, as Stripe allows.
            changes = _options(
                params["currency_options"],
                currency=price.currency,
                billing_scheme=price.billing_scheme,
                tiers_mode=price.tiers_mode,
                transform_quantity=price.transform_quantity,
                removable=True,
            )
            options = dict(price.currency_options)
            for code, option in changes.items():
                if option is None:
                    options.pop(code, None)
                else:
                    options[code] = option
            price.currency_options = options
        if "lookup_key" in params:
            lookup_key = get_str(params, "lookup_key", max_length=200)
            if lookup_key and get_bool(params, "transfer_lookup_key"):
                _release_lookup_key(account, lookup_key, actor)
            price.lookup_key = lookup_key
        try:
            with transaction.atomic():
                price.save()
        except IntegrityError as exc:
            raise InvalidRequestError(
                "Another active price has this lookup_key; pass transfer_lookup_key=true.",
                param="lookup_key",
            ) from exc
        after = price_render(price)
        previous = previous_of(before, after)
        if previous:
            change_record(
                account=account,
                actor=actor,
                type="price.updated",
                object_type="price",
                data_object=after,
                previous=previous,
            )
    return price


def price_delete(*, account: Account, price_id: str, actor: Actor) -> str:
    """Only a price nothing bills (no subscription item) can be deleted; others are archived
    (active=false). A product whose default price it was is left without one."""
    with transaction.atomic():
        price = Price.objects.select_for_update().filter(account=account, id=price_id).first()
        if price is None:
            raise ResourceMissingError("price", price_id)
        price.account = account
        data = price_render(price)
        for product in Product.objects.select_for_update().filter(
            account=account, default_price_id=price.id
        ):
            product.account = account
            before = product_render(product)
            product.default_price_id = None
            product.save(update_fields=["default_price", "updated_at"])
            change_record(
                account=account,
                actor=actor,
                type="product.updated",
                object_type="product",
                data_object=product_render(product),
                previous=previous_of(before, product_render(product)),
            )
        try:
            with transaction.atomic():
                price.delete()
        except ProtectedError as exc:
            raise InvalidRequestError(
                "This price is in use by subscriptions: archive it (active=false) instead.",
                param="id",
            ) from exc
        change_record(
            account=account,
            actor=actor,
            type="price.deleted",
            object_type="price",
            data_object={**data, "deleted": True},
        )
    return price_id
