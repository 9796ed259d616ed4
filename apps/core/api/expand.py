"""``expand[]``: replace an id in a response with the object it names, or include a list Stripe
leaves out unless asked (a customer's ``sources``, ``subscriptions``, ``tax_ids``).

Apps register, per id prefix, how to fetch and render one object for an account, and per
(object type, field) how to list what an includable field holds. The expander walks dot paths
through objects and lists (``data.customer``, ``subscriptions.data.items.data``,
``tax_ids.data.customer``) up to Stripe's depth of 4.
"""

from collections.abc import Callable
from typing import Any

from apps.core.errors import InvalidRequestError

MAX_DEPTH = 4
# How many rows an included list carries, as on a list endpoint's first page.
INCLUDED_PAGE = 10
Fetcher = Callable[[Any, str], dict[str, Any] | None]
# (account, the object's id, how many rows at most) -> (rows, whether there are more, url)
Includer = Callable[[Any, str, int], tuple[list[dict[str, Any]], bool, str]]
_fetchers: dict[str, Fetcher] = {}
_includers: dict[tuple[str, str], Includer] = {}


def register_expandable(prefix: str, fetcher: Fetcher) -> None:
    _fetchers[prefix] = fetcher


def register_includable(object_type: str, field: str, includer: Includer) -> None:
    """``field`` of ``object_type`` objects is a list shown only with ``expand[]=field``."""
    _includers[(object_type, field)] = includer


def _cannot(path: str) -> InvalidRequestError:
    return InvalidRequestError(f"This property cannot be expanded ({path}).", param="expand")


def _expand_one(value: Any, account: Any, path: str) -> Any:
    fetcher = _fetchers.get(value.rsplit("_", 1)[0]) if "_" in value else None
    if fetcher is None:
        raise _cannot(path)
    return fetcher(account, value) or value


def _include(node: dict[str, Any], head: str, account: Any, path: str) -> bool:
    """Put the includable list ``head`` into ``node``; False for a deleted object, which has
    none."""
    includer = _includers.get((node.get("object"), head))
    if includer is None or not isinstance(node.get("id"), str):
        raise _cannot(path)
    if node.get("deleted") is True:
        return False
    rows, has_more, url = includer(account, node["id"], INCLUDED_PAGE)
    node[head] = {"object": "list", "data": rows, "has_more": has_more, "url": url}
    return True


def _walk(node: Any, parts: list[str], account: Any, path: str) -> Any:
    if not parts:
        return node
    if isinstance(node, list):
        return [_walk(item, parts, account, path) for item in node]
    if not isinstance(node, dict):
        return node
    head, rest = parts[0], parts[1:]
    if head not in node and not _include(node, head, account, path):
        return node
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
                f"You cannot expand more than {MAX_DEPTH} levels of a property. Property: {path}",
                param="expand",
                code="property_expansion_max_depth",
            )
        _walk(data, parts, account, path)
    return data
