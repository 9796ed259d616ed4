"""Enqueueing by name (``apps.core.queue.task_named``) from a process whose task modules are not
imported yet, as a gthread web process is at its first requests."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Eight threads ask for the same task at once in a fresh process: Celery's autodiscovery imports
# the task modules for one of them and returns at once, importing nothing, to the others.
FIRST_LOOKUPS = """
import threading

import django

django.setup()
from apps.core.queue import task_named

start = threading.Barrier(8)
found, failed = [], []


def lookup():
    start.wait()
    try:
        found.append(task_named("webhooks.events_fan_out").name)
    except Exception as error:
        failed.append(repr(error))


threads = [threading.Thread(target=lookup) for _ in range(8)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(len(found), len(failed), failed[:1])
"""


def test_concurrent_first_lookups_all_find_the_task():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "PYTHONPATH": str(ROOT),
    }
    done = subprocess.run(
        [sys.executable, "-c", FIRST_LOOKUPS],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert done.stdout.split(maxsplit=2)[:2] == ["8", "0"], done.stdout + done.stderr
