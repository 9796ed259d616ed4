"""Helpers shared by the benchmarks: a throwaway PostgreSQL database, a gunicorn server on
loopback, and a bounded closed-loop HTTP load generator (threads, keep-alive connections)."""

import http.client
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV_BIN = os.path.dirname(sys.executable)
LOOPBACK = "127.0.0.1"


def database_url(name: str) -> str:
    """``DATABASE_URL``'s server (default local PostgreSQL) with the database ``name``."""
    base = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/postgres"
    parts = urllib.parse.urlsplit(base)
    if not parts.scheme.startswith("postgres"):
        raise SystemExit("The benchmarks need PostgreSQL: DATABASE_URL must be postgres://…")
    return urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))


def database_recreate(url: str) -> None:
    """Drop and create the database named in ``url`` (through the server's ``postgres`` db)."""
    import psycopg
    from psycopg import sql

    parts = urllib.parse.urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def bench_env(**extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.bench_settings",
        "PYTHONPATH": ROOT,
        "CELERY_TASK_ALWAYS_EAGER": "1",
    }
    env.update(extra)
    return env


def manage(*args: str, env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn(
    *, env: dict[str, str], workers: int = 1, threads: int = 1, stderr=None
) -> Iterator[int]:
    """A gunicorn (gthread workers, so connections stay alive) on a free loopback port;
    its log goes to ``stderr`` (a file), or this process's own."""
    port = free_port()
    process = subprocess.Popen(
        [
            os.path.join(VENV_BIN, "gunicorn"),
            "config.wsgi",
            "--bind",
            f"{LOOPBACK}:{port}",
            "--worker-class",
            "gthread",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--keep-alive",
            "30",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stderr=stderr,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise SystemExit(f"gunicorn exited with status {process.returncode}")
            try:
                status, _ = request_once(port, "/healthz")
                if status in (200, 503):
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("gunicorn did not answer within 30 s")
            time.sleep(0.2)
        yield port
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def request_once(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(LOOPBACK, port, timeout=10)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


@dataclass
class Sample:
    requests: int
    seconds: float
    latencies_ms: list[float]


def drive(
    *,
    port: int,
    path: str | list[str],
    headers: dict[str, str],
    connections: int,
    seconds: float,
) -> Sample:
    """Closed loop: each of ``connections`` threads sends the next request as soon as the
    previous answer is read, on one keep-alive connection, until ``seconds`` have passed.
    ``path`` may be a list, taken in turn (each thread starting at its own offset)."""
    paths = [path] if isinstance(path, str) else path
    latencies: list[list[float]] = [[] for _ in range(connections)]
    errors: list[str] = []
    start = threading.Barrier(connections + 1)

    def loop(out: list[float], offset: int) -> None:
        conn = http.client.HTTPConnection(LOOPBACK, port, timeout=10)
        start.wait()
        deadline = time.perf_counter() + seconds
        n = offset
        try:
            while (began := time.perf_counter()) < deadline:
                target = paths[n % len(paths)]
                n += 1
                conn.request("GET", target, headers=headers)
                response = conn.getresponse()
                response.read()
                out.append((time.perf_counter() - began) * 1000)
                if response.status != 200:
                    errors.append(f"{target} answered {response.status}")
                    return
        finally:
            conn.close()

    threads = [
        threading.Thread(target=loop, args=(out, index * 7919))
        for index, out in enumerate(latencies)
    ]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    if errors:
        raise SystemExit(errors[0])
    merged = [value for out in latencies for value in out]
    return Sample(requests=len(merged), seconds=elapsed, latencies_ms=merged)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def workers_start(
    *, env: dict, queue: str, workers: int, concurrency: int
) -> list[subprocess.Popen]:
    """``workers`` Celery worker processes (threads pool) consuming ``queue``, each in a session
    of its own so ``workers_stop`` can end it with its children."""
    return [
        subprocess.Popen(
            [
                os.path.join(VENV_BIN, "celery"),
                "-A",
                "config",
                "worker",
                "-Q",
                queue,
                "--pool",
                "threads",
                "--concurrency",
                str(concurrency),
                "--hostname",
                f"bench-{queue}-{n}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel",
                "WARNING",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,  # the banner; warnings and errors go to stderr
            start_new_session=True,
        )
        for n in range(workers)
    ]


def workers_stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def named_database_url(default: str) -> str:
    """DATABASE_URL when it names a database with "bench" in it, else ``default`` on its server:
    the benchmarks drop and recreate it."""
    given = os.environ.get("DATABASE_URL") or ""
    name = urllib.parse.urlsplit(given).path.lstrip("/") if given else ""
    return database_url(name if "bench" in name else default)


def worker_bench_setup(*, database: str, redis_db: int) -> tuple[dict[str, str], str]:
    """A benchmark with Celery workers: its database (``named_database_url(database)``) dropped,
    created and migrated, Redis (REDIS_URL or db ``redis_db``) flushed, Django set up in this
    process. Returns the workers' environment and the Redis URL."""
    import redis

    url_db = named_database_url(database)
    redis_url = os.environ.get("REDIS_URL") or f"redis://127.0.0.1:6379/{redis_db}"
    database_recreate(url_db)
    env = bench_env(DATABASE_URL=url_db, REDIS_URL=redis_url, CELERY_TASK_ALWAYS_EAGER="0")
    manage("migrate", "--noinput", env=env)
    os.environ.update(env)
    import django

    django.setup()
    redis.Redis.from_url(redis_url).flushdb()
    return env, redis_url
