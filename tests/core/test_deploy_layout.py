"""The production layout of docs/deploy.md, as the Procfile runs it: one gunicorn, one Celery
worker pool per queue, exactly one beat, on PostgreSQL and Redis.

The boot test starts every Procfile process (with the production settings) against a database
of its own on this machine's PostgreSQL and the suite's Redis, runs the integrator's SDK flow
through the web process and checks the workers and beat did their part, then stops them all."""

import json
import os
import re
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
import requests
import stripe
from celery import Celery

from apps.core.queue import celery_queues
from config.celery import CELERY_BEAT_SCHEDULE
from config.celery import app as celery_app

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
STARTUP_SECONDS = 180
STOP_SECONDS = 30


def procfile() -> dict[str, str]:
    """The Procfile's process types, in order: name -> command."""
    processes = {}
    for line in (ROOT / "Procfile").read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, command = line.split(":", 1)
        assert re.fullmatch(r"[a-z][a-z0-9-]*", name), name
        assert name not in processes, f"{name} twice"
        processes[name] = command.strip()
    return processes


def worker_queues(processes: dict[str, str]) -> dict[str, str]:
    """Process name -> the one queue its Celery worker consumes."""
    queues = {}
    for name, command in processes.items():
        argv = shlex.split(command)
        if argv[:4] == ["celery", "-A", "config", "worker"]:
            queue = argv[argv.index("-Q") + 1]
            assert "," not in queue, f"{name} consumes several queues: {queue}"
            queues[name] = queue
    return queues


def test_procfile_runs_one_worker_pool_per_queue_one_web_and_one_beat():
    processes = procfile()
    queues = worker_queues(processes)
    assert sorted(queues.values()) == sorted(celery_queues())
    assert len(set(queues.values())) == len(queues)
    assert all(name == f"worker-{queue}" for name, queue in queues.items())
    # Every task the project registers is routed to a queue some worker consumes.
    celery_app.loader.import_default_modules()
    project_tasks = [name for name in celery_app.tasks if not name.startswith("celery.")]
    assert project_tasks
    for task in project_tasks:
        queue = celery_app.amqp.router.route({}, task)["queue"].name
        assert queue in queues.values(), (task, queue)
    others = {name: shlex.split(cmd)[:4] for name, cmd in processes.items() if name not in queues}
    assert others == {
        "release": ["python", "manage.py", "migrate", "--noinput"],
        "web": ["gunicorn", "config.wsgi", "--bind", "0.0.0.0:${PORT:-8000}"],
        "beat": ["celery", "-A", "config", "beat"],
    }


def test_deploy_doc_names_every_process_queue_and_variable():
    doc = (ROOT / "docs" / "deploy.md").read_text()
    processes = procfile()
    for name in processes:
        assert f"`{name}`" in doc, f"docs/deploy.md does not name the process {name}"
    for queue in celery_queues():
        assert f"`{queue}`" in doc, f"docs/deploy.md does not name the queue {queue}"
    for variable in set(re.findall(r"\$\{(\w+)", "\n".join(processes.values()))):
        assert f"`{variable}`" in doc, f"docs/deploy.md does not explain {variable}"
    for variable in ("DATABASE_URL", "DATABASE_REPLICA_URL", "REDIS_URL", "SECRET_KEY"):
        assert f"`{variable}`" in doc, variable
    for topic in ("## Backups", "## Scaling", "## Environment"):
        assert topic in doc


def _services_or_skip() -> tuple[str, str]:
    database_url = os.environ.get("DATABASE_URL", "")
    redis_url = os.environ.get("REDIS_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")):
        pytest.skip("the production layout runs on PostgreSQL: set DATABASE_URL=postgres://…")
    if not redis_url.startswith(("redis://", "rediss://")):
        pytest.skip("the production layout's broker is Redis: set REDIS_URL=redis://…")
    return database_url, redis_url


@pytest.fixture
def fresh_database():
    """A PostgreSQL database of this test alone, on the server DATABASE_URL names."""
    database_url, _ = _services_or_skip()
    parts = urlsplit(database_url)
    name = f"{parts.path.lstrip('/') or 'ledgerline'}_layout"
    server = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    yield urlunsplit(parts._replace(path=f"/{name}"))
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _layout_env(database_url: str, redis_url: str, port: int) -> dict[str, str]:
    return {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHONUNBUFFERED": "1",
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DATABASE_URL": database_url,
        # A stand-in replica (the primary itself): the layout boots with the reports router on.
        "DATABASE_REPLICA_URL": database_url,
        "REDIS_URL": redis_url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "PUBLIC_URL": f"http://127.0.0.1:{port}",
        # No TLS proxy in front here: plain HTTP must not be redirected.
        "SECURE_SSL_REDIRECT": "0",
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
        "GUNICORN_THREADS": "2",
        "CELERY_CONCURRENCY": "1",
        "CELERY_WEBHOOKS_CONCURRENCY": "1",
    }


def _shell(command: str) -> list[str]:
    # exec: the signal sent to the process group's leader reaches gunicorn or celery itself.
    return ["/bin/sh", "-c", f"exec {command}"]


def _stop(running: dict[str, subprocess.Popen]) -> None:
    for process in running.values():
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_SECONDS
    for process in running.values():
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait()


def _log_tails(logs: Path) -> str:
    return "\n".join(
        f"--- {log.name}\n" + "\n".join(log.read_text(errors="replace").splitlines()[-15:])
        for log in sorted(logs.glob("*.log"))
    )


def _wait_until(check, what: str, running: dict[str, subprocess.Popen], logs: Path):
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        exited = {name: p.returncode for name, p in running.items() if p.poll() is not None}
        assert not exited, f"exited while waiting for {what}: {exited}\n{_log_tails(logs)}"
        result = check()
        if result:
            return result
        time.sleep(0.5)
    pytest.fail(f"timed out waiting for {what}\n{_log_tails(logs)}")


def _healthy(base_url: str) -> bool:
    try:
        return requests.get(f"{base_url}/healthz", timeout=2).status_code == 200
    except requests.RequestException:
        return False


def _one_row(database_url: str, sql: str) -> tuple:
    with psycopg.connect(database_url) as conn:
        return conn.execute(sql).fetchone()


def _sdk_flow(base_url: str, secret_key: str) -> stripe.Invoice:
    """The integrator's flow: customer, card, default payment method, a subscription whose
    first invoice is paid."""
    saved = (stripe.api_key, stripe.api_base, stripe.max_network_retries)
    stripe.api_key, stripe.api_base, stripe.max_network_retries = secret_key, base_url, 0
    try:
        customer = stripe.Customer.create(email="ada@example.com", name="Ada Lovelace")
        card = stripe.PaymentMethod.attach("pm_card_visa", customer=customer.id)
        stripe.Customer.modify(customer.id, invoice_settings={"default_payment_method": card.id})
        price = stripe.Price.create(
            product_data={"name": "Basic"},
            currency="usd",
            unit_amount=2500,
            recurring={"interval": "month"},
        )
        subscription = stripe.Subscription.create(customer=customer.id, items=[{"price": price.id}])
        assert subscription.status == "active"
        assert subscription.default_payment_method in (None, card.id)
        return stripe.Invoice.retrieve(subscription.latest_invoice)
    finally:
        stripe.api_key, stripe.api_base, stripe.max_network_retries = saved


@pytest.mark.worker
def test_the_procfile_layout_serves_the_sdk_flow(fresh_database, tmp_path):
    database_url, redis_url = _services_or_skip()
    processes = procfile()
    queues = worker_queues(processes)
    port = _free_port()
    env = _layout_env(fresh_database, redis_url, port)
    release = subprocess.run(
        _shell(processes["release"]), cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert release.returncode == 0, release.stderr[-3000:]
    created = subprocess.run(
        [sys.executable, "manage.py", "create_account", "--name", "Layout", "--json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    secret_key = json.loads(created.stdout)["secret_key"]

    running: dict[str, subprocess.Popen] = {}
    try:
        for name, command in processes.items():
            if name == "release":
                continue
            with (tmp_path / f"{name}.log").open("w") as log:
                running[name] = subprocess.Popen(
                    _shell(command),
                    cwd=ROOT,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
        base_url = f"http://127.0.0.1:{port}"
        _wait_until(lambda: _healthy(base_url), "/healthz", running, tmp_path)
        control = Celery("layout-probe", broker=redis_url, set_as_current=False).control
        expected = {f"{queue}@{socket.gethostname()}" for queue in queues.values()}

        def answering() -> bool:
            replies = control.ping(timeout=1.0)
            return expected <= {node for reply in replies for node in reply}

        _wait_until(answering, f"workers {sorted(expected)}", running, tmp_path)

        invoice = _sdk_flow(base_url, secret_key)
        assert (invoice.status, invoice.amount_paid, invoice.paid) == ("paid", 2500, True)
        assert invoice.hosted_invoice_url.startswith(f"{base_url}/i/")

        # The collections worker sent the receipt for the paid invoice (event consumer → task).
        sent = "SELECT kind, object_id FROM collections_sentemail"
        receipt = _wait_until(
            lambda: _one_row(fresh_database, sent), "the receipt email", running, tmp_path
        )
        assert receipt == ("receipt", invoice.id)
        # Beat synced its schedule into the database scheduler's tables.
        scheduled = "SELECT count(*) FROM django_celery_beat_periodictask WHERE name = ANY(%s)"

        def beat_synced() -> bool:
            with psycopg.connect(fresh_database) as conn:
                row = conn.execute(scheduled, [list(CELERY_BEAT_SCHEDULE)]).fetchone()
            return row[0] == len(CELERY_BEAT_SCHEDULE)

        _wait_until(beat_synced, "beat's schedule", running, tmp_path)
    finally:
        _stop(running)
    assert all(p.returncode is not None for p in running.values())
