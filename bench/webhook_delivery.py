"""Webhook delivery throughput: signed deliveries to a local receiver through 2 Celery worker
processes on Redis + PostgreSQL, at >= 500 deliveries/s with none lost.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/h_bench_wh REDIS_URL=redis://127.0.0.1:6379/9 \\
        .venv/bin/python bench/webhook_delivery.py [--events 5000] [--workers 2] [--concurrency 4]

The database named in ``DATABASE_URL`` (its name must contain "bench"; default
``ledgerline_bench_webhooks``) is dropped, created and migrated; the ``webhooks`` queue of
``REDIS_URL`` is emptied. One account, one endpoint (``*``) on 127.0.0.1. The receiver
(``bench/_webhooks_support.py``: asyncio HTTP/1.1 keep-alive server, ``--receiver-processes``
sharing the port) verifies every ``Stripe-Signature`` and counts deliveries per event id, so
every expected event is checked for (lost) and repeats are counted (duplicates).

Measured in the same run, each of ``--events`` signed, event-sized POSTs:

1. receiver ceiling: an asyncio load generator, 16 keep-alive connections, prebuilt requests;
2. baseline: plain threads (``--baseline-threads``, one keep-alive ``requests.Session`` each;
   no Celery, no database) signing and posting the bodies;
3. Ledgerline, backlog drain: events recorded (100 per transaction) with their send tasks held
   back, then all enqueued at once; rate = deliveries ÷ (first enqueue → last delivery
   succeeded in the database). This is the target's figure;
4. Ledgerline, end to end: events recorded ``--per-transaction`` per transaction while the
   workers deliver; rate = events ÷ (first event recorded → last delivery succeeded).

Exits 1 if a delivery is lost, failed or badly signed, or if the backlog rate is under 500/s.
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench import _support, _webhooks_support  # noqa: E402

DEFAULT_DATABASE = "ledgerline_bench_webhooks"
TARGET = 500.0


def data_object(n: int) -> dict:
    return {
        "id": f"cus_bench{n:06d}",
        "object": "customer",
        "email": f"customer{n}@example.com",
        "name": f"Customer {n}",
        "balance": 0,
        "currency": "usd",
        "metadata": {"order": str(n)},
    }


def event_body(n: int) -> bytes:
    return json.dumps(
        {
            "id": f"evt_base{n:06d}",
            "object": "event",
            "api_version": "2024-06-20",
            "created": int(time.time()),
            "data": {"object": data_object(n)},
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": "customer.created",
        },
        indent=2,
    ).encode()


class Receiver:
    def __init__(self, port: int, secret: str, processes: int) -> None:
        self.process = subprocess.Popen(
            [
                sys.executable,
                os.path.join(_support.ROOT, "bench", "_webhooks_support.py"),
                str(port),
                secret,
                str(processes),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        if self.process.stdout.readline().strip() != "ready":
            raise SystemExit("the receiver did not start")

    def _ask(self, command: str) -> dict:
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def reset(self) -> None:
        self._ask("reset")

    def stats(self) -> dict:
        return self._ask("stats")

    def stop(self) -> None:
        try:
            self.process.stdin.close()
            self.process.wait(10)
        except (OSError, subprocess.TimeoutExpired):
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def check(stats: dict, expected: set[str]) -> dict:
    seen = Counter(stats["ids"])
    return {
        "hits": stats["hits"],
        "lost": len(expected - set(seen)),
        "duplicates": sum(count - 1 for event_id, count in seen.items() if event_id in expected),
        "unexpected": len(set(seen) - expected),
        "bad_signatures": stats["bad_signatures"],
    }


def receiver_ceiling(*, port: int, secret: str, count: int, processes: int) -> float:
    requests = [
        _webhooks_support.signed_request(
            path="/hooks", body=event_body(n), secret=secret, timestamp=int(time.time())
        )
        for n in range(count)
    ]
    return _webhooks_support.load(port=port, requests=requests, connections=16, processes=processes)


def baseline(*, url: str, secret: str, count: int, threads: int) -> float:
    """Signed POSTs of event-sized bodies from plain threads; returns POSTs per second."""
    import requests

    from apps.webhooks.signing import signature_header

    bodies = [event_body(n) for n in range(count)]
    cursor = iter(range(count))
    lock = threading.Lock()
    errors: list[str] = []

    def loop() -> None:
        session = requests.Session()
        while True:
            with lock:
                n = next(cursor, None)
            if n is None:
                return
            header = signature_header(payload=bodies[n], secret=secret, timestamp=int(time.time()))
            response = session.post(
                url,
                data=bodies[n],
                headers={"Content-Type": "application/json", "Stripe-Signature": header},
                timeout=10,
            )
            if response.status_code != 200:
                errors.append(str(response.status_code))

    workers = [threading.Thread(target=loop) for _ in range(threads)]
    began = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - began
    if errors:
        raise SystemExit(f"baseline: receiver answered {errors[0]}")
    return count / elapsed


def wait_succeeded(count: int, timeout: float) -> float:
    """Poll until ``count`` deliveries in all succeeded; returns when (perf_counter)."""
    from apps.webhooks.enums import DeliveryStatus
    from apps.webhooks.models import WebhookDelivery

    deadline = time.perf_counter() + timeout
    while True:
        done = WebhookDelivery.objects.filter(status=DeliveryStatus.SUCCEEDED).count()
        now = time.perf_counter()
        if done >= count:
            return now
        if now > deadline:
            raise SystemExit(f"only {done} of {count} deliveries succeeded within {timeout:g} s")
        time.sleep(0.02)


def record(account, *, first: int, count: int, per_transaction: int) -> list[str]:
    from django.db import transaction

    from apps.core.events import event_record

    ids: list[str] = []
    for start in range(first, first + count, per_transaction):
        with transaction.atomic():
            for n in range(start, min(start + per_transaction, first + count)):
                event = event_record(
                    account=account, type="customer.created", data_object=data_object(n)
                )
                ids.append(event.id)
    return ids


def record_held_back(account, *, first: int, count: int) -> tuple[list[str], list[list[str]]]:
    """Record events with their send tasks captured instead of queued: (event ids, batches)."""
    from apps.webhooks.tasks import webhook_deliveries_send_task as task

    batches: list[list[str]] = []
    task.delay = lambda *, delivery_ids: batches.append(delivery_ids)
    try:
        ids = record(account, first=first, count=count, per_transaction=100)
    finally:
        del task.delay
    return ids, batches


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=5000, help="events per measurement")
    parser.add_argument("--workers", type=int, default=2, help="Celery worker processes")
    parser.add_argument("--concurrency", type=int, default=4, help="batch tasks per worker")
    parser.add_argument("--per-transaction", type=int, default=100, help="end-to-end phase")
    parser.add_argument("--baseline-threads", type=int, default=16)
    parser.add_argument("--receiver-processes", type=int, default=1)
    parser.add_argument("--load-processes", type=int, default=1)
    args = parser.parse_args()

    url_db = _support.named_database_url(DEFAULT_DATABASE)
    redis_url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    _support.database_recreate(url_db)
    env = _support.bench_env(DATABASE_URL=url_db, REDIS_URL=redis_url, CELERY_TASK_ALWAYS_EAGER="0")
    _support.manage("migrate", "--noinput", env=env)
    os.environ.update(env)
    import django

    django.setup()
    import redis

    from apps.accounts.services import account_create
    from apps.core.actor import SYSTEM
    from apps.webhooks import transport
    from apps.webhooks.enums import DeliveryStatus
    from apps.webhooks.models import WebhookAttempt, WebhookDelivery
    from apps.webhooks.services import webhook_endpoint_create
    from apps.webhooks.services.deliveries import BATCH_SIZE
    from apps.webhooks.tasks import webhook_deliveries_send_task

    port = _support.free_port()
    url = f"http://{_support.LOOPBACK}:{port}/hooks"
    account, _ = account_create(name="Bench Co")
    endpoint = webhook_endpoint_create(account=account, url=url, enabled_events=["*"], actor=SYSTEM)
    receiver = Receiver(port, endpoint.secret, args.receiver_processes)
    processes: list[subprocess.Popen] = []
    try:
        ceiling = receiver_ceiling(
            port=port, secret=endpoint.secret, count=args.events, processes=args.load_processes
        )
        ceiling_check = check(receiver.stats(), {f"evt_base{n:06d}" for n in range(args.events)})
        receiver.reset()
        base_rate = baseline(
            url=url, secret=endpoint.secret, count=args.events, threads=args.baseline_threads
        )
        base_check = check(receiver.stats(), {f"evt_base{n:06d}" for n in range(args.events)})
        receiver.reset()

        redis.Redis.from_url(redis_url).delete("webhooks")
        processes = _support.workers_start(
            env=env, queue="webhooks", workers=args.workers, concurrency=args.concurrency
        )
        # Warm-up through the whole path, so workers are up and their pools connected.
        warm = args.workers * args.concurrency * 4
        record(account, first=10**6, count=warm, per_transaction=1)
        wait_succeeded(warm, timeout=120)
        done = warm

        # Backlog drain.
        event_ids, batches = record_held_back(account, first=0, count=args.events)
        receiver.reset()
        began = time.perf_counter()
        for batch in batches:
            webhook_deliveries_send_task.delay(delivery_ids=batch)
        enqueue_seconds = time.perf_counter() - began
        finished = wait_succeeded(done + args.events, timeout=600)
        done += args.events
        drain_rate = args.events / (finished - began)
        drain_check = check(receiver.stats(), set(event_ids))
        receiver.reset()

        # End to end, recording while delivering.
        began = time.perf_counter()
        event_ids = record(
            account, first=args.events, count=args.events, per_transaction=args.per_transaction
        )
        recorded = time.perf_counter()
        finished = wait_succeeded(done + args.events, timeout=600)
        e2e_rate = args.events / (finished - began)
        record_rate = args.events / (recorded - began)
        e2e_check = check(receiver.stats(), set(event_ids))
    finally:
        _support.workers_stop(processes)
        receiver.stop()

    not_succeeded = WebhookDelivery.objects.exclude(status=DeliveryStatus.SUCCEEDED).count()
    attempts = WebhookAttempt.objects.count()
    unfinished = WebhookAttempt.objects.filter(finished_at__isnull=True).count()
    checks = (ceiling_check, base_check, drain_check, e2e_check)
    clean = all(c["lost"] == 0 and c["bad_signatures"] == 0 for c in checks) and not_succeeded == 0
    ok = clean and drain_rate >= TARGET

    def tally(c: dict) -> str:
        return (
            f"{c['hits']:,} hits, lost {c['lost']}, duplicates {c['duplicates']}, "
            f"bad signatures {c['bad_signatures']}"
        )

    print(f"events per measurement:  {args.events:,}, one endpoint on 127.0.0.1, signed")
    print(
        f"receiver:                asyncio HTTP/1.1 keep-alive, {args.receiver_processes} "
        f"process(es), verifies every signature, counts event ids"
    )
    print(
        f"ledgerline workers:      {args.workers} Celery processes, --pool threads "
        f"--concurrency {args.concurrency}; batches of {BATCH_SIZE}, {transport.SEND_THREADS} "
        f"POSTs at once per process; Redis {redis_url}; PostgreSQL {url_db.rsplit('/', 1)[1]}"
    )
    print(f"receiver ceiling:        {ceiling:8,.0f} POSTs/s  ({tally(ceiling_check)})")
    print(
        f"baseline, plain threads: {base_rate:8,.0f} POSTs/s  ({args.baseline_threads} threads, "
        f"requests.Session; {tally(base_check)})"
    )
    print(
        f"ledgerline, backlog:     {drain_rate:8,.0f} deliveries/s  "
        f"x{drain_rate / base_rate:.2f} baseline, x{drain_rate / ceiling:.2f} receiver ceiling "
        f"({len(batches)} tasks enqueued in {enqueue_seconds:.2f} s; {tally(drain_check)})"
    )
    print(
        f"ledgerline, end to end:  {e2e_rate:8,.0f} deliveries/s  "
        f"x{e2e_rate / base_rate:.2f} baseline, x{e2e_rate / ceiling:.2f} receiver ceiling "
        f"(recording {record_rate:,.0f} events/s at {args.per_transaction} per transaction; "
        f"{tally(e2e_check)})"
    )
    print(
        f"database:                {not_succeeded} deliveries not succeeded, "
        f"{attempts:,} attempts, {unfinished} without outcome"
    )
    print(f"target >= {TARGET:.0f} deliveries/s (backlog), none lost: {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
