"""API overhead: ``GET /v1/events?limit=10`` through auth, tenancy and pagination costs at most
3x a bare Django view returning the same JSON, measured in the same run.

The bare view (``bench/bench_urls.py``) reads the same ten events with the ORM and renders them;
a third URL returning the pre-rendered body with no database is measured too, as the floor.

    .venv/bin/python bench/api_overhead.py [--rounds 6] [--seconds 2] [--connections 1]

Needs PostgreSQL (``DATABASE_URL``'s server, default postgres://postgres@127.0.0.1:5432): the
database ``ledgerline_bench_api`` is dropped, created, migrated and seeded with an account and
1,000 events. One gunicorn (gthread) serves the three URLs on 127.0.0.1; a closed-loop generator
(threads, one keep-alive connection each) drives them in interleaved rounds. Exits 1 when the
cost ratio is above the limit.
"""

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench import _support  # noqa: E402

DATABASE = "ledgerline_bench_api"
API_PATH = "/v1/events?limit=10"
BARE_PATH = "/bench/bare-events"
STATIC_PATH = "/bench/static-events"
LIMIT = 3.0


def seed(*, database_url: str, events: int) -> tuple[str, str]:
    """An account with ``events`` events; returns its id and secret key."""
    os.environ.update(_support.bench_env(DATABASE_URL=database_url))
    import django

    django.setup()
    from django.db import connection, transaction

    from apps.accounts.services import account_create
    from apps.core.events import event_record

    account, tokens = account_create(name="Bench Co")
    kinds = ("customer.created", "invoice.finalized", "invoice.paid", "charge.succeeded")
    with transaction.atomic():
        for n in range(events):
            event_record(
                account=account,
                type=kinds[n % len(kinds)],
                data_object={
                    "id": f"cus_bench{n:06d}",
                    "object": "customer",
                    "email": f"customer{n}@example.com",
                    "name": f"Customer {n}",
                    "balance": 0,
                    "currency": "usd",
                    "metadata": {"order": str(n)},
                },
            )
    with connection.cursor() as cursor:
        # Planner statistics, as autovacuum would gather them shortly after the seed.
        cursor.execute("ANALYZE")
    return account.id, tokens["secret_key"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--seconds", type=float, default=2.0, help="per URL per round")
    parser.add_argument("--connections", type=int, default=1)
    parser.add_argument("--workers", type=int, default=1, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=1, help="threads per gunicorn worker")
    args = parser.parse_args()

    database_url = _support.database_url(DATABASE)
    _support.database_recreate(database_url)
    body_file = os.path.join(_support.ROOT, "var", "bench", "api_overhead_body.json")
    os.makedirs(os.path.dirname(body_file), exist_ok=True)
    env = _support.bench_env(DATABASE_URL=database_url, BENCH_BARE_BODY=body_file)
    _support.manage("migrate", "--noinput", env=env)
    account_id, secret_key = seed(database_url=database_url, events=args.events)
    env["BENCH_ACCOUNT_ID"] = account_id
    auth = {"Authorization": f"Bearer {secret_key}"}

    with _support.gunicorn(env=env, workers=args.workers, threads=args.threads) as port:
        status, api_body = _support.request_once(port, API_PATH, auth)
        if status != 200 or len(json.loads(api_body)["data"]) != 10:
            raise SystemExit(f"{API_PATH} answered {status}: {api_body[:200]!r}")
        with open(body_file, "wb") as handle:
            handle.write(api_body)
        for path in (BARE_PATH, STATIC_PATH):
            status, bare_body = _support.request_once(port, path)
            if status != 200 or bare_body != api_body:
                raise SystemExit(f"{path} does not return the API's body (status {status})")

        targets = {
            "static": (STATIC_PATH, {}),
            "bare": (BARE_PATH, {}),
            "api": (API_PATH, auth),
        }
        samples: dict[str, list[_support.Sample]] = {name: [] for name in targets}
        for path, headers in targets.values():  # warm-up, not counted
            _support.drive(
                port=port, path=path, headers=headers, connections=args.connections, seconds=1
            )
        for round_no in range(args.rounds):
            order = list(targets) if round_no % 2 == 0 else list(reversed(targets))
            for name in order:
                path, headers = targets[name]
                samples[name].append(
                    _support.drive(
                        port=port,
                        path=path,
                        headers=headers,
                        connections=args.connections,
                        seconds=args.seconds,
                    )
                )

    stats = {}
    for name, runs in samples.items():
        latencies = [value for run in runs for value in run.latencies_ms]
        requests = sum(run.requests for run in runs)
        seconds = sum(run.seconds for run in runs)
        stats[name] = {
            "requests": requests,
            "rps": requests / seconds,
            "p50": _support.percentile(latencies, 0.50),
            "p95": _support.percentile(latencies, 0.95),
        }
    ratio = stats["bare"]["rps"] / stats["api"]["rps"]
    p50_ratio = stats["api"]["p50"] / stats["bare"]["p50"]
    floor_ratio = stats["static"]["rps"] / stats["api"]["rps"]

    print(f"API overhead ({time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC)")
    print(
        f"  {args.events} events, body {len(api_body)} bytes; gunicorn gthread "
        f"{args.workers} worker(s) x {args.threads} thread(s); {args.connections} keep-alive "
        f"connection(s); {args.rounds} interleaved rounds x {args.seconds:g} s per URL"
    )
    print(f"  {'':<26}{'requests':>10}{'req/s':>10}{'p50 ms':>9}{'p95 ms':>9}")
    labels = (
        ("static", f"static {STATIC_PATH}"),
        ("bare", f"bare {BARE_PATH}"),
        ("api", API_PATH),
    )
    for name, label in labels:
        row = stats[name]
        print(
            f"  {label:<26}{row['requests']:>10}{row['rps']:>10.1f}"
            f"{row['p50']:>9.2f}{row['p95']:>9.2f}"
        )
    verdict = "PASS" if ratio <= LIMIT else "FAIL"
    print(f"  floor ratio (static req/s / API req/s): {floor_ratio:.2f}x  (not the claim)")
    print(
        f"  cost ratio (bare req/s / API req/s): {ratio:.2f}x  "
        f"(p50 ratio {p50_ratio:.2f}x)  limit {LIMIT:g}x  {verdict}"
    )
    return 0 if ratio <= LIMIT else 1


if __name__ == "__main__":
    sys.exit(main())
