"""Customers at scale: with 1,000,000 customers in one account, customer search by exact email
answers with p95 under 20 ms and the dashboard's customers list page under 150 ms.

    .venv/bin/python bench/customers_scale.py [--customers 1000000] [--seconds 10]

Needs PostgreSQL (``DATABASE_URL``'s server, default postgres://postgres@127.0.0.1:5432): the
database ``ledgerline_bench_customers`` is dropped, created, migrated and filled by ``COPY``
(apps/core/bulk.py) with the customers, then ``ANALYZE``d. One gunicorn (gthread, 2 workers)
serves the API and the dashboard; one keep-alive connection per URL drives, in turn:

- ``GET /v1/customers/search?query=email:'…'`` with a different existing email each time;
- ``GET /v1/customers?email=…`` (the list filter, same emails);
- ``GET /dashboard/customers/customer/`` (first page, a signed-in administrator's session);
- ``GET /dashboard/customers/customer/?q=<email>`` (the list page's search);
- ``GET /bench/static-events``: a bare Django view, the floor of any request here.

Exits 1 when a p95 is over its limit.
"""

import argparse
import os
import random
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench import _support  # noqa: E402

DATABASE = "ledgerline_bench_customers"
SEARCH_LIMIT_MS = 20.0
PAGE_LIMIT_MS = 150.0
CHUNK = 50_000


def _email(n: int) -> str:
    return f"customer{n:07d}@example.com"


def seed(*, database_url: str, customers: int) -> dict[str, str]:
    """The account, its customers, an administrator's dashboard session and a secret key."""
    os.environ.update(_support.bench_env(DATABASE_URL=database_url))
    import django

    django.setup()
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.db import connection

    from apps.accounts.services import account_create, staff_user_create
    from apps.core import clock
    from apps.core.bulk import rows_insert
    from apps.core.ids import IdGenerator
    from apps.customers.models import Customer
    from apps.dashboard.middleware import SESSION_ACCOUNT_KEY
    from apps.dashboard.sites import SESSION_TWO_FACTOR_KEY

    account, tokens = account_create(name="Bench Co")
    user = staff_user_create(
        email="admin@bench.example",
        password="bench-password-1",
        account=account,
        role="administrator",
    )
    new_id = IdGenerator("cus")
    now = clock.now()
    started = time.perf_counter()
    for first in range(0, customers, CHUNK):
        rows = [
            Customer(
                id=new_id(),
                account=account,
                email=_email(n),
                name=f"Customer {n}",
                metadata={"n": str(n)},
                created_at=now,
                updated_at=now,
            )
            for n in range(first, min(first + CHUNK, customers))
        ]
        rows_insert(Customer, rows)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"  seeded {customers:,} customers in {time.perf_counter() - started:.1f} s")

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session[SESSION_TWO_FACTOR_KEY] = True
    session[SESSION_ACCOUNT_KEY] = account.id
    session.create()
    return {"secret_key": tokens["secret_key"], "session": session.session_key}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=10.0, help="per URL")
    parser.add_argument("--probes", type=int, default=2000, help="distinct emails asked for")
    args = parser.parse_args()

    database_url = _support.database_url(DATABASE)
    _support.database_recreate(database_url)
    body_file = os.path.join(_support.ROOT, "var", "bench", "static_body.json")
    os.makedirs(os.path.dirname(body_file), exist_ok=True)
    with open(body_file, "w") as handle:
        handle.write('{"object":"list","data":[],"has_more":false,"url":"/v1/customers"}')
    env = _support.bench_env(
        DATABASE_URL=database_url, BENCH_BARE_BODY=body_file, BENCH_ACCOUNT_ID="unused"
    )
    _support.manage("migrate", "--noinput", env=env)
    print(f"Customers at scale ({time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC)")
    seeded = seed(database_url=database_url, customers=args.customers)
    api = {"Authorization": f"Bearer {seeded['secret_key']}"}
    staff = {"Cookie": f"sessionid={seeded['session']}"}

    rng = random.Random(7)
    emails = [_email(rng.randrange(args.customers)) for _ in range(args.probes)]
    quoted = [urllib.parse.quote(e) for e in emails]
    targets = {
        "static view (floor)": (["/bench/static-events"], {}, None),
        "API search email:'…'": (
            [f"/v1/customers/search?query={urllib.parse.quote(f'email:{e!r}')}" for e in emails],
            api,
            SEARCH_LIMIT_MS,
        ),
        "API list ?email=…": ([f"/v1/customers?email={q}" for q in quoted], api, SEARCH_LIMIT_MS),
        "dashboard list page": (["/dashboard/customers/customer/"], staff, PAGE_LIMIT_MS),
        "dashboard list ?q=email": (
            [f"/dashboard/customers/customer/?q={q}" for q in quoted],
            staff,
            PAGE_LIMIT_MS,
        ),
    }
    failed = False
    print(f"  gunicorn gthread 2 workers; 1 connection; {args.seconds:g} s per URL")
    print(f"  {'':<26}{'requests':>10}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'limit':>8}")
    with _support.gunicorn(env=env, workers=2, threads=1) as port:
        for name, (paths, headers, limit) in targets.items():
            status, body = _support.request_once(port, paths[0], headers)
            if status != 200:
                raise SystemExit(f"{paths[0]} answered {status}: {body[:300]!r}")
            _support.drive(port=port, path=paths, headers=headers, connections=1, seconds=1)
            sample = _support.drive(
                port=port, path=paths, headers=headers, connections=1, seconds=args.seconds
            )
            p50 = _support.percentile(sample.latencies_ms, 0.50)
            p95 = _support.percentile(sample.latencies_ms, 0.95)
            verdict = ""
            if limit is not None:
                verdict = f"{limit:>6g}ms {'PASS' if p95 <= limit else 'FAIL'}"
                failed |= p95 > limit
            print(
                f"  {name:<26}{sample.requests:>10}{sample.requests / sample.seconds:>9.1f}"
                f"{p50:>9.2f}{p95:>9.2f}  {verdict}"
            )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
