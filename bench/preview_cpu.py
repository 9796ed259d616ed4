"""Invoice preview CPU, in-process: the same seed as bench/preview.py (a 10-item subscription,
one price changed), then N previews (``GET /v1/invoices/upcoming``) and N authenticated
``GET /v1/customers/:id`` through ``django.test.Client``, interleaved, each timed with
``time.process_time()`` (this process's CPU only, so far less noisy than wall-clock latency on a
shared machine; PostgreSQL's own CPU is not in it). Prints the median CPU per call and the ratio.

    .venv/bin/python bench/preview_cpu.py [--calls 300] [--profile 40]

DATABASE_URL's database when its name contains "bench", else ``ledgerline_bench_preview_cpu``
on its server, is dropped, created, migrated and seeded. ``--profile N`` prints the N costliest
functions of the previews (cProfile, cumulative) instead of timing them.
"""

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench import _support  # noqa: E402
from bench.preview import ITEMS, seed  # noqa: E402


def _cpu_ms(client, path: str, headers: dict) -> float:
    started = time.process_time()
    response = client.get(path, headers=headers)
    spent = (time.process_time() - started) * 1000
    if response.status_code != 200:
        raise SystemExit(f"{path} answered {response.status_code}: {response.content[:300]!r}")
    return spent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=300, help="of each URL")
    parser.add_argument("--profile", type=int, default=0, help="print the N costliest functions")
    args = parser.parse_args()

    database_url = _support.named_database_url("ledgerline_bench_preview_cpu")
    _support.database_recreate(database_url)
    env = _support.bench_env(DATABASE_URL=database_url)
    _support.manage("migrate", "--noinput", env=env)
    secret_key, customer_path, preview_path = seed(database_url=database_url)
    from django.test import Client

    client = Client()
    headers = {"Authorization": f"Bearer {secret_key}"}
    body = client.get(preview_path, headers=headers).json()
    if len(body["lines"]["data"]) != ITEMS + 2:
        raise SystemExit(f"preview answered {body!r:.300}")
    for _ in range(50):
        _cpu_ms(client, customer_path, headers)
        _cpu_ms(client, preview_path, headers)
    if args.profile:
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(args.calls):
            client.get(preview_path, headers=headers)
        profile.disable()
        pstats.Stats(profile).sort_stats("cumulative").print_stats(args.profile)
        return 0
    samples: dict[str, list[float]] = {"customer": [], "preview": []}
    for _ in range(args.calls):
        samples["customer"].append(_cpu_ms(client, customer_path, headers))
        samples["preview"].append(_cpu_ms(client, preview_path, headers))
    customer = statistics.median(samples["customer"])
    preview = statistics.median(samples["preview"])
    print(f"Invoice preview CPU, in-process ({time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC)")
    print(f"  {args.calls} calls each, interleaved; median process CPU per call")
    print(f"  GET /v1/customers/:id               {customer:7.2f} ms")
    print(f"  GET /v1/invoices/upcoming (preview) {preview:7.2f} ms")
    print(f"  ratio (preview / customer): {preview / customer:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
