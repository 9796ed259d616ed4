"""Hostile input on real endpoints: a 400 naming the parameter, and nothing written.

NUL bytes only fail on PostgreSQL (text columns cannot hold them), so these tests are also run
with ``DATABASE_URL`` pointing at one.
"""

import pytest

from apps.core.models import ApiRequestLog, Event
from apps.customers.models import Customer
from tests.api.conftest import assert_error


def _control_error(param: str) -> dict:
    return {
        "type": "invalid_request_error",
        "message": f"Invalid string: {param} must not contain control characters.",
        "param": param,
    }


def test_nul_in_a_parameter_is_refused_and_nothing_is_written(api):
    response = api.post("/v1/customers", "name=a%00b")
    assert_error(response, 400, _control_error("name"))
    assert Customer.objects.count() == 0
    assert Event.objects.count() == 0


def test_nul_in_a_json_body_is_refused(api):
    response = api.client.post(
        "/v1/customers",
        '{"name": "a\\u0000b"}',
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {api.key}",
    )
    assert_error(response, 400, _control_error("name"))
    assert Customer.objects.count() == 0


def test_nul_in_a_path_id_is_refused(api):
    assert_error(api.get("/v1/customers/%00"), 400, _control_error("customer"))
    assert_error(api.post("/v1/customers/cus_%00", "name=x"), 400, _control_error("customer"))


def test_nul_in_a_list_filter_is_refused(api):
    assert_error(api.get("/v1/customers?email=%00"), 400, _control_error("email"))


@pytest.mark.parametrize("limit", ["²", "１０", "٣"])
def test_only_ascii_digits_are_integers(api, limit):
    # Regression: "²".isdigit() is true and int("²") raised, a 500; "１０" was taken as 10.
    assert_error(
        api.get("/v1/customers", {"limit": limit}),
        400,
        {"type": "invalid_request_error", "message": f"Invalid integer: {limit}", "param": "limit"},
    )


def test_a_superscript_metadata_key_is_a_key(api):
    response = api.post("/v1/customers", "metadata[²]=x")
    assert response.status_code == 200, response.content
    assert response.json()["metadata"] == {"²": "x"}


def test_a_refused_request_is_still_logged(api):
    response = api.post("/v1/customers", "name=a%00b")
    row = ApiRequestLog.objects.get(id=response["Request-Id"])
    assert (row.status, row.request_params) == (400, None)


def test_a_control_character_in_stripe_version_is_refused(api):
    response = api.post("/v1/customers", "name=a", HTTP_STRIPE_VERSION="2024-06-20\x01")
    assert_error(response, 400, _control_error("Stripe-Version"))
    assert Customer.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "param", "message"),
    [
        (
            "&".join(f"metadata[k{n}]=v" for n in range(51)),
            "metadata",
            "Metadata can have at most 50 keys.",
        ),
        (
            f"metadata[{'k' * 41}]=v",
            f"metadata[{'k' * 41}]",
            "Metadata keys can be at most 40 characters.",
        ),
        (
            f"metadata[plan]={'v' * 501}",
            "metadata[plan]",
            "Metadata values must be strings of at most 500 characters.",
        ),
        (f"name={'n' * 5001}", "name", "Invalid string: name must be at most 5000 characters."),
    ],
)
def test_metadata_and_string_limits_are_refused_and_nothing_is_written(api, body, param, message):
    response = api.post("/v1/customers", body)
    assert_error(
        response, 400, {"type": "invalid_request_error", "message": message, "param": param}
    )
    assert Customer.objects.count() == 0
    assert Event.objects.count() == 0
