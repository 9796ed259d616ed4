"""Stripe's form encoding: ``items[0][price]=p``, ``metadata[k]=v``, ``expand[]=a``.

Keys are split on brackets into a tree; a level whose keys are exactly the indexes 0..n-1 (or
``[]`` appends) becomes a list. Both indexed arrays (what the SDKs send) and empty-bracket arrays
(what the docs' curl examples send) arrive as lists. Any other level is a hash with string keys,
so ``metadata[1]=a&metadata[b]=c`` stays the hash it is; an endpoint expecting an array refuses it.

Whatever the encoding (form, JSON or query string), the parsed tree is checked once
(``params_check``): no deeper than ``MAX_DEPTH``, no key or string longer than ``MAX_STRING``,
and no control character (NUL, which PostgreSQL cannot store, among them) or lone surrogate
anywhere. Every refusal is an ``InvalidRequestError`` naming the parameter.
"""

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl

from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser, JSONParser

from apps.core.errors import InvalidRequestError

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_PART = re.compile(r"\[([^\[\]]*)\]")
# An array index: ASCII digits without a leading zero, short enough to be a real position.
_INDEX = re.compile(r"0|[1-9][0-9]{0,8}")
# C0 controls but tab, line feed and carriage return (descriptions may hold them), DEL, and
# the surrogates, which only a JSON ``\ud800`` escape can produce and UTF-8 cannot encode.
_UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
MAX_DEPTH = 8
MAX_STRING = 5000
_APPEND = object()


def _listify(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    node = {k: _listify(v) for k, v in node.items()}
    if node and all(isinstance(k, int) for k in node) and sorted(node) == list(range(len(node))):
        return [node[k] for k in range(len(node))]
    return {str(k): v for k, v in node.items()}


def _index(part: str) -> int | str:
    """``[3]`` is an array index; ``[03]`` or ``[²]`` stays a hash key (metadata keys keep
    their spelling)."""
    return int(part) if _INDEX.fullmatch(part) else part


def _shown(text: str) -> str:
    """``text`` fit for an error message: unprintable characters as U+FFFD."""
    return _UNPRINTABLE.sub("\ufffd", text)


def _check_text(text: str, param: str) -> None:
    if len(text) > MAX_STRING:
        raise InvalidRequestError(
            f"Invalid string: {param} must be at most {MAX_STRING} characters.", param=param
        )
    if _UNPRINTABLE.search(text):
        raise InvalidRequestError(
            f"Invalid string: {param} must not contain control characters.", param=param
        )


def params_check(params: dict[str, Any]) -> None:
    """Refuse a parsed tree that no endpoint may take (see the module's docstring)."""
    pending: list[tuple[Any, str, int]] = [(params, "", 0)]
    while pending:
        node, path, depth = pending.pop()
        if isinstance(node, str):
            _check_text(node, path)
            continue
        if isinstance(node, dict):
            children = node.items()
        elif isinstance(node, list):
            children = ((str(index), item) for index, item in enumerate(node))
        else:
            continue
        if depth >= MAX_DEPTH:
            raise InvalidRequestError("Parameters are nested too deeply.", param=path)
        for key, child in children:
            name = f"{path}[{_shown(key)}]" if path else _shown(key)
            _check_text(key, name)
            pending.append((child, name, depth + 1))


def parse_nested(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    root: dict[Any, Any] = {}
    for raw_key, value in pairs:
        shown = _shown(raw_key)
        match = _KEY.match(raw_key)
        if not match:
            raise InvalidRequestError(f"Invalid parameter name: {shown}", param=shown)
        parts: list[Any] = [match.group(1)]
        for part in _PART.findall(match.group(2)):
            parts.append(_APPEND if part == "" else _index(part))
        if len(parts) > MAX_DEPTH:
            raise InvalidRequestError("Parameters are nested too deeply.", param=shown)
        node: Any = root
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            if part is _APPEND:
                if not isinstance(node, dict):
                    raise InvalidRequestError(f"Invalid array parameter: {shown}", param=shown)
                part = len(node)
            if last:
                if isinstance(node.get(part), dict):
                    raise InvalidRequestError(
                        f"Parameter {shown} conflicts with another parameter.", param=shown
                    )
                node[part] = value
            else:
                child = node.get(part)
                if child is None or not isinstance(child, dict):
                    if child is not None:
                        raise InvalidRequestError(
                            f"Parameter {shown} conflicts with another parameter.", param=shown
                        )
                    child = node[part] = {}
                node = child
    params = _listify(root)
    params_check(params)
    return params


def parse_query_string(query: str) -> dict[str, Any]:
    return parse_nested(parse_qsl(query, keep_blank_values=True))


class StripeFormParser(BaseParser):
    media_type = "application/x-www-form-urlencoded"

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", "utf-8")
        try:
            body = stream.read().decode(encoding) if stream else ""
        except UnicodeDecodeError as exc:
            raise InvalidRequestError(
                "Invalid request body: The request body is not valid UTF-8."
            ) from exc
        return parse_query_string(body)


class StripeJSONParser(JSONParser):
    """JSON bodies, refused as a form body would be: malformed, nested too deeply (before
    Python's own recursion limit is reached) or holding what ``params_check`` refuses."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except ParseError as exc:
            raise InvalidRequestError(f"Invalid request body: {exc.detail}") from exc
        except RecursionError as exc:
            raise InvalidRequestError("Parameters are nested too deeply.") from exc
        if not isinstance(data, dict):
            raise InvalidRequestError("The request body must be an object of parameters.")
        params_check(data)
        return data
