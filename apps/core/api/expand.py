"""``expand[]``: replace an id in a response with the object it names.

Apps register, per id prefix, how to fetch and render one object for an account; the expander
walks dot paths (``data.customer``, ``payment_intent.customer``) up to Stripe's depth of 4.
"""

from collections.abc import Callable
from typing import Any

from apps.core.errors import InvalidRequestError

MAX_DEPTH = 4
Fetcher = Callable[[Any, str], dict[str, Any] | None]
_fetchers: dict[str, Fetcher] = {}


def register_expandable(prefix: str, fetcher: Fetcher) -> None:
    _fetchers[prefix] = fetcher


def _expand_one(value: Any, account: Any, path: str) -> Any:
    fetcher = _fetchers.get(value.rsplit("_", 1)[0]) if "_" in value else None
    if fetcher is None:
        raise InvalidRequestError(f"This property cannot be expanded ({path}).", param="expand")
    return fetcher(account, value) or value


def _walk(node: Any, parts: list[str], account: Any, path: str) -> Any:
    if not parts:
        return node
    if isinstance(node, list):
        return [_walk(item, parts, account, path) for item in node]
    if not isinstance(node, dict):
        return node
    head, rest = parts[0], parts[1:]
    if head not in node:
        raise InvalidRequestError(f"This property cannot be expanded ({path}).", param="expand")
    child = node[head]
    if isinstance(child, str):
        child = _expand_one(child, account, path)
    elif isinstance(child, list) and not rest:
        child = [_expand_one(i, account, path) if isinstance(i, str) else i for i in child]
    node[head] = _walk(child, rest, account, path)
    return node


def apply_expand(data: dict[str, Any], paths: list[str], account: Any) -> dict[str, Any]:
    for path in paths:
        if not isinstance(path, str) or not path:
            raise InvalidRequestError("Invalid expand parameter.", param="expand")
        parts = path.split(".")
        if len(parts) > MAX_DEPTH:
            raise InvalidRequestError(
                f"You cannot expand more than {MAX_DEPTH} levels of a property ({path}).",
                param="expand",
            )
        _walk(data, parts, account, path)
    return data
