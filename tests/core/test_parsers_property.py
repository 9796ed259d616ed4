"""Property: whatever arrives on the wire, the parsers answer parameters or one error type.

Random bracket keys, Unicode (control characters and brackets among it), depth and sizes; no
input may raise anything but ``InvalidRequestError``, and what parses holds nothing that
``params_check`` refuses.
"""

import io
import json
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from apps.core.api.parsers import (
    MAX_DEPTH,
    MAX_STRING,
    StripeFormParser,
    StripeJSONParser,
    parse_nested,
    parse_query_string,
)
from apps.core.errors import InvalidRequestError

EXAMPLES = settings(max_examples=300, deadline=None, derandomize=True, database=None)
_UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")

# Text biased towards what breaks parsers: brackets, digits of every script, controls.
_tricky = st.sampled_from(["[", "]", "[]", "0", "1", "01", "²", "١", "１", "\x00", "\x1b", "é"])
_text = st.lists(st.one_of(_tricky, st.text(max_size=4)), max_size=6).map("".join)
_long = st.integers(min_value=MAX_STRING - 2, max_value=MAX_STRING + 2).map(lambda n: "a" * n)
_part = st.one_of(st.just(""), st.integers(0, 12).map(str), _text)
_key = st.builds(
    lambda name, parts: name + "".join(f"[{part}]" for part in parts),
    _text,
    st.lists(_part, max_size=MAX_DEPTH + 3),
)
_pairs = st.lists(st.tuples(_key, st.one_of(_text, _long)), max_size=12)


def _leaves_and_depth(node, depth=0):
    if isinstance(node, dict):
        for key, child in node.items():
            yield key, depth
            yield from _leaves_and_depth(child, depth + 1)
    elif isinstance(node, list):
        for child in node:
            yield from _leaves_and_depth(child, depth + 1)
    elif isinstance(node, str):
        yield node, depth


def _assert_clean(params):
    assert isinstance(params, dict)
    for text, depth in _leaves_and_depth(params):
        assert depth <= MAX_DEPTH
        assert len(text) <= MAX_STRING
        assert not _UNPRINTABLE.search(text)


def _parses_or_refuses(parse, *args):
    try:
        params = parse(*args)
    except InvalidRequestError:
        return
    _assert_clean(params)


@EXAMPLES
@given(_pairs)
def test_bracket_pairs_parse_or_raise_the_parameter_error(pairs):
    _parses_or_refuses(parse_nested, pairs)


@EXAMPLES
@given(st.text(alphabet=st.sampled_from("ab0²[]=&%+0fFx\x00é"), max_size=80))
def test_query_strings_parse_or_raise_the_parameter_error(query):
    _parses_or_refuses(parse_query_string, query)


@EXAMPLES
@given(st.binary(max_size=200))
def test_form_bodies_of_any_bytes_parse_or_raise_the_parameter_error(body):
    _parses_or_refuses(
        lambda raw: StripeFormParser().parse(io.BytesIO(raw), parser_context={}), body
    )


_json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), _text, _long),
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(_text, children, max_size=3)
    ),
    max_leaves=20,
)


def _json(raw: bytes):
    return StripeJSONParser().parse(io.BytesIO(raw), parser_context={})


@EXAMPLES
@given(_json_values, st.integers(min_value=0, max_value=3000))
def test_json_bodies_parse_or_raise_the_parameter_error(value, wrap):
    # ``wrap`` extra levels of arrays, up to past the interpreter's recursion limit.
    body = '{"a": ' + "[" * wrap + json.dumps(value) + "]" * wrap + "}"
    _parses_or_refuses(_json, body.encode())


@EXAMPLES
@given(st.binary(max_size=200))
def test_json_bodies_of_any_bytes_parse_or_raise_the_parameter_error(body):
    _parses_or_refuses(_json, body)
