"""The search query parser (pure) and its translation to rows."""

import pytest

from apps.core.errors import InvalidRequestError
from apps.customers.search import Clause, parse


@pytest.mark.parametrize(
    ("text", "clauses", "combinator"),
    [
        ("email:'jenny@example.com'", [Clause("email", ":", "jenny@example.com")], "AND"),
        ('name~"ros"', [Clause("name", "~", "ros")], "AND"),
        (
            "metadata['plan']:'pro' AND created>1700000000",
            [Clause("metadata", ":", "pro", key="plan"), Clause("created", ">", 1700000000)],
            "AND",
        ),
        (
            "email:'a@x.io' OR phone:'+155'",
            [Clause("email", ":", "a@x.io"), Clause("phone", ":", "+155")],
            "OR",
        ),
        ("-email:'x@y.z'", [Clause("email", ":", "x@y.z", negated=True)], "AND"),
        (r"name:'O\'Brien'", [Clause("name", ":", "O'Brien")], "AND"),
        ("created<=1700000000", [Clause("created", "<=", 1700000000)], "AND"),
    ],
)
def test_parses(text, clauses, combinator):
    query = parse(text)
    assert list(query.clauses) == clauses
    assert query.combinator == combinator


@pytest.mark.parametrize(
    "text",
    [
        "",
        "email:jenny@example.com",
        "email:'a' AND name:'b' OR phone:'c'",
        "name~'ab'",
        "colour:'red'",
        "metadata:'x'",
        "metadata['a__b']:'x'",
        "created:'yesterday'",
        "created~1700000000",
        "email>'a'",
        "email:'unterminated",
        "email:'a' name:'b'",
    ],
)
def test_refuses_with_a_clear_error(text):
    with pytest.raises(InvalidRequestError) as caught:
        parse(text)
    assert caught.value.param == "query"
    assert caught.value.message.startswith("Invalid search query")
