"""Every object the API returns has Stripe's shape: the keys of Stripe's published example of its
type (tests/fixtures/stripe/fixtures3.json), each with the example's JSON kind.

The SDK tests record every response body (``RecordingHTTPClient`` in the ``stripe_sdk``
fixture) and fail on a missing key or a wrong kind in any object in it, events' snapshots and
expanded objects included. Rules of the comparison:

- null is compatible with any kind (the example shows one value of a nullable field);
- a key the example shows as null says nothing about the kind;
- an object with an ``id`` is compatible with a string where the SDK types the field as
  expandable (``Union[str, <Resource>]``), since ``expand[]`` replaces the id with the object;
- integers and decimals are both JSON numbers;
- the keys of a hash one level down (``invoice.status_transitions``) are compared the same way,
  except in maps of the integration's own keys (``metadata``);
- an object carries the details hash of its own ``type`` (``sepa_debit``), not the example's
  (``card``);
- keys listed in docs/compatibility.md ("Keys not returned") are allowed to be missing.
"""

import json
import re
import typing
from functools import cache
from pathlib import Path
from typing import Any

import stripe
from stripe._object_classes import OBJECT_CLASSES, get_object_class

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "stripe" / "fixtures3.json"
COMPATIBILITY = ROOT / "docs" / "compatibility.md"
# Containers, not resources: their items are checked one by one.
_CONTAINERS = frozenset({"list", "search_result"})
_ROW = re.compile(r"^\|\s*`([a-z_.]+)`\s*\|\s*`([a-z_.]+)`\s*\|\s*(.+?)\s*\|\s*$")
# Maps of the integration's (or the currency's) own keys: what Stripe's example holds in them
# says nothing of the shape.
_MAPS = frozenset({"metadata", "currency_options"})


@cache
def examples() -> dict[str, dict[str, Any]]:
    """Stripe's example per object type; a deleted object's is under ``deleted:<type>``."""
    found: dict[str, dict[str, Any]] = {}
    for name, example in json.loads(FIXTURES.read_text())["resources"].items():
        kind = example.get("object")
        if not isinstance(kind, str):
            continue
        key = f"deleted:{kind}" if example.get("deleted") is True else kind
        # The resource named after its object is the canonical example (``bank_account``, not
        # ``external_account``, ``payment_source`` or ``deleted_payment_source``).
        if name in (kind, f"deleted_{kind}") or key not in found:
            found[key] = example
    return found


@cache
def unsupported() -> frozenset[tuple[str, str]]:
    """(object, key) pairs docs/compatibility.md lists as not returned, each with a reason."""
    return unsupported_in(COMPATIBILITY.read_text())


def unsupported_in(text: str) -> frozenset[tuple[str, str]]:
    """The (object, key) rows of the "Keys not returned" table of ``text`` that give a reason."""
    pairs = set()
    in_section = False
    for line in text.splitlines():
        if line.startswith("## "):
            in_section = line.strip() == "## Keys not returned"
            continue
        match = _ROW.match(line) if in_section else None
        if match and match.group(3).strip("- "):
            pairs.add((match.group(1), match.group(2)))
    return frozenset(pairs)


@cache
def expandable(kind: str) -> frozenset[str]:
    """Fields the SDK types as an id or the object it names, for this object type."""
    if kind not in OBJECT_CLASSES:
        return frozenset()
    fields = set()
    for name, hint in vars(get_object_class("V1", kind)).get("__annotations__", {}).items():
        args = typing.get_args(hint)
        # ``Union[str, "Customer"]``, optionally with None: the SDK's expandable field.
        named = [a for a in args if a is not str and a is not type(None)]
        if str in args and any(isinstance(a, typing.ForwardRef | type) for a in named):
            fields.add(name)
    return frozenset(fields)


def json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _kind_fits(kind: str, key: str | None, ours: Any, theirs: Any) -> bool:
    """``key`` None: a key inside a hash, where the SDK does not say what expands."""
    mine, wanted = json_kind(ours), json_kind(theirs)
    if mine == wanted or "null" in (mine, wanted):
        return True
    expands = key is None or key in expandable(kind)
    return mine == "object" and wanted == "string" and "id" in ours and expands


def _expected(example: dict[str, Any], obj: dict[str, Any]) -> dict[str, Any]:
    """The example's keys, with its details hash named after its ``type`` (a card payment
    method's ``card``, an ACH source's ``ach_credit_transfer``) renamed to the object's own
    type when the object has no such key: an object carries the hash of its type only. (A
    one-time price still has ``recurring``, as null.)"""
    theirs, ours = example.get("type"), obj.get("type")
    if not isinstance(example.get(theirs), dict) or not isinstance(ours, str) or theirs in obj:
        return example
    expected = {key: value for key, value in example.items() if key != theirs}
    expected[ours] = example[theirs]
    return expected


def _hash_compared(key: str, ours: Any, theirs: Any, renamed: str | None) -> bool:
    """Whether the keys of a hash are compared too: a plain hash (not an object of its own,
    checked as such; not a map of the integration's own keys; not a details hash renamed from
    another type's)."""
    if key in _MAPS or key == renamed:
        return False
    if not isinstance(ours, dict) or not isinstance(theirs, dict):
        return False
    return "object" not in ours and "object" not in theirs


def _problems(kind: str, path: str, obj: dict[str, Any], example: dict[str, Any]) -> list[str]:
    """``path`` is the object type, or ``<type>.<key>`` for a hash of its (one level down)."""
    expected = _expected(example, obj)
    renamed = obj.get("type") if expected is not example else None
    top = path == kind
    problems = []
    for key, theirs in expected.items():
        name = f"{path}.{key}"
        if key not in obj:
            if (kind, name[len(kind) + 1 :]) not in unsupported():
                problems.append(f"{name}: missing")
        elif not _kind_fits(kind, key if top else None, obj[key], theirs):
            problems.append(
                f"{name}: {json_kind(obj[key])} where Stripe returns {json_kind(theirs)}"
            )
        elif top and _hash_compared(key, obj[key], theirs, renamed):
            problems.extend(_problems(kind, name, obj[key], theirs))
    return problems


def object_problems(obj: dict[str, Any]) -> list[str]:
    """What keeps one object from Stripe's shape, as ``object.key: problem`` lines (and
    ``object.hash.key`` for a key of one of its hashes)."""
    kind = obj.get("object")
    lookup = f"deleted:{kind}" if obj.get("deleted") is True else kind
    example = examples().get(lookup)
    if example is None:
        return []
    return _problems(kind, kind, obj, example)


def objects_in(node: Any) -> list[dict[str, Any]]:
    """Every dict carrying an ``object`` type in a response body, nested ones included."""
    found = []
    if isinstance(node, dict):
        if isinstance(node.get("object"), str) and node["object"] not in _CONTAINERS:
            found.append(node)
        for value in node.values():
            found.extend(objects_in(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(objects_in(value))
    return found


def shape_problems(bodies: list[Any]) -> list[str]:
    """Each distinct problem once, over every object in the bodies, in a stable order."""
    problems: set[str] = set()
    for body in bodies:
        for obj in objects_in(body):
            problems.update(object_problems(obj))
    return sorted(problems)


class RecordingHTTPClient(stripe.RequestsClient):
    """The SDK's HTTP client, keeping every JSON response body it receives."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.bodies: list[Any] = []

    def request_with_retries(self, *args: Any, **kwargs: Any):
        content, status, headers = super().request_with_retries(*args, **kwargs)
        if status < 400 and content:
            text = content.decode() if isinstance(content, bytes) else content
            self.bodies.append(json.loads(text))
        return content, status, headers
