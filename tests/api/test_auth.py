"""Who may call the API: secret keys by Bearer or Basic, restricted keys per resource."""

import base64
import time
from datetime import timedelta

import pytest
import time_machine
from django.test import Client

from apps.accounts.api.authentication import NO_KEY_MESSAGE
from apps.accounts.keys import token_hash
from apps.accounts.models import ApiKey, AuditLogEntry
from apps.accounts.services import api_key_revoke, api_key_roll
from apps.core import clock
from apps.core.actor import SYSTEM
from apps.core.models import ApiRequestLog, Event
from tests.api.conftest import TEST_URLS, assert_error, restricted_key
from tests.conftest import ApiClient


def _key_row(token: str) -> ApiKey:
    return ApiKey.objects.get(token_hash=token_hash(token))


def test_bearer_secret_key_lists_events(acme):
    response = Client().get("/v1/events", HTTP_AUTHORIZATION=f"Bearer {acme.secret_key}")
    assert response.status_code == 200
    assert response.json() == {"object": "list", "data": [], "has_more": False, "url": "/v1/events"}


def test_basic_auth_with_the_key_as_user_name(acme):
    for credentials in (f"{acme.secret_key}:", acme.secret_key):
        encoded = base64.b64encode(credentials.encode()).decode()
        response = Client().get("/v1/events", HTTP_AUTHORIZATION=f"Basic {encoded}")
        assert response.status_code == 200, credentials
        assert response.json()["object"] == "list"


def test_missing_key_is_401_with_stripes_message(db):
    response = Client().get("/v1/events")
    assert_error(response, 401, {"type": "invalid_request_error", "message": NO_KEY_MESSAGE})
    assert response["WWW-Authenticate"] == 'Bearer realm="Ledgerline"'
    assert ApiRequestLog.objects.count() == 0


def test_unknown_key_is_401_and_masks_the_key(db):
    response = Client().get("/v1/events", HTTP_AUTHORIZATION="Bearer sk_test_abcdefghijklmnop1234")
    assert_error(
        response,
        401,
        {
            "type": "invalid_request_error",
            "message": "Invalid API Key provided: sk_test_************1234",
        },
    )


@pytest.mark.parametrize("header", ["Token sk_test_x", "Bearer ", "Basic !!!notbase64", "Basic "])
def test_unusable_authorization_header_is_401(db, header):
    response = Client().get("/v1/events", HTTP_AUTHORIZATION=header)
    assert_error(
        response,
        401,
        {
            "type": "invalid_request_error",
            "message": "Invalid API Key provided: the Authorization header must be "
            "'Bearer <key>' or HTTP Basic with the key as user name.",
        },
    )


def test_revoked_key_is_401(acme):
    api_key_revoke(account=acme.account, key_id=_key_row(acme.secret_key).id, actor=SYSTEM)
    response = ApiClient(acme.secret_key).get("/v1/events")
    assert response.status_code == 401
    assert response.json()["error"]["message"].startswith("Invalid API Key provided: sk_test_")


def test_rolled_key_works_until_it_expires_then_401(acme):
    old = _key_row(acme.secret_key)
    start = clock.now()
    with time_machine.travel(start, tick=False):
        new_key, new_token = api_key_roll(
            account=acme.account, key_id=old.id, expires_in=timedelta(hours=1), actor=SYSTEM
        )
    with time_machine.travel(start + timedelta(minutes=59), tick=False):
        assert ApiClient(acme.secret_key).get("/v1/events").status_code == 200
        assert ApiClient(new_token).get("/v1/events").status_code == 200
    with time_machine.travel(start + timedelta(hours=1), tick=False):
        assert ApiClient(acme.secret_key).get("/v1/events").status_code == 401
        assert ApiClient(new_token).get("/v1/events").status_code == 200
    assert new_key.account_id == acme.id


def test_publishable_key_on_a_secret_key_endpoint_is_403(acme):
    response = ApiClient(acme.publishable_key).get("/v1/events")
    assert_error(
        response,
        403,
        {
            "type": "invalid_request_error",
            "code": "secret_key_required",
            "doc_url": "https://docs.stripe.com/error-codes/secret-key-required",
            "message": "This API call cannot be made with a publishable API key. Please use a "
            "secret API key. You can find a list of your API keys in the dashboard under "
            "Developers → API keys.",
        },
    )


def test_restricted_key_with_events_read_lists_events(acme):
    token = restricted_key(acme.account, {"events": "read"})
    response = ApiClient(token).get("/v1/events")
    assert response.status_code == 200
    assert response.json()["object"] == "list"


def test_restricted_key_without_events_access_is_403_with_stripes_message(acme):
    token = restricted_key(acme.account, {"events": "none", "customers": "write"})
    row = _key_row(token)
    response = ApiClient(token).get("/v1/events")
    assert_error(
        response,
        403,
        {
            "type": "invalid_request_error",
            "message": f"The provided key '{row.redacted}' does not have the required "
            f"permissions for this endpoint on account '{acme.id}'. Having the 'events: read' "
            "permission would allow this request to continue.",
        },
    )


@pytest.mark.urls(TEST_URLS)
def test_restricted_key_with_read_cannot_write(acme):
    token = restricted_key(acme.account, {"webhook_endpoints": "read"})
    client = ApiClient(token)
    assert client.get("/v1/test/echo").status_code == 200
    response = client.post("/v1/test/writes", {"name": "x"})
    assert response.status_code == 403
    assert response.json()["error"]["message"].endswith(
        "Having the 'webhook_endpoints: write' permission would allow this request to continue."
    )
    assert (
        AuditLogEntry.objects.filter(account=acme.account, action="test_object.created").count()
        == 0
    )
    assert Event.objects.filter(account=acme.account).count() == 0


@pytest.mark.urls(TEST_URLS)
def test_restricted_key_with_write_can_read_and_write(acme):
    client = ApiClient(restricted_key(acme.account, {"webhook_endpoints": "write"}))
    assert client.get("/v1/test/echo").status_code == 200
    assert client.post("/v1/test/writes", {"name": "x"}).status_code == 200


def test_a_key_answers_for_its_own_account_only(acme, globex):
    response = ApiClient(globex.secret_key).get("/v1/events")
    log = ApiRequestLog.objects.get(id=response["Request-Id"])
    assert log.account_id == globex.id
    assert log.api_key_id == _key_row(globex.secret_key).id


def test_key_lookups_are_reused_for_the_cache_ttl_then_revocation_applies(acme, settings):
    from apps.accounts.selectors import api_key_authenticate

    settings.API_KEY_CACHE_SECONDS = 0.3
    first = api_key_authenticate(token=acme.secret_key)
    api_key_revoke(account=acme.account, key_id=first.id, actor=SYSTEM)
    # Within the TTL the process answers from its cache, with fresh instances each time.
    again = api_key_authenticate(token=acme.secret_key)
    assert again is not None
    assert again is not first
    assert again.account is not first.account
    assert (again.id, again.account.id) == (first.id, acme.account.id)
    time.sleep(0.35)
    assert api_key_authenticate(token=acme.secret_key) is None
    response = Client().get("/v1/events", HTTP_AUTHORIZATION=f"Bearer {acme.secret_key}")
    assert response.status_code == 401
