"""Stripe's search query language (``/v1/<resource>/search``), the subset Ledgerline supports.

The parser is pure (text in, clauses out, given the fields a resource allows); ``search_q`` turns
clauses into a filter and ``search_page`` answers one page of results, for every resource alike.

    email:'jenny@example.com' AND metadata['plan']:'pro'
    name~'rosen' OR phone:'+15555550100'
    created>1700000000 -email:'test@example.com'

A query is one to ten clauses separated by spaces or by ``AND`` / ``OR`` (any case); a space
means AND, and AND and OR cannot be mixed (there are no parentheses), as in Stripe. A clause is
``field:value`` (exact), ``field~value`` (substring, at least 3 characters) or, for ``created``,
a comparison with ``>``, ``<``, ``>=``, ``<=``, ``=`` or ``:`` and a number of epoch seconds.
A leading ``-`` negates a clause. String values are quoted with ``'`` or ``"`` (a backslash
escapes the next character); the bare word ``null`` matches a field that is not set.
"""

import base64
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Q, QuerySet
from django.db.models.fields.json import KeyTextTransform
from django.db.models.lookups import Exact, IsNull

from apps.core import clock
from apps.core.errors import InvalidRequestError

# What each resource may search: a text field takes ":" and "~", a token field ":" only; every
# resource also has ``created`` and ``metadata``.
TEXT, TOKEN = "text", "token"
CUSTOMER_FIELDS = {"email": TEXT, "name": TEXT, "phone": TEXT}
MIN_SUBSTRING = 3
MAX_CLAUSES = 10
MAX_EPOCH = 253_402_300_799  # 9999-12-31T23:59:59Z
# Stripe's metadata keys: up to 40 characters; square brackets and quotes are not allowed.
_METADATA_KEY = re.compile(r"[^\[\]'\"\\]{1,40}")
_CLAUSE_START = re.compile(r"(-?)([A-Za-z_]+)")
_OPERATOR = re.compile(r">=|<=|:|~|>|<|=")
_NUMBER = re.compile(r"-?\d+")
_NULL = re.compile(r"null\b")
_JOINER = re.compile(r"(AND|OR)(?:\s+|$)", re.IGNORECASE)
_STRING_OPERATORS = (":", "~")
_NUMBER_OPERATORS = (":", "=", ">", "<", ">=", "<=")


@dataclass(frozen=True)
class Clause:
    field: str  # one of FIELDS
    operator: str  # ":" (exact), "~" (substring), ">", "<", ">=", "<=" ("=" is read as ":")
    value: str | int | None  # None: the bare word null (the field is not set)
    key: str | None = None  # the metadata key
    negated: bool = False


@dataclass(frozen=True)
class Query:
    clauses: tuple[Clause, ...]
    combinator: str  # "AND" or "OR"


def _error(message: str) -> InvalidRequestError:
    return InvalidRequestError(f"Invalid search query: {message}", param="query")


def _quoted(text: str, start: int) -> tuple[str, int]:
    quote = text[start]
    out: list[str] = []
    position = start + 1
    while position < len(text):
        char = text[position]
        if char == "\\":
            if position + 1 == len(text):
                break
            out.append(text[position + 1])
            position += 2
            continue
        if char == quote:
            return "".join(out), position + 1
        out.append(char)
        position += 1
    raise _error("a quoted value is not closed.")


def _metadata_key(text: str, position: int) -> tuple[str, int]:
    """``['key']`` or ``["key"]`` right after ``metadata``."""
    if text[position : position + 1] != "[" or text[position + 1 : position + 2] not in ("'", '"'):
        raise _error("metadata needs a key, as in metadata['plan']:'pro'.")
    key, position = _quoted(text, position + 1)
    if text[position : position + 1] != "]":
        raise _error("a metadata key is closed with ']'.")
    if not _METADATA_KEY.fullmatch(key):
        raise _error("a metadata key has 1 to 40 characters, without brackets or quotes.")
    return key, position + 1


def _clause(text: str, position: int, fields: dict[str, str]) -> tuple[Clause, int]:
    start = _CLAUSE_START.match(text, position)
    if start is None:
        raise _error(f"expected a clause such as metadata['plan']:'pro' at {position}.")
    negated, field = start.group(1) == "-", start.group(2)
    allowed = ("created", *fields, "metadata")
    if field not in allowed:
        raise _error(f"unsupported field {field!r}; use {', '.join(sorted(allowed))}.")
    position = start.end()
    key = None
    if field == "metadata":
        key, position = _metadata_key(text, position)
    operator_match = _OPERATOR.match(text, position)
    if operator_match is None:
        raise _error(f"expected an operator (:, ~, >, <, >=, <=) after {field}.")
    operator = operator_match.group()
    position = operator_match.end()
    value: str | int | None
    if field == "created":
        if operator not in _NUMBER_OPERATORS:
            raise _error("created takes :, =, >, <, >= or <= and a number of epoch seconds.")
        number = _NUMBER.match(text, position)
        if number is None:
            raise _error("created compares with a number of epoch seconds, unquoted.")
        value, position = int(number.group()), number.end()
        if not 0 <= value <= MAX_EPOCH:
            raise _error("created is a number of epoch seconds before the year 10000.")
        operator = ":" if operator == "=" else operator
    else:
        if operator not in _STRING_OPERATORS:
            raise _error(f"{field} takes : (exact) or ~ (substring).")
        if operator == "~" and fields.get(field) != TEXT:
            raise _error(f"{field} takes : (exact).")
        if text[position : position + 1] in ("'", '"'):
            value, position = _quoted(text, position)
            if operator == "~" and len(value) < MIN_SUBSTRING:
                raise _error(f"a substring search needs at least {MIN_SUBSTRING} characters.")
        elif operator == ":" and _NULL.match(text, position):
            value, position = None, position + len("null")
        else:
            raise _error(f"the value of {field} must be quoted.")
    return Clause(field, operator, value, key, negated), position


def parse(text: object, fields: dict[str, str] = CUSTOMER_FIELDS) -> Query:
    if not isinstance(text, str) or not text.strip():
        raise _error("the query is empty.")
    text = text.strip()
    clauses: list[Clause] = []
    combinators: set[str] = set()
    position = 0
    while True:
        clause, position = _clause(text, position, fields)
        clauses.append(clause)
        if position == len(text):
            break
        gap = re.compile(r"\s+").match(text, position)
        if gap is None:
            raise _error(f"clauses are separated by a space, AND or OR (at {position}).")
        position = gap.end()
        joiner = _JOINER.match(text, position)
        if joiner is not None:
            combinators.add(joiner.group(1).upper())
            position = joiner.end()
        else:
            combinators.add("AND")
        if position == len(text):
            raise _error("the query ends with AND or OR.")
    if len(combinators) > 1:
        raise _error("AND and OR cannot be mixed in one query (a space means AND).")
    if len(clauses) > MAX_CLAUSES:
        raise _error(f"at most {MAX_CLAUSES} clauses.")
    return Query(tuple(clauses), combinators.pop() if combinators else "AND")


def _clause_q(clause: Clause) -> Q:
    if clause.field == "created":
        # The API shows whole seconds while rows keep microseconds, so each bound is compared
        # at second granularity, as the list filters do: created<=t includes a row at t.4.
        start = clock.from_epoch(int(clause.value))
        after = start + timedelta(seconds=1)
        q = {
            ":": Q(created_at__gte=start, created_at__lt=after),
            ">": Q(created_at__gte=after),
            ">=": Q(created_at__gte=start),
            "<": Q(created_at__lt=start),
            "<=": Q(created_at__lt=after),
        }[clause.operator]
    elif clause.field == "metadata":
        # An expression, not a "metadata__<key>" lookup: a key may hold "__" or a lookup name.
        value = KeyTextTransform(clause.key, "metadata")
        if clause.value is None:
            q = Q(IsNull(value, True))
        elif clause.negated:
            # Stripe's -metadata['k']:'v' also matches rows without the key.
            return Q(IsNull(value, True)) | ~Q(Exact(value, clause.value))
        else:
            q = Q(Exact(value, clause.value))
    elif clause.value is None:
        q = Q(**{clause.field: ""})
    elif clause.operator == "~":
        q = Q(**{f"{clause.field}__icontains": clause.value})
    else:
        q = Q(**{clause.field: clause.value})
    return ~q if clause.negated else q


def search_q(query: Query) -> Q:
    """The filter a parsed query stands for (fields are the model's column names)."""
    combined = Q()
    for clause in query.clauses:
        q = _clause_q(clause)
        combined = (combined | q) if query.combinator == "OR" and combined else (combined & q)
    return combined


def search_page_encode(last_id: str) -> str:
    return base64.urlsafe_b64encode(last_id.encode()).decode().rstrip("=")


def search_page_decode(page: str, *, prefix: str) -> str:
    """The id a ``next_page`` cursor names; anything else is refused."""
    try:
        padded = (page + "=" * (-len(page) % 4)).encode()
        last_id = base64.b64decode(padded, altchars=b"-_", validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        last_id = ""
    if not last_id.startswith(f"{prefix}_"):
        raise InvalidRequestError("Invalid page: it must come from next_page.", param="page")
    return last_id


def search_page(
    rows: QuerySet, *, limit: int, page: str | None, prefix: str, url: str, render: Callable
) -> dict:
    """One page of a search, newest first, as Stripe's ``search_result`` object."""
    if page:
        rows = rows.filter(pk__lt=search_page_decode(page, prefix=prefix))
    found = list(rows.order_by("-pk")[: limit + 1])
    has_more = len(found) > limit
    found = found[:limit]
    return {
        "object": "search_result",
        "data": [render(row) for row in found],
        "has_more": has_more,
        "next_page": search_page_encode(found[-1].pk) if has_more else None,
        "url": url,
    }
