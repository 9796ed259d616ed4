"""Run the web server, a Celery worker and Celery beat together, for local use.

Each process runs in its own session so Ctrl-C reaches only this runner, which then stops all
of them (SIGTERM to each process group, SIGKILL after a grace period). If one process exits on
its own, the others are stopped and the runner exits with status 1.

The web server is Django's ``runserver`` by default: with the local settings (DEBUG on) it
serves the dashboard's static files without ``collectstatic``. ``--server gunicorn`` runs the
production server instead (static files are then not served).
"""

import io
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from apps.core.queue import celery_queues
from config.env import BASE_DIR

QUEUES = celery_queues()
STOP_GRACE_SECONDS = 15.0
READY_TIMEOUT_SECONDS = 60.0


@dataclass
class Child:
    name: str
    argv: list[str]
    # Added to this runner's environment for the child.
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen | None = None
    reader: threading.Thread | None = field(default=None, repr=False)


def _uses_sqlite() -> bool:
    return settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"


def served_url(*, host: str, port: int) -> str:
    """The address the web server answers on, as a link origin (a wildcard bind is reached
    through the loopback address)."""
    if host in ("", "0.0.0.0", "::"):
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def stack_commands(*, host: str, port: int, server: str, python: str) -> list[Child]:
    """The three processes of the stack, as argv lists (run from the project directory)."""
    bindir = os.path.dirname(python)
    sqlite = _uses_sqlite()
    if server == "gunicorn":
        # SQLite allows one writer at a time: one process with a few threads is enough and
        # avoids lock contention between workers.
        workers, threads = ("1", "4") if sqlite else (str(min(4, (os.cpu_count() or 1) * 2)), "1")
        web = [
            os.path.join(bindir, "gunicorn"),
            "config.wsgi",
            "--bind",
            f"{host}:{port}",
            "--workers",
            workers,
            "--threads",
            threads,
            "--access-logfile",
            "-",
        ]
    else:
        web = [python, "manage.py", "runserver", f"{host}:{port}", "--noreload"]
    celery = os.path.join(bindir, "celery")
    worker = [celery, "-A", "config", "worker", "-Q", ",".join(QUEUES), "--loglevel", "INFO"]
    if sqlite:
        worker += ["--concurrency", "2"]
    if settings.CELERY_BROKER_URL.startswith("filesystem"):
        # One local worker has no peers to sync with; on the filesystem transport gossip,
        # mingle and heartbeats would only add broadcast files every few seconds.
        worker += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
    beat = [celery, "-A", "config", "beat", "--loglevel", "INFO"]
    # Worker and beat build links (emails, webhook payloads) with no request to take the origin
    # from: they get the served address, unless PUBLIC_URL is set for the whole stack. The web
    # server takes it from each request, so a link opens whichever host name was used.
    offline = {} if settings.PUBLIC_URL else {"PUBLIC_URL": served_url(host=host, port=port)}
    return [Child("web", web), Child("worker", worker, offline), Child("beat", beat, offline)]


class Command(BaseCommand):
    help = "Start the web server, a Celery worker (all queues) and Celery beat; Ctrl-C stops all."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--server", choices=("runserver", "gunicorn"), default="runserver")
        parser.add_argument(
            "--demo",
            action="store_true",
            help="Load the demo data first (load_demo) and print its login once ready.",
        )

    def handle(self, *args, **options) -> None:
        self._stopping = threading.Event()
        self._out_lock = threading.Lock()
        demo_summary = ""
        if options["demo"]:
            buffer = io.StringIO()
            call_command("load_demo", stdout=buffer)
            demo_summary = buffer.getvalue()
            # The login and key are printed once, when the stack is ready (the last lines seen).
            self._emit("stack", demo_summary.splitlines()[0])
        children = stack_commands(
            host=options["host"],
            port=options["port"],
            server=options["server"],
            python=sys.executable,
        )
        previous = {
            sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGINT, signal.SIGTERM)
        }
        failed = None
        try:
            for child in children:
                self._start(child)
            base_url = f"http://{options['host']}:{options['port']}"
            threading.Thread(
                target=self._announce_when_ready, args=(base_url, demo_summary), daemon=True
            ).start()
            failed = self._watch(children)
        finally:
            self._stop_all(children)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        if failed is not None:
            raise CommandError(
                f"{failed.name} exited with status {failed.process.returncode}; stopped the others."
            )

    def _on_signal(self, signum, frame) -> None:
        self._stopping.set()

    def _emit(self, name: str, text: str) -> None:
        with self._out_lock:
            for line in text.splitlines() or [""]:
                self.stdout.write(f"{name:<6} | {line}")
            self.stdout.flush()

    def _start(self, child: Child) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1", **child.env}
        try:
            child.process = subprocess.Popen(
                child.argv,
                cwd=BASE_DIR,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                text=True,
                bufsize=1,
                errors="replace",
            )
        except OSError as exc:
            raise CommandError(f"Could not start {child.name} ({child.argv[0]}): {exc}") from exc
        self._emit(
            "stack", f"started {child.name} (pid {child.process.pid}): {' '.join(child.argv)}"
        )
        child.reader = threading.Thread(target=self._forward, args=(child,), daemon=True)
        child.reader.start()

    def _forward(self, child: Child) -> None:
        for line in child.process.stdout:
            self._emit(child.name, line.rstrip("\n"))

    def _watch(self, children: list[Child]) -> Child | None:
        while not self._stopping.is_set():
            for child in children:
                if child.process.poll() is not None:
                    self._emit(
                        "stack", f"{child.name} exited with status {child.process.returncode}"
                    )
                    return child
            self._stopping.wait(0.2)
        self._emit("stack", "stopping…")
        return None

    def _stop_all(self, children: list[Child]) -> None:
        running = [c for c in children if c.process is not None and c.process.poll() is None]
        for child in running:
            # The leader only: celery and gunicorn shut their own pool children down.
            child.process.terminate()
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for child in running:
            try:
                child.process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self._emit("stack", f"{child.name} did not stop in time; killing it")
                self._signal_group(child, signal.SIGKILL)
                child.process.wait()
            self._emit("stack", f"{child.name} stopped (status {child.process.returncode})")
        for child in children:
            if child.process is not None:
                # Processes left in a group (e.g. pool children) go with their leader.
                self._signal_group(child, signal.SIGKILL)
            if child.reader is not None:
                child.reader.join(timeout=2)

    @staticmethod
    def _signal_group(child: Child, sig: int) -> None:
        try:
            os.killpg(child.process.pid, sig)
        except ProcessLookupError:
            pass

    def _announce_when_ready(self, base_url: str, demo_summary: str) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while not self._stopping.is_set() and time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{base_url}/healthz", timeout=2) as response:
                    ready = response.status == 200
            except urllib.error.HTTPError as exc:
                ready = exc.code == 503
            except OSError:
                ready = False
            if ready:
                lines = [
                    f"Ledgerline is running on {base_url}/ (dashboard {base_url}/dashboard/, "
                    f"API {base_url}/v1, health {base_url}/healthz). Ctrl-C stops everything."
                ]
                if demo_summary:
                    lines.append(demo_summary.rstrip("\n"))
                self._emit("stack", "\n".join(lines))
                return
            self._stopping.wait(0.5)
