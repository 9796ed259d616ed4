"""Customers and charges over HTTP: ``POST /v1/customers`` (with ``source=tok_visa``) then
``POST /v1/charges`` (``customer=…``, the test card) sustained against gunicorn on PostgreSQL,
with a bare Django view measured in the same run as the ceiling. Target: the API's requests/s
at least 40% of the bare view's.

    .venv/bin/python bench/customers_charges.py [--seconds 10] [--connections 4] [--workers 2]

The database ``DATABASE_URL`` names when its name contains "bench", else
``ledgerline_bench_charges``, is dropped, created and migrated. The bare view is
``POST /bench/bare-post`` (``bench/bench_urls.py``): reads the form body and answers a fixed
JSON object, behind the same middleware. Every API answer is checked (201/200 with the
expected object, charge ``succeeded``) and the database is checked afterwards: one succeeded
charge per customer, no more, no less.
"""

import argparse
import http.client
import json
import os
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench import _support  # noqa: E402

DATABASE = "ledgerline_bench_charges"
TARGET = 0.40


def _post(conn, path: str, params: dict, headers: dict) -> tuple[int, bytes, float]:
    body = urllib.parse.urlencode(params)
    began = time.perf_counter()
    conn.request(
        "POST",
        path,
        body=body,
        headers={**headers, "Content-Type": "application/x-www-form-urlencoded"},
    )
    response = conn.getresponse()
    data = response.read()
    return response.status, data, (time.perf_counter() - began) * 1000


def run(*, port: int, connections: int, seconds: float, api: dict | None) -> dict:
    """Closed loop per connection: the customer+charge pair (``api``), or bare POSTs."""
    latencies: list[list[float]] = [[] for _ in range(connections)]
    pairs = [0] * connections
    errors: list[str] = []
    barrier = threading.Barrier(connections + 1)

    def loop(index: int) -> None:
        conn = http.client.HTTPConnection(_support.LOOPBACK, port, timeout=30)
        out = latencies[index]
        barrier.wait()
        deadline = time.perf_counter() + seconds
        n = 0
        try:
            while time.perf_counter() < deadline and not errors:
                n += 1
                if api is None:
                    status, body, ms = _post(conn, "/bench/bare-post", {"n": n}, {})
                    out.append(ms)
                    if status != 200:
                        errors.append(f"bare view answered {status}")
                    continue
                status, body, ms = _post(
                    conn,
                    "/v1/customers",
                    {"email": f"c{index}-{n}@example.com", "source": "tok_visa"},
                    api,
                )
                out.append(ms)
                customer = json.loads(body)
                if status != 200 or customer.get("object") != "customer":
                    errors.append(f"POST /v1/customers answered {status}: {body[:300]!r}")
                    return
                status, body, ms = _post(
                    conn,
                    "/v1/charges",
                    {"amount": 2000, "currency": "usd", "customer": customer["id"]},
                    api,
                )
                out.append(ms)
                charge = json.loads(body)
                if status != 200 or charge.get("status") != "succeeded":
                    errors.append(f"POST /v1/charges answered {status}: {body[:300]!r}")
                    return
                pairs[index] += 1
        finally:
            conn.close()

    threads = [threading.Thread(target=loop, args=(i,)) for i in range(connections)]
    for thread in threads:
        thread.start()
    barrier.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    if errors:
        raise SystemExit(errors[0])
    merged = [value for out in latencies for value in out]
    return {
        "requests": len(merged),
        "rps": len(merged) / elapsed,
        "pairs": sum(pairs),
        "p50": _support.percentile(merged, 0.50),
        "p95": _support.percentile(merged, 0.95),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=2, help="threads per gunicorn worker")
    args = parser.parse_args()

    database_url = _support.named_database_url(DATABASE)
    _support.database_recreate(database_url)
    env = _support.bench_env(DATABASE_URL=database_url)
    _support.manage("migrate", "--noinput", env=env)
    os.environ.update(env)
    import django

    django.setup()
    from apps.accounts.services import account_create

    account, tokens = account_create(name="Bench Co")
    api = {"Authorization": f"Bearer {tokens['secret_key']}"}

    print(f"Customers and charges ({time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC)")
    print(
        f"  gunicorn gthread {args.workers} worker(s) x {args.threads} thread(s); "
        f"{args.connections} keep-alive connection(s); {args.seconds:g} s each"
    )
    with _support.gunicorn(env=env, workers=args.workers, threads=args.threads) as port:
        run(port=port, connections=args.connections, seconds=1, api=None)  # warm-up
        run(port=port, connections=args.connections, seconds=1, api=api)
        bare = run(port=port, connections=args.connections, seconds=args.seconds, api=None)
        ledger = run(port=port, connections=args.connections, seconds=args.seconds, api=api)

    from apps.customers.models import Customer
    from apps.payments.models import Charge

    customers = Customer.objects.filter(account=account).count()
    succeeded = Charge.objects.filter(account=account, status="succeeded").count()
    charged = Charge.objects.filter(account=account).values("customer").distinct().count()
    print(f"  {'':<34}{'requests':>10}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}")
    for name, row in (("bare view POST /bench/bare-post", bare), ("customer + charge", ledger)):
        print(
            f"  {name:<34}{row['requests']:>10}{row['rps']:>9.1f}"
            f"{row['p50']:>9.2f}{row['p95']:>9.2f}"
        )
    share = ledger["rps"] / bare["rps"]
    consistent = customers == succeeded == charged
    print(
        f"  customers {customers}, succeeded charges {succeeded}, customers charged {charged}: "
        f"{'consistent' if consistent else 'INCONSISTENT'}"
    )
    verdict = "PASS" if share >= TARGET and consistent else "FAIL"
    print(f"  API req/s / bare req/s: {share:.0%}  (target >= {TARGET:.0%})  {verdict}")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
