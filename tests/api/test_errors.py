"""Every failure is a Stripe error object with the right status and a request id."""

import json

import pytest

from apps.core.models import ApiRequestLog
from tests.api.conftest import TEST_URLS, assert_error

pytestmark = pytest.mark.urls(TEST_URLS)


@pytest.mark.parametrize(
    ("kind", "status", "error"),
    [
        (
            "card",
            402,
            {
                "type": "card_error",
                "code": "card_declined",
                "decline_code": "generic_decline",
                "doc_url": "https://docs.stripe.com/error-codes/card-declined",
                "message": "Your card was declined.",
            },
        ),
        (
            "denied",
            403,
            {
                "type": "invalid_request_error",
                "message": "The provided key does not have the required permissions for this "
                "endpoint.",
            },
        ),
        (
            "missing",
            404,
            {
                "type": "invalid_request_error",
                "code": "resource_missing",
                "doc_url": "https://docs.stripe.com/error-codes/resource-missing",
                "message": "No such thing: 'thing_1'",
                "param": "id",
            },
        ),
        (
            "conflict",
            409,
            {
                "type": "invalid_request_error",
                "code": "lock_timeout",
                "doc_url": "https://docs.stripe.com/error-codes/lock-timeout",
                "message": "Conflict.",
            },
        ),
        (
            "throttled",
            429,
            {
                "type": "invalid_request_error",
                "code": "rate_limit",
                "doc_url": "https://docs.stripe.com/error-codes/rate-limit",
                "message": "Too many requests hit the API too quickly.",
            },
        ),
        (
            "server",
            500,
            {"type": "api_error", "message": "Service unavailable."},
        ),
        (
            "bug",
            500,
            {"type": "api_error", "message": "An unexpected error occurred on Ledgerline's side."},
        ),
    ],
)
def test_errors_map_to_stripe_status_and_body(api, acme, kind, status, error):
    response = api.get(f"/v1/test/raise/{kind}")
    assert_error(response, status, error)
    log = ApiRequestLog.objects.get(id=response["Request-Id"])
    assert (log.status, log.path, log.account_id) == (status, f"/v1/test/raise/{kind}", acme.id)
    assert json.loads(log.response_body) == {"error": error}


def test_unexpected_exception_is_logged(api, caplog):
    api.get("/v1/test/raise/bug")
    records = [r for r in caplog.records if r.getMessage() == "api.unhandled_error"]
    assert len(records) == 1
    assert str(records[0].exc_info[1]) == "boom: a bug in a handler"


def test_unknown_parameter_is_400_with_param(api):
    response = api.get("/v1/events", {"limit": 3, "colour": "blue"})
    assert_error(
        response,
        400,
        {
            "type": "invalid_request_error",
            "message": "Received unknown parameter: colour",
            "param": "colour",
        },
    )


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", "/v1/nothing_here"), ("get", "/v1/events/evt_1/extra"), ("delete", "/v1/nope")],
)
def test_unknown_url_under_v1_is_404_json(api, method, path):
    response = getattr(api, method)(path)
    assert_error(
        response,
        404,
        {
            "type": "invalid_request_error",
            "message": f"Unrecognized request URL ({method.upper()}: {path}).",
        },
    )


def test_unknown_url_is_404_json_even_without_a_key(client, db):
    response = client.get("/v1/customers_and_more")
    assert_error(
        response,
        404,
        {
            "type": "invalid_request_error",
            "message": "Unrecognized request URL (GET: /v1/customers_and_more).",
        },
    )


def test_a_method_the_endpoint_lacks_is_an_unrecognized_url(api):
    response = api.delete("/v1/events")
    assert_error(
        response,
        404,
        {
            "type": "invalid_request_error",
            "message": "Unrecognized request URL (DELETE: /v1/events).",
        },
    )


def test_request_id_is_unique_per_response(api, client, db):
    ids = {
        api.get("/v1/events")["Request-Id"],
        api.get("/v1/events")["Request-Id"],
        client.get("/v1/events")["Request-Id"],
        client.get("/v1/unknown")["Request-Id"],
    }
    assert len(ids) == 4
    assert all(i.startswith("req_") and len(i) == 28 for i in ids)


def test_stripe_version_is_accepted_and_echoed(api, acme):
    sent = api.get("/v1/events", HTTP_STRIPE_VERSION="2024-06-20")
    assert sent.status_code == 200
    assert sent["Stripe-Version"] == "2024-06-20"
    default = api.get("/v1/events")
    assert default["Stripe-Version"] == acme.account.api_version == "2026-10-28.endive"
    failed = api.get("/v1/events", {"bogus": "1"}, HTTP_STRIPE_VERSION="2026-10-28.endive")
    assert failed.status_code == 400
    assert failed["Stripe-Version"] == "2026-10-28.endive"
    log = ApiRequestLog.objects.get(id=sent["Request-Id"])
    assert log.stripe_version == "2024-06-20"


def test_an_over_long_id_in_the_url_is_a_404_and_still_logged(api, acme):
    # Regression: the request log's 255-character path column made this a 500 on PostgreSQL.
    long_id = "evt_" + "x" * 300
    response = api.get(f"/v1/events/{long_id}")
    assert_error(
        response,
        404,
        {
            "type": "invalid_request_error",
            "code": "resource_missing",
            "doc_url": "https://docs.stripe.com/error-codes/resource-missing",
            "message": f"No such event: '{long_id}'",
            "param": "id",
        },
    )
    log = ApiRequestLog.objects.get(id=response["Request-Id"])
    assert log.path == f"/v1/events/{long_id}"[:255]
    assert log.status == 404
