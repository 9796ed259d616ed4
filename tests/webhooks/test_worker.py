"""A real Celery worker process on the broker in use delivers a recorded event."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import stripe
from django.conf import settings
from django.test import override_settings

from apps.webhooks.enums import DeliveryStatus
from apps.webhooks.models import WebhookAttempt, WebhookDelivery
from config.celery import app as celery_app
from tests.webhooks.conftest import endpoint_make, event_make

ROOT = Path(settings.BASE_DIR)


def _database_url(db: dict) -> str:
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def worker(file_database, tmp_path):
    """``celery -A config worker -Q webhooks,default`` on the test database and broker."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": _database_url(file_database),
        "CELERY_TASK_ALWAYS_EAGER": "0",
    }
    log = open(tmp_path / "worker.log", "wb")  # noqa: SIM115 (closed below)
    process = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("celery")),
            "-A",
            "config",
            "worker",
            "-Q",
            "webhooks,default",
            "--pool",
            "threads",
            "--concurrency",
            "2",
            "--hostname",
            f"webhooks-test-{os.getpid()}@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel",
            "INFO",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    celery_app.set_current()
    saved = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    try:
        with override_settings(CELERY_TASK_ALWAYS_EAGER=False):
            yield process
    finally:
        celery_app.conf.task_always_eager = saved
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
        log.close()
        print((tmp_path / "worker.log").read_text(errors="replace")[-4000:])


def _wait_for_status(delivery_id: str, status: str, timeout: float = 60.0) -> WebhookDelivery:
    deadline = time.monotonic() + timeout
    while True:
        delivery = WebhookDelivery.objects.get(pk=delivery_id)
        if delivery.status == status or time.monotonic() > deadline:
            return delivery
        time.sleep(0.1)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_worker_process_delivers_a_signed_event(worker, acme, receiver):
    # given
    endpoint = endpoint_make(acme.account, receiver.url, ["invoice.paid"])
    # when the event commits, the send is queued on the broker for the worker
    event = event_make(acme.account, "invoice.paid", "in_1")
    # then the receiver gets it, signed
    hits = receiver.wait_for(1)
    assert worker.poll() is None, "the worker stopped"
    assert len(hits) == 1
    verified = stripe.Webhook.construct_event(
        hits[0].body.decode(), hits[0].headers["Stripe-Signature"], endpoint.secret
    )
    assert (verified.id, verified.type) == (event.id, "invoice.paid")
    delivery = _wait_for_status(WebhookDelivery.objects.get(event=event).id, "succeeded")
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert delivery.attempt_count == 1
    attempt = WebhookAttempt.objects.get(delivery=delivery)
    assert (attempt.status_code, attempt.error) == (200, "")
    assert len(receiver.hits) == 1
