"""Invoice run: N subscriptions (1–3 items each) due at the same instant are invoiced, finalized,
charged on the test processor and their events recorded by 2 Celery workers on PostgreSQL +
Redis. Reports renewals per second and the ratio to writing the same rows with bulk inserts
alone, measured in the same run. Targets (issue #4): ≥ 1,000 renewals/s and within 10× of the
bulk-insert baseline, at 100,000 subscriptions.

    .venv/bin/python bench/invoice_run.py [--subscriptions 100000] [--workers 2] [--concurrency 4]

The database named in DATABASE_URL must contain "bench" (default ledgerline_bench_invoicing); it
is dropped, created and migrated. Redis database 11 (or REDIS_URL's) is flushed. Customers, cards,
subscriptions and items are seeded with COPY (apps/core/bulk.py); the run starts the workers,
calls the beat fan-out once and waits until every subscription has exactly one paid cycle
invoice (counted once no batch is queued or running). Subscriptions are due two hours ago, past
their invoice's auto-advance hour, so each renewal finalizes and charges its invoice at once: the
rate covers invoice, lines, finalizing, numbering, charge, ledger, events and audit entries. The
baseline inserts, with the same bulk path, one invoice, its lines, one charge, one ledger row and
three events per subscription. Exits 1 when a target is missed or a check fails.
"""

import argparse
import os
import random
import sys
import time
from datetime import timedelta

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench import _support  # noqa: E402

DEFAULT_DATABASE = "ledgerline_bench_invoicing"
RATE_TARGET = 1000.0
RATIO_TARGET = 10.0
CHUNK = 20_000


def seed(count: int):
    from apps.accounts.services import account_create
    from apps.catalog.price_params import new_price_parse
    from apps.catalog.services import price_create
    from apps.core import clock
    from apps.core.actor import SYSTEM
    from apps.core.bulk import rows_insert
    from apps.core.ids import new_id
    from apps.customers.models import Customer, PaymentMethod
    from apps.subscriptions.models import Subscription, SubscriptionItem

    account, _ = account_create(name="Bench Co")
    prices = [
        price_create(
            account=account,
            price=new_price_parse(
                {
                    "product_data": {"name": f"Plan {n}"},
                    "currency": "usd",
                    "unit_amount": 900 + 1000 * n,
                    "recurring": {"interval": "month"},
                }
            ),
            actor=SYSTEM,
        )
        for n in range(3)
    ]
    # Due two hours ago: past the renewal draft's hour (Stripe's auto-advance), so each renewal
    # is a late run that finalizes and charges its invoice in the same task.
    due = clock.now() - timedelta(hours=2)
    start = due - timedelta(days=30)
    rng = random.Random(7)
    items_total = 0
    for first in range(0, count, CHUNK):
        size = min(CHUNK, count - first)
        customers, cards, subscriptions, items = [], [], [], []
        for n in range(first, first + size):
            customer_id, card_id, sub_id = new_id("cus"), new_id("card"), new_id("sub")
            customers.append(
                Customer(
                    id=customer_id,
                    account=account,
                    email=f"c{n:07d}@example.com",
                    currency="usd",
                    default_source_id=card_id,
                    created_at=start,
                    metadata={},
                )
            )
            cards.append(
                PaymentMethod(
                    id=card_id,
                    account=account,
                    customer_id=customer_id,
                    type="card",
                    source_object="card",
                    brand="visa",
                    funding="credit",
                    country="US",
                    last4="4242",
                    exp_month=12,
                    exp_year=2040,
                    fingerprint="bench",
                    test_scenario="succeed",
                    created_at=start,
                )
            )
            subscriptions.append(
                Subscription(
                    id=sub_id,
                    account=account,
                    customer_id=customer_id,
                    status="active",
                    currency="usd",
                    interval="month",
                    interval_count=1,
                    billing_cycle_anchor=start,
                    current_period_start=start,
                    current_period_end=due,
                    created_at=start,
                    metadata={},
                )
            )
            for price in rng.sample(prices, rng.randint(1, 3)):
                items.append(
                    SubscriptionItem(
                        id=new_id("si"),
                        account=account,
                        subscription_id=sub_id,
                        price=price,
                        quantity=1,
                        created_at=start,
                        metadata={},
                    )
                )
        # Cards reference customers and customers their default card: one transaction each way
        # is fine, the foreign keys are checked at commit.
        from django.db import transaction

        with transaction.atomic():
            rows_insert(Customer, customers)
            rows_insert(PaymentMethod, cards)
        rows_insert(Subscription, subscriptions)
        rows_insert(SubscriptionItem, items)
        items_total += len(items)
    return account, items_total, due


def baseline(account, count: int, items: int) -> float:
    """Seconds to bulk-insert what the run writes: invoices, lines, charges, ledger, events."""
    from apps.core import clock
    from apps.core.bulk import rows_insert
    from apps.core.ids import new_id
    from apps.core.models import Event
    from apps.customers.models import PaymentMethod
    from apps.invoices.models import Invoice, InvoiceLine
    from apps.payments.models import BalanceTransaction, Charge

    customers = list(
        PaymentMethod.objects.filter(account=account).values_list("customer_id", "id")[:count]
    )
    now = clock.now()
    lines_per = max(1, round(items / count))
    began = time.perf_counter()
    for first in range(0, count, CHUNK):
        chunk = customers[first : first + CHUNK]
        invoices, lines, charges, ledger, events = [], [], [], [], []
        for customer_id, card_id in chunk:
            invoice_id, charge_id = new_id("in"), new_id("ch")
            invoices.append(
                Invoice(
                    id=invoice_id,
                    account=account,
                    customer_id=customer_id,
                    status="paid",
                    currency="usd",
                    period_start=now,
                    period_end=now,
                    subtotal=2900,
                    total=2900,
                    amount_due=2900,
                    amount_paid=2900,
                    created_at=now,
                    hosted_token=new_id("tok"),
                    metadata={},
                )
            )
            for n in range(lines_per):
                lines.append(
                    InvoiceLine(
                        id=new_id("il"),
                        account=account,
                        invoice_id=invoice_id,
                        subscription_item_id=new_id("si"),
                        kind="subscription",
                        period_start=now,
                        period_end=now,
                        amount=900 + n,
                        currency="usd",
                    )
                )
            ledger_id = new_id("txn")
            ledger.append(
                BalanceTransaction(
                    id=ledger_id,
                    account=account,
                    type="charge",
                    amount=2900,
                    fee=114,
                    net=2786,
                    currency="usd",
                    source_id=charge_id,
                    reporting_category="charge",
                    created_at=now,
                    available_on=now,
                )
            )
            charges.append(
                Charge(
                    id=charge_id,
                    account=account,
                    amount=2900,
                    amount_captured=2900,
                    captured=True,
                    currency="usd",
                    customer_id=customer_id,
                    payment_method_id=card_id,
                    status="succeeded",
                    created_at=now,
                    balance_transaction_id=ledger_id,
                    metadata={},
                    outcome={},
                    fraud_details={},
                )
            )
            for kind in ("invoice.paid", "charge.succeeded", "customer.subscription.updated"):
                events.append(
                    Event(
                        id=new_id("evt"),
                        account=account,
                        type=kind,
                        api_version="2026-09-30",
                        data_object={"id": invoice_id},
                        object_id=invoice_id,
                        created_at=now,
                    )
                )
        rows_insert(Invoice, invoices)
        rows_insert(InvoiceLine, lines)
        rows_insert(BalanceTransaction, ledger)
        rows_insert(Charge, charges)
        rows_insert(Event, events)
    elapsed = time.perf_counter() - began
    # Remove the baseline's rows so the run starts from the same state.
    Event.objects.filter(account=account).delete()
    Charge.objects.filter(account=account).delete()
    BalanceTransaction.objects.filter(account=account).delete()
    InvoiceLine.objects.filter(account=account).delete()
    Invoice.objects.filter(account=account).delete()
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscriptions", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--timeout", type=float, default=3600.0)
    args = parser.parse_args()

    env, redis_url = _support.worker_bench_setup(database=DEFAULT_DATABASE, redis_db=11)
    import redis
    from django.db import connection

    from apps.invoices.models import Invoice
    from apps.subscriptions.tasks import subscriptions_fan_out_task

    seeded = time.perf_counter()
    account, items, _ = seed(args.subscriptions)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    seed_seconds = time.perf_counter() - seeded
    base_seconds = baseline(account, args.subscriptions, items)

    processes = _support.workers_start(
        env=env, queue="invoicing", workers=args.workers, concurrency=args.concurrency
    )
    try:
        time.sleep(3)  # workers up
        broker = redis.Redis.from_url(redis_url)
        began = time.perf_counter()
        subscriptions_fan_out_task()
        deadline = began + args.timeout
        done = 0
        while time.perf_counter() <= deadline:
            # Counting invoices scans a growing table: only once no batch is waiting in the
            # queue or running (Redis: the queue's length, kombu's unacknowledged messages,
            # acks_late), so the measuring does not slow the run it measures.
            if not broker.llen("invoicing") and not broker.hlen("unacked"):
                done = Invoice.objects.filter(
                    account=account, billing_reason="subscription_cycle", status="paid"
                ).count()
                if done >= args.subscriptions:
                    break
            time.sleep(0.1)
        run_seconds = time.perf_counter() - began
    finally:
        _support.workers_stop(processes)

    cycle = Invoice.objects.filter(account=account, billing_reason="subscription_cycle")
    per_subscription = cycle.values("subscription_id").distinct().count()
    unpaid = cycle.exclude(status="paid").count()
    rate = done / run_seconds
    ratio = run_seconds / base_seconds
    print(f"Invoice run ({time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC)")
    print(
        f"  {args.subscriptions:,} subscriptions, {items:,} items; seeded in {seed_seconds:.1f} s; "
        f"{args.workers} workers x {args.concurrency} threads on Redis"
    )
    print(
        f"  bulk-insert baseline: {base_seconds:.1f} s ({args.subscriptions / base_seconds:,.0f} "
        "renewals' rows/s)"
    )
    print(
        f"  renewed: {done:,} in {run_seconds:.1f} s = {rate:,.0f} renewals/s; "
        f"ratio to baseline {ratio:.1f}x"
    )
    print(
        f"  checks: {cycle.count():,} cycle invoices for {per_subscription:,} subscriptions, "
        f"{unpaid} not paid"
    )
    ok = done == args.subscriptions == cycle.count() == per_subscription and unpaid == 0
    met = rate >= RATE_TARGET and ratio <= RATIO_TARGET
    print(
        f"  targets: >= {RATE_TARGET:,.0f}/s and <= {RATIO_TARGET:g}x: "
        f"{'MET' if met else 'NOT MET'}; checks {'PASS' if ok else 'FAIL'}"
    )
    return 0 if ok and met else 1


if __name__ == "__main__":
    sys.exit(main())
