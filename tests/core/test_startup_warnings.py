"""Generating the OpenAPI document and connecting to the broker print no warnings.

Both used to: drf-spectacular named colliding choice sets with made-up hashes ("Object238Enum")
and said so on every schema build, and kombu warned "No hostname was supplied" each time a
worker or beat connected to the ``filesystem://`` broker."""

import logging
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator

from config.celery import app

ROOT = Path(__file__).resolve().parents[2]


def test_openapi_document_builds_without_warnings_or_errors():
    GENERATOR_STATS.reset()
    with GENERATOR_STATS.silence():
        schema = SchemaGenerator().get_schema(request=None, public=True)
    assert schema["paths"]
    assert dict(GENERATOR_STATS._warn_cache) == {}
    assert dict(GENERATOR_STATS._error_cache) == {}
    # A name spectacular had to invent ends in a three-character hash before "Enum".
    invented = re.compile(r"[0-9A-F]{3}Enum$")
    assert [name for name in schema["components"]["schemas"] if invented.search(name)] == []


def test_broker_connection_names_its_host(caplog):
    caplog.set_level(logging.WARNING, logger="kombu")
    with app.connection_for_write() as connection:
        info = connection.info()
    assert info["hostname"]
    assert [r.getMessage() for r in caplog.records if r.name.startswith("kombu")] == []


@pytest.mark.worker
def test_a_worker_and_beat_start_without_the_broker_warning(tmp_path):
    """Real processes on the configured broker (the test run's folder or its Redis), stopped
    once they report they are up."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    env["DATABASE_URL"] = env.get("DATABASE_URL") or f"sqlite:///{tmp_path / 'db.sqlite3'}"
    celery = str(Path(sys.executable).with_name("celery"))
    commands = {
        "worker": [celery, "-A", "config", "worker", "-Q", "ledgerline-startup-probe"]
        + ["--concurrency", "1", "--without-gossip", "--without-mingle", "--without-heartbeat"],
        "beat": [celery, "-A", "config", "beat", "--schedule", str(tmp_path / "beat-schedule")]
        + ["--scheduler", "celery.beat:PersistentScheduler"],
    }
    up = {"worker": "ready.", "beat": "beat: Starting..."}
    for name, argv in commands.items():
        log = tmp_path / f"{name}.log"
        with log.open("w") as out:
            process = subprocess.Popen(
                [*argv, "--loglevel", "INFO"],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            deadline = time.monotonic() + 60
            while up[name] not in log.read_text() and time.monotonic() < deadline:
                assert process.poll() is None, log.read_text()
                time.sleep(0.2)
            # Connecting happens before "ready" and again right after; give it a moment.
            time.sleep(1.0)
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        output = log.read_text()
        assert up[name] in output, output
        assert "No hostname was supplied" not in output, output
