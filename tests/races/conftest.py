"""Races on PostgreSQL: the same money operation sent many times at once, from threads (one
database connection each) or to a server of two processes, then the exact end state checked.

SQLite runs every writer one after another (the test database is one connection), so these run
on PostgreSQL only (CI)."""

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
from celery import _state as celery_state
from django.db import connection, connections

from tests.webhooks.conftest import eager_tasks, receiver  # noqa: F401 (fixtures)

ROOT = Path(__file__).resolve().parents[2]
RACERS = 20


def pytest_collection_modifyitems(config, items):
    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason="races need row-level concurrency: PostgreSQL (CI)")
    for item in items:
        if item.path.is_relative_to(Path(__file__).parent):
            item.add_marker(skip)


def race(fn: Callable[[int], object], n: int = RACERS) -> list:
    """Run ``fn(i)`` in ``n`` threads released together; answers what each returned or raised,
    in thread order. Each thread closes its database connection when done."""
    start = threading.Barrier(n)
    results: list = [None] * n

    def run(i: int) -> None:
        try:
            start.wait()
            results[i] = fn(i)
        except Exception as error:  # noqa: BLE001 - the outcome under test
            results[i] = error
        finally:
            connections.close_all()

    # Celery keeps "a task is running here" in one process-wide flag that eager tasks set and
    # restore around themselves; threads running them at once can leave it set, and a later
    # test's eager ``.get()`` would then refuse to run.
    blocking = celery_state.task_join_will_block()
    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    celery_state._set_task_join_will_block(blocking)
    return results


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def two_processes(transactional_db) -> str:
    """A gunicorn server of two worker processes on the test database: its base URL."""
    port = _free_port()
    name = connection.settings_dict["NAME"]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": f"postgres://{connection.settings_dict['USER']}@"
        f"{connection.settings_dict['HOST'] or '127.0.0.1'}:"
        f"{connection.settings_dict['PORT'] or 5432}/{name}",
        "CELERY_TASK_ALWAYS_EAGER": "true",
    }
    server = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "config.wsgi:application",
            "--workers=2",
            "--threads=10",
            f"--bind=127.0.0.1:{port}",
            "--log-level=warning",
        ],
        cwd=ROOT,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(f"{url}/healthz", timeout=5)
                break
            except requests.RequestException:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


def post_all(url: str, key: str, path: str, data: dict | None = None, n: int = RACERS) -> list:
    """``n`` concurrent POSTs of ``data`` to ``path``: the responses, in thread order."""
    session_headers = {"Authorization": f"Bearer {key}"}
    return race(
        lambda _: requests.post(
            f"{url}{path}", data=data or {}, headers=session_headers, timeout=60
        ),
        n,
    )
