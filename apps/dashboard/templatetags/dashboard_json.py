"""``{{ value|json_pretty }}``: indented JSON for the Developers pages.

Numbers are shown exactly as written: JSON text is parsed with fractional literals kept as
``Decimal``, never turned into binary floats. Ledgerline's own JSON has no floats (money is
integers of minor units); the one place a float can appear is a parameter a client sent in a
JSON body, which the request log stored as decoded. That one is shown by its shortest
round-trip text (``repr``), i.e. what the client most likely wrote, with no formatting.
"""

import json
from decimal import Decimal
from typing import Any

from django import template

register = template.Library()

_INDENT = "  "


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _dump(value: Any, depth: int) -> str:
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise TypeError("NaN and infinities are not JSON")
        return repr(value)
    pad, inner = _INDENT * depth, _INDENT * (depth + 1)
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [
            f"{inner}{json.dumps(str(k), ensure_ascii=False)}: {_dump(v, depth + 1)}"
            for k, v in value.items()
        ]
        return "{\n" + ",\n".join(items) + f"\n{pad}}}"
    if isinstance(value, list | tuple):
        if not value:
            return "[]"
        return "[\n" + ",\n".join(f"{inner}{_dump(v, depth + 1)}" for v in value) + f"\n{pad}]"
    raise TypeError(f"{type(value).__name__} is not shown as JSON")


def json_pretty(value: Any) -> str:
    """Indented JSON of a parsed value, or of JSON text (text that is not JSON, such as a
    response cut at the log's excerpt length, comes back unchanged)."""
    if isinstance(value, bytes | str):
        try:
            value = json.loads(value, parse_float=Decimal, parse_constant=_refuse_constant)
        except ValueError:
            return value.decode(errors="replace") if isinstance(value, bytes) else value
    try:
        return _dump(value, 0)
    except TypeError:
        # Not JSON-shaped (should not happen for stored JSON); show it rather than fail the page.
        return str(value)


register.filter("json_pretty", json_pretty)
