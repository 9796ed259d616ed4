"""The stages in pipeline order, their built-in implementations, settings and choices (pure)."""

from dataclasses import dataclass

from apps.core import money
from apps.invoices.engine.stages import balance, bill, collection, items, prorations, schemas
from apps.invoices.engine.stages.types import (
    CONFIG_KINDS,
    Choice,
    ConfigError,
    ConfigField,
    Implementation,
    Stage,
)

STAGES: dict[str, Stage] = {
    stage.id: stage
    for stage in (
        Stage(
            id=prorations.STAGE,
            title="Prorations",
            description="The proration lines of a change to a subscription's items mid-period.",
            input_schema=schemas.PRORATIONS_INPUT,
            output_schema=schemas.PRORATIONS_OUTPUT,
            default="by_second",
            per_price=True,
            check=prorations.check,
        ),
        Stage(
            id=items.STAGE,
            title="Recurring billing item handling",
            description="Whether each recurring line a renewal is about to invoice is created.",
            input_schema=schemas.ITEM_HANDLING_INPUT,
            output_schema=schemas.ITEM_HANDLING_OUTPUT,
            default="create_all",
            per_price=True,
            check=items.check,
        ),
        Stage(
            id=bill.STAGE,
            title="Compute bill",
            description="An invoice's totals from its lines, discounts and taxes.",
            input_schema=schemas.COMPUTE_BILL_INPUT,
            output_schema=schemas.COMPUTE_BILL_OUTPUT,
            default="standard",
            per_price=False,
            check=bill.check,
        ),
        Stage(
            id=balance.STAGE,
            title="Customer balance application",
            description="How much of the customer's balance an invoice takes.",
            input_schema=schemas.BALANCE_INPUT,
            output_schema=schemas.BALANCE_OUTPUT,
            default="apply_all",
            per_price=False,
            check=balance.check,
        ),
        Stage(
            id=collection.STAGE,
            title="Collection",
            description="How and when a finalized invoice is collected, and its retry plan.",
            input_schema=schemas.COLLECTION_INPUT,
            output_schema=schemas.COLLECTION_OUTPUT,
            default="account_default",
            per_price=False,
            check=collection.check,
        ),
    )
}

_IMPLEMENTATIONS: dict[str, dict[str, Implementation]] = {stage_id: {} for stage_id in STAGES}
for _module in (prorations, items, bill, balance, collection):
    for _implementation in _module.IMPLEMENTATIONS:
        _IMPLEMENTATIONS[_implementation.stage][_implementation.key] = _implementation


def implementations(stage_id: str) -> list[Implementation]:
    """The implementations of ``stage_id``, the default first (KeyError: no such stage)."""
    default = STAGES[stage_id].default
    found = _IMPLEMENTATIONS[stage_id]
    return [found[default]] + [found[key] for key in found if key != default]


def implementation_get(stage_id: str, key: str) -> Implementation:
    """The implementation ``key`` of ``stage_id``; KeyError when there is none."""
    return _IMPLEMENTATIONS[stage_id][key]


def _integer(field: ConfigField, value: object) -> int:
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(field.name, "Must be a whole number.")
    return value


def _value(field: ConfigField, value: object) -> object:
    if field.kind in ("monetary_amount", "integer", "percent"):
        number = _integer(field, value)
        if number < 0:
            raise ConfigError(field.name, "Must not be negative.")
        if field.kind == "percent" and number > 100:
            raise ConfigError(field.name, "Must be a percentage from 0 to 100.")
        if field.kind == "monetary_amount" and number > money.MAX_AMOUNT:
            raise ConfigError(field.name, f"Must be at most {money.MAX_AMOUNT}.")
        return number
    if field.kind == "boolean":
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        if not isinstance(value, bool):
            raise ConfigError(field.name, "Must be true or false.")
        return value
    if value not in field.choices:
        raise ConfigError(field.name, f"Must be one of: {', '.join(field.choices)}.")
    return value


def config_clean(implementation: Implementation, raw: dict) -> dict:
    """``raw`` typed and checked against the implementation's settings, defaults filled in;
    ConfigError names the first setting that is unknown or cannot be used."""
    known = {field.name for field in implementation.config}
    for name in raw:
        if name not in known:
            raise ConfigError(name, "Unknown setting.")
    cleaned = {}
    for field in implementation.config:
        if field.kind not in CONFIG_KINDS:
            raise ConfigError(field.name, f"Unknown kind {field.kind!r}.")
        cleaned[field.name] = _value(field, raw[field.name]) if field.name in raw else field.default
    return cleaned


def default_choice(stage_id: str) -> Choice:
    implementation = implementation_get(stage_id, STAGES[stage_id].default)
    return Choice(stage_id, implementation.key, implementation.version, {})


@dataclass(frozen=True)
class Choices:
    """An account's chosen implementations: per stage (missing: the default), and per stage and
    price for the stages that allow it."""

    account: dict[str, Choice]
    prices: dict[tuple[str, str], Choice]

    def of(self, stage: str, price_id: str | None = None) -> Choice:
        if price_id is not None and STAGES[stage].per_price:
            chosen = self.prices.get((stage, price_id))
            if chosen is not None:
                return chosen
        return self.account.get(stage) or default_choice(stage)


DEFAULTS = Choices({}, {})
