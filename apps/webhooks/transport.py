"""Posting signed payloads (no ORM): pooled keep-alive connections, a few sends at once.

Each thread has its own ``requests.Session`` (sessions are not documented as thread-safe) with
a connection pool, kept for the life of the process so repeated deliveries to the same host
reuse their connections.
"""

import os
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import requests
from requests.adapters import HTTPAdapter

TIMEOUT_SECONDS = 10
# Threads that send one batch concurrently.
SEND_THREADS = 8
EXCERPT_CHARS = 2000
USER_AGENT = "Ledgerline/1.0 (+webhooks; Stripe-compatible)"

_local = threading.local()
_executor_lock = threading.Lock()
_executor: dict[int, ThreadPoolExecutor] = {}  # pid -> pool: a forked child makes its own


@dataclass(frozen=True)
class Outbound:
    key: str  # the caller's handle for the result (a delivery id)
    url: str
    body: bytes
    headers: dict[str, str]


@dataclass(frozen=True)
class Outcome:
    key: str
    status_code: int | None
    error: str
    latency_ms: int
    excerpt: str

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def _session() -> requests.Session:
    session = getattr(_local, "session", None)
    if session is None:
        session = requests.Session()
        adapter = HTTPAdapter(pool_connections=16, pool_maxsize=16, max_retries=0)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        # Deliveries never use proxies or credentials from the worker's environment.
        session.trust_env = False
        _local.session = session
    return session


def _read_excerpt(response: requests.Response) -> str:
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_content(chunk_size=4096):
        chunks.append(chunk)
        size += len(chunk)
        if size >= EXCERPT_CHARS * 4:  # enough bytes for EXCERPT_CHARS UTF-8 characters
            break
    return b"".join(chunks).decode("utf-8", errors="replace")[:EXCERPT_CHARS]


def post(outbound: Outbound, *, timeout: float = TIMEOUT_SECONDS) -> Outcome:
    """One POST; never raises for what the endpoint or the network does."""
    started = time.monotonic()
    try:
        with _session().post(
            outbound.url,
            data=outbound.body,
            headers={"User-Agent": USER_AGENT, **outbound.headers},
            timeout=timeout,
            allow_redirects=False,
            stream=True,
        ) as response:
            excerpt = _read_excerpt(response)
            status = response.status_code
    except requests.Timeout:
        return Outcome(outbound.key, None, f"Timed out after {timeout:g} s", _ms(started), "")
    except requests.RequestException as exc:
        message = f"{type(exc).__name__}: {exc}"[:EXCERPT_CHARS]
        return Outcome(outbound.key, None, message, _ms(started), "")
    error = "" if 200 <= status < 300 else f"HTTP {status}"
    return Outcome(outbound.key, status, error, _ms(started), excerpt)


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def _pool() -> ThreadPoolExecutor:
    pid = os.getpid()
    with _executor_lock:
        pool = _executor.get(pid)
        if pool is None:
            pool = ThreadPoolExecutor(max_workers=SEND_THREADS, thread_name_prefix="webhook-send")
            _executor.clear()
            _executor[pid] = pool
        return pool


def post_many(outbounds: Sequence[Outbound]) -> list[Outcome]:
    """Send all, ``SEND_THREADS`` at a time; results in the order given."""
    if len(outbounds) <= 1:
        return [post(outbound) for outbound in outbounds]
    return list(_pool().map(post, outbounds))
