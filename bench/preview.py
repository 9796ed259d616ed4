"""Invoice preview cost: the next invoice of a 10-item subscription with one price changed
(``GET /v1/invoices/upcoming``, the same computation as ``POST /v1/invoices/create_preview``)
has a p95 at most 2x that of an authenticated ``GET /v1/customers/:id`` in the same run (issue
#15; it was 3x, issue #4).

    .venv/bin/python bench/preview.py [--rounds 6] [--seconds 2]

Needs PostgreSQL (``DATABASE_URL``'s server): its database when its name contains "bench", else
``ledgerline_bench_preview``, is dropped, created, migrated and seeded (11 monthly prices, a
customer with a card, a subscription with 10 items). One gunicorn (gthread) serves both URLs;
one keep-alive connection drives them in interleaved rounds. Exits 1 when the p95 ratio is
above the limit.
"""

import argparse
import json
import os
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench import _support  # noqa: E402

DATABASE = "ledgerline_bench_preview"
LIMIT = 2.0
ITEMS = 10


def seed(*, database_url: str) -> tuple[str, str, str]:
    """Returns the secret key, the customer path and the preview path."""
    os.environ.update(_support.bench_env(DATABASE_URL=database_url))
    import django

    django.setup()
    from apps.accounts.services import account_create
    from apps.catalog.price_params import new_price_parse
    from apps.catalog.services import price_create
    from apps.core.actor import SYSTEM
    from apps.customers.services import CustomerFields, customer_create
    from apps.subscriptions.services import ItemRequest, subscription_create

    account, tokens = account_create(name="Bench Co")
    prices = [
        price_create(
            account=account,
            price=new_price_parse(
                {
                    "product_data": {"name": f"Plan {n}"},
                    "currency": "usd",
                    "unit_amount": 1000 + 100 * n,
                    "recurring": {"interval": "month"},
                }
            ),
            actor=SYSTEM,
        )
        for n in range(ITEMS + 1)
    ]
    customer = customer_create(
        account=account,
        fields=CustomerFields(email="bench@example.com"),
        source="tok_visa",
        actor=SYSTEM,
    )
    subscription = subscription_create(
        account=account,
        customer=customer,
        items=[ItemRequest(price, quantity=2) for price in prices[:ITEMS]],
        actor=SYSTEM,
    )
    first = subscription.items.order_by("id").first()
    query = urllib.parse.urlencode(
        {
            "subscription": subscription.id,
            "subscription_items[0][id]": first.id,
            "subscription_items[0][price]": prices[ITEMS].id,
            "subscription_proration_date": int(time.time()) + 60,
        }
    )
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return tokens["secret_key"], f"/v1/customers/{customer.id}", f"/v1/invoices/upcoming?{query}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--seconds", type=float, default=2.0, help="per URL per round")
    args = parser.parse_args()

    database_url = _support.named_database_url(DATABASE)
    _support.database_recreate(database_url)
    env = _support.bench_env(DATABASE_URL=database_url)
    _support.manage("migrate", "--noinput", env=env)
    secret_key, customer_path, preview_path = seed(database_url=database_url)
    auth = {"Authorization": f"Bearer {secret_key}"}

    with _support.gunicorn(env=env, workers=1, threads=1) as port:
        status, body = _support.request_once(port, preview_path, auth)
        preview = json.loads(body)
        if status != 200 or len(preview["lines"]["data"]) != ITEMS + 2:
            raise SystemExit(f"preview answered {status}: {body[:300]!r}")
        targets = {"customer": customer_path, "preview": preview_path}
        samples: dict[str, list[_support.Sample]] = {name: [] for name in targets}
        for path in targets.values():
            _support.drive(port=port, path=path, headers=auth, connections=1, seconds=1)
        for round_no in range(args.rounds):
            order = list(targets) if round_no % 2 == 0 else list(reversed(targets))
            for name in order:
                samples[name].append(
                    _support.drive(
                        port=port,
                        path=targets[name],
                        headers=auth,
                        connections=1,
                        seconds=args.seconds,
                    )
                )
    stats = {}
    for name, runs in samples.items():
        latencies = [value for run in runs for value in run.latencies_ms]
        stats[name] = {
            "requests": sum(run.requests for run in runs),
            "p50": _support.percentile(latencies, 0.50),
            "p95": _support.percentile(latencies, 0.95),
        }
    ratio = stats["preview"]["p95"] / stats["customer"]["p95"]
    print(f"Invoice preview ({time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC)")
    print(
        f"  {ITEMS}-item subscription, one price changed: {len(preview['lines']['data'])} lines, "
        f"amount_due {preview['amount_due']}; gunicorn 1 worker; {args.rounds} rounds x "
        f"{args.seconds:g} s per URL"
    )
    print(f"  {'':<40}{'requests':>10}{'p50 ms':>9}{'p95 ms':>9}")
    for name, label in (
        ("customer", "GET /v1/customers/:id"),
        ("preview", "GET /v1/invoices/upcoming (preview)"),
    ):
        row = stats[name]
        print(f"  {label:<40}{row['requests']:>10}{row['p50']:>9.2f}{row['p95']:>9.2f}")
    verdict = "PASS" if ratio <= LIMIT else "FAIL"
    print(f"  p95 ratio (preview / customer): {ratio:.2f}x  limit {LIMIT:g}x  {verdict}")
    return 0 if ratio <= LIMIT else 1


if __name__ == "__main__":
    sys.exit(main())
