"""Stripe list objects with keyset pagination on time-ordered ids (newest first)."""

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.db.models import QuerySet

from apps.core.api.params import get_int, get_str, get_timestamp
from apps.core.errors import InvalidRequestError, ResourceMissingError

DEFAULT_LIMIT = 10
MAX_LIMIT = 100
_ONE_SECOND = timedelta(seconds=1)


def _epoch(value: Any, param: str) -> datetime:
    return get_timestamp({param: value}, param, required=True)


def created_filter(
    queryset: QuerySet, params: dict[str, Any], *, name: str = "created", field: str = "created_at"
) -> QuerySet:
    """``created=<epoch>`` or ``created[gte]=<epoch>`` etc.

    The API shows ``created`` in whole seconds while rows keep microseconds, so each bound is
    compared at second granularity: ``created[lte]=t`` includes a row created at t.4.
    """
    value = params.get(name)
    if value is None or value == "":
        return queryset
    if isinstance(value, str):
        moment = _epoch(value, name)
        return queryset.filter(**{f"{field}__gte": moment, f"{field}__lt": moment + _ONE_SECOND})
    if not isinstance(value, dict):
        raise InvalidRequestError(f"Invalid {name} filter.", param=name)
    for op, bound in value.items():
        param = f"{name}[{op}]"
        if op == "gt":
            queryset = queryset.filter(**{f"{field}__gte": _epoch(bound, param) + _ONE_SECOND})
        elif op == "gte":
            queryset = queryset.filter(**{f"{field}__gte": _epoch(bound, param)})
        elif op == "lt":
            queryset = queryset.filter(**{f"{field}__lt": _epoch(bound, param)})
        elif op == "lte":
            queryset = queryset.filter(**{f"{field}__lt": _epoch(bound, param) + _ONE_SECOND})
        else:
            raise InvalidRequestError(f"Invalid {name} filter: unknown operator {op}.", param=param)
    return queryset


def paginate(
    queryset: QuerySet,
    params: dict[str, Any],
    *,
    url: str,
    render: Callable[[Any], dict[str, Any]],
    cursor_field: str = "pk",
) -> dict[str, Any]:
    """A Stripe list page, newest first by primary key. Cursors name objects by
    ``cursor_field`` (the public id, when it is not the primary key)."""
    limit = get_int(params, "limit", default=DEFAULT_LIMIT, minimum=1, maximum=MAX_LIMIT)
    starting_after = get_str(params, "starting_after", max_length=64)
    ending_before = get_str(params, "ending_before", max_length=64)
    if starting_after and ending_before:
        raise InvalidRequestError(
            "You may only specify one of these parameters: ending_before, starting_after.",
            param="ending_before",
        )
    cursor = starting_after or ending_before
    anchor = None
    if cursor:
        anchor = queryset.filter(**{cursor_field: cursor}).values_list("pk", flat=True).first()
        if anchor is None:
            raise ResourceMissingError(
                str(queryset.model._meta.verbose_name),
                cursor,
                param="starting_after" if starting_after else "ending_before",
            )
    if ending_before:
        rows = list(queryset.filter(pk__gt=anchor).order_by("pk")[: limit + 1])
        has_more = len(rows) > limit
        rows = list(reversed(rows[:limit]))
    else:
        if starting_after:
            queryset = queryset.filter(pk__lt=anchor)
        rows = list(queryset.order_by("-pk")[: limit + 1])
        has_more = len(rows) > limit
        rows = rows[:limit]
    return {
        "object": "list",
        "data": [render(row) for row in rows],
        "has_more": has_more,
        "url": url,
    }


def equal_filters(queryset: QuerySet, params: dict[str, Any], fields: dict[str, str]) -> QuerySet:
    """List filters by exact value: ``fields`` maps each parameter to the field it compares."""
    for name, field in fields.items():
        value = get_str(params, name, max_length=512)
        if value:
            queryset = queryset.filter(**{field: value})
    return queryset
