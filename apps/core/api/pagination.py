"""Stripe list objects with keyset pagination on time-ordered ids (newest first)."""

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.db.models import QuerySet

from apps.core import clock
from apps.core.api.params import get_int, get_str
from apps.core.errors import InvalidRequestError

DEFAULT_LIMIT = 10
MAX_LIMIT = 100
_RANGE_OPS = {"gt": "gt", "gte": "gte", "lt": "lt", "lte": "lte"}


def created_filter(
    queryset: QuerySet, params: dict[str, Any], *, name: str = "created", field: str = "created_at"
) -> QuerySet:
    """``created=<epoch>`` or ``created[gte]=<epoch>`` etc."""
    value = params.get(name)
    if value is None or value == "":
        return queryset
    if isinstance(value, str):
        moment = clock.from_epoch(get_int(params, name))
        return queryset.filter(**{field: moment})
    if not isinstance(value, dict):
        raise InvalidRequestError(f"Invalid {name} filter.", param=name)
    for op in value:
        if op not in _RANGE_OPS:
            raise InvalidRequestError(
                f"Invalid {name} filter: unknown operator {op}.", param=f"{name}[{op}]"
            )
        moment: datetime = clock.from_epoch(get_int(value, op, required=True))
        queryset = queryset.filter(**{f"{field}__{_RANGE_OPS[op]}": moment})
    return queryset


def paginate(
    queryset: QuerySet,
    params: dict[str, Any],
    *,
    url: str,
    render: Callable[[Any], dict[str, Any]],
) -> dict[str, Any]:
    limit = get_int(params, "limit", default=DEFAULT_LIMIT, minimum=1, maximum=MAX_LIMIT)
    starting_after = get_str(params, "starting_after", max_length=64)
    ending_before = get_str(params, "ending_before", max_length=64)
    if starting_after and ending_before:
        raise InvalidRequestError(
            "You may only specify one of these parameters: ending_before, starting_after.",
            param="ending_before",
        )
    if ending_before:
        rows = list(queryset.filter(pk__gt=ending_before).order_by("pk")[: limit + 1])
        has_more = len(rows) > limit
        rows = list(reversed(rows[:limit]))
    else:
        if starting_after:
            queryset = queryset.filter(pk__lt=starting_after)
        rows = list(queryset.order_by("-pk")[: limit + 1])
        has_more = len(rows) > limit
        rows = rows[:limit]
    return {
        "object": "list",
        "data": [render(row) for row in rows],
        "has_more": has_more,
        "url": url,
    }
