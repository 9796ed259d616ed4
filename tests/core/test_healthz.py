import socket
from unittest import mock

import pytest
from celery import Celery
from django.db import OperationalError, connection

from apps.core import views


def _closed_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def unreachable_broker():
    app = Celery(
        "healthz-unreachable", broker=f"redis://127.0.0.1:{_closed_port()}/0", set_as_current=False
    )
    with mock.patch("config.celery.app", app):
        yield app


def test_healthy_answers_200_with_database_and_broker(client, db, settings):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == {"ok": True, "detail": connection.vendor}
    assert body["broker"]["ok"] is True
    assert body["broker"]["eager"] is settings.CELERY_TASK_ALWAYS_EAGER
    expected_transport = "redis" if settings.CELERY_BROKER_URL.startswith("redis") else "filesystem"
    assert body["broker"]["detail"] == expected_transport


def test_database_down_answers_503(client, db):
    refused = OperationalError("connection to server at 127.0.0.1 refused")
    with mock.patch.object(views.connection, "cursor", side_effect=refused):
        response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["database"] == {
        "ok": False,
        "detail": "OperationalError: connection to server at 127.0.0.1 refused",
    }
    assert body["broker"]["ok"] is True


def test_broker_down_answers_503(client, db, unreachable_broker):
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["database"]["ok"] is True
    assert body["broker"]["ok"] is False
    assert body["broker"]["detail"].startswith("OperationalError")


def test_both_down_answers_503_naming_both(client, db, unreachable_broker):
    with mock.patch.object(views.connection, "cursor", side_effect=OperationalError("gone")):
        response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["database"]["ok"] is False
    assert body["broker"]["ok"] is False


def test_healthz_needs_no_credentials(client, db):
    response = client.get("/healthz", HTTP_AUTHORIZATION="Bearer sk_test_nope")
    assert response.status_code == 200
