"""Stripe's form encoding, parsed without a database or a request."""

import io

import pytest

from apps.core.api.params import get_metadata
from apps.core.api.parsers import (
    StripeFormParser,
    StripeJSONParser,
    parse_nested,
    parse_query_string,
)
from apps.core.errors import InvalidRequestError


def test_indexed_arrays_of_hashes_become_lists_in_index_order():
    params = parse_query_string("items[1][price]=b&items[0][price]=a&items[0][quantity]=2")
    assert params == {"items": [{"price": "a", "quantity": "2"}, {"price": "b"}]}


def test_metadata_is_a_hash_of_strings():
    assert parse_query_string("metadata[k]=v&metadata[order]=42") == {
        "metadata": {"k": "v", "order": "42"}
    }


def test_empty_bracket_and_indexed_expand_give_the_same_list():
    assert parse_query_string("expand[]=x&expand[]=y") == {"expand": ["x", "y"]}
    assert parse_query_string("expand[0]=x&expand[1]=y") == {"expand": ["x", "y"]}
    assert parse_query_string("expand[0]=x") == {"expand": ["x"]}


def test_plain_values_blank_values_and_percent_encoding():
    assert parse_query_string("a=1&b=&c=%5Bx%5D+y&d=caf%C3%A9") == {
        "a": "1",
        "b": "",
        "c": "[x] y",
        "d": "café",
    }


def test_empty_query_is_no_parameters():
    assert parse_query_string("") == {}


def test_deep_nesting_within_the_limit():
    params = parse_query_string("a[b][c][0][d]=1")
    assert params == {"a": {"b": {"c": [{"d": "1"}]}}}


def test_numeric_metadata_keys_mixed_with_names_stay_a_hash():
    # Regression: this used to be refused as "mixed indexes and names".
    assert parse_query_string("metadata[1]=a&metadata[b]=c") == {"metadata": {"1": "a", "b": "c"}}


def test_sparse_indexes_are_a_hash_not_a_list():
    assert parse_query_string("items[0][price]=a&items[2][price]=b") == {
        "items": {"0": {"price": "a"}, "2": {"price": "b"}}
    }


def test_leading_zero_keys_keep_their_spelling():
    assert parse_query_string("metadata[01]=a&metadata[1]=b") == {"metadata": {"01": "a", "1": "b"}}


@pytest.mark.parametrize(
    "query",
    ["[a]=1", "a]=1", "a[b=1", "a[b]]=1", "a[b]c=1", "=1"],
)
def test_malformed_names_are_refused_with_the_name_as_param(query):
    with pytest.raises(InvalidRequestError) as caught:
        parse_query_string(query)
    name = query.split("=")[0]
    assert caught.value.message == f"Invalid parameter name: {name}"
    assert caught.value.param == name
    assert caught.value.http_status == 400


def test_too_deep_nesting_is_refused():
    with pytest.raises(InvalidRequestError) as caught:
        parse_query_string("a[1][2][3][4][5][6][7][8]=x")
    assert caught.value.message == "Parameters are nested too deeply."
    assert caught.value.param == "a[1][2][3][4][5][6][7][8]"


@pytest.mark.parametrize(
    ("pairs", "param"),
    [
        ([("a", "1"), ("a[b]", "2")], "a[b]"),
        ([("a[b]", "2"), ("a", "1")], "a"),
        ([("a[b]", "1"), ("a[b][c]", "2")], "a[b][c]"),
    ],
)
def test_a_scalar_and_a_hash_under_one_name_conflict(pairs, param):
    with pytest.raises(InvalidRequestError) as caught:
        parse_nested(pairs)
    assert caught.value.message == f"Parameter {param} conflicts with another parameter."
    assert caught.value.param == param


def test_a_repeated_scalar_keeps_the_last_value():
    assert parse_nested([("a", "1"), ("a", "2")]) == {"a": "2"}


def test_form_parser_reads_the_body():
    body = b"items[0][price]=a&expand[]=x&metadata[k]=v"
    parsed = StripeFormParser().parse(io.BytesIO(body), parser_context={"encoding": "utf-8"})
    assert parsed == {"items": [{"price": "a"}], "expand": ["x"], "metadata": {"k": "v"}}


def test_form_parser_refuses_a_body_that_is_not_utf8():
    with pytest.raises(InvalidRequestError) as caught:
        StripeFormParser().parse(io.BytesIO(b"name=\xff\xfe"), parser_context={})
    assert caught.value.message == "Invalid request body: The request body is not valid UTF-8."


def test_metadata_with_index_like_keys_reads_back_as_a_hash():
    params = parse_query_string("metadata[0]=a&metadata[1]=b")
    assert params == {"metadata": ["a", "b"]}
    assert get_metadata(params) == {"0": "a", "1": "b"}


@pytest.mark.parametrize("key", ["²", "١", "１", "00", "9999999999"])
def test_only_short_ascii_digit_keys_are_array_indexes(key):
    # Regression: "²".isdigit() is true and int("²") raised, a 500.
    assert parse_query_string(f"metadata[{key}]=x") == {"metadata": {key: "x"}}


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ("name=a%00b", "name"),
        ("metadata[k]=%01", "metadata[k]"),
        ("items[0][price]=%7F", "items[0][price]"),
        ("email=%00", "email"),
    ],
)
def test_control_characters_in_values_are_refused(query, param):
    with pytest.raises(InvalidRequestError) as caught:
        parse_query_string(query)
    assert caught.value.message == f"Invalid string: {param} must not contain control characters."
    assert caught.value.param == param


def test_control_characters_in_keys_are_refused_and_shown_replaced():
    with pytest.raises(InvalidRequestError) as caught:
        parse_query_string("metadata[a%00]=x")
    assert caught.value.param == "metadata[a\ufffd]"
    assert caught.value.message == (
        "Invalid string: metadata[a\ufffd] must not contain control characters."
    )


def test_tabs_and_newlines_are_text():
    assert parse_query_string("description=a%09b%0D%0Ac") == {"description": "a\tb\r\nc"}


def test_strings_longer_than_5000_characters_are_refused():
    assert parse_query_string("name=" + "a" * 5000) == {"name": "a" * 5000}
    with pytest.raises(InvalidRequestError) as caught:
        parse_query_string("name=" + "a" * 5001)
    assert caught.value.message == "Invalid string: name must be at most 5000 characters."
    assert caught.value.param == "name"


def _json(body: bytes):
    return StripeJSONParser().parse(io.BytesIO(body), parser_context={})


def test_json_nested_thousands_deep_is_refused():
    # Regression: 5,000 levels raised RecursionError inside the JSON decoder, a 500.
    with pytest.raises(InvalidRequestError) as caught:
        _json(b'{"a": ' + b"[" * 5000 + b"]" * 5000 + b"}")
    assert caught.value.message == "Parameters are nested too deeply."


def test_json_deeper_than_form_parameters_may_be_is_refused():
    assert _json(b'{"a": {"b": {"c": {"d": {"e": {"f": {"g": {"h": 1}}}}}}}}')
    with pytest.raises(InvalidRequestError) as caught:
        _json(b'{"a": {"b": {"c": {"d": {"e": {"f": {"g": {"h": {"i": 1}}}}}}}}}')
    assert caught.value.message == "Parameters are nested too deeply."
    assert caught.value.param == "a[b][c][d][e][f][g][h]"


@pytest.mark.parametrize(
    ("body", "param"),
    [
        (b'{"name": "a\\u0000b"}', "name"),
        (b'{"metadata": {"k": "\\ud800"}}', "metadata[k]"),
        (b'{"items": [{"price": "\\u001b"}]}', "items[0][price]"),
    ],
)
def test_json_strings_are_checked_as_form_values_are(body, param):
    with pytest.raises(InvalidRequestError) as caught:
        _json(body)
    assert caught.value.param == param


def test_json_parse_errors_are_parameter_errors():
    with pytest.raises(InvalidRequestError) as caught:
        _json(b'{"a": ')
    assert caught.value.message.startswith("Invalid request body: JSON parse error")
    with pytest.raises(InvalidRequestError) as caught:
        _json(b"[1]")
    assert caught.value.message == "The request body must be an object of parameters."
