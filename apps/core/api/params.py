"""Reading typed values out of parsed Stripe parameters, with Stripe-shaped errors."""

import hmac
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from apps.core import clock, money
from apps.core.errors import InvalidRequestError

ALWAYS_ALLOWED = frozenset({"expand"})
# Integers are ASCII digits (``int()`` would also take "１００" or "²"), and fit a bigint column.
_INTEGER = re.compile(r"-?[0-9]+")
INT_MAX = 2**63 - 1
# The largest quantity of a line or item: times the largest unit amount it stays far below
# INT_MAX, so totals of many lines fit a bigint column too.
MAX_QUANTITY = 100_000_000


def nested(prefix: str, param: str) -> str:
    """``param`` (``up_to``, ``tiers[0][up_to]``) under ``prefix`` (``currency_options[eur]``)."""
    if not prefix:
        return param
    head, bracket, rest = param.partition("[")
    return f"{prefix}[{head}]{bracket}{rest}"


@contextmanager
def within(prefix: str) -> Iterator[None]:
    """Errors raised inside name their parameter under ``prefix``: Stripe names a nested
    parameter by its full path (``items[0][quantity]``), the readers here by its leaf name."""
    try:
        yield
    except InvalidRequestError as exc:
        if prefix and exc.param and not exc.param.startswith(prefix):
            exc.param = nested(prefix, exc.param)
        raise


def reject_unknown(params: dict[str, Any], allowed: set[str] | frozenset[str]) -> None:
    for name in params:
        if name not in allowed and name not in ALWAYS_ALLOWED:
            raise InvalidRequestError(f"Received unknown parameter: {name}", param=name)


def get_str(
    params: dict[str, Any],
    name: str,
    *,
    required: bool = False,
    default: str | None = None,
    max_length: int = 5000,
    choices: list[str] | None = None,
) -> str | None:
    value = params.get(name)
    if value is None or value == "":
        if required:
            raise InvalidRequestError(
                f"Missing required param: {name}.", param=name, code="parameter_missing"
            )
        return default
    if not isinstance(value, str):
        raise InvalidRequestError(f"Invalid string: {name} must be a string.", param=name)
    if len(value) > max_length:
        raise InvalidRequestError(
            f"Invalid string: {name} must be at most {max_length} characters.", param=name
        )
    if choices is not None and value not in choices:
        raise InvalidRequestError(
            f"Invalid {name}: must be one of {', '.join(choices)}", param=name
        )
    return value


def get_int(
    params: dict[str, Any],
    name: str,
    *,
    required: bool = False,
    default: int | None = None,
    minimum: int = -INT_MAX,
    maximum: int = INT_MAX,
) -> int | None:
    value = params.get(name)
    if value is None or value == "":
        if required:
            raise InvalidRequestError(
                f"Missing required param: {name}.", param=name, code="parameter_missing"
            )
        return default
    if isinstance(value, bool):
        raise InvalidRequestError(f"Invalid integer: {value}", param=name)
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and _INTEGER.fullmatch(value):
        # Past 20 characters the number is beyond every bound: never converted (``int()`` of
        # thousands of digits is slow, and refused past 4,300).
        if len(value) <= 20:
            number = int(value)
        else:
            number = minimum - 1 if value.startswith("-") else maximum + 1
    else:
        raise InvalidRequestError(f"Invalid integer: {value}", param=name)
    if number < minimum:
        raise InvalidRequestError(f"Invalid {name}: must be at least {minimum}", param=name)
    if number > maximum:
        raise InvalidRequestError(f"Invalid {name}: must be at most {maximum}", param=name)
    return number


def get_currency(params: dict[str, Any], name: str, *, required: bool = False) -> str | None:
    """A currency Stripe charges in, lower-cased (``money.currency_normalize``)."""
    value = get_str(params, name, required=required)
    if value is None:
        return None
    try:
        return money.currency_normalize(value)
    except money.MoneyError as exc:
        raise InvalidRequestError(f"Invalid currency: {value}", param=name) from exc


def get_amount(
    params: dict[str, Any],
    name: str,
    *,
    currency: str | None,
    required: bool = False,
    default: int | None = None,
    minimum: int = 0,
) -> int | None:
    """Minor units of ``currency`` (a normalized code, or None when not yet known): not
    negative unless ``minimum`` allows it, and at most Stripe's eight digits
    (``money.amount_max``)."""
    return get_int(
        params,
        name,
        required=required,
        default=default,
        minimum=minimum,
        maximum=money.amount_max(currency),
    )


def get_quantity(
    params: dict[str, Any], name: str, *, default: int | None = None, minimum: int = 1
) -> int | None:
    return get_int(params, name, default=default, minimum=minimum, maximum=MAX_QUANTITY)


def get_timestamp(params: dict[str, Any], name: str, *, required: bool = False) -> datetime | None:
    """Epoch seconds within ``clock.EPOCH_MIN``..``clock.EPOCH_MAX``, as an aware datetime."""
    seconds = get_int(params, name, required=required)
    if seconds is None:
        return None
    if not clock.EPOCH_MIN <= seconds <= clock.EPOCH_MAX:
        raise InvalidRequestError(f"Invalid timestamp: {seconds}", param=name)
    return clock.from_epoch(seconds)


def get_bool(params: dict[str, Any], name: str, *, default: bool | None = None) -> bool | None:
    value = params.get(name)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    raise InvalidRequestError(f"Invalid boolean: {value}", param=name)


def get_list(params: dict[str, Any], name: str) -> list[Any]:
    value = params.get(name)
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return value
    if isinstance(value, str):
        return [value]
    raise InvalidRequestError(f"Invalid array: {name}", param=name)


def get_ids(params: dict[str, Any], name: str) -> list[str] | None:
    """A list of object ids (``tax_rates[0]=txr_1``): None when absent, [] when set to ""
    (Stripe's way of clearing a list)."""
    if name not in params:
        return None
    value = params[name]
    if isinstance(value, dict):
        value = [value[key] for key in sorted(value, key=lambda key: int(key))]
    items = get_list(params, name) if not isinstance(value, list) else value
    if any(not isinstance(item, str) or not item or len(item) > 64 for item in items):
        raise InvalidRequestError(f"Invalid array: {name} is a list of ids.", param=name)
    return list(items)


def get_metadata(params: dict[str, Any], name: str = "metadata") -> dict[str, str] | None:
    """Metadata as Stripe takes it: ``""`` clears all, a key set to ``""`` is removed (None)."""
    value = params.get(name)
    if value is None:
        return None
    if value == "":
        return {}
    if isinstance(value, list):
        # ``metadata[0]=a&metadata[1]=b`` parses as an array; its keys were the indexes.
        value = {str(index): item for index, item in enumerate(value)}
    if not isinstance(value, dict):
        raise InvalidRequestError("Invalid hash: metadata must be key/value pairs.", param=name)
    if len(value) > 50:
        raise InvalidRequestError("Metadata can have at most 50 keys.", param=name)
    for key, item in value.items():
        if len(str(key)) > 40:
            raise InvalidRequestError(
                "Metadata keys can be at most 40 characters.", param=f"{name}[{key}]"
            )
        if not isinstance(item, str) or len(item) > 500:
            raise InvalidRequestError(
                "Metadata values must be strings of at most 500 characters.", param=f"{name}[{key}]"
            )
    return {str(k): v for k, v in value.items()}


def client_secret_check(params: dict[str, Any], *, expected: str, kind: str) -> None:
    """A ``client_secret`` sent with a request must be the object's, compared in constant
    time so its characters cannot be guessed one by one from response times."""
    given = get_str(params, "client_secret", max_length=200)
    if given is not None and not hmac.compare_digest(given.encode(), expected.encode()):
        raise InvalidRequestError(
            "The client_secret provided does not match the client_secret associated with "
            f"the {kind}.",
            param="client_secret",
        )


def metadata_merge(current: dict[str, str], update: dict[str, str] | None) -> dict[str, str]:
    if update is None:
        return current
    if update == {}:
        return {}
    merged = dict(current)
    for key, value in update.items():
        if value == "":
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged
