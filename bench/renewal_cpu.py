"""Renewal CPU, in-process: the subscriptions of bench/invoice_run.py (1–3 items each, due two
hours ago, so each renewal also finalizes, numbers, charges and pays its invoice) renewed in
batches of 500 by ``subscriptions_renew_and_collect`` in this process, as a worker runs a beat
batch (one batch more first, not measured, warms the process up as a worker's first task does),
and the same bulk-insert baseline. Measures this process's CPU (``time.process_time``)
and the PostgreSQL backend's (``/proc/<pid>/stat`` of ``pg_backend_pid()``: the server must run
on this machine), so the figures do not depend on what else shares the CPUs.

    DATABASE_URL=postgres://…/ledgerline_bench_renewal_cpu .venv/bin/python bench/renewal_cpu.py
        [--subscriptions 3000] [--profile 60]

The database named in DATABASE_URL must contain "bench" (default ledgerline_bench_renewal_cpu);
it is dropped, created and migrated; Redis (REDIS_URL, default db 12) is flushed. ``--profile N``
prints the N costliest functions of the renewals (cProfile, cumulative) as well.
"""

import argparse
import cProfile
import os
import pstats
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench import _support  # noqa: E402
from bench.invoice_run import baseline, seed  # noqa: E402

BATCH = 500


def _backend_cpu(pid: int) -> float:
    """Seconds of CPU the PostgreSQL backend ``pid`` has used (user + system)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _cpu(pid: int) -> tuple[float, float]:
    return time.process_time(), _backend_cpu(pid)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscriptions", type=int, default=3000)
    parser.add_argument("--profile", type=int, default=0, help="print the N costliest functions")
    args = parser.parse_args()

    _support.worker_bench_setup(database="ledgerline_bench_renewal_cpu", redis_db=12)
    from django.db import connection

    from apps.invoices.models import Invoice
    from apps.subscriptions.models import Subscription
    from apps.subscriptions.services.renewals import subscriptions_renew_and_collect

    # One batch more, renewed first and not measured: the first renewal in a process imports
    # and warms what every later one uses (as a worker's first task does).
    count = args.subscriptions
    account, seeded_items, _ = seed(count + BATCH)
    items = round(seeded_items * count / (count + BATCH))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    started = _cpu(pid)
    baseline(account, args.subscriptions, items)
    ended = _cpu(pid)
    base = (ended[0] - started[0], ended[1] - started[1])

    ids = list(Subscription.objects.order_by("id").values_list("id", flat=True))
    subscriptions_renew_and_collect(subscription_ids=ids[:BATCH])
    ids = ids[BATCH:]
    profile = cProfile.Profile() if args.profile else None
    started = _cpu(pid)
    for first in range(0, len(ids), BATCH):
        if profile is not None:
            profile.enable()
        subscriptions_renew_and_collect(subscription_ids=ids[first : first + BATCH])
        if profile is not None:
            profile.disable()
    ended = _cpu(pid)
    run = (ended[0] - started[0], ended[1] - started[1])
    paid = Invoice.objects.filter(
        account=account, billing_reason="subscription_cycle", status="paid"
    ).count()

    print(f"Renewal CPU, in-process ({time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC)")
    print(
        f"  {count:,} subscriptions, about {items:,} items; batches of {BATCH}; "
        f"{paid - BATCH:,} of them paid"
    )
    print(f"  {'':<22}{'python ms/sub':>14}{'postgres ms/sub':>17}{'total':>8}")
    for label, (python, backend) in (("bulk-insert baseline", base), ("renewals", run)):
        total = (python + backend) * 1000 / count
        print(
            f"  {label:<22}{python * 1000 / count:>14.3f}{backend * 1000 / count:>17.3f}"
            f"{total:>8.3f}"
        )
    ratio = (run[0] + run[1]) / (base[0] + base[1])
    print(f"  CPU ratio (renewals / baseline): {ratio:.2f}x")
    if profile is not None:
        pstats.Stats(profile).sort_stats("cumulative").print_stats(args.profile)
    return 0 if paid == count + BATCH else 1


if __name__ == "__main__":
    sys.exit(main())
