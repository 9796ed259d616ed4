"""Stripe's search query language, the subset customers support. Pure: text in, clauses out.

    email:'jenny@example.com' AND metadata['plan']:'pro'
    name~'rosen' OR phone:'+15555550100'
    created>1700000000 AND -email:'test@example.com'

A query is one or more clauses joined by ``AND`` or by ``OR`` (not both, as Stripe). A clause is
``field:value`` (exact), ``field~value`` (substring, at least 3 characters), or a comparison
``field>number`` (``>``, ``<``, ``>=``, ``<=``) for ``created``; a leading ``-`` negates it.
Values are quoted with ``'`` or ``"``; a backslash escapes the quote.
"""

import re
from dataclasses import dataclass

from apps.core.errors import InvalidRequestError

FIELDS = {"email", "name", "phone", "created", "metadata"}
_STRING_FIELDS = {"email", "name", "phone"}
MIN_SUBSTRING = 3


@dataclass(frozen=True)
class Clause:
    field: str  # "email", "name", "phone", "created", "metadata"
    operator: str  # ":", "~", ">", "<", ">=", "<="
    value: str | int
    key: str | None = None  # the metadata key
    negated: bool = False


@dataclass(frozen=True)
class Query:
    clauses: tuple[Clause, ...]
    combinator: str  # "AND" or "OR"


def _error(message: str) -> InvalidRequestError:
    return InvalidRequestError(f"Invalid search query: {message}", param="query")


_METADATA_KEY = re.compile(r"(?!.*__)[A-Za-z0-9_\-]{1,40}")
_FIELD = re.compile(r"(-?)([a-z_]+)(?:\[(['\"])(.*?)\3\])?\s*(>=|<=|:|~|>|<)\s*")


def _quoted(text: str, start: int) -> tuple[str, int]:
    quote = text[start]
    out: list[str] = []
    position = start + 1
    while position < len(text):
        char = text[position]
        if char == "\\" and position + 1 < len(text):
            out.append(text[position + 1])
            position += 2
            continue
        if char == quote:
            return "".join(out), position + 1
        out.append(char)
        position += 1
    raise _error("a quoted value is not closed.")


def parse(text: str) -> Query:
    if not isinstance(text, str) or not text.strip():
        raise _error("the query is empty.")
    clauses: list[Clause] = []
    combinators: set[str] = set()
    position = 0
    text = text.strip()
    while True:
        match = _FIELD.match(text, position)
        if match is None:
            raise _error(f"expected a clause such as email:'jenny@example.com' at {position}.")
        negated, field, _, key, operator = match.groups()
        if field not in FIELDS:
            raise _error(f"unsupported field {field!r}; use {', '.join(sorted(FIELDS))}.")
        if (field == "metadata") != (key is not None):
            raise _error("metadata needs a key, as in metadata['plan']:'pro'.")
        if key is not None and not _METADATA_KEY.fullmatch(key):
            raise _error("a metadata key has letters, digits, '-' and single '_' only.")
        position = match.end()
        if position < len(text) and text[position] in "'\"":
            value, position = _quoted(text, position)
            if field == "created":
                raise _error("created compares with a number of epoch seconds.")
        else:
            number = re.compile(r"\d+").match(text, position)
            if number is None or field != "created":
                raise _error(f"the value of {field} must be quoted.")
            value, position = int(number.group()), number.end()
        if field == "created" and operator in (":", "~"):
            raise _error("created takes >, <, >= or <=.")
        if field != "created" and operator not in (":", "~"):
            raise _error(f"{field} takes : (exact) or ~ (substring).")
        if operator == "~" and len(str(value)) < MIN_SUBSTRING:
            raise _error(f"a substring search needs at least {MIN_SUBSTRING} characters.")
        if field == "metadata" and operator == "~":
            raise _error("metadata takes : (exact).")
        clauses.append(Clause(field, operator, value, key, bool(negated)))
        rest = text[position:]
        if not rest.strip():
            break
        joiner = re.compile(r"\s+(AND|OR)\s+").match(text, position)
        if joiner is None:
            raise _error("join clauses with AND or OR.")
        combinators.add(joiner.group(1))
        position = joiner.end()
    if len(combinators) > 1:
        raise _error("AND and OR cannot be mixed in one query.")
    if len(clauses) > 10:
        raise _error("at most 10 clauses.")
    return Query(tuple(clauses), combinators.pop() if combinators else "AND")
