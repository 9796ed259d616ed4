"""A new price as the API sends it (``new_price_parse``): one currency's unit amount, tiers or
custom amount, other currencies' options, the recurring interval and the package transform, each
checked with the parameter it names. The dashboard's price form builds the same parameters, so
both accept and refuse exactly the same prices."""

from decimal import Decimal
from typing import Any

from apps.catalog import pricing
from apps.catalog.product_params import new_product_parse
from apps.catalog.services.prices import NewPrice
from apps.core import money
from apps.core.api.params import (
    get_amount,
    get_bool,
    get_currency,
    get_int,
    get_metadata,
    get_str,
    nested,
    within,
)
from apps.core.errors import InvalidRequestError

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


def option_parse(
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
    terms = pricing.terms_of(
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


def currency_options_parse(
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
        options[other] = option_parse(
            raw,
            currency=other,
            billing_scheme=billing_scheme,
            tiers_mode=tiers_mode,
            prefix=f"currency_options[{code}]",
            transform_quantity=transform_quantity,
        )
    return options


def recurring_parse(raw: Any) -> dict[str, Any] | None:
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


def transform_parse(raw: Any) -> dict[str, Any] | None:
    if raw in (None, ""):
        return None
    if not isinstance(raw, dict):
        raise InvalidRequestError("Invalid hash: transform_quantity", param="transform_quantity")
    with within("transform_quantity"):
        return {
            "divide_by": get_int(raw, "divide_by", required=True, minimum=1),
            "round": get_str(raw, "round", required=True, choices=["up", "down"]),
        }


def _amounts(params: dict[str, Any], currency: str) -> dict[str, Any]:
    """The scheme and amounts of a new price in ``currency``: its own, other currencies', the
    recurring interval and the package transform."""
    billing_scheme = get_str(params, "billing_scheme", choices=["per_unit", "tiered"]) or "per_unit"
    tiers_mode = get_str(params, "tiers_mode", choices=["graduated", "volume"]) or ""
    if (billing_scheme == "tiered") != bool(tiers_mode):
        raise InvalidRequestError(
            "A tiered price needs tiers_mode (graduated or volume); other prices take none.",
            param="tiers_mode",
        )
    transform = transform_parse(params.get("transform_quantity"))
    if transform and billing_scheme == "tiered":
        raise InvalidRequestError(
            "transform_quantity applies to per-unit prices only.", param="transform_quantity"
        )
    recurring = recurring_parse(params.get("recurring"))
    if recurring and recurring["usage_type"] == "metered" and params.get("custom_unit_amount"):
        raise InvalidRequestError(
            "A metered price cannot be pay-what-you-want.", param="custom_unit_amount"
        )
    terms = {
        "currency": currency,
        "billing_scheme": billing_scheme,
        "tiers_mode": tiers_mode,
        "transform_quantity": transform,
    }
    own = option_parse(params, prefix="", **terms)
    options = currency_options_parse(params.get("currency_options"), **terms)
    return {**terms, **own, "recurring": recurring, "currency_options": options}


def new_price_parse(params: dict[str, Any], *, of_new_product: bool = False) -> NewPrice:
    """``POST /v1/prices`` as a NewPrice; with ``of_new_product``, a product's
    ``default_price_data``, its product left for ``product_create`` to set."""
    currency = get_currency(params, "currency", required=True)
    amounts = _amounts(params, currency)
    lookup_key = get_str(params, "lookup_key", max_length=200)
    product_id, product_data = params.get("product"), params.get("product_data")
    if not of_new_product and bool(product_id) == bool(product_data):
        raise InvalidRequestError(
            "Pass exactly one of product and product_data.",
            param="product",
            code="parameter_missing",
        )
    if product_data and not isinstance(product_data, dict):
        raise InvalidRequestError("Invalid hash: product_data", param="product_data")
    return NewPrice(
        **amounts,
        product=str(product_id) if product_id else None,
        product_data=new_product_parse(product_data) if product_data else None,
        lookup_key=lookup_key,
        transfer_lookup_key=bool(lookup_key) and bool(get_bool(params, "transfer_lookup_key")),
        active=get_bool(params, "active", default=True),
        nickname=get_str(params, "nickname", max_length=250) or "",
        metadata=get_metadata(params) or {},
    )
