"""A fast-enough webhook receiver for bench/webhook_delivery.py, run as its own process.

    python bench/_webhooks_support.py <port> <signing secret>

Answers every POST with 200 after checking the Stripe-Signature header (HMAC-SHA256 of
"<t>.<body>" with the secret) and counts deliveries per event id; ``GET /stats`` returns
``{"hits", "unique", "bad_signatures"}`` and ``POST /reset`` clears the counters.
"""

import hashlib
import hmac
import json
import sys
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

_lock = threading.Lock()
_counts: Counter[str] = Counter()
_bad = [0]


def _valid(secret: bytes, header: str, body: bytes) -> bool:
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    expected = hmac.new(secret, parts.get("t", "").encode() + b"." + body, hashlib.sha256)
    return hmac.compare_digest(expected.hexdigest(), parts.get("v1", ""))


def handler_for(secret: bytes):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _answer(self, body: bytes) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if self.path == "/reset":
                with _lock:
                    _counts.clear()
                    _bad[0] = 0
            elif _valid(secret, self.headers.get("Stripe-Signature", ""), body):
                event_id = json.loads(body)["id"]
                with _lock:
                    _counts[event_id] += 1
            else:
                with _lock:
                    _bad[0] += 1
            self._answer(b'{"received":true}')

        def do_GET(self):  # noqa: N802
            with _lock:
                stats = {
                    "hits": sum(_counts.values()),
                    "unique": len(_counts),
                    "bad_signatures": _bad[0],
                }
            self._answer(json.dumps(stats).encode())

        def log_message(self, format, *args):
            pass

    return Handler


def main() -> None:
    port, secret = int(sys.argv[1]), sys.argv[2].encode()
    server = ThreadingHTTPServer(("127.0.0.1", port), handler_for(secret))
    server.daemon_threads = True
    server.request_queue_size = 256
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
