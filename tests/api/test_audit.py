"""An API write records who did it (the key), from where and in which request, atomically."""

import pytest

from apps.accounts.keys import token_hash
from apps.accounts.models import ApiKey, AuditLogEntry
from apps.core.models import Event
from tests.api.conftest import TEST_URLS

pytestmark = pytest.mark.urls(TEST_URLS)


def test_api_write_records_the_key_ip_and_request(api, acme):
    key = ApiKey.objects.get(token_hash=token_hash(acme.secret_key))
    response = api.post("/v1/test/writes", {"name": "a"}, REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 200
    object_id = response.json()["data"]["object"]["id"]
    entry = AuditLogEntry.objects.get(account=acme.account, action="test_object.created")
    assert {
        "actor_kind": entry.actor_kind,
        "actor_api_key_id": entry.actor_api_key_id,
        "actor_user_id": entry.actor_user_id,
        "actor_label": entry.actor_label,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "changes": entry.changes,
        "ip": entry.ip,
        "request_id": entry.request_id,
    } == {
        "actor_kind": "api_key",
        "actor_api_key_id": key.id,
        "actor_user_id": None,
        "actor_label": key.redacted,
        "object_type": "test_object",
        "object_id": object_id,
        "changes": {"name": [None, "a"]},
        "ip": "203.0.113.7",
        "request_id": response["Request-Id"],
    }


def test_a_write_that_fails_leaves_neither_event_nor_audit_row(api, acme):
    audit_before = AuditLogEntry.objects.filter(account=acme.account).count()
    response = api.post("/v1/test/writes", {"name": "a", "fail": "after_write"})
    assert response.status_code == 500
    assert response.json()["error"]["type"] == "api_error"
    assert Event.objects.filter(account=acme.account).count() == 0
    assert AuditLogEntry.objects.filter(account=acme.account).count() == audit_before
