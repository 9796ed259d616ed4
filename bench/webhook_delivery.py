"""Webhook delivery throughput: events recorded through the outbox reach a local receiver,
signed, through Celery workers on Redis, at >= 500 deliveries/s with none lost.

    .venv/bin/python bench/webhook_delivery.py [--events 5000] [--workers 2] [--concurrency 8]
                                               [--per-transaction 1]

Needs PostgreSQL (``DATABASE_URL``'s server) and Redis (``REDIS_URL``, default
redis://127.0.0.1:6379/0; its ``webhooks`` queue is emptied first). The database
``ledgerline_bench_webhooks`` is dropped, created and migrated. A receiver process on
127.0.0.1 checks every signature and counts deliveries per event id.

1. Baseline: the same number of signed POSTs of the same size sent to the receiver by plain
   threads (one keep-alive requests.Session each; no Celery, no database).
2. Ledgerline: ``--workers`` Celery worker processes (``--pool threads --concurrency N``) on
   the ``webhooks`` queue; the bench records ``--events`` events (``--per-transaction`` per
   transaction) for an account with one endpoint and waits until every delivery succeeded.
   Deliveries/s = events ÷ (first event recorded → last delivery succeeded).

Exits 1 if a delivery is missing, failed, or badly signed, or if the rate is under 500/s.
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench import _support  # noqa: E402

DATABASE = "ledgerline_bench_webhooks"
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


def receiver_start(port: int, secret: str) -> subprocess.Popen:
    process = subprocess.Popen(
        [
            sys.executable,
            os.path.join(_support.ROOT, "bench", "_webhooks_support.py"),
            str(port),
            secret,
        ],
        stdout=subprocess.PIPE,
        start_new_session=True,
    )
    assert process.stdout.readline().strip() == b"ready"
    return process


def receiver_stats(port: int) -> dict:
    return json.loads(_support.request_once(port, "/stats")[1])


def receiver_reset(port: int) -> None:
    import requests

    requests.post(f"http://{_support.LOOPBACK}:{port}/reset", timeout=5)


def baseline(*, url: str, secret: str, count: int, threads: int) -> float:
    """Signed POSTs of event-sized bodies from plain threads; returns POSTs per second."""
    import requests

    from apps.webhooks.signing import signature_header

    bodies = [
        json.dumps(
            {
                "id": f"evt_base{n:06d}",
                "object": "event",
                "type": "customer.created",
                "data": {"object": data_object(n)},
                "pending_webhooks": 1,
                "livemode": False,
            },
            indent=2,
        ).encode()
        for n in range(count)
    ]
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


def workers_start(*, env: dict, workers: int, concurrency: int) -> list[subprocess.Popen]:
    return [
        subprocess.Popen(
            [
                os.path.join(_support.VENV_BIN, "celery"),
                "-A",
                "config",
                "worker",
                "-Q",
                "webhooks",
                "--pool",
                "threads",
                "--concurrency",
                str(concurrency),
                "--hostname",
                f"bench-webhooks-{n}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel",
                "WARNING",
            ],
            cwd=_support.ROOT,
            env=env,
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


def wait_succeeded(count: int, timeout: float) -> float:
    """Poll until ``count`` deliveries succeeded; returns when (perf_counter)."""
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
        time.sleep(0.05)


def record(account, *, first: int, count: int, per_transaction: int) -> None:
    from django.db import transaction

    from apps.core.events import event_record

    for start in range(first, first + count, per_transaction):
        with transaction.atomic():
            for n in range(start, min(start + per_transaction, first + count)):
                event_record(account=account, type="customer.created", data_object=data_object(n))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=2, help="Celery worker processes")
    parser.add_argument("--concurrency", type=int, default=8, help="threads per worker")
    parser.add_argument("--per-transaction", type=int, default=1, help="events per transaction")
    parser.add_argument("--baseline-threads", type=int, default=16)
    args = parser.parse_args()

    database_url = _support.database_url(DATABASE)
    redis_url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    _support.database_recreate(database_url)
    env = _support.bench_env(
        DATABASE_URL=database_url, REDIS_URL=redis_url, CELERY_TASK_ALWAYS_EAGER="0"
    )
    _support.manage("migrate", "--noinput", env=env)
    os.environ.update(env)
    import django

    django.setup()
    import redis

    from apps.accounts.services import account_create
    from apps.core.actor import SYSTEM
    from apps.webhooks.enums import DeliveryStatus
    from apps.webhooks.models import WebhookDelivery
    from apps.webhooks.services import webhook_endpoint_create

    port = _support.free_port()
    url = f"http://{_support.LOOPBACK}:{port}/hooks"
    account, _ = account_create(name="Bench Co")
    endpoint = webhook_endpoint_create(account=account, url=url, enabled_events=["*"], actor=SYSTEM)
    receiver = receiver_start(port, endpoint.secret)
    processes: list[subprocess.Popen] = []
    try:
        base_rate = baseline(
            url=url, secret=endpoint.secret, count=args.events, threads=args.baseline_threads
        )
        base_stats = receiver_stats(port)
        receiver_reset(port)

        redis.Redis.from_url(redis_url).delete("webhooks")
        processes = workers_start(env=env, workers=args.workers, concurrency=args.concurrency)
        # Warm-up: one delivery through the whole path, so workers are up and connected.
        record(account, first=10**6, count=args.workers * args.concurrency, per_transaction=1)
        wait_succeeded(args.workers * args.concurrency, timeout=120)
        warm = args.workers * args.concurrency
        receiver_reset(port)

        began = time.perf_counter()
        record(account, first=0, count=args.events, per_transaction=args.per_transaction)
        recorded = time.perf_counter()
        finished = wait_succeeded(warm + args.events, timeout=600)
        stats = receiver_stats(port)
    finally:
        workers_stop(processes)
        os.killpg(receiver.pid, signal.SIGTERM)
        receiver.wait()

    failed = WebhookDelivery.objects.exclude(status=DeliveryStatus.SUCCEEDED).count()
    rate = args.events / (finished - began)
    record_rate = args.events / (recorded - began)
    lost = args.events - stats["unique"]
    ok = lost == 0 and failed == 0 and stats["bad_signatures"] == 0 and rate >= TARGET
    print(f"events / deliveries:      {args.events:,} to one endpoint on 127.0.0.1")
    print(
        f"workers:                  {args.workers} Celery processes, --pool threads "
        f"--concurrency {args.concurrency}; each batch task posts up to 8 at once; "
        f"Redis {redis_url}"
    )
    print(f"events per transaction:   {args.per_transaction}")
    print(
        f"baseline (plain threads): {base_rate:,.0f} signed POSTs/s "
        f"({args.baseline_threads} threads, receiver saw {base_stats['hits']:,}, "
        f"{base_stats['bad_signatures']} bad signatures)"
    )
    print(
        f"recording:                {record_rate:,.0f} events/s (outbox + enqueue, bench process)"
    )
    print(f"ledgerline end to end:    {rate:,.0f} deliveries/s ({finished - began:.2f} s)")
    print(f"ratio to baseline:        {rate / base_rate:.2f}")
    print(
        f"receiver:                 {stats['hits']:,} hits, {stats['unique']:,} distinct events, "
        f"{stats['hits'] - stats['unique']} duplicates, {stats['bad_signatures']} bad signatures"
    )
    print(f"lost: {lost}   not succeeded in DB: {failed}")
    print(f"target >= {TARGET:.0f} deliveries/s: {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
