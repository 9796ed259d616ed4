"""The SDK flow of an integrator over HTTP, against the bare ORM view in the same run:
``POST /v1/customers``, ``POST /v1/payment_methods/pm_card_visa/attach``, ``POST
/v1/customers/:id`` (``invoice_settings[default_payment_method]``) and ``POST
/v1/subscriptions`` (one monthly price, the first invoice charged to the card and paid).

    .venv/bin/python bench/sdk_flow.py [--rounds 4] [--seconds 3] [--connections 1]

Needs PostgreSQL (``DATABASE_URL``'s server, default postgres://postgres@127.0.0.1:5432): the
database ``DATABASE_URL`` names when its name contains "bench", else
``ledgerline_bench_sdk_flow``, is dropped, created, migrated and seeded like
``bench/api_overhead.py`` (an account, 1,000 events, ``ANALYZE``), plus a product and a monthly
price made through the API. One gunicorn (gthread) on 127.0.0.1 serves the flow and the bare
view ``GET /bench/bare-events`` (the same baseline as the API overhead claim: the account's ten
newest events read with the ORM and rendered, no authentication or request log), driven in
interleaved rounds by closed-loop threads, one keep-alive connection each. Tasks run inline
(``CELERY_TASK_ALWAYS_EAGER``), so the customer email of a paid invoice is part of the flow
(drafted and sent to Django's in-memory backend).

Every answer is checked (status, object, the subscription ``active`` with its first invoice), and
afterwards the database must hold one active subscription, one paid invoice and one succeeded
charge per flow. The figure reported is the flow's requests/s as a share of the bare view's.
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
from bench.api_overhead import seed  # noqa: E402

DATABASE = "ledgerline_bench_sdk_flow"
BARE_PATH = "/bench/bare-events"


def _call(conn, method: str, path: str, params: dict, headers: dict) -> tuple[int, dict, float]:
    body = urllib.parse.urlencode(params) if params else None
    began = time.perf_counter()
    conn.request(
        method,
        path,
        body=body,
        headers={**headers, "Content-Type": "application/x-www-form-urlencoded"},
    )
    response = conn.getresponse()
    data = response.read()
    return response.status, json.loads(data), (time.perf_counter() - began) * 1000


class UnexpectedAnswer(Exception):
    pass


def _expect(condition: bool, detail: object) -> None:
    if not condition:
        raise UnexpectedAnswer(repr(detail)[:400])


def _flow(conn, auth: dict, price: str, email: str, out: dict[str, list[float]]) -> None:
    """One integrator's four calls; raises ``UnexpectedAnswer`` on any unexpected answer."""
    status, customer, ms = _call(conn, "POST", "/v1/customers", {"email": email}, auth)
    _expect(status == 200 and customer.get("object") == "customer", (status, customer))
    out["customer"].append(ms)
    status, pm, ms = _call(
        conn,
        "POST",
        "/v1/payment_methods/pm_card_visa/attach",
        {"customer": customer["id"]},
        auth,
    )
    _expect(status == 200 and pm.get("customer") == customer["id"], (status, pm))
    out["attach"].append(ms)
    status, updated, ms = _call(
        conn,
        "POST",
        f"/v1/customers/{customer['id']}",
        {"invoice_settings[default_payment_method]": pm["id"]},
        auth,
    )
    _expect(status == 200, (status, updated))
    _expect(updated["invoice_settings"]["default_payment_method"] == pm["id"], updated)
    out["default"].append(ms)
    status, sub, ms = _call(
        conn,
        "POST",
        "/v1/subscriptions",
        {"customer": customer["id"], "items[0][price]": price},
        auth,
    )
    _expect(status == 200 and sub.get("status") == "active", (status, sub))
    _expect(sub.get("latest_invoice", "").startswith("in_"), sub)
    out["subscription"].append(ms)


def run_flows(
    *, port: int, connections: int, seconds: float, auth: dict, price: str, tag: str
) -> dict:
    """Closed loop per connection, each looping the four-call flow until ``seconds`` pass."""
    calls = ("customer", "attach", "default", "subscription")
    latencies = [{name: [] for name in calls} for _ in range(connections)]
    errors: list[str] = []
    barrier = threading.Barrier(connections + 1)

    def loop(index: int) -> None:
        conn = http.client.HTTPConnection(_support.LOOPBACK, port, timeout=30)
        barrier.wait()
        deadline = time.perf_counter() + seconds
        n = 0
        try:
            while time.perf_counter() < deadline and not errors:
                n += 1
                _flow(conn, auth, price, f"{tag}-{index}-{n}@example.com", latencies[index])
        except UnexpectedAnswer as error:
            errors.append(f"unexpected answer: {str(error)[:400]}")
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
    per_call = {name: [v for out in latencies for v in out[name]] for name in calls}
    flows = len(per_call["subscription"])
    return {"requests": 4 * flows, "flows": flows, "seconds": elapsed, "calls": per_call}


def _price_create(port: int, auth: dict) -> str:
    conn = http.client.HTTPConnection(_support.LOOPBACK, port, timeout=30)
    try:
        status, product, _ = _call(conn, "POST", "/v1/products", {"name": "Pro"}, auth)
        _expect(status == 200, product)
        status, price, _ = _call(
            conn,
            "POST",
            "/v1/prices",
            {
                "product": product["id"],
                "unit_amount": 2500,
                "currency": "usd",
                "recurring[interval]": "month",
            },
            auth,
        )
        _expect(status == 200, price)
        return price["id"]
    finally:
        conn.close()


def _consistency(account_id: str, flows: int) -> tuple[bool, str]:
    from apps.invoices.models import Invoice
    from apps.payments.models import Charge
    from apps.subscriptions.models import Subscription

    active = Subscription.objects.filter(account_id=account_id, status="active").count()
    paid = Invoice.objects.filter(account_id=account_id, status="paid").count()
    charges = Charge.objects.filter(account_id=account_id, status="succeeded").count()
    text = f"{flows} flows: {active} active subscriptions, {paid} paid invoices, {charges} charges"
    return active == paid == charges == flows, text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=3.0, help="per URL per round")
    parser.add_argument("--connections", type=int, default=1)
    parser.add_argument("--workers", type=int, default=1, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=1, help="threads per gunicorn worker")
    args = parser.parse_args()

    database_url = _support.named_database_url(DATABASE)
    _support.database_recreate(database_url)
    # The customer emails are drafted and sent in-process, kept in memory rather than printed.
    env = _support.bench_env(
        DATABASE_URL=database_url, EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"
    )
    _support.manage("migrate", "--noinput", env=env)
    account_id, secret_key = seed(database_url=database_url, events=1000)
    env["BENCH_ACCOUNT_ID"] = account_id
    auth = {"Authorization": f"Bearer {secret_key}"}

    bare: list[_support.Sample] = []
    flows: list[dict] = []
    with _support.gunicorn(env=env, workers=args.workers, threads=args.threads) as port:
        price = _price_create(port, auth)
        drive = {"port": port, "connections": args.connections}
        _support.drive(**drive, path=BARE_PATH, headers={}, seconds=1)  # warm-up, not counted
        warm = run_flows(**drive, seconds=1, auth=auth, price=price, tag="warm")
        for round_no in range(args.rounds):
            order = ("bare", "flow") if round_no % 2 == 0 else ("flow", "bare")
            for name in order:
                if name == "bare":
                    bare.append(
                        _support.drive(**drive, path=BARE_PATH, headers={}, seconds=args.seconds)
                    )
                else:
                    flows.append(
                        run_flows(
                            **drive,
                            seconds=args.seconds,
                            auth=auth,
                            price=price,
                            tag=f"r{round_no}",
                        )
                    )

    bare_rps = sum(s.requests for s in bare) / sum(s.seconds for s in bare)
    bare_latencies = [v for s in bare for v in s.latencies_ms]
    flow_rps = sum(f["requests"] for f in flows) / sum(f["seconds"] for f in flows)
    total_flows = sum(f["flows"] for f in flows)
    consistent, text = _consistency(account_id, total_flows + warm["flows"])

    print(f"SDK flow ({time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC)")
    print(
        f"  gunicorn gthread {args.workers} worker(s) x {args.threads} thread(s); "
        f"{args.connections} keep-alive connection(s); {args.rounds} interleaved rounds x "
        f"{args.seconds:g} s each"
    )
    print(f"  {'':<40}{'requests':>10}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}")
    print(
        f"  {'bare view GET ' + BARE_PATH:<40}{len(bare_latencies):>10}{bare_rps:>9.1f}"
        f"{_support.percentile(bare_latencies, 0.5):>9.2f}"
        f"{_support.percentile(bare_latencies, 0.95):>9.2f}"
    )
    print(f"  {'flow (4 calls)':<40}{4 * total_flows:>10}{flow_rps:>9.1f}")
    labels = {
        "customer": "POST /v1/customers",
        "attach": "POST /v1/payment_methods/:id/attach",
        "default": "POST /v1/customers/:id (default pm)",
        "subscription": "POST /v1/subscriptions",
    }
    for name, label in labels.items():
        values = [v for f in flows for v in f["calls"][name]]
        print(
            f"    {label:<38}{len(values):>10}{'':>9}"
            f"{_support.percentile(values, 0.5):>9.2f}{_support.percentile(values, 0.95):>9.2f}"
        )
    print(f"  checks: {text}: {'PASS' if consistent else 'FAIL'}")
    print(f"  flow req/s / bare req/s: {flow_rps / bare_rps:.1%}")
    return 0 if consistent else 1


if __name__ == "__main__":
    sys.exit(main())
