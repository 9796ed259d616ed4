"""Idempotency-Key: one write per key, replays byte for byte, Stripe's errors otherwise."""

import threading
from datetime import timedelta

import pytest
import requests
import time_machine
from django.db import connection

from apps.accounts.models import AuditLogEntry
from apps.core import clock
from apps.core.idempotency import idempotency_begin, request_fingerprint
from apps.core.models import Event, IdempotencyKey
from tests.api import endpoints
from tests.api.conftest import TEST_URLS, assert_error

pytestmark = pytest.mark.urls(TEST_URLS)

IN_USE_MESSAGE = (
    "There is currently another in-progress request using this Stripe-compatible idempotent key "
    "(that probably means you submitted twice, and the other request is still going through). "
    "Please retry this request later."
)


def _writes(account) -> int:
    return Event.objects.filter(account=account, type="test_object.created").count()


def _audits(account) -> int:
    return AuditLogEntry.objects.filter(account=account, action="test_object.created").count()


def test_same_key_same_params_replays_the_stored_response(api, acme):
    first = api.post("/v1/test/writes", {"name": "a"}, HTTP_IDEMPOTENCY_KEY="k1")
    again = api.post("/v1/test/writes", {"name": "a"}, HTTP_IDEMPOTENCY_KEY="k1")
    assert first.status_code == again.status_code == 200
    assert again.content == first.content
    assert again["Idempotent-Replayed"] == "true"
    assert again["Original-Request"] == first["Request-Id"]
    assert again["Request-Id"] != first["Request-Id"]
    assert "Idempotent-Replayed" not in first
    assert (_writes(acme.account), _audits(acme.account)) == (1, 1)
    row = IdempotencyKey.objects.get(account=acme.account, key="k1")
    assert (row.response_status, row.response_body, row.locked_at) == (
        200,
        first.content.decode(),
        None,
    )


def test_the_write_carries_the_request_and_the_key(api, acme):
    response = api.post("/v1/test/writes", {"name": "a"}, HTTP_IDEMPOTENCY_KEY="k1")
    body = response.json()
    assert body["request"] == {"id": response["Request-Id"], "idempotency_key": "k1"}
    event = Event.objects.get(account=acme.account, type="test_object.created")
    assert (event.request_id, event.idempotency_key) == (response["Request-Id"], "k1")


def test_same_key_other_params_is_an_idempotency_error(api, acme):
    first = api.post("/v1/test/writes", {"name": "a"}, HTTP_IDEMPOTENCY_KEY="k1")
    other = api.post("/v1/test/writes", {"name": "b"}, HTTP_IDEMPOTENCY_KEY="k1")
    assert_error(
        other,
        400,
        {
            "type": "idempotency_error",
            "message": "Keys for idempotent requests can only be used with the same parameters "
            "they were first used with. Try using a key other than 'k1' if you meant to execute "
            "a different request.",
        },
    )
    assert (_writes(acme.account), _audits(acme.account)) == (1, 1)
    assert IdempotencyKey.objects.get(key="k1").response_body == first.content.decode()


def test_same_key_on_another_endpoint_is_an_idempotency_error(api, acme):
    api.post("/v1/test/writes", {"name": "a"}, HTTP_IDEMPOTENCY_KEY="k1")
    other = api.post("/v1/test/echo", {"name": "a"}, HTTP_IDEMPOTENCY_KEY="k1")
    assert other.status_code == 400
    assert other.json()["error"]["type"] == "idempotency_error"


def test_accounts_use_the_same_key_independently(api, globex_api, acme, globex):
    mine = api.post("/v1/test/writes", {"name": "a"}, HTTP_IDEMPOTENCY_KEY="shared")
    theirs = globex_api.post("/v1/test/writes", {"name": "b"}, HTTP_IDEMPOTENCY_KEY="shared")
    assert mine.status_code == theirs.status_code == 200
    assert "Idempotent-Replayed" not in theirs
    assert mine.json()["id"] != theirs.json()["id"]
    assert (_writes(acme.account), _writes(globex.account)) == (1, 1)


def test_a_key_older_than_24_hours_is_new_again(api, acme):
    start = clock.now()
    with time_machine.travel(start, tick=False):
        api.post("/v1/test/writes", {"name": "a"}, HTTP_IDEMPOTENCY_KEY="k1")
    with time_machine.travel(start + timedelta(hours=23, minutes=59), tick=False):
        within = api.post("/v1/test/writes", {"name": "b"}, HTTP_IDEMPOTENCY_KEY="k1")
        assert within.json()["error"]["type"] == "idempotency_error"
    with time_machine.travel(start + timedelta(hours=24, seconds=1), tick=False):
        later = api.post("/v1/test/writes", {"name": "b"}, HTTP_IDEMPOTENCY_KEY="k1")
    assert later.status_code == 200
    assert "Idempotent-Replayed" not in later
    assert later.json()["data"]["object"]["name"] == "b"
    assert _writes(acme.account) == 2
    row = IdempotencyKey.objects.get(account=acme.account, key="k1")
    assert row.response_body == later.content.decode()


def _claim(account, key: str, params: dict, at) -> IdempotencyKey:
    with time_machine.travel(at, tick=False):
        return idempotency_begin(
            account=account,
            key=key,
            fingerprint=request_fingerprint(method="POST", path="/v1/test/writes", params=params),
            method="POST",
            path="/v1/test/writes",
            request_id="req_dead",
        )


def test_a_stale_claim_of_a_dead_request_is_taken_over(api, acme, settings):
    settings.IDEMPOTENCY_WAIT_SECONDS = 0
    stale = settings.IDEMPOTENCY_LOCK_TIMEOUT + timedelta(seconds=1)
    _claim(acme.account, "k1", {"name": "a"}, clock.now() - stale)
    response = api.post("/v1/test/writes", {"name": "a"}, HTTP_IDEMPOTENCY_KEY="k1")
    assert response.status_code == 200
    assert "Idempotent-Replayed" not in response
    assert _writes(acme.account) == 1
    row = IdempotencyKey.objects.get(account=acme.account, key="k1")
    assert (row.request_id, row.response_status, row.locked_at) == (
        response["Request-Id"],
        200,
        None,
    )


def test_a_live_claim_answers_409_and_changes_nothing(api, acme, settings):
    settings.IDEMPOTENCY_WAIT_SECONDS = 0
    claimed = _claim(acme.account, "k1", {"name": "a"}, clock.now() - timedelta(seconds=30))
    response = api.post("/v1/test/writes", {"name": "a"}, HTTP_IDEMPOTENCY_KEY="k1")
    assert_error(
        response,
        409,
        {
            "type": "invalid_request_error",
            "code": "idempotency_key_in_use",
            "doc_url": "https://docs.stripe.com/error-codes/idempotency-key-in-use",
            "message": IN_USE_MESSAGE,
        },
    )
    assert _writes(acme.account) == 0
    row = IdempotencyKey.objects.get(account=acme.account, key="k1")
    assert (row.request_id, row.locked_at, row.response_status) == (
        "req_dead",
        claimed.locked_at,
        None,
    )


def test_key_longer_than_255_characters_is_400(api, acme):
    response = api.post("/v1/test/writes", {"name": "a"}, HTTP_IDEMPOTENCY_KEY="k" * 256)
    assert_error(
        response,
        400,
        {
            "type": "invalid_request_error",
            "message": "Idempotency keys can be at most 255 characters long.",
            "param": "Idempotency-Key",
        },
    )
    assert (_writes(acme.account), IdempotencyKey.objects.count()) == (0, 0)
    assert api.post("/v1/test/writes", {}, HTTP_IDEMPOTENCY_KEY="k" * 255).status_code == 200


def test_without_a_key_every_post_writes(api, acme):
    api.post("/v1/test/writes", {"name": "a"})
    api.post("/v1/test/writes", {"name": "a"})
    assert (_writes(acme.account), IdempotencyKey.objects.count()) == (2, 0)


def test_keys_are_ignored_on_reads(api):
    api.get("/v1/events", HTTP_IDEMPOTENCY_KEY="k1")
    assert IdempotencyKey.objects.count() == 0


def test_a_500_is_stored_and_replayed_like_stripe(api):
    first = api.post("/v1/test/raise/bug", {}, HTTP_IDEMPOTENCY_KEY="k1")
    again = api.post("/v1/test/raise/bug", {}, HTTP_IDEMPOTENCY_KEY="k1")
    assert first.status_code == again.status_code == 500
    assert again.content == first.content
    assert again["Idempotent-Replayed"] == "true"


def test_a_conflict_is_not_stored(api):
    first = api.post("/v1/test/raise/conflict", {}, HTTP_IDEMPOTENCY_KEY="k1")
    assert first.status_code == 409
    assert IdempotencyKey.objects.count() == 0
    again = api.post("/v1/test/raise/conflict", {}, HTTP_IDEMPOTENCY_KEY="k1")
    assert again.status_code == 409
    assert "Idempotent-Replayed" not in again


def test_an_auth_failure_claims_no_key(client, db):
    response = client.post(
        "/v1/test/writes",
        "name=a",
        content_type="application/x-www-form-urlencoded",
        HTTP_IDEMPOTENCY_KEY="k1",
    )
    assert response.status_code == 401
    assert IdempotencyKey.objects.count() == 0


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="concurrent duplicates need a database with row-level concurrency (PostgreSQL in CI); "
    "the SQLite test database is one in-memory connection shared by the live server's threads",
)
@pytest.mark.parametrize("wait_seconds", [5.0, 0.0])
def test_concurrent_duplicates_write_once(live_server, acme, settings, wait_seconds):
    settings.IDEMPOTENCY_WAIT_SECONDS = wait_seconds
    endpoints.WRITE_PAUSE["seconds"] = 0.5
    start = threading.Barrier(2)
    results: list[requests.Response] = []

    def post() -> None:
        start.wait()
        results.append(
            requests.post(
                f"{live_server.url}/v1/test/writes",
                data={"name": "twice"},
                headers={"Authorization": f"Bearer {acme.secret_key}", "Idempotency-Key": "dup"},
                timeout=30,
            )
        )

    threads = [threading.Thread(target=post) for _ in range(2)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        endpoints.WRITE_PAUSE["seconds"] = 0.0

    assert (_writes(acme.account), _audits(acme.account)) == (1, 1)
    originals = [
        r for r in results if r.status_code == 200 and "Idempotent-Replayed" not in r.headers
    ]
    others = [r for r in results if r not in originals]
    assert len(originals) == 1
    assert len(others) == 1
    other = others[0]
    if other.status_code == 200:
        assert other.headers["Idempotent-Replayed"] == "true"
        assert other.content == originals[0].content
    else:
        assert other.status_code == 409
        assert other.json()["error"]["code"] == "idempotency_key_in_use"
    row = IdempotencyKey.objects.get(account=acme.account, key="dup")
    assert (row.response_status, row.response_body) == (200, originals[0].content.decode())


@pytest.fixture
def sdk(stripe_sdk):
    """The SDK with retries on; its kept-alive connections are closed afterwards so the live
    server's request threads let go of their database connections before teardown."""
    yield stripe_sdk
    if stripe_sdk.default_http_client is not None:
        stripe_sdk.default_http_client.close()


def test_stripe_sdk_with_retries_sends_its_own_key_and_writes_once(sdk, acme):
    created = sdk.APIResource._static_request("post", "/v1/test/writes", {"name": "sdk"})
    assert created["object"] == "event"
    row = IdempotencyKey.objects.get(account=acme.account)
    event = Event.objects.get(account=acme.account, type="test_object.created")
    assert event.id == created["id"]
    assert event.idempotency_key == row.key
    assert created["request"]["idempotency_key"] == row.key


def test_stripe_sdk_explicit_key_replays(sdk, acme):
    params = {"name": "sdk", "idempotency_key": "order-42"}
    first = sdk.APIResource._static_request("post", "/v1/test/writes", dict(params))
    second = sdk.APIResource._static_request("post", "/v1/test/writes", dict(params))
    assert first["id"] == second["id"]
    assert _writes(acme.account) == 1
    with pytest.raises(sdk.IdempotencyError) as caught:
        sdk.APIResource._static_request(
            "post", "/v1/test/writes", {"name": "other", "idempotency_key": "order-42"}
        )
    assert caught.value.http_status == 400
    assert _writes(acme.account) == 1


def test_a_key_on_an_over_long_path_is_stored_with_the_path_cut(api, acme):
    # Regression: the 255-character path column made the claim itself fail on PostgreSQL.
    path = "/v1/test/raise/" + "x" * 300
    first = api.post(path, {}, HTTP_IDEMPOTENCY_KEY="k1")
    again = api.post(path, {}, HTTP_IDEMPOTENCY_KEY="k1")
    assert first.status_code == again.status_code == 500
    assert again["Idempotent-Replayed"] == "true"
    assert IdempotencyKey.objects.get(key="k1").path == path[:255]
