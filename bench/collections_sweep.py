"""Collections sweep: N past-due invoices whose retry is due, half of them paying on the retry,
are retried by 2 Celery workers on PostgreSQL + Redis. Reports the sweep's wall time and its
ratio to writing the same rows with bulk inserts alone, measured in the same run. Target
(issue #5): 50,000 invoices in under 60 seconds, no invoice attempted twice for the same
scheduled retry.

    .venv/bin/python bench/collections_sweep.py [--invoices 50000] [--workers 2] [--concurrency 4]

The database named in DATABASE_URL must contain "bench" (default ledgerline_bench_collections);
it is dropped, created and migrated. Redis database 12 (or REDIS_URL's) is flushed. Customers,
cards, past-due subscriptions, open invoices (one failed automatic attempt each, the retry due a
minute ago) are seeded with COPY; half the cards succeed on the retry, half keep declining. The
run starts the workers, calls the beat sweep (``collections.retries_sweep``) twice at once — as
two beats would — and waits until every invoice's retry is recorded. Checks: one retry attempt
and one charge per invoice, half paid (their subscriptions active again), half open with their
next retry scheduled. Exits 1 when the target is missed or a check fails.
"""

import argparse
import os
import sys
import threading
import time
from datetime import timedelta

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench import _support  # noqa: E402

DEFAULT_DATABASE = "ledgerline_bench_collections"
SECONDS_TARGET = 60.0
CHUNK = 20_000
AMOUNT = 2900


def seed(count: int):
    from django.db import transaction

    from apps.accounts.services import account_create
    from apps.collections.models import PaymentAttempt
    from apps.core import clock
    from apps.core.bulk import rows_insert
    from apps.core.ids import new_id
    from apps.customers.models import Customer, PaymentMethod
    from apps.invoices.models import Invoice
    from apps.subscriptions.models import Subscription

    account, _ = account_create(name="Bench Co")
    now = clock.now()
    start = now - timedelta(days=2)
    failed_at = now - timedelta(days=1)
    due = now - timedelta(minutes=1)
    for first in range(0, count, CHUNK):
        size = min(CHUNK, count - first)
        customers, cards, subscriptions, invoices, attempts = [], [], [], [], []
        for n in range(first, first + size):
            customer_id, card_id = new_id("cus"), new_id("card")
            sub_id, invoice_id = new_id("sub"), new_id("in")
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
                    last4="4242" if n % 2 == 0 else "0341",
                    exp_month=12,
                    exp_year=2040,
                    fingerprint=f"bench{n % 2}",
                    # Even ones pay on the retry; odd ones keep declining.
                    test_scenario="succeed" if n % 2 == 0 else "charge_customer_fail",
                    created_at=start,
                )
            )
            subscriptions.append(
                Subscription(
                    id=sub_id,
                    account=account,
                    customer_id=customer_id,
                    status="past_due",
                    currency="usd",
                    interval="month",
                    interval_count=1,
                    billing_cycle_anchor=start,
                    current_period_start=start,
                    current_period_end=start + timedelta(days=30),
                    created_at=start,
                    metadata={},
                )
            )
            invoices.append(
                Invoice(
                    id=invoice_id,
                    account=account,
                    customer_id=customer_id,
                    subscription_id=sub_id,
                    status="open",
                    billing_reason="subscription_cycle",
                    currency="usd",
                    number=f"BENCH-{n + 1:07d}",
                    period_start=start,
                    period_end=start,
                    subtotal=AMOUNT,
                    total=AMOUNT,
                    amount_due=AMOUNT,
                    auto_advance=True,
                    finalized_at=start,
                    attempt_count=1,
                    next_payment_attempt=due,
                    hosted_token=new_id("tok"),
                    created_at=start,
                    metadata={},
                )
            )
            attempts.append(
                PaymentAttempt(
                    account=account,
                    invoice_id=invoice_id,
                    customer_id=customer_id,
                    number=1,
                    trigger="automatic",
                    attempted_at=failed_at,
                    outcome="failed",
                    amount=AMOUNT,
                    currency="usd",
                    payment_method_id=card_id,
                    failure_code="card_declined",
                    decline_code="insufficient_funds",
                )
            )
        with transaction.atomic():
            rows_insert(Customer, customers)
            rows_insert(PaymentMethod, cards)
        rows_insert(Subscription, subscriptions)
        rows_insert(Invoice, invoices)
        PaymentAttempt.objects.bulk_create(attempts, batch_size=5_000)
    return account, due


def baseline(account, count: int, due) -> float:
    """Seconds to bulk-insert what the sweep writes: an attempt, a charge per invoice, a ledger
    row per success, and its events (paid: charge.succeeded, invoice.paid,
    invoice.payment_succeeded, customer.subscription.updated; failed: charge.failed,
    invoice.payment_failed)."""
    from apps.collections.models import PaymentAttempt
    from apps.core import clock
    from apps.core.bulk import rows_insert
    from apps.core.ids import new_id
    from apps.core.models import Event
    from apps.customers.models import PaymentMethod
    from apps.payments.models import BalanceTransaction, Charge

    cards = list(
        PaymentMethod.objects.filter(account=account).values_list("customer_id", "id")[:count]
    )
    invoices = list(
        PaymentAttempt.objects.filter(account=account).values_list("invoice_id", flat=True)
    )
    now = clock.now()
    began = time.perf_counter()
    for first in range(0, count, CHUNK):
        attempts, charges, ledger, events = [], [], [], []
        for n in range(first, min(count, first + CHUNK)):
            customer_id, card_id = cards[n]
            charge_id, paid = new_id("ch"), n % 2 == 0
            ledger_id = new_id("txn") if paid else None
            attempts.append(
                PaymentAttempt(
                    account=account,
                    invoice_id=invoices[n],
                    customer_id=customer_id,
                    number=2,
                    trigger="retry",
                    scheduled_for=due,
                    attempted_at=now,
                    outcome="succeeded" if paid else "failed",
                    amount=AMOUNT,
                    currency="usd",
                    payment_method_id=card_id,
                    charge_id=charge_id,
                )
            )
            if paid:
                ledger.append(
                    BalanceTransaction(
                        id=ledger_id,
                        account=account,
                        type="charge",
                        amount=AMOUNT,
                        fee=114,
                        net=AMOUNT - 114,
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
                    amount=AMOUNT,
                    amount_captured=AMOUNT if paid else 0,
                    captured=paid,
                    currency="usd",
                    customer_id=customer_id,
                    payment_method_id=card_id,
                    status="succeeded" if paid else "failed",
                    created_at=now,
                    balance_transaction_id=ledger_id,
                    metadata={},
                    outcome={},
                    fraud_details={},
                )
            )
            kinds = (
                (
                    "charge.succeeded",
                    "invoice.paid",
                    "invoice.payment_succeeded",
                    "customer.subscription.updated",
                )
                if paid
                else ("charge.failed", "invoice.payment_failed")
            )
            for kind in kinds:
                events.append(
                    Event(
                        id=new_id("evt"),
                        account=account,
                        type=kind,
                        api_version="2026-09-30",
                        data_object={"id": invoices[n]},
                        object_id=invoices[n],
                        created_at=now,
                    )
                )
        PaymentAttempt.objects.bulk_create(attempts, batch_size=5_000)
        rows_insert(BalanceTransaction, ledger)
        rows_insert(Charge, charges)
        rows_insert(Event, events)
    elapsed = time.perf_counter() - began
    # Remove the baseline's rows so the run starts from the seeded state.
    Event.objects.filter(account=account).delete()
    Charge.objects.filter(account=account).delete()
    BalanceTransaction.objects.filter(account=account).delete()
    PaymentAttempt.objects.filter(account=account, trigger="retry").delete()
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--invoices", type=int, default=50_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--timeout", type=float, default=1800.0)
    args = parser.parse_args()

    env, redis_url = _support.worker_bench_setup(database=DEFAULT_DATABASE, redis_db=12)
    import redis
    from django.db import connection
    from django.db.models import Count

    from apps.collections.models import PaymentAttempt, SentEmail
    from apps.collections.tasks import retries_sweep_task
    from apps.core import clock
    from apps.invoices.models import Invoice
    from apps.payments.models import Charge
    from apps.subscriptions.models import Subscription

    seeded = time.perf_counter()
    account, due = seed(args.invoices)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    seed_seconds = time.perf_counter() - seeded
    base_seconds = baseline(account, args.invoices, due)

    processes = _support.workers_start(
        env=env, queue="collections", workers=args.workers, concurrency=args.concurrency
    )
    retries = PaymentAttempt.objects.filter(account=account, trigger="retry")
    try:
        time.sleep(3)  # workers up
        broker = redis.Redis.from_url(redis_url)
        began = time.perf_counter()
        # Two beats firing at once: each fans out what it finds due.
        beats = [threading.Thread(target=retries_sweep_task) for _ in range(2)]
        for beat in beats:
            beat.start()
        for beat in beats:
            beat.join()
        connection.close()  # the threads' connections are theirs; this one is reopened below
        deadline = began + args.timeout
        done, drained_seconds = 0, None
        while time.perf_counter() <= deadline:
            done = retries.exclude(outcome="pending").count()
            if done >= args.invoices:
                break
            time.sleep(0.5)
        run_seconds = time.perf_counter() - began
        # The customer emails the retries caused (receipts, payment-failed notices) follow on
        # the same queue: how long until it is empty.
        while time.perf_counter() <= deadline:
            if not broker.llen("collections") and not broker.hlen("unacked"):
                drained_seconds = time.perf_counter() - began
                break
            time.sleep(0.5)
    finally:
        _support.workers_stop(processes)

    twice = (
        retries.values("invoice_id", "scheduled_for")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    per_invoice = retries.values("invoice_id").distinct().count()
    charges = Charge.objects.filter(account=account).count()
    invoices = Invoice.objects.filter(account=account)
    paid = invoices.filter(status="paid").count()
    rescheduled = invoices.filter(
        status="open", attempt_count=2, next_payment_attempt__gt=clock.now()
    ).count()
    active = Subscription.objects.filter(account=account, status="active").count()
    half = (args.invoices + 1) // 2
    print(f"Collections sweep ({time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC)")
    print(
        f"  {args.invoices:,} past-due invoices (half paying on the retry); seeded in "
        f"{seed_seconds:.1f} s; {args.workers} workers x {args.concurrency} threads on Redis; "
        "two sweeps fired at once"
    )
    print(
        f"  bulk-insert baseline: {base_seconds:.1f} s "
        f"({args.invoices / base_seconds:,.0f} retries' rows/s)"
    )
    print(
        f"  swept: {done:,} retries in {run_seconds:.1f} s = {done / run_seconds:,.0f}/s; "
        f"ratio to baseline {run_seconds / base_seconds:.1f}x"
    )
    emails = SentEmail.objects.filter(account=account).count()
    drained = f"{drained_seconds:.1f} s" if drained_seconds is not None else "(timed out)"
    print(f"  customer emails: {emails:,} sent; queue empty after {drained}")
    print(
        f"  checks: {per_invoice:,} invoices retried, {twice} slots attempted twice, "
        f"{charges:,} charges, {paid:,} paid ({active:,} subscriptions active again), "
        f"{rescheduled:,} open with the next retry scheduled"
    )
    ok = (
        done == per_invoice == charges == args.invoices
        and twice == 0
        and paid == active == half
        and rescheduled == args.invoices - half
    )
    met = run_seconds < SECONDS_TARGET
    print(
        f"  target: {args.invoices:,} in < {SECONDS_TARGET:g} s: {'MET' if met else 'NOT MET'}; "
        f"checks {'PASS' if ok else 'FAIL'}"
    )
    return 0 if ok and met else 1


if __name__ == "__main__":
    sys.exit(main())
