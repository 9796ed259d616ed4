"""Stripe parameters arrive the same however they are sent: form, JSON or query string."""

import json

import pytest

from apps.core.models import ApiRequestLog
from apps.customers.models import Customer
from tests.api.conftest import TEST_URLS, assert_error

pytestmark = pytest.mark.urls(TEST_URLS)


def _params(response) -> dict:
    assert response.status_code == 200, response.content
    return response.json()["params"]


def test_form_body_with_nested_arrays_and_hashes(api):
    body = "items[0][price]=a&items[1][price]=b&items[1][quantity]=3&metadata[k]=v&name=x"
    assert _params(api.post("/v1/test/echo", body)) == {
        "items": [{"price": "a"}, {"price": "b", "quantity": "3"}],
        "metadata": {"k": "v"},
        "name": "x",
    }


@pytest.mark.parametrize("body", ["expand[]=x&expand[]=y", "expand[0]=x&expand[1]=y"])
def test_both_array_spellings_in_a_form_body(api, body):
    assert _params(api.post("/v1/test/echo", body)) == {"expand": ["x", "y"]}


def test_single_indexed_expand(api):
    assert _params(api.post("/v1/test/echo", "expand[0]=x")) == {"expand": ["x"]}


def test_json_body(api):
    payload = {"items": [{"price": "a"}], "metadata": {"k": "v"}, "amount": 100, "live": True}
    response = api.client.post(
        "/v1/test/echo",
        json.dumps(payload),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {api.key}",
    )
    assert _params(response) == payload


def test_json_body_must_be_an_object(api):
    response = api.client.post(
        "/v1/test/echo",
        "[1, 2]",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {api.key}",
    )
    assert_error(
        response,
        400,
        {
            "type": "invalid_request_error",
            "message": "The request body must be an object of parameters.",
        },
    )


def test_malformed_json_is_400(api):
    response = api.client.post(
        "/v1/test/echo",
        '{"a": ',
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {api.key}",
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert error["message"].startswith("Invalid request body: JSON parse error")
    assert set(error) == {"type", "message"}


def test_unsupported_content_type_is_400(api):
    response = api.client.post(
        "/v1/test/echo", "x", content_type="text/plain", HTTP_AUTHORIZATION=f"Bearer {api.key}"
    )
    assert_error(
        response,
        400,
        {
            "type": "invalid_request_error",
            "message": 'Unsupported content type: Unsupported media type "text/plain" in request.',
        },
    )


def test_query_string_on_get_and_delete(api):
    query = "expand[]=data.customer&created[gte]=10&metadata[k]=v&limit=3"
    expected = {
        "expand": ["data.customer"],
        "created": {"gte": "10"},
        "metadata": {"k": "v"},
        "limit": "3",
    }
    assert (
        _params(api.client.get(f"/v1/test/echo?{query}", HTTP_AUTHORIZATION=f"Bearer {api.key}"))
        == expected
    )
    assert (
        _params(api.client.delete(f"/v1/test/echo?{query}", HTTP_AUTHORIZATION=f"Bearer {api.key}"))
        == expected
    )


@pytest.mark.parametrize("name", ["[a]", "a[b", "a]b", "a[b]c"])
def test_malformed_parameter_name_is_400(api, name):
    response = api.post("/v1/test/echo", f"{name}=1")
    assert_error(
        response,
        400,
        {
            "type": "invalid_request_error",
            "message": f"Invalid parameter name: {name}",
            "param": name,
        },
    )


def test_malformed_name_in_a_query_string_is_400(api):
    response = api.client.get("/v1/events?limit]=3", HTTP_AUTHORIZATION=f"Bearer {api.key}")
    assert_error(
        response,
        400,
        {
            "type": "invalid_request_error",
            "message": "Invalid parameter name: limit]",
            "param": "limit]",
        },
    )


def test_conflicting_names_are_400(api):
    response = api.post("/v1/test/echo", "metadata[k]=v&metadata=x")
    assert_error(
        response,
        400,
        {
            "type": "invalid_request_error",
            "message": "Parameter metadata conflicts with another parameter.",
            "param": "metadata",
        },
    )


def test_request_log_keeps_parsed_params_with_secrets_redacted(api):
    response = api.post("/v1/test/echo", "card[number]=4242424242424242&card[cvc]=123&name=x")
    log = ApiRequestLog.objects.get(id=response["Request-Id"])
    assert log.request_params == {
        "card": {"number": "[redacted]", "cvc": "[redacted]"},
        "name": "x",
    }
    assert log.method == "POST"


def _too_large(limit: int) -> dict:
    return {
        "type": "invalid_request_error",
        "message": f"The request body is too large: it can be at most {limit} bytes.",
    }


def test_a_body_over_the_limit_is_413_before_parsing(api, settings):
    settings.API_MAX_BODY_BYTES = 20
    assert _params(api.post("/v1/test/echo", "name=" + "a" * 15)) == {"name": "a" * 15}
    response = api.post("/v1/test/echo", "name=" + "a" * 16)
    assert_error(response, 413, _too_large(20))
    # Not parsed: a malformed body of the same size is refused for its size alone.
    assert_error(api.post("/v1/test/echo", "[a]=" + "a" * 17), 413, _too_large(20))
    log = ApiRequestLog.objects.get(id=response["Request-Id"])
    assert (log.status, log.request_params) == (413, None)


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/json", json.dumps({"name": "a" * 3 * 1024 * 1024})),
        ("application/x-www-form-urlencoded", "name=" + "a" * 2 * 1024 * 1024),
    ],
)
def test_megabytes_of_json_or_form_are_refused_alike(api, content_type, body):
    # Regression: 2.5 MB of JSON was a 500 and a form body of any size was read and parsed.
    response = api.client.post(
        "/v1/customers", body, content_type=content_type, HTTP_AUTHORIZATION=f"Bearer {api.key}"
    )
    assert_error(response, 413, _too_large(1024 * 1024))
    assert Customer.objects.count() == 0
