"""Customer emails: N paid invoices' receipts drained by 2 Celery workers (PostgreSQL + Redis)
into a local SMTP server (aiosmtpd on 127.0.0.1, in this process). Reports the emails per second
and the run's time as a ratio to a baseline measured in the same run: the same number of
messages, built once, sent by one client over one connection to the same server (what the
server itself can take). Target (issue 16): at least 2,000 emails/s, none lost or doubled.

    .venv/bin/python bench/customer_emails.py [--emails 20000] [--workers 2] [--concurrency 4]
    .venv/bin/python bench/customer_emails.py --in-process [--emails 2000]

The database named in DATABASE_URL must contain "bench" (default ledgerline_bench_emails); it is
dropped, created and migrated. Redis database 13 (or REDIS_URL's) is flushed. Customers, their
cards, charges, paid invoices and their ``invoice.paid`` events are seeded with COPY; the run
queues the send tasks as the event consumer does after a commit (batches of
``emails.TASK_BATCH``), and the clock stops when the server has every message and the queue is
empty. Checks: one SentEmail per event with no error, and every customer's address received
exactly once. Also printed: the CPU the workers and this process (the SMTP server, mostly) used
an email while draining, and the load average. Exits 1 when the target is missed or a check
fails.
"""

import argparse
import os
import smtplib
import sys
import threading
import time
from collections import Counter
from datetime import timedelta

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench import _support  # noqa: E402

DEFAULT_DATABASE = "ledgerline_bench_emails"
RATE_TARGET = 2_000
CHUNK = 20_000
AMOUNT = 2900


class Sink:
    """The SMTP server's handler: every recipient it was given, counted."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.recipients: Counter[str] = Counter()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.recipients.update(envelope.rcpt_tos)
        return "250 OK"

    def total(self) -> int:
        with self.lock:
            return sum(self.recipients.values())


def seed(count: int):
    from django.db import transaction

    from apps.accounts.services import account_create
    from apps.core import clock
    from apps.core.bulk import rows_insert
    from apps.core.ids import new_id
    from apps.core.models import Event
    from apps.customers.models import Customer, PaymentMethod
    from apps.invoices.models import Invoice
    from apps.payments.models import Charge

    account, _ = account_create(name="Bench Co")
    now = clock.now()
    start = now - timedelta(days=1)
    event_ids = []
    for first in range(0, count, CHUNK):
        customers, cards, charges, invoices, events = [], [], [], [], []
        for n in range(first, min(count, first + CHUNK)):
            customer_id, card_id = new_id("cus"), new_id("card")
            charge_id, invoice_id, event_id = new_id("ch"), new_id("in"), new_id("evt")
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
            charges.append(
                Charge(
                    id=charge_id,
                    account=account,
                    amount=AMOUNT,
                    amount_captured=AMOUNT,
                    captured=True,
                    currency="usd",
                    customer_id=customer_id,
                    payment_method_id=card_id,
                    status="succeeded",
                    created_at=start,
                    metadata={},
                    outcome={},
                    fraud_details={},
                )
            )
            invoices.append(
                Invoice(
                    id=invoice_id,
                    account=account,
                    customer_id=customer_id,
                    status="paid",
                    billing_reason="subscription_cycle",
                    currency="usd",
                    number=f"BENCH-{n + 1:07d}",
                    period_start=start,
                    period_end=start,
                    subtotal=AMOUNT,
                    total=AMOUNT,
                    amount_due=AMOUNT,
                    amount_paid=AMOUNT,
                    charge_id=charge_id,
                    finalized_at=start,
                    paid_at=start,
                    hosted_token=new_id("tok"),
                    created_at=start,
                    metadata={},
                )
            )
            events.append(
                Event(
                    id=event_id,
                    account=account,
                    type="invoice.paid",
                    api_version="2026-09-30",
                    data_object={
                        "id": invoice_id,
                        "object": "invoice",
                        "amount_paid": AMOUNT,
                        "currency": "usd",
                        "collection_method": "charge_automatically",
                    },
                    object_id=invoice_id,
                    customer_id=customer_id,
                    created_at=start,
                )
            )
            event_ids.append(event_id)
        with transaction.atomic():  # a customer's default card: deferred foreign keys
            rows_insert(Customer, customers)
            rows_insert(PaymentMethod, cards)
        rows_insert(Charge, charges)
        rows_insert(Invoice, invoices)
        rows_insert(Event, events)
    return account, event_ids


def cpu_seconds(pid: int) -> float:
    """The CPU (user and system) process ``pid`` has used so far, from /proc (Linux)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def baseline(count: int, port: int) -> float:
    """Seconds for one client to send ``count`` messages of the same size over one
    connection."""
    from django.core.mail import EmailMultiAlternatives

    message = EmailMultiAlternatives(
        subject="Your receipt from Bench Co",
        body="Hello Pat,\n" + "Thank you for your payment of 29.00 USD.\n" * 15,
        from_email="billing@example.com",
        to=["baseline@example.com"],
    )
    message.attach_alternative(
        "<p>Thank you for your payment of 29.00 USD.</p>\n" * 25, "text/html"
    )
    raw = message.message().as_bytes(linesep="\r\n")
    began = time.perf_counter()
    with smtplib.SMTP(_support.LOOPBACK, port) as client:
        for n in range(count):
            client.sendmail("billing@example.com", [f"b{n:07d}@example.com"], raw)
    return time.perf_counter() - began


def in_process(count: int) -> int:
    """``--in-process``: the CPU one process spends an email, sending the receipts itself in
    batches of ``emails.TASK_BATCH`` (no Celery) with Django's SMTP backend, to an aiosmtpd
    server in another process so that the server's CPU is not counted. The first batch warms up
    (URLconf, templates) and is left out."""
    import subprocess

    port = _support.free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"{_support.LOOPBACK}:{port}"]
        + ["-c", "aiosmtpd.handlers.Sink"]
    )
    try:
        _support.worker_bench_setup(database=DEFAULT_DATABASE, redis_db=13)
        from django.conf import settings

        from apps.collections import emails

        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = _support.LOOPBACK, port
        _account, event_ids = seed(count + emails.TASK_BATCH)
        sent = emails.customer_emails_send(event_ids=event_ids[: emails.TASK_BATCH])
        event_ids = event_ids[emails.TASK_BATCH :]
        cpu, began = time.process_time(), time.perf_counter()
        for first in range(0, len(event_ids), emails.TASK_BATCH):
            sent += emails.customer_emails_send(
                event_ids=event_ids[first : first + emails.TASK_BATCH]
            )
        cpu, elapsed = time.process_time() - cpu, time.perf_counter() - began
    finally:
        server.terminate()
    with open("/proc/loadavg") as loadavg:
        load_average = " ".join(loadavg.read().split()[:3])
    print(f"Customer emails in one process ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})")
    print(
        f"  {count:,} receipts after a warm-up batch: {1000 * cpu / count:.2f} ms of CPU and "
        f"{1000 * elapsed / count:.2f} ms of wall time an email; load average {load_average}"
    )
    return 0 if sent == count + emails.TASK_BATCH else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--emails", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--in-process", action="store_true", help=in_process.__doc__)
    args = parser.parse_args()
    if args.in_process:
        return in_process(args.emails)

    from aiosmtpd.controller import Controller

    sink = Sink()
    port = _support.free_port()
    controller = Controller(sink, hostname=_support.LOOPBACK, port=port)
    controller.start()
    env, redis_url = _support.worker_bench_setup(database=DEFAULT_DATABASE, redis_db=13)
    env.update(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST=_support.LOOPBACK,
        EMAIL_PORT=str(port),
    )
    import redis

    from apps.collections import emails
    from apps.collections.models import SentEmail
    from apps.core.queue import task_named

    began = time.perf_counter()
    account, event_ids = seed(args.emails)
    seeded = time.perf_counter() - began
    base = baseline(args.emails, port)
    sink.recipients.clear()

    workers = _support.workers_start(
        env=env, queue="collections", workers=args.workers, concurrency=args.concurrency
    )
    broker = redis.Redis.from_url(redis_url)
    try:
        time.sleep(3)  # the workers connect
        task = task_named("collections.customer_emails_send")
        workers_cpu = sum(cpu_seconds(worker.pid) for worker in workers)
        own_cpu = time.process_time()
        began = time.perf_counter()
        for first in range(0, len(event_ids), emails.TASK_BATCH):
            task.delay(event_ids=event_ids[first : first + emails.TASK_BATCH])
        deadline = began + 600
        while time.perf_counter() < deadline:
            if sink.total() >= args.emails and broker.llen("collections") == 0:
                break
            time.sleep(0.05)
        elapsed = time.perf_counter() - began
        own_cpu = time.process_time() - own_cpu
        time.sleep(1)  # outcomes recorded after the last send
        workers_cpu = sum(cpu_seconds(worker.pid) for worker in workers) - workers_cpu
    finally:
        _support.workers_stop(workers)
        controller.stop()

    with open("/proc/loadavg") as loadavg:
        load_average = " ".join(loadavg.read().split()[:3])
    rows = SentEmail.objects.filter(account=account)
    recorded = rows.count()
    failed = rows.exclude(error="").count()
    doubled = sum(1 for n in sink.recipients.values() if n > 1)
    rate = args.emails / elapsed
    checks = (
        recorded == args.emails
        and failed == 0
        and doubled == 0
        and len(sink.recipients) == args.emails
    )
    print(f"Customer emails ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})")
    print(
        f"  {args.emails:,} receipts; seeded in {seeded:.1f} s; "
        f"{args.workers} workers x {args.concurrency} threads on Redis; SMTP server on 127.0.0.1"
    )
    print(f"  baseline, one client on one connection: {base:.1f} s ({args.emails / base:,.0f}/s)")
    print(
        f"  drained: {args.emails:,} in {elapsed:.1f} s = {rate:,.0f} emails/s; "
        f"ratio to baseline {elapsed / base:.1f}x"
    )
    print(
        f"  CPU an email: workers {1000 * workers_cpu / args.emails:.2f} ms, SMTP server (this "
        f"process) {1000 * own_cpu / args.emails:.2f} ms; load average {load_average}"
    )
    print(
        f"  checks: {recorded:,} recorded, {failed} failed, {len(sink.recipients):,} addresses "
        f"received, {doubled} received twice"
    )
    met = rate >= RATE_TARGET
    verdict = "MET" if met else "NOT MET"
    print(f"  target: >= {RATE_TARGET:,}/s: {verdict}; checks {'PASS' if checks else 'FAIL'}")
    return 0 if met and checks else 1


if __name__ == "__main__":
    sys.exit(main())
