"""Helpers for the API-layer tests: keys of every kind and the test-only endpoints."""

import pytest

from apps.accounts.services import api_key_create
from apps.core import event_types
from apps.core.actor import SYSTEM
from tests.conftest import ApiClient

TEST_URLS = "tests.api.urls"
# Event types only these tests emit: the test endpoints' objects and a fake expandable.
TEST_EVENT_TYPES = frozenset({"test_object.created", "thing.created"})


@pytest.fixture(autouse=True)
def test_event_types(monkeypatch):
    monkeypatch.setattr(event_types, "EVENT_TYPES", event_types.EVENT_TYPES | TEST_EVENT_TYPES)


def restricted_key(account, permissions: dict[str, str], name: str = "Restricted") -> str:
    _, token = api_key_create(
        account=account,
        kind="restricted",
        name=name,
        permissions=permissions,
        actor=SYSTEM,
        check_role=False,
    )
    return token


@pytest.fixture
def globex_api(globex) -> ApiClient:
    return ApiClient(globex.secret_key)


def assert_error(response, status: int, expected: dict) -> None:
    """The whole Stripe error object, the status and the request id: nothing more, nothing less."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].split(";")[0] == "application/json"
    assert response["Request-Id"].startswith("req_")
    assert response.json() == {"error": expected}
