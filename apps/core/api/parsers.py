"""Stripe's form encoding: ``items[0][price]=p``, ``metadata[k]=v``, ``expand[]=a``.

Keys are split on brackets into a tree; a level whose keys are exactly the indexes 0..n-1 (or
``[]`` appends) becomes a list. Both indexed arrays (what the SDKs send) and empty-bracket arrays
(what the docs' curl examples send) arrive as lists. Any other level is a hash with string keys,
so ``metadata[1]=a&metadata[b]=c`` stays the hash it is; an endpoint expecting an array refuses it.
"""

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl

from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser

from apps.core.errors import InvalidRequestError

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_PART = re.compile(r"\[([^\[\]]*)\]")
MAX_DEPTH = 8
_APPEND = object()


def _listify(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    node = {k: _listify(v) for k, v in node.items()}
    if node and all(isinstance(k, int) for k in node) and sorted(node) == list(range(len(node))):
        return [node[k] for k in range(len(node))]
    return {str(k): v for k, v in node.items()}


def _index(part: str) -> int | str:
    """``[3]`` is an array index; ``[03]`` stays a hash key (metadata keys keep their spelling)."""
    return int(part) if part.isdigit() and str(int(part)) == part else part


def parse_nested(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    root: dict[Any, Any] = {}
    for raw_key, value in pairs:
        match = _KEY.match(raw_key)
        if not match:
            raise InvalidRequestError(f"Invalid parameter name: {raw_key}", param=raw_key)
        parts: list[Any] = [match.group(1)]
        for part in _PART.findall(match.group(2)):
            parts.append(_APPEND if part == "" else _index(part))
        if len(parts) > MAX_DEPTH:
            raise InvalidRequestError("Parameters are nested too deeply.", param=raw_key)
        node: Any = root
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            if part is _APPEND:
                if not isinstance(node, dict):
                    raise InvalidRequestError(f"Invalid array parameter: {raw_key}", param=raw_key)
                part = len(node)
            if last:
                if isinstance(node.get(part), dict):
                    raise InvalidRequestError(
                        f"Parameter {raw_key} conflicts with another parameter.", param=raw_key
                    )
                node[part] = value
            else:
                child = node.get(part)
                if child is None or not isinstance(child, dict):
                    if child is not None:
                        raise InvalidRequestError(
                            f"Parameter {raw_key} conflicts with another parameter.", param=raw_key
                        )
                    child = node[part] = {}
                node = child
    return _listify(root)


def parse_query_string(query: str) -> dict[str, Any]:
    return parse_nested(parse_qsl(query, keep_blank_values=True))


class StripeFormParser(BaseParser):
    media_type = "application/x-www-form-urlencoded"

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", "utf-8")
        try:
            body = stream.read().decode(encoding) if stream else ""
        except UnicodeDecodeError as exc:
            raise ParseError("The request body is not valid UTF-8.") from exc
        return parse_query_string(body)
