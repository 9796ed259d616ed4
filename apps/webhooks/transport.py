"""Posting signed payloads (no ORM): pooled keep-alive connections, a few sends at once.

One ``urllib3.PoolManager`` per worker process (thread-safe; a forked child makes its own)
keeps up to ``POOL_SIZE`` keep-alive connections per endpoint host, so consecutive deliveries
to a host reuse their connections instead of opening one (and a TLS session) each. urllib3
checks a pooled connection before reusing it and opens a new one if the server closed it.
It costs about half of ``requests`` per POST (no session merging, hooks, cookies).

A batch is posted ``SEND_THREADS`` at a time by a thread pool of the process.
"""

import os
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import urllib3
from urllib3.exceptions import HTTPError, NewConnectionError, SSLError, TimeoutError

TIMEOUT_SECONDS = 10
# Threads that send one batch concurrently (per process, shared by its batches).
SEND_THREADS = 8
# Keep-alive connections kept per endpoint host, and hosts kept per process.
POOL_SIZE = SEND_THREADS
POOL_HOSTS = 64
EXCERPT_CHARS = 2000
# Bytes read from a response: enough for EXCERPT_CHARS UTF-8 characters. A longer body is not
# read to its end: its connection is closed instead of reused.
EXCERPT_BYTES = EXCERPT_CHARS * 4
USER_AGENT = "Ledgerline/1.0 (+webhooks; Stripe-compatible)"

_lock = threading.Lock()
_by_pid: dict[int, tuple[urllib3.PoolManager, ThreadPoolExecutor]] = {}


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


def _process_state() -> tuple[urllib3.PoolManager, ThreadPoolExecutor]:
    pid = os.getpid()
    state = _by_pid.get(pid)
    if state is None:
        with _lock:
            state = _by_pid.get(pid)
            if state is None:
                manager = urllib3.PoolManager(
                    num_pools=POOL_HOSTS,
                    maxsize=POOL_SIZE,
                    block=False,  # a burst over POOL_SIZE opens extra connections, not waits
                    retries=False,  # a POST is never re-sent behind the caller's back
                    headers={"User-Agent": USER_AGENT},
                )
                pool = ThreadPoolExecutor(
                    max_workers=SEND_THREADS, thread_name_prefix="webhook-send"
                )
                _by_pid.clear()  # a parent's pools are not usable after fork
                _by_pid[pid] = state = (manager, pool)
    return state


def pool_manager() -> urllib3.PoolManager:
    """This process's connection pools (one per endpoint scheme, host and port)."""
    return _process_state()[0]


def post(outbound: Outbound, *, timeout: float = TIMEOUT_SECONDS) -> Outcome:
    """One POST; never raises for what the endpoint or the network does."""
    started = time.monotonic()
    try:
        response = pool_manager().request(
            "POST",
            outbound.url,
            body=outbound.body,
            headers={"User-Agent": USER_AGENT, **outbound.headers},
            timeout=urllib3.Timeout(connect=timeout, read=timeout),
            redirect=False,
            preload_content=False,
        )
        try:
            data = response.read(EXCERPT_BYTES)
            complete = not response.read(1) if len(data) >= EXCERPT_BYTES else True
        except BaseException:
            response.close()
            raise
        if not complete:
            response.close()  # not draining an unbounded body: drop the connection instead
        response.release_conn()
        status = response.status
    except Exception as exc:  # noqa: BLE001 (any failure is the attempt's outcome)
        return Outcome(outbound.key, None, _error(exc, timeout), _ms(started), "")
    excerpt = data.decode("utf-8", errors="replace")[:EXCERPT_CHARS]
    error = "" if 200 <= status < 300 else f"HTTP {status}"
    return Outcome(outbound.key, status, error, _ms(started), excerpt)


def _error(exc: Exception, timeout: float) -> str:
    """What an attempt without a response records: the kind of failure, then the detail."""
    if isinstance(exc, NewConnectionError):  # refused, unreachable, unknown host
        kind = "ConnectionError"
    elif isinstance(exc, TimeoutError):
        return f"Timed out after {timeout:g} s"
    elif isinstance(exc, SSLError):
        kind = "SSLError"
    elif isinstance(exc, HTTPError | OSError):  # reset, closed mid-response, bad status line
        kind = "ConnectionError"
    else:
        kind = type(exc).__name__
    return f"{kind}: {exc}"[:EXCERPT_CHARS]


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


NOT_SENT = "Not sent: the batch ran out of time before this delivery's turn."


def post_many(outbounds: Sequence[Outbound], *, deadline: float | None = None) -> list[Outcome]:
    """Send all, ``SEND_THREADS`` at a time; results in the order given.

    Every POST of the process goes through its one thread pool, whatever the batch size and
    however many batches run at once, so no more than ``SEND_THREADS`` connections per host
    are ever busy and the keep-alive pools (``POOL_SIZE`` each) never overflow. Batches share
    the threads, so a batch can wait behind others: past ``deadline`` (``time.monotonic()``)
    a delivery is not posted (``NOT_SENT``) and each timeout is cut to what is left, which
    keeps a batch within its claim's lease."""

    def send(outbound: Outbound) -> Outcome:
        if deadline is None:
            return post(outbound)
        left = deadline - time.monotonic()
        if left <= 0:
            return Outcome(outbound.key, None, NOT_SENT, 0, "")
        return post(outbound, timeout=min(TIMEOUT_SECONDS, left))

    return list(_process_state()[1].map(send, outbounds))
