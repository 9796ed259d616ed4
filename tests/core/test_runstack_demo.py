"""``make run`` for real: ``runstack --demo`` on a fresh SQLite file and the filesystem broker
loads the demo data, starts web, worker and beat, prints the login block once when ready, and
none of them warns that the broker has no hostname."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.worker
def test_runstack_demo_prints_the_login_once_and_no_broker_warning(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "REDIS_URL", "PUBLIC_URL", "CELERY_TASK_ALWAYS_EAGER")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.local",
        DATABASE_URL=f"sqlite:///{tmp_path / 'ledgerline.sqlite3'}",
        BROKER_DIR=str(tmp_path / "broker"),
        PYTHONUNBUFFERED="1",
    )
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    port = _free_port()
    log = tmp_path / "runstack.log"
    with log.open("w") as out:
        stack = subprocess.Popen(
            [*manage, "runstack", "--demo", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 180
        while "Ledgerline is running" not in log.read_text():
            assert stack.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.5)
        # The worker's first connection and the demo block's last line are written by now.
        while "(the secret key is kept in" not in log.read_text().split("Ledgerline is running")[1]:
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        assert requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200
        while "worker | " not in log.read_text() or "ready." not in log.read_text():
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.5)
    finally:
        os.killpg(stack.pid, signal.SIGTERM)
        try:
            stack.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(stack.pid, signal.SIGKILL)
            stack.wait()
    output = log.read_text()
    assert output.count("staff login:") == 1
    assert output.count("test secret key:") == 1
    assert output.index("Ledgerline is running") < output.index("staff login:")
    assert "No hostname was supplied" not in output
    assert stack.returncode == 0, output
