"""Webhook fixtures: a local HTTP receiver, tasks run inline, and a database other processes
(a Celery worker) and threads can share."""

import json
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import connections, transaction

from apps.core.actor import SYSTEM
from apps.core.events import event_record
from apps.core.models import Event
from apps.webhooks.models import WebhookEndpoint
from apps.webhooks.services import webhook_endpoint_create
from config.celery import app as celery_app


@dataclass
class Hit:
    path: str
    headers: dict[str, str]
    body: bytes
    client_port: int = 0  # tells the sender's connections apart

    @property
    def event(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A webhook endpoint on 127.0.0.1: answers each POST with the next status of
    ``statuses`` (then ``default_status``), optionally after ``delay`` seconds; ``respond``,
    when set, decides (status, body) from the hit instead. ``close_after_response`` closes the
    connection after answering without saying so (as a server dropping idle connections)."""

    url: str = ""
    hits: list[Hit] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    default_status: int = 200
    delay: float = 0.0
    body: bytes = b'{"received": true}'
    respond: Callable[[Hit], tuple[int, bytes]] | None = None
    close_after_response: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def wait_for(self, count: int, timeout: float = 60.0) -> list[Hit]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.hits) >= count:
                    return list(self.hits)
            time.sleep(0.05)
        return list(self.hits)


def _handler_for(receiver: Receiver):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):  # noqa: N802 (http.server's naming)
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            hit = Hit(self.path, dict(self.headers.items()), body, self.client_address[1])
            with receiver.lock:
                receiver.hits.append(hit)
                status = receiver.statuses.pop(0) if receiver.statuses else receiver.default_status
            answer = receiver.body
            if receiver.respond is not None:
                status, answer = receiver.respond(hit)
            if receiver.delay:
                time.sleep(receiver.delay)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)
            if receiver.close_after_response:
                self.close_connection = True

        def log_message(self, format, *args):
            pass

    return Handler


@pytest.fixture
def receiver():
    state = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(state))
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def eager_tasks():
    """Tasks run inline when enqueued (after commit), on every broker: the tests drive time
    and workers themselves. The real queue is covered by the worker test."""
    # Shared tasks resolve through the current app; a test elsewhere that builds its own
    # Celery app makes that one current.
    celery_app.set_current()
    saved = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = saved


@pytest.fixture
def file_database(transactional_db, tmp_path):
    """The test database as other connections see it: on SQLite the in-memory test database is
    copied to a file (threads and a worker process then share it with WAL and a busy timeout)
    and connections use that file until the test ends; PostgreSQL is shared as it is.

    Request it before any fixture that writes (accounts), so those rows land in the file."""
    connection = connections["default"]
    if connection.vendor != "sqlite" or not connection.is_in_memory_db():
        yield connection.settings_dict
        return
    connection.ensure_connection()
    memory = connection.connection
    path = tmp_path / "webhooks.sqlite3"
    copy = sqlite3.connect(path)
    memory.backup(copy)
    copy.close()
    name = connection.settings_dict["NAME"]
    # Kept open by `memory` while the connection points at the file: closing the last
    # connection to an in-memory database would destroy it.
    connection.connection = None
    connection.settings_dict["NAME"] = str(path)
    try:
        yield connection.settings_dict
    finally:
        connection.close()
        connection.settings_dict["NAME"] = name
        connection.connection = memory


def endpoint_make(account, url: str, events: list[str] | None = None) -> WebhookEndpoint:
    return webhook_endpoint_create(
        account=account, url=url, enabled_events=events or ["*"], actor=SYSTEM
    )


def event_make(account, type_: str = "customer.created", object_id: str = "cus_1") -> Event:
    with transaction.atomic():
        return event_record(
            account=account,
            type=type_,
            data_object={"id": object_id, "object": type_.split(".")[0]},
        )
