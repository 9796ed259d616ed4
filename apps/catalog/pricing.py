"""Pricing math: what a quantity of a price costs. Pure — dataclasses in, integers out.

Rules, one each:

- **Amounts** are minor units of the price's currency (cents, yen, fils). ``unit_amount`` and
  tier amounts may carry fractions of a minor unit (``unit_amount_decimal``); the fractions are
  kept exact (``Decimal``) through the line and the **line total is rounded once**, half away
  from zero (``apps.core.money.round_minor``).
- **Per unit**: ``unit_amount × quantity``.
- **Package** (``transform_quantity``): the quantity is divided by ``divide_by`` and rounded
  ``up`` or ``down`` to whole packages, then priced per package.
- **Graduated tiers**: each tier prices the units that fall in it — tier *i* covers quantities
  above the previous tier's ``up_to`` up to and including its own (``None`` = infinity) — and
  adds its ``flat_amount`` once when at least one unit falls in it.
- **Volume tiers**: the one tier containing the whole quantity prices every unit, plus its flat
  amount. A quantity of 0 costs 0 in both tiered modes.
- **Pay what you want** (``custom_unit_amount``): the chosen amount per unit must lie within
  ``minimum`` and ``maximum``.
- **Quantities** are whole numbers of at least 0; a negative (or fractional, or boolean)
  quantity is refused. 0 is allowed and costs 0 (a seat count of 0, a period without usage):
  the billing engine prices such items and must get 0, not an error.
- **Choosing a currency**: the price's own currency uses its own terms; another currency uses
  its ``currency_options`` entry when there is one (``terms_choose``).
- **Currency conversion** (a currency with no ``currency_options`` entry), the one rule: the
  line total in the price's currency (already rounded once, as above) is turned into major
  units, multiplied by the account's rate in force that day — the latest rate dated on or
  before it (``rate_on``; the direct pair ``base→quote`` first, else ``1 / rate`` of the
  inverse pair) — and rounded once more, half away from zero, to the target currency's minor
  unit (``apps.core.money.exponent``): 0-decimal JPY to yen, 3-decimal KWD/BHD to fils. No
  rate on or before that day → ``PricingError`` naming the pair and the day; conversion never
  guesses.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from apps.core.money import exponent, round_minor


class PricingError(ValueError):
    def __init__(self, message: str, *, param: str | None = None) -> None:
        super().__init__(message)
        self.param = param


@dataclass(frozen=True)
class Tier:
    up_to: int | None  # None: no upper bound ("inf")
    unit_amount: Decimal = Decimal(0)
    flat_amount: Decimal = Decimal(0)


@dataclass(frozen=True)
class CustomAmount:
    minimum: int | None = None
    maximum: int | None = None
    preset: int | None = None


@dataclass(frozen=True)
class Terms:
    """How one currency of a price charges."""

    currency: str
    billing_scheme: str = "per_unit"  # per_unit | tiered
    unit_amount: Decimal | None = None
    tiers: tuple[Tier, ...] = ()
    tiers_mode: str = ""  # graduated | volume
    divide_by: int | None = None
    round: str = "up"  # up | down (package rounding)
    custom: CustomAmount | None = None


def terms_of(
    *,
    currency: str,
    billing_scheme: str,
    unit_amount: Decimal | None,
    tiers: list[dict] | None,
    tiers_mode: str,
    transform_quantity: dict | None,
    custom: dict | None,
) -> Terms:
    """The terms of a price's stored fields in one currency (tiers and custom amounts as the
    price row keeps them)."""
    return Terms(
        currency=currency,
        billing_scheme=billing_scheme,
        unit_amount=unit_amount,
        tiers=tuple(
            Tier(
                up_to=t["up_to"],
                unit_amount=Decimal(t["unit_amount_decimal"] or 0),
                flat_amount=Decimal(t["flat_amount_decimal"] or 0),
            )
            for t in (tiers or [])
        ),
        tiers_mode=tiers_mode,
        divide_by=(transform_quantity or {}).get("divide_by"),
        round=(transform_quantity or {}).get("round", "up"),
        custom=CustomAmount(**custom) if custom else None,
    )


def tiers_validate(tiers: tuple[Tier, ...]) -> None:
    if not tiers:
        raise PricingError("Tiered prices need at least one tier.", param="tiers")
    for index, tier in enumerate(tiers):
        last = index == len(tiers) - 1
        if last and tier.up_to is not None:
            raise PricingError("The last tier must have up_to=inf.", param=f"tiers[{index}][up_to]")
        if not last:
            if tier.up_to is None or tier.up_to < 1:
                raise PricingError(
                    "Only the last tier may be unbounded; up_to is a positive integer.",
                    param=f"tiers[{index}][up_to]",
                )
            if index and tier.up_to <= tiers[index - 1].up_to:
                raise PricingError(
                    "Tiers must be in increasing order of up_to.",
                    param=f"tiers[{index}][up_to]",
                )
        if tier.unit_amount < 0 or tier.flat_amount < 0:
            raise PricingError("Tier amounts cannot be negative.", param=f"tiers[{index}]")


def _exact(terms: Terms, quantity: int, custom_amount: int | None) -> Decimal:
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0:
        raise PricingError("The quantity is a whole number of at least 0.", param="quantity")
    if terms.custom is not None:
        if custom_amount is None:
            custom_amount = terms.custom.preset
        if custom_amount is None:
            raise PricingError("This price needs the amount the customer chose.", param="amount")
        if isinstance(custom_amount, bool) or not isinstance(custom_amount, int):
            raise PricingError(
                "The chosen amount is a whole number of minor units.", param="amount"
            )
        if custom_amount < 0:
            raise PricingError("The chosen amount cannot be negative.", param="amount")
        if terms.custom.minimum is not None and custom_amount < terms.custom.minimum:
            raise PricingError(
                f"The amount must be at least {terms.custom.minimum}.", param="amount"
            )
        if terms.custom.maximum is not None and custom_amount > terms.custom.maximum:
            raise PricingError(
                f"The amount must be at most {terms.custom.maximum}.", param="amount"
            )
        return Decimal(custom_amount) * quantity
    if terms.billing_scheme == "tiered":
        tiers_validate(terms.tiers)
        if quantity == 0:
            return Decimal(0)
        if terms.tiers_mode == "volume":
            tier = next(t for t in terms.tiers if t.up_to is None or quantity <= t.up_to)
            return tier.unit_amount * quantity + tier.flat_amount
        total, floor = Decimal(0), 0
        for tier in terms.tiers:
            ceiling = quantity if tier.up_to is None else min(quantity, tier.up_to)
            units = ceiling - floor
            if units <= 0:
                break
            total += tier.unit_amount * units + tier.flat_amount
            floor = ceiling
        return total
    if terms.unit_amount is None:
        raise PricingError("The price has no unit amount.", param="unit_amount")
    if terms.divide_by:
        rounding = ROUND_CEILING if terms.round == "up" else ROUND_FLOOR
        packages = (Decimal(quantity) / terms.divide_by).to_integral_value(rounding=rounding)
        return terms.unit_amount * packages
    return terms.unit_amount * quantity


def amount_for(terms: Terms, quantity: int, *, custom_amount: int | None = None) -> int:
    """The line total for ``quantity`` in minor units, rounded once."""
    return round_minor(_exact(terms, quantity, custom_amount))


def convert(amount: int | Decimal, *, source: str, target: str, rate: Decimal) -> int:
    """``amount`` minor units of ``source`` in minor units of ``target`` at ``rate``."""
    if rate <= 0:
        raise PricingError("An exchange rate is positive.", param="rate")
    major = Decimal(amount).scaleb(-exponent(source))
    return round_minor((major * rate).scaleb(exponent(target)))


@dataclass(frozen=True)
class DatedRate:
    """One unit of ``base`` is worth ``rate`` units of ``quote`` from ``effective_on``."""

    base: str
    quote: str
    effective_on: date
    rate: Decimal


def rate_on(rates: Iterable[DatedRate], *, base: str, quote: str, on: date) -> Decimal:
    """The ``base→quote`` rate in force on ``on``: the latest dated on or before it; without
    one, the inverse of the latest ``quote→base`` rate. None of either → ``PricingError``."""
    direct: DatedRate | None = None
    inverse: DatedRate | None = None
    for row in rates:
        if row.effective_on > on:
            continue
        if (row.base, row.quote) == (base, quote):
            if direct is None or row.effective_on > direct.effective_on:
                direct = row
        elif (row.base, row.quote) == (quote, base):
            if inverse is None or row.effective_on > inverse.effective_on:
                inverse = row
    if direct is not None:
        return direct.rate
    if inverse is not None and inverse.rate > 0:
        return Decimal(1) / inverse.rate
    raise PricingError(
        f"No {base.upper()}→{quote.upper()} exchange rate on or before {on.isoformat()}.",
        param="currency",
    )


def terms_choose(own: Terms, options: Mapping[str, Terms], currency: str) -> Terms | None:
    """The terms a price charges in ``currency``: its own, a currency option, or None."""
    return own if currency == own.currency else options.get(currency)


def amount_in(
    own: Terms,
    options: Mapping[str, Terms],
    *,
    currency: str,
    quantity: int,
    on: date,
    rates: Iterable[DatedRate] = (),
    custom_amount: int | None = None,
) -> int:
    """What ``quantity`` costs in ``currency``: the terms for that currency when the price has
    them (``own`` or an option), else ``own``'s amount converted at the rate in force on ``on``."""
    terms = terms_choose(own, options, currency)
    if terms is not None:
        return amount_for(terms, quantity, custom_amount=custom_amount)
    rate = rate_on(rates, base=own.currency, quote=currency, on=on)
    amount = amount_for(own, quantity, custom_amount=custom_amount)
    return convert(amount, source=own.currency, target=currency, rate=rate)
