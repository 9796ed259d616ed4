"""Webhook receiver and load generator for bench/webhook_delivery.py (no Django).

Receiver, run as its own process group::

    python bench/_webhooks_support.py <port> <signing secret> [processes]

``processes`` asyncio servers share ``127.0.0.1:<port>`` through ``SO_REUSEPORT``; each parses
HTTP/1.1 straight off the socket (keep-alive, pipelining tolerated), checks every
``Stripe-Signature`` (HMAC-SHA256 of ``"<t>.<body>"`` keyed with the secret, Stripe's scheme)
and counts deliveries per event id, answering 200 (400 to a bad signature). The parent prints
``ready`` once all listen, then reads commands on stdin, one per line, answering one JSON line
on stdout: ``reset`` clears the counters, ``stats`` returns ``{"hits", "bad_signatures",
"ids": {event id: deliveries}}`` merged over the processes.

Load generator (``load``): closed-loop asyncio keep-alive connections posting prebuilt signed
requests, to measure the receiver's own ceiling.
"""

import asyncio
import hashlib
import hmac
import json
import multiprocessing
import os
import socket
import sys
import time
from collections import Counter

_OK = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 17\r\n\r\n"
_OK += b'{"received":true}'
_BAD = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"
_MAX_HEAD = 64 * 1024


class _State:
    def __init__(self, secret: bytes) -> None:
        self.secret = secret
        self.counts: Counter[str] = Counter()
        self.bad = 0

    def handle(self, head: bytes, body: bytes) -> bytes:
        signature = ""
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"stripe-signature":
                signature = value.strip().decode("latin-1")
        timestamp = ""
        candidates: list[str] = []
        for part in signature.split(","):
            key, _, value = part.strip().partition("=")
            if key == "t":
                timestamp = value
            elif key == "v1":
                candidates.append(value)
        expected = hmac.new(
            self.secret, timestamp.encode() + b"." + body, hashlib.sha256
        ).hexdigest()
        if not timestamp or not any(hmac.compare_digest(expected, c) for c in candidates):
            self.bad += 1
            return _BAD
        try:
            event_id = json.loads(body)["id"]
        except (ValueError, KeyError, TypeError):
            self.bad += 1
            return _BAD
        self.counts[event_id] += 1
        return _OK


class _Connection(asyncio.Protocol):
    def __init__(self, state: _State) -> None:
        self.state = state
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport) -> None:
        self.transport = transport
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer
        buffer += data
        out: list[bytes] = []
        close = False
        while True:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(buffer) > _MAX_HEAD:
                    close = True
                break
            head = bytes(buffer[:end])
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value)
                elif name == b"connection" and value.strip().lower() == b"close":
                    close = True
            if len(buffer) < end + 4 + length:
                close = False
                break
            body = bytes(buffer[end + 4 : end + 4 + length])
            del buffer[: end + 4 + length]
            out.append(self.state.handle(head, body))
            if close:
                break
        if out:
            self.transport.write(b"".join(out))
        if close:
            self.transport.close()


def _child(port: int, secret: bytes, control, ready) -> None:
    state = _State(secret)
    loop = asyncio.new_event_loop()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(1024)

    def command() -> None:
        line = control.recv()
        if line == "reset":
            state.counts.clear()
            state.bad = 0
            control.send({})
        elif line == "stats":
            control.send({"ids": dict(state.counts), "bad_signatures": state.bad})
        else:
            loop.stop()

    loop.add_reader(control.fileno(), command)
    loop.run_until_complete(loop.create_server(lambda: _Connection(state), sock=sock))
    ready.set()
    loop.run_forever()


def serve(port: int, secret: bytes, processes: int) -> None:
    context = multiprocessing.get_context("fork")
    pipes = []
    children = []
    for _ in range(processes):
        parent_end, child_end = context.Pipe()
        ready = context.Event()
        child = context.Process(target=_child, args=(port, secret, child_end, ready), daemon=True)
        child.start()
        ready.wait(30)
        pipes.append(parent_end)
        children.append(child)
    print("ready", flush=True)
    for line in sys.stdin:
        line = line.strip()
        if line == "reset":
            for pipe in pipes:
                pipe.send("reset")
            for pipe in pipes:
                pipe.recv()
            answer: dict = {}
        elif line == "stats":
            for pipe in pipes:
                pipe.send("stats")
            ids: Counter[str] = Counter()
            bad = 0
            for pipe in pipes:
                part = pipe.recv()
                ids.update(part["ids"])
                bad += part["bad_signatures"]
            answer = {"hits": sum(ids.values()), "bad_signatures": bad, "ids": dict(ids)}
        else:
            break
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()
    for pipe in pipes:
        pipe.send("stop")
    for child in children:
        child.join(5)


# --- load generator ---------------------------------------------------------------------------


def signed_request(*, path: str, body: bytes, secret: str, timestamp: int) -> bytes:
    signature = hmac.new(
        secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Stripe-Signature: t={timestamp},v1={signature}\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def _load(port: int, requests: list[bytes], connections: int) -> int:
    cursor = iter(requests)
    failures = 0

    async def one() -> None:
        nonlocal failures
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for request in cursor:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            if length:
                await reader.readexactly(length)
            if not head.startswith(b"HTTP/1.1 200"):
                failures += 1
        writer.close()

    await asyncio.gather(*(one() for _ in range(connections)))
    return failures


def _load_child(port: int, requests: list[bytes], connections: int, out) -> None:
    out.send(asyncio.run(_load(port, requests, connections)))


def load(*, port: int, requests: list[bytes], connections: int, processes: int) -> float:
    """Post every request (split over ``processes`` processes of ``connections`` keep-alive
    connections each); returns requests per second. Raises if one was not answered 200."""
    context = multiprocessing.get_context("fork")
    shares = [requests[n::processes] for n in range(processes)]
    pipes = []
    children = []
    for share in shares:
        parent_end, child_end = context.Pipe()
        children.append(
            context.Process(target=_load_child, args=(port, share, connections, child_end))
        )
        pipes.append(parent_end)
    began = time.perf_counter()
    for child in children:
        child.start()
    failures = sum(pipe.recv() for pipe in pipes)
    elapsed = time.perf_counter() - began
    for child in children:
        child.join()
    if failures:
        raise SystemExit(f"load generator: {failures} requests not answered 200")
    return len(requests) / elapsed


def main() -> None:
    port, secret = int(sys.argv[1]), sys.argv[2].encode()
    processes = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    serve(port, secret, max(1, processes))


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
