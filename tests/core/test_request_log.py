"""API request log rows are buffered per process and written in batches."""

import time

import pytest
from django.db import connection
from django.test import Client, override_settings

from apps.accounts.models import ApiKey
from apps.core import clock
from apps.core.models import ApiRequestLog
from apps.core.request_log import request_log_flush
from apps.customers.models import Customer


@pytest.fixture
def batched(settings):
    settings.API_REQUEST_LOG_BATCH_SIZE = 3
    settings.API_REQUEST_LOG_FLUSH_SECONDS = 3600.0  # only the batch size or a flush writes
    yield
    request_log_flush()


def _get(acme, path="/v1/events"):
    return Client().get(path, HTTP_AUTHORIZATION=f"Bearer {acme.secret_key}")


def test_rows_wait_for_a_full_batch_then_land_together(acme, batched):
    first = _get(acme)
    _get(acme, "/v1/events?limit=2")
    assert ApiRequestLog.objects.count() == 0
    _get(acme, "/v1/events/evt_missing")
    rows = list(ApiRequestLog.objects.order_by("created_at", "id"))
    assert [(r.path, r.status) for r in rows] == [
        ("/v1/events", 200),
        ("/v1/events", 200),
        ("/v1/events/evt_missing", 404),
    ]
    assert rows[0].id == first["Request-Id"]
    assert rows[0].account_id == acme.account.id


def test_flush_writes_a_partial_batch_and_stamps_the_key(acme, batched):
    key = ApiKey.objects.get(account=acme.account, kind="secret")
    assert key.last_used_at is None
    _get(acme)
    assert ApiRequestLog.objects.count() == 0
    request_log_flush()
    row = ApiRequestLog.objects.get()
    key.refresh_from_db()
    assert key.last_used_at == row.created_at


def test_a_row_the_database_refuses_is_dropped_alone(acme, batched):
    response = _get(acme)
    _get(acme, "/v1/events?limit=1")
    # Same primary key as a row already written: the batch fails, the other row is kept.
    ApiRequestLog.objects.create(
        id=response["Request-Id"],
        account=acme.account,
        created_at=clock.now(),
        method="GET",
        path="/already-there",
        status=200,
        duration_ms=0,
    )
    request_log_flush()
    assert sorted(ApiRequestLog.objects.values_list("path", flat=True)) == [
        "/already-there",
        "/v1/events",
    ]


@pytest.mark.django_db(transaction=True)
def test_the_background_thread_flushes_within_the_interval(acme):
    with override_settings(API_REQUEST_LOG_BATCH_SIZE=1000, API_REQUEST_LOG_FLUSH_SECONDS=0.05):
        _get(acme)
        deadline = time.monotonic() + 10
        while not ApiRequestLog.objects.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert ApiRequestLog.objects.count() == 1
    assert connection.is_usable()


def test_a_request_with_nul_bytes_is_logged_with_them_replaced(acme):
    # Regression: PostgreSQL text columns cannot hold NUL, and the row was dropped.
    response = Client().get(
        "/v1/customers/cus_%00x",
        HTTP_AUTHORIZATION=f"Bearer {acme.secret_key}",
        HTTP_IDEMPOTENCY_KEY="k\x00",
        HTTP_STRIPE_VERSION="2026\x00",
    )
    assert response.status_code == 400
    row = ApiRequestLog.objects.get(id=response["Request-Id"])
    assert (row.path, row.idempotency_key, row.stripe_version, row.status) == (
        "/v1/customers/cus_\ufffdx",
        "k\ufffd",
        "2026\ufffd",
        400,
    )
    assert "\x00" not in row.response_body


def test_a_nul_in_the_idempotency_key_is_refused(acme):
    response = Client().post(
        "/v1/customers",
        "name=x",
        content_type="application/x-www-form-urlencoded",
        HTTP_AUTHORIZATION=f"Bearer {acme.secret_key}",
        HTTP_IDEMPOTENCY_KEY="k\x00",
    )
    assert response.status_code == 400
    assert response.json()["error"] == {
        "type": "invalid_request_error",
        "message": "Invalid string: Idempotency-Key must not contain control characters.",
        "param": "Idempotency-Key",
    }
    assert not Customer.objects.exists()
